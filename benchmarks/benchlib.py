"""What the benchmark scripts share: child processes, peak memory, versions, results.md.

Standard library only: the children of ``bench_clv.py`` run in a peer venv without seglib.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_gb() -> float:
    """Peak resident memory of this process so far, in GB (ru_maxrss is in kB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def versions(names) -> dict[str, str]:
    """Installed versions of the named distributions (the missing ones left out)."""
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def run_child(script: str | Path, python: str, job: str, timeout: float, **options) -> dict:
    """Run ``script --child job`` in a fresh interpreter and return its JSON result.

    Options become flags: None and False are left out, True is a bare flag, a list
    gives several values. The child prints one line ``BENCH-RESULT {json}``.
    """
    command = [python, str(Path(script).resolve()), "--child", job]
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            command.append(flag)
        elif isinstance(value, list):
            command += [flag, *map(str, value)]
        else:
            command += [flag, str(value)]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=REPO, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": f"killed after {timeout:.0f} s"}
    except OSError as err:
        return {"status": "error", "detail": f"cannot start {python}: {err}"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH-RESULT "):
            return json.loads(line.removeprefix("BENCH-RESULT "))
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"status": "error", "detail": f"exit code {proc.returncode}: {' | '.join(tail)}"}


def git_state() -> str:
    """The commit measured, and whether seglib/ had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "seglib"], cwd=REPO,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head}" + (" with uncommitted changes in seglib/" if dirty else "")


def write_section(path: Path, text: str, start: str, end: str) -> None:
    """Put a script's section (between its ``start`` and ``end`` marks) into results.md.

    An earlier section of the same script is replaced; the rest of the file is kept.
    """
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if start in old and end in old:
        head, _, rest = old.partition(start)
        _, _, tail = rest.partition(end)
        new = head + text + tail
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text + "\n"
    path.write_text(new, encoding="utf-8")
