import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.validation import check_is_fitted

from seglib.errors import ModelError
from seglib.segment import methods
from seglib.segment.methods import (
    METHODS,
    GaussianMixtureSegmenter,
    KMeansSegmenter,
    KPrototypesSegmenter,
    WardSegmenter,
    make_segmenter,
)

S = np.sqrt(0.5)  # one-hot value in Z: a category mismatch costs 1 in squared distance


def blobs(n_per_segment=100, seed=1):
    """Three well-separated round blobs in 3-D (standard normal around far centres)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [7.0, 0.0, 0.0], [0.0, 7.0, 7.0]])
    Z = np.vstack([c + rng.normal(size=(n_per_segment, 3)) for c in centres])
    return Z, np.repeat(np.arange(3), n_per_segment)


def one_hot(codes, n_categories):
    block = np.zeros((len(codes), n_categories))
    block[np.arange(len(codes)), codes] = S
    return block


def mixed_blobs(n_per_segment=100, seed=2):
    """Numeric blobs plus one categorical block (3 categories) that follows the segment 80%."""
    Z, truth = blobs(n_per_segment, seed)
    rng = np.random.default_rng(seed)
    codes = np.where(rng.random(len(truth)) < 0.8, truth, rng.integers(0, 3, len(truth)))
    return np.hstack([Z, one_hot(codes, 3)]), [[3, 4, 5]], truth


def build(name, k=3, **options):
    if name == "kprototypes":
        return make_segmenter(name, k, categorical=[[3, 4, 5]], **options)
    return make_segmenter(name, k, **options)


def data_for(name):
    """Mixed data for k-prototypes, numeric blobs for the others."""
    if name == "kprototypes":
        Z, _, truth = mixed_blobs()
        return Z, truth
    return blobs()


# ---------------------------------------------------------------- every method


@pytest.mark.parametrize("name", sorted(METHODS))
def test_planted_blobs_are_recovered(name):
    Z, truth = data_for(name)
    model = build(name).fit(Z)
    assert adjusted_rand_score(truth, model.labels_) >= 0.95
    assert model.labels_.dtype == np.int64
    assert set(model.labels_) == {0, 1, 2}
    assert model.n_features_in_ == Z.shape[1]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_same_random_state_gives_identical_labels(name):
    Z, _ = data_for(name)
    first = build(name, random_state=5).fit(Z).labels_
    second = build(name, random_state=5).fit(Z.copy()).labels_
    assert first.tobytes() == second.tobytes()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_predict_on_training_rows_reproduces_labels(name):
    Z, _ = data_for(name)
    model = build(name).fit(Z)
    np.testing.assert_array_equal(model.predict(Z), model.labels_)
    np.testing.assert_array_equal(model.fit_predict(Z), model.labels_)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_clone_copies_parameters_not_the_fit(name):
    Z, _ = data_for(name)
    model = build(name, random_state=3).fit(Z)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    np.testing.assert_array_equal(copy.fit(Z).labels_, model.labels_)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_predict_before_fit_and_too_few_rows(name):
    Z, _ = data_for(name)
    with pytest.raises(NotFittedError):
        build(name).predict(Z)
    with pytest.raises(ModelError, match="cannot make 3 segments"):
        build(name).fit(Z[:2])


def test_kmeans_matches_sklearn_kmeans():
    Z, _ = blobs()
    model = KMeansSegmenter(n_segments=3, n_init=4, random_state=0).fit(Z)
    reference = KMeans(3, n_init=4, random_state=0).fit(Z)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_)
    assert model.inertia_ == pytest.approx(reference.inertia_)


# ---------------------------------------------------------------- Gaussian mixture


def test_gmm_bic_is_lowest_at_the_true_number_of_segments():
    Z, _ = blobs()
    bic = {k: GaussianMixtureSegmenter(n_segments=k).fit(Z).bic_ for k in (1, 2, 3, 6)}
    assert bic[3] < bic[1]
    assert bic[3] < bic[2]
    assert bic[3] < bic[6]
    model = GaussianMixtureSegmenter(n_segments=3).fit(Z)
    assert model.converged_ is True
    assert model.bic_ == pytest.approx(model.gmm_.bic(Z))
    proba = model.predict_proba(Z)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.labels_)


def test_gmm_ill_defined_covariance_is_a_model_error_saying_what_to_try():
    collapsed = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [5.0, 5.0]]), 10, axis=0)
    with pytest.raises(ModelError, match="covariance_type='diag'") as err:
        GaussianMixtureSegmenter(n_segments=4, reg_covar=0.0).fit(collapsed)
    assert "fewer segments" in str(err.value)
    assert "fewer features" in str(err.value)


def test_gmm_bad_hyper_parameter_is_not_disguised_as_model_error():
    Z, _ = blobs()
    with pytest.raises(ValueError, match="covariance_type") as err:
        GaussianMixtureSegmenter(n_segments=3, covariance_type="round").fit(Z)
    assert not isinstance(err.value, ModelError)


# ---------------------------------------------------------------- Ward


def test_ward_on_a_sample_labels_every_row():
    Z, truth = blobs(n_per_segment=200)
    model = WardSegmenter(n_segments=3, sample_size=150, random_state=4).fit(Z)
    index = model.sample_index_
    assert len(index) == 150
    assert len(np.unique(index)) == 150
    assert np.all(np.diff(index) > 0)
    assert index.min() >= 0 and index.max() < len(Z)
    assert model.linkage_.shape == (149, 4)
    assert model.labels_.shape == (600,)
    assert set(model.labels_) == {0, 1, 2}
    assert adjusted_rand_score(truth, model.labels_) >= 0.95
    # the centres are the means of the cut tree's groups on the sample
    for segment in range(3):
        members = Z[index][model.sample_labels_ == segment]
        np.testing.assert_allclose(model.cluster_centers_[segment], members.mean(axis=0))
    other = WardSegmenter(n_segments=3, sample_size=150, random_state=5).fit(Z)
    assert not np.array_equal(other.sample_index_, index)


def test_ward_tree_cut_matches_sklearn_and_fcluster_without_ties():
    Z, _ = blobs(n_per_segment=40)
    model = WardSegmenter(n_segments=3).fit(Z)
    np.testing.assert_array_equal(model.sample_index_, np.arange(len(Z)))
    np.testing.assert_allclose(model.linkage_, linkage(Z, "ward"))
    sklearn_labels = AgglomerativeClustering(n_clusters=3, linkage="ward").fit_predict(Z)
    assert adjusted_rand_score(sklearn_labels, model.sample_labels_) == 1.0
    scipy_labels = fcluster(model.linkage_, 3, criterion="maxclust")
    assert adjusted_rand_score(scipy_labels, model.sample_labels_) == 1.0


def test_ward_gives_exactly_k_segments_when_merge_heights_tie():
    # three pairs at distance 1 merge at the same height: cutting at a height
    # (fcluster maxclust) cannot give 4 clusters, only 3
    Z = np.array([[0.0], [1.0], [10.0], [11.0], [20.0], [21.0]])
    assert len(set(fcluster(linkage(Z, "ward"), 4, criterion="maxclust"))) == 3
    model = WardSegmenter(n_segments=4).fit(Z)
    assert len(set(model.sample_labels_)) == 4
    assert len(set(model.labels_)) == 4
    # one pair is split; the other two stay together
    sizes = sorted(np.bincount(model.labels_))
    assert sizes == [1, 1, 2, 2]


# ---------------------------------------------------------------- k-prototypes


def test_kprototypes_hand_checked_tiny_example():
    # column 0 numeric; columns 1, 2, 3 one block with categories A, B, C
    numeric = [0.0, 0.2, 0.4, 5.0, 5.2, 5.4]
    categories = [0, 1, 1, 2, 0, 1]  # A B B | C A B
    Z = np.column_stack([numeric, one_hot(categories, 3)])
    model = KPrototypesSegmenter(n_segments=2, categorical=[[3, 1, 2]], gamma=1.0).fit(Z)
    # segments {0, 1, 2} and {3, 4, 5}; means 0.2 and 5.2: squared distances
    # 0.04 + 0 + 0.04 per segment = 0.16. Modes: B (2 of 3), 1 mismatch; C, A, B
    # tie and the lowest column (1 = A) wins, 2 mismatches. Cost 0.16 + 1.0 * 3.
    assert model.cost_ == pytest.approx(3.16, abs=1e-12)
    first = model.labels_[0]
    np.testing.assert_array_equal(model.labels_, [first] * 3 + [1 - first] * 3)
    assert model.cluster_centers_[first] == pytest.approx([0.2])
    assert model.cluster_centers_[1 - first] == pytest.approx([5.2])
    assert model.modes_[first].tolist() == [2]
    assert model.modes_[1 - first].tolist() == [1]
    assert model.gamma_ == 1.0
    np.testing.assert_array_equal(model.numeric_columns_, [0])
    # a new row near 5 with an unseen category (no column set) mismatches both modes:
    # the numeric distance decides
    assert model.predict(np.array([[4.0, 0.0, 0.0, 0.0]]))[0] == 1 - first


def test_kprototypes_default_gamma_is_half_the_mean_numeric_std():
    Z, blocks, _ = mixed_blobs()
    model = KPrototypesSegmenter(n_segments=3, categorical=blocks).fit(Z)
    assert model.gamma_ == pytest.approx(0.5 * Z[:, :3].std(axis=0).mean())
    only_categories = KPrototypesSegmenter(n_segments=2, categorical=[[0, 1, 2]]).fit(Z[:, 3:])
    assert only_categories.gamma_ == 1.0
    assert only_categories.cluster_centers_.shape == (2, 0)


def categorical_only_segments(n_per_segment=150, purity=0.9, seed=3):
    """Segments that differ only in three categorical blocks; two numeric noise columns."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), n_per_segment)
    n = len(truth)
    columns, blocks, codes = [rng.normal(size=(n, 2))], [], []
    for b in range(3):
        other = (truth + rng.integers(1, 3, n)) % 3
        code = np.where(rng.random(n) < purity, truth, other)
        columns.append(one_hot(code, 3))
        blocks.append([2 + 3 * b, 3 + 3 * b, 4 + 3 * b])
        codes.append(code)
    return np.hstack(columns), blocks, truth, np.column_stack(codes)


