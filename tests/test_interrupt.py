"""A run stopped part-way (SIGTERM, Ctrl-C) never leaves a folder that looks complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seglib.workbook import DELIVERABLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt-demo")
    subprocess.run([sys.executable, "-m", "seglib.cli", "demo", "--out", str(folder),
                    "--customers", "800"], check=True, capture_output=True)
    return folder / "config.yaml"


def _kernels_with(marker: str) -> list[int]:
    """Processes (kernels) whose environment carries ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _stop_after(config: Path, out: Path, line: str, signum: int) -> tuple[int, str]:
    """Start ``seglib run``, send ``signum`` once ``line`` is printed; exit code, stderr."""
    marker = f"SEGLIB_TEST_RUN={out.name}-{time.time_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    proc = subprocess.Popen([sys.executable, "-m", "seglib.cli", "run", str(config), "--out",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    for text in proc.stdout:
        if text.startswith(line):
            proc.send_signal(signum)
            break
    _, err = proc.communicate(timeout=120)
    deadline = time.time() + 15
    while _kernels_with(marker) and time.time() < deadline:
        time.sleep(0.5)
    assert not _kernels_with(marker), "a kernel of the stopped run is still running"
    return proc.returncode, err


@pytest.mark.parametrize("after, signum, code, stage", [
    ("[1/6]", signal.SIGTERM, 143, "segment"),
    ("[3/6]", signal.SIGINT, 130, "position"),
])
def test_a_stopped_run_says_interrupted_and_leaves_no_deliverable(demo_config, tmp_path, after,
                                                                  signum, code, stage):
    out = tmp_path / "run"
    returncode, err = _stop_after(demo_config, out, after, signum)
    assert returncode == code, err
    assert "the run was stopped" in err and "Traceback" not in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["interrupted_in"] == stage
    # the stage it stopped in says so (or it stopped between two stages); none says running
    statuses = [s["status"] for s in manifest["stages"]]
    assert "running" not in statuses and "failed" not in statuses
    assert statuses[-1] in ("interrupted", "ok")
    for name in DELIVERABLES:
        assert not (out / name).exists(), name
    assert not list(out.glob(".*.pending.*"))


def test_a_run_stopped_while_the_report_is_written_is_complete_or_has_no_report(demo_config,
                                                                               tmp_path):
    out = tmp_path / "run"
    returncode, err = _stop_after(demo_config, out, "[6/6]", signal.SIGTERM)
    manifest = json.loads((out / "manifest.json").read_text())
    present = [name for name in DELIVERABLES if (out / name).exists()]
    if manifest["status"] == "complete":  # the signal came after the last step
        assert returncode == 0 and "report.html" in present
    else:
        assert returncode == 143, err
        assert manifest["status"] == "interrupted" and manifest["interrupted_in"] == "report"
        assert present == []


def test_two_runs_into_one_folder_at_once_one_is_refused(tmp_path):
    """The claim is atomic: of runs racing into the same --out, exactly one gets it."""
    import threading

    from seglib.errors import InputError
    from seglib.workbook import _prepare_run_dir

    out = tmp_path / "run"
    results: list[str] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        try:
            _prepare_run_dir(out)
            results.append("ok")
        except InputError as err:
            results.append(str(err))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1
    assert all("choose a new --out" in r for r in results if r != "ok")


def test_two_runs_of_one_client_in_the_same_second_get_their_own_folders(tmp_path):
    from seglib.config import RunConfig
    from seglib.workbook import default_run_dir

    config = RunConfig.model_validate({"client": "Acme", "data": {
        "customers": {"path": str(tmp_path / "c.csv")}}})
    folders = {default_run_dir(config, root=tmp_path) for _ in range(5)}
    assert len(folders) == 5 and all(f.is_dir() for f in folders)
    assert len({f.parent for f in folders}) == 1


@pytest.mark.parametrize("after", ["[2/6]", "[6/6]"])
def test_a_killed_run_is_recognisably_incomplete(demo_config, tmp_path, after):
    """SIGKILL leaves no time to tidy up: the folder must still not look finished."""
    out = tmp_path / "run"
    returncode, _ = _stop_after(demo_config, out, after, signal.SIGKILL)
    manifest = json.loads((out / "manifest.json").read_text())
    present = [name for name in DELIVERABLES if (out / name).exists()]
    if manifest["status"] == "complete":  # killed after the last step
        assert "report.html" in present
    else:
        assert returncode == -signal.SIGKILL
        assert manifest["status"] == "running"  # never "complete"
        assert present == []  # pending names only, if any
