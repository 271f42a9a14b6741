"""Stage 5, the customer lifecycle: where each customer is now, where they came from, what to do.

Stages (:data:`STAGES`, in journey order) and their rules. The rules are
tried in this order and the first that matches wins, so a loyal customer who
has gone quiet is "At risk", not "Loyal & advocate". Day thresholds are on
``recency_days`` (days since the last purchase); every threshold is a key of
the ``lifecycle`` config section (:class:`seglib.config.LifecycleConfig`).

1. **Lapsed**: bought, but no purchase for more than ``lapsed_days``. Also the
   customers whose every order was refunded or returned (``n_orders`` 0 with
   ``refunds`` > 0 or ``returns_rate`` > 0): they tried the brand and left, so
   they are not prospects; the plan treats them with the lapsed.
2. **At risk**: bought, and silent for longer than usual: ``recency_days`` above
   ``active_days``; or, for one-order customers, above ``new_days`` (no second
   order in the welcome window); or, for repeat customers, above ``gap_multiple``
   times their own mean gap between purchase days
   (``mean_days_between_purchases``).
3. **Loyal & advocate**: active with 2+ orders and frequent (``n_orders`` at
   least ``loyal_orders``, or at least 3 orders at ``orders_per_year`` of
   ``loyal_orders_per_year`` or more), or an advocate: any of
   ``advocacy_columns`` (referrals, reviews, social mentions) above 0 where the
   data have them. Social followers measure reach, not advocacy.
4. **Post-purchase / repeat**: active with 2+ orders.
5. **First purchase**: one order, within ``new_days``.
6. **Engagement & evaluation**: no order yet, but web or email activity: any of
   ``engagement_columns`` (web sessions, email opens, email clicks) above 0.
7. **Awareness**: known to the business (in the customers file), no order and
   no recorded activity.

Movement: the same rules applied at an earlier cut-off, ``transition_days``
before the end of the data, to features recomputed from the purchase lines
before that cut-off, give every customer a ``previous_stage``. Web and
advocacy columns have no history, so their current values are used at both
cut-offs. See :func:`movement` for how a change of stage is classified.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seglib.config import LifecycleConfig, stage_config
from seglib.run_folder import RunFolder

STAGES = ("Awareness", "Engagement & evaluation", "First purchase", "Post-purchase / repeat",
          "Loyal & advocate", "At risk", "Lapsed")
#: Stages of customers who buy and are active.
ACTIVE = STAGES[2:5]
#: Stages of customers drifting away.
DECLINE = STAGES[5:]
#: How a customer's stage changed between the two cut-offs (see :func:`movement`).
MOVEMENTS = ("stayed", "next stage", "skipped a stage", "went back", "won back")
#: An orders-per-year rate needs this many orders before it can make a customer loyal.
MIN_ORDERS_FOR_RATE = 3
#: Transaction features the stage rules read; recomputed at the earlier cut-off.
HISTORY_COLUMNS = ("n_orders", "recency_days", "tenure_days", "orders_per_year",
                   "mean_days_between_purchases", "refunds", "returns_rate")
#: Main purchase channel of a segment, from the customer table's channel shares.
CHANNELS = {"online_share": "web and app", "store_share": "in store", "phone_share": "phone"}

#: The lifecycle marketing playbook: per stage the goal, action, channel and moment.
#: ``{main}`` is the segment's main purchase channel; the other fields are config keys.
PLAYBOOK = {
    "Awareness": (
        "get noticed, invite a first visit",
        "introduce the brand with the segment's positioning message and a reason to visit "
        "(guide, event, sign-up offer)",
        "paid social and search; {main}",
        "soon after the customer becomes known, while the name is fresh"),
    "Engagement & evaluation": (
        "help them choose",
        "answer the evaluation questions: reviews, comparisons, how-to content; remind them "
        "of the products they looked at; a first-order incentive",
        "email and web retargeting",
        "within days of a visit or an email click (the evaluation window)"),
    "First purchase": (
        "turn a trial into a habit",
        "welcome series: thank-you, set-up and care tips, ask for a review; then a "
        "second-purchase offer",
        "email, then {main}",
        "the first week after the order; the second-order offer before day {new_days}"),
    "Post-purchase / repeat": (
        "build the relationship",
        "cross-sell around the favourite category; invite to the loyalty programme; "
        "rewarded feedback survey",
        "{main} and email",
        "after each order, timed to the customer's usual gap between orders"),
    "Loyal & advocate": (
        "keep them and multiply them",
        "recognise and reward: loyalty tier, early access, thank-you; a referral offer and "
        "rewards for reviews",
        "{main}, personal where possible",
        "all year; the referral ask right after a good experience"),
    "At risk": (
        "win them back before they lapse",
        "win-back: a personal reminder, a service check-in, a time-limited offer on their "
        "favourite category",
        "{main} (personal) and email",
        "as soon as silence passes {active_days} days or {gap_multiple:g}x the customer's "
        "usual gap, well before day {lapsed_days}"),
    "Lapsed": (
        "reactivate or let go",
        "one reactivation campaign with a strong offer and a 'what went wrong' question; "
        "service recovery for those who returned everything; then stop paid contact",
        "email and direct mail",
        "once, after {lapsed_days} days without a purchase; then suppress"),
}

def has_history(customers: pd.DataFrame) -> bool:
    """True when the customer table has purchase history to assign stages from."""
    return "n_orders" in customers and "recency_days" in customers


def _rules(rules: dict) -> LifecycleConfig:
    """The validated rules (config keys); errors name the key."""
    return stage_config("lifecycle", **rules)


def _numbers(customers: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column, or all-missing when the data do not have it."""
    if column not in customers:
        return pd.Series(np.nan, index=customers.index)
    return pd.to_numeric(customers[column], errors="coerce")


