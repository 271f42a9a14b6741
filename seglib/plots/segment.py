"""Figures of 02_segment."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seglib import i18n
from seglib.plots.base import segment_colour, wrapped


def k_selection(k_table: pd.DataFrame, chosen: int, *, min_share: float | None = None,
                min_stability: float | None = None) -> plt.Figure:
    """One small panel per criterion against k, the chosen k marked, constraints dashed."""
    import seaborn as sns

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
                             max_columns: int = 14, locale: str = "en",
                             categories: dict[str, str] | None = None) -> plt.Figure:
    """Heatmap: each segment's mean minus the base's, in standard deviations.

    Features are named in the run's language (:func:`seglib.i18n.column_label`;
    ``categories``, from :meth:`RunFolder.read_categories`, spells purchase categories
    as the client did).

    At most ``max_columns`` features, those that set a segment apart most, so that
    every cell's number stays readable when the figure is printed at page width.
    """
    import seaborn as sns

    # long segment names on two lines, so the cells keep most of the page's width
    data = differences.rename(index=lambda s: wrapped(names.get(int(s), str(s)), 26))
    if data.shape[1] > max_columns:  # keep the features that set segments apart most
        keep = data.abs().max().sort_values(ascending=False).index[:max_columns]
        data = data[[c for c in data.columns if c in set(keep)]]
    data = data.rename(columns=lambda c: i18n.column_label(str(c), locale, categories))
    fig, ax = plt.subplots(figsize=(0.75 * data.shape[1] + 4.5, 0.7 * len(data) + 2.8))
    sns.heatmap(data, annot=True, fmt=".1f", cmap="RdBu_r", center=0, vmin=-2.5, vmax=2.5,
                cbar_kws={"label": i18n.t("plot.differences.bar", locale)}, ax=ax,
                annot_kws={"fontsize": 11})
    ax.set_ylabel("")
    ax.set_xlabel(i18n.t("plot.differences.x", locale))
    ax.set_title(i18n.t("plot.differences.title", locale), fontsize=12)
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
    import seaborn as sns

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
    import seaborn as sns
    from sklearn.decomposition import PCA

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
    shown = [k for k in sorted(names) if names[k] in set(frame.segment)]
    sns.scatterplot(data=frame, x="PC1", y="PC2", hue="segment", s=12, alpha=0.6, ax=ax,
                    hue_order=[names[k] for k in shown],
                    palette={names[k]: segment_colour(k) for k in shown})
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
