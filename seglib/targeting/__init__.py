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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seglib.clv import HISTORICAL_METHOD, CLVResult, customer_clv
from seglib.config import DEFAULT_WEIGHTS, TARGETING_CRITERIA
from seglib.errors import ConfigError
from seglib.run_folder import RunFolder
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
        Per-customer ``clv`` (:func:`seglib.clv.customer_clv`): mean and total CLV.
    transactions : DataFrame, optional
        The cleaned lines (``customer_id``, ``date``, ``amount``, ``line_status``):
        growth of buying customers and revenue in the last ``growth_period_days``
        before ``as_of`` against the period before.
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
        values = table[["customer_id", "segment", "segment_name"]].merge(
            clv[["customer_id", "clv"]], on="customer_id", how="left")
        by = values.groupby(["segment", "segment_name"])["clv"]
        out["clv_mean"] = by.mean()
        out["clv_total"] = by.sum()
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

    Raises
    ------
    ConfigError
        If a weight the config sets (above 0) is for a criterion these data cannot give.
    """
    usable = available_criteria(metrics)
    if weights is None:  # the defaults, without criteria equal for every segment (no say)
        eligible = metrics[metrics["segment"] != UNCLASSIFIED]
        varies = {k for k in usable if _varies(eligible[criterion_info(k)[0]])}
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


def _varies(values: pd.Series) -> bool:
    known = values.dropna().astype(float).round(12)
    return bool(len(known)) and bool((known != known.iloc[0]).any())


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
        column, higher, _ = criterion_info(name)
        scaled = pd.Series(np.nan, index=out.index)
        if name in CRITERIA:
            scaled[eligible] = scale_1_10(out.loc[eligible, column], higher,
                                         log=name in LOG_SCALED)
        else:  # a manual criterion is a 1-10 score already
            scaled[eligible] = out.loc[eligible, column]
        out[f"{name}_score"] = scaled
        if name in wanted:
            score += wanted[name] / total * scaled.fillna(5.5)
    out["attractiveness"] = score.where(eligible)
    out["rank"] = out["attractiveness"].rank(ascending=False, method="first").astype("Int64")
    out["selected"] = eligible & (out["rank"] <= top_n)
    return out.sort_values(["rank", "segment"], na_position="last").reset_index(drop=True)


def criterion_scores(scored: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """The 1-10 scores of the eligible segments (index = segment ids), NaN -> 5.5."""
    eligible = scored[scored["segment"] != UNCLASSIFIED].set_index("segment")
    return eligible[[f"{c}_score" for c in criteria]].rename(
        columns=lambda c: c.removesuffix("_score")).fillna(5.5)


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
    choice that flips under small changes of the weights is flagged.
    """
    money = f" {md(currency)}" if currency else ""
    chosen = scored[scored["selected"]]
    top_weights = sorted(normalised_weights(weights).items(), key=lambda kv: -kv[1])[:3]
    why = ", ".join(f"{criterion_info(k)[2]} ({w:.0%})" for k, w in top_weights)
    parts = [f"Weighing {why}, the workbook recommends targeting "]
    described = []
    for row in chosen.itertuples():
        facts = [f"score {row.attractiveness:.1f}/10", f"{row.customers:,} customers"]
        if "revenue_share" in scored:
            facts.append(f"{row.revenue_share:.0%} of revenue")
        if "clv_mean" in scored and pd.notna(getattr(row, "clv_mean", np.nan)):
            facts.append(f"mean CLV {row.clv_mean:,.0f}{money}")
        if "roi" in scored and pd.notna(getattr(row, "roi", np.nan)):
            facts.append(f"a campaign returns {row.roi + 1:,.1f}{money} per 1{money} spent")
        described.append(f"**{md(row.segment_name)}** ({', '.join(facts)})")
    parts.append(_and(described, sep="; "))
    parts.append(".")
    eligible = scored[scored["segment"] != UNCLASSIFIED]
    if len(chosen) >= len(eligible):
        parts.append(f" With top_n = {len(chosen)} every segment is a target: the score orders "
                     "them but chooses none out; lower `targeting.top_n` to choose.")
    elif len(chosen):
        best_left = eligible.loc[~eligible["selected"], "attractiveness"].max()
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
    if "strategy" in scored:
        for row in chosen[chosen["strategy"] == "harvest / divest"].itertuples():
            parts.append(f" The nine-box puts {md(row.segment_name)} in harvest / divest (the "
                         f"business is weak there, strength {row.strength:.1f}/10): targeting "
                         "it means investing to build that strength first.")
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


