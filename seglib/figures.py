"""The plots of a finished run, taken from its executed notebooks.

The stage notebooks draw every plot (``seglib.plots``); the client's report and the
deck show the same images rather than drawing them again. Each figure is named by the
notebook and the call that draws it; a figure a run did not draw (no ratings, no
history) is None.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

#: The figures the report and the deck use: name -> (notebook, the call that draws it).
FIGURES = {
    "segments_apart": ("02_segment.ipynb", "plots.standardized_differences"),
    "segment_map": ("02_segment.ipynb", "plots.segment_map"),
    "attractiveness": ("03_targeting.ipynb", "plots.attractiveness"),
    "nine_box": ("03_targeting.ipynb", "plots.plot_box"),
    "positioning_map": ("04_position.ipynb", "plots.draw_map"),
    "stages_by_segment": ("05_lifecycle.ipynb", "plots.stages_by_segment"),
}


def figure(run_dir: str | Path, key: str) -> bytes | None:
    """The PNG a stage notebook drew with the call of :data:`FIGURES` (None if none)."""
    notebook, call = FIGURES[key]
    path = Path(run_dir) / "notebooks" / notebook
    if not path.is_file():
        return None
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code" or call not in "".join(cell["source"]):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                return base64.b64decode("".join(data) if isinstance(data, list) else data)
    return None


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, for a self-contained page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
