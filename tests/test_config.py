import re
from datetime import date

import pytest
import yaml

from conftest import write_config
from seglib.cli import main
from seglib.config import (
    STAGE_SECTIONS,
    RunConfig,
    load_config,
    parse_config,
    slugify,
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
     "lifecycle: active_days (400) must be smaller than lapsed_days (365)"),
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
    assert 'client: "acme"' in out.read_text()
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


SOURCE = "data: {customers: {path: customers.csv}}\n"


@pytest.mark.parametrize("text, expected", [
    ("seed: true\n", "seed: Input should be a valid integer"),
    ("seed: '7'\n", "seed: Input should be a valid integer"),
    ("segmentation: {n_segments: '4'}\n", "segmentation.n_segments: Input should be a valid integer"),
    ("segmentation: {k_min: true}\n", "segmentation.k_min: Input should be a valid integer"),
    ("segmentation: {k_max: 6.0}\n", "segmentation.k_max: Input should be a valid integer"),
    ("segmentation: {min_orders: '2'}\n", "segmentation.min_orders: Input should be a valid integer"),
    ("segmentation: {silhouette_sample: '1000'}\n",
     "segmentation.silhouette_sample: Input should be a valid integer"),
    ("targeting: {top_n: '2'}\n", "targeting.top_n: Input should be a valid integer"),
    ("personas: {max_personas: false}\n", "personas.max_personas: Input should be a valid integer"),
    ("lifecycle: {new_days: '30'}\n", "lifecycle.new_days: Input should be a valid integer"),
    ("collect: {keep_pii: 'yes'}\n", "collect.keep_pii: Input should be a valid boolean"),
    ("collect: {keep_pii: 1}\n", "collect.keep_pii: Input should be a valid boolean"),
    ("collect: {as_of: 0}\n", "collect.as_of: expected a date YYYY-MM-DD; got 0"),
    ("targeting: {weights: {size: true}}\n", "targeting.weights.size: Input should be a valid number"),
    ("targeting: {weights: {size: '2'}}\n", "targeting.weights.size: Input should be a valid number"),
])
def test_numbers_and_booleans_are_strict(folder, text, expected):
    path = write_config(folder, "client: a\n" + SOURCE + text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).splitlines() == [f"{path}: {expected}"]


