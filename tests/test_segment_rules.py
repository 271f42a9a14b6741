"""Rule-based segments: RFM scores, the RFM segment map and age groups, by hand."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from seglib.errors import ConfigError, DataError
from seglib.segment.rules import (
    DEFAULT_AGE_GROUPS,
    DEFAULT_RFM_RULES,
    OTHERS,
    UNCLASSIFIED,
    AgeGroupSegmenter,
    RFMSegmenter,
    RuleDataError,
    RuleError,
    learn_edges,
    rfm_grid,
    rfm_scores,
)

#: Distinct recency levels (days) and order counts, from worst to best score.
RECENCY_LEVELS = [400, 200, 90, 30, 1]
ORDER_LEVELS = [1, 2, 4, 8, 30]

#: The default map, r = 5 first, f = 1..5 left to right.
EXPECTED_MAP = {
    5: ["New customers", "Potential loyalists", "Potential loyalists", "Champions", "Champions"],
    4: ["Promising", "Potential loyalists", "Potential loyalists", "Loyal customers",
        "Loyal customers"],
    3: ["About to sleep", "About to sleep", "Need attention", "Loyal customers",
        "Loyal customers"],
    2: ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
    1: ["Lost", "Lost", "At risk", "At risk", "Can't lose them"],
}


def grid_customers():
    """25 customers, one per (recency level, order level): every score 1..5 five times."""
    rows = [{"customer_id": f"C{r}{f}", "recency_days": float(days), "n_orders": orders,
             "revenue": 50.0 * orders}
            for r, days in enumerate(RECENCY_LEVELS, start=1)
            for f, orders in enumerate(ORDER_LEVELS, start=1)]
    return pd.DataFrame(rows).set_index("customer_id")


def grid_table(grid):
    """{r_score: [segment for f_score 1..bins]} from a long grid."""
    ordered = grid.sort_values(["r_score", "f_score"])
    return {int(r): cells["segment"].tolist() for r, cells in ordered.groupby("r_score")}


def names_of(model, labels):
    return [model.segment_names_.get(label, "missing") for label in labels]


def test_hand_made_customers_get_expected_scores_and_segments():
    customers = grid_customers()
    model = RFMSegmenter().fit(customers)
    scores = model.scores_
    assert list(scores.columns) == ["r_score", "f_score", "m_score"]
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        row = scores.loc[f"C{r}{f}"]
        assert (row["r_score"], row["f_score"], row["m_score"]) == (r, f, f)
    segments = dict(zip(customers.index, names_of(model, model.labels_), strict=True))
    assert segments["C55"] == "Champions"        # bought yesterday, 30 orders, high revenue
    assert segments["C11"] == "Lost"             # one order long ago
    assert segments["C51"] == "New customers"    # one order yesterday
    assert segments["C15"] == "Can't lose them"  # 30 orders, but 400 days ago
    assert segments["C33"] == "Need attention"
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        assert segments[f"C{r}{f}"] == EXPECTED_MAP[r][f - 1]
    assert model.labels_.dtype == np.int64
    assert model.segment_names_ == {**{i: rule["name"] for i, rule in
                                       enumerate(DEFAULT_RFM_RULES, start=1)}, 12: OTHERS}
    assert model.others_id_ == 12
    # edges sit at the lowest value of each better score (recency: the highest days)
    assert model.edges_["n_orders"].tolist() == [2, 4, 8, 30]
    assert model.edges_["recency_days"].tolist() == [1, 30, 90, 200]
    np.testing.assert_array_equal(model.fit_predict(customers), model.labels_)
    np.testing.assert_array_equal(model.predict(customers), model.labels_)


def test_default_rules_cover_every_cell_of_the_grid_exactly_once():
    matched = {}
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        hits = [rule["name"] for rule in DEFAULT_RFM_RULES
                if rule["r"][0] <= r <= rule["r"][1] and rule["f"][0] <= f <= rule["f"][1]]
        assert len(hits) == 1, (r, f, hits)
        matched[r, f] = hits[0]
    assert {name for name in matched.values()} == {rule["name"] for rule in DEFAULT_RFM_RULES}
    assert len(DEFAULT_RFM_RULES) == 11
    # and the estimator agrees on every (r, f, m) cell, so "Others" stays empty
    cells = list(itertools.product(range(1, 6), repeat=3))
    scores = pd.DataFrame(cells, columns=["r_score", "f_score", "m_score"]).astype("Int64")
    cuts = {"recency_days": [1.5, 2.5, 3.5, 4.5], "n_orders": [1, 2, 3, 4],
            "revenue": [1, 2, 3, 4]}
    table = pd.DataFrame({"recency_days": 6 - scores["r_score"].astype(float),
                          "n_orders": scores["f_score"].astype(float) - 1,
                          "revenue": scores["m_score"].astype(float) - 1})
    model = RFMSegmenter(cuts=cuts).fit(table)
    pd.testing.assert_frame_equal(model.scores_, scores)
    got = names_of(model, model.labels_)
    assert got == [matched[r, f] for r, f, _ in cells]


def test_grid_names_every_cell_and_counts_customers():
    model = RFMSegmenter().fit(grid_customers())
    grid = model.grid()
    assert len(grid) == 25
    assert (grid["customers"] == 1).all()
    assert grid["share"].tolist() == pytest.approx([1 / 25] * 25)
    assert grid_table(grid) == EXPECTED_MAP
    assert grid[["r_score", "f_score"]].iloc[0].tolist() == [5, 1]


def test_rfm_grid_takes_the_most_common_segment_and_leaves_empty_cells_unnamed():
    scores = pd.DataFrame({"r_score": [5, 5, 5, 1, 3], "f_score": [5, 5, 5, 1, 3],
                           "m_score": [5, 1, 1, 1, 1]}).astype("Int64")
    labels = np.array([1, 2, 2, 3, 0])  # the r=3, f=3 customer has missing data
    names = {1: "Big", 2: "Small", 3: "Lost", 4: OTHERS}
    grid = rfm_grid(scores, labels, names, bins=5).set_index(["r_score", "f_score"])
    assert grid.loc[(5, 5), "segment"] == "Small"
    assert grid.loc[(5, 5), "customers"] == 3
    assert grid.loc[(5, 5), "share"] == pytest.approx(0.75)
    assert grid.loc[(1, 1), "segment"] == "Lost"
    assert grid.loc[(3, 3), "customers"] == 0
    assert pd.isna(grid.loc[(3, 3), "segment"])
    assert grid["customers"].sum() == 4


def test_grid_of_a_model_names_empty_cells_from_the_rules():
    customers = grid_customers().iloc[[0, 24]]  # C11 and C55 only
    cuts = {"recency_days": [1, 30, 90, 200], "n_orders": [2, 4, 8, 30]}
    grid = RFMSegmenter(cuts=cuts).fit(customers).grid()
    assert grid_table(grid) == EXPECTED_MAP
    assert grid["customers"].sum() == 2


def test_tied_order_counts_always_get_the_same_f_score():
    # 60 of 100 customers have exactly 2 orders: a rank split would cut them in two
    n_orders = [1] * 10 + [2] * 60 + [3] * 10 + [4] * 5 + [5] * 5 + list(range(6, 16))
    customers = pd.DataFrame({"recency_days": np.arange(100.0), "n_orders": n_orders,
                              "revenue": np.linspace(10, 1000, 100)})
    model = RFMSegmenter().fit(customers)
    f = model.scores_["f_score"].astype(int)
    by_orders = f.groupby(customers["n_orders"]).nunique()
    assert (by_orders == 1).all()
    per_value = f.groupby(customers["n_orders"]).first()
    assert per_value[1] == 1 and per_value[2] == 2
    assert per_value[15] == 5
    assert sorted(f.unique()) == [1, 2, 3, 4, 5]  # still spans 1..5: the data allow it
    assert per_value.is_monotonic_increasing
    # learn_edges agrees and cuts between distinct values only
    edges = learn_edges(customers["n_orders"], 5)
    assert set(edges) <= set(n_orders)


def test_few_distinct_values_spread_over_the_scores():
    assert learn_edges([1, 1, 1, 2], 5).tolist() == [2, 2, 2, 2]           # 1 -> F1, 2 -> F5
    assert learn_edges([1, 2, 3, 3], 5).tolist() == [2, 2, 3, 3]           # 1, 3, 5
    # one value: no ranking information, everyone the middle score
    one = pd.DataFrame({"recency_days": [7.0] * 3, "n_orders": [2] * 3, "revenue": [5.0] * 3})
    scores = RFMSegmenter().fit(one).scores_
    assert scores.to_numpy().tolist() == [[3, 3, 3]] * 3
    # recency is reversed: the most recent gets the top score
    assert learn_edges([10, 10, 20], 5, higher_is_better=False).tolist() == [10, 10, 10, 10]
    two = pd.DataFrame({"recency_days": [10.0, 20.0], "n_orders": [1, 2], "revenue": [1.0, 2.0]})
    assert RFMSegmenter().fit(two).scores_.to_numpy().tolist() == [[5, 1, 1], [1, 5, 5]]


def test_explicit_cuts_are_used_exactly_and_a_value_on_a_cut_goes_up():
    cuts = {"recency_days": [30, 90, 180, 365], "n_orders": [2, 3, 5, 10],
            "revenue": [100, 200, 300, 400]}
    customers = pd.DataFrame({
        "recency_days": [0, 30, 31, 90, 91, 365, 366],
        "n_orders": [1, 2, 3, 4, 9, 10, 11],
        "revenue": [99.99, 100, 199, 300, 399.5, 400, 1e6],
    })
    model = RFMSegmenter(cuts=cuts).fit(customers)
    assert model.scores_["r_score"].tolist() == [5, 5, 4, 4, 3, 2, 1]
    assert model.scores_["f_score"].tolist() == [1, 2, 3, 3, 4, 5, 5]
    assert model.scores_["m_score"].tolist() == [1, 2, 2, 4, 4, 5, 5]
    assert {k: v.tolist() for k, v in model.edges_.items()} == cuts
    # the function gives the same with the same edges
    pd.testing.assert_frame_equal(rfm_scores(customers, cuts, 5), model.scores_)


def test_cuts_for_one_column_leave_the_others_learned():
    customers = grid_customers()
    model = RFMSegmenter(cuts={"n_orders": [3, 5, 10, 20]}).fit(customers)
    assert model.edges_["n_orders"].tolist() == [3, 5, 10, 20]
    assert model.edges_["recency_days"].tolist() == [1, 30, 90, 200]
    assert sorted(model.scores_["f_score"].unique()) == [1, 2, 3, 5]  # 1-2, 4, 8, 30 orders


def test_predict_and_transform_use_the_edges_learned_by_fit():
    model = RFMSegmenter().fit(grid_customers())
    new = pd.DataFrame({"recency_days": [0.0, 10_000.0, 45.0, 400.0],
                        "n_orders": [100, 1, 3, 1],
                        "revenue": [1e6, 0.0, 120.0, 50.0]},
                       index=["a", "b", "c", "d"])
    scores = model.transform(new)
    assert list(scores.index) == ["a", "b", "c", "d"]
    assert scores.to_numpy().tolist() == [[5, 5, 5], [1, 1, 1], [3, 2, 2], [1, 1, 1]]
    assert names_of(model, model.predict(new)) == ["Champions", "Lost", "About to sleep", "Lost"]
    # the new customers on their own would be scored differently
    refit = RFMSegmenter().fit(new)
    assert refit.scores_.to_numpy().tolist() != scores.to_numpy().tolist()


def test_missing_values_are_unclassified_not_scored():
    customers = grid_customers()
    customers.loc["C55", "revenue"] = np.nan
    customers.loc["C11", "recency_days"] = np.nan
    model = RFMSegmenter().fit(customers)
    labels = dict(zip(customers.index, model.labels_, strict=True))
    assert labels["C55"] == UNCLASSIFIED == 0
    assert labels["C11"] == 0
    assert (model.labels_ != 0).sum() == 23
    assert pd.isna(model.scores_.loc["C55", "m_score"])
    assert model.scores_.loc["C55", "f_score"] == 5
    assert 0 not in model.segment_names_
    grid = model.grid()
    assert grid["customers"].sum() == 23


def test_custom_rules_first_match_wins_and_unmatched_go_to_others():
    rules = [{"name": "Best", "r": (5, 5), "f": (5, 5), "m": (4, 5)},
             {"name": "Recent", "r": [4, 5]},
             {"name": "Frequent", "f": 5}]
    model = RFMSegmenter(rules=rules).fit(grid_customers())
    assert model.segment_names_ == {1: "Best", 2: "Recent", 3: "Frequent", 4: OTHERS}
    segments = dict(zip(grid_customers().index, names_of(model, model.labels_), strict=True))
    assert segments["C55"] == "Best"
    assert segments["C54"] == "Recent"   # m = 4 but f = 4: not Best
    assert segments["C41"] == "Recent"
    assert segments["C15"] == "Frequent"
    assert segments["C11"] == OTHERS
    assert segments["C33"] == OTHERS
    counts = pd.Series(model.labels_).value_counts().to_dict()
    assert counts == {1: 1, 2: 9, 3: 3, 4: 12}
    assert rules[1]["r"] == [4, 5]  # the caller's rules are not changed


@pytest.mark.parametrize(("rules", "message"), [
    ([{"name": "Champions", "r": (5, 4)}], "'Champions'.*lo 5 is above hi 4"),
    ([{"name": "Champions", "r": (0, 5)}], "'Champions'.*outside the scores 1..5"),
    ([{"name": "Champions", "f": (4, 6)}], "'Champions'.*outside"),
    ([{"name": "Champions", "x": (1, 2)}], "'Champions'.*unknown key.*'x'"),
    ([{"name": "Champions", "r": "high"}], "'Champions'.*not a \\(lo, hi\\)"),
    ([{"name": "Champions", "r": (4.5, 5)}], "'Champions'.*not a \\(lo, hi\\)"),
    ([{"name": "Twice", "r": (5, 5)}, {"name": "Twice", "f": (1, 1)}], "'Twice'.*earlier rule"),
    ([{"name": "", "r": (5, 5)}], "rule 1.*name"),
    ([{"r": (5, 5)}], "rule 1.*name"),
    ([{"name": "Others", "r": (5, 5)}], "'Others'"),
    ([], "empty"),
    ({"name": "Champions"}, "list of dicts"),
])
def test_invalid_rules_raise_naming_the_rule(rules, message):
    with pytest.raises(ValueError, match=message):
        RFMSegmenter(rules=rules).fit(grid_customers())


@pytest.mark.parametrize(("cuts", "message"), [
    ({"n_orders": [2, 3, 5]}, "'n_orders'.*3 cut points.*need 4"),
    ({"revenue": [100, 300, 200, 400]}, "'revenue'.*not strictly ascending"),
    ({"recency_days": [30, 30, 90, 180]}, "'recency_days'.*not strictly ascending"),
    ({"revenue": [100, 200, np.nan, 400]}, "'revenue'.*finite"),
    ({"revenue": ["a", "b", "c", "d"]}, "'revenue'.*not all numbers"),
    ({"monetary": [1, 2, 3, 4]}, "unknown column 'monetary'"),
    ({"n_orders": 5}, "'n_orders'"),
])
def test_invalid_cuts_raise_naming_the_column(cuts, message):
    with pytest.raises(ValueError, match=message):
        RFMSegmenter(cuts=cuts).fit(grid_customers())


def test_errors_are_value_errors_and_seglib_input_errors():
    with pytest.raises(RuleError) as err:
        RFMSegmenter(bins=11).fit(grid_customers())
    assert isinstance(err.value, ValueError) and isinstance(err.value, ConfigError)
    with pytest.raises(RuleDataError, match="'revenue' is not in the customer table") as err:
        RFMSegmenter().fit(grid_customers().drop(columns="revenue"))
    assert isinstance(err.value, ValueError) and isinstance(err.value, DataError)
    with pytest.raises(RuleDataError, match="'n_orders' is not numeric"):
        RFMSegmenter().fit(grid_customers().assign(n_orders="many"))
    with pytest.raises(RuleDataError, match="no customer has a value.*cuts\\['revenue'\\]"):
        RFMSegmenter().fit(grid_customers().assign(revenue=np.nan))


@pytest.mark.parametrize("bins", [1, 11, 2.5, True, "5"])
def test_bins_outside_2_to_10_raise(bins):
    with pytest.raises(ValueError, match="bins"):
        RFMSegmenter(bins=bins).fit(grid_customers())


def test_default_rules_with_other_bins_read_scores_on_the_5_point_scale():
    # 3 scores read as 1, 3, 5: the corners and middle of the 5-point map
    cuts = {"recency_days": [30, 200], "n_orders": [2, 8], "revenue": [100, 400]}
    model = RFMSegmenter(bins=3, cuts=cuts).fit(grid_customers())
    assert model.rule_bins_ == 5
    assert grid_table(model.grid()) == {
        3: ["New customers", "Potential loyalists", "Champions"],
        2: ["About to sleep", "Need attention", "Loyal customers"],
        1: ["Lost", "At risk", "Can't lose them"]}
    segments = dict(zip(grid_customers().index, names_of(model, model.labels_), strict=True))
    assert segments["C55"] == "Champions" and segments["C11"] == "Lost"
    assert segments["C51"] == "New customers"
    # ids and names stay those of the 5-point map
    assert model.segment_names_[1] == "Champions" and model.others_id_ == 12
    # 10 scores: pairs of scores read as one 5-point score
    ten = RFMSegmenter(bins=10).fit(grid_customers())
    assert ten.predict(grid_customers()).tolist() == RFMSegmenter().fit(
        grid_customers()).labels_.tolist()


def test_custom_rules_are_checked_against_bins():
    rules = [{"name": "Top", "r": (3, 3)}]
    model = RFMSegmenter(bins=3, rules=rules).fit(grid_customers())
    assert model.rule_bins_ == 3
    assert (model.scores_["r_score"].max()) == 3
    assert set(names_of(model, model.labels_)) == {"Top", OTHERS}
    with pytest.raises(ValueError, match="'Top'.*outside the scores 1..3"):
        RFMSegmenter(bins=3, rules=[{"name": "Top", "r": (4, 5)}]).fit(grid_customers())


def test_rfm_scores_checks_its_edges():
    with pytest.raises(ValueError, match="'revenue'"):
        rfm_scores(grid_customers(), {"recency_days": [1, 2, 3, 4], "n_orders": [1, 2, 3, 4]}, 5)
    with pytest.raises(ValueError, match="'n_orders'.*non-decreasing"):
        rfm_scores(grid_customers(), {"recency_days": [1, 2, 3, 4], "n_orders": [4, 3, 2, 1],
                                      "revenue": [1, 2, 3, 4]}, 5)


def test_clone_params_and_determinism():
    cuts = {"n_orders": [2, 4, 8, 30]}
    rules = list(DEFAULT_RFM_RULES[:3])
    model = RFMSegmenter(bins=5, cuts=cuts, rules=rules, random_state=3)
    copy = clone(model)
    assert copy.get_params() == {"bins": 5, "cuts": cuts, "rules": rules, "random_state": 3}
    assert copy.cuts is not cuts
    fitted = model.fit(grid_customers())
    assert not hasattr(clone(fitted), "labels_")
    again = RFMSegmenter(bins=5, cuts=cuts, rules=rules, random_state=99).fit(grid_customers())
    np.testing.assert_array_equal(fitted.labels_, again.labels_)
    ages = AgeGroupSegmenter(groups=dict(DEFAULT_AGE_GROUPS), random_state=0)
    assert clone(ages).get_params() == {"groups": DEFAULT_AGE_GROUPS, "random_state": 0}


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        RFMSegmenter().predict(grid_customers())
    with pytest.raises(NotFittedError):
        RFMSegmenter().transform(grid_customers())
    with pytest.raises(NotFittedError):
        AgeGroupSegmenter().predict(pd.DataFrame({"age": [30.0]}))


def test_age_group_boundaries_and_missing_age():
    ages = [0, 12, 12.9, 13, 19, 19.99, 20, 39.5, 40, 59, 59.99, 60, 104, np.nan]
    expected = ["Children", "Children", "Children", "Teenagers", "Teenagers", "Teenagers",
                "Adults", "Adults", "Middle-aged", "Middle-aged", "Middle-aged", "Elderly",
                "Elderly", "missing"]
    model = AgeGroupSegmenter().fit(pd.DataFrame({"age": ages}))
    assert names_of(model, model.labels_) == expected
    assert model.labels_.tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 0]
    assert model.labels_.dtype == np.int64
    # nobody is outside every group: no "Others"
    assert model.segment_names_ == {1: "Children", 2: "Teenagers", 3: "Adults",
                                    4: "Middle-aged", 5: "Elderly"}
    assert model.others_id_ == 6
    # predict keeps the id of "Others" for an impossible age
    assert model.predict(pd.DataFrame({"age": [-1.0, 45.0, np.nan]})).tolist() == [6, 4, 0]


def test_ages_outside_every_group_are_others_only_when_present():
    model = AgeGroupSegmenter().fit(pd.DataFrame({"age": [-3.0, 25.0]}))
    assert model.labels_.tolist() == [6, 3]
    assert model.segment_names_[6] == OTHERS
    groups = {"Young adults": (18, 24), "Seniors": (65, None)}  # gaps: under 18 and 25-64
    gaps = AgeGroupSegmenter(groups=groups).fit(pd.DataFrame({"age": [10, 18, 24.5, 30, 65, 99]}))
    assert names_of(gaps, gaps.labels_) == [OTHERS, "Young adults", "Young adults", OTHERS,
                                            "Seniors", "Seniors"]
    assert gaps.segment_names_ == {1: "Young adults", 2: "Seniors", 3: OTHERS}


@pytest.mark.parametrize(("groups", "message"), [
    ({"Kids": (0, 12), "Teens": (12, 19)}, "'Teens' overlaps group 'Kids'"),
    ({"Seniors": (60, None), "Old": (80, 90)}, "'Old' overlaps group 'Seniors'"),
    ({"Kids": (12, 0)}, "'Kids'.*above the highest"),
    ({"Kids": (-5, 12)}, "'Kids'.*negative"),
    ({"Kids": (0, 12.5)}, "'Kids'.*whole years"),
    ({"Kids": (0,)}, "'Kids'.*not a \\(lo, hi\\)"),
    ([("Kids", (0, 12)), ("Kids", (13, 19))], "'Kids'.*earlier group"),
    ({"": (0, 12)}, "group 1.*name"),
    ({"Others": (0, 12)}, "'Others'"),
    ({}, "no group"),
])
def test_invalid_age_groups_raise_naming_the_group(groups, message):
    with pytest.raises(ValueError, match=message):
        AgeGroupSegmenter(groups=groups).fit(pd.DataFrame({"age": [30.0]}))


def test_age_column_is_required_and_numeric():
    with pytest.raises(ValueError, match="'age' is not in the customer table"):
        AgeGroupSegmenter().fit(pd.DataFrame({"years": [30.0]}))
    with pytest.raises(ValueError, match="'age' is not numeric"):
        AgeGroupSegmenter().fit(pd.DataFrame({"age": ["thirty"]}))
