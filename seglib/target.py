"""Stage 3, targeting: compare segments on what matters and pick the priority ones.

Each criterion is computed per segment from the data, scaled to 1-10 across
the segments (10 = most attractive), and combined with the config's weights
(normalised to sum to 1) into an attractiveness score.

The money and size criteria (size, revenue, margin, revenue per customer,
orders per customer) are scaled on a log scale: log10 of the value, then
min-max to 1-10 (a value of 0 or less scores 1). A segment with ten times the
revenue is not ten times as attractive, and on a linear scale one outlier
segment holding most of the revenue squashes every other segment to 1-2; on a
log scale equal ratios are equal steps (10x more is always the same step up).
Rates (margin rate) and recency are already on a comparable footing and stay
linear. The ``top_n`` segments
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

#: A non-selected segment with at least this share of revenue is kept, not cut back.
CARRIER_REVENUE_SHARE = 0.25

#: Criteria that are positive quantities, scaled on log10 (equal ratios = equal steps).
LOG_SCALED = frozenset({"size", "revenue", "margin", "revenue_per_customer",
                        "orders_per_customer"})


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


def scale_1_10(values: pd.Series, higher_is_better: bool = True,
               log: bool = False) -> pd.Series:
    """Min-max scale to 1-10 (10 = best); all-equal values score 5.5.

    Parameters
    ----------
    values : Series
        One criterion per segment; missing values stay missing.
    higher_is_better : bool
        False flips the scale (the lowest value scores 10).
    log : bool
        Scale log10 of the values instead (for positive quantities such as
        revenue): equal ratios become equal steps. Values of 0 or less score 1.

    Returns
    -------
    Series
        Scores from 1 to 10, same index as ``values``.
    """
    values = values.astype("float64")
    if log:
        positive = values > 0
        scaled = scale_1_10(np.log10(values.where(positive)), higher_is_better)
        level = values[positive]
        if higher_is_better and (values <= 0).any() and level.min() == level.max():
            scaled[positive] = 10.0  # the one positive level is the best there is
        return scaled.mask(values <= 0, 1.0)
    low, high = values.min(), values.max()
    if not np.isfinite(low) or high == low:
        return pd.Series(5.5, index=values.index).where(values.notna())
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
        scaled[eligible] = scale_1_10(out.loc[eligible, column], higher,
                                     log=name in LOG_SCALED)
        out[f"{name}_score"] = scaled
        if name in wanted:
            score += wanted[name] / total * scaled.fillna(5.5)
    out["attractiveness"] = score.where(eligible)
    out["rank"] = out["attractiveness"].rank(ascending=False, method="first").astype("Int64")
    out["selected"] = eligible & (out["rank"] <= top_n)
    return out.sort_values(["rank", "segment"], na_position="last").reset_index(drop=True)


def _percent(share: float) -> str:
    """A share as a percentage: whole percents, one decimal below 1%."""
    if pd.isna(share):
        return ""
    return f"{share:.1%}" if abs(share) < 0.01 and share != 0 else f"{share:.0%}"


def summary_table(scored: pd.DataFrame) -> pd.DataFrame:
    """The comparison for reading: the segments' key figures, score, rank and choice.

    At most 7 columns with plain-word headers and formatted values (text), so
    the table fits the report without a scrollbar. The share of customers is
    shown next to the count ("1,234 (12%)"); columns the data cannot give are
    left out. Read the numbers from ``targeting.csv``, not from this table.

    Returns
    -------
    DataFrame
        Indexed by segment name, in rank order (unclassified last).
    """
    def blank_if_missing(fmt):
        return lambda v: "" if pd.isna(v) else fmt(v)

    formats = {
        "customers": ("Customers", None),
        "revenue_share": ("Share of revenue", _percent),
        "revenue_per_customer": ("Revenue per customer", blank_if_missing("{:,.0f}".format)),
        "margin_rate": ("Margin rate", _percent),
        "attractiveness": ("Score (1-10)", blank_if_missing("{:.1f}".format)),
        "rank": ("Rank", blank_if_missing(lambda v: str(int(v)))),
        "selected": ("Target", lambda v: "yes" if v else ""),
    }
    table = pd.DataFrame(index=pd.Index(scored["segment_name"].tolist()))
    for column, (header, fmt) in formats.items():
        if column not in scored.columns:
            continue
        if column == "customers":
            counts = [f"{n:,.0f}" for n in scored["customers"]]
            if "share" in scored.columns:
                counts = [f"{c} ({_percent(sh)})" for c, sh in zip(counts, scored["share"],
                                                                   strict=True)]
            table[header] = counts
        else:
            table[header] = [fmt(v) for v in scored[column]]
    return table


def score_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Each criterion's 1-10 score per segment (10 = the most attractive segment on it)."""
    columns = [c for c in scored.columns if c.endswith("_score")]
    table = scored[scored["segment"] != UNCLASSIFIED].set_index("segment_name")[columns]
    table.index.name = None
    return table.rename(columns=lambda c: c.removesuffix("_score").replace("_", " ")).round(1)


def normalised_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights as shares of their sum (zero weights dropped)."""
    total = sum(w for w in weights.values() if w > 0)
    return {k: w / total for k, w in weights.items() if w > 0}


def recommendation(scored: pd.DataFrame, weights: dict[str, float]) -> str:
    """A plain-language paragraph: which segments to target and why.

    Segments not selected are told to get lower-cost, automated marketing,
    except those holding at least ``CARRIER_REVENUE_SHARE`` of revenue: they
    are not priority targets under these weights but carry the business.
    """
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
    if "revenue_share" in rest:
        carriers = rest[rest["revenue_share"] >= CARRIER_REVENUE_SHARE]
        rest = rest.drop(index=carriers.index)
        for row in carriers.itertuples():
            parts.append(f" Keep serving {md(row.segment_name)} ({row.revenue_share:.0%} of "
                         "revenue) well: it is not a priority target under these weights, but "
                         "it carries the business.")
    if not rest.empty:
        parts.append(" Serve " + ", ".join(md(n) for n in rest["segment_name"])
                     + " with lower-cost, automated marketing.")
    return "".join(parts)


def write_outputs(scored: pd.DataFrame, run_dir: Path) -> dict[str, Path]:
    """Write ``targeting.csv`` (one row per segment, numbers at full precision)."""
    path = Path(run_dir) / "targeting.csv"
    scored.to_csv(path, index=False)
    return {"targeting": path}


def read_targeting(run_dir: Path) -> pd.DataFrame:
    """Read the targeting table that 03_target wrote."""
    from seglib.errors import DataError

    path = Path(run_dir) / "targeting.csv"
    if not path.is_file():
        raise DataError(f"{path} not found: run 03_target first (or `seglib run` the config)")
    return pd.read_csv(path)
