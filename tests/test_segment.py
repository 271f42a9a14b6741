import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from conftest import collected_run
from seglib import segment
from seglib.config import SegmentationConfig
from seglib.errors import DataError
from seglib.segment import features as F
from seglib.segment import selection


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
    table["revenue"] = table["n_orders"] * table["avg_order_value"]
    table["recency_days"] = np.r_[rng.integers(1, 400, 3 * n_per_segment), rng.integers(1, 30, 40)]
    return table, np.array(truth + [0] * 40)


FEATURES = ["n_orders", "avg_order_value", "online_share", "store_share", "age"]


def test_planted_segments_are_recovered_and_k_recommended():
    customers, truth = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, k_min=2, k_max=6,
                                       random_state=0)
    assert result.method == "kmeans"  # numeric features: auto = k-means
    assert result.model.n_segments == 3
    assert result.recommendation.k == 3
    labels = result.segments["segment"].to_numpy()
    clustered = truth > 0
    assert adjusted_rand_score(truth[clustered], labels[clustered]) > 0.95
    # one-order customers are the unclassified group, never forced into a cluster
    assert (labels[~clustered] == segment.UNCLASSIFIED).all()
    assert (labels[clustered] != segment.UNCLASSIFIED).all()
    # one order in the last 30 days: new customers, as the lifecycle calls them
    assert result.names[segment.UNCLASSIFIED] == "Not segmented: new customers"
    assert set(result.reasons[labels == segment.UNCLASSIFIED]) == {
        "new: one order, within the last 60 days"}
    assert len(set(result.names.values())) == len(result.names)
    assert "k = 3 has the best combined score" in result.recommendation.reasoning
    # planted blobs are stable: every segment's bootstrap Jaccard close to 1
    assert result.stability.mean_ari > 0.95
    assert all(j > 0.9 for j in result.stability.jaccard.values())
    assert set(result.stability.jaccard) == {1, 2, 3}


@pytest.mark.parametrize("method", ["gmm", "ward", "kprototypes"])
def test_every_clustering_method_recovers_the_planted_segments(method):
    customers, truth = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, method=method,
                                       n_segments=3, random_state=0, stability_resamples=3)
    labels = result.segments["segment"].to_numpy()
    assert adjusted_rand_score(truth[truth > 0], labels[truth > 0]) > 0.9
    assert result.method == method
    assert result.agreement.loc[f"{segment.SHORT_NAMES[method]} (chosen)", "k-means"] > 0.9


def test_same_data_and_seed_give_identical_segments():
    customers, _ = planted_customers()
    a = segment.segment_customers(customers, features=FEATURES, random_state=3)
    again = segment.segment_customers(customers, features=FEATURES, random_state=3)
    pd.testing.assert_frame_equal(a.segments, again.segments)
    pd.testing.assert_frame_equal(a.k_table, again.k_table)


def test_segment_ids_are_numbered_by_size():
    customers, _ = planted_customers()
    customers = customers.drop(index=range(0, 60))  # segment of planted label 1 now smallest
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0)
    sizes = result.segments[result.segments["segment"] > 0]["segment"].value_counts().sort_index()
    assert list(sizes.index) == [1, 2, 3]
    assert sizes.is_monotonic_decreasing
    assert result.k_table is None and result.recommendation is None


def test_predict_puts_customers_back_in_their_segment_and_the_new_ones_in_unclassified():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0)
    assert (result.model.predict(customers) == result.model.labels_).all()
    assert (result.model.predict(customers) == result.segments["segment"]).all()
    clone(result.model)  # a scikit-learn estimator


def test_profile_index_against_the_base():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0)
    prof = result.profiles.set_index("segment")
    assert prof["customers"].sum() == len(customers)
    assert prof["share"].sum() == pytest.approx(1.0)
    # the base of the index is the segmented customers (the one-order ones are left out)
    overall = customers.loc[customers["n_orders"] >= 2, "age"].mean()
    assert prof.loc[1, "index_age"] == pytest.approx(100 * prof.loc[1, "age"] / overall)
    members = customers[result.segments["segment"].to_numpy() == 2]
    assert prof.loc[2, "n_orders"] == pytest.approx(members["n_orders"].mean())


def test_min_share_rules_out_a_k_with_a_tiny_segment():
    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.4, 0.5, 0.7],
                           "calinski_harabasz": [100, 200, 300], "davies_bouldin": [1, 0.8, 0.5],
                           "bic": np.nan, "stability": [0.95, 0.9, 0.95],
                           "smallest_share": [0.4, 0.2, 0.01]})
    rec = selection.recommend(scores, min_share=0.05, min_stability=0.6)
    assert rec.k == 3  # k = 4 is best on every criterion but leaves a 1% segment
    assert "k = 4 (smallest segment 1.0% < 5%)" in rec.reasoning
    assert not rec.table.set_index("k").loc[4, "feasible"]


def test_unstable_k_is_not_recommended_and_ties_go_to_the_higher_silhouette():
    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.5, 0.6, 0.9],
                           "calinski_harabasz": [300, 200, 100], "davies_bouldin": [0.5, 0.6, 0.4],
                           "bic": np.nan, "stability": [0.95, 0.9, 0.3],
                           "smallest_share": [0.4, 0.2, 0.2]})
    rec = selection.recommend(scores, min_share=0.05, min_stability=0.6)
    assert rec.k == 2
    assert "stability 0.30 < 0.60" in rec.reasoning
    table = rec.table.set_index("k")
    # each criterion scaled 0-1, 1 = best; the combined score is their mean
    assert table.loc[2, "score_calinski_harabasz"] == 1.0
    assert table.loc[4, "score_calinski_harabasz"] == 0.0
    assert table.loc[4, "score_davies_bouldin"] == 1.0
    # k = 3: silhouette (0.6-0.5)/0.4, CH (200-100)/200, DB worst, stability (0.9-0.3)/0.65
    assert table.loc[3, "combined"] == pytest.approx(np.mean([0.25, 0.5, 0.0, 0.6 / 0.65]))


