import math

import numpy as np
import pandas as pd
import pytest

from conftest import run_with_segments
from seglib import targeting
from seglib.errors import ConfigError


def metrics():
    return pd.DataFrame({
        "segment": [0, 1, 2, 3],
        "segment_name": ["New / unclassified", "Big", "Rich", "Small"],
        "customers": [500, 400, 100, 50],
        "revenue": [1000.0, 8000.0, 20000.0, 500.0],
        "margin": [300.0, 2000.0, 8000.0, 100.0],
        "mean_recency_days": [10.0, 30.0, 60.0, 300.0],
    })


def test_scale_1_10():
    assert list(targeting.scale_1_10(pd.Series([0, 5, 10]))) == [1, 5.5, 10]
    assert list(targeting.scale_1_10(pd.Series([0, 5, 10]), higher_is_better=False)) == [10, 5.5, 1]
    assert list(targeting.scale_1_10(pd.Series([3, 3]))) == [5.5, 5.5]


def test_log_scale_gives_equal_ratios_equal_steps():
    scaled = targeting.scale_1_10(pd.Series([1.0, 10, 100, 1000]), log=True)
    assert list(scaled) == pytest.approx([1, 4, 7, 10])
    # zero or negative values score 1; the rest are scaled among the positives
    assert list(targeting.scale_1_10(pd.Series([0.0, -5, 10, 1000]), log=True)) == pytest.approx(
        [1, 1, 1, 10])
    assert list(targeting.scale_1_10(pd.Series([0.0, 7, 7]), log=True)) == [1, 10, 10]


def test_weighted_score_by_hand():
    scored = targeting.attractiveness(metrics(), {"size": 1, "revenue": 3}, top_n=1)
    by_name = scored.set_index("segment_name")
    log = math.log10
    # size on log10: Big 400 -> 10, Small 50 -> 1, Rich 100 in between
    rich_size = 1 + 9 * (log(100) - log(50)) / (log(400) - log(50))
    # revenue on log10: Rich 20000 -> 10, Small 500 -> 1, Big 8000 in between
    big_revenue = 1 + 9 * (log(8000) - log(500)) / (log(20000) - log(500))
    big = 0.25 * 10 + 0.75 * big_revenue
    rich = 0.25 * rich_size + 0.75 * 10
    assert rich_size == pytest.approx(4.0)   # 100/50 is a third of the way, in ratio, to 400/50
    assert by_name.loc["Big", "attractiveness"] == pytest.approx(big)
    assert by_name.loc["Rich", "attractiveness"] == pytest.approx(rich)
    assert by_name.loc["Small", "attractiveness"] == pytest.approx(1.0)
    assert list(scored["segment_name"][:3]) == ["Rich", "Big", "Small"]
    assert by_name["selected"].to_dict() == {"Rich": True, "Big": False, "Small": False,
                                             "New / unclassified": False}


def outlier_metrics():
    # Whale holds 86% of revenue; Mid 9% at a 50% margin rate; Low 3% at 30%
    return pd.DataFrame({
        "segment": [1, 2, 3],
        "segment_name": ["Whale", "Mid", "Low"],
        "customers": [1000, 1000, 1000],
        "revenue": [86_000.0, 9_000.0, 3_000.0],
        "revenue_share": [0.86, 0.09, 0.03],
        "margin": [17_200.0, 4_500.0, 900.0],
        "mean_recency_days": [20.0, 60.0, 40.0],
    })


def test_an_outlier_segment_does_not_squash_the_others():
    weights = {"revenue": 1, "margin": 1, "recency": 1}
    by_name = targeting.attractiveness(outlier_metrics(), weights, top_n=1).set_index("segment_name")
    log = math.log10
    mid_revenue = 1 + 9 * log(9_000 / 3_000) / log(86_000 / 3_000)
    mid_margin = 1 + 9 * log(4_500 / 900) / log(17_200 / 900)
    assert by_name.loc["Mid", "revenue_score"] == pytest.approx(mid_revenue)   # 3.95, not 1.65
    assert by_name.loc["Mid", "attractiveness"] == pytest.approx((mid_revenue + mid_margin + 1) / 3)
    assert by_name.loc["Low", "attractiveness"] == pytest.approx((1 + 1 + 5.5) / 3)
    assert by_name.loc["Mid", "rank"] < by_name.loc["Low", "rank"]


