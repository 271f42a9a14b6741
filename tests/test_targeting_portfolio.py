import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from seglib import plots
from seglib.errors import ConfigError, DataError
from seglib.targeting import portfolio

# ---------------------------------------------------------------- weight sensitivity


def test_dominant_segment_is_always_on_top():
    scores = pd.DataFrame({"size": [10, 4, 2], "revenue": [10, 3, 5], "margin": [10, 6, 1]},
                          index=[1, 2, 3])
    table = portfolio.weight_sensitivity(scores, {"size": 1, "revenue": 2, "margin": 1}, top_n=1,
                                         draws=500)
    assert table.loc[1, "p_top_n"] == 1.0
    assert table.loc[1, "base_rank"] == 1
    assert bool(table.loc[1, "selected"])
    assert not table["flip"].any()
    assert table.loc[1, "mean_rank"] == 1.0
    assert (table.loc[1, "rank_p05"], table.loc[1, "rank_p95"]) == (1, 1)
    assert list(table.columns) == ["p_top_n", "mean_rank", "rank_p05", "rank_p95", "base_rank",
                                   "selected", "flip"]
    assert list(table.index) == [1, 2, 3] and table.index.name == "segment"


def test_tied_segments_flip():
    # 1 and 2 score 5.5 each under equal weights, 3 is far behind
    scores = pd.DataFrame({"size": [10, 1, 2], "revenue": [1, 10, 2]}, index=[2, 1, 3])
    table = portfolio.weight_sensitivity(scores, {"size": 1, "revenue": 1}, top_n=1, draws=4000)
    # the tie at the base weights goes to the lower segment id
    assert table.loc[1, "base_rank"] == 1 and table.loc[2, "base_rank"] == 2
    assert table.loc[1, "p_top_n"] == pytest.approx(0.5, abs=0.04)
    assert table.loc[2, "p_top_n"] == pytest.approx(1 - table.loc[1, "p_top_n"])
    assert table.loc[3, "p_top_n"] == 0.0
    assert bool(table.loc[1, "flip"]) and bool(table.loc[2, "flip"])
    assert not table.loc[3, "flip"]
    assert table.loc[1, "mean_rank"] == pytest.approx(1.5, abs=0.04)
    assert (table.loc[1, "rank_p05"], table.loc[1, "rank_p95"]) == (1, 2)


def test_huge_concentration_reproduces_base_ranking():
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.uniform(1, 10, size=(7, 4)).round(2),
                          index=range(1, 8), columns=["a", "b", "c", "d"])
    weights = {"a": 3, "b": 1, "c": 0, "d": 2, "unused": 0}
    table = portfolio.weight_sensitivity(scores, weights, top_n=3, draws=300,
                                         concentration=1e9)
    base = (scores[["a", "b", "d"]] @ np.array([0.5, 1 / 6, 1 / 3])).rank(ascending=False)
    assert table["base_rank"].to_dict() == base.astype(int).to_dict()
    assert (table["mean_rank"] == table["base_rank"]).all()
    assert (table["rank_p05"] == table["base_rank"]).all()
    assert (table["rank_p95"] == table["base_rank"]).all()
    assert (table["p_top_n"] == table["selected"].astype(float)).all()
    assert table["selected"].sum() == 3
    assert not table["flip"].any()


def test_weight_zero_criterion_does_not_move_and_nan_is_neutral():
    scores = pd.DataFrame({"a": [8.0, np.nan, 3.0], "b": [1.0, 10.0, 1.0]}, index=[1, 2, 3])
    table = portfolio.weight_sensitivity(scores, {"a": 1, "b": 0}, top_n=2, draws=50)
    # only a counts: 8, 5.5 (missing), 3
    assert table["base_rank"].to_dict() == {1: 1, 2: 2, 3: 3}
    assert table["p_top_n"].to_dict() == {1: 1.0, 2: 1.0, 3: 0.0}


