import re

import numpy as np
import pandas as pd
import pytest

from seglib.errors import DataError, ModelError
from seglib.segment import explain


@pytest.fixture
def hand():
    """Segment 1 orders a lot, segment 2 is all female; the two label-0 rows are extreme."""
    table = pd.DataFrame({
        "n_orders": [20.0, 24.0, 22.0, np.nan,            # segment 1
                     8.0, 10.0, 9.0, 11.0, 7.0,           # segment 2
                     6.0, 8.0, 7.0, 9.0,                  # segment 3
                     500.0, 900.0],                       # unclassified
        "gender": ["male", "male", "male", "female",
                   "female", "female", "female", "female", np.nan,
                   "male", "male", "x", "x",
                   "female", "other"],
        "country_code": [1.0] * 13 + [7.0, 9.0],          # constant among the classified
    })
    labels = np.array([1] * 4 + [2] * 5 + [3] * 4 + [0] * 2)
    return table, labels


FEATURES = ["n_orders", "gender", "country_code"]


def test_standardized_differences_equal_a_hand_computation(hand):
    table, labels = hand
    diffs = explain.standardized_differences(table, labels, FEATURES)

    assert list(diffs.index) == [1, 2, 3]
    # categories by overall frequency (female and male 5 each: text order), then "x"
    assert list(diffs.columns) == ["n_orders", "gender = female", "gender = male", "gender = x",
                                   "country_code"]
    orders = np.array([20, 24, 22, 8, 10, 9, 11, 7, 6, 8, 7, 9], dtype=float)
    mean, std = orders.mean(), orders.std()                       # 11.75, ddof=0
    assert mean == 11.75
    assert diffs.loc[1, "n_orders"] == pytest.approx((22 - mean) / std)   # NaN skipped
    assert diffs.loc[2, "n_orders"] == pytest.approx((9 - mean) / std)
    assert diffs.loc[3, "n_orders"] == pytest.approx((7.5 - mean) / std)
    # 12 known genders among the classified: 5 female, 5 male, 2 x
    p = 5 / 12
    assert diffs.loc[2, "gender = female"] == pytest.approx((1.0 - p) / np.sqrt(p * (1 - p)))
    assert diffs.loc[1, "gender = female"] == pytest.approx((0.25 - p) / np.sqrt(p * (1 - p)))
    assert diffs.loc[3, "gender = male"] == pytest.approx((0.5 - p) / np.sqrt(p * (1 - p)))
    q = 2 / 12
    assert diffs.loc[3, "gender = x"] == pytest.approx((0.5 - q) / np.sqrt(q * (1 - q)))
    # a constant feature gives 0, not inf or NaN
    assert (diffs["country_code"] == 0.0).all()


def test_label_zero_rows_do_not_count(hand):
    table, labels = hand
    before = explain.standardized_differences(table, labels, FEATURES)
    changed = table.copy()
    changed.loc[labels == 0, "n_orders"] = [-1e6, 1e6]
    changed.loc[labels == 0, "gender"] = ["zzz", "zzz"]
    after = explain.standardized_differences(changed, labels, FEATURES)
    pd.testing.assert_frame_equal(before, after)
    assert "gender = other" not in before.columns
    assert 0 not in explain.top_features(table, labels, FEATURES)["segment"].to_list()


def test_top_features_rank_the_planted_feature_first(hand):
    table, labels = hand
    top = explain.top_features(table, labels, FEATURES, n=2)

    assert list(top.columns) == ["segment", "rank", "feature", "segment_value", "overall_value",
                                 "std_diff", "direction", "text"]
    first = top[top["rank"] == 1].set_index("segment")
    assert first.loc[1, "feature"] == "n_orders"
    assert first.loc[1, "direction"] == "higher"
    assert first.loc[1, "segment_value"] == 22.0 and first.loc[1, "overall_value"] == 11.75
    assert first.loc[1, "text"] == "n orders 22.0 vs 11.8 overall (+1.7 sd)"
    assert first.loc[2, "feature"] == "gender = female"
    assert first.loc[2, "direction"] == "higher"
    assert first.loc[2, "text"] == "gender = female: 100% vs 42% overall (+1.2 sd)"
    # the constant feature never shows; ranks are 1..n per segment, by |std_diff|
    assert "country_code" not in top["feature"].to_list()
    assert top.groupby("segment")["rank"].apply(list).to_dict() == {1: [1, 2], 2: [1, 2],
                                                                     3: [1, 2]}
    for _, rows in top.groupby("segment"):
        assert rows["std_diff"].abs().is_monotonic_decreasing
    lower = top[(top["segment"] == 2) & (top["rank"] == 2)].iloc[0]
    assert lower["feature"] == "gender = male" and lower["direction"] == "lower"
    assert lower["std_diff"] < 0 and "(-0.8 sd)" in lower["text"]


