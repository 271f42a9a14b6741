import pytest

from conftest import write_config
from seglib.cli import main
from seglib.config import (
    STAGE_SECTIONS,
    RunConfig,
    load_config,
    parse_config,
    stage_config,
    template_text,
)
from seglib.errors import ConfigError


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,age\na,30\n")
    (tmp_path / "orders.csv").write_text("customer_id,order_id,timestamp,amount\na,1,2024-01-01,5\n")
    return tmp_path


def test_valid_config_resolves_paths_against_its_folder(folder):
    path = write_config(folder, "client: Acme Ltd\ndata:\n  customers: {path: customers.csv}\n")
    config = load_config(path)
    assert config.data.customers.path == (folder / "customers.csv").resolve()
    assert config.seed == 42 and config.locale == "en"
    assert config.slug() == "Acme-Ltd"
    assert config.segmentation.k_min == 2


@pytest.mark.parametrize("text, expected", [
    ("client: a\nclinet: b\ndata: {customers: {path: customers.csv}}\n", "clinet: unknown key"),
    ("client: a\ndata: {customers: {path: nope.csv}}\n", "data.customers.path: file not found"),
    ("client: a\ndata: {}\n", "give at least one of 'customers' or 'transactions'"),
    ("client: a\nseed: many\ndata: {customers: {path: customers.csv}}\n", "seed: Input should be a valid integer"),
    ("client: a\nlocale: fr\ndata: {customers: {path: customers.csv}}\n", "locale: Input should be 'en' or 'vi'"),
    ("client: a\ndata: {customers: {path: customers.csv}}\nsegmentation: {k_min: 6, k_max: 3}\n",
     "k_min (6) must not exceed k_max (3)"),
    ("client: a\ndata: {customers: {path: customers.csv}}\ntargeting: {weights: {size: 1, sise: 2}}\n",
     "targeting.weights: unknown criterion 'sise'"),
    ("client: a\ndata: {transactions: {path: orders.csv, columns: {when: timestamp}}}\n",
     "data.transactions.columns.when: unknown canonical column"),
    ("client: a\ndata: {customers: {path: customers.csv}}\nsegmentation: {n_segments: 1}\n",
     "segmentation.n_segments: Input should be greater than or equal to 2"),
    ("client: a\ndata: {customers: {path: customers.csv}}\nlifecycle: {active_days: 400}\n",
     "active_days must be smaller than lapsed_days"),
    ("- just\n- a list\n", "expected a mapping"),
    ("client: [unclosed\n", "not valid YAML"),
])
def test_bad_configs_name_the_key(folder, text, expected):
    path = write_config(folder, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_cli_exit_code_2_and_one_clear_line(folder, capsys):
    path = write_config(folder, "client: a\ndata: {customers: {path: missing.csv}}\n")
    assert main(["run", str(path), "--out", str(folder / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "data.customers.path: file not found" in err
    assert "Traceback" not in err
    assert not (folder / "out").exists()


def test_template_is_a_valid_config_once_its_files_exist(folder):
    import yaml

    raw = yaml.safe_load(template_text("Client X"))
    config = parse_config(raw, folder / "config.yaml")
    assert config.client == "Client X"
    assert config.data.transactions.columns["date"] == "timestamp"
    defaults = RunConfig(client="x", data={"customers": {"path": "x"}})
    for section in STAGE_SECTIONS:
        assert getattr(config, section) == getattr(defaults, section), section


def test_cli_init_writes_template_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "acme.yaml"
    assert main(["init", "acme", "--out", str(out)]) == 0
    assert "client: acme" in out.read_text()
    assert main(["init", "acme", "--out", str(out)]) == 2


def test_stage_config_validates_notebook_parameters():
    assert stage_config("segmentation", k_min=3, k_max=5).k_max == 5
    with pytest.raises(ConfigError, match="k_max"):
        stage_config("segmentation", k_max="many")


def test_cli_refuses_a_non_empty_output_folder(folder, capsys):
    path = write_config(folder, "client: a\ndata:\n  customers: {path: customers.csv}\n")
    out = folder / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier work")
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_an_unexpected_error_is_one_line_not_a_traceback(folder, capsys, monkeypatch):
    import seglib.cli

    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(seglib.cli, "_cmd_init", broken)
    monkeypatch.delenv("SEGLIB_DEBUG", raising=False)
    parser_result = main(["init", "x", "--out", str(folder / "x.yaml")])
    err = capsys.readouterr().err
    assert parser_result == 1
    assert "unexpected ZeroDivisionError: boom" in err and "SEGLIB_DEBUG" in err
    assert "Traceback" not in err