def test_sensitivity_is_deterministic():
    scores = pd.DataFrame({"a": [9, 6, 5, 2], "b": [2, 6, 7, 9], "c": [5, 5, 4, 8]},
                          index=[1, 2, 3, 4])
    weights = {"a": 1, "b": 1, "c": 1}
    first = portfolio.weight_sensitivity(scores, weights, 2, draws=200, concentration=5,
                                         random_state=11)
    again = portfolio.weight_sensitivity(scores, weights, 2, draws=200, concentration=5,
                                         random_state=11)
    other = portfolio.weight_sensitivity(scores, weights, 2, draws=200, concentration=5,
                                         random_state=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first["p_top_n"].equals(other["p_top_n"])


def test_unclassified_row_is_ignored_and_bad_inputs_raise():
    scores = pd.DataFrame({"a": [10, 5, 1]}, index=[0, 1, 2])
    table = portfolio.weight_sensitivity(scores, {"a": 1}, top_n=1, draws=10)
    assert list(table.index) == [1, 2]
    assert table.loc[1, "p_top_n"] == 1.0
    with pytest.raises(DataError, match="'b'"):
        portfolio.weight_sensitivity(scores, {"a": 1, "b": 2}, top_n=1)
    with pytest.raises(ConfigError, match="no weight"):
        portfolio.weight_sensitivity(scores, {"a": 0}, top_n=1)
    with pytest.raises(ConfigError, match="top_n"):
        portfolio.weight_sensitivity(scores, {"a": 1}, top_n=0)


def test_criterion_scores_from_the_targeting_table():
    scored = pd.DataFrame({"segment": [1, 0, 2], "segment_name": ["A", "New", "B"],
                           "attractiveness": [7.0, np.nan, 3.0],
                           "size_score": [10.0, np.nan, 1.0], "revenue_score": [4.0, np.nan, 9.0]})
    scores = portfolio.criterion_scores(scored)
    assert list(scores.columns) == ["size", "revenue"]
    assert list(scores.index) == [1, 2]
    assert scores.loc[2, "revenue"] == 9.0


def test_sensitivity_text_names_robust_and_flipping_choices():
    table = pd.DataFrame({
        "p_top_n": [0.97, 0.55, 0.45, 0.02], "mean_rank": [1.0, 2.4, 2.6, 4.0],
        "rank_p05": [1, 2, 2, 4], "rank_p95": [2, 3, 3, 4], "base_rank": [1, 2, 3, 4],
        "selected": [True, True, False, False], "flip": [False, True, True, False],
    }, index=pd.Index([3, 1, 2, 4], name="segment"))
    names = {3: "Loyal *VIP*", 1: "Bargain", 2: "Young", 4: "Dormant"}
    text = portfolio.sensitivity_text(table, names)
    assert "Robust targets: Loyal \\*VIP\\* (97%)" in text
    assert "Robustly left out: Dormant (2%)" in text
    assert "Bargain (55%)" in text and "Young (45%)" in text
    assert "top 2" in text
    assert "*VIP*" not in text


# ---------------------------------------------------------------- nine-box


def test_nine_box_classifies_all_nine_boxes():
    levels = {"high": 9.0, "medium": 5.0, "low": 2.0}
    pairs = [(a, s) for a in levels for s in levels]
    index = pd.Index(range(1, 10))
    box = portfolio.nine_box(pd.Series([levels[a] for a, _ in pairs], index=index),
                             pd.Series([levels[s] for _, s in pairs], index=index))
    assert list(box.columns) == ["attractiveness", "strength", "attractiveness_level",
                                 "strength_level", "box", "strategy"]
    expected = {
        "high / high": "invest / grow", "high / medium": "invest / grow",
        "medium / high": "invest / grow", "high / low": "selectively manage",
        "medium / medium": "selectively manage", "low / high": "selectively manage",
        "low / low": "harvest / divest", "low / medium": "harvest / divest",
        "medium / low": "harvest / divest",
    }
    assert dict(zip(box["box"], box["strategy"], strict=True)) == expected
    assert box.loc[2, "box"] == "high / medium"
    assert box.loc[2, "attractiveness_level"] == "high" and box.loc[2, "strength_level"] == "medium"


def test_nine_box_boundaries_and_missing_scores():
    values = pd.Series([1.0, 10 / 3, 10 / 3 + 1e-6, 20 / 3, 20 / 3 + 1e-6, 10.0, np.nan],
                       index=range(1, 8))
    box = portfolio.nine_box(values, pd.Series(5.0, index=range(1, 8)))
    assert box["attractiveness_level"].tolist() == ["low", "low", "medium", "medium", "high",
                                                    "high"]
    assert 7 not in box.index  # no attractiveness (like the unclassified group): left out
    with pytest.raises(DataError, match="1-10"):
        portfolio.nine_box(pd.Series([11.0], index=[1]), pd.Series([5.0], index=[1]))


def test_strength_proxy_scales_each_measure_1_10():
    segments = pd.DataFrame({"segment": [0, 1, 2, 3],
                             "repeat_rate": [0.9, 0.2, 0.4, 0.6],
                             "orders_per_customer": [8.0, 3.0, 3.0, 3.0]})
    strength = portfolio.strength_proxy(segments)
    assert np.isnan(strength[0])  # the unclassified group is not scaled
    # repeat_rate -> 1, 5.5, 10; orders_per_customer is equal in every segment: it says
    # nothing about strength and is left out (it used to add a 5.5 that pulled all to 3-8)
    assert strength[[1, 2, 3]].tolist() == pytest.approx([1.0, 5.5, 10.0])
    assert strength.attrs["measures"] == ["repeat_rate"]
    # orders per customer is a count: on log10, so 10x more is one full step
    counts = portfolio.strength_proxy(pd.DataFrame({"segment": [1, 2, 3],
                                                    "orders_per_customer": [1.0, 10, 100]}))
    assert counts.tolist() == pytest.approx([1.0, 5.5, 10.0])
    # nothing tells the segments apart: the strength is unknown, not a middling 5.5
    same = portfolio.strength_proxy(pd.DataFrame({"segment": [1, 2], "repeat_rate": [1.0, 1.0],
                                                  "orders_per_customer": [5.0, 5.1]}))
    assert same.isna().all() and same.attrs["measures"] == []
    with pytest.raises(DataError, match="repeat_rate"):
        portfolio.strength_proxy(pd.DataFrame({"segment": [1], "customers": [3]}))


def test_plot_nine_box_draws_one_bubble_per_segment():
    box = portfolio.nine_box(pd.Series([8.0, 8.1, 2.0], index=[1, 2, 3]),
                             pd.Series([5.0, 5.0, 9.0], index=[1, 2, 3]))
    revenue = pd.Series([400.0, 100.0, 0.0, 999.0], index=[1, 2, 3, 0])
    fig = plots.plot_nine_box(box, {1: "Loyal", 2: "Big $pender", 3: "Dormant"}, revenue)
    try:
        assert isinstance(fig, plt.Figure)
        ax = fig.axes[0]
        assert len(ax.collections) == 1
        bubbles = ax.collections[0]
        assert len(bubbles.get_offsets()) == 3
        sizes = dict(zip(map(tuple, np.asarray(bubbles.get_offsets())), bubbles.get_sizes(),
                         strict=True))
        assert sizes[(5.0, 8.0)] / sizes[(5.0, 8.1)] == pytest.approx(4.0)  # area ~ revenue
        assert sizes[(9.0, 2.0)] > 0
        labels = {t.get_text(): t.get_position() for t in ax.texts}
        assert set(labels) == {"Loyal", "Big $pender", "Dormant"}
        # two segments at nearly the same place: their labels are kept apart
        assert plots.overlapping_labels(fig, ax.texts) == []
        assert ax.get_xlabel() == "Business strength in the segment"
        assert ax.get_ylabel() == "Segment attractiveness"
        from matplotlib.patches import Rectangle

        assert sum(isinstance(p, Rectangle) for p in ax.patches) == 9  # the zones
        # each bubble in its segment's colour, the same as in every other plot
        from matplotlib.colors import to_hex

        from seglib.plots.base import segment_colour

        colours = dict(zip(map(tuple, np.asarray(bubbles.get_offsets())),
                           [to_hex(c) for c in bubbles.get_facecolors()], strict=True))
        assert colours[(5.0, 8.0)] == segment_colour(1) and colours[(9.0, 2.0)] == \
            segment_colour(3)
    finally:
        plt.close(fig)


def test_segment_colours_are_fixed_by_id():
    from seglib.plots.base import UNCLASSIFIED_COLOUR, segment_colour

    assert segment_colour(0) == UNCLASSIFIED_COLOUR
    assert segment_colour(1) != segment_colour(2)
    assert segment_colour(11) == segment_colour(1)   # ten colours, then round again
    assert segment_colour(np.int64(3)) == segment_colour(3)


# ---------------------------------------------------------------- ROI


def two_segments():
    return pd.DataFrame({"segment": [1, 2], "segment_name": ["A", "B"],
                         "customers": [100, 50], "reach_email": [0.6, 0.2],
                         "reach_phone": [0.5, 0.0], "clv_mean": [200.0, 80.0],
                         "clv_active": [250.0, 100.0], "lapse_share": [0.2, 0.5],
                         "active_share": [0.8, 0.5], "order_margin": [20.0, 10.0],
                         "service_effort": [6.0, 1.0]})


def test_campaign_roi_matches_hand_computation():
    roi = portfolio.campaign_roi(two_segments(),
                                 cost_per_contact={"email": 0.1, "phone": 0.5, "mail": 1.0},
                                 retention_uplift=0.1, response_uplift=0.05, setup_cost=10.0)
    # A: email 60, phone 40 * 0.5 = 20, mail the other 20; contacts 6 + 10 + 20, set-up 10
    assert roi.loc[1, ["contacts_email", "contacts_phone", "contacts_mail"]].tolist() == \
        pytest.approx([60, 20, 20])
    assert roi.loc[1, "contact_cost"] == pytest.approx(36.0)
    assert roi.loc[1, "campaign_cost"] == pytest.approx(46.0)
    assert roi.loc[1, "reach"] == pytest.approx(1.0)
    assert (roi.loc[1, "main_channel"], roi.loc[1, "main_channel_cost"]) == ("email", 0.1)
    # 100 reached: 20 likely to lapse, 10% kept, each worth 250; 80 active, 5% order once
    # more at a margin of 20
    assert roi.loc[1, "kept_customers"] == pytest.approx(2.0)
    assert roi.loc[1, "extra_orders"] == pytest.approx(4.0)
    assert roi.loc[1, "value_kept"] == pytest.approx(500.0)
    assert roi.loc[1, "value_orders"] == pytest.approx(80.0)
    assert roi.loc[1, "expected_value"] == pytest.approx(580.0)
    assert roi.loc[1, "expected_responders"] == pytest.approx(6.0)
    assert roi.loc[1, "roi"] == pytest.approx(534 / 46)
    assert roi.loc[1, "return_per_spent"] == pytest.approx(580 / 46)
    assert roi.loc[1, "roi_per_customer"] == pytest.approx(5.34)
    assert bool(roi.loc[1, "roi_plausible"])
    # B: email 10, no phones, mail 40: 1 + 40 + 10; 25 lapsing -> 2.5 kept x 100, 25 active
    # -> 1.25 extra orders x 10
    assert roi.loc[2, "campaign_cost"] == pytest.approx(51.0)
    assert roi.loc[2, "main_channel"] == "mail"
    assert roi.loc[2, "expected_value"] == pytest.approx(250 + 12.5)
    assert roi.loc[2, "roi"] == pytest.approx((262.5 - 51) / 51)


def test_campaign_value_is_the_added_margin_not_the_segments_clv():
    # nobody about to lapse: the campaign adds only the extra orders' margin, however
    # large the customers' lifetime value (the whole CLV made a 2,093:1 "return")
    segments = two_segments().assign(lapse_share=0.0, active_share=1.0, clv_active=1e6)
    roi = portfolio.campaign_roi(segments, cost_per_contact={"mail": 1.0},
                                 retention_uplift=0.1, response_uplift=0.05)
    assert roi["value_kept"].tolist() == [0.0, 0.0]
    assert roi["expected_value"].tolist() == pytest.approx([100 * 0.05 * 20, 50 * 0.05 * 10])
    assert roi["setup_cost"].tolist() == [0.0, 0.0]


def test_campaign_roi_without_mail_and_with_margin_rate():
    roi = portfolio.campaign_roi(two_segments(), cost_per_contact={"phone": 0.5, "email": 0.1},
                                 retention_uplift=0.1, response_uplift=0.05, margin_rate=0.4)
    assert "contacts_mail" not in roi
    assert roi["reach"].tolist() == pytest.approx([0.8, 0.2])
    assert roi["campaign_cost"].tolist() == pytest.approx([16.0, 1.0])
    # A: 80 reached, 16 lapsing -> 1.6 kept x 250 x 0.4; 64 active -> 3.2 x 20 x 0.4
    assert roi["kept_customers"].tolist() == pytest.approx([1.6, 0.5])
    assert roi["extra_orders"].tolist() == pytest.approx([3.2, 0.25])
    assert roi["expected_value"].tolist() == pytest.approx([160 + 25.6, 20 + 1.0])
    assert roi["roi"].tolist() == pytest.approx([(185.6 - 16) / 16, 20.0])


def test_a_return_above_the_plausible_bound_is_flagged_with_its_driver():
    roi = portfolio.campaign_roi(two_segments(), cost_per_contact={"email": 0.1},
                                 retention_uplift=0.1, response_uplift=0.05)
    # A: 60 reached by email for 6.00; 12 lapsing -> 1.2 kept x 250 = 300, 48 active ->
    # 2.4 x 20 = 48: 348 / 6 = 58 per 1 spent, above 20:1
    assert roi.loc[1, "return_per_spent"] == pytest.approx(58.0)
    assert not roi.loc[1, "roi_plausible"]
    # B: 10 reached for 1.00: 5 x 0.1 x 100 + 5 x 0.05 x 10 = 52.5 per 1 spent
    assert roi.loc[2, "return_per_spent"] == pytest.approx(52.5)
    text = portfolio.roi_driver(roi.loc[1], "USD")
    assert text == ("it rests on keeping 10% (`targeting.roi.retention_uplift`) of the 12 "
                    "reached customers likely to lapse, each worth 250 USD of lifetime value "
                    "(86% of the value), against contacts at 0.10 USD each by email and no "
                    "set-up cost")
    # a set-up cost brings it back below the bound
    fixed = portfolio.campaign_roi(two_segments(), cost_per_contact={"email": 0.1},
                                   retention_uplift=0.1, response_uplift=0.05, setup_cost=50.0)
    assert fixed.loc[1, "return_per_spent"] == pytest.approx(348 / 56)
    assert bool(fixed.loc[1, "roi_plausible"])
    assert portfolio.PLAUSIBLE_RETURN == 20


def test_campaign_roi_missing_inputs_name_the_column():
    with pytest.raises(DataError, match="clv_active.*p_alive"):
        portfolio.campaign_roi(two_segments().drop(columns="clv_active"),
                               cost_per_contact={"mail": 1.0}, retention_uplift=0.1,
                               response_uplift=0.1)
    with pytest.raises(DataError, match="reach_email"):
        portfolio.campaign_roi(two_segments().drop(columns="reach_email"),
                               cost_per_contact={"email": 0.1}, retention_uplift=0.1,
                               response_uplift=0.1)
    with pytest.raises(ConfigError, match="fax"):
        portfolio.campaign_roi(two_segments(), cost_per_contact={"fax": 1.0},
                               retention_uplift=0.1, response_uplift=0.1)
    with pytest.raises(ConfigError, match="retention_uplift"):
        portfolio.campaign_roi(two_segments(), cost_per_contact={"mail": 1.0},
                               retention_uplift=1.5, response_uplift=0.1)


def test_service_hour_ranks_value_per_hour():
    segments = pd.concat([two_segments(), pd.DataFrame({
        "segment": [3], "segment_name": ["C"], "customers": [10], "clv_mean": [50.0],
        "service_effort": [np.nan]})], ignore_index=True)
    table = portfolio.service_hour_value(segments, hour_cost=50.0)
    # A: 200 / 0.6 h = 333.3 per hour; B: 80 / 0.1 h = 800 per hour; C has no effort
    assert list(table.index) == [2, 1, 3]
    assert table.loc[2, "value_per_service_hour"] == pytest.approx(800.0)
    assert table.loc[1, "value_per_service_hour"] == pytest.approx(1000 / 3)
    assert table.loc[2, "service_cost_per_customer"] == pytest.approx(5.0)
    assert table.loc[2, "hour_roi"] == pytest.approx(15.0)
    assert table["rank"].tolist()[:2] == [1, 2] and pd.isna(table["rank"].iloc[2])
    text = portfolio.service_hour_text(table, {1: "A", 2: "B_1", 3: "C"})
    assert "fix the B\\_1 customer's" in text
    assert "800 of lifetime value against 333" in text
    assert "2.4 times" in text
    with pytest.raises(DataError, match="service_effort"):
        portfolio.service_hour_value(segments.drop(columns="service_effort"), hour_cost=50.0)


def test_retention_vs_acquisition_numbers():
    result = portfolio.retention_vs_acquisition(500.0, retention_cost=20.0)
    assert result == pytest.approx({
        "clv_mean": 500.0, "retention_cost": 20.0, "acquisition_cost": 100.0,
        "retention_payback": 25.0, "acquisition_payback": 5.0,
        "retention_net": 480.0, "acquisition_net": 400.0,
        "retention_cost_share": 0.04, "acquisition_cost_share": 0.2,
        "saving_per_customer": 80.0,
    })
    assert portfolio.retention_vs_acquisition(
        500.0, retention_cost=20.0, acquisition_multiplier=4)["acquisition_cost"] == 80.0
    with pytest.raises(ConfigError):
        portfolio.retention_vs_acquisition(500.0, retention_cost=0)


def test_the_nine_box_speaks_the_runs_language():
    box = portfolio.nine_box(pd.Series([8.0, 2.0], index=[1, 2]), pd.Series([5.0, 9.0],
                                                                           index=[1, 2]))
    fig = plots.plot_nine_box(box, {1: "Khách quen", 2: "Khách mới"},
                              pd.Series([10.0, 5.0], index=[1, 2]), locale="vi")
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "Sức mạnh kinh doanh trong phân khúc"
        assert ax.get_title() == "Ma trận GE-McKinsey (diện tích bong bóng = doanh thu)"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "đầu tư / tăng trưởng", "quản lý có chọn lọc", "thu hoạch / rút lui"]
    finally:
        plt.close(fig)


