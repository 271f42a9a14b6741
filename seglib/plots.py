"""Figures for the stage notebooks and the report (seaborn on matplotlib).

Every function takes the stage's table and returns a matplotlib Figure, so a
notebook shows it with one call and tests can check what was drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.decomposition import PCA

STAGE_COLOURS = {"Awareness": "#C7C7C7", "Engagement & evaluation": "#9ECAE1",
                 "First purchase": "#4C9ED9", "Post-purchase / repeat": "#74C476",
                 "Loyal & advocate": "#238B45", "At risk": "#F0A35E", "Lapsed": "#C44E52"}


def notebook_style() -> None:
    """House style for the notebooks: seaborn's whitegrid theme, full-width table cells."""
    sns.set_theme(style="whitegrid", context="notebook")
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 300)  # the data dictionary is read in full


def rfm_distributions(customers: pd.DataFrame) -> plt.Figure | None:
    """Histograms of recency, frequency and monetary value (None without transactions)."""
    if "n_orders" not in customers:
        return None
    buyers = customers[customers["n_orders"] > 0]
    panels = [("recency_days", "Days since last order", False),
              ("n_orders", "Orders per customer (log scale)", True),
              ("revenue", "Revenue per customer (log scale)", True)]
    panels = [p for p in panels if p[0] in buyers]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (column, title, log) in zip(axes[0], panels, strict=True):
        sns.histplot(buyers[column].clip(lower=1) if log else buyers[column], ax=ax, bins=40,
                     log_scale=log, color="#4C72B0")
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("customers")
    fig.tight_layout()
    return fig


def k_selection(k_table: pd.DataFrame, chosen: int, *, min_share: float | None = None,
                min_stability: float | None = None) -> plt.Figure:
    """One small panel per criterion against k, the chosen k marked, constraints dashed."""
    panels = [("silhouette", "Silhouette (higher = better)", None),
              ("calinski_harabasz", "Calinski-Harabasz (higher = better)", None),
              ("davies_bouldin", "Davies-Bouldin (lower = better)", None),
              ("bic", "BIC (lower = better)", None),
              ("stability", "Bootstrap stability, ARI (higher = better)", min_stability),
              ("smallest_share", "Smallest segment's share", min_share),
              ("inertia", "Inertia (look for the elbow)", None)]
    panels = [p for p in panels if p[0] in k_table and k_table[p[0]].notna().any()]
    cols = 3 if len(panels) > 4 else 2
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.0 * rows), squeeze=False)
    for ax, (column, title, limit) in zip(axes.flat, panels, strict=False):
        sns.lineplot(data=k_table, x="k", y=column, marker="o", ax=ax, color="#4C72B0")
        ax.axvline(chosen, color="#C44E52", linestyle="--")
        if limit is not None:
            ax.axhline(limit, color="#888888", linestyle=":", label=f"minimum {limit:g}")
            ax.legend(fontsize=8, loc="best")
        if column == "smallest_share":
            ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("")
        ax.set_xticks(k_table["k"])
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"How many segments? (red dashes: recommended k = {chosen})", fontsize=11)
    fig.tight_layout()
    return fig