@pytest.mark.parametrize("source, expected", [
    ("{path: customers.csv, dayfirst: 'yes'}", "data.customers.dayfirst: Input should be a valid boolean"),
    ("{path: customers.csv, dayfirst: 1}", "data.customers.dayfirst: Input should be a valid boolean"),
    ("{path: customers.xlsx, sheet: true}",
     "data.customers.sheet: expected a sheet name or a sheet number (0 = the first); got True"),
    ("{path: customers.xlsx, sheet: 1.5}",
     "data.customers.sheet: expected a sheet name or a sheet number (0 = the first); got 1.5"),
])
def test_source_options_are_strict(folder, source, expected):
    path = write_config(folder, f"client: a\ndata: {{customers: {source}}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).splitlines() == [f"{path}: {expected}"]


def test_dates_paths_and_float_weights_stay_lenient(folder):
    (folder / "book.xlsx").write_bytes(b"not read here")
    path = write_config(folder, """
client: a
data:
  customers: {path: book.xlsx, sheet: 0}
  transactions: {path: orders.csv, sep: ";", encoding: cp1252, dayfirst: true}
collect: {as_of: 2025-01-31, keep_pii: true}
targeting: {weights: {size: 1, revenue: 2.5}}
segmentation: {n_segments: 4}
""")
    config = load_config(path)
    assert config.collect.as_of == date(2025, 1, 31)
    assert config.collect.keep_pii is True
    assert config.targeting.weights == {"size": 1.0, "revenue": 2.5}
    assert all(type(w) is float for w in config.targeting.weights.values())
    assert config.segmentation.n_segments == 4
    assert config.data.customers.path == (folder / "book.xlsx").resolve()
    assert config.data.customers.sheet == 0
    assert config.data.transactions.dayfirst is True
    assert config.data.customers.dayfirst is None
    quoted = write_config(folder, "client: a\n" + SOURCE + "collect: {as_of: '2025-01-31'}\n")
    assert load_config(quoted).collect.as_of == date(2025, 1, 31)


def test_stage_parameters_from_a_notebook_are_checked_strictly_too():
    assert stage_config("collect", as_of="2025-01-31", keep_pii=False).as_of == date(2025, 1, 31)
    assert stage_config("targeting", weights={"size": 1}, top_n=2).weights == {"size": 1.0}
    with pytest.raises(ConfigError) as err:
        stage_config("segmentation", k_min="3")
    assert str(err.value) == "parameters of segmentation: k_min: Input should be a valid integer"


@pytest.mark.parametrize("lifecycle, expected", [
    ("{new_days: 100}", ["lifecycle: new_days (100) must not exceed active_days (90)"]),
    ("{active_days: 365}", ["lifecycle: active_days (365) must be smaller than lapsed_days (365)"]),
    ("{new_days: 500, active_days: 400}",
     ["lifecycle: new_days (500) must not exceed active_days (400); "
      "active_days (400) must be smaller than lapsed_days (365)"]),
])
def test_lifecycle_thresholds_must_be_ordered(folder, lifecycle, expected):
    path = write_config(folder, "client: a\n" + SOURCE + f"lifecycle: {lifecycle}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).splitlines() == [f"{path}: {line}" for line in expected]


def test_lifecycle_new_may_equal_active(folder):
    path = write_config(folder, "client: a\n" + SOURCE
                        + "lifecycle: {new_days: 90, active_days: 90, lapsed_days: 91}\n")
    lifecycle = load_config(path).lifecycle
    assert (lifecycle.new_days, lifecycle.active_days, lifecycle.lapsed_days) == (90, 90, 91)


@pytest.mark.parametrize("file, options, expected", [
    ("customers.csv", "sheet: Data",
     ["data.customers.sheet: only Excel files (.xlsx, .xlsm, .xls) have sheets; "
      "customers.csv is read as CSV"]),
    ("customers.parquet", "sheet: 0",
     ["data.customers.sheet: only Excel files (.xlsx, .xlsm, .xls) have sheets; "
      "customers.parquet is read as Parquet"]),
    ("customers.parquet", "sep: ';'",
     ["data.customers.sep: applies to CSV files only; customers.parquet is read as Parquet"]),
    ("customers.XLSX", "encoding: cp1252",
     ["data.customers.encoding: applies to CSV files only; customers.XLSX is read as Excel"]),
    ("customers.xls", "sep: ',', encoding: latin-1",
     ["data.customers.sep: applies to CSV files only; customers.xls is read as Excel",
      "data.customers.encoding: applies to CSV files only; customers.xls is read as Excel"]),
])
def test_options_of_another_file_format_are_errors(folder, file, options, expected):
    (folder / file).write_bytes(b"x")
    path = write_config(folder, f"client: a\ndata: {{customers: {{path: {file}, {options}}}}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).splitlines() == [f"{path}: {line}" for line in expected]


def test_options_of_the_file_format_are_kept(folder):
    for name in ("book.xlsm", "table.csv.gz"):
        (folder / name).write_bytes(b"x")
    path = write_config(folder, """
client: a
data:
  customers: {path: book.xlsm, sheet: Customers}
  transactions: {path: table.csv.gz, sep: "|", encoding: utf-16}
""")
    config = load_config(path)
    assert config.data.customers.sheet == "Customers"
    assert (config.data.transactions.sep, config.data.transactions.encoding) == ("|", "utf-16")


NAMES = ["Acme: UK", "Shop #1", 'Say "hi"', "O'Brien & Co", "Cửa hàng Hà Nội", "Công ty Đại Việt",
         r"back\slash", "yes", "null", "123", "- dash", "[list]", "{map}", "*star", "&anchor",
         "tab\there", "line\u2028break", "next\x85line", "  padded  "]


@pytest.mark.parametrize("name", NAMES)
def test_template_gives_back_the_client_name_exactly(name):
    assert yaml.safe_load(template_text(name))["client"] == name


def test_template_quotes_the_client_name_json_style():
    assert 'client: "Acme: UK"        # shown in the report' in template_text("Acme: UK")
    assert 'client: "Shop #1"' in template_text("Shop #1")
    assert 'client: "Cửa hàng"' in template_text("Cửa hàng")
    assert r'client: "Say \"hi\""' in template_text('Say "hi"')


@pytest.mark.parametrize("name", ["Acme: UK", "Shop #1", 'Say "hi"', "Cửa hàng Hà Nội"])
def test_cli_init_writes_a_config_that_loads_with_the_same_name(folder, name):
    out = folder / "client.yaml"
    assert main(["init", name, "--out", str(out)]) == 0
    assert load_config(out).client == name


@pytest.mark.parametrize("name, slug", [
    ("Acme Corp/UK", "Acme-Corp-UK"),
    ("Shop #1", "Shop-1"),
    ("../../etc/passwd", "etc-passwd"),
    ("Cửa hàng Đông", "Cua-hang-Dong"),
    ("a.b_c-d", "a.b_c-d"),
    ("///", "client"),
])
def test_slugify(name, slug):
    assert slugify(name) == slug
    assert RunConfig(client=name, data={"customers": {"path": "x"}}).slug() == slug


def test_cli_init_names_the_file_after_a_safe_slug(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "Acme Corp/UK"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["Acme-Corp-UK.yaml"]
    assert yaml.safe_load((tmp_path / "Acme-Corp-UK.yaml").read_text())["client"] == "Acme Corp/UK"
    assert capsys.readouterr().out.startswith("wrote Acme-Corp-UK.yaml: ")
    assert main(["init", "Acme Corp/UK"]) == 2
    assert capsys.readouterr().err == "error: Acme-Corp-UK.yaml exists; choose another name or --out\n"


def test_cli_init_refuses_a_blank_name_and_an_out_under_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "  "]) == 2
    assert capsys.readouterr().err.startswith("error: seglib init: give the client's name")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["init", "acme", "--out", str(tmp_path / "notes.txt" / "acme.yaml")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'notes.txt'} exists and is not a folder; choose another --out\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert main(["init", "acme", "--out", str(tmp_path / "configs" / "acme.yaml")]) == 0
    assert (tmp_path / "configs" / "acme.yaml").is_file()


@pytest.mark.parametrize("sub", [(), ("inside",)])
def test_cli_demo_refuses_an_out_that_is_a_file(tmp_path, capsys, sub):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    assert main(["demo", "--customers", "100", "--out", str(existing.joinpath(*sub))]) == 2
    assert capsys.readouterr().err == (
        f"error: {existing} exists and is not a folder; choose a new --out\n")
    assert existing.read_text() == "mine"


def test_cli_run_refuses_an_out_that_is_a_file(folder, capsys):
    path = write_config(folder, "client: a\n" + SOURCE)
    existing = folder / "notes.txt"
    existing.write_text("mine")
    assert main(["run", str(path), "--out", str(existing)]) == 2
    assert capsys.readouterr().err == (
        f"error: {existing} exists and is not a folder; choose a new --out\n")
    assert existing.read_text() == "mine"


@pytest.mark.parametrize("customers", ["10", "0", "-5", "99"])
def test_cli_demo_refuses_too_few_customers(tmp_path, capsys, customers):
    out = tmp_path / "demo"
    assert main(["demo", "--customers", customers, "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: seglib demo: n_customers must be >= 100; got {customers}\n")
    assert not out.exists()


PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a1a3c2"
                        "d00000000049454e44ae426082")


def test_a_logo_is_resolved_against_the_config_and_must_be_an_image(folder):
    (folder / "logo.png").write_bytes(PNG_1X1)
    (folder / "logo.txt").write_text("not an image")
    base = "client: Acme\ndata:\n  customers: {path: customers.csv}\n"
    config = load_config(write_config(folder, base + "logo: logo.png\n"))
    assert config.logo == (folder / "logo.png").resolve()
    with pytest.raises(ConfigError, match=r"logo: file not found: .*nope\.png"):
        load_config(write_config(folder, base + "logo: nope.png\n"))
    with pytest.raises(ConfigError, match="logo: logo.txt is not a PNG or JPEG image"):
        load_config(write_config(folder, base + "logo: logo.txt\n"))
    assert load_config(write_config(folder, base)).logo is None


@pytest.mark.parametrize("seed", [-1, 2**32, 120_000_000_000_000_000_000_000_000_000])
def test_a_seed_numpy_cannot_take_is_refused_when_the_config_loads(tmp_path, seed):
    (tmp_path / "c.csv").write_text("customer_id\na\n")
    (tmp_path / "config.yaml").write_text(f"client: x\nseed: {seed}\n"
                                          f"data:\n  customers: {{path: c.csv}}\n")
    with pytest.raises(ConfigError, match="seed"):
        load_config(tmp_path / "config.yaml")


@pytest.mark.parametrize("make, expected", [
    (lambda d: (d / "adir").mkdir() or "adir", "is a folder, not a file"),
    (lambda d: "/dev/null", "is not a regular file (a device, a pipe or a socket)"),
    (lambda d: ((d / "l1").symlink_to(d / "l2"), (d / "l2").symlink_to(d / "l1")) and "l1",
     "is a broken or looping link"),
    (lambda d: "missing.csv", "file not found"),
])
def test_a_source_that_is_not_a_file_says_what_it_is(tmp_path, make, expected):
    target = make(tmp_path)
    (tmp_path / "config.yaml").write_text(f"client: x\ndata:\n  customers: {{path: {target}}}\n")
    with pytest.raises(ConfigError, match=f"data.customers.path: {re.escape(expected)}"):
        load_config(tmp_path / "config.yaml")


def test_a_config_that_is_a_folder_or_a_loop_is_a_config_error(tmp_path):
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="is a broken or looping link"):
        load_config(tmp_path / "l1")
    assert main(["run", str(tmp_path / "l1")]) == 2
