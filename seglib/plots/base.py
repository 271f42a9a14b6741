"""What every figure shares: the house style, stage colours, labels kept apart, safe text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

STAGE_COLOURS = {"Awareness": "#C7C7C7", "Engagement & evaluation": "#9ECAE1",
                 "First purchase": "#4C9ED9", "Post-purchase / repeat": "#74C476",
                 "Loyal & advocate": "#238B45", "At risk": "#F0A35E", "Lapsed": "#C44E52"}


#: One colour per segment id, the same in every plot of a run (tab10; the unclassified
#: group, segment 0, grey).
SEGMENT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#bcbd22", "#17becf", "#7f7f7f")
UNCLASSIFIED_COLOUR = "#B0B0B0"


def segment_colour(segment: int) -> str:
    """The colour of a segment in every plot: fixed by its id, never by its rank."""
    segment = int(segment)
    return UNCLASSIFIED_COLOUR if segment == 0 else SEGMENT_COLOURS[(segment - 1) % 10]


def notebook_style() -> None:
    """House style for the notebooks: a white grid theme, full-width table cells.

    The font is DejaVu Sans, which matplotlib ships: it has every Vietnamese letter, and a
    run draws the same figures on every machine (the theme's first choice, Arial or
    Liberation Sans where installed, lacks letters such as "ạ" and "ị").
    """
    plt.style.use("seaborn-v0_8-whitegrid")
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 300)  # the data dictionary is read in full


def plain_text(text: object) -> str:
    """Text from the data, safe for matplotlib (no mathtext from a "$")."""
    return str(text).replace("$", r"\$")


def spread_labels(x: np.ndarray, y: np.ndarray, min_gap: float, width: float | None = None,
                  passes: int = 20) -> np.ndarray:
    """Move label positions apart vertically until no two overlap; return the new y.

    Two labels overlap when they are less than ``width`` apart horizontally
    (default ``2 * min_gap``: a label is wider than tall) and less than
    ``min_gap`` apart vertically. Each overlapping pair is pushed apart
    vertically, half the shortfall each, the upper one up (the earlier one on a
    tie), for at most ``passes`` sweeps. Deterministic; x never moves.

    Parameters
    ----------
    x, y : ndarray
        Label centres in data units.
    min_gap : float
        Smallest vertical distance between two labels that overlap horizontally.
    width : float, optional
        Horizontal distance below which two labels can overlap.
    passes : int
        Most sweeps over all pairs.

    Returns
    -------
    ndarray
        The label centres' new y (a copy).
    """
    x = np.asarray(x, dtype=float)
    y = np.array(y, dtype=float)
    width = 2 * min_gap if width is None else width
    tolerance = 1e-9 * max(min_gap, 1.0)
    for _ in range(passes):
        moved = False
        for i in range(len(y)):
            for j in range(i + 1, len(y)):
                gap = abs(y[i] - y[j])
                if abs(x[i] - x[j]) >= width or gap >= min_gap - tolerance:
                    continue
                push = (min_gap - gap) / 2
                upper, lower = (i, j) if y[i] >= y[j] else (j, i)
                y[upper] += push
                y[lower] -= push
                moved = True
        if not moved:
            break
    return y