def test_unclassified_is_never_selected_or_ranked():
    scored = targeting.attractiveness(metrics(), {"size": 1}, top_n=10)
    row = scored.set_index("segment").loc[0]
    assert not row["selected"] and pd.isna(row["attractiveness"]) and pd.isna(row["rank"])
    # top_n 10 for 3 segments: capped at 2 so that one segment is left out (issue 14)
    assert scored["selected"].sum() == 2
    assert scored.attrs["top_n_asked"] == 10 and scored.attrs["top_n"] == 2


def test_weight_for_criterion_the_data_cannot_give_is_named():
    with pytest.raises(ConfigError, match=r"\['orders_per_customer'\]"):
        targeting.attractiveness(metrics(), {"size": 1, "orders_per_customer": 2}, top_n=1)


def test_default_weights_use_only_what_the_data_gives():
    only_size = metrics()[["segment", "segment_name", "customers"]]
    assert targeting.effective_weights(only_size, None) == {"size": 1.0}
    scored = targeting.attractiveness(only_size, None, top_n=1)
    assert scored.iloc[0]["segment_name"] == "Big"


def test_segment_metrics_from_customers():
    customers = pd.DataFrame({"customer_id": list("abcd"), "revenue": [10.0, 30, 5, 0],
                              "margin": [2.0, 6, 1, 0], "n_orders": [1, 3, 2, 0],
                              "recency_days": [5, 15, 100, None]})
    segments = pd.DataFrame({"customer_id": list("abcd"), "segment": [1, 1, 2, 0],
                             "segment_name": ["x", "x", "y", "n"]})
    m = targeting.segment_metrics(customers, segments).set_index("segment")
    assert m.loc[1, "customers"] == 2 and m.loc[1, "revenue"] == 40
    assert m.loc[1, "margin_rate"] == pytest.approx(0.2)
    assert m.loc[1, "revenue_per_customer"] == 20
    assert m.loc[1, "mean_recency_days"] == 10
    assert m["share"].sum() == pytest.approx(1)


def test_recommendation_names_the_targets():
    weights = {"size": 1, "revenue": 3}
    text = targeting.recommendation(targeting.attractiveness(metrics(), weights, top_n=1), weights)
    assert "**Rich**" in text and "Serve Big and Small with lower-cost" in text


def test_recommendation_keeps_a_big_revenue_segment_that_is_not_targeted():
    # weighted on recency, Whale (the stalest) is not selected though it holds 86% of revenue
    weights = {"margin": 0.01, "recency": 1}
    scored = targeting.attractiveness(outlier_metrics().assign(mean_recency_days=[90.0, 10, 20]),
                                   weights, top_n=1)
    assert list(scored.loc[scored["selected"], "segment_name"]) == ["Mid"]
    text = targeting.recommendation(scored, weights)
    assert ("Keep serving Whale (86% of revenue) well: it is not a priority target under these "
            "weights, but it carries the business.") in text
    assert text.endswith(" Serve Low with lower-cost, automated marketing.")
    assert "Serve Whale" not in text


def test_summary_table_is_narrow_and_readable():
    scored = targeting.attractiveness(
        outlier_metrics().assign(customers=[1234, 500, 266], share=[0.617, 0.25, 0.133],
                                 revenue_per_customer=[69.69, 18.0, 11.28],
                                 margin_rate=[0.2, 0.5, 0.3]),
        {"revenue": 1}, top_n=1)
    table = targeting.summary_table(scored)
    assert len(table.columns) <= 7
    assert list(table.columns) == ["Customers", "Share of revenue", "Revenue per customer",
                                   "Margin rate", "Score (1-10)", "Rank", "Target"]
    assert table.index.name is None
    assert table.loc["Whale"].to_dict() == {
        "Customers": "1,234 (62%)", "Share of revenue": "86%", "Revenue per customer": "70",
        "Margin rate": "20%", "Score (1-10)": "10.0", "Rank": "1", "Target": "yes"}
    assert table.loc["Low", "Target"] == "" and table.loc["Low", "Score (1-10)"] == "1.0"


def test_summary_table_skips_what_the_data_cannot_give():
    only_size = metrics()[["segment", "segment_name", "customers"]]
    table = targeting.summary_table(targeting.attractiveness(only_size, None, top_n=1))
    assert list(table.columns) == ["Customers", "Score (1-10)", "Rank", "Target"]
    assert table.loc["New / unclassified"].to_dict() == {
        "Customers": "500", "Score (1-10)": "", "Rank": "", "Target": ""}