def _any_positive(customers: pd.DataFrame, columns: list[str]) -> pd.Series:
    """True where any of the columns the data have is above 0."""
    found = [c for c in columns if c in customers]
    if not found:
        return pd.Series(False, index=customers.index)
    return customers[found].apply(pd.to_numeric, errors="coerce").gt(0).any(axis=1)


def assign_stages(customers: pd.DataFrame, **rules) -> pd.Series:
    """Return each customer's lifecycle stage, an ordered categorical over :data:`STAGES`.

    Parameters
    ----------
    customers : DataFrame
        The customer table: ``n_orders`` and ``recency_days`` are required;
        ``mean_days_between_purchases``, ``orders_per_year``, ``refunds``,
        ``returns_rate`` and the engagement and advocacy columns are used when
        present.
    **rules
        Keys of :class:`seglib.config.LifecycleConfig` (defaults from there).

    Raises
    ------
    ValueError
        Without ``n_orders`` and ``recency_days`` (no transactions).
    ConfigError
        When a rule is unknown or out of range; the message names the key.
    """
    if not has_history(customers):
        raise ValueError("lifecycle stages need n_orders and recency_days (transactions)")
    params = _rules(rules)
    orders = _numbers(customers, "n_orders").fillna(0)
    recency = _numbers(customers, "recency_days")
    gap = _numbers(customers, "mean_days_between_purchases")
    rate = _numbers(customers, "orders_per_year")
    bought = orders >= 1
    returned_all = ~bought & ((_numbers(customers, "refunds").fillna(0) > 0)
                              | (_numbers(customers, "returns_rate").fillna(0) > 0))
    lapsed = (bought & (recency > params.lapsed_days)) | returned_all
    at_risk = bought & ((recency > params.active_days)
                        | ((orders < 2) & (recency > params.new_days))
                        | ((orders >= 2) & (recency > params.gap_multiple * gap)))
    frequent = ((orders >= params.loyal_orders)
                | ((orders >= MIN_ORDERS_FOR_RATE) & (rate >= params.loyal_orders_per_year)))
    loyal = (orders >= 2) & (frequent | _any_positive(customers, params.advocacy_columns))
    conditions = [lapsed, at_risk, loyal, orders >= 2, bought,
                  _any_positive(customers, params.engagement_columns)]
    choices = ["Lapsed", "At risk", "Loyal & advocate", "Post-purchase / repeat",
               "First purchase", "Engagement & evaluation"]
    stage = np.select([c.to_numpy(dtype=bool) for c in conditions], choices,
                      default="Awareness")
    return pd.Series(pd.Categorical(stage, categories=STAGES, ordered=True),
                     index=customers.index, name="stage")


