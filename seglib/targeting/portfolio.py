"""Targeting as a portfolio: how robust the choice is, where each segment sits, what it pays.

Three views on the targeting table, each a pure function (DataFrame in,
DataFrame out):

* **Weight sensitivity** (:func:`weight_sensitivity`). The weights of the
  attractiveness score are a judgement call. Draw many weight vectors close to
  the chosen ones (a Dirichlet centred on them), re-score and re-rank the
  segments for each, and count how often each segment makes the top N. A
  choice that holds in most draws is robust; one that flips under small
  changes of the weights deserves a discussion before it goes into the plan.
* **GE-McKinsey nine-box** (:func:`nine_box`; drawn by :func:`seglib.plots.plot_nine_box`). Segment
  attractiveness (the targeting score) against the business's strength in the
  segment, each cut into low / medium / high, gives nine boxes in three zones:
  invest / grow, selectively manage, harvest / divest.
* **Return on the marketing money** (:func:`campaign_roi`,
  :func:`service_hour_value`, :func:`retention_vs_acquisition`). A campaign is
  worth the margin it adds (customers kept who would otherwise lapse, and extra
  orders), not the whole lifetime value of the customers it reaches; a return
  above :data:`PLAUSIBLE_RETURN` is flagged with the assumption behind it
  (:func:`roi_driver`). The domain's question "if Joe and Sarah both have a
  service problem and you can fix only one, who brings more ROI?" answered per
  segment with the customers' lifetime value, and the rule that keeping a
  customer costs about a fifth of winning one.

Segment ids are the index of every table returned here (index name
``segment``); segment names are passed separately as ``{id: name}`` and are
escaped with :func:`seglib.text.md` wherever they go into Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from seglib.errors import ConfigError, DataError
from seglib.segment import UNCLASSIFIED
from seglib.text import md

__all__ = [
    "ACQUISITION_MULTIPLIER", "CHANNELS", "NEGLIGIBLE_SPREAD", "NINE_BOX_STRATEGY",
    "PLAUSIBLE_RETURN", "ROBUST_SHARE",
    "campaign_roi", "criterion_scores", "nine_box",
    "retention_vs_acquisition", "roi_driver", "sensitivity_text", "service_hour_text",
    "service_hour_value", "strength_proxy", "tells_apart", "weight_sensitivity",
]

#: A choice is robust when it holds in at least this share of the weight draws.
ROBUST_SHARE = 0.8

#: Score given to a missing criterion value (the middle of 1-10), as the stage does.
NEUTRAL_SCORE = 5.5

#: Values across the segments that differ by no more than this share of the largest are
#: equal: min-max scaling would blow a 1% difference up to the whole 1-10 range.
NEGLIGIBLE_SPREAD = 0.05

#: A campaign return (incremental margin per 1 spent) above this is not believed without a
#: test: 20:1 on *incremental margin* is already generous (the 30-40:1 quoted for email
#: marketing counts attributed revenue, not the margin the campaign adds). Above it the
#: text names the assumption that drives the figure.
PLAUSIBLE_RETURN = 20.0

#: Ranks closer than this are ties (broken by segment id), so float noise cannot reorder them.
_SCORE_DECIMALS = 9

#: (attractiveness level, strength level) -> strategy of the GE-McKinsey matrix.
NINE_BOX_STRATEGY: dict[tuple[str, str], str] = {
    ("high", "high"): "invest / grow",
    ("high", "medium"): "invest / grow",
    ("medium", "high"): "invest / grow",
    ("high", "low"): "selectively manage",
    ("medium", "medium"): "selectively manage",
    ("low", "high"): "selectively manage",
    ("low", "low"): "harvest / divest",
    ("low", "medium"): "harvest / divest",
    ("medium", "low"): "harvest / divest",
}


#: Bubble area (square points) of the segment with the most revenue, and the smallest bubble.
_BUBBLE_AREA, _BUBBLE_AREA_MIN = 1800.0, 20.0

#: Contact channels of :func:`campaign_roi` -> the column giving the share of customers
#: reachable by it (None: everyone can be reached by mail).
CHANNELS: dict[str, str | None] = {"email": "reach_email", "phone": "reach_phone", "mail": None}

#: Domain rule (DOMAIN.md section 6): winning a new customer costs about 5 times keeping one.
ACQUISITION_MULTIPLIER = 5.0

#: Where the segment table's optional columns come from, for error messages.
_PROVIDED_BY = {
    "clv_mean": "the mean of the customers' `clv` per segment (seglib.clv.customer_clv)",
    "clv_active": "the segment's CLV over its customers' chance of being active (sum of `clv` / "
                  "sum of `p_alive`, seglib.targeting.segment_metrics)",
    "lapse_share": "the mean of 1 - `p_alive` over the segment's customers, 0 for those "
                   "without a purchase (seglib.targeting.segment_metrics, from the CLV)",
    "active_share": "the mean `p_alive` over the segment's customers, 0 for those without "
                    "a purchase (seglib.targeting.segment_metrics, from the CLV)",
    "service_effort": "the service file (collect: mean effort score of the support contacts)",
    "reach_email": "the customers file's email flag (collect: share of customers with "
                   "has_email)",
    "reach_phone": "the customers file's phone flag (collect: share of customers with "
                   "has_phone)",
    "customers": "the segment metrics (seglib.targeting.segment_metrics)",
    "repeat_rate": "the transactions (collect: share of customers with repeat_customer)",
    "retention": "the transactions (share of customers active in the last period)",
    "orders_per_customer": "the transactions (seglib.targeting.segment_metrics, from n_orders)",
}


# --------------------------------------------------------------------------- helpers


def _by_segment(segments: pd.DataFrame) -> pd.DataFrame:
    """The table indexed by segment id: the ``segment`` column if there is one, else the index."""
    if "segment" in segments.columns:
        segments = segments.set_index("segment")
    out = segments.copy()
    out.index.name = "segment"
    return out


def _require(segments: pd.DataFrame, columns: list[str], purpose: str) -> None:
    """Raise DataError naming each missing column and what provides it."""
    missing = [c for c in columns if c not in segments.columns]
    if missing:
        raise DataError(
            f"{purpose} needs the segment table's column(s) "
            + "; ".join(f"`{c}` ({_PROVIDED_BY.get(c, 'not provided by the workbook')})"
                        for c in missing)
            + f". Columns present: {', '.join(map(str, segments.columns))}"
        )


def _scale_1_10(values: pd.Series) -> pd.Series:
    """Min-max scale to 1-10 (10 = highest); all-equal values score 5.5, missing stay missing."""
    values = values.astype("float64")
    low, high = values.min(), values.max()
    if not np.isfinite(low) or high == low:
        return pd.Series(NEUTRAL_SCORE, index=values.index).where(values.notna())
    return 1 + 9 * (values - low) / (high - low)


def _scale_log_1_10(values: pd.Series) -> pd.Series:
    """:func:`_scale_1_10` of log10 of the values; 0 or less scores 1 (the lowest)."""
    values = values.astype("float64")
    positive = values > 0
    scaled = _scale_1_10(np.log10(values.where(positive)))
    return scaled.mask(values.notna() & ~positive, 1.0)


#: Measures of :func:`strength_proxy` that are counts: scaled on log10 like the targeting
#: criteria, so one segment ordering five times as often does not squash the others to 1.
_LOG_MEASURES = frozenset({"orders_per_customer"})


def _name(names: Mapping[int, str], segment: object) -> str:
    """The segment's name, or ``segment <id>`` when the mapping has none."""
    return str(names.get(segment, f"segment {segment}"))