def test_kprototypes_recovers_segments_that_differ_only_in_categories():
    Z, blocks, truth, codes = categorical_only_segments()
    model = KPrototypesSegmenter(n_segments=3, categorical=blocks, gamma=2.0).fit(Z)
    assert adjusted_rand_score(truth, model.labels_) >= 0.85
    # every prototype's modes are one segment's category in all three blocks
    mode_categories = (model.modes_ - np.array([2, 5, 8])).tolist()
    assert sorted(mode_categories) == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]
    # with gamma 2 a row goes to the prototype matching most of its categories
    majority = np.array([np.bincount(row, minlength=3).argmax() for row in codes])
    has_majority = np.array([np.bincount(row, minlength=3).max() >= 2 for row in codes])
    assert adjusted_rand_score(majority[has_majority], model.labels_[has_majority]) == 1.0
    # plain k-means on Z splits the numeric noise instead
    assert adjusted_rand_score(truth, KMeansSegmenter(n_segments=3).fit(Z).labels_) < 0.2


def test_kprototypes_without_blocks_is_kmeans():
    Z, _ = blobs()
    model = KPrototypesSegmenter(n_segments=3).fit(Z)
    reference = KMeans(3, n_init=4, random_state=0).fit(Z)
    assert adjusted_rand_score(reference.labels_, model.labels_) == 1.0
    assert model.cost_ == pytest.approx(reference.inertia_, rel=1e-9)
    assert model.modes_.shape == (3, 0)
    assert model.n_iter_ >= 1