def test_sweep_reports_every_criterion_and_samples_the_silhouette():
    customers, _ = planted_customers()
    X = customers[customers["n_orders"] >= 2][FEATURES]
    Z = F.make_preprocessor(FEATURES, []).fit_transform(X)
    from seglib.segment.methods import make_segmenter

    scores, labels = selection.sweep(lambda k: make_segmenter("gmm", k, random_state=0), Z,
                                     range(2, 5), silhouette_sample=500, resamples=2,
                                     stability_sample=300, random_state=0)
    assert list(scores["k"]) == [2, 3, 4]
    assert (scores["silhouette_sample"] == 450).all()  # fewer customers than the sample
    assert scores["bic"].notna().all()
    assert scores.set_index("k")["bic"].idxmin() == 3
    assert (scores["stability_sample"] == 300).all()
    assert scores.loc[scores["k"] == 3, "inertia"].item() == pytest.approx(
        selection.within_sum_of_squares(Z, labels[3]))
    small, _ = selection.sweep(lambda k: make_segmenter("kmeans", k, random_state=0), Z,
                               [3], silhouette_sample=500, resamples=0, random_state=0)
    assert small["silhouette"].item() > 0.5 and np.isnan(small["stability"].item())


def test_silhouette_sample_size_is_reported_when_customers_are_many():
    rng = np.random.default_rng(0)
    Z = np.r_[rng.normal(0, 1, (700, 2)), rng.normal(8, 1, (700, 2))]
    from seglib.segment.methods import make_segmenter

    scores, _ = selection.sweep(lambda k: make_segmenter("kmeans", k, random_state=0), Z,
                                [2], silhouette_sample=500, resamples=0, random_state=0)
    assert scores["silhouette_sample"].item() == 500


def test_demographic_features_leave_nobody_unclassified():
    customers, _ = planted_customers()
    demo = customers[["customer_id", "age"]].copy()
    demo["income"] = np.linspace(10_000, 90_000, len(demo))
    demo["gender"] = np.where(np.arange(len(demo)) % 3, "female", "male")
    result = segment.segment_customers(demo, bases=["demographic"], k_max=4, random_state=0)
    assert result.features == ["age", "income", "gender"]
    assert result.method == "kprototypes"  # a category among the features
    assert (result.segments["segment"] != segment.UNCLASSIFIED).all()
    assert "nobody is unclassified" in segment.summary_text(result)


def test_unclassified_rules_orders_new_days_and_missing_features():
    table = pd.DataFrame({"n_orders": [0, 1, 2, 5, 5, 5], "tenure_days": [0, 10, 400, 10, 400, 400],
                          "age": [30, 30, 30, 30, np.nan, np.nan],
                          "avg_order_value": [np.nan, 5, 5, 5, np.nan, 5]})
    ok = F.classifiable(table, ["n_orders", "avg_order_value", "age"], min_orders=2,
                        new_days=30, max_missing_share=0.5)
    assert ok.tolist() == [False, False, True, False, False, True]
    why = F.unclassified_reasons(table, ["n_orders", "avg_order_value", "age"], min_orders=2,
                                 new_days=30, max_missing_share=0.5)
    assert why.tolist() == ["no purchase yet", "fewer than 2 orders", "", "first purchase less than 30 days ago",
                            "more than 50% of the segmentation features missing", ""]
    # without purchase features, orders do not matter
    assert F.classifiable(table, ["age"], min_orders=2).tolist() == [True] * 4 + [False] * 2


def test_bases_pick_their_columns_and_explicit_features_take_client_names():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c"], "n_orders": [2, 3, 4], "age": [20, 30, 40],
        "gender": ["f", "m", "f"], "city": ["Hanoi", "Hue", "Hanoi"], "revenue": [1.0, 2, 3],
        "survey_factor_1": [0.1, 0.2, 0.3], "brand_loyalty": [1, 2, 3],
        "values_fast_delivery": [3, 4, 5], "category_share_toys": [0.5, 0.2, 0.1],
        "buying_psychology": ["instant", "researched", "hesitant"], "constant": [1, 1, 1]})
    origin = {"brand_loyalty": "survey", "values_fast_delivery": "survey",
              "survey_factor_1": "survey"}
    assert F.basis_columns(customers, "demographic") == ["age", "gender"]
    assert F.basis_columns(customers, "geographic") == ["city"]
    assert F.basis_columns(customers, "psychographic", origin) == ["survey_factor_1"]
    assert F.basis_columns(customers.drop(columns="survey_factor_1"), "psychographic",
                           origin) == ["brand_loyalty", "values_fast_delivery"]
    assert F.basis_columns(customers, "needs", origin) == ["values_fast_delivery",
                                                           "category_share_toys"]
    assert F.basis_columns(customers, "buying_psychology") == ["buying_psychology"]
    assert F.resolve_features(customers, features=["Tuổi", "n_orders"],
                              source_names={"age": "Tuổi"}) == ["age", "n_orders"]
    with pytest.raises(DataError, match="unknown basis 'lifestyle'"):
        F.resolve_features(customers, bases=["lifestyle"])
    with pytest.raises(DataError, match="no column for the geographic basis"):
        F.resolve_features(customers.drop(columns="city"), bases=["geographic"])
    with pytest.raises(DataError, match="ids or dates"):
        F.resolve_features(customers, features=["customer_id"])


