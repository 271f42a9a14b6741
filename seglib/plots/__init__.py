"""Figures for the stage notebooks and the report, one module per stage.

Every function takes the stage's table or result and returns a matplotlib Figure,
so a notebook shows it with one call and tests can check what was drawn. The stage
modules never import this package: computing a result does not need matplotlib.
Each figure's module is imported when the figure is first asked for
(``plots.rfm_distributions`` does not import the positioning stage), and seaborn
only by the figures that use it.
"""

from __future__ import annotations

import importlib

#: Each public name and the module of this package that defines it.
_WHERE = {
    "STAGE_COLOURS": "base", "notebook_style": "base", "plain_text": "base",
    "place_labels": "base", "overlapping_labels": "base",
    "wrapped": "base",
    "rfm_distributions": "collect",
    "dendrogram": "segment", "k_selection": "segment", "rfm_grid": "segment",
    "segment_map": "segment", "segment_stability": "segment",
    "standardized_differences": "segment",
    "ZONE_COLOURS": "targeting", "attractiveness": "targeting", "clv_by_segment": "targeting",
    "plot_box": "targeting", "plot_nine_box": "targeting", "top_n_probability": "targeting",
    "draw_map": "position", "draw_mds": "position", "draw_segment_maps": "position",
    "flow_chart": "lifecycle", "stages_by_segment": "lifecycle",
    "transition_heatmap": "lifecycle",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'seglib.plots' has no attribute {name!r}")
    return getattr(importlib.import_module(f"seglib.plots.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return __all__
