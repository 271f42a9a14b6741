"""Clustering methods for the segmentation stage, all on the preprocessed matrix Z.

Z has one row per customer: numeric features imputed, log-transformed where
skewed and standardised, and each categorical feature one-hot encoded as a
block of columns holding 0 or ``sqrt(0.5)`` (a category mismatch then costs 1
in squared Euclidean distance). Every method returns raw labels ``0..k-1``;
numbering segments by size is done elsewhere.

``kmeans`` (`KMeansSegmenter`)
    Fast and the usual default: round clusters of similar size and spread.
``gmm`` (`GaussianMixtureSegmenter`)
    Gaussian mixture: soft membership (`predict_proba`), elliptical clusters
    of different sizes and shapes, and a BIC to compare numbers of segments.
``ward`` (`WardSegmenter`)
    Ward hierarchical clustering: a dendrogram (`linkage_`) showing how
    segments merge; fitted on a random sample, every customer then goes to
    the nearest segment centre.
``kprototypes`` (`KPrototypesSegmenter`)
    k-prototypes (Huang 1998) for mixed numeric and categorical features:
    means for the numeric columns, modes for the categorical blocks.

`make_segmenter` builds one of them by name (`METHODS`).

All are scikit-learn estimators: ``__init__`` only stores hyper-parameters,
``fit`` sets ``labels_`` (int64) and returns ``self``, and randomness comes only
from ``random_state``, so the same input and seed give the same labels.
"""

from __future__ import annotations

import numbers
import warnings
from typing import NamedTuple

import numpy as np
from scipy.cluster.hierarchy import linkage
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from seglib.errors import ModelError

__all__ = [
    "METHODS",
    "GaussianMixtureSegmenter",
    "KMeansSegmenter",
    "KPrototypesSegmenter",
    "WardSegmenter",
    "make_segmenter",
]

#: Below this many rows the methods run on one thread: OpenMP and BLAS start-up and
#: spin-waits cost more than the work on a small (2-core) machine.
SINGLE_THREAD_BELOW = 20_000

#: Rows per block when computing row-to-centre distances (bounds the temporary memory).
_CHUNK_ROWS = 32_768


def _threads(n_rows: int):
    """One thread for small data, the library defaults otherwise."""
    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_BELOW else None)


def _check_n_segments(n_segments, n_rows: int) -> int:
    """Validate k against the number of rows; return it as an int."""
    if (not isinstance(n_segments, numbers.Integral) or isinstance(n_segments, bool)
            or n_segments < 1):
        raise ValueError(f"n_segments must be a positive integer, got {n_segments!r}")
    if n_rows < n_segments:
        raise ModelError(
            f"{n_rows} customers cannot make {n_segments} segments; lower n_segments"
        )
    return int(n_segments)


def _check_positive_int(name: str, value) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _generator(random_state) -> np.random.Generator:
    """A numpy Generator from an int, None, a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


def _nearest_center(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean) for every row; ties go to the lowest."""
    labels = np.empty(len(X), dtype=np.int64)
    centers_sq = np.einsum("ij,ij->i", centers, centers)
    for start in range(0, len(X), _CHUNK_ROWS):
        block = X[start:start + _CHUNK_ROWS]
        distance = block @ centers.T
        distance *= -2
        distance += centers_sq
        labels[start:start + _CHUNK_ROWS] = distance.argmin(axis=1)
    return labels


# --------------------------------------------------------------------------- k-means


