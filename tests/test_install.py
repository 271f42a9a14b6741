"""The package as a user installs it: a built wheel, a fresh venv, the declared floors.

One test, because building the venv is the cost (about a minute, most of it pip):

1. ``pip wheel`` builds the project's wheel; it must hold every module of ``seglib/``,
   the six stage notebooks (package data, ``seglib/notebooks``) and the config template.
2. A fresh virtual environment outside the checkout installs that wheel with every
   declared dependency pinned to its floor (``>=X`` becomes ``==X``), so a floor that
   the code does not really work with fails here.
3. From a folder outside the checkout, the installed ``seglib`` generates the demo and
   runs the whole chain; the manifest must record the pinned versions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from seglib.workbook import STAGES

pytestmark = pytest.mark.slow


def floors() -> dict[str, str]:
    """Each declared dependency and its floor (``pandas>=2.2`` -> ``{"pandas": "2.2"}``)."""
    found = {}
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", spec)
        assert match, f"dependency without a floor: {spec!r}"
        found[match.group(1).lower()] = match.group(2)
    return found


def _run(args: list, cwd: Path, env: dict | None = None, timeout: float = 900) -> str:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, (f"{' '.join(map(str, args))} exited {proc.returncode}:\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def test_every_imported_package_is_declared():
    """Each third-party package seglib or a notebook imports has a line in pyproject.toml."""
    import ast

    declared = set(floors())
    module_to_package = {"sklearn": "scikit-learn", "yaml": "pyyaml", "IPython": "ipython",
                         "pptx": "python-pptx", "PIL": "pillow"}
    sources = [p.read_text() for p in (ROOT / "seglib").rglob("*.py")]
    for book in (ROOT / "notebooks").glob("*.ipynb"):
        sources += ["".join(c["source"]) for c in json.loads(book.read_text())["cells"]
                    if c["cell_type"] == "code"]
    imported = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "seglib"}
    missing = {m for m in third_party if module_to_package.get(m, m).lower() not in declared}
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
    # and nothing declared that nothing uses, except what runs the notebooks or reads Excel
    runtime = {"jupyterlab", "ipykernel", "openpyxl"}
    unused = declared - {module_to_package.get(m, m).lower() for m in third_party} - runtime
    assert not unused, f"declared but never imported: {sorted(unused)}"


def test_wheel_installs_outside_the_checkout_and_runs_the_chain_on_the_floors(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels,
          ROOT], cwd=tmp_path)
    (wheel,) = wheels.glob("stp_workbook-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "seglib").rglob("*.py")}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    assert {f"seglib/notebooks/{s.notebook}" for s in STAGES} <= names
    assert "seglib/templates/config.yaml" in names

    pins = floors()
    constraints = tmp_path / "floors.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    bin_dir = venv / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--constraint", constraints, wheel], cwd=tmp_path)

    home = tmp_path / "elsewhere"   # no checkout here: the notebooks must come from the wheel
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SEGLIB_NOTEBOOKS", "PYTHONPATH",
                                                             "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    located = _run([bin_dir / "python", "-c", "import seglib.workbook as w; "
                    "print(w.notebooks_dir())"], cwd=home, env=env)
    assert Path(located.strip()).is_relative_to(venv), located
    _run([bin_dir / "seglib", "demo", "--out", "demo", "--customers", "400"], cwd=home, env=env)
    _run([bin_dir / "seglib", "run", "demo/config.yaml", "--out", "run"], cwd=home, env=env)

    run = home / "run"
    assert (run / "report.html").is_file()
    manifest = json.loads((run / "manifest.json").read_text())
    assert [s["status"] for s in manifest["stages"]] == ["ok"] * len(STAGES)
    versions = {k.lower(): v for k, v in manifest["versions"].items()}
    for name in ("pandas", "scikit-learn", "numpy", "papermill", "pyarrow", "duckdb"):
        assert versions[name].split("+")[0] == pins[name] or \
            versions[name].startswith(pins[name] + "."), (name, versions[name], pins[name])
