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
linear. Values that differ across the segments by no more than
:data:`~seglib.targeting.portfolio.NEGLIGIBLE_SPREAD` (5%) of the largest score
5.5 for every segment: min-max scaling would otherwise make 49.2 against 48.9
days of recency a 1 against a 10.

The ``top_n`` segments by score are selected, but never every segment: with
``top_n`` at or above the number of segments the selection is capped one below
it (so at least one segment is left out and the score chooses), and the text
says so. The "New / unclassified" group is scored for reference but never
selected: too little is known about it to target it as a segment.

Without ``targeting.weights`` every criterion the data give is weighted by
:data:`seglib.config.DEFAULT_WEIGHTS` except those in
:data:`UNWEIGHTED_BY_DEFAULT` (each with its reason), so a customers file
without transactions is ranked on its revenue, revenue per customer, orders,
recency and past campaign response, not on size alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seglib.clv import HISTORICAL_METHOD, CLVResult, customer_clv
from seglib.config import COST_DEFAULTS, DEFAULT_WEIGHTS, TARGETING_CRITERIA
from seglib.errors import ConfigError
from seglib.run_folder import RunFolder
from seglib.segment import UNCLASSIFIED
from seglib.targeting.portfolio import (
    NEGLIGIBLE_SPREAD,
    NEUTRAL_SCORE,
    PLAUSIBLE_RETURN,
    roi_driver,
    tells_apart,
)
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
    "growth_customers": ("growth_customers", True,
                         "growth of buying customers, last period against the one before"),
    "growth_revenue": ("growth_revenue", True,
                       "growth of revenue, last period against the one before"),
    "clv_mean": ("clv_mean", True, "mean customer lifetime value over the horizon"),
    "clv_total": ("clv_total", True, "total customer lifetime value of the segment"),
    "cost_to_serve": ("service_effort", False,
                      "service effort per customer: support contacts x effort score (less is "
                      "better)"),
    "reachability": ("reachable_share", True,
                     "share of customers contactable by email or phone"),
    "online_share": ("online_share", True, "share of orders placed online (reachable online)"),
    "responsiveness": ("response_rate", True,
                       "share of customers who answered past campaigns (or clicked an email)"),
}
assert tuple(CRITERIA) == TARGETING_CRITERIA  # one list, two views: keep them in step

#: Columns of the customer table that record a past campaign response, in the order tried.
RESPONSE_COLUMNS = ("campaign_response", "response", "Response", "responded")

#: A non-selected segment with at least this share of revenue is kept, not cut back.
CARRIER_REVENUE_SHARE = 0.25

#: Criteria that are positive quantities, scaled on log10 (equal ratios = equal steps).
LOG_SCALED = frozenset({"size", "revenue", "margin", "revenue_per_customer",
                        "orders_per_customer", "clv_mean", "clv_total"})

#: Criteria the data may give that the default weights leave at 0, and why: each is
#: shown in the score table and can be weighted through ``targeting.weights``.
UNWEIGHTED_BY_DEFAULT: dict[str, str] = {
    "margin_rate": "a rate ignores how much is earned; the margin itself is weighted",
    "clv_total": "it is size times mean CLV, both weighted already",
    "online_share": "it says how to reach a segment, not whether it is worth reaching: "
                    "reachability counts who can be contacted",
}
assert not set(UNWEIGHTED_BY_DEFAULT) & set(DEFAULT_WEIGHTS)
assert set(UNWEIGHTED_BY_DEFAULT) | set(DEFAULT_WEIGHTS) == set(TARGETING_CRITERIA)


def segment_metrics(customers: pd.DataFrame, segments: pd.DataFrame,
                    clv: pd.DataFrame | None = None,
                    transactions: pd.DataFrame | None = None, as_of=None,
                    growth_period_days: int = 180) -> pd.DataFrame:
    """Every criterion's raw value per segment, from the customer table and the stage inputs.

    Parameters
    ----------
    customers, segments
        The customer table and the segment assignments.
    clv : DataFrame, optional
        Per-customer ``clv`` and ``p_alive`` (:func:`seglib.clv.customer_clv`): mean
        and total CLV, and for the campaign value (:func:`portfolio.campaign_roi`)
        ``active_share`` (mean chance a customer is still active, 0 without a
        purchase), ``lapse_share`` (mean chance they have lapsed, 0 without a
        purchase) and ``clv_active`` (CLV per active customer: total CLV / sum of
        ``p_alive``).
    transactions : DataFrame, optional
        The cleaned lines (``customer_id``, ``date``, ``amount``, ``line_status``):
        growth of buying customers and revenue in the last ``growth_period_days``
        before ``as_of`` against the period before.

    With ``n_orders`` the table also has ``revenue_per_order`` and (with a margin)
    ``margin_per_order``: the value of one extra order.
    """
    table = customers.merge(segments[["customer_id", "segment", "segment_name"]],
                            on="customer_id", how="inner")
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
        orders = grouped["n_orders"].sum()
        if "revenue" in table.columns:
            out["revenue_per_order"] = out["revenue"] / orders.where(orders > 0)
        if "margin" in table.columns:
            out["margin_per_order"] = out["margin"] / orders.where(orders > 0)
        out["repeat_rate"] = table.assign(
            repeat=table["n_orders"].fillna(0) >= 2).groupby(["segment", "segment_name"])[
            "repeat"].mean()
    if "recency_days" in table.columns:
        out["mean_recency_days"] = grouped["recency_days"].mean()
    if "online_share" in table.columns:
        out["online_share"] = grouped["online_share"].mean()
    if "service_contacts" in table.columns or "service_effort" in table.columns:
        effort = (table.get("service_contacts", pd.Series(1.0, index=table.index)).fillna(0)
                  * table.get("service_effort", pd.Series(1.0, index=table.index)).fillna(0))
        out["service_effort"] = effort.groupby([table["segment"], table["segment_name"]]).mean()
    reach = [c for c in ("has_email", "has_phone") if c in table.columns]
    if reach:
        flags = table[reach].fillna(False).astype(bool)
        for c in reach:
            out[f"reach_{c.removeprefix('has_')}"] = flags[c].groupby(
                [table["segment"], table["segment_name"]]).mean()
        out["reachable_share"] = flags.any(axis=1).groupby(
            [table["segment"], table["segment_name"]]).mean()
    response = next((c for c in RESPONSE_COLUMNS if c in table.columns
                     and pd.api.types.is_numeric_dtype(table[c])), None)
    if response is not None:
        out["response_rate"] = grouped[response].mean()
        out["response_source"] = f"{response} (past campaign response)"
    elif "web_email_clicks" in table.columns:  # clicks on the client's emails answer campaigns
        clicked = (table["web_email_clicks"].fillna(0) > 0).astype(float)
        out["response_rate"] = clicked.groupby([table["segment"], table["segment_name"]]).mean()
        out["response_source"] = "web_email_clicks (share of customers who clicked an email)"
    if clv is not None:
        wanted = ["customer_id", "clv"] + (["p_alive"] if "p_alive" in clv.columns else [])
        values = table[["customer_id", "segment", "segment_name"]].merge(
            clv[wanted], on="customer_id", how="left")
        by = values.groupby(["segment", "segment_name"])
        out["clv_mean"] = by["clv"].mean()
        out["clv_total"] = by["clv"].sum()
        if "p_alive" in values.columns:  # no purchase: neither active nor about to lapse
            alive = values["p_alive"]
            keys = [values["segment"], values["segment_name"]]
            out["active_share"] = alive.fillna(0).groupby(keys).mean()
            out["lapse_share"] = (1 - alive).fillna(0).groupby(keys).mean()
            alive_sum = alive.fillna(0).groupby(keys).sum()
            out["clv_active"] = out["clv_total"] / alive_sum.where(alive_sum > 0)
    out = out.reset_index()
    if transactions is not None and as_of is not None and len(transactions):
        out = out.merge(growth(transactions, segments, as_of, growth_period_days),
                        on="segment", how="left")
    return out