def test_score_table_headers_are_words():
    scored = targeting.attractiveness(
        outlier_metrics().assign(revenue_per_customer=[86.0, 9, 3]), {"revenue": 1}, top_n=1)
    table = targeting.score_table(scored, {"revenue": 1})
    assert list(table.index) == ["size", "revenue", "margin", "revenue per customer",
                                 "recency"]
    assert table.loc["revenue", "Whale"] == 10.0
    assert table.loc["revenue", "weight"] == "100%" and table.loc["size", "weight"] == ""


def test_targeting_csv_keeps_full_precision(tmp_path):
    scored = targeting.attractiveness(outlier_metrics().assign(revenue=[21_361_879.86, 9e3, 3e3]),
                                   {"revenue": 1}, top_n=1)
    segments = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": scored["segment"],
                             "segment_name": scored["segment_name"]})
    path = targeting.write_outputs(scored, run_with_segments(tmp_path, segments))["targeting"]
    back = pd.read_csv(path).set_index("segment_name")
    assert back.loc["Whale", "revenue"] == 21_361_879.86
    assert back.loc["Mid", "revenue_score"] == scored.set_index("segment_name").loc[
        "Mid", "revenue_score"]


# --------------------------------------------------------------------------- issue 6: money


def test_growth_last_period_against_the_one_before():
    lines = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "c", "d"],
        "date": pd.to_datetime(["2025-01-10", "2025-06-10", "2025-02-01", "2025-05-01",
                                "2025-06-01", "2025-01-05"]),
        "amount": [10.0, 30.0, 20.0, 5.0, 5.0, 99.0],
        "line_status": ["purchase"] * 5 + ["returned"]})
    segments = pd.DataFrame({"customer_id": list("abcd"), "segment": [1, 1, 2, 2]})
    g = targeting.growth(lines, segments, "2025-07-01", period_days=90).set_index("segment")
    # segment 1: before (Jan-Apr 2) a and b bought 30; last 90 days a bought 30
    assert g.loc[1, "customers_before"] == 2 and g.loc[1, "customers_last"] == 1
    assert g.loc[1, "growth_customers"] == pytest.approx(-0.5)
    assert g.loc[1, "growth_revenue"] == pytest.approx(30 / 30 - 1)
    # segment 2: nothing before (d's line is a return): no growth figure, not infinity
    assert pd.isna(g.loc[2, "growth_revenue"])


def test_manual_criteria_by_id_or_name_and_their_weights():
    table = targeting.add_manual(metrics(), {"fit": {"1": 9, "Rich": 2}})
    assert table.set_index("segment_name")["manual_fit"].to_dict() == pytest.approx(
        {"New / unclassified": float("nan"), "Big": 9, "Rich": 2, "Small": float("nan")},
        nan_ok=True)
    scored = targeting.attractiveness(table, {"fit": 1}, top_n=1).set_index("segment_name")
    assert scored.loc["Big", "attractiveness"] == 9 and scored.loc["Big", "selected"]
    assert scored.loc["Small", "attractiveness"] == 5.5  # not scored: neutral
    with pytest.raises(ConfigError, match=r"targeting.manual.fit: 'Nobody' is neither"):
        targeting.add_manual(metrics(), {"fit": {"Nobody": 3}})


def clv_customers(n=3000, seed=1):
    from seglib.clv import simulate_bgnbd, simulate_gamma_gamma

    sim = simulate_bgnbd({"r": 0.8, "alpha": 40.0, "a": 0.6, "b": 3.0}, n, 365.0,
                         random_state=seed)
    spend = simulate_gamma_gamma({"p": 6.0, "q": 4.0, "v": 60.0}, sim["frequency"],
                                 random_state=seed)
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)], "clv_frequency": sim["frequency"],
        "clv_recency": sim["recency"], "clv_T": sim["T"], "clv_monetary_value": spend,
        "revenue": (sim["frequency"] + 1) * 80.0, "tenure_days": sim["T"],
        "margin": (sim["frequency"] + 1) * 20.0, "gross_revenue": (sim["frequency"] + 1) * 80.0})


def test_customer_clv_by_the_models_with_the_datas_margin():
    from seglib.clv import MODEL_METHOD, customer_clv

    customers = clv_customers()
    result = customer_clv(customers, horizon_months=12, yearly_discount=0.1)
    assert result.method == MODEL_METHOD and result.reason == ""
    assert result.margin == pytest.approx(0.25)  # margin / gross revenue of the data
    table = result.table
    assert (table["clv_method"] == MODEL_METHOD).all()
    assert table["p_alive"].between(0, 1).all()
    # CLV = margin x expected spend x discounted expected purchases: never above undiscounted
    bound = 0.25 * table["expected_spend"] * table["expected_purchases"]
    assert (table["clv"] <= bound + 1e-9).all() and (table["clv"] > 0.9 * bound).all()
    assert result.bgnbd.params_["r"] == pytest.approx(0.8, rel=0.35)