class KMeansSegmenter(BaseEstimator, ClusterMixin):
    """Full-batch k-means (Lloyd) segments on the preprocessed matrix Z.

    Fast; finds round clusters of similar size and spread. Below
    `SINGLE_THREAD_BELOW` rows it runs on one thread.

    Parameters
    ----------
    n_segments : int, default 4
        Number of segments k.
    n_init : int, default 4
        k-means restarts from different k-means++ seeds; the lowest inertia wins.
    random_state : int, default 0
        Seed for the k-means++ initialisation.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_rows,)
        Raw segment of every row, 0..k-1.
    cluster_centers_ : ndarray, shape (k, n_features)
        Segment centres.
    inertia_ : float
        Sum of squared distances of the rows to their centre.
    kmeans_ : sklearn.cluster.KMeans
        The fitted k-means model.
    n_features_in_ : int
        Number of columns of Z.

    Notes
    -----
    On 20,000 rows or more scikit-learn's k-means runs on several OpenMP
    threads, whose partial sums are added in the order the threads finish; the
    centres could then differ in the last bits between two runs (not seen in
    practice: three fits of 1,000,000 rows gave identical bytes).
    """

    def __init__(self, n_segments=4, n_init=4, random_state=0):
        self.n_segments = n_segments
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit k-means on Z.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            The preprocessed matrix Z.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64)
        k = _check_n_segments(self.n_segments, len(X))
        with _threads(len(X)):
            self.kmeans_ = KMeans(n_clusters=k, n_init=self.n_init,
                                  random_state=self.random_state).fit(X)
        self.labels_ = self.kmeans_.labels_.astype(np.int64)
        self.cluster_centers_ = self.kmeans_.cluster_centers_
        self.inertia_ = float(self.kmeans_.inertia_)
        return self

    def predict(self, X):
        """Assign rows to the nearest segment centre.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            Rows of Z.

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _threads(len(X)):
            return self.kmeans_.predict(X).astype(np.int64)


# --------------------------------------------------------------------------- Gaussian mixture


class GaussianMixtureSegmenter(BaseEstimator, ClusterMixin):
    """Gaussian-mixture segments: soft, elliptical clusters, compared by BIC.

    Each segment is a multivariate normal with its own mean and covariance, so
    segments may differ in size, spread and orientation. Rows are labelled with
    their most probable segment; `predict_proba` gives the membership
    probabilities. A lower `bic_` means a better trade-off of fit and number of
    parameters, to compare numbers of segments.

    Parameters
    ----------
    n_segments : int, default 4
        Number of mixture components k.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        Covariance of each component (see `sklearn.mixture.GaussianMixture`).
    n_init : int, default 1
        EM restarts; the best likelihood wins.
    reg_covar : float, default 1e-6
        Added to the covariance diagonals to keep them positive definite.
    random_state : int, default 0
        Seed for the k-means initialisation of EM.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_rows,)
        Most probable segment of every row, 0..k-1.
    bic_ : float
        Bayesian information criterion on the fitted rows (lower is better).
    converged_ : bool
        Whether EM converged within its iteration limit.
    gmm_ : sklearn.mixture.GaussianMixture
        The fitted mixture (means, covariances, weights).
    n_features_in_ : int
        Number of columns of Z.
    """

    def __init__(self, n_segments=4, covariance_type="full", n_init=1, reg_covar=1e-6,
                 random_state=0):
        self.n_segments = n_segments
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the mixture by EM on Z.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            The preprocessed matrix Z.
        y : None
            Ignored.

        Returns
        -------
        self

        Raises
        ------
        ModelError
            If a component's covariance is ill-defined (too few or identical
            rows in a segment), with what to try instead.
        """
        X = validate_data(self, X, dtype=np.float64)
        k = _check_n_segments(self.n_segments, len(X))
        gmm = GaussianMixture(n_components=k, covariance_type=self.covariance_type,
                              n_init=self.n_init, reg_covar=self.reg_covar,
                              random_state=self.random_state)
        try:
            with _threads(len(X)):
                gmm.fit(X)
                labels = gmm.predict(X)
        except ValueError as err:
            if isinstance(err, TypeError):  # InvalidParameterError: a bad hyper-parameter
                raise
            raise ModelError(
                f"the Gaussian mixture with {k} segments and covariance_type="
                f"{self.covariance_type!r} could not be fitted ({err}). Try fewer segments, "
                "covariance_type='diag', a larger reg_covar or fewer features"
            ) from err
        self.gmm_ = gmm
        self.labels_ = labels.astype(np.int64)
        self.bic_ = float(gmm.bic(X))
        self.converged_ = bool(gmm.converged_)
        return self

    def predict(self, X):
        """Most probable segment of each row.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            Rows of Z.

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _threads(len(X)):
            return self.gmm_.predict(X).astype(np.int64)

    def predict_proba(self, X):
        """Probability of each segment for each row.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            Rows of Z.

        Returns
        -------
        ndarray, shape (n_rows, k)
            Rows sum to 1.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _threads(len(X)):
            return self.gmm_.predict_proba(X)


# --------------------------------------------------------------------------- Ward