def segment_stability(table: pd.DataFrame) -> plt.Figure:
    """Bootstrap Jaccard per segment, with the 0.5 and 0.75 lines."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.4))
    colours = ["#55A868" if j >= 0.75 else "#F0A35E" if j >= 0.5 else "#C44E52"
               for j in table["jaccard"]]
    ax.barh(list(table.index)[::-1], table["jaccard"].to_numpy()[::-1], color=colours[::-1])
    ax.axvline(0.5, color="#C44E52", linestyle=":", label="below 0.5: dissolves")
    ax.axvline(0.75, color="#55A868", linestyle=":", label="above 0.75: stable")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("mean Jaccard with the best-matching segment over bootstrap resamples")
    ax.set_title("Is each segment stable?")
    fig.tight_layout()
    return fig


def standardized_differences(differences: pd.DataFrame, names: dict[int, str],
                             max_columns: int = 24) -> plt.Figure:
    """Heatmap: each segment's mean minus the base's, in standard deviations."""
    data = differences.rename(index=lambda s: names.get(int(s), str(s)))
    if data.shape[1] > max_columns:  # keep the features that set segments apart most
        keep = data.abs().max().sort_values(ascending=False).index[:max_columns]
        data = data[[c for c in data.columns if c in set(keep)]]
    data = data.rename(columns=lambda c: c.replace("_", " "))
    fig, ax = plt.subplots(figsize=(0.62 * data.shape[1] + 4, 0.55 * len(data) + 2.6))
    sns.heatmap(data, annot=True, fmt=".1f", cmap="RdBu_r", center=0, vmin=-2.5, vmax=2.5,
                cbar_kws={"label": "sd from the average"}, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_ylabel("")
    ax.set_title("What sets each segment apart (standardised difference from the base)")
    plt.setp(ax.get_xticklabels(), rotation=40, ha="right")
    fig.tight_layout()
    return fig


def dendrogram(linkage: np.ndarray, k: int) -> plt.Figure:
    """Ward dendrogram of a sample of customers, cut at k segments."""
    from scipy.cluster.hierarchy import dendrogram as draw

    fig, ax = plt.subplots(figsize=(9, 3.8))
    cut = (linkage[-k, 2] + linkage[-k + 1, 2]) / 2 if k > 1 else linkage[-1, 2]
    draw(linkage, ax=ax, truncate_mode="lastp", p=30, no_labels=True, color_threshold=cut,
         above_threshold_color="#999999")
    ax.axhline(cut, color="#C44E52", linestyle="--", label=f"cut into {k} segments")
    ax.set_ylabel("merge distance (Ward)")
    ax.set_title(f"Ward dendrogram of a sample of {len(linkage) + 1:,} customers")
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def rfm_grid(grid: pd.DataFrame) -> plt.Figure:
    """The R x F grid: customers per cell, each cell labelled with its segment."""
    counts = grid.pivot_table(index="f_score", columns="r_score", values="customers",
                              aggfunc="sum").sort_index(ascending=False)
    labels = grid.pivot_table(index="f_score", columns="r_score", values="segment",
                              aggfunc="first").reindex_like(counts)
    annot = (labels.fillna("").astype(str) + "\n"
             + counts.fillna(0).astype(int).map("{:,}".format))
    fig, ax = plt.subplots(figsize=(1.9 * counts.shape[1] + 2, 1.0 * counts.shape[0] + 1.5))
    sns.heatmap(counts.fillna(0), annot=annot, fmt="", cmap="Blues", ax=ax, cbar=False,
                annot_kws={"fontsize": 7})
    bins = grid.attrs.get("bins", int(grid["r_score"].max()))
    ax.set_xlabel(f"recency score ({bins} = bought most recently)")
    ax.set_ylabel(f"frequency score ({bins} = most orders)")
    ax.set_title("RFM segments on the recency x frequency grid (customers per cell)")
    fig.tight_layout()
    return fig


def segment_map(standardised: np.ndarray, labels: np.ndarray, names: dict[int, str],
                random_state: int = 0, max_points: int = 5000) -> plt.Figure:
    """Customers on the first two principal components of the clustering features."""
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(len(labels), size=min(max_points, len(labels)), replace=False))
    if standardised.shape[1] == 1:  # one feature: the feature itself, jittered for legibility
        xy = np.column_stack([standardised[idx, 0], rng.normal(0, 0.05, len(idx))])
        ratio = None
    else:
        pca = PCA(n_components=2, random_state=random_state).fit(standardised)
        xy = pca.transform(standardised[idx])
        ratio = pca.explained_variance_ratio_
    frame = pd.DataFrame({"PC1": xy[:, 0], "PC2": xy[:, 1],
                          "segment": [names[int(s)] for s in labels[idx]]})
    fig, ax = plt.subplots(figsize=(8, 5.5))
    sns.scatterplot(data=frame, x="PC1", y="PC2", hue="segment", s=12, alpha=0.6, ax=ax,
                    hue_order=[names[k] for k in sorted(names) if names[k] in set(frame.segment)])
    if ratio is None:  # one feature: no components, the dots are spread vertically
        ax.set_xlabel("PC1 (the one segmentation feature, standardised)")
        ax.set_ylabel("random spread, for legibility")
    else:
        ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
        ax.set_ylabel(f"PC2 ({ratio[1]:.0%} of variance)")
    ax.set_title("Customers coloured by segment")
    ax.legend(loc="best", fontsize=8, markerscale=2)
    fig.tight_layout()
    return fig


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


def stages_by_segment(table: pd.DataFrame, stages: tuple[str, ...]) -> plt.Figure:
    """Stacked bars: the lifecycle-stage mix of every segment."""
    counts = pd.crosstab(table["segment_name"], table["stage"]).reindex(
        columns=[s for s in stages if s in set(table["stage"].astype(str))], fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(shares) + 1.8))
    shares.plot(kind="barh", stacked=True, ax=ax,
                color=[STAGE_COLOURS.get(str(s), "#4C72B0") for s in shares.columns])
    ax.set_xlabel("share of the segment's customers")
    ax.set_ylabel("")
    ax.set_xlim(0, 1)
    ax.legend(title="stage", bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.set_title("Lifecycle stage by segment")
    fig.tight_layout()
    return fig