def test_top_features_text_shows_shares_as_percentages_and_money_with_separators():
    table = pd.DataFrame({"online_share": [0.9, 1.0, 0.0, 0.1],
                          "avg_order_value": [2400.0, 2600.0, 100.0, 100.0]})
    top = explain.top_features(table, [1, 1, 2, 2], ["online_share", "avg_order_value"])
    texts = top[top["segment"] == 1]["text"].to_list()
    assert "online share 95% vs 50% overall (+1.0 sd)" in texts
    assert "avg order value 2,500 vs 1,300 overall (+1.0 sd)" in texts


def separable(n_per_segment=100, seed=3):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "n_orders": np.concatenate([rng.integers(20, 41, n_per_segment),
                                    rng.integers(1, 11, n_per_segment),
                                    np.full(30, 15)]).astype(float),
        "online_share": rng.uniform(0, 1, 2 * n_per_segment + 30),
    })
    labels = np.array([1] * n_per_segment + [2] * n_per_segment + [0] * 30)
    return table, labels


def test_tree_on_one_threshold_is_exact():
    table, labels = separable()
    result = explain.explain_tree(table, labels, ["n_orders", "online_share"])

    assert result.fidelity == 1.0 and result.train_accuracy == 1.0
    assert result.n_train + result.n_test == 200            # the 30 label-0 rows left out
    assert result.n_test == 60 and result.stratified
    assert result.feature_names == ["n_orders", "online_share"]
    assert list(result.rules.columns) == ["segment", "rule", "customers", "precision",
                                          "coverage"]
    assert result.rules["segment"].to_list() == [1, 2]
    high, low = result.rules["rule"]
    threshold = float(re.fullmatch(r"n orders > ([\d.]+)", high).group(1))
    assert 10 < threshold < 20
    assert low == f"n orders <= {threshold:.1f}"
    assert result.rules["precision"].to_list() == [1.0, 1.0]
    assert result.rules["coverage"].to_list() == [1.0, 1.0]
    assert result.rules["customers"].sum() == result.n_train


def test_categorical_split_reads_feature_equals_category():
    rng = np.random.default_rng(0)
    gender = pd.Series(rng.choice(["female", "male", "unknown"], 300), dtype="str")
    table = pd.DataFrame({"gender": gender, "age": rng.uniform(18, 80, 300)})
    labels = np.where(gender == "female", 2, 1)
    result = explain.explain_tree(table, labels, ["gender", "age"])

    assert result.fidelity == 1.0
    assert {"gender = female", "gender = male", "gender = unknown"} <= set(result.feature_names)
    rules = result.rules.groupby("segment")["rule"].apply(list).to_dict()
    assert rules == {1: ["gender is not female"], 2: ["gender = female"]}


def test_conditions_on_one_feature_merge_into_a_range():
    rng = np.random.default_rng(1)
    bands = [(18, 30), (35, 45), (50, 60), (65, 81)]           # gaps between the segments
    age = np.concatenate([rng.integers(lo, hi, 60) for lo, hi in bands]).astype(float)
    table = pd.DataFrame({"age": age, "noise": rng.normal(size=len(age))})
    labels = np.repeat([1, 2, 3, 4], 60)
    result = explain.explain_tree(table, labels, ["age", "noise"])

    assert result.fidelity == 1.0
    assert result.tree.get_depth() == 2                       # every leaf: two splits on age
    rules = dict(zip(result.rules["segment"], result.rules["rule"], strict=True))
    assert len(rules) == 4
    for rule in rules.values():
        assert rule.count("age") == 1                         # one condition per feature
    assert re.fullmatch(r"age <= 3[0-4]\.\d", rules[1])      # one bound, however many splits
    low, high = map(float, re.fullmatch(r"([\d.]+) < age <= ([\d.]+)", rules[2]).groups())
    assert 29 < low < 35 and 44 < high < 50
    assert re.fullmatch(r"[\d.]+ < age <= [\d.]+", rules[3])
    assert re.fullmatch(r"age > 6[0-4]\.\d", rules[4])


def test_a_segment_the_tree_cannot_separate_gets_the_no_leaf_row():
    rng = np.random.default_rng(2)
    n_orders = np.concatenate([rng.integers(20, 41, 150), rng.integers(1, 11, 150),
                               rng.integers(20, 41, 20)]).astype(float)
    table = pd.DataFrame({"n_orders": n_orders})
    labels = np.array([1] * 150 + [2] * 150 + [3] * 20)    # 3 looks just like 1, but fewer
    result = explain.explain_tree(table, labels, ["n_orders"], max_depth=2)

    row = result.rules[result.rules["segment"] == 3].iloc[0]
    assert row["rule"] == explain.NO_LEAF_RULE
    assert row["customers"] == 0 and row["coverage"] == 0.0 and np.isnan(row["precision"])
    assert result.rules["segment"].is_monotonic_increasing