def test_default_bases_fall_back_to_what_the_data_have():
    customers, _ = planted_customers()
    transactions_only = customers.drop(columns=["age"])
    assert F.resolve_features(transactions_only) == [
        "n_orders", "avg_order_value", "online_share", "store_share"]
    nothing = pd.DataFrame({"customer_id": ["a", "b"], "shoe_size": [40, 42]})
    with pytest.raises(DataError, match="segmentation.features"):
        F.resolve_features(nothing)


def test_unknown_features_are_data_errors_and_text_features_are_categories():
    customers, _ = planted_customers()
    with pytest.raises(DataError, match="not in the customer table"):
        segment.segment_customers(customers, features=["age", "shoe_size"])
    customers["city"] = np.where(np.arange(len(customers)) % 2, "Hanoi", "Hue")
    result = segment.segment_customers(customers, features=["age", "city"], n_segments=2,
                                       random_state=0)
    assert result.model.categorical_ == ["city"]
    assert "city" in segment.profile_table(result).index


def test_one_hot_blocks_cost_one_per_category_mismatch():
    table = pd.DataFrame({"age": [20.0, 40.0, 60.0], "city": ["a", "b", "a"]})
    pre = F.make_preprocessor(["age"], ["city"]).fit(table)
    Z = pre.transform(table)
    assert F.categorical_blocks(pre, ["city"]) == [[1, 2]]
    assert F.output_names(pre) == ["age", "city = a", "city = b"]
    assert ((Z[0, 1:] - Z[1, 1:]) ** 2).sum() == pytest.approx(1.0)
    assert Z[:, 0].std() == pytest.approx(1.0)


def test_too_few_customers_is_bad_input_saying_why():
    """Two customers cannot be segmented: the data's limit (exit 2), not a failed model."""
    from seglib.errors import DataError

    customers, _ = planted_customers()
    with pytest.raises(DataError, match=r"only 2 of the 2 customers have enough data to be "
                                        r"segmented \(at least 2 orders, as the purchase "
                                        r"features need\); a segmentation needs at least 3"):
        segment.segment_customers(customers.head(2), features=FEATURES)
    with pytest.raises(DataError, match=r"\(at most 50% of the features missing\).*add data"):
        segment.segment_customers(customers.head(2), features=["age"])


def test_rfm_rules_through_the_stage():
    customers, _ = planted_customers()
    customers.loc[0, "n_orders"] = 0  # a registered customer who never bought
    result = segment.segment_customers(customers, method="rfm", random_state=0)
    assert result.features == ["recency_days", "n_orders", "revenue"]
    assert result.recommendation is None
    labels = result.segments.set_index("customer_id")["segment"]
    assert labels["C0000"] == segment.UNCLASSIFIED
    # one-order customers are scored by RFM ("New customers", "Lost"...), not left out
    one_order = customers.loc[customers["n_orders"] == 1, "customer_id"]
    assert (labels[one_order] != segment.UNCLASSIFIED).all()
    names = set(result.segments["segment_name"])
    assert names <= {"Champions", "Loyal customers", "Potential loyalists", "New customers",
                     "Promising", "Need attention", "About to sleep", "At risk",
                     "Can't lose them", "Hibernating", "Lost", "Others",
                     "Not segmented: prospects"}
    # the documented map: R 5 and F 4-5 is Champions, R 3-4 and F 4-5 Loyal, R 1 and F 1-2 Lost
    buyers = customers[customers["n_orders"] > 0]
    scores = result.model.segmenter_.transform(buyers[result.features])
    named = buyers["customer_id"].map(labels).map(result.names)
    top = (scores["r_score"] == 5) & (scores["f_score"] >= 4)
    loyal = scores["r_score"].between(3, 4) & (scores["f_score"] >= 4)
    lost = (scores["r_score"] == 1) & (scores["f_score"] <= 2)
    assert top.any() and loyal.any()
    assert (named[top] == "Champions").all() and (named[loyal] == "Loyal customers").all()
    assert (named[lost] == "Lost").all()
    grid = segment.rfm_grid_table(result, customers)
    assert grid["customers"].sum() == (labels != 0).sum()


def test_custom_rfm_rules_leave_the_rest_in_others():
    customers, _ = planted_customers()
    params = SegmentationConfig.model_validate(
        {"method": "rfm", "rfm": {"rules": [{"name": "Best", "r": [5, 5], "f": [5, 5]}]}})
    result = segment.segment_customers(customers, **segment.stage_arguments(params),
                                       random_state=0)
    assert set(result.names.values()) == {"Best", "Others", "New / unclassified"}


def test_age_groups_through_the_stage():
    customers = pd.DataFrame({"customer_id": list("abcdef"),
                              "age": [8, 15, 25, 45, 70, np.nan]})
    result = segment.segment_customers(customers, method="age_groups", max_missing_share=0.0)
    got = dict(zip(result.segments["customer_id"], result.segments["segment_name"], strict=True))
    assert got == {"a": "Children", "b": "Teenagers", "c": "Adults", "d": "Middle-aged",
                   "e": "Elderly", "f": "Not segmented: too little data"}


def test_names_can_be_overridden_by_id_or_automatic_name():
    customers, _ = planted_customers()
    auto = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                     random_state=0).names
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0,
                                       names={"1": "Shop regulars", auto[2]: "Students"})
    assert result.names[1] == "Shop regulars" and result.names[2] == "Students"
    assert result.names[3] == auto[3]
    assert set(result.segments["segment_name"]) >= {"Shop regulars", "Students"}
    with pytest.raises(DataError, match="neither a segment id nor an automatic name"):
        segment.segment_customers(customers, features=FEATURES, n_segments=3, random_state=0,
                                  names={"9": "Nobody"})
    with pytest.raises(DataError, match="names must be unique"):
        segment.segment_customers(customers, features=FEATURES, n_segments=3, random_state=0,
                                  names={"1": "Same", "2": "Same"})


