"""Stage 3, targeting: compare segments on what matters and pick the priority ones.

Each criterion is computed per segment from the data, scaled to 1-10 across
the segments (10 = most attractive), and combined with the config's weights
(normalised to sum to 1) into an attractiveness score. The ``top_n`` segments
by score are selected. The "New / unclassified" group is scored for reference
but never selected: too little is known about it to target it as a segment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seglib.config import DEFAULT_WEIGHTS, TARGETING_CRITERIA
from seglib.errors import ConfigError
from seglib.segment import UNCLASSIFIED
from seglib.text import md

#: criterion -> (column of the segment table, True when higher is better, meaning)
CRITERIA: dict[str, tuple[str, bool, str]] = {
    "size": ("customers", True, "number of customers in the segment"),
    "revenue": ("revenue", True, "total revenue of the segment"),
    "margin": ("margin", True, "total gross margin of the segment"),
    "margin_rate": ("margin_rate", True, "margin / revenue"),
    "revenue_per_customer": ("revenue_per_customer", True, "revenue per customer"),
    "orders_per_customer": ("orders_per_customer", True, "mean orders per customer"),
    "recency": ("mean_recency_days", False, "mean days since the last order (fewer is better)"),
}
assert tuple(CRITERIA) == TARGETING_CRITERIA  # one list, two views: keep them in step


def segment_metrics(customers: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Size, revenue, margin and behaviour per segment, from the customer table."""
    table = customers.merge(segments, on="customer_id", how="inner")
    grouped = table.groupby(["segment", "segment_name"])
    out = pd.DataFrame({"customers": grouped.size()})
    out["share"] = out["customers"] / out["customers"].sum()
    if "revenue" in table.columns:
        out["revenue"] = grouped["revenue"].sum()
        out["revenue_share"] = out["revenue"] / out["revenue"].sum()
        out["revenue_per_customer"] = out["revenue"] / out["customers"]
    if "margin" in table.columns:
        out["margin"] = grouped["margin"].sum()
        out["margin_rate"] = out["margin"] / out["revenue"].where(out["revenue"] != 0)
    if "n_orders" in table.columns:
        out["orders_per_customer"] = grouped["n_orders"].mean()
    if "recency_days" in table.columns:
        out["mean_recency_days"] = grouped["recency_days"].mean()
    return out.reset_index()


