"""``report.html``: the report the client receives, findings first, method in an appendix.

A cover (the client, the dates), the executive summary (:mod:`seglib.summary`), then the
findings: who the customers are, which segments to target, how to position, the
personas, where customers are in their lifecycle. The appendix holds the data and its
cleaning, the decisions and their reasons, and the facts of the run; the method, step by
step, is the workbook (``workbook.html``, the executed notebooks) delivered beside it.

Everything comes from the run folder's files (read through
:class:`~seglib.run_folder.RunFolder`) and the plots of the executed notebooks
(:mod:`seglib.figures`); every word from the message catalogue (:mod:`seglib.i18n`),
every number through its locale formats. A section whose data are absent is one line
saying so. The page is rendered by jinja2 with autoescaping, so text from the client's
data (segment names, brands, categories) is always escaped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from seglib import i18n
from seglib.figures import data_uri, figure
from seglib.run_folder import RunFolder
from seglib.summary import ExecutiveSummary, lifecycle_by_target, to_html

UNCLASSIFIED = 0


@dataclass
class Section:
    """One part of the report: an anchor, a title and its blocks (see the template)."""

    id: str
    title: str
    blocks: list[dict] = field(default_factory=list)
    appendix: bool = False

    def text(self, text: str) -> None:
        """A paragraph."""
        self.blocks.append({"kind": "text", "text": text})

    def heading(self, text: str) -> None:
        """A sub-heading."""
        self.blocks.append({"kind": "heading", "text": text})

    def items(self, items: list[str]) -> None:
        """A bulleted list (nothing when empty)."""
        if items:
            self.blocks.append({"kind": "list", "entries": items})

    def figure(self, png: bytes | None, caption: str) -> None:
        """A plot with its caption (nothing when the run drew none)."""
        if png is not None:
            self.blocks.append({"kind": "figure", "src": data_uri(png), "caption": caption})

    def table(self, header: list[str], rows: list[list[str]], numeric: list[bool]) -> None:
        """A table: labelled columns, formatted cells, numbers right-aligned."""
        self.blocks.append({"kind": "table", "header": header, "rows": rows,
                            "numeric": numeric})

    def html(self, fragment: str) -> None:
        """A fragment built with every text escaped already (the persona cards)."""
        self.blocks.append({"kind": "html", "html": Markup(fragment)})  # noqa: S704


def _image_uri(image: bytes) -> str:
    kind = "jpeg" if image[:3] == b"\xff\xd8\xff" else "png"
    return data_uri(image).replace("image/png", f"image/{kind}", 1)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def findings(run_dir: str | Path, summary: ExecutiveSummary, *, locale: str = "en",
             currency: str = "", decisions: list[list[str]] | None = None,
             facts: dict[str, Any] | None = None,
             workbook_file: str = "workbook.html") -> list[Section]:
    """The report's sections for one finished run (the findings, then the appendix)."""
    from seglib import persona

    run = RunFolder(run_dir)
    tr = lambda key, **values: i18n.t(key, locale, **values)  # noqa: E731
    num = lambda value: i18n.number(value, locale)  # noqa: E731
    pct = lambda value: i18n.percent(value, locale)  # noqa: E731
    cash = lambda value: i18n.money(value, currency, locale)  # noqa: E731

    profiles = run.read_segment_profiles()
    targeting = run.read_targeting() if run.exists("targeting.csv") else None
    scored = targeting.set_index("segment") if targeting is not None else None

    def of(segment: int, column: str):
        if scored is None or column not in scored:
            return None
        return scored[column].get(segment)

    who = Section("segments", tr("client.segments"))
    unclassified = profiles.loc[profiles["segment"] == UNCLASSIFIED, "customers"].sum()
    who.text(tr("client.segments_intro",
                segments=num((profiles["segment"] != UNCLASSIFIED).sum()),
                unclassified=num(unclassified)))
    order = profiles.assign(_order=[of(s, "revenue_share") or 0 for s in profiles["segment"]])
    order = order.sort_values(["_order", "segment"], ascending=[False, True], kind="stable")
    who.table([tr("col.segment"), tr("col.customers"), tr("col.share"),
               tr("col.revenue_share"), tr("col.revenue_per_customer"),
               tr("col.orders_per_customer")],
              [[row.segment_name, num(row.customers), pct(row.share),
                pct(of(row.segment, "revenue_share")), cash(of(row.segment,
                                                               "revenue_per_customer")),
                i18n.number(of(row.segment, "orders_per_customer"), locale, digits=1)]
               for row in order.itertuples(index=False)],
              [False, True, True, True, True, True])
    who.figure(figure(run_dir, "segments_apart"), tr("client.segments_apart"))

    aim = Section("targeting", tr("client.targeting"))
    if targeting is not None:
        chosen = targeting[targeting["selected"].astype(bool)]
        aim.text(tr("client.targeting_intro", top_n=num(len(chosen))))
        ranked = targeting[targeting["rank"].notna()].sort_values("rank", kind="stable")
        aim.table([tr("col.segment"), tr("col.rank"), tr("col.attractiveness"),
                   tr("col.clv"), tr("col.robustness"), tr("col.strategy"), tr("col.target")],
                  [[row.segment_name, num(row.rank),
                    i18n.number(row.attractiveness, locale, digits=1),
                    cash(getattr(row, "clv_mean", None)), pct(getattr(row, "p_top_n", None)),
                    tr(f"strategy.{row.strategy}") if i18n.has(f"strategy.{row.strategy}")
                    else str(getattr(row, "strategy", "–")),
                    tr("deck.yes") if row.selected else tr("deck.no")]
                   for row in ranked.itertuples(index=False)],
                  [False, True, True, True, True, False, False])
        aim.items(summary.block("targets").lines if summary.block("targets") else [])
        aim.figure(figure(run_dir, "nine_box"), tr("client.nine_box"))

    place = Section("positioning", tr("client.positioning"))
    positions = run.read_positioning_targets()
    if positions is None or positions.empty:
        place.text(tr("summary.position_none"))
    else:
        place.figure(figure(run_dir, "positioning_map"), tr("client.positioning_map"))
        place.items(summary.block("positioning").lines)
        space = run.read_white_space()
        if space is not None and "open" in space and space["open"].astype(bool).any():
            names = [str(a).replace("_", " ") for a in space.loc[space["open"].astype(bool),
                                                                 "attribute"]]
            place.text(tr("client.white_space", attributes=", ".join(names)))

    people = Section("personas", tr("client.personas"))
    cards = run.read_personas() if run.exists("personas.json") else []
    if cards:
        people.html(persona.cards_html(cards, locale))
    else:
        people.text(tr("client.personas_none"))

    life = Section("lifecycle", tr("client.lifecycle"))
    plans = lifecycle_by_target(run)
    if not plans:
        life.text(tr("client.lifecycle_none"))
    else:
        life.items(summary.block("lifecycle").lines if summary.block("lifecycle") else [])
        for shown in plans:
            life.heading(str(shown["segment_name"].iloc[0]))
            life.table([tr("col.stage"), tr("col.customers"), tr("col.share"), tr("col.goal"),
                        tr("col.action"), tr("col.channel"), tr("col.moment")],
                       [[i18n.stage_name(r.stage, locale), num(r.customers), pct(r.share), r.goal,
                         r.action, r.channel, r.moment] for r in shown.itertuples(index=False)],
                       [False, True, True, False, False, False, False])
        life.figure(figure(run_dir, "stages_by_segment"), tr("client.lifecycle_chart"))

    data = Section("data-quality", f"{tr('client.appendix')}: {tr('client.data_quality')}",
                   appendix=True)
    ledger = run.read_ledger()
    data.table([tr("col.source"), tr("col.rule"), tr("col.rows"), tr("col.revenue"),
                tr("col.what_was_done")],
               [[tr(f"source.{r.source}") if i18n.has(f"source.{r.source}") else str(r.source),
                 str(r.rule), num(r.rows), cash(r.revenue),
                 "" if pd.isna(r.action) else str(r.action)]
                for r in ledger.itertuples(index=False)],
               [False, False, True, True, False])
    why = Section("decisions", f"{tr('client.appendix')}: {tr('client.decisions')}",
                  appendix=True)
    why.table([tr("col.decision"), tr("col.choice"), tr("col.reason")], decisions or [],
              [False, False, False])
    about = Section("about-this-run", f"{tr('client.appendix')}: {tr('report.about')}",
                    appendix=True)
    about.table([tr("deck.col.fact"), tr("deck.col.value")],
                [[key, str(value)] for key, value in (facts or {}).items()], [False, False])
    about.text(tr("client.workbook", file=workbook_file))
    return [who, aim, place, people, life, data, why, about]


def build_client_report(run_dir: str | Path, out_path: str | Path,
                        summary: ExecutiveSummary, *, title: str, subtitle: list[str],
                        locale: str = "en", currency: str = "",
                        decisions: list[list[str]] | None = None,
                        facts: dict[str, Any] | None = None, css: str = "",
                        logo: bytes | None = None) -> Path:
    """Write the client's report (see the module docstring); return its path.

    ``logo``: the client's logo (PNG or JPEG bytes), shown on the cover.
    """
    out_path = Path(out_path)
    sections = findings(run_dir, summary, locale=locale, currency=currency,
                        decisions=decisions, facts=facts)
    page = _environment().get_template("report.html.j2").render(
        lang=locale, title=title, subtitle=subtitle, css=Markup(css),  # noqa: S704
        logo=_image_uri(logo) if logo else "",
        summary=Markup(to_html(summary)), summary_title=summary.title,  # noqa: S704
        contents=i18n.t("report.contents", locale), sections=sections)
    partial = out_path.with_name(f".{out_path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out_path)
    return out_path