def test_customer_clv_falls_back_to_historical_when_data_are_thin():
    from seglib.clv import HISTORICAL_METHOD, customer_clv

    customers = clv_customers(n=300)
    customers["recency_days"] = customers["clv_T"] - customers["clv_recency"]
    result = customer_clv(customers, min_repeat_customers=10_000)
    assert result.method == HISTORICAL_METHOD
    assert "min_repeat_customers" in result.reason
    assert (result.table["clv_method"] == HISTORICAL_METHOD).all()
    # retention: of those who were customers a window ago (T = 365 days: half of it), the
    # share who bought within the window, as a monthly rate
    window = 365 / 2
    stayed = (customers.loc[customers["tenure_days"] >= window, "recency_days"] <= window).mean()
    r = stayed ** (30.4375 / window)
    assert result.settings["monthly_retention"] == pytest.approx(r)
    one = customers.iloc[0]
    monthly = 1.1 ** (1 / 12) - 1
    factor = sum((r / (1 + monthly)) ** k for k in range(1, 13))
    active = r ** (one["recency_days"] / 30.4375)
    expected = one["revenue"] * 0.25 / max(one["tenure_days"] / 30.4375, 12) * active * factor
    assert result.table.loc[0, "clv"] == pytest.approx(expected)
    assert result.table.loc[0, "p_alive"] == pytest.approx(active)
    # a long-lapsed customer is worth less than an equal one who bought yesterday
    twin = customers.iloc[[0, 0]].copy()
    twin["recency_days"] = [1.0, 300.0]
    twin["customer_id"] = ["fresh", "lapsed"]
    values = customer_clv(pd.concat([customers, twin], ignore_index=True),
                          min_repeat_customers=10_000).table.set_index("customer_id")["clv"]
    assert values["fresh"] > 3 * values["lapsed"]
    assert "Historical CLV" in targeting.clv_text(result)


def test_stage_targets_the_high_value_segments_and_writes_clv(tmp_path):
    from seglib.config import TargetingConfig

    customers = clv_customers(n=2000)
    rich = customers["clv_frequency"] >= 4
    customers["revenue"] = customers["revenue"].where(~rich, customers["revenue"] * 10)
    customers["n_orders"] = customers["clv_frequency"] + 1
    customers["recency_days"] = customers["clv_T"] - customers["clv_recency"]
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": (rich.astype(int) + 1).where(customers.index % 7 > 0, 3)})
    names = {1: "Light", 2: "Heavy", 3: "Random"}
    segments["segment_name"] = segments["segment"].map(names)
    result = targeting.target_segments(customers, segments, TargetingConfig(top_n=1),
                                    random_state=0, currency="USD")
    scored = result.scored.set_index("segment_name")
    assert scored["selected"].to_dict() == {"Heavy": True, "Light": False, "Random": False}
    assert scored.loc["Heavy", "clv_mean"] > scored.loc["Light", "clv_mean"]
    assert scored.loc["Heavy", "p_top_n"] == 1.0 and not scored.loc["Heavy", "flip"]
    assert {"box", "strategy", "roi", "strength"} <= set(scored.columns)
    out = targeting.write_outputs(result, run_with_segments(tmp_path, segments), segments)
    clv = pd.read_parquet(out["clv"])
    assert list(clv.columns) == ["customer_id", "p_alive", "expected_purchases",
                                 "expected_spend", "clv", "clv_method", "segment",
                                 "segment_name"]
    assert len(clv) == len(customers)
    text = targeting.recommendation(result.scored, result.weights, "USD")
    assert "**Heavy**" in text and "mean CLV" in text