def test_kprototypes_keeps_the_least_cost_run():
    Z, blocks, _ = mixed_blobs()
    costs = [KPrototypesSegmenter(3, categorical=blocks, n_init=1, random_state=seed).fit(Z).cost_
             for seed in range(4)]
    best = KPrototypesSegmenter(3, categorical=blocks, n_init=8, random_state=0).fit(Z)
    assert best.cost_ <= min(costs) + 1e-9


def test_fill_empty_moves_the_costliest_row_from_a_shared_cluster():
    labels = np.array([0, 0, 0, 1])
    cost = np.array([0.1, 5.0, 0.2, 9.0])
    # row 3 costs most but is alone in cluster 1; row 1 is moved to empty cluster 2
    np.testing.assert_array_equal(methods._fill_empty(labels, cost, 3), [0, 2, 0, 1])
    np.testing.assert_array_equal(labels, [0, 0, 0, 1])  # input untouched
    full = np.array([0, 1, 2])
    assert methods._fill_empty(full, np.zeros(3), 3) is full


def test_kprototypes_warns_when_there_are_fewer_distinct_rows_than_segments():
    Z = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="3 distinct segments"):
        model = KPrototypesSegmenter(n_segments=4).fit(Z)
    assert sorted(np.bincount(model.labels_, minlength=4)) == [0, 10, 10, 10]