def _pct(share: float) -> str:
    """A share as whole percents; 99.5% and more that is not all reads 'over 99%'."""
    if 0.995 <= share < 1:
        return "over 99%"
    if 0 < share < 0.005:
        return "under 1%"
    return f"{share:.0%}"


def _money(value: float) -> str:
    """A money amount with thousands separators (two decimals below 10)."""
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"


# --------------------------------------------------------------------------- sensitivity


def criterion_scores(scored: pd.DataFrame) -> pd.DataFrame:
    """The 1-10 criterion scores of the targeting table, for :func:`weight_sensitivity`.

    Parameters
    ----------
    scored : DataFrame
        The targeting table (``segment`` and ``<criterion>_score`` columns).

    Returns
    -------
    DataFrame
        Index = segment ids of the eligible segments (the unclassified group left
        out), columns = criterion names (the ``_score`` suffix dropped).
    """
    table = _by_segment(scored)
    columns = [c for c in table.columns if str(c).endswith("_score")]
    if not columns:
        raise DataError("the targeting table has no `<criterion>_score` columns: "
                        "score the segments first (seglib.targeting.attractiveness)")
    scores = table.loc[table.index != UNCLASSIFIED, columns]
    return scores.rename(columns=lambda c: str(c).removesuffix("_score"))


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank each row's columns, 1 = highest score, ties to the earlier column.

    ``scores`` is draws x segments with the segments in ascending id order, so a
    tie goes to the lower segment id.
    """
    rounded = np.round(scores, _SCORE_DECIMALS)
    order = np.argsort(-rounded, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(order.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, order.shape[1] + 1)
    return ranks


def weight_sensitivity(scores: pd.DataFrame, weights: Mapping[str, float], top_n: int, *,
                       draws: int = 1000, concentration: float = 50.0,
                       random_state: int = 0) -> pd.DataFrame:
    """How often each segment makes the top N when the weights vary around the chosen ones.

    The attractiveness is ``sum_c w_c * score_c`` with the weights normalised to
    sum to 1. Here ``draws`` weight vectors are drawn from a Dirichlet
    distribution centred on the normalised weights, ``alpha_c = concentration *
    w_c`` (criteria with weight 0 stay at 0), so each draw is a plausible
    alternative weighting: its mean is the chosen weights, and a larger
    ``concentration`` keeps the draws closer to them (the standard deviation of
    a weight is ``sqrt(w (1 - w) / (concentration + 1))``; 50 moves a weight of
    0.3 by about +-0.06). Every draw re-scores all segments at once (draws x
    criteria @ criteria x segments) and ranks them; ties go to the lower
    segment id, as at the base weights.

    Parameters
    ----------
    scores : DataFrame
        Index = segment ids of the eligible segments, columns = criterion names,
        values the 1-10 criterion scores (see :func:`criterion_scores`). Missing
        scores count as 5.5, as in the stage. A row for the unclassified group
        (id 0) is ignored: it is never selectable.
    weights : mapping
        Criterion -> weight (any positive scale; zero weights are allowed).
    top_n : int
        How many segments are selected.
    draws : int
        Number of weight vectors drawn.
    concentration : float
        Dirichlet concentration; larger means smaller changes of the weights.
    random_state : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same table.

    Returns
    -------
    DataFrame
        One row per segment (index ``segment``), in base rank order:
        ``p_top_n`` (share of draws with the segment in the top N),
        ``mean_rank``, ``rank_p05`` and ``rank_p95`` (5th and 95th percentile of
        the rank over the draws, 1 = best), ``base_rank`` (rank under the given
        weights), ``selected`` (``base_rank <= top_n``) and ``flip``: True when a
        selected segment is in the top N in fewer than 80% of the draws, or a
        segment left out is in it in more than 20%: the choice flips under small
        changes of the weights.

    Raises
    ------
    ConfigError
        If no weight is positive, a weight is negative, or ``top_n``, ``draws``
        or ``concentration`` is not positive.
    DataError
        If a criterion with a positive weight has no column in ``scores``.
    """
    if top_n < 1:
        raise ConfigError(f"targeting.top_n: must be at least 1, got {top_n}")
    if draws < 1:
        raise ConfigError(f"sensitivity draws: must be at least 1, got {draws}")
    if not concentration > 0:
        raise ConfigError(f"sensitivity concentration: must be above 0, got {concentration}")
    negative = sorted(k for k, w in weights.items() if w < 0)
    if negative:
        raise ConfigError(f"targeting.weights: {negative} are negative; weights must be >= 0")
    active = {k: float(w) for k, w in weights.items() if w > 0}
    if not active:
        raise ConfigError("targeting.weights: no weight is above 0, so nothing is scored")
    missing = [k for k in active if k not in scores.columns]
    if missing:
        raise DataError(f"weight_sensitivity: the scores have no column for the weighted "
                        f"criteria {missing} (the targeting table's `<criterion>_score`); "
                        f"columns present: {', '.join(map(str, scores.columns))}")

    eligible = scores.loc[scores.index != UNCLASSIFIED, list(active)].sort_index()
    matrix = eligible.astype("float64").fillna(NEUTRAL_SCORE).to_numpy()  # segments x criteria
    base = np.array(list(active.values()))
    base /= base.sum()

    rng = np.random.default_rng(random_state)
    drawn = rng.dirichlet(concentration * base, size=draws)  # draws x criteria
    ranks = _ranks(drawn @ matrix.T)  # draws x segments
    base_rank = _ranks((base @ matrix.T)[None, :])[0]

    p_top_n = (ranks <= top_n).mean(axis=0)
    selected = base_rank <= top_n
    rank_p05, rank_p95 = np.percentile(ranks, [5, 95], axis=0, method="inverted_cdf")
    table = pd.DataFrame({
        "p_top_n": p_top_n,
        "mean_rank": ranks.mean(axis=0),
        "rank_p05": rank_p05.astype("int64"),
        "rank_p95": rank_p95.astype("int64"),
        "base_rank": base_rank.astype("int64"),
        "selected": selected,
        "flip": np.where(selected, p_top_n < ROBUST_SHARE, p_top_n > 1 - ROBUST_SHARE),
    }, index=pd.Index(eligible.index, name="segment"))
    return table.sort_values("base_rank")


def sensitivity_text(table: pd.DataFrame | None, names: Mapping[int, str],
                     criteria: Sequence[str] | None = None) -> str:
    """Which targeting choices are robust to the weights and which flip, in plain words.

    Parameters
    ----------
    table : DataFrame or None
        From :func:`weight_sensitivity`; None when it was not computed.
    names : mapping
        Segment id -> segment name (escaped for Markdown here).
    criteria : sequence of str, optional
        The weighted criteria that tell the segments apart. With only one, varying the
        weights cannot change the ranking, so no robustness share is reported (a "100%"
        would be automatic, not evidence): the text says the ranking rests on that
        criterion instead.

    Returns
    -------
    str
        One paragraph, safe to put into Markdown.
    """
    if criteria is not None and len(criteria) == 1:
        return (f"The ranking rests on one criterion, {md(criteria[0].replace('_', ' '))}: "
                "varying the weights cannot change it, so the weight test says nothing about "
                "how firm the choice is. Add criteria (or manual scores) to test it.")
    if criteria is not None and not criteria:
        return ("No weighted criterion tells the segments apart: the ranking is the segment "
                "order, not a finding.")
    if table is None:
        return ("*Not computed: `sensitivity_draws` is 0, or there are no more segments than "
                "targets.*")
    top_n = int(table["selected"].sum())
    top = f"the top {top_n}" if top_n > 1 else "first place"

    def listed(rows: pd.DataFrame) -> str:
        items = [f"{md(_name(names, seg))} ({_pct(row.p_top_n)})"
                 for seg, row in zip(rows.index, rows.itertuples(), strict=True)]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    kept = table[table["selected"] & ~table["flip"]]
    left_out = table[~table["selected"] & ~table["flip"]]
    flip_in = table[table["selected"] & table["flip"]]
    flip_out = table[~table["selected"] & table["flip"]]
    parts = [f"When the weights vary a little around the chosen ones, the share of weightings "
             f"that put each segment in {top} shows how firm the choice is."]
    if not kept.empty:
        parts.append(f"Robust targets: {listed(kept)}.")
    if not left_out.empty:
        parts.append(f"Robustly left out: {listed(left_out)}.")
    if flip_in.empty and flip_out.empty:
        parts.append("No choice flips: the selection holds under small changes of the weights.")
    if not flip_in.empty:
        parts.append(f"Selected, but the choice flips under small changes of the weights "
                     f"(in {top} in fewer than {ROBUST_SHARE:.0%} of them): {listed(flip_in)}.")
    if not flip_out.empty:
        parts.append(f"Left out, but in {top} in more than {1 - ROBUST_SHARE:.0%} of the "
                     f"weightings: {listed(flip_out)}.")
    if not (flip_in.empty and flip_out.empty):
        parts.append("Discuss the choices that flip before the plan is fixed.")
    return " ".join(parts)


# --------------------------------------------------------------------------- nine-box


def _level(values: pd.Series) -> pd.Series:
    """Level "low" (<= 10/3), "medium" (<= 20/3) or "high" (above) on the 1-10 scale."""
    levels = np.select([values <= 10 / 3, values <= 20 / 3], ["low", "medium"], "high")
    return pd.Series(levels, index=values.index)


def nine_box(attractiveness: pd.Series, strength: pd.Series) -> pd.DataFrame:
    """Place the segments on the GE-McKinsey nine-box matrix.

    Each axis is cut in thirds of 10: "low" up to 10/3, "medium" up to 20/3,
    "high" above (a value on a boundary belongs to the lower box). The nine
    boxes fall into the three classic zones: "invest / grow" (high / high,
    high / medium, medium / high), "selectively manage" (the diagonal: high /
    low, medium / medium, low / high) and "harvest / divest" (low / low,
    low / medium, medium / low).

    Parameters
    ----------
    attractiveness : Series
        Segment attractiveness, 1-10, indexed by segment id (the targeting score).
    strength : Series
        The business's strength in each segment, 1-10, indexed by segment id
        (from the config, or :func:`strength_proxy`).

    Returns
    -------
    DataFrame
        Index ``segment``; columns ``attractiveness``, ``strength``,
        ``attractiveness_level``, ``strength_level``, ``box`` ("attractiveness
        level / strength level", e.g. "high / medium") and ``strategy``.
        Segments lacking either score (the unclassified group has no
        attractiveness) are left out.

    Raises
    ------
    DataError
        If a score lies outside 1-10.
    """
    table = pd.concat({"attractiveness": attractiveness.astype("float64"),
                       "strength": strength.astype("float64")}, axis=1, join="outer")
    table = table.dropna().sort_index()
    table.index.name = "segment"
    for column in ("attractiveness", "strength"):
        outside = table[(table[column] < 1) | (table[column] > 10)]
        if not outside.empty:
            raise DataError(f"nine_box: {column} must be on the 1-10 scale; segment(s) "
                            f"{list(outside.index)} have {list(outside[column])}")
    table["attractiveness_level"] = _level(table["attractiveness"])
    table["strength_level"] = _level(table["strength"])
    table["box"] = table["attractiveness_level"] + " / " + table["strength_level"]
    table["strategy"] = [NINE_BOX_STRATEGY[pair] for pair in
                         zip(table["attractiveness_level"], table["strength_level"],
                             strict=True)]
    return table


def strength_proxy(segments: pd.DataFrame) -> pd.Series:
    """A proxy for the business's strength in each segment, 1-10, from the segment table.

    When the config gives no strength scores, the share of wallet the business
    already holds is approximated by how loyal the segment's customers are: the
    mean of whichever of these columns tell the segments apart, each min-max
    scaled to 1-10 across the segments:

    * ``repeat_rate``: share of customers with 2 or more orders;
    * ``retention``: share of customers active in the last period;
    * ``orders_per_customer``: mean orders per customer, on log10 (as the targeting
      criterion is: a segment ordering ten times as often is one step up, and an
      outlier does not squash every other segment to the bottom).

    A column whose values are the same in every segment (within
    :data:`NEGLIGIBLE_SPREAD`: every customer of a CRM export with summed orders
    is a "repeat" customer, say) says nothing about strength and is left out of
    the mean rather than counted as a middle 5.5 that would pull every segment
    towards the centre. When no column tells the segments apart the strength is
    unknown: every segment gets NaN, and the stage says so.

    This is a proxy, not a measured market share: it says how well the business
    keeps the customers it has in a segment, not how much of the segment's
    spending in the market it wins. Competitor or survey data, when available,
    should replace it through the config.

    Parameters
    ----------
    segments : DataFrame
        One row per segment: a ``segment`` column (or the index) and any of the
        columns above. The unclassified group (id 0) is not scaled and gets NaN.

    Returns
    -------
    Series
        ``strength`` per segment id, 1-10 (NaN where unknown); ``attrs["measures"]``
        lists the columns it rests on.

    Raises
    ------
    DataError
        If none of the three columns is present.
    """
    table = _by_segment(segments)
    present = [c for c in ("repeat_rate", "retention", "orders_per_customer")
               if c in table.columns]
    if not present:
        raise DataError(
            "strength_proxy needs at least one of the segment table's columns "
            + "; ".join(f"`{c}` ({_PROVIDED_BY[c]})"
                        for c in ("repeat_rate", "retention", "orders_per_customer"))
            + "; or give the strength scores in the config"
        )
    eligible = table.index != UNCLASSIFIED
    telling = [c for c in present if tells_apart(table.loc[eligible, c])]
    scaled = pd.DataFrame({c: _scale_log_1_10(table.loc[eligible, c]) if c in _LOG_MEASURES
                           else _scale_1_10(table.loc[eligible, c]) for c in telling},
                          index=table.index[eligible])
    strength = scaled.mean(axis=1).reindex(table.index).rename("strength")
    strength.attrs["measures"] = telling
    return strength


def tells_apart(values: pd.Series) -> bool:
    """True when the known values differ by more than :data:`NEGLIGIBLE_SPREAD`.

    The spread is ``max - min`` against the largest absolute value: a recency of
    49.2 against 48.9 days (0.6%) or an online share of 32.9% against 33.2% does not
    tell two segments apart, although min-max scaling would score them 10 and 1.
    """
    known = values.dropna().astype("float64")
    if len(known) < 2:
        return False
    spread = float(known.max() - known.min())
    level = float(known.abs().max())
    return spread > 0 and spread > NEGLIGIBLE_SPREAD * level


# --------------------------------------------------------------------------- ROI


def campaign_roi(segments: pd.DataFrame, *, cost_per_contact: Mapping[str, float],
                 retention_uplift: float, response_uplift: float, setup_cost: float = 0.0,
                 margin_rate: float | None = None) -> pd.DataFrame:
    """Cost, incremental value and return of one campaign per segment.

    Each customer is contacted once, by the cheapest channel that reaches them:
    the channels given in ``cost_per_contact`` ("email", "phone", "mail") are
    tried from the cheapest up. Email reaches the share ``reach_email`` of the
    segment, phone ``reach_phone``, mail everyone; a channel without its reach
    column is not available. With email cheaper than phone cheaper than mail
    this reads: email if the customer has an address, else phone, else mail.
    Having an email address and a phone number are taken as independent within
    a segment, so the customers left for the next channel are the share the
    cheaper ones did not reach. The campaign costs its contacts plus
    ``setup_cost`` (creative, list and test work, once per segment).

    The value is the **incremental** margin, what the campaign adds to what the
    customers would bring anyway, not their whole lifetime value:

    * ``kept_customers = reached x lapse_share x retention_uplift``: customers
      likely to lapse (``lapse_share``, 1 - the chance they are still active)
      whom the campaign keeps, each worth ``clv_active``, the lifetime value of
      an active customer of the segment (``value_kept``);
    * ``extra_orders = reached x active_share x response_uplift``: active
      customers who place one extra order because of it, each worth
      ``order_margin``, the margin of one order (``value_orders``; 0 when the
      segment table has no ``order_margin``).

    ``expected_value = value_kept + value_orders``. ``clv_active`` and
    ``order_margin`` are taken as margin (profit) if ``margin_rate`` is None, as
    the workbook's are when a margin is configured; give ``margin_rate`` to turn
    revenue into margin (it multiplies the value).

    Parameters
    ----------
    segments : DataFrame
        One row per segment: ``segment`` (column or index), ``customers``,
        ``clv_active``, ``lapse_share``, ``active_share``, optionally
        ``order_margin``, and the ``reach_email`` / ``reach_phone`` shares for
        the channels used.
    cost_per_contact : mapping
        Channel -> cost of one contact (money).
    retention_uplift : float
        Share of the reached customers likely to lapse whom the campaign keeps (0-1).
    response_uplift : float
        Share of the reached active customers who order once more because of it (0-1).
    setup_cost : float
        Fixed cost of the campaign to one segment (money, 0 or more).
    margin_rate : float or None
        Margin / revenue to apply to the values; None when they are margin already.

    Returns
    -------
    DataFrame
        Index ``segment``; columns ``customers``, ``contacts_<channel>`` for each
        channel used, ``reach`` (share contacted), ``main_channel`` and
        ``main_channel_cost`` (the channel with most contacts and its cost),
        ``contact_cost``, ``setup_cost``, ``campaign_cost`` (the two added),
        ``at_risk_reached``, ``active_reached``, ``kept_customers``,
        ``extra_orders``, ``expected_responders`` (the two added), ``clv_active``,
        ``order_margin``, ``value_kept``, ``value_orders``, ``expected_value``,
        ``roi`` (``(expected_value - campaign_cost) / campaign_cost``, NaN at zero
        cost), ``return_per_spent`` (``expected_value / campaign_cost``),
        ``roi_plausible`` (False when the return is above
        :data:`PLAUSIBLE_RETURN`) and ``roi_per_customer`` (net value
        ``expected_value - campaign_cost`` per customer of the segment).

    Raises
    ------
    ConfigError
        For an unknown channel, a negative cost, or an uplift or margin rate
        outside 0-1.
    DataError
        If ``customers``, ``clv_active``, ``lapse_share`` or ``active_share`` is
        missing, or no given channel can reach anyone (no reach column and no mail).
    """
    unknown = sorted(set(cost_per_contact) - set(CHANNELS))
    if unknown:
        raise ConfigError(f"cost_per_contact: unknown channel(s) {unknown}; "
                          f"use {', '.join(CHANNELS)}")
    if any(not cost >= 0 for cost in cost_per_contact.values()):
        raise ConfigError(f"cost_per_contact: costs must be 0 or more, "
                          f"got {dict(cost_per_contact)}")
    if not setup_cost >= 0:
        raise ConfigError(f"campaign_setup_cost: must be 0 or more, got {setup_cost}")
    for key, share in (("retention_uplift", retention_uplift),
                       ("response_uplift", response_uplift)):
        if not 0 <= share <= 1:
            raise ConfigError(f"{key}: a share between 0 and 1, got {share}")
    if margin_rate is not None and not 0 < margin_rate <= 1:
        raise ConfigError(f"margin_rate: a share above 0 and at most 1, got {margin_rate}")
    table = _by_segment(segments)
    _require(table, ["customers", "clv_active", "lapse_share", "active_share"], "campaign_roi")
    usable = [c for c in CHANNELS if c in cost_per_contact
              and (CHANNELS[c] is None or CHANNELS[c] in table.columns)]
    if not cost_per_contact:
        raise ConfigError("cost_per_contact: no channel given; set a cost for email, phone or "
                          "mail")
    if not usable:
        _require(table, [CHANNELS[c] for c in cost_per_contact if CHANNELS[c]],
                 "campaign_roi (or give a cost for mail, which reaches everyone)")
    usable.sort(key=lambda c: cost_per_contact[c])  # stable: email, phone, mail on a tie

    customers = table["customers"].astype("float64")
    out = pd.DataFrame({"customers": table["customers"]}, index=table.index)
    not_reached = pd.Series(1.0, index=table.index)
    cost = pd.Series(0.0, index=table.index)
    for channel in usable:
        column = CHANNELS[channel]
        share = 1.0 if column is None else table[column].astype("float64").fillna(0).clip(0, 1)
        contacts = customers * not_reached * share
        out[f"contacts_{channel}"] = contacts
        cost += contacts * cost_per_contact[channel]
        not_reached = not_reached * (1 - share)
    out["reach"] = 1 - not_reached
    contacts = out[[f"contacts_{c}" for c in usable]]
    out["main_channel"] = contacts.idxmax(axis=1).str.removeprefix("contacts_")
    out["main_channel_cost"] = out["main_channel"].map(dict(cost_per_contact)).astype("float64")
    out["contact_cost"] = cost
    out["setup_cost"] = float(setup_cost)
    out["campaign_cost"] = cost + float(setup_cost)
    reached = customers * out["reach"]
    factor = 1.0 if margin_rate is None else margin_rate
    out["at_risk_reached"] = reached * table["lapse_share"].astype("float64").fillna(0)
    out["active_reached"] = reached * table["active_share"].astype("float64").fillna(0)
    out["kept_customers"] = out["at_risk_reached"] * retention_uplift
    out["extra_orders"] = out["active_reached"] * response_uplift
    out["expected_responders"] = out["kept_customers"] + out["extra_orders"]
    out["clv_active"] = table["clv_active"].astype("float64") * factor
    order_margin = (table["order_margin"].astype("float64") if "order_margin" in table
                    else pd.Series(np.nan, index=table.index))
    out["order_margin"] = order_margin * factor
    out["value_kept"] = out["kept_customers"] * out["clv_active"].fillna(0)
    out["value_orders"] = out["extra_orders"] * out["order_margin"].fillna(0)
    out["expected_value"] = out["value_kept"] + out["value_orders"]
    spent = out["campaign_cost"].where(out["campaign_cost"] > 0)
    net = out["expected_value"] - out["campaign_cost"]
    out["roi"] = net / spent
    out["return_per_spent"] = out["expected_value"] / spent
    out["roi_plausible"] = ~(out["return_per_spent"] > PLAUSIBLE_RETURN)
    out["roi_per_customer"] = net / customers.where(customers > 0)
    return out


def roi_driver(row, money: str = "") -> str:
    """The assumption that drives one segment's campaign return, in words (Markdown-safe).

    ``row`` is a row of :func:`campaign_roi` (a Series or a named tuple with its
    columns); ``money`` the currency code put after amounts ("" for none).
    """
    get = row.get if isinstance(row, pd.Series) else (lambda k, d=None: getattr(row, k, d))
    unit = f" {md(money)}" if money else ""
    kept, orders = float(get("value_kept", 0) or 0), float(get("value_orders", 0) or 0)
    total = kept + orders
    if total <= 0:
        return "the campaign adds no value under these assumptions"
    if kept >= orders:
        at_risk = float(get("at_risk_reached", 0) or 0)
        uplift = float(get("kept_customers", 0)) / at_risk if at_risk else np.nan
        value = (f"keeping {_pct(uplift)} (`targeting.roi.retention_uplift`) of the "
                 f"{at_risk:,.0f} reached customers likely to lapse, each worth "
                 f"{_money(float(get('clv_active')))}{unit} of lifetime value "
                 f"({_pct(kept / total)} of the value)")
    else:
        active = float(get("active_reached", 0) or 0)
        uplift = float(get("extra_orders", 0)) / active if active else np.nan
        value = (f"{_pct(uplift)} (`targeting.roi.response_uplift`) of the {active:,.0f} "
                 f"reached active customers ordering once more, each order worth "
                 f"{_money(float(get('order_margin')))}{unit} of margin "
                 f"({_pct(orders / total)} of the value)")
    channel = get("main_channel")
    cost = (f"contacts at {_money(float(get('main_channel_cost')))}{unit} each by "
            f"{md(str(channel))}" if isinstance(channel, str) else "the contact costs")
    setup = float(get("setup_cost", 0) or 0)
    cost += (f" plus a set-up cost of {_money(setup)}{unit}" if setup > 0
             else " and no set-up cost")
    return f"it rests on {value}, against {cost}"


def service_hour_value(segments: pd.DataFrame, *, hour_cost: float | None) -> pd.DataFrame:
    """Who gets the scarce service hour: lifetime value protected per hour of service.

    Service effort is a 1-10 score per customer; it is read as hours: ``effort
    / 10`` hours per customer (effort 10 = one hour, effort 3 = 18 minutes).
    ``value_per_service_hour = clv_mean / hours``: the customer value one hour
    of service looks after in the segment. Where value per hour is highest, a
    fixed service problem pays back most.

    Parameters
    ----------
    segments : DataFrame
        One row per segment: ``segment`` (column or index), ``clv_mean`` and
        ``service_effort``.
    hour_cost : float or None
        Cost of one service hour (money), for ``service_cost_per_customer`` and
        ``hour_roi``; None when it is not known (both are then missing: the
        ranking by value per hour needs no cost).

    Returns
    -------
    DataFrame
        Index ``segment``, best first; columns ``clv_mean``, ``service_effort``,
        ``service_hours_per_customer``, ``service_cost_per_customer``,
        ``value_per_service_hour``, ``hour_roi`` (``(value_per_service_hour -
        hour_cost) / hour_cost``) and ``rank`` (1 = the hour pays most; missing
        for segments without service effort or CLV, listed last).

    Raises
    ------
    ConfigError
        If ``hour_cost`` is given and not above 0.
    DataError
        If ``clv_mean`` or ``service_effort`` is missing.
    """
    if hour_cost is not None and not hour_cost > 0:
        raise ConfigError(f"hour_cost: the cost of one service hour must be above 0, "
                          f"got {hour_cost}")
    table = _by_segment(segments)
    _require(table, ["clv_mean", "service_effort"], "service_hour_value")
    effort = table["service_effort"].astype("float64")
    out = pd.DataFrame({"clv_mean": table["clv_mean"].astype("float64"),
                        "service_effort": effort}, index=table.index)
    out["service_hours_per_customer"] = effort.where(effort > 0) / 10
    cost = np.nan if hour_cost is None else float(hour_cost)
    out["service_cost_per_customer"] = out["service_hours_per_customer"] * cost
    out["value_per_service_hour"] = out["clv_mean"] / out["service_hours_per_customer"]
    out["hour_roi"] = (out["value_per_service_hour"] - cost) / cost
    out["rank"] = out["value_per_service_hour"].rank(ascending=False, method="first")
    out["rank"] = out["rank"].astype("Int64")
    return out.sort_values(["rank"], na_position="last", kind="stable")


def service_hour_text(table: pd.DataFrame, names: Mapping[int, str]) -> str:
    """The domain's "Joe and Sarah" question answered with the segments' numbers.

    Parameters
    ----------
    table : DataFrame
        From :func:`service_hour_value`.
    names : mapping
        Segment id -> segment name (escaped for Markdown here).

    Returns
    -------
    str
        One sentence, safe to put into Markdown.
    """
    ranked = table.dropna(subset=["value_per_service_hour"])
    if len(ranked) < 2:
        return ("Too few segments have both a lifetime value and a service effort to compare "
                "who should get the scarce service hour.")
    best, worst = ranked.index[0], ranked.index[-1]
    top, bottom = ranked.iloc[0], ranked.iloc[-1]
    ratio = (top["value_per_service_hour"] / bottom["value_per_service_hour"]
             if bottom["value_per_service_hour"] > 0 else np.inf)
    times = f", {ratio:.1f} times as much" if np.isfinite(ratio) else ""
    return (f"If a customer from {md(_name(names, best))} and one from "
            f"{md(_name(names, worst))} both have a service problem and you can fix only one, "
            f"fix the {md(_name(names, best))} customer's: an hour of service there looks after "
            f"{_money(top['value_per_service_hour'])} of lifetime value against "
            f"{_money(bottom['value_per_service_hour'])}{times}.")


def retention_vs_acquisition(clv_mean: float, *, retention_cost: float,
                             acquisition_multiplier: float = ACQUISITION_MULTIPLIER) -> dict:
    """The cost to keep a customer against the cost to win one, and what each pays back.

    Domain rule (DOMAIN.md section 6): retaining a customer costs about a fifth
    of the marketing cost of acquiring one; acquiring a new customer costs 4-5
    times more. So ``acquisition_cost = retention_cost x acquisition_multiplier``
    (default 5).

    Parameters
    ----------
    clv_mean : float
        Mean customer lifetime value over the horizon (money).
    retention_cost : float
        Marketing cost to keep one customer (money).
    acquisition_multiplier : float
        How many times more winning a customer costs than keeping one.

    Returns
    -------
    dict
        ``clv_mean``, ``retention_cost``, ``acquisition_cost``,
        ``retention_payback`` and ``acquisition_payback`` (CLV / cost: how many
        times the customer's value repays the cost), ``retention_net`` and
        ``acquisition_net`` (CLV - cost), ``retention_cost_share`` and
        ``acquisition_cost_share`` (cost / CLV) and ``saving_per_customer``
        (acquisition_cost - retention_cost: what keeping instead of replacing a
        customer saves).

    Raises
    ------
    ConfigError
        If ``retention_cost`` or ``acquisition_multiplier`` is not above 0.
    DataError
        If ``clv_mean`` is not a finite number.
    """
    if not retention_cost > 0:
        raise ConfigError(f"retention_cost: must be above 0, got {retention_cost}")
    if not acquisition_multiplier > 0:
        raise ConfigError(f"acquisition_multiplier: must be above 0, got {acquisition_multiplier}")
    if not np.isfinite(clv_mean):
        raise DataError(f"retention_vs_acquisition: clv_mean must be a number, got {clv_mean} "
                        f"({_PROVIDED_BY['clv_mean']})")
    clv = float(clv_mean)
    acquisition_cost = float(retention_cost) * acquisition_multiplier
    return {
        "clv_mean": clv,
        "retention_cost": float(retention_cost),
        "acquisition_cost": acquisition_cost,
        "retention_payback": clv / retention_cost,
        "acquisition_payback": clv / acquisition_cost,
        "retention_net": clv - retention_cost,
        "acquisition_net": clv - acquisition_cost,
        "retention_cost_share": retention_cost / clv if clv > 0 else np.nan,
        "acquisition_cost_share": acquisition_cost / clv if clv > 0 else np.nan,
        "saving_per_customer": acquisition_cost - retention_cost,
    }