def test_segment_metrics_cost_to_serve_reach_and_response_by_hand():
    customers = pd.DataFrame({
        "customer_id": list("abcd"), "revenue": [10.0, 20, 30, 40],
        "service_contacts": [2, 0, np.nan, 1], "service_effort": [5.0, np.nan, np.nan, 8.0],
        "has_email": [True, False, True, True], "has_phone": [False, False, True, False],
        "web_email_clicks": [0, 3, np.nan, 1]})
    segments = pd.DataFrame({"customer_id": list("abcd"), "segment": [1, 1, 2, 2],
                             "segment_name": ["A", "A", "B", "B"]})
    m = targeting.segment_metrics(customers, segments).set_index("segment")
    assert m.loc[1, "service_effort"] == pytest.approx((2 * 5 + 0) / 2)
    assert m.loc[2, "service_effort"] == pytest.approx((0 + 1 * 8) / 2)
    assert m.loc[1, "reachable_share"] == 0.5 and m.loc[2, "reachable_share"] == 1.0
    assert m.loc[2, "reach_phone"] == 0.5
    assert m.loc[1, "response_rate"] == 0.5 and m.loc[2, "response_rate"] == 0.5
    assert "clicked an email" in m.loc[1, "response_source"]
    scored = targeting.attractiveness(m.reset_index(), {"cost_to_serve": 1}, top_n=1)
    # less service effort is better: segment 2 (4 per customer) beats segment 1 (5)
    assert scored.loc[scored["selected"], "segment"].tolist() == [2]


def test_recommendation_warns_about_losses_ties_harvest_boxes_and_all_targets():
    scored = pd.DataFrame({
        "segment": [1, 2, 3], "segment_name": ["A", "B", "C"], "customers": [10, 20, 30],
        "attractiveness": [7.0, 5.0, 5.0], "rank": [1, 2, 3], "selected": [True, True, False],
        "roi": [2.5, -0.4, 1.0], "strategy": ["invest / grow", "harvest / divest", "x"],
        "strength": [8.0, 2.0, 5.0]})
    text = targeting.recommendation(scored, {"size": 1}, "USD")
    assert "a campaign returns 3.5 USD per 1 USD spent" in text
    assert "a campaign to B loses money (it returns 0.60 USD per 1 USD spent)" in text
    assert "B is tied with a segment left out (score 5.0)" in text
    # why B is still a target, and where the budget goes without a plan to build strength
    assert ("B is a target for being the best of the segments left, though high on no "
            "weighted criterion (score 5.0/10, rank 2), but the nine-box puts it in harvest / "
            "divest: the business's strength there is low (2.0/10)") in text
    assert "put the budget on C (score 5.0, x) instead" in text
    everyone = scored.assign(selected=True)
    assert "every segment is a target" in targeting.recommendation(everyone, {"size": 1})


def test_weights_text_names_segments_without_a_manual_score():
    table = targeting.add_manual(metrics(), {"fit": {"1": 9}})
    scored = targeting.attractiveness(table, {"fit": 1, "size": 1}, top_n=1)
    result = targeting.Targeting(scored=scored, weights={"fit": 1, "size": 1}, clv=None,
                              sensitivity=None, box=pd.DataFrame(), strength_source="",
                              roi=None, service=None, keep_vs_win=None)
    text = targeting.weights_text(result)
    assert "fit 50%" in text and "size 50%" in text
    assert "No `fit` score for Rich, Small: counted as a neutral 5.5." in text


# --------------------------------------------------------------------------- issue 14: findings
# a consultant can defend


def crm_customers():
    """A customers file without transactions: spend, orders, recency and a past response.

    Big (400) holds more revenue in total; Keen (100) spends three times as much per
    customer, orders more, bought more recently and answered the last campaign far more.
    """
    rows = []
    for i in range(400):
        rows.append({"customer_id": f"b{i}", "revenue": 100.0, "n_orders": 2,
                     "recency_days": 90.0, "campaign_response": int(i % 20 == 0)})
    for i in range(100):
        rows.append({"customer_id": f"k{i}", "revenue": 300.0, "n_orders": 8,
                     "recency_days": 20.0, "campaign_response": int(i % 2 == 0)})
    customers = pd.DataFrame(rows)
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": [1 if c.startswith("b") else 2
                                         for c in customers["customer_id"]]})
    segments["segment_name"] = segments["segment"].map({1: "Big", 2: "Keen"})
    return customers, segments


