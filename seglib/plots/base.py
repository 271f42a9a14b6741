"""What every figure shares: the house style, stage colours, labels kept apart, safe text."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
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
    plt.rcParams["text.parse_math"] = False
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 300)  # the data dictionary is read in full


def plain_text(text: object) -> str:
    """Text from the data as matplotlib shows it: as it is (mathtext is off, see below)."""
    return str(text)


# Text from the data ("50% off $$", "$5 deal") is never mathtext: a "$" is a dollar sign, in
# every figure, also where seaborn or pandas set the labels themselves.
plt.rcParams["text.parse_math"] = False


#: Steps adjustText may take: a fixed count, never a time limit, so that the same figure
#: is drawn on a fast and a slow machine (adjustText's default stops after one second).
LABEL_STEPS = 400


def place_labels(ax: plt.Axes, texts: list, avoid_x: Iterable[float] = (),
                 avoid_y: Iterable[float] = (), *, objects=None, leader: bool = True) -> None:
    """Move ``texts`` (drawn at their anchors) apart and off the points to ``avoid``.

    ``objects``: a scatter (PathCollection) whose markers, at their drawn size, labels
    keep off too (the nine-box's bubbles).

    adjustText (a well-kept library for exactly this) pushes each label away from the
    others and from the points, keeps it inside the axes and draws a thin leader line
    to its anchor when it had to move far. Deterministic: a fixed number of steps and
    adjustText's own fixed seed.
    """
    from adjustText import adjust_text

    if not texts:
        return
    avoid_x, avoid_y = list(avoid_x), list(avoid_y)
    arrows = {"arrowprops": {"arrowstyle": "-", "color": "#888", "lw": 0.6}} if leader else {}
    adjust_text(texts, x=avoid_x or None, y=avoid_y or None, objects=objects, ax=ax,
                iter_lim=LABEL_STEPS,
                time_lim=None, expand=(1.08, 1.25), ensure_inside_axes=True,
                min_arrow_len=12, **arrows)


def overlapping_labels(fig: plt.Figure, texts: list, slack: float = 0.0) -> list[tuple[str, str]]:
    """The pairs of ``texts`` whose drawn boxes overlap (by more than ``slack`` pixels)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    pairs = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            wide = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            tall = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if wide > slack and tall > slack:
                pairs.append((a, b))
    return pairs


def wrapped(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (a long title, a legend)."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)
