"""Rule-based segments: RFM scores with named segment rules, and demographic age groups.

Rules versus clustering
-----------------------
A *rule-based* segment is defined before looking at the data: "bought within the
last month and ordered often" is a Champion, "aged 13 to 19" is a Teenager. The
rules are transparent (anyone can read why a customer is in a segment) and
editable (a marketer changes a range and re-runs), and a segment keeps its meaning
from one month to the next. *Clustering* (:class:`seglib.segment.SegmentModel`)
instead finds the groups from the data: it can reveal groups nobody thought of,
but a cluster has to be profiled and named after the fact and can move when the
data change. The workbook offers both; the estimators here have the same
scikit-learn shape (``fit``, ``labels_``, ``predict``) so they are used alike.

How RFM scores are computed
---------------------------
Every customer gets three scores from 1 (worst) to ``bins`` (best, 5 by default):
R from ``recency_days`` (days since the last purchase; fewer days is better),
F from ``n_orders`` and M from ``revenue`` (more is better).

The scores come from ``bins - 1`` cut points per column, learned by
:meth:`RFMSegmenter.fit` as *quantiles of the values* of the fit customers, or
given explicitly (``cuts``). Customers with the same value always get the same
score: ties are never split by rank. Because many customers share a value (many
have exactly 1 or 2 orders), the scores are then unequal in size: the customers
with 1 order may be half the base, all with F = 1. Each further cut is the
quantile that splits the customers not yet scored evenly over the scores still
to give, so a heavily tied value does not swallow the scores above it: F still
reaches 5 whenever the data hold at least ``bins`` distinct order counts. A
column with fewer distinct values than ``bins`` gives each value its own score,
spread evenly from 1 to ``bins`` (only 1 or 2 orders: F is 1 or 5); a column
with a single value gives everyone the middle score. Learned cut points may then
repeat (a skipped score) or be infinite (a score no value reaches).

A value equal to a cut point gets the higher (better) score: with F cuts
``[2, 3, 5, 10]`` a customer with 2 orders has F = 2 and one with 10 orders
F = 5; with R cuts ``[30, 90, 180, 365]`` a customer whose last purchase was
30 days ago has R = 5 ("within 30 days"), 31 days R = 4.

Customers missing any of the three values are not scored into a segment: their
label is 0 (:data:`UNCLASSIFIED`), to be reported as their own group.

Segments are then named by rules on the scores (:data:`DEFAULT_RFM_RULES`, the
classic R x F segment map): the first matching rule wins, and customers matching
no rule are "Others".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from seglib.errors import ConfigError, DataError

__all__ = [
    "DEFAULT_AGE_GROUPS",
    "DEFAULT_RFM_RULES",
    "OTHERS",
    "RFM_COLUMNS",
    "UNCLASSIFIED",
    "AgeGroupSegmenter",
    "RFMSegmenter",
    "RuleDataError",
    "RuleError",
    "learn_edges",
    "rfm_grid",
    "rfm_scores",
]

#: Label of customers with missing data (no score, no age): reported separately.
UNCLASSIFIED = 0
#: Name of the group of customers that match no rule (or no age group).
OTHERS = "Others"
#: Customer-table columns that RFM scores are computed from, in R, F, M order.
RFM_COLUMNS = ("recency_days", "n_orders", "revenue")
#: Score columns returned by :func:`rfm_scores`, in the same order.
SCORE_COLUMNS = ("r_score", "f_score", "m_score")
#: Rule key of each score column.
_RULE_KEYS = ("r", "f", "m")
#: True where a higher value earns a higher score.
_HIGHER_IS_BETTER = {"recency_days": False, "n_orders": True, "revenue": True}
#: The number of scores :data:`DEFAULT_RFM_RULES` are written for.
DEFAULT_RULE_BINS = 5
_MIN_BINS, _MAX_BINS = 2, 10

#: The classic RFM segment map on the R x F grid, for 5 scores (M is not used).
#: Ranges are inclusive ``(lo, hi)``; an omitted key (r, f or m) matches any score.
#: The rules do not overlap and together cover all 25 (r, f) cells::
#:
#:            f=1          f=2          f=3          f=4          f=5
#:     r=5  New          Potential    Potential    Champions    Champions
#:     r=4  Promising    Potential    Potential    Loyal        Loyal
#:     r=3  About to     About to     Need         Loyal        Loyal
#:          sleep        sleep        attention
#:     r=2  Hibernating  Hibernating  At risk      At risk      Can't lose
#:     r=1  Lost         Lost         At risk      At risk      Can't lose
#:
#: Copy and edit it to make your own map: ``rules = list(DEFAULT_RFM_RULES)``.
DEFAULT_RFM_RULES: tuple[dict, ...] = (
    {"name": "Champions", "r": (5, 5), "f": (4, 5)},
    {"name": "Loyal customers", "r": (3, 4), "f": (4, 5)},
    {"name": "Potential loyalists", "r": (4, 5), "f": (2, 3)},
    {"name": "New customers", "r": (5, 5), "f": (1, 1)},
    {"name": "Promising", "r": (4, 4), "f": (1, 1)},
    {"name": "Need attention", "r": (3, 3), "f": (3, 3)},
    {"name": "About to sleep", "r": (3, 3), "f": (1, 2)},
    {"name": "At risk", "r": (1, 2), "f": (3, 4)},
    {"name": "Can't lose them", "r": (1, 2), "f": (5, 5)},
    {"name": "Hibernating", "r": (2, 2), "f": (1, 2)},
    {"name": "Lost", "r": (1, 1), "f": (1, 2)},
)

#: Demographic age groups: name -> (lowest, highest) age in whole years, inclusive;
#: ``None`` as the highest means no upper bound. Copy and edit: ``dict(DEFAULT_AGE_GROUPS)``.
DEFAULT_AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "Children": (0, 12),
    "Teenagers": (13, 19),
    "Adults": (20, 39),
    "Middle-aged": (40, 59),
    "Elderly": (60, None),
}


class RuleError(ConfigError, ValueError):
    """Invalid bins, cut points, segment rules or age groups; the message names the culprit."""


class RuleDataError(DataError, ValueError):
    """The customer table lacks a column the rules need, or it is not numeric."""


# ---------------------------------------------------------------------------- input checks


def _check_bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not (
            _MIN_BINS <= bins <= _MAX_BINS):
        raise RuleError(f"bins: {bins!r} is not a whole number from {_MIN_BINS} to {_MAX_BINS}")
    return int(bins)


def _column(X, column: str) -> np.ndarray:
    """The values of one numeric column as float64 (missing values as NaN)."""
    if not isinstance(X, pd.DataFrame):
        raise RuleDataError(
            f"expected a DataFrame of customers with a {column!r} column, got {type(X).__name__}")
    if column not in X.columns:
        raise RuleDataError(
            f"column {column!r} is not in the customer table; its columns are: "
            f"{', '.join(map(str, X.columns))}")
    values = X[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise RuleDataError(f"column {column!r} is not numeric (dtype {values.dtype})")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _check_cuts(cuts, bins: int) -> dict[str, np.ndarray]:
    """Validate explicit cut points: a mapping column -> ``bins - 1`` ascending numbers."""
    if cuts is None:
        return {}
    if not isinstance(cuts, Mapping):
        raise RuleError(f"cuts: expected a dict of column -> cut points, got {type(cuts).__name__}")
    checked = {}
    for column, points in cuts.items():
        if column not in RFM_COLUMNS:
            raise RuleError(
                f"cuts: unknown column {column!r}; use {', '.join(map(repr, RFM_COLUMNS))}")
        if isinstance(points, str | bytes) or not isinstance(points, Sequence | np.ndarray):
            raise RuleError(f"cuts[{column!r}]: expected a list of {bins - 1} numbers")
        try:
            values = np.array(points, dtype="float64")
        except (TypeError, ValueError) as err:
            raise RuleError(f"cuts[{column!r}]: {list(points)!r} are not all numbers") from err
        if values.ndim != 1 or len(values) != bins - 1:
            raise RuleError(
                f"cuts[{column!r}]: {len(points)} cut points given; {bins} scores need "
                f"{bins - 1}")
        if not np.isfinite(values).all():
            raise RuleError(f"cuts[{column!r}]: cut points must be finite numbers")
        if not (np.diff(values) > 0).all():
            raise RuleError(f"cuts[{column!r}]: {list(points)!r} are not strictly ascending")
        checked[column] = values
    return checked


def _check_range(rule_name: str, key: str, value, bins: int) -> tuple[int, int]:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        value = (value, value)
    if (isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in value)):
        raise RuleError(
            f"rule {rule_name!r}: {key}: {value!r} is not a (lo, hi) pair of whole scores")
    lo, hi = int(value[0]), int(value[1])
    if lo > hi:
        raise RuleError(f"rule {rule_name!r}: {key}: lo {lo} is above hi {hi}")
    if lo < 1 or hi > bins:
        raise RuleError(
            f"rule {rule_name!r}: {key}: ({lo}, {hi}) is outside the scores 1..{bins}")
    return lo, hi


def _check_rules(rules, bins: int) -> tuple[dict, ...]:
    """Validate segment rules; return them as dicts with ``(lo, hi)`` tuples."""
    if isinstance(rules, Mapping | str | bytes) or not isinstance(rules, Sequence):
        raise RuleError("rules: expected a list of dicts like {'name': 'Champions', 'r': (4, 5)}")
    if not rules:
        raise RuleError("rules: the list is empty; give at least one rule")
    checked, seen = [], set()
    for position, rule in enumerate(rules, start=1):
        if not isinstance(rule, Mapping):
            raise RuleError(f"rule {position}: expected a dict, got {type(rule).__name__}")
        name = rule.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"rule {position}: 'name' must be a non-empty text, got {name!r}")
        unknown = sorted(set(rule) - {"name", *_RULE_KEYS}, key=str)
        if unknown:
            raise RuleError(
                f"rule {name!r}: unknown key(s) {', '.join(map(repr, unknown))}; "
                "use 'name', 'r', 'f' and 'm'")
        if name == OTHERS:
            raise RuleError(f"rule {name!r}: the name {OTHERS!r} is kept for unmatched customers")
        if name in seen:
            raise RuleError(f"rule {name!r}: the name is used by an earlier rule")
        seen.add(name)
        clean = {"name": name}
        for key in _RULE_KEYS:
            if key in rule:
                clean[key] = _check_range(name, key, rule[key], bins)
        checked.append(clean)
    return tuple(checked)


# ---------------------------------------------------------------------------- RFM scores


def _value_scores(counts: np.ndarray, bins: int) -> np.ndarray:
    """Scores 1..bins for distinct ascending values, given how many customers hold each."""
    n_values = len(counts)
    if n_values == 1:
        return np.array([(bins + 1) // 2], dtype=np.int64)
    if n_values <= bins:
        # one score per value, spread evenly so that the lowest gets 1 and the highest bins
        return 1 + np.floor(np.arange(n_values) * (bins - 1) / (n_values - 1) + 0.5).astype(
            np.int64)
    cumulative = np.cumsum(counts)
    total = cumulative[-1]
    scores = np.empty(n_values, dtype=np.int64)
    start, done = 0, 0  # first value not yet scored; customers scored so far
    for score in range(1, bins):
        target = done + (total - done) / (bins - score + 1)
        last_allowed = n_values - 1 - (bins - score)  # leave a value for every later score
        gaps = np.abs(cumulative[start:last_allowed + 1] - target)
        end = start + int(np.argmin(gaps))
        scores[start:end + 1] = score
        start, done = end + 1, cumulative[end]
    scores[start:] = bins
    return scores


def learn_edges(values, bins: int = 5, *, higher_is_better: bool = True) -> np.ndarray:
    """Learn ``bins - 1`` score cut points from the values of the fit customers.

    The cut points are tie-aware quantiles: customers with the same value get the
    same score, and each cut splits the customers not yet scored evenly over the
    scores still to give (see the module docstring). Missing values are ignored.

    Parameters
    ----------
    values : array-like of float
        One column of the customer table.
    bins : int
        Number of scores, 2 to 10.
    higher_is_better : bool
        True for frequency and monetary value; False for recency in days, where
        the cut points are learned on the reversed order so that recent is high.

    Returns
    -------
    ndarray of float, shape (bins - 1,)
        Non-decreasing cut points for :func:`rfm_scores`; repeated where a score is
        skipped, infinite where no value reaches a score.

    Raises
    ------
    RuleDataError
        If no value is present.
    """
    bins = _check_bins(bins)
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise RuleDataError("no customer has a value to learn score cut points from")
    if not higher_is_better:
        x = -x
    distinct, counts = np.unique(x, return_counts=True)
    scores = _value_scores(counts, bins)
    edges = np.full(bins - 1, np.inf)
    for score in range(1, bins):
        above = np.flatnonzero(scores > score)
        if above.size:
            edges[score - 1] = distinct[above[0]]
    return edges if higher_is_better else -edges[::-1]


def _score_column(x: np.ndarray, edges: np.ndarray, bins: int, higher_is_better: bool):
    """Scores (float, NaN where the value is missing); equal to a cut goes to the better."""
    if higher_is_better:
        scores = 1 + np.searchsorted(edges, x, side="right")
    else:
        scores = bins - np.searchsorted(edges, x, side="left")
    return np.where(np.isnan(x), np.nan, scores)


def _check_edges(edges, bins: int) -> dict[str, np.ndarray]:
    if not isinstance(edges, Mapping):
        raise RuleError("edges: expected a dict of column -> cut points")
    checked = {}
    for column in RFM_COLUMNS:
        if column not in edges:
            raise RuleError(f"edges: no cut points for {column!r}")
        values = np.asarray(edges[column], dtype="float64")
        if (values.shape != (bins - 1,) or np.isnan(values).any()
                or (values[1:] < values[:-1]).any()):
            raise RuleError(
                f"edges[{column!r}]: expected {bins - 1} non-decreasing cut points for "
                f"{bins} scores")
        checked[column] = values
    return checked


def rfm_scores(X: pd.DataFrame, edges: Mapping, bins: int = 5) -> pd.DataFrame:
    """Score customers 1..bins on recency, frequency and monetary value.

    Parameters
    ----------
    X : DataFrame
        Customer table with ``recency_days``, ``n_orders`` and ``revenue``.
    edges : dict
        ``bins - 1`` non-decreasing cut points per column, as in
        :attr:`RFMSegmenter.edges_` (or the ``cuts`` of a config).
    bins : int
        Number of scores, 2 to 10.

    Returns
    -------
    DataFrame
        ``r_score``, ``f_score``, ``m_score`` (nullable ``Int64``, 1 worst to
        ``bins`` best; missing where the customer's value is missing), indexed
        like ``X``. A value equal to a cut point gets the higher score: more
        orders or revenue than the cut, or at most that many days since the
        last purchase.
    """
    bins = _check_bins(bins)
    edges = _check_edges(edges, bins)
    scores = {}
    for column, score in zip(RFM_COLUMNS, SCORE_COLUMNS, strict=True):
        values = _score_column(_column(X, column), edges[column], bins, _HIGHER_IS_BETTER[column])
        scores[score] = pd.array(values, dtype="Int64")
    return pd.DataFrame(scores, index=X.index)


def _rule_scale(scores: np.ndarray, bins: int, rule_bins: int) -> np.ndarray:
    """Map scores on 1..bins to 1..rule_bins by the middle of each score's quantile band."""
    if bins == rule_bins:
        return scores
    return np.floor((scores - 0.5) * rule_bins / bins) + 1


def _apply_rules(scores: pd.DataFrame, rules: tuple[dict, ...], bins: int,
                 rule_bins: int) -> np.ndarray:
    """Labels 1..n_rules (first match), n_rules + 1 (no match), 0 (a score missing)."""
    values = {key: scores[column].to_numpy(dtype="float64", na_value=np.nan)
              for key, column in zip(_RULE_KEYS, SCORE_COLUMNS, strict=True)}
    complete = ~np.isnan(values["r"]) & ~np.isnan(values["f"]) & ~np.isnan(values["m"])
    values = {key: _rule_scale(v, bins, rule_bins) for key, v in values.items()}
    labels = np.where(complete, len(rules) + 1, UNCLASSIFIED).astype(np.int64)
    open_ = complete.copy()
    for rule_id, rule in enumerate(rules, start=1):
        hit = open_.copy()
        for key in _RULE_KEYS:
            if key in rule:
                lo, hi = rule[key]
                hit &= (values[key] >= lo) & (values[key] <= hi)
        labels[hit] = rule_id
        open_ &= ~hit
    return labels


def rfm_grid(scores: pd.DataFrame, labels, names: Mapping[int, str], *,
             bins: int | None = None) -> pd.DataFrame:
    """Customers and segment of every cell of the R x F grid, for a heat-map or table.

    Parameters
    ----------
    scores : DataFrame
        ``r_score`` and ``f_score`` per customer (:func:`rfm_scores`).
    labels : array-like of int
        Segment id per customer, in the same order; 0 (missing data) is left out.
    names : dict
        Segment id -> name (:attr:`RFMSegmenter.segment_names_`).
    bins : int, optional
        Number of scores; by default the highest score present.

    Returns
    -------
    DataFrame
        One row per cell, ``r_score`` from ``bins`` down to 1, then ``f_score``
        from 1 up: ``segment`` (the name of the most common segment of the
        cell's customers, the lowest id on ties; missing for an empty cell),
        ``customers`` and ``share`` (of the scored customers). Pivot it for the
        grid: ``grid.pivot_table(index="r_score", columns="f_score", values="customers")``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels for {len(scores)} scored customers")
    r = scores["r_score"].to_numpy(dtype="float64", na_value=np.nan)
    f = scores["f_score"].to_numpy(dtype="float64", na_value=np.nan)
    keep = (labels != UNCLASSIFIED) & ~np.isnan(r) & ~np.isnan(f)
    if bins is None:
        if not keep.any():
            raise ValueError("no scored customer: give bins to draw an empty grid")
        bins = int(max(r[keep].max(), f[keep].max()))
    bins = _check_bins(bins)
    cells = pd.DataFrame({"r_score": r[keep].astype(np.int64), "f_score": f[keep].astype(np.int64),
                          "segment": labels[keep]})
    counts = cells.groupby(["r_score", "f_score", "segment"]).size().rename("n").reset_index()
    counts = counts.sort_values(["r_score", "f_score", "n", "segment"],
                                ascending=[True, True, False, True])
    top = counts.drop_duplicates(["r_score", "f_score"]).set_index(["r_score", "f_score"])
    totals = counts.groupby(["r_score", "f_score"])["n"].sum()
    rows = []
    for r_score in range(bins, 0, -1):
        for f_score in range(1, bins + 1):
            n = int(totals.get((r_score, f_score), 0))
            segment = names[top.loc[(r_score, f_score), "segment"]] if n else None
            rows.append({"r_score": r_score, "f_score": f_score, "segment": segment,
                         "customers": n})
    grid = pd.DataFrame(rows)
    scored = int(keep.sum())
    grid["share"] = grid["customers"] / scored if scored else 0.0
    return grid


class RFMSegmenter(BaseEstimator, ClusterMixin):
    """Named RFM segments (Champions, At risk, Lost, ...) from rules on R, F, M scores.

    Parameters
    ----------
    bins : int, default 5
        Number of scores per column, 2 to 10 (``bins`` is best).
    cuts : dict, optional
        Explicit cut points per column, ``{"recency_days": [...], "n_orders": [...],
        "revenue": [...]}``: ``bins - 1`` strictly ascending numbers each, used
        instead of the learned quantiles for that column (columns left out are
        learned). A value equal to a cut gets the higher score.
    rules : list of dict, optional
        Segment rules in priority order, each ``{"name": str, "r": (lo, hi),
        "f": (lo, hi), "m": (lo, hi)}`` with inclusive score ranges; a key left
        out matches any score and a single score ``"r": 5`` means ``(5, 5)``.
        The first rule that matches wins. Default :data:`DEFAULT_RFM_RULES`,
        written for 5 scores: with other ``bins`` each score is mapped to the
        5-point score whose quantile band holds the middle of its own band
        (with ``bins=3`` the scores 1, 2, 3 read as 1, 3, 5), so ids and names
        stay those of the 5-point map and a few segments may stay empty. Custom
        rules are used as written, on 1..bins. Rule names must be unique
        non-empty texts other than "Others"; invalid rules raise
        :class:`RuleError` (a ``ValueError``) naming the rule.
    random_state : None
        Ignored: the rules are deterministic. Accepted so that the estimator can
        take the place of the clustering models.

    Attributes
    ----------
    edges_ : dict of str to ndarray
        The ``bins - 1`` cut points of each column, learned or given.
    scores_ : DataFrame
        ``r_score``, ``f_score``, ``m_score`` of the fit customers.
    labels_ : ndarray of int64
        Segment of each fit customer: 1..n_rules in rule order, n_rules + 1 for
        "Others" (no rule matched), 0 (:data:`UNCLASSIFIED`) when recency,
        orders or revenue is missing.
    segment_names_ : dict of int to str
        Id -> name for 1..n_rules + 1 (0 is not included).
    rules_ : tuple of dict
        The validated rules, as applied.
    rule_bins_ : int
        The score scale the rules are written on: 5 for the default rules,
        ``bins`` for custom rules.
    bins_ : int
        The validated ``bins``.
    others_id_ : int
        The id of "Others", n_rules + 1.

    Examples
    --------
    >>> model = RFMSegmenter().fit(customers)                       # doctest: +SKIP
    >>> customers["segment"] = pd.Series(model.labels_).map(model.segment_names_)  # +SKIP
    """

    def __init__(self, bins=5, cuts=None, rules=None, random_state=None):
        self.bins = bins
        self.cuts = cuts
        self.rules = rules
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the score cut points from a customer table and label its customers.

        Parameters
        ----------
        X : DataFrame
            Customer table with ``recency_days``, ``n_orders`` and ``revenue``.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        bins = _check_bins(self.bins)
        cuts = _check_cuts(self.cuts, bins)
        rules = _check_rules(DEFAULT_RFM_RULES if self.rules is None else self.rules,
                             DEFAULT_RULE_BINS if self.rules is None else bins)
        edges = {}
        for column in RFM_COLUMNS:
            values = _column(X, column)  # also when cut: the column must be there, numeric
            if column in cuts:
                edges[column] = cuts[column]
                continue
            if np.isnan(values).all():
                raise RuleDataError(
                    f"column {column!r}: no customer has a value to learn score cut points "
                    f"from; give cuts[{column!r}]")
            edges[column] = learn_edges(values, bins, higher_is_better=_HIGHER_IS_BETTER[column])
        self.bins_ = bins
        self.edges_ = edges
        self.rules_ = rules
        self.rule_bins_ = DEFAULT_RULE_BINS if self.rules is None else bins
        self.others_id_ = len(rules) + 1
        self.segment_names_ = {i: rule["name"] for i, rule in enumerate(rules, start=1)}
        self.segment_names_[self.others_id_] = OTHERS
        self.scores_ = rfm_scores(X, edges, bins)
        self.labels_ = _apply_rules(self.scores_, rules, bins, self.rule_bins_)
        return self

    def transform(self, X):
        """R, F, M scores of customers, with the fitted cut points.

        Parameters
        ----------
        X : DataFrame
            Customer table with ``recency_days``, ``n_orders`` and ``revenue``.

        Returns
        -------
        DataFrame
            ``r_score``, ``f_score``, ``m_score`` (see :func:`rfm_scores`).
        """
        check_is_fitted(self)
        return rfm_scores(X, self.edges_, self.bins_)

    def predict(self, X):
        """Segment ids of customers, scored with the cut points learned by ``fit``.

        Parameters
        ----------
        X : DataFrame
            Customer table with ``recency_days``, ``n_orders`` and ``revenue``.

        Returns
        -------
        ndarray of int64
            Ids as in ``labels_``: 1..n_rules, n_rules + 1 "Others", 0 missing data.
        """
        check_is_fitted(self)
        return _apply_rules(self.transform(X), self.rules_, self.bins_, self.rule_bins_)

    def _cell_name(self, r_score: int, f_score: int) -> str:
        """The first rule whose r and f ranges hold the cell (m ignored), else "Others"."""
        cell = {"r": _rule_scale(r_score, self.bins_, self.rule_bins_),
                "f": _rule_scale(f_score, self.bins_, self.rule_bins_)}
        for rule in self.rules_:
            if all(rule[key][0] <= cell[key] <= rule[key][1] for key in cell if key in rule):
                return rule["name"]
        return OTHERS

    def grid(self) -> pd.DataFrame:
        """The R x F grid of the fit customers (:func:`rfm_grid`), every cell named.

        Empty cells are named by the first rule whose r and f ranges hold the
        cell (ignoring m), or "Others".

        Returns
        -------
        DataFrame
            ``r_score``, ``f_score``, ``segment``, ``customers``, ``share``.
        """
        check_is_fitted(self)
        grid = rfm_grid(self.scores_, self.labels_, self.segment_names_, bins=self.bins_)
        named = [
            name if isinstance(name, str) else self._cell_name(r_score, f_score)
            for name, r_score, f_score in zip(grid["segment"], grid["r_score"],
                                              grid["f_score"], strict=True)]
        grid["segment"] = named
        return grid


# ---------------------------------------------------------------------------- age groups


def _whole(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_groups(groups) -> tuple[tuple[str, int, int | None], ...]:
    """Validate age groups: ``name -> (lo, hi)`` whole years, no overlaps, unique names."""
    items = list(groups.items()) if isinstance(groups, Mapping) else groups
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise RuleError("groups: expected a dict of name -> (lowest age, highest age)")
    checked, seen = [], set()
    for position, item in enumerate(items, start=1):
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise RuleError(f"group {position}: expected a (name, (lo, hi)) pair, got {item!r}")
        name, bounds = item
        if not isinstance(name, str) or not name.strip():
            raise RuleError(f"group {position}: the name must be a non-empty text, got {name!r}")
        if name == OTHERS:
            raise RuleError(f"group {name!r}: the name {OTHERS!r} is kept for ages in no group")
        if name in seen:
            raise RuleError(f"group {name!r}: the name is used by an earlier group")
        seen.add(name)
        if isinstance(bounds, str | bytes) or not isinstance(bounds, Sequence) or len(
                bounds) != 2:
            raise RuleError(f"group {name!r}: {bounds!r} is not a (lo, hi) pair of ages")
        lo, hi = bounds
        if not _whole(lo) or not (hi is None or _whole(hi)):
            raise RuleError(
                f"group {name!r}: ({lo!r}, {hi!r}) must be whole years (hi may be None)")
        if lo < 0:
            raise RuleError(f"group {name!r}: the lowest age {lo} is negative")
        if hi is not None and lo > hi:
            raise RuleError(f"group {name!r}: the lowest age {lo} is above the highest {hi}")
        checked.append((name, int(lo), None if hi is None else int(hi)))
    if not checked:
        raise RuleError("groups: no group given")
    by_start = sorted(checked, key=lambda group: group[1])
    for (name_a, _, hi_a), (name_b, lo_b, _) in zip(by_start, by_start[1:], strict=False):
        if hi_a is None or hi_a >= lo_b:
            raise RuleError(f"group {name_b!r} overlaps group {name_a!r}")
    return tuple(checked)


def _age_labels(X, groups: tuple[tuple[str, int, int | None], ...]) -> np.ndarray:
    age = _column(X, "age")
    years = np.floor(age)
    labels = np.where(np.isnan(age), UNCLASSIFIED, len(groups) + 1).astype(np.int64)
    for group_id, (_, lo, hi) in enumerate(groups, start=1):
        upper = math.inf if hi is None else hi
        labels[np.isfinite(years) & (years >= lo) & (years <= upper)] = group_id
    return labels


class AgeGroupSegmenter(BaseEstimator, ClusterMixin):
    """Demographic age groups (children, teenagers, adults, middle-aged, elderly).

    Parameters
    ----------
    groups : dict, optional
        Ordered ``name -> (lo, hi)`` in whole years, inclusive; ``hi=None``
        means no upper bound. Groups must not overlap; gaps are allowed (ages in
        a gap go to "Others"). Default :data:`DEFAULT_AGE_GROUPS`.
    random_state : None
        Ignored; accepted for interface parity with the clustering models.

    Attributes
    ----------
    labels_ : ndarray of int64
        Group of each fit customer: 1..n in the order of ``groups``; n + 1 for
        an age in no group (negative, infinite, or in a gap); 0
        (:data:`UNCLASSIFIED`) when the age is missing. Fractional ages go by
        their whole years (12.9 is 12).
    segment_names_ : dict of int to str
        Id -> name for the groups, plus ``n + 1: "Others"`` only if some fit
        customer is in no group (0 is not included).
    groups_ : tuple of (str, int, int or None)
        The validated groups.
    others_id_ : int
        The id of "Others", n + 1; ``predict`` uses it for any age in no group.
    """

    def __init__(self, groups=None, random_state=None):
        self.groups = groups
        self.random_state = random_state

    def fit(self, X, y=None):
        """Label the customers of a table with an ``age`` column (years).

        Parameters
        ----------
        X : DataFrame
            Customer table with a numeric ``age`` column.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        groups = _check_groups(DEFAULT_AGE_GROUPS if self.groups is None else self.groups)
        self.groups_ = groups
        self.others_id_ = len(groups) + 1
        self.labels_ = _age_labels(X, groups)
        self.segment_names_ = {i: group[0] for i, group in enumerate(groups, start=1)}
        if (self.labels_ == self.others_id_).any():
            self.segment_names_[self.others_id_] = OTHERS
        return self

    def predict(self, X):
        """Age-group ids of customers (as in ``labels_``).

        Parameters
        ----------
        X : DataFrame
            Customer table with a numeric ``age`` column.

        Returns
        -------
        ndarray of int64
        """
        check_is_fitted(self)
        return _age_labels(X, self.groups_)
