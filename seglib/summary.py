"""The executive summary: the one page a client's marketing director reads first.

Built after every stage, from the run folder's files only (read through
:class:`~seglib.run_folder.RunFolder`, so a file from an earlier segmentation is
refused): who the customers are (``segment_profiles.csv``, ``targeting.csv``), whom to
target and why (``targeting.csv``), how to position for each target
(``positioning_targets.csv``), the personas (``personas.json``), the lifecycle priorities
(``lifecycle_plan.csv``) and the few caveats that matter (fragile choices, thin data).
Every number shown is a value of those files, formatted for the run's locale; the words
come from the message catalogue (:mod:`seglib.i18n`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from seglib import i18n
from seglib.run_folder import RunFolder
from seglib.targeting.portfolio import PLAUSIBLE_RETURN

UNCLASSIFIED = 0

#: A target whose share of plausible weightings that keep it in the top N is below this
#: is called fragile.
FRAGILE_BELOW = 0.8
#: Fewer customers than this in a target segment: its averages rest on few people.
SMALL_SEGMENT = 50
#: Fewer survey respondents than this behind a target's positioning: thin evidence.
THIN_RESPONDENTS = 30
#: Unclassified customers above this share are a caveat.
UNCLASSIFIED_ABOVE = 0.10
#: At most this many caveats: the ones that matter.
MAX_CAVEATS = 3


@dataclass
class Block:
    """One part of the summary: a heading and its lines (plain text, not yet escaped)."""

    key: str
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass
class ExecutiveSummary:
    """The summary's text, and the values behind it (for tests and the deck)."""

    title: str
    lead: str
    blocks: list[Block]
    facts: dict

    def block(self, key: str) -> Block | None:
        """The block of that key (``segments``, ``targets``, ...), or None."""
        return next((b for b in self.blocks if b.key == key), None)


def lifecycle_by_target(run: RunFolder) -> list[pd.DataFrame]:
    """The lifecycle plan's rows of each target segment that hold customers, in rank order.

    Empty without a plan (no purchase history, or no lifecycle stage run).
    """
    plan = run.read_lifecycle_plan() if run.exists("lifecycle.csv") else None
    if plan is None or plan.empty:
        return []
    groups = (rows[rows["customers"] > 0] for _, rows in plan.groupby("segment", sort=False))
    return [rows for rows in groups if not rows.empty]


