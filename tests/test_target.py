import pandas as pd
import pytest

from seglib import target
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
    assert list(target.scale_1_10(pd.Series([0, 5, 10]))) == [1, 5.5, 10]
    assert list(target.scale_1_10(pd.Series([0, 5, 10]), higher_is_better=False)) == [10, 5.5, 1]
    assert list(target.scale_1_10(pd.Series([3, 3]))) == [5.5, 5.5]


def test_weighted_score_by_hand():
    scored = target.attractiveness(metrics(), {"size": 1, "revenue": 3}, top_n=1)
    by_name = scored.set_index("segment_name")
    # size: Big 400 -> 10, Rich 100 -> 1 + 9*50/350, Small 50 -> 1
    # revenue: Rich 20000 -> 10, Big 8000 -> 1 + 9*7500/19500, Small -> 1
    big = 0.25 * 10 + 0.75 * (1 + 9 * 7500 / 19500)
    rich = 0.25 * (1 + 9 * 50 / 350) + 0.75 * 10
    assert by_name.loc["Big", "attractiveness"] == pytest.approx(big)
    assert by_name.loc["Rich", "attractiveness"] == pytest.approx(rich)
    assert by_name.loc["Small", "attractiveness"] == pytest.approx(1.0)
    assert list(scored["segment_name"][:3]) == ["Rich", "Big", "Small"]
    assert by_name["selected"].to_dict() == {"Rich": True, "Big": False, "Small": False,
                                             "New / unclassified": False}


def test_unclassified_is_never_selected_or_ranked():
    scored = target.attractiveness(metrics(), {"size": 1}, top_n=10)
    row = scored.set_index("segment").loc[0]
    assert not row["selected"] and pd.isna(row["attractiveness"]) and pd.isna(row["rank"])
    assert scored["selected"].sum() == 3


def test_weight_for_criterion_the_data_cannot_give_is_named():
    with pytest.raises(ConfigError, match=r"\['orders_per_customer'\]"):
        target.attractiveness(metrics(), {"size": 1, "orders_per_customer": 2}, top_n=1)


def test_default_weights_use_only_what_the_data_gives():
    only_size = metrics()[["segment", "segment_name", "customers"]]
    assert target.effective_weights(only_size, None) == {"size": 1.0}
    scored = target.attractiveness(only_size, None, top_n=1)
    assert scored.iloc[0]["segment_name"] == "Big"


def test_segment_metrics_from_customers():
    customers = pd.DataFrame({"customer_id": list("abcd"), "revenue": [10.0, 30, 5, 0],
                              "margin": [2.0, 6, 1, 0], "n_orders": [1, 3, 2, 0],
                              "recency_days": [5, 15, 100, None]})
    segments = pd.DataFrame({"customer_id": list("abcd"), "segment": [1, 1, 2, 0],
                             "segment_name": ["x", "x", "y", "n"]})
    m = target.segment_metrics(customers, segments).set_index("segment")
    assert m.loc[1, "customers"] == 2 and m.loc[1, "revenue"] == 40
    assert m.loc[1, "margin_rate"] == pytest.approx(0.2)
    assert m.loc[1, "revenue_per_customer"] == 20
    assert m.loc[1, "mean_recency_days"] == 10
    assert m["share"].sum() == pytest.approx(1)


def test_recommendation_names_the_targets():
    weights = {"size": 1, "revenue": 3}
    text = target.recommendation(target.attractiveness(metrics(), weights, top_n=1), weights)
    assert "**Rich**" in text and "Big, Small" in text
