import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from seglib import segment
from seglib.errors import DataError, ModelError


def planted_customers(n_per_segment=150, seed=7):
    """Three behavioural segments plus one-order customers, with known truth."""
    rng = np.random.default_rng(seed)
    blocks, truth = [], []
    centres = [  # n_orders, avg_order_value, online_share, store_share, age
        (3, 400, 0.1, 0.9, 42), (14, 30, 0.95, 0.05, 21), (30, 900, 0.2, 0.3, 45)]
    for label, (orders, aov, online, store, age) in enumerate(centres, start=1):
        n = n_per_segment
        blocks.append(pd.DataFrame({
            "n_orders": np.maximum(2, rng.poisson(orders, n)),
            "avg_order_value": aov * rng.lognormal(0, 0.15, n),
            "online_share": np.clip(online + rng.normal(0, 0.05, n), 0, 1),
            "store_share": np.clip(store + rng.normal(0, 0.05, n), 0, 1),
            "age": age + rng.normal(0, 3, n),
        }))
        truth += [label] * n
    new = pd.DataFrame({"n_orders": [1] * 40, "avg_order_value": rng.uniform(20, 500, 40),
                        "online_share": rng.uniform(0, 1, 40), "store_share": 0.5,
                        "age": rng.uniform(18, 70, 40)})
    table = pd.concat(blocks + [new], ignore_index=True)
    table.insert(0, "customer_id", [f"C{i:04d}" for i in range(len(table))])
    return table, np.array(truth + [0] * 40)


def test_planted_segments_are_recovered_and_k_chosen():
    customers, truth = planted_customers()
    result = segment.segment_customers(customers, k_min=2, k_max=6, random_state=0)
    assert result.model.n_segments == 3
    labels = result.segments["segment"].to_numpy()
    clustered = truth > 0
    assert adjusted_rand_score(truth[clustered], labels[clustered]) > 0.95
    # one-order customers are the unclassified group, never forced into a cluster
    assert (labels[~clustered] == segment.UNCLASSIFIED).all()
    assert (labels[clustered] != segment.UNCLASSIFIED).all()
    assert result.names[segment.UNCLASSIFIED] == "New / unclassified"
    assert len(set(result.names.values())) == len(result.names)


def test_same_data_and_seed_give_identical_segments():
    customers, _ = planted_customers()
    a = segment.segment_customers(customers, random_state=3).segments
    again = segment.segment_customers(customers, random_state=3).segments
    pd.testing.assert_frame_equal(a, again)


def test_segment_ids_are_numbered_by_size():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, n_segments=3, random_state=0)
    sizes = result.segments[result.segments["segment"] > 0]["segment"].value_counts().sort_index()
    assert list(sizes.index) == [1, 2, 3]
    assert sizes.is_monotonic_decreasing
    assert result.k_scores is None


def test_predict_puts_customers_back_in_their_segment():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, n_segments=3, random_state=0)
    clustered = customers[customers["n_orders"] >= 2]
    assert (result.model.predict(clustered) == result.model.labels_).all()


def test_profile_index_against_the_base():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, n_segments=3, random_state=0)
    prof = result.profiles.set_index("segment")
    assert prof["customers"].sum() == len(customers)
    assert prof["share"].sum() == pytest.approx(1.0)
    overall = customers["age"].mean()
    assert prof.loc[1, "index_age"] == pytest.approx(100 * prof.loc[1, "age"] / overall)


def test_demographic_features_leave_nobody_unclassified():
    customers, _ = planted_customers()
    demo = customers.drop(columns=["n_orders", "avg_order_value", "online_share", "store_share"])
    demo["income"] = np.linspace(10_000, 90_000, len(demo))
    result = segment.segment_customers(demo, k_max=4, random_state=0)
    assert (result.segments["segment"] != segment.UNCLASSIFIED).all()


def test_best_k_breaks_ties_towards_fewer_segments():
    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.4, 0.5, 0.5]})
    assert segment.best_k(scores) == 3


def test_unknown_or_text_features_are_data_errors():
    customers, _ = planted_customers()
    with pytest.raises(DataError, match="not in the customer table"):
        segment.segment_customers(customers, features=["age", "shoe_size"])
    customers["city"] = "Hanoi"
    with pytest.raises(DataError, match="not numeric"):
        segment.segment_customers(customers, features=["age", "city"])


def test_too_few_customers_is_a_model_error():
    customers, _ = planted_customers()
    with pytest.raises(ModelError, match="too few to segment"):
        segment.segment_customers(customers.head(2))


def test_customers_only_segments_are_named_by_what_sets_them_apart():
    rng = np.random.default_rng(0)
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(300)],
        "age": np.r_[rng.normal(25, 2, 150), rng.normal(60, 2, 150)],
        "income": np.r_[rng.normal(20_000, 1_000, 150), rng.normal(90_000, 1_000, 150)],
    })
    result = segment.segment_customers(customers, n_segments=2, random_state=0)
    names = sorted(v for k, v in result.names.items() if k != segment.UNCLASSIFIED)
    assert names == ["Customers with high income and high age",
                     "Young customers with low income and low age"]


def test_single_feature_segmentation_and_its_map():
    from seglib import plots

    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=["avg_order_value"], n_segments=3,
                                       random_state=0)
    standardised, labels = segment.map_inputs(result, customers)
    assert standardised.shape[1] == 1
    fig = plots.segment_map(standardised, labels, result.names)
    assert fig.axes[0].get_xlabel().startswith("PC1")


def test_summary_escapes_feature_names_from_the_data():
    customers, _ = planted_customers()
    customers = customers.rename(columns={"age": "<b>age*</b>"})
    result = segment.segment_customers(customers, features=["n_orders", "<b>age*</b>"],
                                       n_segments=3, random_state=0)
    assert r"\<b\>age\*\</b\>" in segment.summary_text(result)
