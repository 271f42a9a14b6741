"""``deck.pptx``: the run as slides for the client meeting (python-pptx).

Title, executive summary, the segments, targeting and the nine-box, one slide per
persona, the perceptual map and how to position, the lifecycle plan of each target, and
an appendix: in the run's language (:mod:`seglib.i18n`), built from the run's files and
from the plots of the executed notebooks (the same images as the report).

No text box may overflow its slide. PowerPoint does not measure text for us, so every
box is filled by :func:`paginate`, which estimates each line's height from its length,
the box's width and the font size (deliberately wide glyphs), and starts a new slide
"(continued)" when the box is full; tables take at most :data:`TABLE_ROWS` rows a slide.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from seglib import i18n
from seglib.figures import figure
from seglib.run_folder import RunFolder
from seglib.summary import ExecutiveSummary, lifecycle_by_target

#: Slide size (16:9) and the body area under the title, in inches.
WIDTH, HEIGHT = 13.333, 7.5
TITLE_BOX = (0.5, 0.3, 12.3, 0.9)
BODY_BOX = (0.6, 1.35, 12.1, 5.75)
TITLE_PT, BODY_PT, TABLE_PT = 26, 16, 12
#: Table rows a slide holds below its header (at TABLE_PT).
TABLE_ROWS = 12
#: Average glyph width as a share of the font size: generous, so estimates run long.
GLYPH = 0.55
LINE = 1.25

def lines_needed(text: str, width_in: float, points: float) -> int:
    """How many lines ``text`` takes in a box ``width_in`` wide at ``points``."""
    per_line = max(1, int(width_in * 72 / (points * GLYPH)))
    return max(1, sum(math.ceil(max(1, len(part)) / per_line) for part in text.split("\n")))


def capacity(height_in: float, points: float) -> int:
    """How many lines fit in a box ``height_in`` high at ``points``."""
    return max(1, int(height_in * 72 / (points * LINE)))


def paginate(items: Sequence[str], width_in: float, height_in: float,
             points: float) -> list[list[str]]:
    """Split paragraphs into pages that each fit the box (a paragraph is never split)."""
    pages: list[list[str]] = [[]]
    room = capacity(height_in, points)
    used = 0
    for item in items:
        need = lines_needed(item, width_in, points) + (1 if pages[-1] else 0)  # the gap
        if pages[-1] and used + need > room:
            pages.append([])
            used = 0
            need -= 1
        pages[-1].append(item)
        used += need
    return [page for page in pages if page]


class _Deck:
    def __init__(self, locale: str) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.locale = locale
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(WIDTH), Inches(HEIGHT)
        self.blank = self.prs.slide_layouts[6]

    def slide(self, title: str):
        """A new slide with its title, in the largest size at which the title fits."""
        slide = self.prs.slides.add_slide(self.blank)
        points = next((pt for pt in (TITLE_PT, 22, 18, 15)
                       if lines_needed(title, TITLE_BOX[2], pt) <= capacity(TITLE_BOX[3], pt)),
                      15)
        self.text(slide, [title], TITLE_BOX, points, bold=True, name="title")
        return slide

    def text(self, slide, paragraphs: Sequence[str], box, points: float, bold: bool = False,
             name: str = "body"):
        from pptx.util import Inches, Pt

        shape = slide.shapes.add_textbox(*(Inches(v) for v in box))
        shape.name = name
        frame = shape.text_frame
        frame.word_wrap = True
        for i, line in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(points)
            paragraph.font.bold = bold
            if i:
                paragraph.space_before = Pt(points * 0.4)
        return shape

    def bullets(self, title: str, items: Sequence[str]) -> None:
        """As many slides as the items need, the later ones titled "(continued)"."""
        pages = paginate(items, BODY_BOX[2], BODY_BOX[3], BODY_PT)
        for i, page in enumerate(pages):
            heading = title if i == 0 else i18n.t("deck.continued", self.locale, title=title)
            self.text(self.slide(heading), [f"• {item}" for item in page], BODY_BOX, BODY_PT)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[float] | None = None) -> None:
        from pptx.util import Inches, Pt

        chunks = [rows[i:i + TABLE_ROWS] for i in range(0, len(rows), TABLE_ROWS)] or [[]]
        for i, chunk in enumerate(chunks):
            heading = title if i == 0 else i18n.t("deck.continued", self.locale, title=title)
            slide = self.slide(heading)
            left, top, width, _ = BODY_BOX
            row_in = TABLE_PT * LINE * 2.2 / 72  # two lines a row at most
            shape = slide.shapes.add_table(len(chunk) + 1, len(header), Inches(left),
                                           Inches(top), Inches(width),
                                           Inches(row_in * (len(chunk) + 1)))
            shape.name = "table"
            grid = shape.table
            shares = widths or [1 / len(header)] * len(header)
            for j, share in enumerate(shares):
                grid.columns[j].width = Inches(width * share / sum(shares))
            for r, values in enumerate([header, *chunk]):
                for c, value in enumerate(values):
                    cell = grid.cell(r, c)
                    cell.text = str(value)
                    for paragraph in cell.text_frame.paragraphs:
                        paragraph.font.size = Pt(TABLE_PT)
                        paragraph.font.bold = r == 0

    def logo(self, slide, image: bytes) -> None:
        """The client's logo in the title slide's lower right corner (at most 3 x 1.5 in)."""
        from PIL import Image
        from pptx.util import Inches

        width, height = Image.open(io.BytesIO(image)).size
        scale = min(3.0 / width, 1.5 / height)
        w, h = width * scale, height * scale
        shape = slide.shapes.add_picture(io.BytesIO(image), Inches(WIDTH - 0.6 - w),
                                         Inches(HEIGHT - 0.6 - h), Inches(w), Inches(h))
        shape.name = "logo"

    def picture(self, title: str, png: bytes | None) -> None:
        from PIL import Image
        from pptx.util import Inches

        if png is None:
            return
        slide = self.slide(title)
        width, height = Image.open(io.BytesIO(png)).size
        left, top, box_w, box_h = BODY_BOX
        scale = min(box_w / width, box_h / height)
        w, h = width * scale, height * scale
        shape = slide.shapes.add_picture(io.BytesIO(png), Inches(left + (box_w - w) / 2),
                                         Inches(top), Inches(w), Inches(h))
        shape.name = "figure"


def build_deck(run_dir: str | Path, out_path: str | Path, summary: ExecutiveSummary, *,
               locale: str = "en", currency: str = "", cover: Sequence[str] = (),
               facts: dict | None = None, logo: bytes | None = None) -> Path:
    """Write ``deck.pptx`` for a finished run (see the module docstring); return its path."""
    run_dir, out_path = Path(run_dir), Path(out_path)
    run = RunFolder(run_dir)
    tr = lambda key, **values: i18n.t(key, locale, **values)  # noqa: E731
    pct = lambda value: i18n.percent(value, locale)  # noqa: E731
    deck = _Deck(locale)

    first = deck.slide(tr("report.title"))
    deck.text(first, list(cover), (0.6, 2.6, 12.1, 2.0), 20)
    if logo:
        deck.logo(first, logo)

    deck.bullets(summary.title, [summary.lead] + [line for block in summary.blocks
                                                   for line in block.lines])

    profiles = run.read_segment_profiles()
    targeting = run.read_targeting() if run.exists("targeting.csv") else None
    scored = targeting.set_index("segment") if targeting is not None else None
    rows = []
    for row in profiles.itertuples(index=False):
        revenue_share = (scored["revenue_share"].get(row.segment)
                         if scored is not None and "revenue_share" in scored else None)
        rows.append([row.segment_name, i18n.number(row.customers, locale), pct(row.share),
                     pct(revenue_share)])
    deck.table(tr("deck.segments"), [tr("deck.col.segment"), tr("deck.col.customers"),
                                     tr("deck.col.share"), tr("deck.col.revenue_share")],
               rows, widths=[5, 2, 2, 2])
    deck.picture(tr("deck.segments_apart"), figure(run_dir, "segments_apart"))

    if targeting is not None:
        ranked = targeting[targeting["rank"].notna()].sort_values("rank", kind="stable")
        rows = [[row.segment_name, i18n.number(row.rank, locale),
                 i18n.number(row.attractiveness, locale, digits=1),
                 i18n.money(getattr(row, "clv_mean", None), currency, locale),
                 tr("deck.yes") if row.selected else tr("deck.no")]
                for row in ranked.itertuples(index=False)]
        deck.table(tr("deck.targeting"), [tr("deck.col.segment"), tr("deck.col.rank"),
                                          tr("deck.col.attractiveness"), tr("deck.col.clv"),
                                          tr("deck.col.target")], rows,
                   widths=[5, 1, 2, 2.5, 1.2])
        deck.picture(tr("deck.nine_box"), figure(run_dir, "nine_box"))

    personas = run.read_personas() if run.exists("personas.json") else []
    for persona in personas:
        slide = deck.slide(tr("deck.persona", persona=persona["name"],
                              name=persona["segment_name"]))
        left = (BODY_BOX[0], BODY_BOX[1], 5.6, BODY_BOX[3])
        right = (6.6, BODY_BOX[1], 6.1, BODY_BOX[3])
        portrait = paginate([persona["title"], persona["summary"]], left[2], left[3],
                            BODY_PT - 2)[0]
        deck.text(slide, portrait, left, BODY_PT - 2)
        traits = [f"{t['trait']}: {t['value']}" for t in persona.get("traits", [])]
        deck.text(slide, paginate(traits, right[2], right[3], TABLE_PT)[0], right, TABLE_PT)

    deck.picture(tr("deck.positioning_map"), figure(run_dir, "positioning_map"))
    place = summary.block("positioning")
    if place is not None:
        deck.bullets(tr("deck.positioning"), place.lines)

    for shown in lifecycle_by_target(run):
        rows = [[i18n.stage_name(r.stage, locale), i18n.number(r.customers, locale),
                 pct(r.share), r.goal, r.channel] for r in shown.itertuples(index=False)]
        deck.table(tr("deck.lifecycle", name=shown["segment_name"].iloc[0]),
                   [tr("deck.col.stage"), tr("deck.col.customers"), tr("deck.col.share"),
                    tr("deck.col.goal"), tr("deck.col.channel")], rows,
                   widths=[3, 1.5, 1.5, 3.5, 3])

    facts = facts or {}
    deck.table(tr("deck.appendix"), [tr("deck.col.fact"), tr("deck.col.value")],
               [[key, str(value)] for key, value in facts.items()], widths=[1, 2])

    partial = out_path.with_name(f".{out_path.name}.partial")
    deck.prs.save(str(partial))
    partial.replace(out_path)
    return out_path
