"""Figures of 04_position: the perceptual map, the MDS map and each target's view."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seglib import i18n
from seglib.plots.base import plain_text as _mpl
from seglib.plots.base import segment_colour
from seglib.position import PerceptualMap, Positioning, _label


def spread_wide_labels(x: np.ndarray, y: np.ndarray, widths: np.ndarray, min_gap: float,
                       passes: int = 30) -> np.ndarray:
    """Move labels apart vertically until none overlap; return the new y (x never moves).

    Like :func:`seglib.plots.spread_labels`, but each label has its own width:
    labels i and j overlap when less than ``(widths[i] + widths[j]) / 2`` apart
    horizontally and ``min_gap`` vertically, so a long brand name is not drawn
    over its neighbour's.
    """
    x = np.asarray(x, dtype=float)
    y = np.array(y, dtype=float)
    widths = np.asarray(widths, dtype=float)
    for _ in range(passes):
        moved = False
        for i in range(len(y)):
            for j in range(i + 1, len(y)):
                gap = abs(y[i] - y[j])
                if abs(x[i] - x[j]) >= (widths[i] + widths[j]) / 2 or gap >= min_gap - 1e-9:
                    continue
                upper, lower = (i, j) if y[i] >= y[j] else (j, i)
                y[upper] += (min_gap - gap) / 2
                y[lower] -= (min_gap - gap) / 2
                moved = True
        if not moved:
            break
    return y

def _draw_biplot(ax: plt.Axes, brands: pd.DataFrame, attributes: pd.DataFrame | None,
                 our_brand: str | None, lim: float, scale: float, fontsize: float = 10,
                 faint: bool = False) -> None:
    """Arrows, brand points and their labels, pushed apart by their drawn widths."""
    labels = []
    if attributes is not None:
        for att in attributes.itertuples():
            ax.annotate("", xy=(att.dim1 * scale, att.dim2 * scale), xytext=(0, 0),
                        arrowprops={"arrowstyle": "->", "lw": 1 if faint else 1.4,
                                    "color": "#A5D6A7" if faint else "#55A868"})
            labels.append((_label(att.attribute), att.dim1 * scale * 1.1,
                           att.dim2 * scale * 1.1, "attribute"))
    for row in brands.itertuples():
        ours = row.brand == our_brand
        ax.scatter(row.dim1, row.dim2, s=110 if ours else 55, zorder=3,
                   color="#C44E52" if ours else "#4C72B0")
        labels.append((str(row.brand), row.dim1, row.dim2 + 0.08 * lim, "brand"))
    bbox = ax.get_position()
    units_per_inch = 2 * lim / (bbox.width * ax.figure.get_figwidth())
    sizes = [fontsize * (0.8 if kind == "attribute" else 1.0) for *_, kind in labels]
    widths = [len(text) * size * 0.62 / 72 * units_per_inch + 0.05 * lim
              for (text, *_), size in zip(labels, sizes, strict=True)]
    heights = 1.5 * max(sizes) / 72 * units_per_inch
    ys = spread_wide_labels([lab[1] for lab in labels], [lab[2] for lab in labels], widths,
                            min_gap=heights)
    for (text, x, _, kind), y, size in zip(labels, ys, sizes, strict=True):
        if kind == "attribute":
            ax.text(x, y, _mpl(text), color="#2E7D32", ha="center", va="center", fontsize=size,
                    alpha=0.8 if faint else 1)
        else:
            ax.text(x, y, _mpl(text), ha="center", va="center", fontsize=size,
                    fontweight="bold" if text == str(our_brand) else "normal")
    ax.axhline(0, color="#999", lw=0.8)
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")

def _arrow_scale(pmap: PerceptualMap, span: float) -> float:
    """Arrows reach ``span`` (the farthest brand) at the longest loading."""
    longest = float(np.abs(pmap.attributes[["dim1", "dim2"]].to_numpy()).max())
    return span / max(longest, 1e-9)

def draw_map(result: Positioning | None, locale: str = "en") -> plt.Figure | None:
    """PCA biplot with the target segments' ideal points (stars) and white space (circles)."""
    if result is None:
        return None
    pmap = result.pmap
    span = float(np.abs(pmap.brands[["dim1", "dim2"]].to_numpy()).max()) or 1.0
    points = [span] + [abs(v) * 1.1 for v in result.ideals.get("dim1", [])] \
        + [abs(v) * 1.1 for v in result.ideals.get("dim2", [])]
    lim = 1.35 * max(points)
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    _draw_biplot(ax, pmap.brands, pmap.attributes, result.our_brand, lim,
                 _arrow_scale(pmap, span))
    for row in result.white_space[result.white_space["open"]].itertuples():
        ax.scatter(row.dim1, row.dim2, s=1400, facecolors="none", edgecolors="#999",
                   linestyles="--", zorder=1)
    for row in result.ideals.itertuples():
        # an ideal at the centre wants what the average respondent wants: say so, not a star
        central = float(np.hypot(row.dim1, row.dim2)) < 0.08 * lim
        label = i18n.t("plot.map.central" if central else "plot.map.ideal", locale,
                       name=_mpl(row.segment_name))
        ax.scatter(row.dim1, row.dim2, marker="*", s=120 if central else 320,
                   color=segment_colour(row.segment), edgecolor="black", zorder=4,
                   label=label, alpha=0.6 if central else 1.0)
    if not result.ideals.empty:
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_xlabel(i18n.t("plot.map.axis", locale, n=1,
                         share=i18n.percent(pmap.explained[0], locale, 0)))
    ax.set_ylabel(i18n.t("plot.map.axis", locale, n=2,
                         share=i18n.percent(pmap.explained[1], locale, 0)))
    ax.set_title(i18n.t("plot.map.title", locale))
    fig.tight_layout()
    return fig