# --------------------------------------------------------------------------- history


#: The columns of the transaction lines the earlier stages are recomputed from.
LINE_COLUMNS = ["customer_id", "order_id", "row_no", "date", "amount", "line_status"]


def customer_history(lines: pd.DataFrame, customer_ids: pd.Series,
                     as_of: pd.Timestamp | str) -> pd.DataFrame:
    """The stage rules' transaction features at one cut-off, one row per customer id.

    Only lines dated before ``as_of`` count (the end of observation is exclusive, as
    in 01_collect). Purchases are lines with ``line_status == 'purchase'``, one
    order per ``order_id`` (per line without order ids) dated by its first line.
    Definitions follow the data dictionary: ``recency_days`` and ``tenure_days``
    in calendar days to ``as_of``; ``orders_per_year`` per 365 days of tenure
    (at least 30); ``mean_days_between_purchases`` over distinct purchase days;
    ``refunds`` from refund lines; ``returns_rate`` returned / (purchase +
    returned) orders.
    """
    as_of = pd.Timestamp(as_of)
    day = as_of.normalize()
    lines = lines[lines["date"] < as_of]
    order = "order_id" if "order_id" in lines else ("row_no" if "row_no" in lines else None)
    keyed = lines.assign(order=lines[order] if order else np.arange(len(lines)))
    purchases = keyed[keyed["line_status"] == "purchase"]
    orders = purchases.groupby(["customer_id", "order"], sort=False)["date"].min().reset_index()
    by_customer = orders.groupby("customer_id")
    first, last = by_customer["date"].min().dt.normalize(), by_customer["date"].max().dt.normalize()
    n_orders = by_customer.size()
    purchase_days = orders["date"].dt.normalize().groupby(orders["customer_id"]).nunique()
    tenure = (day - first).dt.days
    returned = keyed[keyed["line_status"] == "returned"].groupby("customer_id")["order"].nunique()
    refunds = keyed.loc[keyed["line_status"] == "refund"].groupby("customer_id")["amount"].apply(
        lambda amounts: amounts.abs().sum())
    history = pd.DataFrame({
        "n_orders": n_orders,
        "recency_days": (day - last).dt.days,
        "tenure_days": tenure,
        "orders_per_year": n_orders / (tenure.clip(lower=30) / 365.0),
        "mean_days_between_purchases": ((last - first).dt.days
                                        / (purchase_days - 1).where(purchase_days > 1)),
    })
    history = history.reindex(pd.Index(customer_ids, name="customer_id"))
    history["n_orders"] = history["n_orders"].fillna(0).astype("int64")
    history["refunds"] = refunds.reindex(history.index).fillna(0.0).to_numpy()
    returned = returned.reindex(history.index).fillna(0)
    history["returns_rate"] = (returned / (returned + history["n_orders"])).where(
        returned + history["n_orders"] > 0)
    return history.reset_index()


def customers_at(customers: pd.DataFrame, lines: pd.DataFrame,
                 as_of: pd.Timestamp | str, params: LifecycleConfig | None = None
                 ) -> pd.DataFrame:
    """The customer table as it was at ``as_of``: transaction features recomputed from lines.

    Web activity has no dates beyond the first visit: a customer whose first web
    visit came after ``as_of`` had no activity then (their engagement columns
    are zeroed); otherwise today's counts stand in. Other columns (advocacy,
    demographics) are kept as they are now.
    """
    history = customer_history(lines, customers["customer_id"], as_of)
    earlier = customers.drop(columns=[c for c in HISTORY_COLUMNS if c in customers])
    for column in HISTORY_COLUMNS:
        earlier[column] = history[column].to_numpy()
    if "web_first_visit" in customers:
        later = pd.to_datetime(customers["web_first_visit"], errors="coerce") > pd.Timestamp(as_of)
        columns = (params or LifecycleConfig()).engagement_columns
        for column in [c for c in columns if c in earlier]:
            earlier[column] = earlier[column].where(~later.to_numpy(), 0)
    return earlier