def growth(transactions: pd.DataFrame, segments: pd.DataFrame, as_of,
           period_days: int) -> pd.DataFrame:
    """Per segment: buying customers and revenue in the last period against the one before.

    ``growth_customers`` = customers who bought in (as_of - P, as_of] / those who
    bought in (as_of - 2P, as_of - P] - 1; ``growth_revenue`` the same for
    purchase revenue. A segment with nothing in the earlier period has no
    growth figure (blank), not an infinite one.
    """
    as_of = pd.Timestamp(as_of)
    bought = transactions[transactions["line_status"] == "purchase"]
    bought = bought.merge(segments[["customer_id", "segment"]], on="customer_id")
    period = pd.Timedelta(days=period_days)
    last = bought[(bought["date"] > as_of - period) & (bought["date"] <= as_of)]
    before = bought[(bought["date"] > as_of - 2 * period) & (bought["date"] <= as_of - period)]
    rows = {}
    for name, part in (("last", last), ("before", before)):
        g = part.groupby("segment")
        rows[f"customers_{name}"] = g["customer_id"].nunique()
        rows[f"revenue_{name}"] = g["amount"].sum()
    table = pd.DataFrame(rows).reindex(sorted(segments["segment"].unique())).fillna(0.0)
    table["growth_customers"] = (table["customers_last"]
                                 / table["customers_before"].where(table["customers_before"] > 0)
                                 - 1)
    table["growth_revenue"] = (table["revenue_last"]
                               / table["revenue_before"].where(table["revenue_before"] > 0) - 1)
    table.index.name = "segment"
    return table.reset_index()


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


def criterion_info(name: str) -> tuple[str, bool, str]:
    """(column, higher is better, meaning) of a data criterion or a manual one."""
    if name in CRITERIA:
        return CRITERIA[name]
    return (f"manual_{name}", True, f"{name.replace('_', ' ')}: a manual score from the config")


def add_manual(metrics: pd.DataFrame, manual: dict[str, dict[str, float]],
               key: str = "targeting.manual") -> pd.DataFrame:
    """Add each manual criterion's 1-10 scores (keyed by segment id or name) as a column.

    Raises
    ------
    ConfigError
        For a key that is neither a segment id nor a segment name of this run.
    """
    out = metrics.copy()
    ids = {str(s): s for s in out["segment"]}
    names = dict(zip(out["segment_name"], out["segment"], strict=True))
    for criterion, scores in manual.items():
        column = pd.Series(np.nan, index=out.index)
        for key_, score in scores.items():
            seg = ids.get(str(key_).strip(), names.get(key_))
            if seg is None:
                known = "; ".join(f"{s}: {n}" for s, n in zip(out["segment"], out["segment_name"],
                                                               strict=True))
                where = key if key != "targeting.manual" else f"{key}.{criterion}"
                raise ConfigError(f"{where}: {key_!r} is neither a segment "
                                  f"id nor a segment name of this run; the segments are {known}")
            column[out["segment"] == seg] = float(score)
        out[f"manual_{criterion}"] = column
    return out


def available_criteria(metrics: pd.DataFrame) -> list[str]:
    """Criteria whose column the data could give (not all-missing), manual ones included."""
    found = [name for name, (col, _, _) in CRITERIA.items()
             if col in metrics.columns and metrics[col].notna().any()]
    return found + [c.removeprefix("manual_") for c in metrics.columns
                    if c.startswith("manual_")]


def effective_weights(metrics: pd.DataFrame, weights: dict[str, float] | None) -> dict[str, float]:
    """The weights to use: the config's, or the defaults limited to what the data can give.

    The defaults leave out a criterion that does not tell the eligible segments
    apart (equal within :data:`~seglib.targeting.portfolio.NEGLIGIBLE_SPREAD`): it
    would add the same to every score.

    Raises
    ------
    ConfigError
        If a weight the config sets (above 0) is for a criterion these data cannot give.
    """
    usable = available_criteria(metrics)
    if weights is None:  # the defaults, without criteria equal for every segment (no say)
        eligible = metrics[metrics["segment"] != UNCLASSIFIED]
        varies = {k for k in usable if tells_apart(eligible[criterion_info(k)[0]])}
        chosen = {k: w for k, w in DEFAULT_WEIGHTS.items() if k in varies}
        return chosen or {k: w for k, w in DEFAULT_WEIGHTS.items() if k in usable}
    wanted = {k: float(w) for k, w in weights.items() if w > 0}
    missing = [k for k in wanted if k not in usable]
    if missing:
        raise ConfigError(
            f"targeting.weights: {missing} cannot be computed from these data (no "
            f"{', '.join(criterion_info(m)[0] for m in missing)}); set their weight to 0 or "
            f"remove them. Available: {', '.join(usable)}"
        )
    return wanted


def selectable(metrics: pd.DataFrame, top_n: int) -> int:
    """How many segments are selected: ``top_n``, capped one below the number of segments.

    Targeting every segment chooses none out, so with ``top_n`` at or above the
    number of eligible segments (the unclassified group left out) one segment is
    always left out; with a single segment nothing is selected.
    """
    n = int((metrics["segment"] != UNCLASSIFIED).sum())
    return max(0, min(int(top_n), n - 1))