def test_customers_only_segments_are_named_by_what_sets_them_apart():
    rng = np.random.default_rng(0)
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(300)],
        "age": np.r_[rng.normal(25, 2, 150), rng.normal(60, 2, 150)],
        "income": np.r_[rng.normal(20_000, 1_000, 150), rng.normal(90_000, 1_000, 150)],
    })
    result = segment.segment_customers(customers, n_segments=2, random_state=0)
    names = sorted(v for k, v in result.names.items() if k != segment.UNCLASSIFIED)
    # both traits about 1 sd out: listed in the features' order, not by a 0.01 sd difference
    assert sorted(names) == ["Customers with high age and high income",
                             "Young customers with low income"]  # "young" says the age


def test_tree_rules_explain_the_planted_segments():
    customers, truth = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0)
    assert result.tree.fidelity > 0.9
    rules = segment.rules_view(result)
    assert set(rules.index) == {result.names[s] for s in (1, 2, 3)}
    assert "fidelity" in segment.tree_text(result)
    top = result.top[result.top["rank"] == 1].set_index("segment")
    young = result.profiles.set_index("segment")["age"].idxmin()
    assert top.loc[young, "feature"] in {"age", "online_share", "store_share",
                                         "avg_order_value"}


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


def test_outputs_and_the_saved_model_assign_the_same_segments(tmp_path):
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, random_state=0)
    out = segment.write_outputs(result, collected_run(tmp_path, customers))
    for key in ("segments_csv", "segments", "profiles", "model", "k_scores", "rules"):
        assert out[key].is_file(), key
    model = segment.read_model(tmp_path)
    again = segment.assign(model, customers)
    assert (again["segment"].to_numpy() == result.segments["segment"].to_numpy()).all()
    assert (again["segment_name"] == result.segments["segment_name"]).all()
    unclassified = again[again["segment"] == 0]
    assert (unclassified["unclassified_reason"] == "fewer than 2 orders").all()


# --------------------------------------------------------------------------- seglib assign


@pytest.fixture
def fitted_run(tmp_path):
    customers, _ = planted_customers()
    customers["city"] = np.where(np.arange(len(customers)) % 2, "Hanoi", "Hue")
    result = segment.segment_customers(customers, features=FEATURES + ["city"],
                                       source_names={"age": "Tuổi", "city": "Thành phố"},
                                       random_state=0)
    run = tmp_path / "run"
    segment.write_outputs(result, collected_run(run, customers))
    return run, customers, result