def known_at(customers: pd.DataFrame, cutoff: pd.Timestamp | str) -> pd.Series:
    """True for customers known by ``cutoff``: signed up, visited the web or bought by then.

    Without any of ``signup_date``, ``web_first_visit``, ``first_purchase`` a
    customer is taken as known.
    """
    columns = [c for c in ("signup_date", "web_first_visit", "first_purchase") if c in customers]
    if not columns:
        return pd.Series(True, index=customers.index)
    dates = pd.concat([pd.to_datetime(customers[c], errors="coerce") for c in columns], axis=1)
    earliest = dates.min(axis=1)
    return earliest.isna() | (earliest <= pd.Timestamp(cutoff))


# --------------------------------------------------------------------------- the table


def previous_cutoff(as_of: pd.Timestamp | str, transition_days: int) -> pd.Timestamp:
    """The earlier cut-off: ``transition_days`` before the end of the data."""
    return pd.Timestamp(as_of) - pd.Timedelta(days=transition_days)


def lifecycle_table(customers: pd.DataFrame, segments: pd.DataFrame | None,
                    lines: pd.DataFrame | None = None, as_of: pd.Timestamp | str | None = None,
                    **rules) -> pd.DataFrame:
    """One row per customer: ``customer_id, stage, previous_stage, segment, segment_name``.

    ``previous_stage`` is the stage ``transition_days`` before ``as_of``, from the
    transaction ``lines`` before that cut-off; it is empty without lines or as_of.
    Without transactions there is no purchase history: both stages are left empty.
    """
    params = _rules(rules)
    empty = pd.Categorical([None] * len(customers), categories=STAGES, ordered=True)
    table = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(),
                          "stage": empty, "previous_stage": empty})
    if has_history(customers):
        table["stage"] = assign_stages(customers, **rules).array
        if lines is not None and as_of is not None:
            cutoff = previous_cutoff(as_of, params.transition_days)
            before = assign_stages(customers_at(customers, lines, cutoff, params), **rules)
            # someone who signed up, visited or bought only after the cut-off was not yet
            # a customer then: no previous stage (counted as "new since the cut-off")
            table["previous_stage"] = before.where(known_at(customers, cutoff).to_numpy()).array
    if segments is not None:
        table = table.merge(segments[["customer_id", "segment", "segment_name"]],
                            on="customer_id", how="left")
    return table.sort_values("customer_id", kind="stable").reset_index(drop=True)


def stage_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage now, with their share, and per stage at the earlier cut-off."""
    counts = (table["stage"].astype(object).value_counts().reindex(list(STAGES), fill_value=0)
              .rename("customers").to_frame())
    counts.index.name = "stage"
    total = counts["customers"].sum()
    counts["share"] = (counts["customers"] / total).round(3) if total else 0.0
    if "previous_stage" in table and table["previous_stage"].notna().any():
        counts["customers_before"] = (table["previous_stage"].astype(object).value_counts()
                                      .reindex(list(STAGES), fill_value=0))
        counts["change"] = counts["customers"] - counts["customers_before"]
    return counts


def stage_by_segment(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of customers per segment and stage, with totals."""
    return pd.crosstab(table["segment_name"], table["stage"], margins=True, margins_name="total",
                       dropna=False)


# --------------------------------------------------------------------------- movement