def _cut_linkage(linkage_matrix: np.ndarray, n_clusters: int) -> np.ndarray:
    """Flat clusters 0..n_clusters-1 of the leaves, undoing the last n_clusters-1 merges.

    Unlike ``fcluster(..., "maxclust")``, which cuts at a height and so returns
    fewer clusters when merge heights tie, this always gives exactly
    ``n_clusters`` (for at most as many leaves), as ``AgglomerativeClustering`` does.
    """
    n_leaves = len(linkage_matrix) + 1
    merges = linkage_matrix[:, :2].astype(np.intp)
    kept = n_leaves - n_clusters  # the merges kept inside clusters
    node_label = np.full(2 * n_leaves - 1, -1, dtype=np.int64)
    if n_clusters == 1:
        roots = np.array([2 * n_leaves - 2])
    else:
        children = merges[kept:].ravel()
        roots = np.sort(children[children < n_leaves + kept])
    node_label[roots] = np.arange(n_clusters)
    for step in range(kept - 1, -1, -1):  # parents before children
        node_label[merges[step]] = node_label[n_leaves + step]
    return node_label[:n_leaves]


class WardSegmenter(BaseEstimator, ClusterMixin):
    """Ward hierarchical segments, fitted on a random sample of rows.

    Ward's method merges, step by step, the two groups whose union increases
    the within-group sum of squares least; the merge tree (`linkage_`) can be
    drawn as a dendrogram with ``scipy.cluster.hierarchy.dendrogram``. It needs
    memory quadratic in the rows, so above ``sample_size`` rows the tree is
    built on a seeded random sample. The tree is cut into ``n_segments``
    groups; their means are the segment centres, and every row (``labels_``)
    and every new row (`predict`) goes to the nearest centre.

    Parameters
    ----------
    n_segments : int, default 4
        Number of segments k.
    sample_size : int, default 5000
        Most rows the tree is built on.
    random_state : int, default 0
        Seed for drawing the sample.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_rows,)
        Nearest segment centre of every row, 0..k-1.
    sample_index_ : ndarray of int64, shape (n_sample,)
        Sorted indices of the rows the tree was built on (all rows when
        there are at most ``sample_size``).
    sample_labels_ : ndarray of int64, shape (n_sample,)
        The cut of the tree for the sampled rows; a few rows near a border
        may have a different ``labels_`` (their nearest centre).
    linkage_ : ndarray, shape (n_sample - 1, 4)
        ``scipy.cluster.hierarchy.linkage(sample, "ward")``: merged nodes,
        merge height and group size per step.
    cluster_centers_ : ndarray, shape (k, n_features)
        Mean of each group of the cut tree.
    n_features_in_ : int
        Number of columns of Z.

    Notes
    -----
    The tree is cut by undoing its last k-1 merges, so there are exactly k
    groups even when merge heights tie (where ``fcluster(linkage_, k,
    "maxclust")`` would return fewer).
    """

    def __init__(self, n_segments=4, sample_size=5000, random_state=0):
        self.n_segments = n_segments
        self.sample_size = sample_size
        self.random_state = random_state

    def fit(self, X, y=None):
        """Build the Ward tree on (a sample of) Z, cut it and label every row.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            The preprocessed matrix Z.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64)
        k = _check_n_segments(self.n_segments, len(X))
        sample_size = _check_positive_int("sample_size", self.sample_size)
        if sample_size < k:
            raise ValueError(f"sample_size ({sample_size}) must be at least n_segments ({k})")
        if len(X) > sample_size:
            rng = _generator(self.random_state)
            index = np.sort(rng.choice(len(X), size=sample_size, replace=False))
        else:
            index = np.arange(len(X))
        sample = X[index]
        if len(sample) > 1:
            self.linkage_ = linkage(sample, method="ward")
        else:
            self.linkage_ = np.empty((0, 4))
        self.sample_index_ = index.astype(np.int64)
        self.sample_labels_ = _cut_linkage(self.linkage_, k)
        counts = np.bincount(self.sample_labels_, minlength=k)
        sums = np.zeros((k, X.shape[1]))
        np.add.at(sums, self.sample_labels_, sample)
        self.cluster_centers_ = sums / counts[:, None]
        with _threads(len(X)):
            self.labels_ = _nearest_center(X, self.cluster_centers_)
        return self

    def predict(self, X):
        """Assign rows to the nearest segment centre.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            Rows of Z.

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _threads(len(X)):
            return _nearest_center(X, self.cluster_centers_)


# --------------------------------------------------------------------------- k-prototypes


