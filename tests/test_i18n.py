"""The message catalogue and the locale formats (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from seglib import i18n


def test_every_key_has_every_locale_with_the_same_placeholders():
    assert i18n.catalogue_problems() == []


def test_the_check_catches_a_missing_translation_and_a_changed_placeholder():
    broken = {"a": {"en": "{n} customers"}, "b": {"en": "{n} customers", "vi": "{m} khách"},
              "c": {"en": "ok", "vi": "ok"}}
    found = i18n.catalogue_problems(broken)
    assert len(found) == 2
    assert found[0].startswith("a: no text for vi")
    assert found[1].startswith("b: vi has ['m']")


def test_every_lifecycle_stage_and_goal_is_in_the_catalogue():
    from seglib.lifecycle import PLAYBOOK, STAGES, playbook

    for stage in STAGES:
        assert i18n.has(f"stage.{stage}") and i18n.has(f"goal.{stage}"), stage
        assert playbook(stage, "en") == PLAYBOOK[stage]
        vi = playbook(stage, "vi")
        assert all(vi) and vi != PLAYBOOK[stage]


def test_the_lifecycle_plan_speaks_the_runs_language():
    import pandas as pd

    from seglib.lifecycle import lifecycle_plan

    table = pd.DataFrame({"customer_id": ["a", "b"], "stage": ["At risk", "Lapsed"],
                          "segment": [1, 1], "segment_name": ["Khách quen", "Khách quen"]})
    customers = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [10.0, 20.0],
                              "store_share": [0.9, 0.8], "online_share": [0.1, 0.2]})
    plan = lifecycle_plan(table, None, customers, locale="vi").set_index("stage")
    assert plan.loc["At risk", "goal"] == "kéo họ trở lại trước khi rời bỏ"
    assert plan.loc["At risk", "channel"] == "tại cửa hàng (cá nhân) và email"
    assert plan.loc["Lapsed", "moment"] == "một lần, sau 365 ngày không mua; sau đó ngừng gửi"


@pytest.mark.parametrize(("value", "locale", "expected"), [
    (1234567, "vi", "1.234.567"),
    (1234567, "en", "1,234,567"),
    (np.nan, "en", "–"),
])
def test_numbers(value, locale, expected):
    assert i18n.number(value, locale) == expected


@pytest.mark.parametrize(("share", "locale", "digits", "expected"), [
    (0.125, "vi", 1, "12,5%"),
    (0.125, "en", 1, "12.5%"),
    (0.126, "en", None, "13%"),    # from 10% up, no decimals
    (0.009, "en", None, "0.9%"),   # below, one
    (0.009, "vi", None, "0,9%"),
    (0.0001, "en", None, "<0.1%"),
    (0.0, "en", None, "0%"),
    (1.0, "vi", None, "100%"),
])
def test_percentages(share, locale, digits, expected):
    assert i18n.percent(share, locale, digits=digits) == expected


@pytest.mark.parametrize(("value", "currency", "locale", "expected"), [
    (1234567.89, "VND", "vi", "1.234.568\xa0₫"),
    (1234567.89, "USD", "en", "$1,234,568"),
    (12.5, "USD", "en", "$12.50"),
    (999.99, "USD", "en", "$999.99"),
    (1000.4, "USD", "en", "$1,000"),
    (-2500, "USD", "en", "-$2,500"),
    (12.6, "VND", "vi", "13\xa0₫"),          # the dong has no minor unit
    (1500.6, "", "en", "1,501"),              # no currency: the number alone
    (2.5, "", "en", "2.50"),
])
def test_money_has_the_currency_and_no_cents_from_1000(value, currency, locale, expected):
    assert i18n.money(value, currency, locale) == expected


def test_dates():
    day = dt.date(2025, 1, 31)
    assert i18n.date(day, "vi") == "31/01/2025"
    assert i18n.date(day, "en") == "Jan 31, 2025"
    assert i18n.date("2025-01-31T10:00:00", "vi") == "31/01/2025"
    assert i18n.date(None, "en") == "–"


def test_an_unknown_key_or_locale_is_an_error():
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "en")
    with pytest.raises(ValueError, match="locale"):
        i18n.number(1, "fr")


def test_the_house_font_draws_every_vietnamese_text_of_the_catalogue():
    """A missing glyph is drawn as a box: matplotlib warns, and here that fails the test."""
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seglib import plots
    plots.notebook_style()
    texts = [v["vi"] for v in i18n.CATALOGUE.values()] + ["Tiết Kiệm Plus, Mây Tre, Phố Trend"]
    fig, ax = plt.subplots()
    for i, text in enumerate(texts):
        ax.text(0, i, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    plt.close(fig)


def test_column_labels_in_the_runs_language():
    assert i18n.column_label("avg_order_value", "vi") == "Giá trị đơn trung bình"
    assert i18n.column_label("avg_order_value", "en") == "Average order value"
    # a category's dummy keeps the client's value; a category share names the category
    assert i18n.column_label("gender = nam", "vi") == "Giới tính = nam"
    assert i18n.column_label("category_share_noi_that", "vi",
                             {"nội thất": "category_share_noi_that"}) == \
        "Tỷ trọng chi tiêu: nội thất"
    assert i18n.column_label("category_share_noi_that", "en") == "Share of spend: noi that"
    assert i18n.column_label("Loyalty_points", "vi") == "Loyalty points"  # the client's column


def test_the_segment_heatmap_and_the_stage_bars_speak_the_runs_language():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from seglib import plots

    differences = pd.DataFrame({"avg_order_value": [1.0, -1.0], "gender = nữ": [0.5, -0.5],
                                "category_share_noi_that": [0.2, -0.2]}, index=[1, 2])
    fig = plots.standardized_differences(differences, {1: "Khách quen", 2: "Khách mới"},
                                         locale="vi",
                                         categories={"nội thất": "category_share_noi_that"})
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["Giá trị đơn trung bình", "Giới tính = nữ", "Tỷ trọng chi tiêu: nội thất"]
    plt.close(fig)
    table = pd.DataFrame({"segment_name": ["A", "A", "B"],
                          "stage": ["At risk", "Lapsed", "At risk"]})
    fig = plots.stages_by_segment(table, ("At risk", "Lapsed"), locale="vi")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["0%", "20%", "40%", "60%", "80%", "100%"]
    plt.close(fig)


def test_a_dollar_sign_in_a_name_is_a_dollar_sign_in_every_plot():
    """A segment called "50% off $$" crashed stage 2: matplotlib read it as mathtext."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from seglib import plots

    names = {1: "50% off $$", 2: "A $5 deal"}
    figures = [plots.standardized_differences(pd.DataFrame({"age": [1.0, -1.0]}, index=[1, 2]),
                                              names),
               plots.stages_by_segment(pd.DataFrame({"segment_name": list(names.values()),
                                                     "stage": ["At risk", "Lapsed"]}),
                                       ("At risk", "Lapsed"))]
    for fig in figures:
        fig.canvas.draw()  # raised ValueError (mathtext) before
        shown = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
        assert set(names.values()) <= {s.replace("\n", " ") for s in shown}
        plt.close(fig)