def movement(before: str, after: str) -> str:
    """Classify one change of stage; journeys are not linear.

    - ``stayed``: the same stage;
    - ``next stage``: one step along :data:`STAGES` (Awareness -> Engagement ->
      First purchase -> Repeat -> Loyal), or from an active stage into At risk,
      or At risk -> Lapsed;
    - ``skipped a stage``: forward past at least one stage (Awareness straight to
      First purchase, First purchase to Loyal, a no-buyer straight to At risk);
    - ``went back``: back to an earlier stage, e.g. Loyal -> Repeat;
    - ``won back``: from At risk or Lapsed back to an earlier stage (a return).

    Empty when either stage is unknown.
    """
    if pd.isna(before) or pd.isna(after):
        return ""
    i, j = STAGES.index(before), STAGES.index(after)
    if i == j:
        return "stayed"
    if j < i:
        return "won back" if before in DECLINE else "went back"
    if j == i + 1 or (before in ACTIVE and after == "At risk"):
        return "next stage"
    return "skipped a stage"


def transition_matrix(table: pd.DataFrame) -> pd.DataFrame | None:
    """Customers by stage at the earlier cut-off (rows) and now (columns); None without one."""
    known = table.dropna(subset=["stage", "previous_stage"])
    if known.empty:
        return None
    matrix = pd.crosstab(known["previous_stage"].astype(str), known["stage"].astype(str))
    matrix = matrix.reindex(index=list(STAGES), columns=list(STAGES), fill_value=0)
    matrix.index.name, matrix.columns.name = "from", "to"
    return matrix


def transitions(table: pd.DataFrame) -> pd.DataFrame:
    """The moves as a list: ``from, to, customers, movement`` (pairs with customers only)."""
    matrix = transition_matrix(table)
    if matrix is None:
        return pd.DataFrame(columns=["from", "to", "customers", "movement"])
    pairs = matrix.reset_index().melt(id_vars="from", var_name="to", value_name="customers")
    order = {s: k for k, s in enumerate(STAGES)}
    pairs = pairs[pairs["customers"] > 0].sort_values(
        ["from", "to"], key=lambda s: s.map(order)).reset_index(drop=True)
    pairs["movement"] = [movement(a, b) for a, b in zip(pairs["from"], pairs["to"], strict=True)]
    return pairs


#: Customers with a stage now who were not yet customers at the earlier cut-off.
NEW_SINCE = "new since the cut-off"


def plan_view(plan: pd.DataFrame | None) -> pd.DataFrame | None:
    """The plan for reading: numbers formatted, blanks for stages without customers."""
    if plan is None:
        return None
    shown = plan.copy()
    shown["share"] = [f"{v:.0%}" for v in shown["share"]]
    for column in ("mean_revenue", "mean_clv", "clv_at_stake"):
        if column in shown:
            shown[column] = ["" if pd.isna(v) or (column == "clv_at_stake" and n == 0)
                             else f"{v:,.0f}" for v, n in zip(shown[column], shown["customers"],
                                                              strict=True)]
    return shown.set_index(["segment_name", "stage"]).drop(columns="segment")


def movement_counts(table: pd.DataFrame) -> pd.DataFrame | None:
    """Customers per kind of movement (:data:`MOVEMENTS`), with their share."""
    if transition_matrix(table) is None:
        return None
    moves = transitions(table)
    counts = moves.groupby("movement")["customers"].sum().reindex(list(MOVEMENTS), fill_value=0)
    counts[NEW_SINCE] = int((table["stage"].notna() & table["previous_stage"].isna()).sum())
    total = counts.sum()
    return pd.DataFrame({"customers": counts,
                         "share": (counts / total).round(3) if total else 0.0})


# --------------------------------------------------------------------------- the plan


def playbook(stage: str, locale: str = "en") -> tuple[str, str, str, str]:
    """A stage's goal, action, channel and moment in the run's language.

    From the message catalogue; the English texts are :data:`PLAYBOOK` itself.
    """
    from seglib import i18n

    return (i18n.t(f"goal.{stage}", locale),
            *(i18n.t(f"playbook.{stage}.{part}", locale)
              for part in ("action", "channel", "moment")))


