"""Show that the segments are meaningful: four explanations to put in front of a client.

``standardized_differences``
    How far each segment sits from the average classified customer on every feature, in
    standard deviations, so that features in different units (orders, money, shares, a
    category) read on one scale. It compares means only: a segment can differ in spread or
    shape without showing here, and it is a description, not a significance test (with
    thousands of customers almost any difference is "significant"). Categorical features
    show their 6 most frequent categories only.
``top_features``
    The few features that set each segment apart most, as sentences ready for a slide
    ("online share 97% vs 45% overall (+2.1 sd)"). Same limits as above.
``explain_tree``
    A shallow decision tree that predicts the segment from the raw feature values, read as
    rules ("n orders > 20.5 and online share <= 0.30"). The segments were found by
    clustering transformed, standardised features, so the tree is an *approximation* of the
    segmentation, not the segmentation itself. Its ``fidelity`` (accuracy on customers held
    out from fitting) says how far the rules can be trusted: near 1, the rules are the
    segments; well below 1, the segments are not a few thresholds at this depth (which does
    not make them wrong, only harder to state). A rule's ``precision`` and ``coverage`` say
    how pure the rule's customers are and how much of the segment it describes.
``method_agreement``
    Whether several segmentations (other methods, seeds or k) found the same groups: the
    adjusted Rand index of every pair, 1 for the same partition whatever the segment ids,
    about 0 for agreement no better than chance. It says nothing about which one is right.

Customers with segment 0 ("unclassified", too little data) are left out of everything.
Labels are matched to the table's rows by position. Every function is pure: inputs are
never modified and the same inputs (and ``random_state``) give the same output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, adjusted_rand_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from seglib.errors import DataError, ModelError

__all__ = [
    "TreeExplanation",
    "explain_tree",
    "method_agreement",
    "standardized_differences",
    "top_features",
]

#: The "unclassified" segment id (the same as ``seglib.segment.UNCLASSIFIED``).
UNCLASSIFIED = 0
#: Categories per categorical feature in the standardised differences.
PROFILE_CATEGORIES = 6
#: Categories per categorical feature one-hot encoded for the tree; the rest are "other".
TREE_CATEGORIES = 10
#: The tree is fitted on at most this many customers (a seeded sample of the training part).
MAX_TRAIN_ROWS = 200_000
#: The rule of a segment that is the majority of no leaf.
NO_LEAF_RULE = "(no leaf: the tree cannot separate this segment at this depth)"
#: The rule of a tree that did not split at all.
ROOT_RULE = "(all customers)"

_SHARE_SUFFIXES = ("_share", "_rate")


# --------------------------------------------------------------------------------------------
# inputs


def _segment_ids(labels, n_rows: int | None = None, what: str = "labels") -> np.ndarray:
    """Labels as an int64 array (missing -> 0, unclassified), checked against the table."""
    try:
        values = pd.Series(labels).to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise DataError(f"{what}: segment ids must be integers (0 = unclassified)") from err
    if n_rows is not None and len(values) != n_rows:
        raise DataError(
            f"{what}: {len(values)} segment ids for a table of {n_rows} rows; give one id per "
            "row, in the table's order"
        )
    values = np.where(np.isnan(values), UNCLASSIFIED, values)
    if not np.all(values == np.round(values)):
        raise DataError(f"{what}: segment ids must be integers (0 = unclassified)")
    return values.astype(np.int64)


def _check_features(table: pd.DataFrame, features: list[str]) -> list[str]:
    """The feature list without duplicates; every feature is a numeric or categorical column."""
    features = list(dict.fromkeys(features))
    if not features:
        raise DataError("features: give at least one column of the table")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise DataError(
            f"features: {missing} not in the table; its columns are: "
            f"{', '.join(map(str, table.columns))}"
        )
    dates = [f for f in features if pd.api.types.is_datetime64_any_dtype(table[f])
             or pd.api.types.is_timedelta64_dtype(table[f])]
    if dates:
        raise DataError(f"features: {dates} are dates; give numeric or categorical columns "
                        "(e.g. days since the date)")
    return features


def _is_categorical(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column.dtype)


def _as_float(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _top_categories(column: pd.Series, limit: int) -> list:
    """The ``limit`` most frequent non-missing values, ties in text order."""
    counts = column.value_counts(dropna=True)
    counts = counts[counts > 0]
    ranked = sorted(zip(counts.index, counts.to_numpy(), strict=True),
                    key=lambda item: (-item[1], str(item[0])))
    return [category for category, _ in ranked[:limit]]


def _readable(feature: str) -> str:
    return str(feature).replace("_", " ")


# --------------------------------------------------------------------------------------------
# standardised differences and top features


@dataclass(frozen=True)
class _Measure:
    """One profile column: a numeric feature or one category of a categorical feature."""

    kind: str           # "number", "share" (*_share, *_rate, bool) or "category"
    feature: str        # the table's column
    category: str = ""  # the category's text, for kind "category"


def _profile_matrix(rows: pd.DataFrame, features: list[str]
                    ) -> tuple[pd.DataFrame, dict[str, _Measure]]:
    """Numeric features as floats, top categories as 0/1 indicators; NaN where missing."""
    columns: dict[str, np.ndarray] = {}
    measures: dict[str, _Measure] = {}
    for feature in features:
        column = rows[feature]
        if _is_categorical(column):
            known = column.notna().to_numpy()
            for category in _top_categories(column, PROFILE_CATEGORIES):
                name = f"{feature} = {category}"
                indicator = column.isin([category]).to_numpy(dtype="float64")
                indicator[~known] = np.nan
                columns[name] = indicator
                measures[name] = _Measure("category", feature, str(category))
        else:
            columns[feature] = _as_float(column)
            share = (str(feature).endswith(_SHARE_SUFFIXES)
                     or pd.api.types.is_bool_dtype(column.dtype))
            measures[feature] = _Measure("share" if share else "number", feature)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows))), measures


def _profile(table: pd.DataFrame, labels, features: list[str]):
    """Segment means, overall means, standardised differences and what each column measures."""
    segment = _segment_ids(labels, len(table))
    features = _check_features(table, features)
    classified = segment != UNCLASSIFIED
    values, measures = _profile_matrix(table.loc[classified, features], features)
    segment = segment[classified]
    overall = values.mean()
    spread = values.std(ddof=0)
    means = values.groupby(segment).mean()
    means.index = means.index.astype(np.int64)
    means.index.name = "segment"
    means.columns.name = None
    diffs = (means - overall) / spread
    # a constant column has no spread: no segment differs from the rest
    constant = values.min() == values.max()
    for name in values.columns[constant.to_numpy()]:
        diffs[name] = np.where(means[name].notna(), 0.0, np.nan)
    return means, overall, diffs, measures


def standardized_differences(table: pd.DataFrame, labels, features: list[str]) -> pd.DataFrame:
    """How far each segment's mean is from the classified customers' mean, in standard deviations.

    Numeric feature: ``(segment mean - overall mean) / overall std`` (``ddof=0``, missing
    values skipped). Categorical feature: one column per category, ``"<feature> =
    <category>"``, for its 6 most frequent categories, with ``(segment share - overall
    share) / sqrt(p (1 - p))``, ``p`` the overall share (shares among customers whose value
    is known). "Overall" means all classified customers; segment 0 is left out.

    Parameters
    ----------
    table : DataFrame
        One row per customer.
    labels : array-like of int
        Segment id of each row of ``table`` (by position); 0 (or missing) = unclassified.
    features : list of str
        Columns of ``table`` to compare: numeric, or categorical (text, category).

    Returns
    -------
    DataFrame
        Index ``segment`` (sorted ids, 0 excluded); one column per numeric feature and per
        shown category, in ``features`` order. A constant column gives 0; a segment with no
        known value of a feature gives NaN.

    Raises
    ------
    DataError
        A feature is not in the table or is a date, or ``labels`` does not match the table.
    """
    return _profile(table, labels, features)[2]


def _format_pair(segment_value: float, overall_value: float, kind: str) -> tuple[str, str]:
    """Both values with the same rounding: percentages for shares, else by magnitude."""
    size = max(abs(segment_value), abs(overall_value))
    if kind in ("share", "category"):
        spec = ".1%" if size < 0.1 else ".0%"
    elif size >= 100:
        spec = ",.0f"
    elif size >= 10:
        spec = ",.1f"
    elif size >= 0.1 or size == 0:
        spec = ",.2f"
    else:
        spec = ".3g"
    return format(segment_value, spec), format(overall_value, spec)


def _describe(measure: _Measure, segment_value: float, overall_value: float,
              std_diff: float) -> str:
    ours, theirs = _format_pair(segment_value, overall_value, measure.kind)
    sd = f"({std_diff:+.1f} sd)"
    if measure.kind == "category":
        return f"{_readable(measure.feature)} = {measure.category}: {ours} vs {theirs} overall {sd}"
    return f"{_readable(measure.feature)} {ours} vs {theirs} overall {sd}"


def top_features(table: pd.DataFrame, labels, features: list[str], n: int = 3) -> pd.DataFrame:
    """The ``n`` features that set each segment apart most, with a readable line each.

    Features (and categories, see `standardized_differences`) are ranked per segment by the
    absolute standardised difference; ties keep the ``features`` order. Features on which
    the segment does not differ at all (0, e.g. a constant feature) or cannot be compared
    (NaN) are not listed, so a segment can have fewer than ``n`` rows.

    Parameters
    ----------
    table : DataFrame
        One row per customer.
    labels : array-like of int
        Segment id of each row of ``table`` (by position); 0 (or missing) = unclassified.
    features : list of str
        Columns of ``table`` to compare: numeric, or categorical (text, category).
    n : int
        Features per segment.

    Returns
    -------
    DataFrame
        ``segment``, ``rank`` (1 = most distinctive), ``feature`` (the column, or
        ``"<feature> = <category>"``), ``segment_value`` and ``overall_value`` (means; shares
        for categories), ``std_diff``, ``direction`` (``"higher"`` or ``"lower"``) and
        ``text``, e.g. ``"n orders 25.0 vs 14.4 overall (+1.0 sd)"`` or ``"gender = female:
        81% vs 52% overall (+0.6 sd)"``. Shares (``*_share``, ``*_rate``, true/false, categories)
        read as percentages, other numbers rounded by size with thousands separators.

    Raises
    ------
    DataError
        A feature is not in the table or is a date, or ``labels`` does not match the table.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    means, overall, diffs, measures = _profile(table, labels, features)
    rows = []
    for segment in diffs.index:
        gaps = diffs.loc[segment]
        shown = [i for i, gap in enumerate(gaps.to_numpy()) if np.isfinite(gap) and gap != 0]
        shown = sorted(shown, key=lambda i: -abs(gaps.iloc[i]))[:n]
        for rank, position in enumerate(shown, start=1):
            name = diffs.columns[position]
            gap = float(gaps.iloc[position])
            ours, theirs = float(means.loc[segment, name]), float(overall[name])
            rows.append({
                "segment": int(segment), "rank": rank, "feature": name,
                "segment_value": ours, "overall_value": theirs, "std_diff": gap,
                "direction": "higher" if gap > 0 else "lower",
                "text": _describe(measures[name], ours, theirs, gap),
            })
    columns = ["segment", "rank", "feature", "segment_value", "overall_value", "std_diff",
               "direction", "text"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------
# decision tree


@dataclass(frozen=True)
class _Column:
    """One column the tree sees."""

    name: str
    feature: str
    kind: str            # "number", "bool", "category" or "other"
    label: str = ""      # category text shown in rules
    categories: tuple = ()  # "category": (the category,); "other": the named categories


def _tree_columns(train: pd.DataFrame, features: list[str]
                  ) -> tuple[list[_Column], dict[str, float]]:
    """Columns learnt from the training rows, and the medians that fill missing numbers."""
    columns: list[_Column] = []
    medians: dict[str, float] = {}
    for feature in features:
        column = train[feature]
        if _is_categorical(column):
            top = _top_categories(column, TREE_CATEGORIES)
            for category in top:
                columns.append(_Column(f"{feature} = {category}", feature, "category",
                                       str(category), (category,)))
            if column.nunique(dropna=True) > len(top):
                label = "(other)" if "other" in map(str, top) else "other"
                columns.append(_Column(f"{feature} = {label}", feature, "other", label,
                                       tuple(top)))
        else:
            values = _as_float(column)
            known = values[~np.isnan(values)]
            medians[feature] = float(np.median(known)) if len(known) else 0.0
            kind = "bool" if pd.api.types.is_bool_dtype(column.dtype) else "number"
            columns.append(_Column(feature, feature, kind))
    return columns, medians


def _encode(rows: pd.DataFrame, columns: list[_Column], medians: dict[str, float]) -> np.ndarray:
    matrix = np.empty((len(rows), len(columns)), dtype="float64")
    for j, column in enumerate(columns):
        values = rows[column.feature]
        if column.kind in ("number", "bool"):
            numbers = _as_float(values)
            matrix[:, j] = np.where(np.isnan(numbers), medians[column.feature], numbers)
        elif column.kind == "category":
            matrix[:, j] = values.isin(column.categories).to_numpy(dtype="float64")
        else:
            rest = values.notna() & ~values.isin(column.categories)
            matrix[:, j] = rest.to_numpy(dtype="float64")
    return matrix


def _format_threshold(value: float, extra: int = 0) -> str:
    size = abs(value)
    if size >= 10_000:
        decimals = 0
    elif size >= 10:
        decimals = 1
    elif size >= 0.01 or size == 0:
        decimals = 1 if abs(value * 10 - round(value * 10)) < 1e-9 else 2  # 6.5, not 6.50
    else:
        return f"{value:.{3 + extra}g}"
    return f"{value:,.{decimals + extra}f}"


def _range_text(name: str, lower: float | None, upper: float | None) -> str:
    if lower is None:
        return f"{name} <= {_format_threshold(upper)}"
    if upper is None:
        return f"{name} > {_format_threshold(lower)}"
    for extra in range(6):  # enough digits that the two ends read differently
        low, high = _format_threshold(lower, extra), _format_threshold(upper, extra)
        if low != high:
            break
    return f"{low} < {name} <= {high}"


def _rule_text(path: list[tuple[int, bool, float]], columns: list[_Column]) -> str:
    """One leaf's path as text, the conditions on one feature merged into one."""
    if not path:
        return ROOT_RULE
    conditions: dict[str, dict] = {}  # by feature, in order of first use
    for index, goes_left, threshold in path:
        column = columns[index]
        state = conditions.setdefault(column.feature, {"kind": column.kind, "lower": None,
                                                       "upper": None, "is": None, "not": []})
        if column.kind == "number":
            if goes_left:  # x <= threshold
                state["upper"] = threshold if state["upper"] is None else min(state["upper"],
                                                                              threshold)
            else:
                state["lower"] = threshold if state["lower"] is None else max(state["lower"],
                                                                              threshold)
        elif column.kind == "bool":
            state["is"] = "False" if goes_left else "True"
        elif goes_left:  # a one-hot column is 0: not this category
            state["not"].append(column.label)
        else:
            state["is"] = column.label
    parts = []
    for feature, state in conditions.items():
        name = _readable(feature)
        if state["kind"] == "number":
            parts.append(_range_text(name, state["lower"], state["upper"]))
        elif state["is"] is not None:  # "= female" makes any "is not male" redundant
            parts.append(f"{name} = {state['is']}")
        elif len(state["not"]) == 1:
            parts.append(f"{name} is not {state['not'][0]}")
        else:
            parts.append(f"{name} is none of {', '.join(state['not'])}")
    return " and ".join(parts)


def _leaf_paths(tree: DecisionTreeClassifier) -> dict[int, list[tuple[int, bool, float]]]:
    """Each leaf's node id -> its conditions from the root: (column, goes left, threshold)."""
    structure = tree.tree_
    paths: dict[int, list[tuple[int, bool, float]]] = {}
    stack: list[tuple[int, list]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = structure.children_left[node], structure.children_right[node]
        if left == -1:
            paths[int(node)] = path
            continue
        column, threshold = int(structure.feature[node]), float(structure.threshold[node])
        stack.append((right, path + [(column, False, threshold)]))
        stack.append((left, path + [(column, True, threshold)]))
    return dict(sorted(paths.items()))


def _rules(tree: DecisionTreeClassifier, columns: list[_Column], X_train: np.ndarray,
           y_train: np.ndarray, segments: np.ndarray) -> pd.DataFrame:
    classes = tree.classes_
    counts = np.zeros((tree.tree_.node_count, len(classes)))
    np.add.at(counts, (tree.apply(X_train), np.searchsorted(classes, y_train)), 1)
    segment_sizes = counts.sum(axis=0)
    rows = []
    for leaf, path in _leaf_paths(tree).items():
        majority = int(np.argmax(counts[leaf]))
        customers = counts[leaf].sum()
        rows.append({
            "segment": int(classes[majority]), "rule": _rule_text(path, columns),
            "customers": int(customers),
            "precision": counts[leaf, majority] / customers,
            "coverage": counts[leaf, majority] / segment_sizes[majority],
        })
    described = {row["segment"] for row in rows}
    for segment in segments:
        if int(segment) not in described:
            rows.append({"segment": int(segment), "rule": NO_LEAF_RULE, "customers": 0,
                         "precision": np.nan, "coverage": 0.0})
    rules = pd.DataFrame(rows, columns=["segment", "rule", "customers", "precision",
                                        "coverage"])
    rules = rules.sort_values(["segment", "coverage", "customers", "rule"],
                              ascending=[True, False, False, True], kind="stable")
    return rules.reset_index(drop=True)


@dataclass
class TreeExplanation:
    """A shallow decision tree that predicts the segment from the raw features, as rules.

    Attributes
    ----------
    rules : DataFrame
        One row per leaf, under the leaf's majority segment: ``segment``, ``rule`` (text),
        ``customers`` (training customers in the leaf), ``precision`` (share of them in that
        segment), ``coverage`` (share of the segment's training customers in the leaf).
        Sorted by segment, then coverage (largest first). A segment that is the majority of
        no leaf has one row with the rule `NO_LEAF_RULE`, 0 customers, NaN precision.
    fidelity : float
        Accuracy on the held-out customers: how far the rules reproduce the segments.
    train_accuracy : float
        Accuracy on the training customers (much above ``fidelity`` means overfitting).
    n_train, n_test : int
        Customers the tree was fitted on (at most ``max_train_rows``) and tested on.
    stratified : bool
        Whether the train/test split kept the segments' proportions (False when a segment
        is too small for that).
    tree : DecisionTreeClassifier
        The fitted tree; its input columns are ``feature_names``.
    feature_names : list of str
        The tree's columns: numeric features as named, categories as
        ``"<feature> = <category>"`` (and ``"<feature> = other"`` for the rest).
    imputed_medians : dict of str to float
        The training median that replaced missing values of each numeric feature.
    """

    rules: pd.DataFrame
    fidelity: float
    train_accuracy: float
    n_train: int
    n_test: int
    stratified: bool
    tree: DecisionTreeClassifier
    feature_names: list[str]
    imputed_medians: dict[str, float] = field(default_factory=dict)


def explain_tree(table: pd.DataFrame, labels, features: list[str], *, max_depth: int = 3,
                 test_size: float = 0.3, random_state: int = 0,
                 max_train_rows: int = MAX_TRAIN_ROWS) -> TreeExplanation:
    """Fit a shallow decision tree that predicts the segment, and read it as rules.

    The classified customers are split into training and test parts (``test_size`` held
    out), stratified by segment; when a segment has fewer than 2 customers or the test or
    training part would have fewer customers than there are segments, the split is not
    stratified (``stratified`` says which). The tree is fitted on the training part, or on a
    seeded sample of ``max_train_rows`` of it for large tables, with
    ``min_samples_leaf = max(5, 1% of the training customers)``. It sees the raw values:
    numeric features with missing values filled by the training median, categorical ones
    one-hot encoded (their 10 most frequent training categories, the rest as ``"<feature> =
    other"``; a missing category is none of them).

    Parameters
    ----------
    table : DataFrame
        One row per customer.
    labels : array-like of int
        Segment id of each row of ``table`` (by position); 0 (or missing) = unclassified,
        left out.
    features : list of str
        Columns of ``table`` the rules may use: numeric, or categorical (text, category).
    max_depth : int
        Depth of the tree: conditions per rule at most.
    test_size : float
        Share of the classified customers held out to measure the fidelity.
    random_state : int
        Seed of the split, the sample and the tree.
    max_train_rows : int
        At most this many training customers are used to fit (fast at a million customers).

    Returns
    -------
    TreeExplanation
        The rules, ``fidelity`` (held-out accuracy), ``train_accuracy``, ``n_train``,
        ``n_test``, the fitted ``tree`` and its ``feature_names``.

    Raises
    ------
    DataError
        A feature is not in the table or is a date, or ``labels`` does not match the table.
    ModelError
        Fewer than two segments, or too few classified customers to hold some out.
    """
    segment = _segment_ids(labels, len(table))
    features = _check_features(table, features)
    rows = np.flatnonzero(segment != UNCLASSIFIED)
    y = segment[rows]
    segments, sizes = np.unique(y, return_counts=True)
    if len(segments) < 2:
        raise ModelError(
            f"explain_tree needs at least two segments to separate; the classified customers "
            f"have {len(segments)}"
        )
    n_test = math.ceil(test_size * len(rows))
    n_fit = len(rows) - n_test
    if n_test < 1 or n_fit < 1:
        raise ModelError(
            f"{len(rows)} classified customers are too few to hold {test_size:.0%} out for "
            "testing the tree; give more customers or another test_size"
        )
    stratified = bool(sizes.min() >= 2 and n_test >= len(segments) and n_fit >= len(segments))
    train_at, test_at = train_test_split(np.arange(len(rows)), test_size=test_size,
                                         random_state=random_state,
                                         stratify=y if stratified else None)
    if len(train_at) > max_train_rows:
        rng = np.random.default_rng(random_state)
        train_at = np.sort(rng.choice(train_at, size=max_train_rows, replace=False))
    train = table.iloc[rows[train_at]][features]
    test = table.iloc[rows[test_at]][features]
    columns, medians = _tree_columns(train, features)
    X_train, X_test = _encode(train, columns, medians), _encode(test, columns, medians)
    y_train, y_test = y[train_at], y[test_at]
    tree = DecisionTreeClassifier(max_depth=max_depth,
                                  min_samples_leaf=max(5, len(train_at) // 100),
                                  class_weight=None, random_state=random_state)
    tree.fit(X_train, y_train)
    return TreeExplanation(
        rules=_rules(tree, columns, X_train, y_train, segments),
        fidelity=float(accuracy_score(y_test, tree.predict(X_test))),
        train_accuracy=float(accuracy_score(y_train, tree.predict(X_train))),
        n_train=len(train_at),
        n_test=len(test_at),
        stratified=stratified,
        tree=tree,
        feature_names=[column.name for column in columns],
        imputed_medians=medians,
    )


# --------------------------------------------------------------------------------------------
# agreement between segmentations


def method_agreement(labels_by_method: dict[str, np.ndarray]) -> pd.DataFrame:
    """Adjusted Rand index between every pair of segmentations of the same customers.

    1 means the same partition (whatever the segment ids), about 0 no more agreement than
    chance (it can be slightly negative). Customers unclassified (0) by *any* method are
    left out of every pair, so all pairs compare the same customers.

    Parameters
    ----------
    labels_by_method : dict of str to array-like of int
        Segment ids per method, all of the same customers in the same order.

    Returns
    -------
    DataFrame
        Symmetric; index and columns the method names in the given order; diagonal 1.0.
        NaN off the diagonal when fewer than two customers are classified by every method.

    Raises
    ------
    DataError
        The label arrays differ in length or are not integer ids.
    """
    names = list(labels_by_method)
    arrays = [_segment_ids(labels_by_method[name], what=f"labels of {name!r}") for name in names]
    lengths = {name: len(array) for name, array in zip(names, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        raise DataError(f"the label arrays differ in length: {lengths}; give the same customers "
                        "in the same order to every method")
    keep = np.logical_and.reduce([array != UNCLASSIFIED for array in arrays]) if arrays else None
    matrix = np.eye(len(names))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            score = (adjusted_rand_score(arrays[i][keep], arrays[j][keep])
                     if keep.sum() >= 2 else np.nan)
            matrix[i, j] = matrix[j, i] = score
    return pd.DataFrame(matrix, index=pd.Index(names), columns=pd.Index(names))
