"""The repository's own promises: dependencies in step, clean notebooks, CI = README."""

import json
import re
import tomllib

import papermill as pm
import pytest
import yaml

from conftest import ROOT
from seglib.config import RunConfig
from seglib.workbook import COMMON_PARAMETERS, STAGES

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


CONDA_NAMES = {"duckdb": "python-duckdb"}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ ]", spec, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    python = [d for d in conda if _name(d) == "python"]
    assert python == ["python=3.11"]
    conda = sorted(d.replace(" ", "") for d in conda if _name(d) not in ("python", "pip"))
    # conda-forge names DuckDB's Python package python-duckdb; PyPI names it duckdb
    pip = [CONDA_NAMES.get(_name(d), _name(d)) + d[len(_name(d)):] for d in project["dependencies"]]
    assert conda == sorted(d.replace(" ", "") for d in pip)
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["seglib"] == "seglib.cli:main"


def test_ci_runs_the_readme_test_command_only():
    run = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in run.splitlines() if line.strip() and not line.startswith("#")
                and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_six_stage_notebooks_in_order():
    assert [p.name for p in NOTEBOOKS] == [s.notebook for s in STAGES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_parameterised(path):
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        assert not cell.get("outputs"), f"{path.name}: a cell has outputs"
        assert cell.get("execution_count") is None, f"{path.name}: execution count"
    tagged = [c for c in book["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert book["cells"][0]["cell_type"] == "markdown"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_notebook_parameters_are_the_config_section_and_its_defaults(stage):
    found = pm.inspect_notebook(str(ROOT / "notebooks" / stage.notebook))
    section = RunConfig.model_fields[stage.section].default
    expected = set(section.model_dump()) | set(COMMON_PARAMETERS[stage.name])
    assert set(found) == expected
    for key, value in section.model_dump(mode="json").items():
        assert eval(found[key]["default"]) == value, key  # noqa: S307 - our own notebook


def test_notebook_code_cells_stay_short():
    """Notebooks narrate and call: a def, a loop or more than 5 statements belongs in seglib."""
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code" or "parameters" in cell["metadata"].get("tags", []):
                continue
            lines = [ln for ln in "".join(cell["source"]).splitlines()
                     if ln.strip() and not ln.startswith(("import ", "from ", " ", ")"))]
            assert not any(ln.startswith(("def ", "for ", "while ", "class ")) for ln in lines), \
                f"{path.name}: logic in a notebook cell"
            assert len(lines) <= 5, f"{path.name}: {len(lines)} statements in one cell"