def test_cli_assign_puts_customers_into_the_runs_segments(fitted_run, tmp_path, capsys):
    from seglib.cli import main

    run, customers, result = fitted_run
    new = customers.rename(columns={"age": "Tuổi", "city": "Thành phố"})  # the client's names
    new["avg_order_value"] = new["avg_order_value"].map("{:,.2f}".format)  # money as text
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    before = path.read_bytes()
    out = tmp_path / "assigned.csv"
    assert main(["assign", str(run), str(path), "--out", str(out)]) == 0
    assigned = pd.read_csv(out, keep_default_na=False)
    assert list(assigned.columns) == ["customer_id", "segment", "segment_name",
                                      "unclassified_reason"]
    assert (assigned["segment"].to_numpy() == result.segments["segment"].to_numpy()).all()
    assert (assigned["segment_name"] == result.segments["segment_name"]).all()
    assert path.read_bytes() == before
    assert "unclassified" in capsys.readouterr().out
    # same model, same file: identical output, byte for byte
    again = tmp_path / "again.csv"
    assert main(["assign", str(run), str(path), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_cli_assign_missing_column_is_exit_2_naming_file_and_column(fitted_run, tmp_path, capsys):
    from seglib.cli import main

    run, customers, _ = fitted_run
    path = tmp_path / "new.csv"
    customers.drop(columns=["city"]).to_csv(path, index=False)
    out = tmp_path / "assigned.csv"
    assert main(["assign", str(run), str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "city (or Thành phố)" in err
    assert not out.exists()
    assert main(["assign", str(tmp_path / "no-run"), str(path), "--out", str(out)]) == 2
    assert "segment_model.joblib not found" in capsys.readouterr().err


def test_cli_assign_pseudonymises_email_ids_and_reports_unclassified(fitted_run, tmp_path):
    from seglib.cli import main

    run, customers, _ = fitted_run
    new = customers.head(5).copy()
    new["customer_id"] = [f"person{i}@mail.example" for i in range(5)]
    new.loc[new.index[0], "n_orders"] = 1
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    out = tmp_path / "assigned.csv"
    assert main(["assign", str(run), str(path), "--out", str(out)]) == 0
    text = out.read_text()
    assert "@" not in text and "h_" in text
    assigned = pd.read_csv(out, keep_default_na=False)
    assert assigned.loc[0, "segment_name"].startswith("Not segmented: ")
    assert assigned.loc[0, "unclassified_reason"] == "fewer than 2 orders"


# --------------------------------------------------------------------------- the demo's planted truth


@pytest.mark.parametrize(("n_customers", "seed"), [(3000, 11)])
def test_demo_planted_segments_with_the_default_config(tmp_path, n_customers, seed):
    """Default bases and method on the demo: k = 4 recommended, ARI >= 0.8 on the clustered."""
    from seglib import collect, synth
    from seglib.config import demo_config_text, load_config

    paths = synth.write_demo(tmp_path, n_customers=n_customers, seed=seed)
    (tmp_path / "config.yaml").write_text(demo_config_text(
        {k: p.name for k, p in paths.items()}, locale="en", seed=seed,
        our_brand=synth.our_brand("en")), encoding="utf-8")
    collected = collect.collect(load_config(tmp_path / "config.yaml"))
    meta = {"columns": collected.origin, "source_names": collected.source_names}
    result = segment.segment_customers(
        collected.customers, **segment.stage_arguments(SegmentationConfig(), meta),
        random_state=seed)
    assert result.method == "kprototypes"  # gender, education... are categories
    assert result.recommendation.k == 4
    truth = pd.read_csv(tmp_path / "_truth.csv", dtype={"customer_id": str})
    merged = result.segments.merge(truth, on="customer_id", suffixes=("", "_truth"))
    clustered = merged[merged["segment"] != segment.UNCLASSIFIED]
    assert adjusted_rand_score(clustered["segment_truth"], clustered["segment"]) >= 0.8
    never = merged["segment_truth"].isin(["new_customer", "prospect"])
    assert (merged.loc[never, "segment"] == segment.UNCLASSIFIED).all()


def test_one_pass_silhouettes_equal_scikit_learns():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    Z = np.r_[rng.normal(0, 1, (300, 4)), rng.normal(3, 1, (200, 4))]
    labellings = {2: (np.arange(500) >= 300).astype(int), 3: rng.integers(0, 3, 500),
                  4: np.r_[np.zeros(498, int), 3, 7]}  # a singleton and unused ids
    got = selection.silhouettes(Z, labellings, chunk=64)
    for k, labels in labellings.items():
        assert got[k] == pytest.approx(silhouette_score(Z, labels), abs=1e-9)


def test_category_imputer_fills_the_most_frequent_value():
    imputer = F.CategoryImputer().fit(pd.DataFrame({"city": ["b", "a", None, "a", "b"]}))
    assert imputer.fill_ == ["a"]  # a tie goes to the first in sorted order
    out = imputer.transform(pd.DataFrame({"city": [None, "c", "b"]}))
    assert out[:, 0].tolist() == ["a", "c", "b"]


# --------------------------------------------------------------------------- review findings


def test_names_speak_only_of_the_features_segmented_on():
    customers, _ = planted_customers()
    customers["distance_to_store_km"] = np.where(customers.index % 2, 2.0, 15.0) + \
        np.random.default_rng(0).normal(0, 0.3, len(customers))
    result = segment.segment_customers(customers, bases=["geographic"], n_segments=2,
                                       random_state=0)
    names = sorted(result.names[s] for s in result.model.segment_ids)
    # revenue and age are in the profile but were not segmented on: no "High-value", no "young"
    assert names == ["Customers with high distance to store",
                     "Customers with low distance to store"]


def test_duplicate_automatic_names_are_told_apart_by_what_sets_them_apart():
    prof = pd.DataFrame({"segment": [1, 2], "revenue": [100.0, 110.0],
                         "online_share": [0.9, 0.92], "store_share": [0.1, 0.08],
                         "index_n_orders": [100.0, 100.0]})
    differences = pd.DataFrame({"online_share": [0.1, 0.2], "income": [1.5, -1.2]},
                               index=[1, 2])
    names = segment.name_segments(prof, ["online_share", "store_share", "revenue", "income"],
                                  differences)
    assert names == {1: "Mid-value online customers with high income",
                     2: "Mid-value online customers with low income"}


def test_names_in_vietnamese_follow_its_word_order():
    prof = pd.DataFrame({"segment": [0, 1, 2, 3], "revenue": [1.0, 900.0, 100.0, 10.0],
                         "phone_share": [0.1, 0.7, 0.1, 0.2], "online_share": [0.1, 0.2, 0.8, 0.4],
                         "store_share": [0.8, 0.1, 0.1, 0.4], "age": [40, 45, 24, 50],
                         "index_n_orders": [100.0, 200.0, 100.0, 40.0]})
    features = ["revenue", "phone_share", "online_share", "store_share", "age", "n_orders"]
    assert segment.name_segments(prof, features, locale="vi") == {
        1: "Khách quen giá trị cao mua qua điện thoại",
        2: "Khách hàng trẻ giá trị trung bình mua trực tuyến",
        3: "Khách thỉnh thoảng mua giá trị thấp đa kênh"}
    assert segment.name_segments(prof, features) == {
        1: "High-value phone regulars", 2: "Mid-value young online customers",
        3: "Low-value multichannel occasional buyers"}
    assert segment.unclassified_name("vi") == "Khách mới / chưa phân loại"


def test_rule_based_names_in_vietnamese_and_the_clients_own_rule_names_kept():
    customers = pd.DataFrame({"customer_id": list("abc"), "age": [25, 45, 70]})
    result = segment.segment_customers(customers, method="age_groups", locale="vi")
    assert [result.names[s] for s in result.model.segment_ids] == [
        "Người trưởng thành", "Trung niên", "Người cao tuổi"]
    assert segment.rule_names({1: "Champions", 2: "Our VIPs"}, "vi") == {
        1: "Nhà vô địch", 2: "Our VIPs"}


def test_every_default_rule_name_has_a_translation():
    from seglib import i18n
    from seglib.segment.rules import DEFAULT_AGE_GROUPS, DEFAULT_RFM_RULES

    for name in [r["name"] for r in DEFAULT_RFM_RULES] + list(DEFAULT_AGE_GROUPS):
        assert i18n.has(f"rule.{name}") and i18n.t(f"rule.{name}", "en") == name


def test_names_without_tier_or_channel_in_vietnamese():
    prof = pd.DataFrame({"segment": [1, 2], "income": [90.0, 30.0]})
    differences = pd.DataFrame({"income": [1.5, -1.2]}, index=[1, 2])
    # the feature in the run's language (the catalogue's column label), not the column name
    assert segment.name_segments(prof, ["income"], differences, locale="vi") == {
        1: "Khách hàng có thu nhập cao", 2: "Khách hàng có thu nhập thấp"}


# --------------------------------------------------------------------------- names a CRM keeps


def consumer_segments(seed=5):
    """Chapman & Feit's simulated consumers (R for Marketing Research and Analytics, ch. 5):
    client columns as an export has them, values like "ownNo" and "subYes"."""
    rng = np.random.default_rng(seed)
    spec = [  # customers, age, share female, income, kids, own home, subscribe, sd age, income
        (100, 40, .5, 55000, 2, .5, .1, 5, 12000), (50, 24, .7, 21000, 1, .2, .2, 2, 5000),
        (80, 58, .5, 64000, 0, .7, .05, 8, 21000), (70, 36, .3, 52000, 2, .3, .2, 4, 10000)]
    blocks = [pd.DataFrame({
        "age": rng.normal(age, sd_age, n).round(1),
        "gender": np.where(rng.random(n) < female, "Female", "Male"),
        "income": rng.normal(income, sd_income, n).round(0),
        "kids": rng.poisson(kids, n),
        "ownHome": np.where(rng.random(n) < own, "ownYes", "ownNo"),
        "subscribe": np.where(rng.random(n) < sub, "subYes", "subNo")})
        for n, age, female, income, kids, own, sub, sd_age, sd_income in spec]
    table = pd.concat(blocks, ignore_index=True)
    table.insert(0, "customer_id", [f"s{i:03d}" for i in range(len(table))])
    return table


CONSUMER_FEATURES = ["age", "gender", "income", "kids", "ownHome", "subscribe"]


def segment_consumers(table, locale="en"):
    return segment.segment_customers(table, features=CONSUMER_FEATURES, n_segments=4,
                                     min_orders=0, stability_resamples=0, compare_methods=[],
                                     random_state=0, locale=locale)


def names_by_segment(first, second, left_out):
    """Each segment's name in ``first`` and in ``second``, segments matched by their customers."""
    a = first.segments.drop(index=left_out)
    b = second.segments.drop(index=left_out)
    pairs = {}
    for seg in sorted(set(a["segment"]) - {segment.UNCLASSIFIED}):
        twin = b.loc[a["segment"] == seg, "segment"].mode().iloc[0]
        pairs[first.names[seg]] = second.names[twin]
    return pairs


def test_names_stay_the_same_when_one_customer_moves():
    """Issue 14: moving one customer renamed a segment ("... and mostly Female (gender)")."""
    customers = consumer_segments()
    first = segment_consumers(customers)
    assert sorted(first.names[s] for s in first.model.segment_ids) == [
        "Customers close to the average", "Customers with high age and few kids",
        "Customers with many kids", "Young customers with low income"]
    richest = int(customers["income"].idxmax())
    for who in (0, 184):  # each, one at a time, gets another segment's customer's answers
        moved = customers.copy()
        moved.loc[who, CONSUMER_FEATURES] = customers.loc[(who + 150) % 300, CONSUMER_FEATURES]
        again = segment_consumers(moved)
        kept = first.segments.index != who
        assert adjusted_rand_score(first.segments["segment"][kept],
                                   again.segments["segment"][kept]) > 0.95
        assert all(a == b for a, b in names_by_segment(first, again, [who]).items()), who
    nudged = customers.copy()
    nudged.loc[richest, "income"] *= 1.05  # one row a little different
    again = segment_consumers(nudged)
    assert all(a == b for a, b in names_by_segment(first, again, []).items())


def test_client_crm_columns_are_named_by_readable_labels():
    rng = np.random.default_rng(3)
    n = 200
    customers = pd.DataFrame({
        "customer_id": [f"k{i}" for i in range(2 * n)],
        "Kidhome": np.r_[rng.integers(1, 3, n), rng.integers(0, 2, n) * 0],
        "MntWines": np.r_[rng.normal(60, 20, n), rng.normal(700, 150, n)].clip(0),
        "NumCatalogPurchases": np.r_[rng.poisson(0.5, n), rng.poisson(6, n)],
    })
    features = ["Kidhome", "MntWines", "NumCatalogPurchases"]
    names = {}
    for locale in ("en", "vi"):
        result = segment.segment_customers(customers, features=features, n_segments=2,
                                           min_orders=0, random_state=0, locale=locale)
        names[locale] = sorted(result.names[s] for s in result.model.segment_ids)
    assert names["en"] == ["Customers with few kids at home and high wine spend",
                           "Customers with many kids at home and low wine spend"]
    assert names["vi"] == ["Khách hàng có nhiều trẻ nhỏ trong nhà và chi tiêu cho rượu vang thấp",
                           "Khách hàng có ít trẻ nhỏ trong nhà và chi tiêu cho rượu vang cao"]
    for name in names["en"] + names["vi"]:
        assert not any(raw in name for raw in ("Kidhome", "MntWines", "Mnt", "Num", "_"))


@pytest.mark.parametrize(("column", "en", "vi"), [
    ("Kidhome", "kids at home", "trẻ nhỏ trong nhà"),        # the table of CRM columns
    ("MntWines", "wine spend", "chi tiêu cho rượu vang"),
    ("NumCatalogPurchases", "catalog purchases", "số lần mua qua catalogue"),
    ("income", "income", "thu nhập"),                        # the catalogue's column labels
    ("distance_to_store_km", "distance to store", "khoảng cách đến cửa hàng"),
    ("MntOrganicFood", "spend on organic food", "chi tiêu cho organic food"),  # in words
    ("NumAppLogins", "app logins", "app logins"),
    ("loyaltyTier", "loyalty tier", "loyalty tier"),
    ("CLV_12m", "CLV 12m", "CLV 12m"),
    ("Points", "points", "points"),
])
def test_feature_labels_for_names(column, en, vi):
    assert segment.feature_label(column, "en") == en
    assert segment.feature_label(column, "vi") == vi


def test_mostly_only_for_a_clear_majority_and_never_a_raw_value_with_its_column():
    prof = pd.DataFrame({"segment": [1, 2, 3], "income": [90.0, 30.0, 50.0],
                         "gender": ["Female", "Male", "Female"],
                         "gender_top_share": [0.55, 0.8, 0.5],
                         "ownHome": ["ownNo", "ownYes", "ownYes"],
                         "ownHome_top_share": [0.9, 0.7, 0.52]})
    differences = pd.DataFrame({
        "income": [1.5, -1.2, 0.1],
        "gender = Female": [0.9, -0.9, 0.1], "gender = Male": [-0.9, 0.9, -0.1],
        "ownHome = ownNo": [1.1, -0.9, -0.2], "ownHome = ownYes": [-1.1, 0.9, 0.2]},
        index=[1, 2, 3])
    features = ["income", "gender", "ownHome"]
    # segment 1 is over-represented in women, but 55% is no majority: not "mostly Female"
    assert segment.name_segments(prof, features, differences) == {
        1: "Customers with high income and mostly no own home",
        2: "Customers with low income and gender mostly Male",
        3: "Customers close to the average"}
    assert segment.name_segments(prof, features, differences, locale="vi") == {
        1: "Khách hàng có thu nhập cao và phần lớn không có nhà riêng",
        2: "Khách hàng có thu nhập thấp và giới tính chủ yếu là Male",
        3: "Khách hàng gần mức trung bình"}


def test_no_raw_value_with_its_column_in_the_names_end_to_end():
    """Issue 14: a name read "... and mostly ownNo (ownHome)"."""
    rng = np.random.default_rng(1)
    n = 150
    customers = pd.DataFrame({
        "customer_id": [f"h{i}" for i in range(2 * n)],
        "income": np.r_[rng.normal(30_000, 3_000, n), rng.normal(80_000, 5_000, n)],
        "ownHome": np.r_[np.where(rng.random(n) < 0.95, "ownNo", "ownYes"),
                         np.where(rng.random(n) < 0.95, "ownYes", "ownNo")],
    })
    result = segment.segment_customers(customers, features=["income", "ownHome"], n_segments=2,
                                       min_orders=0, random_state=0)
    names = sorted(result.names[s] for s in result.model.segment_ids)
    assert names == ["Customers with high income and mostly own home",
                     "Customers with low income and mostly no own home"]
    assert not any("(" in name or "own" + "No" in name or "ownHome" in name for name in names)


def test_a_clash_is_told_apart_by_what_differs_most_between_the_two():
    # both are mid-value online customers, and both differ from the base most in income;
    # between the two, what differs most is kids at home
    prof = pd.DataFrame({"segment": [1, 2], "revenue": [100.0, 105.0],
                         "online_share": [0.9, 0.92], "store_share": [0.1, 0.08]})
    differences = pd.DataFrame({"online_share": [0.1, 0.2], "income": [1.5, 1.4],
                                "Kidhome": [0.2, -0.9]}, index=[1, 2])
    features = ["online_share", "store_share", "revenue", "income", "Kidhome"]
    assert segment.name_segments(prof, features, differences) == {
        1: "Mid-value online customers with more kids at home",
        2: "Mid-value online customers with few kids at home"}
    assert segment.name_segments(prof, features, differences, locale="vi") == {
        1: "Khách hàng giá trị trung bình mua trực tuyến, nhiều trẻ nhỏ trong nhà hơn",
        2: "Khách hàng giá trị trung bình mua trực tuyến, ít trẻ nhỏ trong nhà"}
    # three alike: split where the widest gap is, then the two left by the next feature
    prof = pd.concat([prof, prof.iloc[[0]].assign(segment=3)], ignore_index=True)
    differences = pd.DataFrame({"online_share": [0.1, 0.2, 0.1], "income": [0.3, 0.4, 0.35],
                                "Kidhome": [0.6, -0.9, 0.8]}, index=[1, 2, 3])
    assert segment.name_segments(prof, features, differences) == {
        1: "Mid-value online customers with many kids at home and lower income",
        2: "Mid-value online customers with few kids at home",
        3: "Mid-value online customers with many kids at home and higher income"}
    # twins on a category: the majority where there is one, else "less often"
    prof = pd.DataFrame({"segment": [1, 2], "revenue": [100.0, 100.0],
                         "education": ["PhD", "Basic"], "education_top_share": [0.7, 0.45]})
    differences = pd.DataFrame({"education = PhD": [0.6, -0.6],
                                "education = Basic": [-0.2, 0.2]}, index=[1, 2])
    names = segment.name_segments(prof, ["revenue", "education"], differences)
    assert names == {1: "Mid-value customers with education mostly PhD",
                     2: "Mid-value customers with education less often PhD"}


def test_summary_warns_about_narrow_and_dissolving_segments():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0, min_share=0.4)
    text = segment.summary_text(result)
    assert "**Caution.**" in text and "less than 40% of the segmented customers" in text
    result.stability.jaccard[2] = 0.3
    assert f"dissolve when the customers are resampled (bootstrap Jaccard below 0.5: " \
           f"{segment.md(result.names[2])})" in segment.summary_text(result)


def test_age_groups_count_only_groups_with_customers():
    customers = pd.DataFrame({"customer_id": list("abc"), "age": [25, 45, 70]})
    result = segment.segment_customers(customers, method="age_groups")
    assert [result.names[s] for s in result.model.segment_ids] == ["Adults", "Middle-aged",
                                                                    "Elderly"]
    assert segment.summary_text(result).startswith("**3 segments**")


def test_a_model_from_another_version_is_a_clear_input_error(tmp_path):
    from seglib.run_folder import RunFolder

    segments = pd.DataFrame({"customer_id": ["a"], "segment": [1], "segment_name": ["A"]})
    profiles = pd.DataFrame({"segment": [1], "segment_name": ["A"], "customers": [1],
                             "share": [1.0]})
    collected_run(tmp_path, segments[["customer_id"]]).write_segmentation(
        segments=segments, profiles=profiles, model={"not": "a model"})
    with pytest.raises(DataError, match="another version of seglib"):
        segment.read_model(tmp_path)
    collected_run(tmp_path, segments[["customer_id"]]).write_segmentation(
        segments=segments, profiles=profiles, model=None)
    (tmp_path / "segment_model.joblib").write_bytes(b"garbage")  # changed after it was saved
    with pytest.raises(DataError, match="not the model notebooks/02_segment.ipynb saved"):
        segment.read_model(tmp_path)
    RunFolder(tmp_path)._record(["segment_model.joblib"])  # garbage, but with its stamp
    with pytest.raises(DataError, match="cannot be read by this version.*re-run "
                                        "notebooks/02_segment.ipynb"):
        segment.read_model(tmp_path)


def test_rules_table_has_no_nan_for_segments_without_a_leaf():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, n_segments=3,
                                       random_state=0, tree_depth=1)
    shown = segment.rules_view(result)
    assert "nan" not in shown.to_string().lower()
    assert "raise `segmentation.tree_depth`" in segment.tree_text(result)


def test_cli_assign_empty_or_malformed_files_are_exit_2_and_untouched(fitted_run, tmp_path,
                                                                     capsys):
    from seglib.cli import main

    run, customers, _ = fitted_run
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = tmp_path / "bad.csv"
    broken = customers.astype({"n_orders": object})
    broken.loc[3, "n_orders"] = "many"
    broken.to_csv(bad, index=False)
    before = bad.read_bytes()
    out = tmp_path / "assigned.csv"
    assert main(["assign", str(run), str(empty), "--out", str(out)]) == 2
    assert f"the customers to assign ({empty}): the file is empty" in capsys.readouterr().err
    assert main(["assign", str(run), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"({bad}): column 'n_orders'" in err and "first at data row 4: 'many'" in err
    assert bad.read_bytes() == before and not out.exists()


def test_one_time_buyers_of_long_ago_are_not_called_new_and_agree_with_the_lifecycle():
    """CDNOW: half the customers bought once, 500 days before the end of the data."""
    from seglib import lifecycle

    customers, _ = planted_customers()
    old = customers["n_orders"] == 1
    customers.loc[old, "recency_days"] = np.r_[np.full(30, 503), np.full(6, 20),
                                               np.full(4, 120)]
    result = segment.segment_customers(customers, features=FEATURES, k_min=2, k_max=6,
                                       random_state=0)
    assert result.names[segment.UNCLASSIFIED] == ("Not segmented: lapsed one-time buyers, "
                                                  "new customers, one-time buyers gone quiet")
    reasons = result.reasons[old.to_numpy()]
    stages = lifecycle.assign_stages(customers)[old].astype(str)
    said = {"one order, more than 365 days ago": "Lapsed",
            "new: one order, within the last 60 days": "First purchase",
            "one order, and none in the 60 days since": "At risk"}
    assert (reasons.map(said).to_numpy() == stages.to_numpy()).all()
    # the run's own lifecycle rules decide: with lapsed_days 600, nobody is lapsed yet
    result = segment.segment_customers(customers, features=FEATURES, k_min=2, k_max=6,
                                       random_state=0, lifecycle={"lapsed_days": 600})
    assert "lapsed" not in result.names[segment.UNCLASSIFIED]


def test_the_unclassified_group_is_named_in_vietnamese():
    customers, _ = planted_customers()
    result = segment.segment_customers(customers, features=FEATURES, k_min=2, k_max=6,
                                       random_state=0, locale="vi")
    assert result.names[segment.UNCLASSIFIED] == "Chưa phân khúc: khách mới"


def test_a_model_replaced_after_the_run_is_refused_before_it_is_unpickled(tmp_path):
    """Stamps rewritten to match a planted pickle: the finished run's manifest still knows."""
    import json
    import pickle
    from pathlib import Path

    from seglib.run_folder import RunFolder

    segments = pd.DataFrame({"customer_id": ["a"], "segment": [1], "segment_name": ["A"]})
    profiles = pd.DataFrame({"segment": [1], "segment_name": ["A"], "customers": [1],
                             "share": [1.0]})
    collected_run(tmp_path, segments[["customer_id"]]).write_segmentation(
        segments=segments, profiles=profiles, model=None)
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"status": "complete", "outputs": {"segment_model.joblib": "0" * 64}}))
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (tmp_path / "segment_model.joblib").write_bytes(pickle.dumps(Planted()))
    RunFolder(tmp_path)._record(["segment_model.joblib"])  # the stamps forged too
    with pytest.raises(DataError, match="sha256 differs from manifest.json"):
        segment.read_model(tmp_path)
    assert not marker.exists()  # the pickle never ran
