"""Figures of 05_lifecycle: the stage mix, where customers moved, the flow."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from seglib.lifecycle import STAGES, transition_matrix
from seglib.plots.base import STAGE_COLOURS, wrapped


def stages_by_segment(table: pd.DataFrame, stages: tuple[str, ...],
                      locale: str = "en") -> plt.Figure:
    """Stacked bars: the lifecycle-stage mix of every segment."""
    from seglib import i18n

    counts = pd.crosstab(table["segment_name"], table["stage"]).reindex(
        columns=[s for s in stages if s in set(table["stage"].astype(str))], fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares.index = [wrapped(name, 30) for name in shares.index]  # long names on two lines
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(shares) + 1.8))
    colours = [STAGE_COLOURS.get(str(s), "#4C72B0") for s in shares.columns]
    shares = shares.rename(columns=lambda s: i18n.stage_name(str(s), locale))
    shares.plot(kind="barh", stacked=True, ax=ax, color=colours)
    ax.set_xlabel(i18n.t("plot.stages.x", locale))
    ax.set_ylabel("")
    ax.set_xlim(0, 1)
    ticks = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    ax.set_xticks(ticks, [i18n.percent(v, locale, 0) for v in ticks])
    ax.legend(title=i18n.t("plot.stages.legend", locale), bbox_to_anchor=(1.01, 1),
              loc="upper left")
    ax.set_title(i18n.t("plot.stages.title", locale))
    fig.tight_layout()
    return fig

def transition_heatmap(table: pd.DataFrame) -> plt.Figure | None:
    """Heatmap of the transition matrix: row shares as colour, customers as numbers."""
    import seaborn as sns

    matrix = transition_matrix(table)
    if matrix is None:
        return None
    matrix = matrix.loc[matrix.sum(axis=1) > 0]
    shares = matrix.div(matrix.sum(axis=1), axis=0)
    fig, ax = plt.subplots(figsize=(9.5, 0.6 * len(matrix) + 2.4))
    sns.heatmap(shares, annot=matrix, fmt="d", cmap="Blues", vmin=0, vmax=1, ax=ax,
                cbar_kws={"label": "share of the row's customers"}, linewidths=0.5)
    for k, stage in enumerate(matrix.index):
        ax.add_patch(Rectangle((STAGES.index(stage), k), 1, 1, fill=False, lw=1.5,
                               edgecolor="#333"))
    ax.set_xlabel("stage now")
    ax.set_ylabel("stage at the earlier cut-off")
    ax.set_title("Where customers moved (framed: stayed in the same stage)")
    ax.tick_params(axis="x", rotation=30)
    plt.setp(ax.get_xticklabels(), ha="right")
    fig.tight_layout()
    return fig

def _ribbon(ax: plt.Axes, left: tuple[float, float], right: tuple[float, float],
            colour: str) -> None:
    """One band of the flow chart from a left interval (bottom, top) to a right one."""
    x = np.linspace(0.08, 0.92, 60)
    s = (1 - np.cos(np.pi * (x - 0.08) / 0.84)) / 2  # smooth step from 0 to 1
    ax.fill_between(x, left[0] + (right[0] - left[0]) * s, left[1] + (right[1] - left[1]) * s,
                    color=colour, alpha=0.45, lw=0)

def flow_chart(table: pd.DataFrame, transition_days: int | None = None) -> plt.Figure | None:
    """Sankey-like flow: stage mix at the earlier cut-off (left) and now (right), bands between."""
    matrix = transition_matrix(table)
    if matrix is None:
        return None
    total, pad = matrix.to_numpy().sum(), matrix.to_numpy().sum() * 0.012
    left_sizes, right_sizes = matrix.sum(axis=1), matrix.sum(axis=0)
    left_top = {s: total + pad * len(STAGES) - left_sizes.loc[:s].sum() - pad * k
                for k, s in enumerate(STAGES)}
    right_top = {s: total + pad * len(STAGES) - right_sizes.loc[:s].sum() - pad * k
                 for k, s in enumerate(STAGES)}
    fig, ax = plt.subplots(figsize=(10, 6.5))
    out_used = dict.fromkeys(STAGES, 0.0)
    in_used = dict.fromkeys(STAGES, 0.0)
    for a in STAGES:
        for b in STAGES:
            n = matrix.loc[a, b]
            if n:
                lo = left_top[a] + left_sizes[a] - out_used[a]
                ro = right_top[b] + right_sizes[b] - in_used[b]
                _ribbon(ax, (lo - n, lo), (ro - n, ro), STAGE_COLOURS[a])
                out_used[a] += n
                in_used[b] += n
    for x, sizes, tops, align in ((0.0, left_sizes, left_top, "right"),
                                  (0.92, right_sizes, right_top, "left")):
        for stage in STAGES:
            if sizes[stage]:
                ax.add_patch(Rectangle((x, tops[stage]), 0.08, sizes[stage],
                                       color=STAGE_COLOURS[stage]))
                ax.text(x - 0.01 if align == "right" else x + 0.09,
                        tops[stage] + sizes[stage] / 2, f"{stage} ({sizes[stage]:,})",
                        ha=align, va="center", fontsize=9)
    ax.set_xlim(-0.45, 1.45)
    ax.set_ylim(0, (total + pad * len(STAGES)) * 1.04)
    ax.axis("off")
    before = f"{transition_days} days earlier" if transition_days else "earlier cut-off"
    ax.set_title(f"Lifecycle flow: {before} (left) to the end of the data (right)")
    fig.tight_layout()
    return fig