def scale_1_10(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Min-max scale to 1-10 (10 = best); all-equal values score 5.5."""
    values = values.astype("float64")
    low, high = values.min(), values.max()
    if not np.isfinite(low) or high == low:
        return pd.Series(5.5, index=values.index)
    scaled = 1 + 9 * (values - low) / (high - low)
    return scaled if higher_is_better else 11 - scaled


def available_criteria(metrics: pd.DataFrame) -> list[str]:
    """Criteria whose column the data could give (not all-missing)."""
    return [name for name, (col, _, _) in CRITERIA.items()
            if col in metrics.columns and metrics[col].notna().any()]


def effective_weights(metrics: pd.DataFrame, weights: dict[str, float] | None) -> dict[str, float]:
    """The weights to use: the config's, or the defaults limited to what the data can give.

    Raises
    ------
    ConfigError
        If a weight the config sets (above 0) is for a criterion these data cannot give.
    """
    usable = available_criteria(metrics)
    if weights is None:
        return {k: w for k, w in DEFAULT_WEIGHTS.items() if k in usable}
    wanted = {k: float(w) for k, w in weights.items() if w > 0}
    missing = [k for k in wanted if k not in usable]
    if missing:
        raise ConfigError(
            f"targeting.weights: {missing} cannot be computed from these data (no "
            f"{', '.join(CRITERIA[m][0] for m in missing)}); set their weight to 0 or remove "
            f"them. Available: {', '.join(usable)}"
        )
    return wanted


def attractiveness(metrics: pd.DataFrame, weights: dict[str, float] | None,
                   top_n: int) -> pd.DataFrame:
    """Score, rank and select segments.

    Parameters
    ----------
    metrics : DataFrame
        From :func:`segment_metrics`.
    weights : dict or None
        Criterion -> weight, normalised to sum to 1; None for the defaults.
    top_n : int
        How many segments to select (the unclassified group is never selected).

    Raises
    ------
    ConfigError
        If a weighted criterion cannot be computed from these data.
    """
    usable = available_criteria(metrics)
    wanted = effective_weights(metrics, weights)
    total = sum(wanted.values())
    out = metrics.copy()
    eligible = out["segment"] != UNCLASSIFIED
    score = pd.Series(0.0, index=out.index)
    for name in usable:
        column, higher, _ = CRITERIA[name]
        scaled = pd.Series(np.nan, index=out.index)
        scaled[eligible] = scale_1_10(out.loc[eligible, column], higher)
        out[f"{name}_score"] = scaled
        if name in wanted:
            score += wanted[name] / total * scaled.fillna(5.5)
    out["attractiveness"] = score.where(eligible)
    out["rank"] = out["attractiveness"].rank(ascending=False, method="first").astype("Int64")
    out["selected"] = eligible & (out["rank"] <= top_n)
    return out.sort_values(["rank", "segment"], na_position="last").reset_index(drop=True)


def summary_table(scored: pd.DataFrame) -> pd.DataFrame:
    """The comparison for reading: the segments' key figures, score, rank and choice."""
    columns = [c for c in ("customers", "share", "revenue_share", "revenue_per_customer",
                           "margin_rate", "orders_per_customer", "mean_recency_days",
                           "attractiveness", "rank", "selected") if c in scored.columns]
    return scored.set_index("segment_name")[columns].round(2)


def score_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Each criterion's 1-10 score per segment (10 = the most attractive segment on it)."""
    columns = [c for c in scored.columns if c.endswith("_score")]
    table = scored[scored["segment"] != UNCLASSIFIED].set_index("segment_name")[columns]
    return table.rename(columns=lambda c: c.removesuffix("_score")).round(1)


def normalised_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights as shares of their sum (zero weights dropped)."""
    total = sum(w for w in weights.values() if w > 0)
    return {k: w / total for k, w in weights.items() if w > 0}


def recommendation(scored: pd.DataFrame, weights: dict[str, float]) -> str:
    """A plain-language paragraph: which segments to target and why."""
    chosen = scored[scored["selected"]]
    top_weights = sorted(normalised_weights(weights).items(), key=lambda kv: -kv[1])[:3]
    why = ", ".join(f"{CRITERIA[k][2]} ({w:.0%})" for k, w in top_weights)
    parts = [f"Weighing {why}, the workbook recommends targeting "]
    parts.append("; ".join(
        f"**{md(row.segment_name)}** (score {row.attractiveness:.1f}/10, "
        f"{row.customers:,} customers"
        + (f", {row.revenue_share:.0%} of revenue" if "revenue_share" in scored else "") + ")"
        for row in chosen.itertuples()
    ))
    parts.append(".")
    rest = scored[~scored["selected"] & (scored["segment"] != UNCLASSIFIED)]
    if not rest.empty:
        parts.append(" Serve " + ", ".join(md(n) for n in rest["segment_name"])
                     + " with lower-cost, automated marketing.")
    return "".join(parts)


def write_outputs(scored: pd.DataFrame, run_dir: Path) -> dict[str, Path]:
    """Write ``targeting.csv`` (one row per segment)."""
    path = Path(run_dir) / "targeting.csv"
    scored.to_csv(path, index=False, float_format="%.6g")
    return {"targeting": path}


def read_targeting(run_dir: Path) -> pd.DataFrame:
    """Read the targeting table that 03_target wrote."""
    from seglib.errors import DataError

    path = Path(run_dir) / "targeting.csv"
    if not path.is_file():
        raise DataError(f"{path} not found: run 03_target first (or `seglib run` the config)")
    return pd.read_csv(path)