def channel_word(column: str, locale: str = "en") -> str:
    """A purchase channel in words ("web and app" for ``online_share``; "email")."""
    from seglib import i18n

    return i18n.t(f"channel.{column}", locale)


def main_channels(customers: pd.DataFrame, segments: pd.DataFrame,
                  locale: str = "en") -> pd.Series:
    """Each segment's main purchase channel, from the mean channel shares of its customers."""
    shares = [c for c in CHANNELS if c in customers]
    if not shares:
        return pd.Series(dtype=str)
    means = (customers[["customer_id", *shares]]
             .merge(segments[["customer_id", "segment"]], on="customer_id")
             .groupby("segment")[shares].mean())
    return means.idxmax(axis=1).dropna().map(lambda column: channel_word(column, locale))


def lifecycle_plan(table: pd.DataFrame, targeting: pd.DataFrame | None,
                   customers: pd.DataFrame, clv: pd.DataFrame | None = None,
                   locale: str = "en", **rules) -> pd.DataFrame | None:
    """The lifecycle marketing plan: one row per target segment and stage.

    Target segments are targeting's ``selected`` rows in rank order (every
    segment but 0 when targeting chose none). Each row has the segment's
    customers in the stage, their share of the segment, their mean revenue and
    CLV (from ``clv``), the CLV at stake (sum), and the :data:`PLAYBOOK`'s goal,
    action, channel (with the segment's main purchase channel) and moment (with
    the thresholds of ``rules``), in the run's language (``locale``; the ``stage``
    column keeps the stage's name, a key). None without stages.
    """
    if table["stage"].isna().all() or "segment" not in table:
        return None
    params = _rules(rules)
    chosen = targeting[targeting["selected"].astype(bool)] if targeting is not None else None
    if chosen is None or chosen.empty:
        names = table.loc[table["segment"] != 0, ["segment", "segment_name"]].drop_duplicates()
        chosen = names.sort_values("segment").assign(rank=np.nan)
    elif "rank" in chosen:
        chosen = chosen.sort_values("rank", kind="stable")
    data = table.merge(customers[["customer_id"]].assign(
        revenue=_numbers(customers, "revenue").to_numpy()), on="customer_id", how="left")
    if clv is not None:
        data = data.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
    channels = main_channels(customers, table, locale)
    words = params.model_dump()
    rows = []
    for segment, name in zip(chosen["segment"], chosen["segment_name"], strict=True):
        members = data[data["segment"] == segment]
        main = channels.get(segment, channel_word("email", locale))
        for stage in STAGES:
            here = members[members["stage"] == stage]
            goal, action, channel, moment = playbook(stage, locale)
            rows.append({
                "segment": segment, "segment_name": name, "stage": stage,
                "customers": len(here),
                "share": round(len(here) / len(members), 3) if len(members) else 0.0,
                "mean_revenue": here["revenue"].mean() if len(here) else np.nan,
                "mean_clv": here["clv"].mean() if "clv" in here and len(here) else np.nan,
                "clv_at_stake": here["clv"].sum() if "clv" in here else np.nan,
                "goal": goal, "action": action, "channel": channel.format(main=main),
                "moment": moment.format(**words),
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- plots


# --------------------------------------------------------------------------- outputs


def write_outputs(table: pd.DataFrame, run: RunFolder | Path,
                  plan: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``lifecycle.csv``, ``lifecycle_transitions.csv`` and ``lifecycle_plan.csv``.

    ``lifecycle.csv`` has ``customer_id, stage, previous_stage, segment,
    segment_name``; the transitions file ``from, to, customers, movement``; the
    plan file is written when there is a plan. ``run`` must be the
    :class:`RunFolder` the segments were read through.
    """
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    columns = [c for c in ("customer_id", "stage", "previous_stage", "segment", "segment_name")
               if c in table]
    written = run.write_lifecycle(table[columns], transitions(table), plan)
    keys = {"lifecycle.csv": "lifecycle", "lifecycle_transitions.csv": "transitions",
            "lifecycle_plan.csv": "plan"}
    return {keys[name]: path for name, path in written.items()}
