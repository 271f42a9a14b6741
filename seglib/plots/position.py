"""Figures of 04_position: the perceptual map, the MDS map and each target's view."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seglib import i18n
from seglib.plots.base import place_labels, segment_colour, wrapped
from seglib.plots.base import plain_text as _mpl
from seglib.position import PerceptualMap, Positioning, _label


def _draw_biplot(ax: plt.Axes, brands: pd.DataFrame, attributes: pd.DataFrame | None,
                 our_brand: str | None, lim: float, scale: float, fontsize: float = 10,
                 faint: bool = False, marks: list[tuple[float, float]] | None = None) -> list:
    """Arrows, brand points and their labels, kept off each other by :func:`place_labels`.

    ``marks``: other points the caller draws (ideal points, white space) that labels
    keep off too. Returns the labels (matplotlib Text objects), so a caller can check them.
    """
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    texts, avoid = [], [(0.0, 0.0), *(marks or [])]
    if attributes is not None:
        for att in attributes.itertuples():
            tip = (att.dim1 * scale, att.dim2 * scale)
            ax.annotate("", xy=tip, xytext=(0, 0),
                        arrowprops={"arrowstyle": "->", "lw": 1 if faint else 1.4,
                                    "color": "#A5D6A7" if faint else "#55A868"})
            # labels keep off the arrow's shaft, not only its tip
            avoid += [(tip[0] * f, tip[1] * f) for f in np.linspace(0.15, 1.0, 8)]
            texts.append(ax.text(tip[0] * 1.1, tip[1] * 1.1, _mpl(_label(att.attribute)),
                                 color="#2E7D32", ha="center", va="center",
                                 fontsize=fontsize * 0.8, alpha=0.8 if faint else 1))
    for row in brands.itertuples():
        ours = row.brand == our_brand
        ax.scatter(row.dim1, row.dim2, s=110 if ours else 55, zorder=3,
                   color="#C44E52" if ours else "#4C72B0")
        avoid.append((row.dim1, row.dim2))
        texts.append(ax.text(row.dim1, row.dim2 + 0.07 * lim, _mpl(row.brand), ha="center",
                             va="bottom", fontsize=fontsize,
                             fontweight="bold" if ours else "normal"))
    ax.axhline(0, color="#999", lw=0.8)
    ax.axvline(0, color="#999", lw=0.8)
    place_labels(ax, texts, [x for x, _ in avoid], [y for _, y in avoid])
    return texts

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
    open_space = result.white_space[result.white_space["open"]]
    marks = [(float(r.dim1), float(r.dim2)) for r in result.ideals.itertuples()] \
        + [(float(r.dim1), float(r.dim2)) for r in open_space.itertuples()]
    _draw_biplot(ax, pmap.brands, pmap.attributes, result.our_brand, lim,
                 _arrow_scale(pmap, span), marks=marks)
    for row in open_space.itertuples():
        ax.scatter(row.dim1, row.dim2, s=1400, facecolors="none", edgecolors="#999",
                   linestyles="--", zorder=1)
    for row in result.ideals.itertuples():
        # an ideal at the centre wants what the average respondent wants: say so, not a star
        central = float(np.hypot(row.dim1, row.dim2)) < 0.08 * lim
        label = wrapped(i18n.t("plot.map.central" if central else "plot.map.ideal", locale,
                               name=_mpl(row.segment_name)), 95)
        ax.scatter(row.dim1, row.dim2, marker="*", s=120 if central else 320,
                   color=segment_colour(row.segment), edgecolor="black", zorder=4,
                   label=label, alpha=0.6 if central else 1.0)
    if not result.ideals.empty:  # below the map, never over a label
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), fontsize=8, frameon=False)
    ax.set_xlabel(i18n.t("plot.map.axis", locale, n=1,
                         share=i18n.percent(pmap.explained[0], locale, 0)))
    ax.set_ylabel(i18n.t("plot.map.axis", locale, n=2,
                         share=i18n.percent(pmap.explained[1], locale, 0)))
    ax.set_title(wrapped(i18n.t("plot.map.title", locale), 70))
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
                     fontsize=8, faint=True,
                     marks=None if ideal is None else [(ideal.dim1, ideal.dim2)])
        if ideal is not None:
            ax.scatter(ideal.dim1, ideal.dim2, marker="*", s=300, color="#F0A35E",
                       edgecolor="black", zorder=4, label="ideal point")
            ax.legend(loc="lower left", fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.suptitle("The brands as each target segment sees them (same axes as the map)")
    fig.tight_layout()
    return fig