def attractiveness(metrics: pd.DataFrame, weights: dict[str, float] | None,
                   top_n: int) -> pd.DataFrame:
    """Score, rank and select segments.

    Parameters
    ----------
    metrics : DataFrame
        From :func:`segment_metrics` (and :func:`add_manual`).
    weights : dict or None
        Criterion -> weight, normalised to sum to 1; None for the defaults.
    top_n : int
        How many segments to select (the unclassified group is never selected,
        and at least one segment is always left out: see :func:`selectable`).

    Returns
    -------
    DataFrame
        The metrics with a ``<criterion>_score`` per criterion, ``attractiveness``,
        ``rank`` and ``selected``; ``attrs`` holds ``top_n_asked``, ``top_n`` (the
        number selected) and ``default_weights``.

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
        column, higher, _ = criterion_info(name)
        scaled = pd.Series(np.nan, index=out.index)
        if name in CRITERIA:
            values = out.loc[eligible, column]
            if tells_apart(values):
                scaled[eligible] = scale_1_10(values, higher, log=name in LOG_SCALED)
            else:  # equal within NEGLIGIBLE_SPREAD: no segment is better on it
                scaled[eligible] = pd.Series(NEUTRAL_SCORE, index=values.index).where(
                    values.notna())
        else:  # a manual criterion is a 1-10 score already
            scaled[eligible] = out.loc[eligible, column]
        out[f"{name}_score"] = scaled
        if name in wanted:
            score += wanted[name] / total * scaled.fillna(NEUTRAL_SCORE)
    out["attractiveness"] = score.clip(1, 10).where(eligible)  # float noise: 0.99999...
    out["rank"] = out["attractiveness"].rank(ascending=False, method="first").astype("Int64")
    chosen = selectable(out, top_n)
    out["selected"] = eligible & (out["rank"] <= chosen)
    out = out.sort_values(["rank", "segment"], na_position="last").reset_index(drop=True)
    out.attrs.update({"top_n_asked": int(top_n), "top_n": chosen,
                      "default_weights": weights is None})
    return out


def telling_criteria(scored: pd.DataFrame, weights: dict[str, float]) -> list[str]:
    """The weighted criteria whose scores differ between the eligible segments.

    A weighted criterion on which every segment scores the same (missing counted
    as 5.5) moves no segment against another: the ranking rests on the others.
    """
    eligible = scored[scored["segment"] != UNCLASSIFIED]
    found = []
    for name, weight in weights.items():
        column = f"{name}_score"
        if weight > 0 and column in eligible:
            values = eligible[column].astype("float64").fillna(NEUTRAL_SCORE).round(9)
            if len(values) and (values != values.iloc[0]).any():
                found.append(name)
    return found


def neutral_criteria(row: pd.Series, weights: dict[str, float]) -> list[str]:
    """The weighted criteria counted at the neutral 5.5 for this segment for lack of data."""
    return [name for name, w in weights.items()
            if w > 0 and f"{name}_score" in row.index and pd.isna(row[f"{name}_score"])]


def criterion_scores(scored: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """The 1-10 scores of the eligible segments (index = segment ids), NaN -> 5.5."""
    eligible = scored[scored["segment"] != UNCLASSIFIED].set_index("segment")
    return eligible[[f"{c}_score" for c in criteria]].rename(
        columns=lambda c: c.removesuffix("_score")).fillna(NEUTRAL_SCORE)


def _percent(share: float) -> str:
    """A share as a percentage: whole percents, one decimal below 1%."""
    if pd.isna(share):
        return ""
    return f"{share:.1%}" if abs(share) < 0.01 and share != 0 else f"{share:.0%}"


def summary_table(scored: pd.DataFrame) -> pd.DataFrame:
    """The comparison for reading: the segments' key figures, score, rank and choice.

    At most 8 columns with plain-word headers and formatted values (text), so
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
        "clv_mean": ("Mean CLV", blank_if_missing("{:,.0f}".format)),
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