def draw_mds(result: Positioning | None) -> plt.Figure | None:
    """The MDS map beside the PCA map (both facing the same way), brands only."""
    if result is None:
        return None
    maps = [("PCA biplot", result.pmap.brands),
            (f"Metric MDS (stress {result.mds.stress:.3f})", result.mds.brands)]
    lim = 1.3 * max(float(np.abs(b[["dim1", "dim2"]].to_numpy()).max()) for _, b in maps)
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    for ax, (title, brands) in zip(axes, maps, strict=True):
        _draw_biplot(ax, brands, None, result.our_brand, lim, 1.0)
        ax.set_title(title)
    axes[0].set_xlabel("Dimension 1")
    axes[0].set_ylabel("Dimension 2")
    axes[1].set_xlabel("MDS 1 (turned to face like the PCA map)")
    axes[1].set_ylabel("MDS 2")
    fig.tight_layout()
    return fig

def draw_segment_maps(result: Positioning | None) -> plt.Figure | None:
    """One panel for all respondents and one per target segment, on the same axes.

    Each panel shows the brands as that group rates them, the attribute arrows
    (faint) and, for a segment, its ideal point.
    """
    if result is None or result.ideals.empty:
        return None
    panels = [("All respondents", result.pmap.brands, None)]
    for row in result.ideals.itertuples():
        views = result.views[result.views["segment"] == row.segment]
        panels.append((f"{_mpl(row.segment_name)}\n({row.respondents} respondents)",
                       views[["brand", "dim1", "dim2"]], row))
    coords = np.vstack([p[1][["dim1", "dim2"]].to_numpy(dtype=float) for p in panels]
                       + [result.ideals[["dim1", "dim2"]].to_numpy(dtype=float)])
    span = float(np.abs(coords).max()) or 1.0
    lim = 1.3 * span
    scale = _arrow_scale(result.pmap, span)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5.4), squeeze=False)
    for ax, (title, brands, ideal) in zip(axes[0], panels, strict=True):
        _draw_biplot(ax, brands, result.pmap.attributes, result.our_brand, lim, scale,
                     fontsize=8, faint=True)
        if ideal is not None:
            ax.scatter(ideal.dim1, ideal.dim2, marker="*", s=300, color="#F0A35E",
                       edgecolor="black", zorder=4, label="ideal point")
            ax.legend(loc="lower left", fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.suptitle("The brands as each target segment sees them (same axes as the map)")
    fig.tight_layout()
    return fig