def test_kprototypes_rejects_bad_blocks():
    Z, _, _ = mixed_blobs()
    with pytest.raises(ValueError, match="column 9, but Z has 6 columns"):
        KPrototypesSegmenter(categorical=[[3, 4, 9]]).fit(Z)
    with pytest.raises(ValueError, match="column 4 is in categorical blocks 0 and 1"):
        KPrototypesSegmenter(categorical=[[3, 4], [4, 5]]).fit(Z)
    with pytest.raises(ValueError, match="non-empty list"):
        KPrototypesSegmenter(categorical=[[]]).fit(Z)
    with pytest.raises(ValueError, match=r"got 3; categorical is a list of blocks"):
        KPrototypesSegmenter(categorical=[3, 4, 5]).fit(Z)
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        KPrototypesSegmenter(categorical=[[3, 4, 5]], gamma=-1).fit(Z)


def test_kprototypes_is_vectorised_on_many_rows():
    # 200,000 rows in well under a few seconds: no Python loop over rows
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 200_000)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    Z = np.hstack([centres[truth] + rng.normal(size=(len(truth), 2)), one_hot(truth, 3)])
    model = KPrototypesSegmenter(n_segments=3, categorical=[[2, 3, 4]], n_init=1).fit(Z)
    assert adjusted_rand_score(truth, model.labels_) >= 0.99


# ---------------------------------------------------------------- registry


def test_make_segmenter_builds_each_method():
    assert isinstance(make_segmenter("kmeans", 5), KMeansSegmenter)
    gmm = make_segmenter("gmm", 3, random_state=7, covariance_type="diag")
    assert isinstance(gmm, GaussianMixtureSegmenter)
    assert (gmm.n_segments, gmm.random_state, gmm.covariance_type) == (3, 7, "diag")
    ward = make_segmenter("ward", 4, categorical=[[0, 1]], sample_size=100)
    assert isinstance(ward, WardSegmenter) and ward.sample_size == 100
    kproto = make_segmenter("kprototypes", 2, categorical=[[3, 4, 5]], gamma=0.3)
    assert isinstance(kproto, KPrototypesSegmenter)
    assert (kproto.n_segments, kproto.categorical, kproto.gamma) == (2, [[3, 4, 5]], 0.3)


def test_make_segmenter_rejects_unknown_methods_and_options():
    with pytest.raises(ValueError, match="known methods: kmeans, gmm, ward, kprototypes"):
        make_segmenter("dbscan", 3)
    with pytest.raises(ValueError, match="'kmeans' has no option covariance_type"):
        make_segmenter("kmeans", 3, covariance_type="diag")