def score_table(scored: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Each criterion's 1-10 score (rows) per segment (columns), with its weight.

    10 = the most attractive segment on that criterion. One row per criterion so the
    table stays narrow however many criteria the data give; a missing score is blank.
    """
    columns = [c for c in scored.columns if c.endswith("_score")]
    table = scored[scored["segment"] != UNCLASSIFIED].set_index("segment_name")[columns]
    table.index.name = None
    table = table.rename(columns=lambda c: c.removesuffix("_score").replace("_", " ")).round(1)
    shown = table.T.astype(object).where(table.T.notna(), "")
    if weights is not None:
        shares = normalised_weights(weights)
        shown.insert(0, "weight", [f"{shares[c.replace(' ', '_')]:.0%}"
                                   if c.replace(" ", "_") in shares else ""
                                   for c in shown.index])
    return shown


def normalised_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights as shares of their sum (zero weights dropped)."""
    total = sum(w for w in weights.values() if w > 0)
    return {k: w / total for k, w in weights.items() if w > 0}


def recommendation(scored: pd.DataFrame, weights: dict[str, float],
                   currency: str = "") -> str:
    """A plain-language paragraph: which segments to target and why, which to serve cheaper.

    Segments not selected are told to get lower-cost, automated marketing,
    except those holding at least ``CARRIER_REVENUE_SHARE`` of revenue: they
    are not priority targets under these weights but carry the business. Where
    the data give them, each target's CLV and campaign ROI are quoted, and a
    choice that flips under small changes of the weights is flagged. The text
    also says when the ranking rests on one criterion, when a target's score
    counts criteria at the neutral 5.5 for lack of data, when ``top_n`` was
    capped so that a segment is left out, when a campaign return is above
    :data:`~seglib.targeting.portfolio.PLAUSIBLE_RETURN` (with the assumption
    behind it), and why a target in the nine-box's harvest / divest zone is
    still chosen (or where else the budget should go).
    """
    money = f" {md(currency)}" if currency else ""
    eligible = scored[scored["segment"] != UNCLASSIFIED]
    chosen = scored[scored["selected"]]
    if chosen.empty:
        if len(eligible) <= 1:
            return ("There is only one segment, so targeting has nothing to choose between "
                    "and no segment is selected: segment the customers into at least two "
                    "groups (02_segment) before choosing targets.")
        return "No segment is selected."
    shares = normalised_weights(weights)
    top_weights = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
    why = ", ".join(f"{criterion_info(k)[2]} ({w:.0%})" for k, w in top_weights)
    basis = (" (the largest of the default weights: `targeting.weights` is not set)"
             if scored.attrs.get("default_weights") else "")
    parts = [f"Weighing {why}{basis}, the workbook recommends targeting "]
    described = []
    for row in chosen.itertuples():
        facts = [f"score {row.attractiveness:.1f}/10", f"{row.customers:,} customers"]
        if "revenue_share" in scored:
            facts.append(f"{row.revenue_share:.0%} of revenue")
        if "clv_mean" in scored and pd.notna(getattr(row, "clv_mean", np.nan)):
            facts.append(f"mean CLV {row.clv_mean:,.0f}{money}")
        if "roi" in scored and pd.notna(getattr(row, "roi", np.nan)):
            flag = (f", above the plausible {PLAUSIBLE_RETURN:.0f}:1"
                    if _is_false(getattr(row, "roi_plausible", True)) else "")
            facts.append(f"a campaign returns {row.roi + 1:,.1f}{money} per 1{money} "
                         f"spent{flag}")
        described.append(f"**{md(row.segment_name)}** ({', '.join(facts)})")
    parts.append(_and(described, sep="; "))
    parts.append(".")
    telling = telling_criteria(scored, weights)
    if len(telling) == 1:
        parts.append(f" The ranking rests on one criterion, {criterion_info(telling[0])[2]}: "
                     "no other weighted criterion tells the segments apart, so the choice is "
                     "only as good as that one figure.")
    elif not telling:
        parts.append(" No weighted criterion tells the segments apart: the order is the "
                     "segment numbers', not a finding; add criteria or manual scores.")
    for _, row in chosen.iterrows():
        neutral = neutral_criteria(row, weights)
        if neutral:
            share = sum(shares.get(c, 0) for c in neutral)
            parts.append(f" {md(row['segment_name'])}'s score counts "
                         f"{_and([c.replace('_', ' ') for c in neutral])} ({share:.0%} of the "
                         "weight) at the neutral 5.5: the data have no value for it there.")
    asked = scored.attrs.get("top_n_asked")
    left = eligible[~eligible["selected"]]
    if asked is not None and asked > len(chosen) and len(left):
        parts.append(f" `targeting.top_n` asks for {asked}, but with {len(eligible)} segments "
                     "targeting that many would choose none out: the selection is capped at "
                     f"{len(chosen)}, leaving out {_and([md(n) for n in left['segment_name']])}.")
    elif len(chosen) >= len(eligible):
        parts.append(f" With top_n = {len(chosen)} every segment is a target: the score orders "
                     "them but chooses none out; lower `targeting.top_n` to choose.")
    if len(left):
        best_left = left["attractiveness"].max()
        tied = chosen[np.isclose(chosen["attractiveness"], best_left)]
        for row in tied.itertuples():
            parts.append(f" {md(row.segment_name)} is tied with a segment left out "
                         f"(score {row.attractiveness:.1f}): the choice between them is "
                         "arbitrary; add a criterion or a manual score to decide.")
    if "roi" in scored:
        for row in chosen[chosen["roi"] < 0].itertuples():
            parts.append(f" Under the campaign assumptions a campaign to {md(row.segment_name)} "
                         f"loses money (it returns {row.roi + 1:,.2f}{money} per 1{money} "
                         "spent): use a cheaper channel or a narrower list.")
        if "roi_plausible" in scored:
            for _, row in chosen[chosen["roi_plausible"].eq(False)].iterrows():
                parts.append(f" The return on {md(row['segment_name'])} is above the plausible "
                             f"{PLAUSIBLE_RETURN:.0f}:1: {roi_driver(row, currency)}. Test it on "
                             "a sample with a control group before budgeting on it.")
    if "strategy" in scored:
        for _, row in chosen[chosen["strategy"] == "harvest / divest"].iterrows():
            parts.append(_harvest_reason(row, scored, weights))
        if "strength_known" in scored:
            unknown = chosen[chosen["strength_known"].eq(False)
                             & (chosen["strategy"] != "harvest / divest")]
            for row in unknown.itertuples():
                parts.append(f" The business's strength in {md(row.segment_name)} is unknown "
                             "(no data for it and no `targeting.strength` score): its nine-box "
                             "place uses the middle, 5.5, and rests on attractiveness alone.")
    if "flip" in scored:
        shaky = chosen[chosen["flip"].fillna(False).astype(bool)]
        for row in shaky.itertuples():
            parts.append(f" The choice of {md(row.segment_name)} is fragile: it stays in the top "
                         f"{len(chosen)} in only {row.p_top_n:.0%} of small changes of the "
                         "weights; confirm the weights with the client before committing budget.")
        challengers = scored[~scored["selected"] & scored["flip"].fillna(False).astype(bool)]
        for row in challengers.itertuples():
            parts.append(f" {md(row.segment_name)} is a close challenger (in the top "
                         f"{len(chosen)} in {row.p_top_n:.0%} of weight changes).")
    rest = scored[~scored["selected"] & (scored["segment"] != UNCLASSIFIED)]
    if "revenue_share" in rest:
        carriers = rest[rest["revenue_share"] >= CARRIER_REVENUE_SHARE]
        rest = rest.drop(index=carriers.index)
        for row in carriers.itertuples():
            parts.append(f" Keep serving {md(row.segment_name)} ({row.revenue_share:.0%} of "
                         "revenue) well: it is not a priority target under these weights, but "
                         "it carries the business.")
    if not rest.empty:
        parts.append(" Serve " + _and([md(n) for n in rest["segment_name"]])
                     + " with lower-cost, automated marketing.")
    return "".join(parts)


#: Short names of the criteria for sentences (the rest: the name with spaces).
_LABELS = {"growth_customers": "growth in buying customers", "growth_revenue": "revenue growth",
           "clv_mean": "mean CLV", "clv_total": "total CLV"}


def _label(criterion: str) -> str:
    return _LABELS.get(criterion, criterion.replace("_", " "))


def _is_false(value: object) -> bool:
    """True for False (a numpy or a Python bool), not for a missing value."""
    return not pd.isna(value) and not bool(value)


def _harvest_reason(row: pd.Series, scored: pd.DataFrame, weights: dict[str, float]) -> str:
    """Why a target in the harvest / divest zone is still chosen, and what to do instead."""
    shares = normalised_weights(weights)
    highs = sorted(((shares[c] * row[f"{c}_score"], c) for c in shares
                    if f"{c}_score" in row.index and pd.notna(row[f"{c}_score"])
                    and row[f"{c}_score"] >= 7), reverse=True)[:2]
    reason = ("scoring high on " + _and([f"{_label(c)} ({row[f'{c}_score']:.0f}/10)"
                                        for _, c in highs])) if highs else \
        "being the best of the segments left, though high on no weighted criterion"
    if _is_false(row.get("strength_known", True)):
        strength = ("the business's strength there is unknown (no data for it and no "
                    "`targeting.strength` score: the box uses the middle, 5.5, as a "
                    "placeholder), so the zone comes from its attractiveness alone")
    else:
        basis = scored.attrs.get("strength_basis")
        strength = (f"the business's strength there is low ({row['strength']:.1f}/10"
                    + (f", {basis}" if basis else "") + ")")
    eligible = scored[scored["segment"] != UNCLASSIFIED]
    others = eligible[~eligible["selected"] & (eligible["strategy"] != "harvest / divest")]
    others = others.sort_values("rank")
    if len(others):
        alt = others.iloc[0]
        instead = (f"serve it at low cost and put the budget on {md(alt['segment_name'])} "
                   f"(score {alt['attractiveness']:.1f}, {alt['strategy']}) instead")
    else:
        instead = ("serve it at low cost: every segment left out is in harvest / divest too, "
                   "so no other segment is a better use of the budget")
    return (f" {md(row['segment_name'])} is a target for {reason} (score "
            f"{row['attractiveness']:.1f}/10, rank {int(row['rank'])}), but the nine-box puts "
            f"it in harvest / divest: {strength}. Keep it as a target only with a plan to build "
            f"that strength (offers that bring its customers back more often); without one, "
            f"{instead}.")


def _and(items: list[str], sep: str = ", ") -> str:
    """"a, b and c" (or "a; b and c")."""
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + " and " + items[-1]


def write_outputs(result: Targeting | pd.DataFrame, run: RunFolder | Path,
                  segments: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``targeting.csv`` (one row per segment) and ``clv.parquet`` (one per customer).

    ``run`` must be the :class:`RunFolder` the segments were read through: the files
    are stamped with that segmentation. The money is what :func:`target_segments`
    priced in the currency it was given (the notebook passes the run's).
    """
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    scored = result if isinstance(result, pd.DataFrame) else result.scored
    clv = None
    if isinstance(result, Targeting) and result.clv is not None:
        clv = result.clv.table
        if segments is not None:
            clv = clv.merge(segments[["customer_id", "segment", "segment_name"]],
                            on="customer_id", how="left")
    written = run.write_targeting(scored, clv)
    return {"targeting": written["targeting.csv"],
            **({"clv": written["clv.parquet"]} if "clv.parquet" in written else {})}


# --------------------------------------------------------------------------- the stage


@dataclass
class Targeting:
    """Everything the targeting stage found, for the notebook and the run folder."""

    scored: pd.DataFrame                 # one row per segment: criteria, scores, choice
    weights: dict[str, float]            # the weights used (not normalised)
    clv: CLVResult | None
    sensitivity: pd.DataFrame | None
    box: pd.DataFrame
    strength_source: str
    roi: pd.DataFrame | None
    service: pd.DataFrame | None
    keep_vs_win: dict | None
    settings: dict = field(default_factory=dict)
    params: object = None                # the targeting section, for pricing (see price)
    costs: dict | None = None            # the costs used (ROIConfig.costs) and their source


#: The columns of the transaction lines the growth criteria need.
LINE_COLUMNS = ["customer_id", "date", "amount", "line_status"]

#: Columns :func:`price` adds to the targeting table (dropped first when it prices again).
MONEY_COLUMNS = ("order_margin", "main_channel", "main_channel_cost", "contact_cost",
                 "setup_cost", "campaign_cost", "at_risk_reached", "active_reached",
                 "kept_customers", "extra_orders", "value_kept", "value_orders",
                 "expected_value", "roi", "return_per_spent", "roi_plausible",
                 "value_per_service_hour")


def target_segments(customers: pd.DataFrame, segments: pd.DataFrame, params, *,
                    transactions: pd.DataFrame | None = None, as_of=None,
                    random_state: int = 0, currency: str | None = None) -> Targeting:
    """The whole targeting stage: CLV, criteria, score, sensitivity, nine-box and ROI.

    ``params`` is the validated ``targeting`` section
    (:class:`seglib.config.TargetingConfig`). ``currency`` is the run's currency: the
    costs ``targeting.roi`` leaves out are its defaults
    (:data:`seglib.config.COST_DEFAULTS`). Without it (None) only the config's own
    costs are used, and :func:`write_outputs` prices the result again in the run
    folder's currency.

    The weight test (:func:`~seglib.targeting.portfolio.weight_sensitivity`) is
    run only when at least two weighted criteria tell the segments apart: with one,
    every weighting gives the same ranking and a "robust (100%)" would be automatic.
    """
    from seglib.targeting import portfolio

    clv_result = None
    if "clv_T" in customers.columns:  # a customers-only run has no purchase history
        clv_result = customer_clv(customers, **params.clv.model_dump())
    metrics = segment_metrics(customers, segments,
                              None if clv_result is None else clv_result.table, transactions,
                              as_of, params.growth_period_days)
    metrics = add_manual(metrics, params.manual)
    weights = effective_weights(metrics, params.weights)
    scored = attractiveness(metrics, params.weights, params.top_n)
    attrs = dict(scored.attrs)
    top_n = attrs["top_n"]
    telling = telling_criteria(scored, weights)
    sensitivity = None
    eligible = scored["segment"] != UNCLASSIFIED
    if params.sensitivity_draws and 1 <= top_n < eligible.sum() and len(telling) >= 2:
        sensitivity = portfolio.weight_sensitivity(
            criterion_scores(scored, list(weights)), weights, top_n,
            draws=params.sensitivity_draws, concentration=params.sensitivity_concentration,
            random_state=random_state)
        scored = scored.merge(sensitivity[["p_top_n", "flip"]], left_on="segment",
                              right_index=True, how="left")
    by_id = scored[eligible].set_index("segment")
    basis = None
    if params.strength:
        strength = add_manual(scored[["segment", "segment_name"]],
                              {"strength": params.strength}, key="targeting.strength"
                              ).set_index("segment")[
            "manual_strength"].loc[by_id.index]
        strength_source = "the config (targeting.strength)"
        basis = "from targeting.strength"
        missing = by_id.loc[strength.isna(), "segment_name"].tolist()
        if missing:
            strength_source += (f"; no score for {', '.join(missing)}: strength unknown there, "
                                "placed at the middle (5.5)")
    elif {"repeat_rate", "orders_per_customer"} & set(by_id.columns):
        strength = portfolio.strength_proxy(by_id)
        measures = [m.replace("_", " ") for m in strength.attrs.get("measures", [])]
        if measures:
            basis = f"from {_and(measures)}, a share-of-wallet proxy"
            strength_source = (f"a share-of-wallet proxy from the data ({_and(measures)}, "
                               "scaled 1-10)")
            same = [c.replace("_", " ") for c in ("repeat_rate", "orders_per_customer")
                    if c in by_id.columns and c.replace("_", " ") not in measures]
            if same:
                strength_source += (f"; {_and(same)} is the same in every segment and says "
                                    "nothing about strength")
        else:
            strength_source = ("nothing: repeat rate and orders per customer are the same in "
                               "every segment, so the strength is unknown and every segment "
                               "sits at 5.5; give `targeting.strength` scores to place them")
    else:  # no purchase history and no scores: every segment in the middle column
        strength = pd.Series(np.nan, index=by_id.index, name="strength")
        strength_source = ("nothing: the run has no purchase history and the config no "
                           "targeting.strength scores, so the strength is unknown and every "
                           "segment sits at 5.5; give the scores to place them")
    known = strength.notna()
    box = portfolio.nine_box(by_id["attractiveness"], strength.fillna(NEUTRAL_SCORE))
    box["strength_known"] = known.reindex(box.index).fillna(False).astype(bool)
    scored = scored.merge(box[["strength", "strength_known", "box", "strategy"]],
                          left_on="segment", right_index=True, how="left")
    attrs["strength_basis"] = basis
    scored.attrs.update(attrs)
    result = Targeting(scored=scored, weights=weights, clv=clv_result, sensitivity=sensitivity,
                       box=box, strength_source=strength_source, roi=None, service=None,
                       keep_vs_win=None,
                       settings={"top_n": top_n, "top_n_asked": params.top_n,
                                 "telling": telling,
                                 "default_weights": params.weights is None,
                                 "response_uplift": params.roi.response_uplift,
                                 "retention_uplift": params.roi.retention_uplift},
                       params=params)
    return price(result, currency)


def price(result: Targeting, currency: str | None) -> Targeting:
    """Add the money to a targeting result: campaign return, service hour, keep-versus-win.

    The costs are ``targeting.roi``'s, else the defaults of ``currency``
    (:meth:`seglib.config.ROIConfig.costs`). Without a cost per contact (a currency
    without defaults, or none known) the campaign return is not computed and
    :func:`money_text` names the keys to set; without a service-hour cost the
    service-hour ranking is still made (it needs no cost). ``result`` is updated in
    place (and returned); pricing again replaces the earlier figures.
    """
    from seglib.targeting import portfolio

    params = result.params
    scored = result.scored.drop(columns=[c for c in MONEY_COLUMNS if c in result.scored])
    attrs = dict(result.scored.attrs)
    result.roi = result.service = result.keep_vs_win = None
    result.settings["currency"] = currency
    costs = params.roi.costs(currency)
    costs["currency"] = currency
    result.costs = costs
    clv_result = result.clv
    eligible = scored["segment"] != UNCLASSIFIED
    if clv_result is not None:
        if "margin_per_order" in scored:
            scored["order_margin"] = scored["margin_per_order"]
        elif "revenue_per_order" in scored:
            scored["order_margin"] = scored["revenue_per_order"] * clv_result.margin
        if costs["cost_per_contact"] is not None and "clv_active" in scored:
            roi = portfolio.campaign_roi(scored[eligible].set_index("segment"),
                                         cost_per_contact=costs["cost_per_contact"],
                                         retention_uplift=params.roi.retention_uplift,
                                         response_uplift=params.roi.response_uplift,
                                         setup_cost=costs["campaign_setup_cost"] or 0.0,
                                         margin_rate=None)
            result.roi = roi
            shown = [c for c in MONEY_COLUMNS if c in roi.columns and c != "order_margin"]
            scored = scored.merge(roi[shown], left_on="segment", right_index=True, how="left")
        if "service_effort" in scored:
            service = portfolio.service_hour_value(scored[eligible].set_index("segment"),
                                                   hour_cost=costs["service_hour_cost"])
            result.service = service
            scored = scored.merge(service[["value_per_service_hour"]], left_on="segment",
                                  right_index=True, how="left")
        buyers = clv_result.table.loc[clv_result.table["clv"] > 0, "clv"]
        retention = params.roi.retention_cost
        if retention is None and params.roi.acquisition_cost is not None:
            retention = params.roi.acquisition_cost / params.roi.acquisition_multiplier
        if retention is not None and len(buyers):
            result.keep_vs_win = portfolio.retention_vs_acquisition(
                float(buyers.mean()), retention_cost=retention,
                acquisition_multiplier=params.roi.acquisition_multiplier)
    scored.attrs.update(attrs)
    result.scored = scored
    return result


def clv_text(result: CLVResult | None, currency: str = "") -> str:
    """How CLV was computed, in words (the fallback labelled as such)."""
    if result is None:
        return ("*No customer lifetime value: neither model could be fitted. BG/NBD (repeat "
                "purchases and drop-out) and Gamma-Gamma (spend per purchase) need each "
                "customer's dated purchases, and the run has no transactions "
                "(data.transactions); a customers file's totals (orders, spend, recency) do "
                "not give the timing of each purchase. Targeting ranks on those totals "
                "instead.*")
    s = result.settings
    money = f" {md(currency)}" if currency else ""
    source = (f"from {result.margin_source}" if not result.margin_source.startswith("none")
              else "no margin data: CLV is discounted revenue")
    head = (f"Customer lifetime value over the next **{s['horizon_months']} months**, "
            f"discounted at {s['yearly_discount']:.0%} a year, margin {result.margin:.0%} "
            f"({md(source)}).")
    if result.method == HISTORICAL_METHOD:
        return (head + f" **Historical CLV** (not the models): {md(result.reason)}. It is the "
                "customer's margin per month so far (over at least 12 months of tenure), times "
                "the chance they are still a customer (the observed monthly retention, "
                f"{s.get('monthly_retention', float('nan')):.1%}, to the power of the months "
                "since their last purchase), kept month by month over the horizon with the "
                "same retention, discounted. Every CLV quoted below is this historical one.")
    p = result.bgnbd.params_
    text = (head + f" **BG/NBD** (repeat purchases and drop-out), fitted by maximum likelihood: "
            f"r = {p['r']:.3g}, alpha = {p['alpha']:.3g}, a = {p['a']:.3g}, b = {p['b']:.3g}.")
    if result.gamma_gamma is not None:
        g = result.gamma_gamma.params_
        text += (f" **Gamma-Gamma** (spend per purchase): p = {g['p']:.3g}, q = {g['q']:.3g}, "
                 f"v = {g['v']:.3g}.")
    else:
        note = s.get("spend_note", "")
        text += " " + md(note[:1].upper() + note[1:]) + "."
    table = result.table[result.table["clv"] > 0]
    text += (f" Mean CLV of the buyers: {table['clv'].mean():,.0f}{money}; median "
             f"{table['clv'].median():,.0f}{money}.")
    return text


# --------------------------------------------------------------------------- reading


def weights_text(result: Targeting) -> str:
    """The weights used, as shares of the score, and what they leave out.

    Says whether they are the defaults, which criteria the data give that carry
    no weight (and why), when the ranking rests on one criterion, and when
    ``top_n`` was capped so that a segment is left out.
    """
    shares = normalised_weights(result.weights)
    defaults = result.settings.get("default_weights", False)
    head = ("Weights used (the defaults, as `targeting.weights` is not set; share of the "
            "score): " if defaults else "Weights used (share of the score): ")
    text = head + ", ".join(
        f"{md(k.replace('_', ' '))} {w:.0%}" for k, w in sorted(shares.items(),
                                                               key=lambda kv: -kv[1])) + "."
    eligible = result.scored[result.scored["segment"] != UNCLASSIFIED]
    unweighted = []
    for name in available_criteria(result.scored):
        if name in shares or name not in CRITERIA:
            continue
        column = CRITERIA[name][0]
        if not tells_apart(eligible[column]):
            unweighted.append(f"{name.replace('_', ' ')} (the segments differ by "
                              f"{NEGLIGIBLE_SPREAD:.0%} or less on it)")
        elif defaults and name in UNWEIGHTED_BY_DEFAULT:
            unweighted.append(f"{name.replace('_', ' ')} ({UNWEIGHTED_BY_DEFAULT[name]})")
        elif defaults:
            unweighted.append(f"{name.replace('_', ' ')}")
        else:
            unweighted.append(f"{name.replace('_', ' ')} (not in `targeting.weights`)")
    if unweighted:
        text += " Shown but not weighted: " + "; ".join(unweighted) + "."
    telling = result.settings.get("telling")
    if telling is not None and len(telling) == 1:
        text += (f" **The ranking rests on one criterion, {md(telling[0].replace('_', ' '))}**: "
                 "no other weighted criterion tells the segments apart.")
    asked, chosen = result.settings.get("top_n_asked"), result.settings.get("top_n")
    if asked is not None and chosen is not None and asked > chosen:
        if chosen == 0:
            text += (" There is only one segment: nothing to choose between, so none is "
                     "selected.")
        else:
            text += (f" `targeting.top_n` is {asked}, but there are only {len(eligible)} "
                     f"segments: {chosen} {'is' if chosen == 1 else 'are'} selected so that at "
                     "least one is left out (targeting every segment would choose none).")
    for column in [c for c in eligible.columns if c.startswith("manual_")]:
        missing = eligible.loc[eligible[column].isna(), "segment_name"].tolist()
        if missing:
            name = column.removeprefix("manual_")
            text += (f" No `{md(name)}` score for {', '.join(md(m) for m in missing)}: counted "
                     "as a neutral 5.5.")
    return text


def clv_by_segment(result: Targeting, segments: pd.DataFrame) -> pd.DataFrame | None:
    """Per-customer CLV with the segment name, buyers only (None without transactions)."""
    if result.clv is None:
        return None
    table = result.clv.table.merge(segments[["customer_id", "segment", "segment_name"]],
                                   on="customer_id")
    return table[table["clv_method"] != "no purchase"]


def sensitivity_summary(result: Targeting) -> str:
    """Which choices are robust to the weights and which flip, in words.

    With one weighted criterion telling the segments apart there is nothing to
    test (every weighting gives the same ranking): the text says the ranking rests
    on that criterion instead of printing an automatic "robust (100%)". A target
    ahead of every other segment on every weighted criterion is named as such:
    no weighting can put it behind.
    """
    from seglib.targeting import portfolio

    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    telling = result.settings.get("telling")
    if result.sensitivity is None:
        if telling is not None and len(telling) <= 1:
            return portfolio.sensitivity_text(None, names, telling)
        return ("*Not computed: `sensitivity_draws` is 0, or there are no more segments than "
                "targets.*")
    text = portfolio.sensitivity_text(result.sensitivity, names, telling)
    if telling:
        eligible = result.scored[result.scored["segment"] != UNCLASSIFIED].set_index("segment")
        scores = eligible[[f"{c}_score" for c in telling]].astype("float64").fillna(
            NEUTRAL_SCORE)
        for segment in eligible.index[eligible["selected"].astype(bool)]:
            others = scores.drop(index=segment)
            if len(others) and (scores.loc[segment] >= others.max()).all():
                text += (f" {md(names[segment])} is ahead of every other segment on every "
                         "weighted criterion, so no weighting can put it behind: its share "
                         "is certain, not a test of the weights.")
    return text


def box_table(result: Targeting) -> pd.DataFrame:
    """The nine-box position and strategy of every segment."""
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    table = result.box.sort_values("attractiveness", ascending=False).rename(index=names)[
        ["attractiveness", "strength", "box", "strategy"]]
    table.index.name = None
    return table.round(1)


def box_text(result: Targeting) -> str:
    """Where the business's strength comes from, and where it is unknown."""
    text = f"Business strength in each segment comes from {md(result.strength_source)}."
    scored = result.scored
    if "strength_known" in scored:
        unknown = scored[(scored["segment"] != UNCLASSIFIED)
                         & scored["strength_known"].eq(False)]
        if len(unknown) and not result.strength_source.startswith("nothing"):
            text += (" Strength is unknown for " + _and([md(n) for n in unknown["segment_name"]])
                     + ": placed at the middle (5.5), so the box there reads attractiveness "
                     "alone.")
    return text


def _cost_words(costs: dict, currency: str) -> str:
    """The costs used and where they come from, in words (one sentence)."""
    from seglib.targeting.portfolio import _money

    money = f" {md(currency)}" if currency else ""
    contact = _and([f"{channel} {_money(value)}" for channel, value in
                    costs["cost_per_contact"].items()]) + money
    setup = costs.get("campaign_setup_cost")
    words = f"Costs: {contact} per contact"
    words += (f", and {_money(setup)}{money} to set up each campaign" if setup
              else ", and no set-up cost (`targeting.roi.campaign_setup_cost` is not set)")
    defaulted = [k for k in costs.get("defaulted", []) if k != "service_hour_cost"]
    code = (costs.get("currency") or "").strip().upper()
    if defaulted:
        words += (f"; these are the {md(code)} defaults: set "
                  + _and([f"`targeting.roi.{k}`" for k in defaulted])
                  + " to the client's own costs")
    words += "."
    odd = _foreign_costs(costs, code)
    if odd:
        words += (" " + _and(odd) + f": far from what this costs in {md(code)}; are these "
                  "costs in another currency?")
    return words


def _foreign_costs(costs: dict, code: str) -> list[str]:
    """The given costs 100 times below or above the currency's default (another currency?)."""
    defaults = COST_DEFAULTS.get(code)
    if not defaults:
        return []
    given = {f"{channel} {_money_words(value)}": (value, defaults["cost_per_contact"].get(channel))
             for channel, value in (costs.get("cost_per_contact") or {}).items()
             if "cost_per_contact" not in costs.get("defaulted", [])}
    setup = costs.get("campaign_setup_cost")
    if setup and "campaign_setup_cost" not in costs.get("defaulted", []):
        given[f"a set-up cost of {_money_words(setup)}"] = (setup,
                                                            defaults["campaign_setup_cost"])
    return [f"{label} {md(code)}" for label, (value, default) in given.items()
            if default and value > 0 and not 0.01 <= value / default <= 100]


def _money_words(value: float) -> str:
    from seglib.targeting.portfolio import _money

    return _money(value)


def _missing_costs_text(costs: dict | None) -> str:
    """Why the campaign return was not computed: the costs it needs, by key."""
    currency = None if costs is None else costs.get("currency")
    known = ", ".join(COST_DEFAULTS)
    if currency is None:
        why = ("the currency of the run is not known here (pass `currency` to "
               "`target_segments`)")
    elif not currency.strip():
        why = "the run has no `currency`"
    else:
        why = f"there are no default costs in {md(currency)}"
    return ("*The campaign return is not computed: the costs are in the run's currency and "
            f"{why}. Set `targeting.roi.cost_per_contact` (and `campaign_setup_cost`, "
            "`service_hour_cost`) in the client's currency, or set `currency` to one with "
            f"defaults ({known}).*")


def roi_table(result: Targeting) -> pd.DataFrame | None:
    """Campaign cost, added value and return per segment; value per service hour.

    A return above :data:`~seglib.targeting.portfolio.PLAUSIBLE_RETURN` is marked in
    the "check" column (:func:`money_text` says what drives it).
    """
    if result.roi is None:
        return None
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    table = result.roi.rename(index=names)
    columns = {"reach": "reachable", "campaign_cost": "campaign cost",
               "kept_customers": "customers kept", "extra_orders": "extra orders",
               "expected_value": "added margin", "roi": "net return per 1 spent"}
    shown = table[[c for c in columns if c in table]].rename(columns=columns)
    if "roi_plausible" in table:
        shown["check"] = [f"above {PLAUSIBLE_RETURN:.0f}:1" if _is_false(ok) else ""
                          for ok in table["roi_plausible"]]
    if result.service is not None:
        shown["value per service hour"] = result.service.rename(index=names)[
            "value_per_service_hour"]
    shown.index.name = None
    formats = {"reachable": "{:.0%}", "campaign cost": "{:,.2f}",
               "customers kept": "{:,.1f}", "extra orders": "{:,.1f}",
               "added margin": "{:,.0f}", "net return per 1 spent": "{:,.1f}",
               "value per service hour": "{:,.0f}"}
    for column, fmt in formats.items():
        if column in shown:
            shown[column] = [fmt.format(v) if pd.notna(v) else "" for v in shown[column]]
    return shown


def money_text(result: Targeting, currency: str = "") -> str:
    """The service-hour answer, keep-versus-win and the campaign assumptions, in words.

    Names the costs used (and when they are a currency's defaults), flags every
    return above :data:`~seglib.targeting.portfolio.PLAUSIBLE_RETURN` with the
    assumption that drives it, and says which keys to set when the costs are
    missing.
    """
    from seglib.targeting import portfolio

    parts = []
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    if result.service is not None:
        parts.append(portfolio.service_hour_text(result.service, names))
    elif result.clv is not None:
        parts.append("*No service data (data.service): the service-hour comparison needs "
                     "support contacts and their effort scores.*")
    money = f" {md(currency)}" if currency else ""
    if result.keep_vs_win is not None:
        k = result.keep_vs_win
        parts.append(
            f"Keeping a customer costs {k['retention_cost']:,.2f}{money}; winning a new one "
            f"{k['acquisition_cost']:,.2f}{money}. Against a mean CLV of "
            f"{k['clv_mean']:,.2f}{money}, a kept customer returns {k['retention_payback']:,.1f} "
            f"times its cost and a new one {k['acquisition_payback']:,.1f} times: every customer "
            f"kept instead of replaced saves {k['saving_per_customer']:,.2f}{money}.")
    elif result.clv is not None:
        parts.append("*Set `targeting.roi.retention_cost` (or `acquisition_cost`) to compare "
                     "keeping a customer with winning a new one (by default keeping costs a "
                     "fifth).*")
    if result.clv is None:
        parts.append("*No customer lifetime value (no transactions): the campaign return, the "
                     "service hour and keep-versus-win need it.*")
    elif result.roi is None:
        parts.append(_missing_costs_text(result.costs))
    else:
        s = result.settings
        parts.append(
            f"*The campaign figures count only the margin a campaign adds: "
            f"{s.get('retention_uplift', np.nan):.0%} of the reached customers likely to lapse "
            "are kept (`targeting.roi.retention_uplift`), each worth the lifetime value of an "
            f"active customer of the segment, and {s.get('response_uplift', np.nan):.0%} of "
            "the reached active customers order once more (`targeting.roi.response_uplift`), "
            "each order worth its margin; against the cost of contacting everyone reachable "
            f"and of setting the campaign up. {_cost_words(result.costs, currency)} Check the "
            "uplifts with a test group.*")
        roi = result.roi
        for segment, row in roi[roi["roi_plausible"].eq(False)].iterrows():
            parts.append(f"A campaign to {md(names.get(segment, segment))} returns "
                         f"{row['return_per_spent']:,.1f}{money} per 1{money} spent, above the "
                         f"plausible {PLAUSIBLE_RETURN:.0f}:1: {roi_driver(row, currency)}. "
                         "Test it on a sample with a control group before budgeting on it.")
    return "\n\n".join(p for p in parts if p)