def test_crowded_nine_box_labels_overlap_neither_each_other_nor_are_cut_off():
    """Six segments in one corner, long names: every label readable, inside the axes."""
    ids = [1, 2, 3, 4, 5, 6]
    box = portfolio.nine_box(pd.Series([4.5, 4.6, 4.4, 4.55, 3.3, 3.4], index=ids),
                             pd.Series([3.6, 3.7, 3.5, 3.65, 3.2, 3.3], index=ids))
    names = {i: f"Khách hàng giá trị thấp nhóm {i} mua trực tuyến" for i in ids}
    fig = plots.plot_nine_box(box, names, pd.Series([50.0, 40, 30, 20, 10, 5], index=ids),
                              locale="vi")
    try:
        ax = fig.axes[0]
        assert len(ax.texts) == 6
        assert plots.overlapping_labels(fig, ax.texts) == []
        frame = ax.get_window_extent()
        for text in ax.texts:
            box_ = text.get_window_extent()
            assert frame.x0 - 1 <= box_.x0 and box_.x1 <= frame.x1 + 1, text.get_text()
    finally:
        plt.close(fig)


def test_the_nine_box_is_drawn_the_same_every_time():
    ids = [1, 2, 3]
    box = portfolio.nine_box(pd.Series([4.5, 4.6, 4.4], index=ids),
                             pd.Series([3.6, 3.7, 3.5], index=ids))
    positions = []
    for _ in range(2):
        fig = plots.plot_nine_box(box, {1: "A segment", 2: "B segment", 3: "C segment"},
                                  pd.Series([5.0, 4, 3], index=ids))
        positions.append([t.get_position() for t in fig.axes[0].texts])
        plt.close(fig)
    assert positions[0] == positions[1]


def test_sensitivity_text_on_one_criterion_reports_no_robustness():
    table = pd.DataFrame({"p_top_n": [1.0, 0.0], "mean_rank": [1.0, 2.0], "rank_p05": [1, 2],
                          "rank_p95": [1, 2], "base_rank": [1, 2], "selected": [True, False],
                          "flip": [False, False]}, index=pd.Index([1, 2], name="segment"))
    text = portfolio.sensitivity_text(table, {1: "A", 2: "B"}, ["revenue_per_customer"])
    assert text.startswith("The ranking rests on one criterion, revenue per customer: varying "
                           "the weights cannot change it")
    assert "Robust" not in text and "100%" not in text
    assert "Robust targets: A (100%)" in portfolio.sensitivity_text(table, {1: "A", 2: "B"},
                                                                    ["size", "revenue"])


def test_service_hour_ranking_needs_no_hour_cost():
    table = portfolio.service_hour_value(two_segments(), hour_cost=None)
    assert list(table.index) == [2, 1]
    assert table.loc[2, "value_per_service_hour"] == pytest.approx(800.0)
    assert table["hour_roi"].isna().all() and table["service_cost_per_customer"].isna().all()