def test_default_weights_weigh_every_value_signal_of_a_customers_file():
    from seglib.config import DEFAULT_WEIGHTS, TARGETING_CRITERIA

    customers, segments = crm_customers()
    metrics = targeting.segment_metrics(customers, segments)
    weights = targeting.effective_weights(metrics, None)
    for criterion in ("revenue", "revenue_per_customer", "orders_per_customer", "recency",
                      "responsiveness"):
        assert weights.get(criterion, 0) > 0, criterion
    assert weights["responsiveness"] == 1.0  # a computed response rate is weighted
    # every criterion has a default weight, or a documented reason to have none
    for criterion in TARGETING_CRITERIA:
        assert DEFAULT_WEIGHTS.get(criterion, 0) > 0 or targeting.UNWEIGHTED_BY_DEFAULT[criterion]
    # the high-spend, high-response segment ranks first (with size, revenue and revenue per
    # customer only, the old defaults, Big won 6.4 to 4.6)
    scored = targeting.attractiveness(metrics, None, top_n=1).set_index("segment_name")
    assert scored.loc["Keen", "rank"] == 1 and scored.loc["Keen", "selected"]
    # size (1) and revenue (2) score 1; revenue per customer, orders per customer, recency
    # and response (1 each) score 10
    assert scored.loc["Keen", "attractiveness"] == pytest.approx((1 * 1 + 2 * 1 + 4 * 10) / 7)


def test_a_negligible_difference_does_not_score_1_against_10():
    table = pd.DataFrame({"segment": [1, 2], "segment_name": ["A", "B"], "customers": [10, 500],
                          "mean_recency_days": [49.2, 48.9], "online_share": [0.329, 0.332]})
    scored = targeting.attractiveness(table, {"size": 1, "recency": 1}, top_n=1)
    assert scored["recency_score"].tolist() == [5.5, 5.5]
    assert scored["online_share_score"].tolist() == [5.5, 5.5]
    assert "recency" not in targeting.effective_weights(table, None)


def test_top_n_never_targets_every_segment_and_says_so():
    from seglib.config import TargetingConfig

    customers, segments = crm_customers()
    result = targeting.target_segments(customers, segments, TargetingConfig(top_n=2))
    scored = result.scored.set_index("segment_name")
    assert scored["selected"].to_dict() == {"Keen": True, "Big": False}
    assert result.settings["top_n"] == 1 and result.settings["top_n_asked"] == 2
    assert ("`targeting.top_n` is 2, but there are only 2 segments: 1 is selected so that at "
            "least one is left out") in targeting.weights_text(result)
    text = targeting.recommendation(result.scored, result.weights)
    assert ("`targeting.top_n` asks for 2, but with 2 segments targeting that many would "
            "choose none out: the selection is capped at 1, leaving out Big.") in text
    assert "every segment is a target" not in text
    # one segment: nothing to choose between, nothing selected
    one = segments.assign(segment=1, segment_name="Everyone")
    alone = targeting.target_segments(customers, one, TargetingConfig(top_n=2))
    assert not alone.scored["selected"].any()
    assert "only one segment" in targeting.recommendation(alone.scored, alone.weights)


def test_a_ranking_on_one_criterion_is_said_and_not_called_robust():
    from seglib.config import TargetingConfig

    customers, segments = crm_customers()
    customers = customers.assign(revenue=100.0)  # revenue and revenue per customer equal
    three = pd.concat([segments.iloc[:450], segments.iloc[450:].assign(
        segment=3, segment_name="Late")])
    params = TargetingConfig(top_n=1, weights={"size": 1, "revenue_per_customer": 1})
    result = targeting.target_segments(customers, three, params)
    assert result.settings["telling"] == ["size"]
    assert result.sensitivity is None and "p_top_n" not in result.scored
    summary = targeting.sensitivity_summary(result)
    assert summary.startswith("The ranking rests on one criterion, size")
    assert "Robust" not in summary and "100%" not in summary
    assert "**The ranking rests on one criterion, size**" in targeting.weights_text(result)
    text = targeting.recommendation(result.scored, result.weights)
    assert "The ranking rests on one criterion, number of customers in the segment" in text
    # two criteria that both tell the segments apart: tested as before
    both = targeting.target_segments(crm_customers()[0], three, params)
    assert both.sensitivity is not None and "p_top_n" in both.scored