def _finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def executive_summary(run_dir: str | Path, *, locale: str = "en", currency: str = "",
                      campaign_costs: bool = False) -> ExecutiveSummary:
    """The executive summary of one finished run (see the module docstring).

    ``campaign_costs``: the client's costs per contact were given, so a campaign's added
    margin and cost are the client's numbers and are stated; with the currency's default
    costs (:data:`seglib.config.COST_DEFAULTS`, an assumption) they are not.
    """
    run = RunFolder(run_dir)
    tr = lambda key, **values: i18n.t(key, locale, **values)  # noqa: E731
    num = lambda value: i18n.number(value, locale)  # noqa: E731
    pct = lambda value: i18n.percent(value, locale)  # noqa: E731
    cash = lambda value: i18n.money(value, currency, locale)  # noqa: E731

    profiles = run.read_segment_profiles()
    targeting = (run.read_targeting() if run.exists("targeting.csv")
                 else pd.DataFrame(columns=["segment", "segment_name", "selected", "rank"]))
    customers = run.read_customers()
    revenue = float(customers["revenue"].sum()) if "revenue" in customers else None
    segmented = profiles[profiles["segment"] != UNCLASSIFIED]
    unclassified = profiles[profiles["segment"] == UNCLASSIFIED]
    facts: dict = {"customers": int(profiles["customers"].sum()), "revenue": revenue,
                   "segments": len(segmented), "targets": [], "segment_rows": []}
    lead = tr("summary.customers", customers=num(facts["customers"]),
              revenue=cash(revenue) if revenue is not None else "–",
              segments=num(facts["segments"]))

    scored = targeting.set_index("segment")
    who = Block("segments", tr("summary.segments_heading"))
    order = segmented.assign(_rev=segmented["segment"].map(scored["revenue_share"])
                             if "revenue_share" in scored else 0.0)
    order = order.sort_values(["_rev", "segment"], ascending=[False, True], kind="stable")
    for row in order.itertuples(index=False):
        share_of_revenue = scored["revenue_share"].get(row.segment) \
            if "revenue_share" in scored else None
        who.lines.append(tr("summary.segment_line", name=row.segment_name,
                            customers=num(row.customers), share=pct(row.share),
                            revenue_share=pct(share_of_revenue)))
        facts["segment_rows"].append({"segment": int(row.segment), "customers": int(row.customers),
                                      "share": float(row.share),
                                      "revenue_share": share_of_revenue})
    if len(unclassified) and int(unclassified["customers"].iloc[0]):
        row = unclassified.iloc[0]
        who.lines.append(tr("summary.unclassified_line", customers=num(row["customers"]),
                            share=pct(row["share"])))

    chosen = targeting[targeting["selected"].astype(bool)].sort_values("rank", kind="stable")
    aim = Block("targets", tr("summary.targets_heading"))
    for row in chosen.itertuples(index=False):
        line = tr("summary.target_line", name=row.segment_name, rank=num(row.rank),
                  score=i18n.number(row.attractiveness, locale, digits=1),
                  clv=cash(row.clv_mean) if _finite(getattr(row, "clv_mean", None)) else "–",
                  revenue_share=pct(getattr(row, "revenue_share", None)))
        if campaign_costs and _finite(getattr(row, "expected_value", None)) and \
                _finite(getattr(row, "campaign_cost", None)):
            line += tr("summary.target_campaign_margin", value=cash(row.expected_value),
                       cost=cash(row.campaign_cost))
        aim.lines.append(line)
        facts["targets"].append({"segment": int(row.segment), "rank": int(row.rank),
                                 "attractiveness": float(row.attractiveness),
                                 "clv_mean": getattr(row, "clv_mean", None)})

    place = Block("positioning", tr("summary.positioning_heading"))
    positions = run.read_positioning_targets()
    if positions is None or positions.empty:
        place.lines.append(tr("summary.position_none"))
    else:
        for row in positions.itertuples(index=False):
            inferred = getattr(row, "respondents", 1) == 0  # no ratings of its own
            if bool(getattr(row, "open_position", False)):
                place.lines.append(tr("summary.position_open", name=row.segment_name))
            else:
                place.lines.append(tr("summary.position_inferred" if inferred
                                      else "summary.position_line", name=row.segment_name,
                                      needs=row.top_needs.replace("_", " ")
                                      if isinstance(row.top_needs, str)
                                      else "–",
                                      competitor=row.nearest_competitor
                                      if isinstance(row.nearest_competitor, str) else "–"))

    people = Block("personas", tr("summary.personas_heading"))
    for persona in run.read_personas() if run.exists("personas.json") else []:
        people.lines.append(tr("summary.persona_line", persona=persona["name"],
                               name=persona["segment_name"],
                               customers=num(persona["customers"])))

    life = Block("lifecycle", tr("summary.lifecycle_heading"))
    for rows in lifecycle_by_target(run):
        stake = rows["clv_at_stake"].fillna(0)
        top = rows.loc[stake.idxmax()] if stake.max() > 0 else \
            rows.loc[rows["customers"].idxmax()]
        life.lines.append(tr("summary.lifecycle_line", name=top["segment_name"],
                             customers=num(top["customers"]), share=pct(top["share"]),
                             stage=i18n.stage(top["stage"], locale),
                             goal=tr(f"goal.{top['stage']}")))

    caveats = Block("caveats", tr("summary.caveats_heading"))
    found: list[str] = []
    for row in chosen.itertuples(index=False):
        p = getattr(row, "p_top_n", None)
        if _finite(p) and float(p) < FRAGILE_BELOW:
            found.append(tr("summary.caveat_fragile", name=row.segment_name, p=pct(p)))
    if positions is not None:
        for row in positions.itertuples(index=False):
            if _finite(row.respondents) and 0 < row.respondents < THIN_RESPONDENTS:
                found.append(tr("summary.caveat_thin_survey", name=row.segment_name,
                                respondents=num(row.respondents)))
    for row in chosen.itertuples(index=False):
        if str(getattr(row, "strategy", "")) == "harvest / divest":
            found.append(tr("summary.caveat_harvest", name=row.segment_name))
        if getattr(row, "strength_known", True) is False or \
                str(getattr(row, "strength_known", "")).lower() == "false":
            found.append(tr("summary.caveat_strength_unknown", name=row.segment_name))
        if campaign_costs and str(getattr(row, "roi_plausible", "")).lower() == "false" \
                and _finite(getattr(row, "roi", None)):
            found.append(tr("summary.caveat_roi_implausible", name=row.segment_name,
                            ratio=i18n.number(row.roi, locale, digits=1),
                            bound=f"{PLAUSIBLE_RETURN:g}"))
    for row in chosen.itertuples(index=False):
        if row.customers < SMALL_SEGMENT:
            found.append(tr("summary.caveat_small", name=row.segment_name,
                            customers=num(row.customers)))
    if len(unclassified) and float(unclassified["share"].iloc[0]) > UNCLASSIFIED_ABOVE:
        found.append(tr("summary.caveat_unclassified", share=pct(unclassified["share"].iloc[0])))
    caveats.lines = found[:MAX_CAVEATS] or [tr("summary.caveat_none")]

    blocks = [b for b in (who, aim, place, people, life, caveats) if b.lines]
    return ExecutiveSummary(title=tr("summary.title"), lead=lead, blocks=blocks, facts=facts)


def to_html(summary: ExecutiveSummary, anchor: str = "executive-summary") -> str:
    """The summary as an HTML section (every text escaped)."""
    parts = [f'<section class="executive-summary" id="{anchor}">',
             f"<h1>{html.escape(summary.title)}</h1>",
             f'<p class="lead">{html.escape(summary.lead)}</p>']
    for block in summary.blocks:
        parts.append(f'<h2 id="{anchor}-{block.key}">{html.escape(block.heading)}</h2>')
        parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in block.lines)
                     + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def frame_of_lines(summary: ExecutiveSummary) -> pd.DataFrame:
    """Every line of the summary with its block: what the deck's summary slide shows."""
    rows = [{"block": "lead", "heading": summary.title, "line": summary.lead}]
    rows += [{"block": b.key, "heading": b.heading, "line": line}
             for b in summary.blocks for line in b.lines]
    return pd.DataFrame(rows)
