"""Record this process's peak memory when it exits (a stage kernel, for the manifest).

Imported by ``seglib/__init__`` only when the runner sets ``SEGLIB_PEAK_FILE``: the
kernel then writes its peak resident set size (bytes) to that file as it shuts down.
"""

from __future__ import annotations

import atexit
import os
import resource


def _write_peak(path: str) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(str(peak))
    except OSError:
        pass  # the measure is a courtesy; never fail a stage for it


_PATH = os.environ.get("SEGLIB_PEAK_FILE")
if _PATH:
    atexit.register(_write_peak, _PATH)