def test_neutral_defaults_and_unknown_strength_are_said_plainly():
    from seglib.config import TargetingConfig

    customers, segments = crm_customers()
    customers = customers.drop(columns="n_orders")  # no orders: no strength proxy
    customers.loc[customers["customer_id"].str.startswith("k"), "recency_days"] = np.nan
    third = pd.DataFrame({"customer_id": [f"s{i}" for i in range(50)], "revenue": 10.0,
                          "recency_days": 300.0, "campaign_response": 0})
    customers = pd.concat([customers, third], ignore_index=True)
    segments = pd.concat([segments, pd.DataFrame({"customer_id": third["customer_id"],
                                                  "segment": 3, "segment_name": "Small"})])
    result = targeting.target_segments(customers, segments, TargetingConfig(top_n=2))
    scored = result.scored.set_index("segment_name")
    assert not scored.loc[["Big", "Keen", "Small"], "strength_known"].any()
    assert scored.loc["Keen", "strength"] == 5.5  # placed in the middle, but not "weak"
    text = targeting.recommendation(result.scored, result.weights)
    assert "5.5/10" not in text and "the business is weak" not in text
    assert ("The business's strength in Keen is unknown (no data for it and no "
            "`targeting.strength` score): its nine-box place uses the middle, 5.5, and rests on "
            "attractiveness alone.") in text
    # Keen has no recency: its score counts it at 5.5 (1 of the 6 weights), and the text
    # says so
    assert "Keen's score counts recency (17% of the weight) at the neutral 5.5" in text
    assert "strength is unknown" in targeting.box_text(result)


def test_a_harvest_target_is_explained_with_where_else_the_budget_goes():
    scored = pd.DataFrame({
        "segment": [1, 2, 3, 4], "segment_name": ["A", "B", "C", "D"],
        "customers": [10, 20, 30, 40], "attractiveness": [8.0, 5.0, 4.5, 2.0],
        "rank": [1, 2, 3, 4], "selected": [True, True, False, False],
        "size_score": [10.0, 8.0, 3.0, 1.0], "revenue_score": [7.0, 3.0, 5.0, 2.0],
        "strategy": ["invest / grow", "harvest / divest", "selectively manage",
                     "harvest / divest"],
        "strength": [8.0, 1.5, 5.0, 1.0], "strength_known": [True, True, True, True]})
    scored.attrs["strength_basis"] = "from orders per customer, a share-of-wallet proxy"
    text = targeting.recommendation(scored, {"size": 1, "revenue": 1})
    assert ("B is a target for scoring high on size (8/10) (score 5.0/10, rank 2), but the "
            "nine-box puts it in harvest / divest: the business's strength there is low "
            "(1.5/10, from orders per customer, a share-of-wallet proxy). Keep it as a target "
            "only with a plan to build that strength") in text
    assert ("without one, serve it at low cost and put the budget on C (score 4.5, "
            "selectively manage) instead.") in text
    assert "strength 1.5/10" not in text
    # with the strength unknown (placed at 5.5), the text does not call the business weak
    unknown = scored.assign(strength=[8.0, 5.5, 5.0, 1.0],
                            strength_known=[True, False, True, True],
                            attractiveness=[8.0, 3.0, 2.5, 2.0])
    unknown.attrs = scored.attrs
    text = targeting.recommendation(unknown, {"size": 1, "revenue": 1})
    assert ("the nine-box puts it in harvest / divest: the business's strength there is "
            "unknown (no data for it and no `targeting.strength` score: the box uses the "
            "middle, 5.5, as a placeholder), so the zone comes from its attractiveness "
            "alone.") in text
    assert "low (5.5/10" not in text


def test_cost_defaults_follow_the_currency():
    from seglib.config import COST_DEFAULTS, ROIConfig

    assert {"USD", "EUR", "GBP", "VND"} <= set(COST_DEFAULTS)
    usd, vnd = ROIConfig().costs("USD"), ROIConfig().costs("vnd")
    assert usd["cost_per_contact"] == {"email": 0.10, "phone": 2.50, "mail": 1.20}
    assert vnd["cost_per_contact"]["email"] == 2_500  # not 0.10 read as dong
    assert vnd["service_hour_cost"] == 100_000 and vnd["missing"] == []
    assert sorted(vnd["defaulted"]) == ["campaign_setup_cost", "cost_per_contact",
                                        "service_hour_cost"]
    # each default is at least 1,000 times the dollar one (1 USD is about 25,000 VND)
    for key in ("campaign_setup_cost", "service_hour_cost"):
        assert vnd[key] >= 1000 * usd[key]
    # a currency without defaults: the keys are missing, and named
    jpy = ROIConfig().costs("JPY")
    assert jpy["missing"] == ["cost_per_contact", "campaign_setup_cost", "service_hour_cost"]
    given = ROIConfig(cost_per_contact={"email": 5.0}).costs("VND")
    assert given["cost_per_contact"] == {"email": 5.0}
    assert "cost_per_contact" not in given["defaulted"]