def _split_columns(categorical, n_columns: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Sorted column indices of each categorical block, and the numeric columns."""
    blocks = []
    seen: dict[int, int] = {}
    for number, block in enumerate(categorical):
        try:
            columns = np.asarray(list(block))
        except TypeError:  # a bare int: a flat list of columns instead of a list of blocks
            columns = np.asarray([])
        if columns.ndim != 1 or columns.size == 0 or not np.issubdtype(columns.dtype, np.integer):
            raise ValueError(
                f"categorical block {number} must be a non-empty list of column indices of Z, "
                f"got {block!r}; categorical is a list of blocks, e.g. [[3, 4, 5], [6, 7]]"
            )
        for column in columns.tolist():
            if not 0 <= column < n_columns:
                raise ValueError(
                    f"categorical block {number} has column {column}, but Z has "
                    f"{n_columns} columns (0..{n_columns - 1})"
                )
            if column in seen:
                raise ValueError(
                    f"column {column} is in categorical blocks {seen[column]} and {number}; "
                    "each column belongs to at most one block"
                )
            seen[column] = number
        blocks.append(np.sort(columns).astype(np.intp))
    numeric = np.array([c for c in range(n_columns) if c not in seen], dtype=np.intp)
    return blocks, numeric


def _category_codes(X: np.ndarray, blocks: list[np.ndarray]) -> list[np.ndarray]:
    """Per block, the position (in the sorted block) of each row's category.

    The category is the block column with the row's largest value (the one
    nonzero column of a one-hot block). A row with no positive value in the
    block (an unseen category) gets the code ``len(block)``: no category,
    which matches no prototype.
    """
    codes = []
    for columns in blocks:
        values = X[:, columns]
        code = values.argmax(axis=1)
        present = np.take_along_axis(values, code[:, None], axis=1)[:, 0] > 0
        codes.append(np.where(present, code, len(columns)).astype(np.intp))
    return codes


class _Run(NamedTuple):
    labels: np.ndarray
    centers: np.ndarray
    modes: np.ndarray  # k x n_blocks, position of the mode in each sorted block
    cost: float
    n_iter: int


#: Most category combinations of blocks looked up together in one table.
_MAX_COMBINATIONS = 4096


def _group_blocks(sizes: list[int]) -> list[list[int]]:
    """Consecutive blocks grouped so that each group has at most _MAX_COMBINATIONS codes.

    A block of m categories has m + 1 codes (the last: no category).
    """
    groups: list[list[int]] = []
    combinations = _MAX_COMBINATIONS + 1
    for b, size in enumerate(sizes):
        if combinations * (size + 1) > _MAX_COMBINATIONS:
            groups.append([])
            combinations = 1
        groups[-1].append(b)
        combinations *= size + 1
    return groups


class _MixedData:
    """Z split for k-prototypes: numeric columns and category codes.

    Category codes of blocks are combined in groups (one code per
    combination of the group's categories), so that the mismatch cost of a
    group is one table look-up per row and the modes one ``bincount``.
    """

    def __init__(self, X: np.ndarray, blocks: list[np.ndarray], numeric: np.ndarray):
        # column-major: each column is contiguous for bincount in update()
        self.numeric = np.asfortranarray(X[:, numeric])
        self.numeric_sq = np.einsum("ij,ij->i", self.numeric, self.numeric)
        self.codes = _category_codes(X, blocks)
        self.shapes = [len(columns) + 1 for columns in blocks]
        self.groups = _group_blocks([len(columns) for columns in blocks])
        self.group_codes = []
        for group in self.groups:
            combined = self.codes[group[0]].copy()
            for b in group[1:]:
                combined *= self.shapes[b]
                combined += self.codes[b]
            self.group_codes.append(combined)
        self.n_rows = len(X)

    def _tables(self, centers: np.ndarray, modes: np.ndarray, gamma: float) -> list[np.ndarray]:
        """Per group, the cost of each code combination to each prototype.

        ``|c|^2`` of the prototypes is folded into the first table.
        """
        k = len(centers)
        centers_sq = np.einsum("ij,ij->i", centers, centers)
        tables = []
        for group in self.groups:
            table = np.zeros((1, k))
            for b in group:
                # gamma unless the code is the prototype's mode; the last code
                # (no category) mismatches every prototype
                block = np.full((self.shapes[b], k), gamma)
                mode = modes[:, b]
                matched = mode < self.shapes[b] - 1
                block[mode[matched], np.flatnonzero(matched)] = 0.0
                table = (table[:, None, :] + block[None, :, :]).reshape(-1, k)
            tables.append(table)
        if tables:
            tables[0] += centers_sq
        return tables

    def assign(self, centers: np.ndarray, modes: np.ndarray, gamma: float,
               with_cost: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Nearest prototype of each row and, if asked, the cost to it (Huang 1998, eq. 9).

        Cost = squared Euclidean distance on the numeric columns + gamma times
        the number of blocks whose category differs from the prototype's mode,
        computed as ``|x|^2 - 2 x.c + |c|^2 + mismatches``. Ties go to the
        lowest prototype.
        """
        tables = self._tables(centers, modes, gamma)
        minus_two_centers = -2.0 * centers.T
        centers_sq = np.einsum("ij,ij->i", centers, centers)
        labels = np.empty(self.n_rows, dtype=np.int64)
        best = np.empty(self.n_rows) if with_cost else None
        for start in range(0, self.n_rows, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, self.n_rows)
            cost = self.numeric[start:stop] @ minus_two_centers
            if tables:
                for code, table in zip(self.group_codes, tables, strict=True):
                    cost += table[code[start:stop]]
            else:
                cost += centers_sq
            nearest = cost.argmin(axis=1)
            labels[start:stop] = nearest
            if with_cost:
                best[start:stop] = (np.take_along_axis(cost, nearest[:, None], axis=1)[:, 0]
                                    + self.numeric_sq[start:stop])
        if with_cost:
            np.maximum(best, 0.0, out=best)  # rounding can make a zero cost negative
        return labels, best

    def update(self, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Prototypes of non-empty clusters: numeric means and per-block modes.

        A mode is the category with the highest count; ties go to the lowest
        column index (Huang 1998, theorem 1).
        """
        counts = np.bincount(labels, minlength=k)
        centers = np.empty((k, self.numeric.shape[1]))
        for j in range(self.numeric.shape[1]):
            centers[:, j] = np.bincount(labels, weights=self.numeric[:, j], minlength=k)
        centers /= counts[:, None]
        modes = np.empty((k, len(self.codes)), dtype=np.intp)
        for group, code in zip(self.groups, self.group_codes, strict=True):
            shape = [self.shapes[b] for b in group]
            size = int(np.prod(shape))
            tally = np.bincount(labels * size + code, minlength=k * size).reshape(k, *shape)
            for axis, b in enumerate(group, start=1):
                others = tuple(a for a in range(1, len(group) + 1) if a != axis)
                counts_b = tally.sum(axis=others) if others else tally
                modes[:, b] = counts_b[:, :-1].argmax(axis=1)
        return centers, modes

    def prototypes_from_rows(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Prototypes equal to the given rows."""
        rows = np.asarray(rows, dtype=np.intp)
        modes = np.empty((len(rows), len(self.codes)), dtype=np.intp)
        for b, code in enumerate(self.codes):
            modes[:, b] = code[rows]
        return self.numeric[rows], modes

    def total_cost(self, labels: np.ndarray, centers: np.ndarray, modes: np.ndarray,
                   gamma: float) -> float:
        """Total cost of an assignment, computed directly from the differences."""
        numeric = 0.0
        for start in range(0, self.n_rows, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, self.n_rows)
            diff = self.numeric[start:stop] - centers[labels[start:stop]]
            numeric += float(np.einsum("ij,ij->", diff, diff))
        mismatches = sum(int(np.count_nonzero(code != modes[labels, b]))
                         for b, code in enumerate(self.codes))
        return numeric + gamma * mismatches


def _fill_empty(labels: np.ndarray, row_cost: np.ndarray, k: int) -> np.ndarray:
    """Give each empty cluster the row of highest cost taken from a cluster of 2 or more.

    Rows are taken in decreasing cost, ties by row order, so the result is
    deterministic. Returns ``labels`` itself when no cluster is empty.
    """
    counts = np.bincount(labels, minlength=k)
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return labels
    labels = labels.copy()
    order = np.argsort(-row_cost, kind="stable")
    position = 0
    for cluster in empty:
        while counts[labels[order[position]]] < 2:
            position += 1
        row = order[position]
        position += 1
        counts[labels[row]] -= 1
        labels[row] = cluster
        counts[cluster] = 1
    return labels


def _seed(data: _MixedData, k: int, gamma: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeding on the k-prototypes cost (Arthur & Vassilvitskii 2007).

    The first prototype is a uniformly drawn row, each next one a row drawn
    with probability proportional to its cost to the nearest prototype so far.
    """
    chosen = [int(rng.integers(data.n_rows))]
    _, closest = data.assign(*data.prototypes_from_rows(chosen), gamma, with_cost=True)
    for _ in range(1, k):
        cumulative = np.cumsum(closest)
        if cumulative[-1] > 0:
            row = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
            row = min(row, data.n_rows - 1)
        else:  # every row equals a prototype already
            row = int(rng.integers(data.n_rows))
        chosen.append(row)
        _, cost = data.assign(*data.prototypes_from_rows([row]), gamma, with_cost=True)
        np.minimum(closest, cost, out=closest)
    return data.prototypes_from_rows(chosen)


def _kprototypes_run(data: _MixedData, k: int, gamma: float, max_iter: int,
                     rng: np.random.Generator) -> _Run:
    """One k-prototypes run: seed, then batch assign/update until labels stop changing."""
    centers, modes = _seed(data, k, gamma, rng)
    labels, _ = data.assign(centers, modes, gamma)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        members = labels
        if np.bincount(labels, minlength=k).min() == 0:
            _, row_cost = data.assign(centers, modes, gamma, with_cost=True)
            members = _fill_empty(labels, row_cost, k)
        centers, modes = data.update(members, k)
        new_labels, _ = data.assign(centers, modes, gamma)
        converged = np.array_equal(new_labels, labels)
        labels = new_labels  # the nearest prototypes, so predict(X) == labels_
        if converged:
            break
    return _Run(labels, centers, modes, data.total_cost(labels, centers, modes, gamma), n_iter)


class KPrototypesSegmenter(BaseEstimator, ClusterMixin):
    """k-prototypes segments for mixed numeric and categorical features (Huang 1998).

    Each segment has a prototype: the mean of the numeric columns and the mode
    (most frequent category) of each categorical block. The cost of a row to a
    prototype is (Huang 1998, eq. 9)

        d(x, q) = sum_j (x_j - q_j)^2 + gamma * sum_b [category_b(x) != mode_b(q)]

    over numeric columns j and categorical blocks b. Prototypes are seeded
    k-means++-style on this cost, then rows are assigned to the nearest
    prototype and prototypes recomputed (batch, like Lloyd's k-means) until
    the labels stop changing or ``max_iter``; the run of least total cost out
    of ``n_init`` is kept. Without categorical blocks this is k-means.

    Parameters
    ----------
    n_segments : int, default 4
        Number of segments k.
    categorical : sequence of lists of int, default ()
        Each list holds the column indices of Z of one one-hot categorical
        block (one positive value per row: the row's category). The other
        columns are numeric.
    gamma : float or None, default None
        Weight of one categorical mismatch against squared numeric distance.
        None: Huang's default, 0.5 times the mean standard deviation of the
        numeric columns (about 0.5 on standardised data); 1 when there are no
        numeric columns or they are all constant.
    n_init : int, default 4
        Runs from different seeds; the least total cost wins.
    max_iter : int, default 100
        Most assign/update iterations per run.
    random_state : int, default 0
        Seed for the initial prototypes.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_rows,)
        Segment of every row, 0..k-1 (its nearest prototype).
    cluster_centers_ : ndarray, shape (k, n_numeric)
        Numeric part of the prototypes, in the order of `numeric_columns_`.
    modes_ : ndarray of int64, shape (k, n_blocks)
        Column index of Z of each prototype's category, per block.
    gamma_ : float
        The categorical weight used.
    cost_ : float
        Total cost of the rows to their prototypes.
    n_iter_ : int
        Iterations of the kept run.
    numeric_columns_ : ndarray of int64
        Column indices of Z treated as numeric.
    blocks_ : list of ndarray
        Sorted column indices of each categorical block.
    n_features_in_ : int
        Number of columns of Z.

    Notes
    -----
    A row whose block has no positive value (a category unseen at fit)
    mismatches every prototype in that block. An empty cluster is given the
    row of highest cost. With a category mismatch weighing only ``gamma``
    (0.5 by default) against the squared distance over all numeric columns,
    groups that differ in categories alone are found only with a larger gamma
    when there are several noisy numeric columns.

    References
    ----------
    Huang, Z. (1998). Extensions to the k-means algorithm for clustering large
    data sets with categorical values. Data Mining and Knowledge Discovery,
    2(3), 283-304.
    """

    def __init__(self, n_segments=4, categorical=(), gamma=None, n_init=4, max_iter=100,
                 random_state=0):
        self.n_segments = n_segments
        self.categorical = categorical
        self.gamma = gamma
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit k-prototypes on Z.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            The preprocessed matrix Z.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64)
        k = _check_n_segments(self.n_segments, len(X))
        n_init = _check_positive_int("n_init", self.n_init)
        max_iter = _check_positive_int("max_iter", self.max_iter)
        blocks, numeric = _split_columns(self.categorical, X.shape[1])
        data = _MixedData(X, blocks, numeric)
        self.gamma_ = self._gamma(data.numeric)
        rng = _generator(self.random_state)
        best = None
        # one thread whatever the size: the products are thin (k columns) and BLAS
        # threads gave nothing at 1,000,000 rows, only spin-waits on a busy machine
        with threadpool_limits(limits=1):
            for _ in range(n_init):
                run = _kprototypes_run(data, k, self.gamma_, max_iter, rng)
                if best is None or run.cost < best.cost:
                    best = run
        found = np.unique(best.labels).size
        if found < k:
            warnings.warn(
                f"k-prototypes found {found} distinct segments, fewer than n_segments={k}; "
                "the data may have fewer distinct rows than segments",
                ConvergenceWarning, stacklevel=2,
            )
        self.numeric_columns_ = numeric.astype(np.int64)
        self.blocks_ = blocks
        self.labels_ = best.labels
        self.cluster_centers_ = best.centers
        self.modes_ = np.array([[blocks[b][best.modes[c, b]] for b in range(len(blocks))]
                                for c in range(k)], dtype=np.int64).reshape(k, len(blocks))
        self.cost_ = float(best.cost)
        self.n_iter_ = best.n_iter
        return self

    def _gamma(self, numeric: np.ndarray) -> float:
        if self.gamma is not None:
            if not self.gamma >= 0:
                raise ValueError(f"gamma must be >= 0 or None, got {self.gamma!r}")
            return float(self.gamma)
        if numeric.shape[1] == 0:
            return 1.0
        spread = float(numeric.std(axis=0).mean())
        return 0.5 * spread if spread > 0 else 1.0

    def predict(self, X):
        """Assign rows to the nearest prototype.

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features)
            Rows of Z, with the same columns and blocks as at fit.

        Returns
        -------
        ndarray of int64, shape (n_rows,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        data = _MixedData(X, self.blocks_, self.numeric_columns_)
        modes = np.empty(self.modes_.shape, dtype=np.intp)
        for b, columns in enumerate(self.blocks_):
            modes[:, b] = np.searchsorted(columns, self.modes_[:, b])
        with threadpool_limits(limits=1):
            labels, _ = data.assign(self.cluster_centers_, modes, self.gamma_)
        return labels


# --------------------------------------------------------------------------- registry

#: Segmentation methods by name.
METHODS = {
    "kmeans": KMeansSegmenter,
    "gmm": GaussianMixtureSegmenter,
    "ward": WardSegmenter,
    "kprototypes": KPrototypesSegmenter,
}


def make_segmenter(method: str, n_segments: int, *, categorical=(), random_state=0,
                   **options):
    """Build the segmentation estimator named ``method``.

    Parameters
    ----------
    method : {"kmeans", "gmm", "ward", "kprototypes"}
        A key of `METHODS`.
    n_segments : int
        Number of segments k.
    categorical : sequence of lists of int, default ()
        One-hot blocks of Z; passed to k-prototypes only (the other methods
        treat every column of Z as numeric).
    random_state : int, default 0
        Seed of the method.
    **options
        Other hyper-parameters of the method, e.g. ``n_init`` or
        ``covariance_type``.

    Returns
    -------
    estimator
        An unfitted estimator.

    Raises
    ------
    ValueError
        For an unknown method, or an option the method does not take.
    """
    try:
        cls = METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown segmentation method {method!r}; known methods: {', '.join(METHODS)}"
        ) from None
    params = {"n_segments": n_segments, "random_state": random_state, **options}
    if cls is KPrototypesSegmenter:
        params["categorical"] = categorical
    accepted = set(cls().get_params())
    unknown = sorted(set(params) - accepted)
    if unknown:
        others = sorted(accepted - {"n_segments", "random_state", "categorical"})
        raise ValueError(
            f"segmentation method {method!r} has no option {', '.join(unknown)}; "
            f"its options are: {', '.join(others)}"
        )
    return cls(**params)
