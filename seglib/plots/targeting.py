"""Figures of 03_targeting."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seglib import i18n
from seglib.plots.base import place_labels, segment_colour, wrapped
from seglib.targeting.portfolio import (
    _BUBBLE_AREA,
    _BUBBLE_AREA_MIN,
    NINE_BOX_STRATEGY,
    _name,
)

#: Light zone colours of the nine-box: green, amber, red.
ZONE_COLOURS = {"invest / grow": "#55A868", "selectively manage": "#F0A35E",
                "harvest / divest": "#C44E52"}

def attractiveness(scored: pd.DataFrame) -> plt.Figure:
    """Attractiveness score per segment, selected segments highlighted."""
    data = scored.dropna(subset=["attractiveness"]).sort_values("attractiveness")
    colors = ["#C44E52" if s else "#8C8C8C" for s in data["selected"]]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(data) + 1.5))
    ax.barh(data["segment_name"], data["attractiveness"], color=colors)
    for y, value in enumerate(data["attractiveness"]):
        ax.text(value + 0.1, y, f"{value:.1f}", va="center")
    ax.set_xlim(0, 10.8)
    ax.set_xlabel("attractiveness (1-10, weighted)")
    ax.set_title("Segment attractiveness (red = selected targets)")
    fig.tight_layout()
    return fig

def clv_by_segment(table: pd.DataFrame) -> plt.Figure:
    """Box plot of customer lifetime value per segment (log scale), buyers only."""
    import seaborn as sns

    data = table[table["clv"] > 0]
    order = (data.groupby("segment_name")["clv"].median().sort_values(ascending=False).index
             .tolist())
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(order) + 1.6))
    sns.boxplot(data=data, y="segment_name", x="clv", order=order, ax=ax, color="#8FBBD9",
                showfliers=False, log_scale=True)
    ax.set_xlabel("customer lifetime value over the horizon (log scale)")
    ax.set_ylabel("")
    ax.set_title("Customer lifetime value by segment")
    fig.tight_layout()
    return fig

def top_n_probability(sensitivity: pd.DataFrame, scored: pd.DataFrame, top_n: int
                      ) -> plt.Figure:
    """Share of weight draws in which each segment is among the targets."""
    names = dict(zip(scored["segment"], scored["segment_name"], strict=True))
    data = sensitivity.sort_values("p_top_n")
    colours = ["#C44E52" if f else ("#55A868" if p >= 0.8 else "#8C8C8C")
               for p, f in zip(data["p_top_n"], data["flip"], strict=True)]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(data) + 1.6))
    ax.barh([names[s] for s in data.index], data["p_top_n"], color=colours)
    for y, p in enumerate(data["p_top_n"]):
        inside = p > 0.85
        ax.text(p - 0.01 if inside else p + 0.01, y, f"{p:.0%}", va="center",
                ha="right" if inside else "left", color="white" if inside else "black")
    ax.set_xlim(0, 1.05)
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(f"share of weight draws in the top {top_n}")
    ax.set_title("How robust is the choice? (red: flips under small weight changes)")
    fig.tight_layout()
    return fig

def plot_nine_box(box: pd.DataFrame, names: Mapping[int, str], revenue: pd.Series,
                  locale: str = "en") -> plt.Figure:
    """The nine-box matrix: zones shaded, one bubble per segment sized by revenue.

    Bubble area is proportional to the segment's revenue (the largest gets
    1,800 square points; a bubble is never smaller than 20, so a segment with
    little or no revenue still shows as a dot). Labels sit right of the
    bubbles (left of them near the right edge) and are moved apart, and off the
    bubbles, by :func:`seglib.plots.place_labels` (adjustText).

    Parameters
    ----------
    box : DataFrame
        From :func:`nine_box`.
    names : mapping
        Segment id -> segment name.
    revenue : Series
        Revenue per segment id.

    Returns
    -------
    Figure
        One axes; ``ax.collections[0]`` holds the bubbles, ``ax.texts`` the labels.
    """
    from matplotlib.patches import Patch, Rectangle

    money = revenue.reindex(box.index).astype("float64").clip(lower=0).fillna(0.0)
    largest = money.max()
    share = money / largest if largest > 0 else money * 0
    sizes = (_BUBBLE_AREA * share).clip(lower=_BUBBLE_AREA_MIN)
    order = np.argsort(-sizes.to_numpy(), kind="stable")  # small bubbles drawn on top
    data = box.iloc[order]

    fig, ax = plt.subplots(figsize=(7.5, 7))
    low, high = 0.5, 10.5
    cuts = [low, 10 / 3, 20 / 3, high]
    levels = ["low", "medium", "high"]
    for i, strength_level in enumerate(levels):
        for j, attractiveness_level in enumerate(levels):
            zone = NINE_BOX_STRATEGY[(attractiveness_level, strength_level)]
            ax.add_patch(Rectangle((cuts[i], cuts[j]), cuts[i + 1] - cuts[i],
                                   cuts[j + 1] - cuts[j], facecolor=ZONE_COLOURS[zone],
                                   alpha=0.16, edgecolor="white", linewidth=2, zorder=0))
    bubbles = ax.scatter(data["strength"], data["attractiveness"], s=sizes.iloc[order],
                         color=[segment_colour(s) for s in data.index], alpha=0.8,
                         edgecolor="white", linewidth=1, zorder=2)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)

    radius = np.sqrt(sizes.iloc[order].to_numpy()) / 2 / 40  # points -> about data units
    strength = data["strength"].to_numpy()
    left = strength > 7.5  # near the right edge the label goes left of the bubble
    label_x = np.where(left, strength - radius - 0.15, strength + radius + 0.15)
    texts = []
    for seg, x, y, on_left in zip(data.index, label_x, data["attractiveness"], left,
                                  strict=True):
        text = wrapped(_name(names, seg), 34)  # "$" stays a dollar sign (mathtext is off)
        texts.append(ax.text(x, y, text, va="center", ha="right" if on_left else "left",
                             fontsize=9, zorder=3))
    place_labels(ax, texts, objects=bubbles)

    ax.set_xticks(range(1, 11))
    ax.set_yticks(range(1, 11))
    ax.grid(False)
    ax.set_xlabel(i18n.t("plot.nine_box.x", locale))
    ax.set_ylabel(i18n.t("plot.nine_box.y", locale))
    ax.set_title(i18n.t("plot.nine_box.title", locale))
    ax.legend(handles=[Patch(facecolor=c, alpha=0.35, label=i18n.t(f"strategy.{z}", locale))
                       for z, c in ZONE_COLOURS.items()],
              loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, frameon=False)
    fig.tight_layout()
    return fig

def plot_box(result, locale: str = "en"):
    """The nine-box figure, bubbles sized by revenue."""
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    has_revenue = "revenue" in result.scored
    revenue = (result.scored.set_index("segment")["revenue"] if has_revenue
               else pd.Series(1.0, index=result.box.index))
    fig = plot_nine_box(result.box, names, revenue.loc[result.box.index], locale=locale)
    if not has_revenue:
        fig.axes[0].set_title(i18n.t("plot.nine_box.title_equal", locale))
    return fig