def _and(items: list[str], sep: str = ", ") -> str:
    """"a, b and c" (or "a; b and c")."""
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + " and " + items[-1]


def write_outputs(result: Targeting | pd.DataFrame, run: RunFolder | Path,
                  segments: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``targeting.csv`` (one row per segment) and ``clv.parquet`` (one per customer).

    ``run`` must be the :class:`RunFolder` the segments were read through: the files
    are stamped with that segmentation.
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


#: The columns of the transaction lines the growth criteria need.
LINE_COLUMNS = ["customer_id", "date", "amount", "line_status"]


def target_segments(customers: pd.DataFrame, segments: pd.DataFrame, params, *,
                    transactions: pd.DataFrame | None = None, as_of=None,
                    random_state: int = 0) -> Targeting:
    """The whole targeting stage: CLV, criteria, score, sensitivity, nine-box and ROI.

    ``params`` is the validated ``targeting`` section
    (:class:`seglib.config.TargetingConfig`).
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
    sensitivity = None
    eligible = scored["segment"] != UNCLASSIFIED
    if params.sensitivity_draws and eligible.sum() > params.top_n:
        sensitivity = portfolio.weight_sensitivity(
            criterion_scores(scored, list(weights)), weights, params.top_n,
            draws=params.sensitivity_draws, concentration=params.sensitivity_concentration,
            random_state=random_state)
        scored = scored.merge(sensitivity[["p_top_n", "flip"]], left_on="segment",
                              right_index=True, how="left")
    by_id = scored[eligible].set_index("segment")
    if params.strength:
        strength = add_manual(scored[["segment", "segment_name"]],
                              {"strength": params.strength}, key="targeting.strength"
                              ).set_index("segment")[
            "manual_strength"].loc[by_id.index]
        strength = strength.fillna(5.5)
        strength_source = "the config (targeting.strength)"
    elif {"repeat_rate", "orders_per_customer"} & set(by_id.columns):
        strength = portfolio.strength_proxy(by_id)
        strength_source = ("a share-of-wallet proxy from the data (repeat rate and orders per "
                           "customer, scaled 1-10)")
    else:  # no purchase history and no scores: every segment in the middle column
        strength = pd.Series(5.5, index=by_id.index, name="strength")
        strength_source = ("nothing: the run has no purchase history and the config no "
                           "targeting.strength scores, so every segment sits at 5.5; give the "
                           "scores to place them")
    box = portfolio.nine_box(by_id["attractiveness"], strength)
    scored = scored.merge(box[["strength", "box", "strategy"]], left_on="segment",
                          right_index=True, how="left")
    roi = service = keep = None
    if "clv_mean" in scored:
        roi = portfolio.campaign_roi(scored[eligible].set_index("segment"),
                                     cost_per_contact=params.roi.cost_per_contact,
                                     response_uplift=params.roi.response_uplift,
                                     margin_rate=None)
        scored = scored.merge(roi[["campaign_cost", "expected_value", "roi"]],
                              left_on="segment", right_index=True, how="left")
        if "service_effort" in scored:
            service = portfolio.service_hour_value(scored[eligible].set_index("segment"),
                                                   hour_cost=params.roi.service_hour_cost)
            scored = scored.merge(service[["value_per_service_hour"]], left_on="segment",
                                  right_index=True, how="left")
        mean_clv = float(clv_result.table.loc[clv_result.table["clv"] > 0, "clv"].mean())
        retention = params.roi.retention_cost
        if retention is None and params.roi.acquisition_cost is not None:
            retention = params.roi.acquisition_cost / params.roi.acquisition_multiplier
        if retention is not None:
            keep = portfolio.retention_vs_acquisition(
                mean_clv, retention_cost=retention,
                acquisition_multiplier=params.roi.acquisition_multiplier)
    return Targeting(scored=scored, weights=weights, clv=clv_result, sensitivity=sensitivity,
                     box=box, strength_source=strength_source, roi=roi, service=service,
                     keep_vs_win=keep, settings={"top_n": params.top_n,
                                                 "response_uplift": params.roi.response_uplift})


def clv_text(result: CLVResult | None, currency: str = "") -> str:
    """How CLV was computed, in words (the fallback labelled as such)."""
    if result is None:
        return ("*No customer lifetime value: the run has no transactions (data.transactions), "
                "so there is no purchase history to model.*")
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
    """The weights used, as shares of the score."""
    shares = normalised_weights(result.weights)
    text = "Weights used (share of the score): " + ", ".join(
        f"{md(k.replace('_', ' '))} {w:.0%}" for k, w in sorted(shares.items(),
                                                               key=lambda kv: -kv[1])) + "."
    eligible = result.scored[result.scored["segment"] != UNCLASSIFIED]
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
    """Which choices are robust to the weights and which flip, in words."""
    from seglib.targeting import portfolio

    if result.sensitivity is None:
        return ("*Not computed: `sensitivity_draws` is 0, or there are no more segments than "
                "targets.*")
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    return portfolio.sensitivity_text(result.sensitivity, names)


def box_table(result: Targeting) -> pd.DataFrame:
    """The nine-box position and strategy of every segment."""
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    table = result.box.sort_values("attractiveness", ascending=False).rename(index=names)[
        ["attractiveness", "strength", "box", "strategy"]]
    table.index.name = None
    return table.round(1)


def box_text(result: Targeting) -> str:
    """Where the business's strength comes from."""
    return f"Business strength in each segment comes from {md(result.strength_source)}."


def roi_table(result: Targeting) -> pd.DataFrame | None:
    """Campaign cost, expected value and ROI per segment; value per service hour."""
    if result.roi is None:
        return None
    names = dict(zip(result.scored["segment"], result.scored["segment_name"], strict=True))
    table = result.roi.rename(index=names)
    columns = {"reach": "reachable", "campaign_cost": "campaign cost",
               "expected_responders": "expected responders",
               "expected_value": "expected value", "roi": "net return per 1 spent"}
    shown = table[[c for c in columns if c in table]].rename(columns=columns)
    if result.service is not None:
        shown["value per service hour"] = result.service.rename(index=names)[
            "value_per_service_hour"]
    shown.index.name = None
    formats = {"reachable": "{:.0%}", "campaign cost": "{:,.2f}",
               "expected responders": "{:,.1f}", "expected value": "{:,.0f}",
               "net return per 1 spent": "{:,.1f}", "value per service hour": "{:,.0f}"}
    for column, fmt in formats.items():
        if column in shown:
            shown[column] = [fmt.format(v) if pd.notna(v) else "" for v in shown[column]]
    return shown


def money_text(result: Targeting, currency: str = "") -> str:
    """The service-hour answer and the keep-versus-win comparison, in words."""
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
    if result.roi is None:
        parts.append("*No customer lifetime value (no transactions): the campaign return, the "
                     "service hour and keep-versus-win need it.*")
    else:
        uplift = result.settings.get("response_uplift")
        parts.append(f"*The campaign figures assume that {uplift:.0%} of the customers reached "
                     "are kept or won back because of the campaign, each worth the segment's "
                     "mean CLV, and count the cost of contacting everyone reachable. Cheap "
                     "channels make large ratios: read them as a ranking of where a campaign "
                     "pays most, and check the uplift with a test group.*")
    return "\n\n".join(p for p in parts if p)
