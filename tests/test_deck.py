"""deck.pptx read back: its slides, their titles, numbers equal to the CSVs, nothing overflowing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Emu

from seglib import deck as deck_module
from seglib import i18n

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slides(demo_run):
    prs = Presentation(str(demo_run / "deck.pptx"))
    return prs, list(prs.slides)


def _title(slide) -> str:
    return next(s for s in slide.shapes if s.name == "title").text_frame.text


def test_the_deck_has_every_part_in_order(slides, demo_run):
    _, found = slides
    titles = [_title(s) for s in found]
    personas = json.loads((demo_run / "personas.json").read_text())
    targets = pd.read_csv(demo_run / "targeting.csv").query("selected")
    expected_start = ["Customer segmentation, targeting and positioning", "Executive summary"]
    assert titles[:2] == expected_start
    order = ["The segments", "What sets each segment apart",
             "Targeting: which segments deserve the effort",
             "The portfolio: attractiveness and our strength",
             *[f"Persona: {p['name']} ({p['segment_name']})" for p in personas],
             "The perceptual map", "How to position for each target",
             *[f"Lifecycle plan: {name}" for name in targets.sort_values("rank")["segment_name"]],
             "Appendix: about this run"]
    rest = [t for t in titles[2:] if not t.endswith("(continued)")]
    assert rest == order
    assert sum(t.startswith("Persona: ") for t in titles) == len(personas)


def test_segment_and_targeting_tables_equal_the_csvs(slides, demo_run):
    _, found = slides
    by_title = {_title(s): s for s in found}
    table = next(s for s in by_title["The segments"].shapes if s.name == "table").table
    cells = [[table.cell(r, c).text for c in range(4)] for r in range(1, len(table.rows))]
    profiles = pd.read_csv(demo_run / "segment_profiles.csv")
    targeting = pd.read_csv(demo_run / "targeting.csv").set_index("segment")
    assert cells == [[row.segment_name, f"{row.customers:,}", i18n.percent(row.share, "en"),
                      i18n.percent(targeting.loc[row.segment, "revenue_share"], "en")]
                     for row in profiles.itertuples()]
    table = next(s for s in by_title["Targeting: which segments deserve the effort"].shapes
                 if s.name == "table").table
    ranked = targeting[targeting["rank"].notna()].sort_values("rank")
    assert [table.cell(r, 0).text for r in range(1, len(table.rows))] == \
        list(ranked["segment_name"])
    assert [table.cell(r, 3).text for r in range(1, len(table.rows))] == \
        [i18n.money(v, "USD", "en") for v in ranked["clv_mean"]]


def test_nothing_overflows_its_slide(slides):
    _check_fits(*slides)


def test_the_vietnamese_deck_speaks_vietnamese_and_fits(demo_run, tmp_path):
    from seglib.deck import build_deck
    from seglib.summary import executive_summary

    summary = executive_summary(demo_run, locale="vi", currency="VND")
    path = build_deck(demo_run, tmp_path / "deck.pptx", summary, locale="vi", currency="VND",
                      cover=["Khách hàng A"], facts={"Lần chạy": "x"})
    prs = Presentation(str(path))
    titles = [_title(s) for s in prs.slides]
    assert titles[1] == "Tóm tắt cho ban lãnh đạo" and "Các phân khúc" in titles
    assert "Phụ lục: thông tin lần chạy" == titles[-1]
    assert not any(t.startswith(("The ", "Targeting", "Persona:")) for t in titles)
    table = next(s for s in prs.slides[titles.index("Các phân khúc")].shapes
                 if s.name == "table").table
    assert table.cell(0, 0).text == "Phân khúc"
    profiles = pd.read_csv(demo_run / "segment_profiles.csv")
    assert [table.cell(r, 2).text for r in range(1, len(table.rows))] == \
        [i18n.percent(v, "vi") for v in profiles["share"]]
    _check_fits(prs, list(prs.slides))


def _check_fits(prs, found):
    width, height = prs.slide_width, prs.slide_height
    for slide in found:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= width, (_title(slide), shape.name)
            assert shape.top + shape.height <= height, (_title(slide), shape.name)
            if shape.has_text_frame and shape.text_frame.text:
                paragraphs = [p.text for p in shape.text_frame.paragraphs]
                points = shape.text_frame.paragraphs[0].font.size.pt
                need = sum(deck_module.lines_needed(p, Emu(shape.width).inches, points)
                           for p in paragraphs) + len(paragraphs) - 1
                room = deck_module.capacity(Emu(shape.height).inches, points)
                assert need <= room, (_title(slide), paragraphs[:2])


def test_the_deck_pictures_are_the_reports_plots(slides):
    _, found = slides
    pictures = [s for slide in found for s in slide.shapes if s.name == "figure"]
    assert len(pictures) == 3


def test_paginate_never_splits_a_paragraph_and_fills_each_box():
    items = ["x" * 200] * 9
    pages = deck_module.paginate(items, 6.0, 3.0, 16)
    assert sum(len(p) for p in pages) == 9 and len(pages) > 1
    for page in pages:
        need = sum(deck_module.lines_needed(i, 6.0, 16) for i in page) + len(page) - 1
        assert need <= deck_module.capacity(3.0, 16)


def test_the_clients_logo_is_on_the_cover_and_the_title_slide(demo_run, tmp_path):
    from test_config import PNG_1X1

    from seglib.client_report import build_client_report
    from seglib.deck import build_deck
    from seglib.summary import executive_summary

    summary = executive_summary(demo_run)
    page = build_client_report(demo_run, tmp_path / "report.html", summary, title="T",
                               subtitle=["Prepared for Acme"], logo=PNG_1X1).read_text()
    assert '<img class="report-logo" src="data:image/png;base64,' in page
    deck = Presentation(str(build_deck(demo_run, tmp_path / "deck.pptx", summary,
                                       logo=PNG_1X1)))
    first = deck.slides[0]
    logo = next(s for s in first.shapes if s.name == "logo")
    assert logo.left + logo.width <= deck.slide_width
    assert logo.top + logo.height <= deck.slide_height