def clv_run(currency, **roi):
    from seglib.config import TargetingConfig

    customers = clv_customers(n=2000)
    customers["n_orders"] = customers["clv_frequency"] + 1
    customers["has_email"] = True
    rich = customers["clv_frequency"] >= 4
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": rich.astype(int) + 1})
    segments["segment_name"] = segments["segment"].map({1: "Light", 2: "Heavy"})
    params = TargetingConfig(top_n=1, sensitivity_draws=0, roi=roi)
    return targeting.target_segments(customers, segments, params, currency=currency), segments


def test_a_vnd_run_prices_contacts_in_dong():
    usd, _ = clv_run("USD")
    vnd, _ = clv_run("VND")
    u, v = usd.roi.loc[2], vnd.roi.loc[2]
    assert u["contact_cost"] == pytest.approx(u["customers"] * 0.10)
    assert v["contact_cost"] == pytest.approx(v["customers"] * 2_500)
    assert v["setup_cost"] == 2_500_000 and u["setup_cost"] == 250
    assert v["campaign_cost"] > 10_000 * u["campaign_cost"]
    assert "these are the VND defaults" in targeting.money_text(vnd, "VND")


def test_the_campaign_value_is_incremental_and_an_implausible_return_is_flagged():
    result, _ = clv_run("USD")
    roi = result.roi.loc[2]
    scored = result.scored.set_index("segment").loc[2]
    # kept customers: the reached ones likely to lapse x 5%, each worth an active customer's
    # CLV; extra orders: the active ones x 5%, each worth one order's margin
    reached = roi["customers"] * roi["reach"]
    assert roi["kept_customers"] == pytest.approx(reached * scored["lapse_share"] * 0.05)
    assert roi["extra_orders"] == pytest.approx(reached * scored["active_share"] * 0.05)
    assert roi["expected_value"] == pytest.approx(
        roi["kept_customers"] * scored["clv_active"] + roi["extra_orders"]
        * scored["order_margin"])
    # below the old "5% of the reached are each worth the segment's mean CLV" (5,585)
    assert roi["expected_value"] == pytest.approx(3130.16, abs=0.01)
    assert roi["expected_value"] < reached * 0.05 * scored["clv_mean"]
    # a cheap channel and no set-up cost: a return above 20:1, flagged with its driver
    cheap, _ = clv_run("USD", cost_per_contact={"email": 0.01}, campaign_setup_cost=0.0)
    row = cheap.scored.set_index("segment").loc[2]
    assert row["return_per_spent"] > 20 and not row["roi_plausible"]
    text = targeting.money_text(cheap, "USD")
    assert "per 1 USD spent, above the plausible 20:1: it rests on keeping 5%" in text
    assert "against contacts at 0.01 USD each by email and no set-up cost" in text
    assert "above 20:1" in targeting.roi_table(cheap).loc["Heavy", "check"]
    rec = targeting.recommendation(cheap.scored, cheap.weights, "USD")
    assert "The return on Heavy is above the plausible 20:1: it rests on" in rec


def test_without_costs_for_the_currency_the_return_is_not_computed_and_the_keys_named():
    result, _ = clv_run("JPY")
    assert result.roi is None and "roi" not in result.scored
    text = targeting.money_text(result, "JPY")
    assert ("The campaign return is not computed: the costs are in the run's currency and "
            "there are no default costs in JPY. Set `targeting.roi.cost_per_contact`") in text
    assert targeting.roi_table(result) is None
    assert result.service is None or result.service["hour_roi"].isna().all()
    # with the client's cost per contact it is computed, and a missing set-up cost is said
    given, _ = clv_run("JPY", cost_per_contact={"email": 10.0})
    assert given.roi is not None and (given.roi["setup_cost"] == 0).all()
    assert "no set-up cost (`targeting.roi.campaign_setup_cost` is not set)" in \
        targeting.money_text(given, "JPY")


def test_costs_given_in_another_currency_are_questioned():
    # the old template's dollar costs in a VND run: 0.10 VND per email
    result, _ = clv_run("VND", cost_per_contact={"email": 0.10, "phone": 2.50, "mail": 1.20})
    text = targeting.money_text(result, "VND")
    assert ("email 0.10 VND, phone 2.50 VND and mail 1.20 VND: far from what this costs in "
            "VND; are these costs in another currency?") in text
    fine, _ = clv_run("VND", cost_per_contact={"email": 1_500.0})
    assert "another currency" not in targeting.money_text(fine, "VND")


def test_without_transactions_the_text_says_which_clv_models_could_not_be_fitted():
    text = targeting.clv_text(None)
    assert "neither model could be fitted" in text
    assert "BG/NBD" in text and "Gamma-Gamma" in text and "data.transactions" in text