def test_tree_imputes_the_training_median_and_groups_rare_categories():
    rng = np.random.default_rng(4)
    n = 240
    labels = np.repeat([1, 2], n // 2)
    table = pd.DataFrame({
        "income": np.where(rng.uniform(size=n) < 0.3, np.nan, 3.0),
        "city": pd.Series([f"city{i % 12:02d}" for i in range(n)], dtype="category"),
        "n_orders": np.where(labels == 1, 30.0, 2.0),
    })
    table.loc[5, "city"] = np.nan
    result = explain.explain_tree(table, labels, ["income", "city", "n_orders"])

    # stratified: as many 30s as 2s in training, so the median order count is 16
    assert result.imputed_medians == {"income": 3.0, "n_orders": 16.0}
    cities = [name for name in result.feature_names if name.startswith("city = ")]
    assert len(cities) == 11 and cities[-1] == "city = other"
    assert result.fidelity == 1.0


def test_large_inputs_fit_on_a_seeded_sample_and_small_segments_skip_stratification():
    table, labels = separable(n_per_segment=200)
    result = explain.explain_tree(table, labels, ["n_orders"], max_train_rows=100)
    assert result.n_train == 100 and result.n_test == 120
    assert result.rules["customers"].sum() == 100

    labels = labels.copy()
    labels[0] = 3                                            # a segment of one customer
    result = explain.explain_tree(table, labels, ["n_orders"])
    assert not result.stratified
    assert result.n_train + result.n_test == 400
    assert 3 in result.rules["segment"].to_list()


def test_tree_is_deterministic_for_a_random_state():
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400),
                          "c": rng.choice(["x", "y", "z"], 400)})
    labels = rng.integers(1, 4, 400)                          # noisy: many close splits
    first = explain.explain_tree(table, labels, ["a", "b", "c"], random_state=11)
    second = explain.explain_tree(table, labels, ["a", "b", "c"], random_state=11)
    pd.testing.assert_frame_equal(first.rules, second.rules)
    assert first.fidelity == second.fidelity
    assert first.train_accuracy == second.train_accuracy


def test_inputs_are_not_mutated(hand):
    table, labels = hand
    table_before, labels_before = table.copy(), labels.copy()
    series = pd.Series(labels, index=table.index[::-1])
    explain.standardized_differences(table, labels, FEATURES)
    explain.top_features(table, series, FEATURES)
    big, big_labels = separable()
    big_before, big_labels_before = big.copy(), big_labels.copy()
    explain.explain_tree(big, big_labels, ["n_orders", "online_share"])
    groups = {"a": big_labels, "b": big_labels[::-1].copy()}
    explain.method_agreement(groups)
    pd.testing.assert_frame_equal(table, table_before)
    np.testing.assert_array_equal(labels, labels_before)
    pd.testing.assert_frame_equal(big, big_before)
    np.testing.assert_array_equal(big_labels, big_labels_before)
    np.testing.assert_array_equal(groups["a"], big_labels_before)


def test_method_agreement():
    rng = np.random.default_rng(6)
    base = rng.integers(1, 5, 3000)
    permuted = np.array([0, 3, 4, 1, 2])[base]                 # same partition, other ids
    independent = rng.integers(1, 5, 3000)
    with_zeros = base.copy()
    with_zeros[:500] = 0
    noisy = base.copy()
    noisy[:500] = rng.integers(1, 5, 500)                    # disagrees only where zeros are

    agreement = explain.method_agreement({"kmeans": base, "same": base.copy(),
                                          "permuted": permuted, "random": independent})
    assert list(agreement.index) == list(agreement.columns) == ["kmeans", "same", "permuted",
                                                               "random"]
    np.testing.assert_allclose(np.diag(agreement), 1.0)
    assert agreement.loc["kmeans", "same"] == 1.0
    assert agreement.loc["kmeans", "permuted"] == pytest.approx(1.0)
    assert abs(agreement.loc["kmeans", "random"]) < 0.01
    np.testing.assert_allclose(agreement.to_numpy(), agreement.to_numpy().T)
    # rows unclassified by any method are left out of every pair
    masked = explain.method_agreement({"a": with_zeros, "b": noisy, "c": base})
    assert masked.loc["a", "b"] == pytest.approx(1.0)
    assert masked.loc["b", "c"] == pytest.approx(1.0)


def test_bad_inputs_raise_clear_errors(hand):
    table, labels = hand
    with pytest.raises(DataError, match="income"):
        explain.standardized_differences(table, labels, ["income"])
    with pytest.raises(DataError, match="14 segment ids for a table of 15 rows"):
        explain.top_features(table, labels[:-1], FEATURES)
    with pytest.raises(ModelError, match="two segments"):
        explain.explain_tree(table, np.where(labels > 0, 1, 0), FEATURES)
    with pytest.raises(DataError, match="differ in length"):
        explain.method_agreement({"a": [1, 2, 3], "b": [1, 2]})
