"""Bases of segmentation, the features they stand for, and the preprocessing pipeline.

A *basis* is a point of view on the customer (who they are, what they do, what
they are worth...). Each basis names the customer-table columns it uses; a run
picks one or several bases (``segmentation.bases``) or an explicit feature list
(``segmentation.features``, canonical names or the client's own column names).
Columns a basis names but the data do not have are skipped; a basis with no
column at all in the data is an error naming the basis and what it needs.

Preprocessing is one scikit-learn pipeline, saved with the model so new
customers go through exactly the same steps: numeric features get the median
for missing values, a signed log for right-skewed money and counts (a few big
spenders would otherwise dominate) and standardisation; categorical features
get the most frequent value for missing ones and a one-hot encoding scaled by
sqrt(1/2), so that two customers with different categories are 1 apart, the
same as one standard deviation of a numeric feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from seglib.errors import DataError

#: Columns (canonical names) each basis uses, in the order tried. A name ending in "*" is
#: a prefix (``category_share_*``); "survey:" entries are resolved from the survey items.
BASES: dict[str, tuple[str, ...]] = {
    "behavioural": ("n_orders", "avg_order_value", "online_share", "store_share",
                    "phone_share", "special_occasion_share"),
    "demographic": ("age", "income", "household_size", "gender", "education", "occupation",
                    "marital_status", "industry", "company_size"),
    "geographic": ("city", "region", "province", "country", "distance_to_store_km"),
    "value": ("revenue", "margin", "orders_per_year", "recency_days"),
    "psychographic": ("survey:factors",),
    "buying_psychology": ("buying_psychology", "days_to_first_purchase", "web_savviness",
                          "researches_before_buying", "buys_on_impulse"),
    "needs": ("survey:needs", "category_share_*"),
}

#: What each basis means, for messages and the notebook.
BASIS_MEANING = {
    "behavioural": "what customers do: how often, how much, through which channel, "
                   "for which occasions",
    "demographic": "who they are: age, income, household, gender, education, occupation",
    "geographic": "where they are: city, region, distance to a store",
    "value": "what they are worth to the business: revenue, margin, purchase rate, recency",
    "psychographic": "what they value: survey attitudes (the survey factors when the survey "
                     "has enough items, otherwise the items)",
    "buying_psychology": "how they decide: instant, hesitant or researched buyers, time from "
                         "first visit to first purchase, web savviness",
    "needs": "what they need and want: survey items on what they value, and the categories "
             "they spend on",
}

#: The bases used when the config names neither bases nor features.
DEFAULT_BASES = ("behavioural", "demographic")

#: Bases whose features come from purchases: a customer needs enough orders to be judged.
PURCHASE_BASES = ("behavioural", "value")

#: Columns computed from the transactions: a customer with too few orders has no real value.
PURCHASE_FEATURES = frozenset(BASES["behavioural"] + BASES["value"] + (
    "gross_revenue", "refunds", "tenure_days", "purchase_days", "mean_days_between_purchases",
    "margin_rate", "returns_rate", "refund_rate", "favourite_category", "clv_frequency",
    "clv_recency", "clv_T", "clv_monetary_value"))

#: Money and count features that are right-skewed: signed log before scaling.
SKEWED = frozenset((
    "n_orders", "avg_order_value", "income", "revenue", "gross_revenue", "margin",
    "orders_per_year", "social_followers", "service_contacts", "tenure_days", "recency_days",
    "purchase_days", "mean_days_between_purchases", "days_to_first_purchase", "refunds",
    "clv_frequency", "clv_monetary_value", "web_sessions", "web_page_views", "company_size",
    "distance_to_store_km"))

#: Survey items that express a need or a preference (the "needs" basis).
NEEDS_PATTERN = re.compile(r"^(values?|needs?|wants?|prefers?|importance|important)_")

#: Categorical features keep at most this many categories; the rarer ones become one.
MAX_CATEGORIES = 10

#: One-hot columns are scaled so that a category mismatch costs 1 in squared distance.
ONE_HOT_SCALE = float(np.sqrt(0.5))

#: Columns never used as features: ids, dates and free text.
NOT_FEATURES = frozenset(("customer_id", "first_purchase", "last_purchase", "signup_date",
                          "web_first_visit"))


def is_categorical(values: pd.Series) -> bool:
    """True for text, category and boolean columns (encoded as categories)."""
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _survey_items(customers: pd.DataFrame, origin: Mapping[str, str]) -> list[str]:
    return [c for c, where in origin.items()
            if where == "survey" and c in customers.columns
            and not c.startswith("survey_factor_")
            and pd.api.types.is_numeric_dtype(customers[c])]


def basis_columns(customers: pd.DataFrame, basis: str,
                  origin: Mapping[str, str] | None = None) -> list[str]:
    """The columns of ``customers`` that stand for one basis (possibly none)."""
    origin = origin or {}
    columns: list[str] = []
    for entry in BASES[basis]:
        if entry == "survey:factors":
            factors = sorted((c for c in customers.columns if c.startswith("survey_factor_")),
                             key=lambda c: int(c.rsplit("_", 1)[1]) if c[-1].isdigit() else 0)
            columns += factors or _survey_items(customers, origin)
        elif entry == "survey:needs":
            columns += [c for c in _survey_items(customers, origin) if NEEDS_PATTERN.match(c)]
        elif entry.endswith("*"):
            columns += [c for c in customers.columns if c.startswith(entry[:-1])]
        elif entry in customers.columns:
            columns.append(entry)
    # a column with no value at all, or one single value, cannot set customers apart
    return [c for c in dict.fromkeys(columns) if _varies(customers[c])]


def _varies(values: pd.Series) -> bool:
    first = values.dropna()
    return bool(len(first)) and bool((first != first.iloc[0]).any())


def resolve_features(customers: pd.DataFrame, *, bases: Iterable[str] | None = None,
                     features: Iterable[str] | None = None,
                     origin: Mapping[str, str] | None = None,
                     source_names: Mapping[str, str] | None = None) -> list[str]:
    """The feature columns of a run, from explicit ``features`` or from ``bases``.

    Parameters
    ----------
    customers : DataFrame
        The customer table of the collection stage.
    bases : iterable of str, optional
        Names from :data:`BASES`; ignored when ``features`` is given.
    features : iterable of str, optional
        Column names, canonical or as the client named them in the source file.
    origin : mapping, optional
        Canonical column -> source it came from (``collect.json``'s ``columns``),
        used to find survey items.
    source_names : mapping, optional
        Canonical column -> the client's column name, so that features can be
        given either way.

    Raises
    ------
    DataError
        For an unknown column (listing the columns there are), a feature that is
        an id or a date, or a basis the data have no column for.
    """
    if features:
        by_client = {client: canon for canon, client in (source_names or {}).items()}
        chosen = []
        missing = []
        for name in features:
            column = name if name in customers.columns else by_client.get(name)
            if column is None or column not in customers.columns:
                missing.append(name)
            else:
                chosen.append(column)
        if missing:
            raise DataError(
                f"segmentation.features: {missing} not in the customer table; its columns are: "
                f"{', '.join(c for c in customers.columns if c not in NOT_FEATURES)}"
            )
        unusable = [c for c in chosen if c in NOT_FEATURES
                    or pd.api.types.is_datetime64_any_dtype(customers[c])]
        if unusable:
            raise DataError(
                f"segmentation.features: {unusable} are ids or dates, not traits to segment on; "
                "use a derived column instead (e.g. recency_days or tenure_days for a date)"
            )
        empty = [c for c in chosen if customers[c].isna().all()]
        if empty:
            raise DataError(f"segmentation.features: {empty} have no value for any customer")
        return list(dict.fromkeys(chosen))
    if not bases:  # the defaults: those the data can support, else the value basis
        available = [b for b in (*DEFAULT_BASES, "value") if basis_columns(customers, b, origin)]
        if not available:
            raise DataError(
                "the customer table has no column of the default bases (behavioural, "
                "demographic, value); list the columns to segment on in "
                "segmentation.features. Its columns are: "
                f"{', '.join(c for c in customers.columns if c not in NOT_FEATURES)}")
        bases = [b for b in available if b in DEFAULT_BASES] or ["value"]
    chosen = []
    for basis in bases:
        if basis not in BASES:
            raise DataError(f"segmentation.bases: unknown basis {basis!r}; expected some of "
                            f"{', '.join(BASES)}")
        columns = basis_columns(customers, basis, origin)
        if not columns:
            wanted = ", ".join(e for e in BASES[basis] if ":" not in e)
            extra = {"psychographic": "survey items (data.survey)",
                     "needs": "survey items named values_* / needs_* or category shares"}
            raise DataError(
                f"segmentation.bases: the customer table has no column for the {basis} basis "
                f"({BASIS_MEANING[basis]}); it needs some of: {extra.get(basis, wanted)}. "
                "Add the source that has them or choose other bases"
            )
        chosen += columns
    return list(dict.fromkeys(chosen))


def split_kinds(customers: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """(numeric, categorical) features, in the given order."""
    categorical = [f for f in features if is_categorical(customers[f])]
    return [f for f in features if f not in categorical], categorical


def uses_purchases(features: Iterable[str]) -> bool:
    """True when any feature comes from purchase history."""
    return any(f in PURCHASE_FEATURES or f.startswith("category_share_") for f in features)


def classifiable(customers: pd.DataFrame, features: list[str], *, min_orders: int,
                 new_days: int = 0, max_missing_share: float = 0.5) -> pd.Series:
    """True for customers with enough data to be segmented on these features.

    A customer is unclassified (False) when more than ``max_missing_share`` of
    the features are missing for them; and, when purchase features are used,
    when they have fewer than ``min_orders`` orders or made their first
    purchase less than ``new_days`` days ago (too new to judge). A
    customers-only run on demographic features leaves nobody out for lack of
    orders.
    """
    enough = pd.Series(True, index=customers.index)
    missing = customers[features].isna().mean(axis=1)
    enough &= missing <= max_missing_share
    if uses_purchases(features):
        if "n_orders" in customers.columns:
            enough &= customers["n_orders"].fillna(0) >= min_orders
        if new_days and "tenure_days" in customers.columns:
            enough &= customers["tenure_days"].fillna(0) >= new_days
    return enough


def unclassified_reasons(customers: pd.DataFrame, features: list[str], *, min_orders: int,
                         new_days: int = 0, max_missing_share: float = 0.5) -> pd.Series:
    """Why each unclassified customer is left out (empty string for the classified)."""
    reason = pd.Series("", index=customers.index, dtype=object)
    missing = customers[features].isna().mean(axis=1)
    reason[missing > max_missing_share] = (
        f"more than {max_missing_share:.0%} of the segmentation features missing")
    if uses_purchases(features):  # the purchase history says more than "features missing"
        if new_days and "tenure_days" in customers.columns:
            reason[customers["tenure_days"].fillna(0) < new_days] = (
                f"first purchase less than {new_days} days ago")
        if "n_orders" in customers.columns:
            orders = customers["n_orders"].fillna(0)
            reason[(orders < min_orders) & (orders > 0)] = f"fewer than {min_orders} orders"
            reason[orders == 0] = "no purchase yet"
    return reason


def _signed_log1p(values):
    return np.sign(values) * np.log1p(np.abs(values))


def make_preprocessor(numeric: list[str], categorical: list[str],
                      skewed: Iterable[str] = SKEWED) -> Pipeline:
    """The pipeline from customer-table columns to the matrix the segmenters cluster.

    Output columns: the numeric features (standardised), then one block of
    one-hot columns per categorical feature (values 0 or sqrt(1/2)).
    """
    skewed = set(skewed)
    logged = [f for f in numeric if f in skewed]
    plain = [f for f in numeric if f not in skewed]
    steps = []
    if logged:
        steps.append(("skewed", make_pipeline(SimpleImputer(strategy="median"),
                                              FunctionTransformer(_signed_log1p,
                                                                  feature_names_out="one-to-one"),
                                              StandardScaler()), logged))
    if plain:
        steps.append(("plain", make_pipeline(SimpleImputer(strategy="median"),
                                             StandardScaler()), plain))
    for name in categorical:
        steps.append((f"cat:{name}", make_pipeline(
            CategoryImputer(),
            OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                          sparse_output=False, dtype=np.float64),
            FunctionTransformer(_scale_one_hot, feature_names_out="one-to-one")), [name]))
    return Pipeline([("prepare", ColumnTransformer(steps, verbose_feature_names_out=False))])


class CategoryImputer(TransformerMixin, BaseEstimator):
    """Categories as text, missing ones replaced by the most frequent value.

    The most frequent value is counted with pandas (scikit-learn's
    ``SimpleImputer(strategy="most_frequent")`` counts Python objects one by one:
    17 s on a million customers); ties go to the first value in sorted order.
    """

    def fit(self, X, y=None):
        """Learn each column's most frequent value."""
        frame = pd.DataFrame(X)
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.fill_ = []
        for column in frame.columns:
            counts = frame[column].dropna().astype(str).value_counts()
            top = counts[counts == counts.max()].index if len(counts) else pd.Index(["missing"])
            self.fill_.append(sorted(top)[0])
        return self

    def transform(self, X):
        """Text values, the missing ones filled."""
        frame = pd.DataFrame(X)
        out = np.empty(frame.shape, dtype=object)
        for i, column in enumerate(frame.columns):
            values = frame[column]
            out[:, i] = values.astype(str).where(values.notna(), self.fill_[i]).to_numpy(object)
        return out

    def get_feature_names_out(self, input_features=None):
        """The input names, unchanged."""
        return np.asarray(input_features if input_features is not None
                          else self.feature_names_in_, dtype=object)


def _scale_one_hot(values):
    return np.asarray(values, dtype=np.float64) * ONE_HOT_SCALE


def categorical_blocks(preprocessor: Pipeline, categorical: list[str]) -> list[list[int]]:
    """Column indices of each categorical feature's one-hot block in the output matrix."""
    transformer = preprocessor.named_steps["prepare"]
    blocks, start = [], 0
    for name, _, columns in transformer.transformers_:
        if name == "remainder":
            continue
        width = len(transformer.named_transformers_[name].get_feature_names_out(columns))
        if name.startswith("cat:"):
            blocks.append(list(range(start, start + width)))
        start += width
    return blocks


def output_names(preprocessor: Pipeline) -> list[str]:
    """Readable names of the output columns ("gender = female" for one-hot columns)."""
    names = []
    transformer = preprocessor.named_steps["prepare"]
    for name, _, columns in transformer.transformers_:
        if name == "remainder":
            continue
        out = transformer.named_transformers_[name].get_feature_names_out(columns)
        if name.startswith("cat:"):
            feature = columns[0]
            names += [f"{feature} = {o[len(feature) + 1:]}".replace(
                " = infrequent_sklearn", " = other") for o in out]
        else:
            names += list(out)
    return names
