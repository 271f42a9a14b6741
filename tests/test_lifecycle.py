import pandas as pd

from seglib import lifecycle


def test_stages_from_hand_made_histories():
    customers = pd.DataFrame({
        "customer_id": ["p", "n", "a", "r", "l", "edge_active", "edge_lapsed"],
        "n_orders": [0, 1, 5, 3, 2, 4, 4],
        "recency_days": [None, 10, 20, 200, 400, 90, 365],
        "tenure_days": [None, 10, 500, 600, 700, 300, 900],
    })
    stages = lifecycle.assign_stages(customers, new_days=60, active_days=90, lapsed_days=365)
    assert list(stages.astype(str)) == ["prospect", "new", "active", "at risk", "lapsed",
                                        "active", "at risk"]


def test_table_counts_and_no_history():
    customers = pd.DataFrame({"customer_id": ["b", "a"], "n_orders": [1, 3],
                              "recency_days": [5, 500], "tenure_days": [5, 800]})
    segments = pd.DataFrame({"customer_id": ["a", "b"], "segment": [1, 0],
                             "segment_name": ["Loyal", "New / unclassified"]})
    table = lifecycle.lifecycle_table(customers, segments)
    assert list(table["customer_id"]) == ["a", "b"]
    assert list(table["stage"].astype(str)) == ["lapsed", "new"]
    counts = lifecycle.stage_counts(table)
    assert counts.loc["lapsed", "customers"] == 1 and counts.loc["active", "customers"] == 0
    cross = lifecycle.stage_by_segment(table)
    assert cross.loc["Loyal", "lapsed"] == 1 and cross.loc["total", "total"] == 2
    no_history = lifecycle.lifecycle_table(customers[["customer_id"]], segments)
    assert not lifecycle.has_history(customers[["customer_id"]])
    assert no_history["stage"].isna().all()
