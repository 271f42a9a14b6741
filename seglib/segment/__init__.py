"""Stage 2, segmentation: split the customer base into groups with distinct traits.

The stage, in the order a consultant defends it:

1. **Bases and features** (:mod:`seglib.segment.features`): the bases of
   segmentation the client cares about (behavioural, demographic, value, ...) or
   an explicit feature list, and one preprocessing pipeline saved with the model.
2. **The unclassified group**: customers with too little data for the chosen
   features (too few orders, too new, most features missing) are reported as
   their own group (segment 0), never forced into a cluster.
3. **Method** (:mod:`seglib.segment.methods`, :mod:`seglib.segment.rules`):
   k-means, Gaussian mixture, Ward hierarchical clustering, k-prototypes for mixed
   numeric and categorical data, or transparent rules (RFM scores, age groups).
4. **How many segments** (:mod:`seglib.segment.selection`): criteria for every k,
   bootstrap stability and the minimum segment share, combined into one
   recommendation; the config can fix k.
5. **Meaning** (:mod:`seglib.segment.explain`): profiles with an index against the
   base, standardised differences, top distinguishing features, readable names,
   a shallow decision tree's rules with their fidelity, and the agreement between
   methods.
6. **Scoring new customers**: :class:`SegmentModel` (preprocessing, segmenter,
   unclassified rule, names) is saved in the run folder; :func:`assign` puts new
   customers into the same segments with the same names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from seglib import i18n
from seglib.errors import DataError, ModelError
from seglib.run_folder import RunFolder
from seglib.segment import explain, selection
from seglib.segment.features import (
    BASES,
    BASIS_MEANING,
    basis_columns,
    categorical_blocks,
    classifiable,
    make_preprocessor,
    output_names,
    resolve_features,
    split_kinds,
    unclassified_reasons,
    uses_purchases,
)
from seglib.segment.methods import METHODS, make_segmenter
from seglib.segment.rules import AgeGroupSegmenter, RFMSegmenter, rfm_grid
from seglib.text import md

__all__ = ["BASES", "CLUSTER_METHODS", "RULE_METHODS", "SegmentModel", "Segmentation",
           "UNCLASSIFIED", "UNCLASSIFIED_NAME", "assign", "read_model",
           "segment_customers", "write_outputs"]

#: Format of the saved model; bump it when SegmentModel's fitted attributes change.
MODEL_VERSION = 2

UNCLASSIFIED = 0
UNCLASSIFIED_NAME = "New / unclassified"

CLUSTER_METHODS = tuple(METHODS)
RULE_METHODS = ("rfm", "age_groups")

#: The columns each rule-based method segments on.
RULE_FEATURES = {"rfm": ["recency_days", "n_orders", "revenue"], "age_groups": ["age"]}

#: What each method is, in a few words, for summaries.
METHOD_NAMES = {"kmeans": "k-means", "gmm": "a Gaussian mixture",
                "ward": "Ward hierarchical clustering",
                "kprototypes": "k-prototypes (mixed numeric and categorical data)",
                "rfm": "RFM score rules", "age_groups": "age-group rules"}

SHORT_NAMES = {"kmeans": "k-means", "gmm": "Gaussian mixture", "ward": "Ward",
               "kprototypes": "k-prototypes", "rfm": "RFM rules", "age_groups": "age groups"}

#: k-means and k-prototypes restart 4 times up to this many customers and twice above:
#: one start can end in a poor local optimum (seen with k-prototypes at 100,000
#: customers: a k = 4 solution with half the Calinski-Harabasz of the best), and each
#: restart at 1M customers costs seconds.
MANY_CUSTOMERS = 200_000

#: Above this many customers the k sweep fits each k on a seeded sample of this size
#: (the final model is fitted on every customer); the sample size is reported.
SWEEP_SAMPLE = 100_000


def restarts(method: str, n_rows: int) -> dict:
    """The ``n_init`` option of the methods that restart, for this many customers."""
    if method in ("kmeans", "kprototypes"):
        return {"n_init": 4 if n_rows <= MANY_CUSTOMERS else 2}
    return {}


def choose_method(method: str, categorical: list[str]) -> str:
    """Resolve ``auto``: k-means for numeric features, k-prototypes when some are categories."""
    if method != "auto":
        return method
    return "kprototypes" if categorical else "kmeans"


class SegmentModel(BaseEstimator, ClusterMixin):
    """The whole segmentation model: unclassified rule, preprocessing, segmenter, names.

    ``fit`` and ``predict`` take the customer table (a DataFrame with the
    ``features`` columns). Segment ids are 1..k, numbered by size (largest first;
    ties by the segment's mean position) for clustering methods and in rule order
    for rule-based ones; customers with too little data get
    :data:`UNCLASSIFIED` (0).

    Parameters
    ----------
    n_segments : int
        Number of segments k (clustering methods).
    features : list of str
        Customer-table columns used (rule-based methods use their own).
    method : str
        One of :data:`CLUSTER_METHODS` or :data:`RULE_METHODS`.
    min_orders, new_days, max_missing_share
        The unclassified rule (see :func:`seglib.segment.features.classifiable`).
    rfm_bins, rfm_cuts, rfm_rules, age_groups
        Options of the rule-based methods.
    random_state : int
        Seed of the segmenter.
    """

    def __init__(self, n_segments=4, features=None, method="kmeans", min_orders=2, new_days=0,
                 max_missing_share=0.5, rfm_bins=5, rfm_cuts=None, rfm_rules=None,
                 age_groups=None, random_state=0):
        self.n_segments = n_segments
        self.features = features
        self.method = method
        self.min_orders = min_orders
        self.new_days = new_days
        self.max_missing_share = max_missing_share
        self.rfm_bins = rfm_bins
        self.rfm_cuts = rfm_cuts
        self.rfm_rules = rfm_rules
        self.age_groups = age_groups
        self.random_state = random_state

    # ------------------------------------------------------------------ pieces
    def _unclassified_rule(self) -> dict:
        # RFM scores one-order customers ("New customers"): only non-buyers are left out
        min_orders = 1 if self.method == "rfm" else self.min_orders
        return {"min_orders": min_orders, "new_days": self.new_days,
                "max_missing_share": self.max_missing_share}

    def classified(self, X: pd.DataFrame) -> pd.Series:
        """True for the customers with enough data to be segmented."""
        return classifiable(X, list(self.features_), **self._unclassified_rule())

    def reasons(self, X: pd.DataFrame) -> pd.Series:
        """Why each unclassified customer is left out ("" for the classified)."""
        return unclassified_reasons(X, list(self.features_), **self._unclassified_rule())

    def make_segmenter(self, n_segments: int, n_rows: int):
        """An unfitted segmenter of this model's method for ``n_segments``."""
        if self.method == "rfm":
            return RFMSegmenter(bins=self.rfm_bins, cuts=self.rfm_cuts, rules=self.rfm_rules)
        if self.method == "age_groups":
            return AgeGroupSegmenter(groups=self.age_groups)
        return make_segmenter(self.method, n_segments, categorical=self.blocks_,
                              random_state=self.random_state, **restarts(self.method, n_rows))

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X, y=None):
        """Fit the unclassified rule, the preprocessing and the segmenter on a customer table."""
        if self.method not in CLUSTER_METHODS + RULE_METHODS:
            raise ModelError(f"unknown segmentation method {self.method!r}; expected one of "
                             f"{', '.join(CLUSTER_METHODS + RULE_METHODS)}")
        self.features_ = list(RULE_FEATURES.get(self.method) or self.features)
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise DataError(f"segmentation method {self.method!r} needs the customer-table "
                            f"columns {missing}; they are not in the data")
        self.numeric_, self.categorical_ = split_kinds(X, self.features_)
        rule = self._unclassified_rule()
        self.rule_columns_ = [c for c, used in (
            ("n_orders", uses_purchases(self.features_)),
            ("tenure_days", uses_purchases(self.features_) and rule["new_days"] > 0))
            if used and c in X.columns and c not in self.features_]
        enough = self.classified(X).to_numpy()
        data = X.loc[enough, self.features_]
        if len(data) < 3:
            raise ModelError(
                f"only {len(data)} customers have enough data to be segmented; lower "
                "segmentation.min_orders / new_days, choose other bases, or add data")
        self.preprocessor_ = make_preprocessor(self.numeric_, self.categorical_).fit(data)
        self.blocks_ = categorical_blocks(self.preprocessor_, self.categorical_)
        Z = self.preprocessor_.transform(data)
        self.segmenter_ = self.make_segmenter(self.n_segments, len(Z))
        if self.method in RULE_METHODS:
            self.segmenter_.fit(data)
            raw = np.asarray(self.segmenter_.labels_, dtype=np.int64)
            self.relabel_ = None
            self.rule_names_ = dict(self.segmenter_.segment_names_)
            labels = raw
        else:
            if len(Z) <= self.n_segments:
                raise ModelError(
                    f"{len(Z)} customers cannot make {self.n_segments} segments; lower "
                    "segmentation.n_segments or k_max")
            self.segmenter_.fit(Z)
            raw = np.asarray(self.segmenter_.labels_, dtype=np.int64)
            self.relabel_ = _by_size(Z, raw, self.n_segments)
            labels = self.relabel_[raw]
        self.labels_ = np.full(len(X), UNCLASSIFIED, dtype=np.int64)
        self.labels_[enough] = labels
        self.version_ = MODEL_VERSION
        self.classified_ = enough
        return self

    def transform(self, X) -> np.ndarray:
        """The preprocessed features of ``X`` (the matrix the segmenter clusters)."""
        check_is_fitted(self)
        return self.preprocessor_.transform(X[self.features_])

    def predict(self, X) -> np.ndarray:
        """Segment ids of the customers in ``X`` (0 where they have too little data)."""
        check_is_fitted(self)
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise DataError(f"the customers to assign have no column {missing}; the model was "
                            f"fitted on {', '.join(self.features_)}")
        enough = self.classified(X).to_numpy()
        out = np.full(len(X), UNCLASSIFIED, dtype=np.int64)
        if enough.any():
            data = X.loc[enough, self.features_]
            if self.method in RULE_METHODS:
                out[enough] = self.segmenter_.predict(data)
            else:
                out[enough] = self.relabel_[self.segmenter_.predict(
                    self.preprocessor_.transform(data))]
        return out

    @property
    def segment_ids(self) -> list[int]:
        """The ids of the real segments (without the unclassified group)."""
        check_is_fitted(self)
        if self.relabel_ is not None:
            return list(range(1, self.n_segments + 1))
        present = set(np.unique(self.labels_).tolist()) - {UNCLASSIFIED}
        return sorted(k for k in self.rule_names_ if k in present)


def _by_size(Z: np.ndarray, raw: np.ndarray, k: int) -> np.ndarray:
    """Map raw labels to ids 1..k, largest segment first; ties by the segment's mean."""
    sizes = np.bincount(raw, minlength=k)
    centres = [tuple(np.round(Z[raw == c].mean(axis=0), 9)) if sizes[c] else ()
               for c in range(k)]
    order = sorted(range(k), key=lambda c: (-sizes[c], centres[c]))
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(1, k + 1)
    return relabel


# --------------------------------------------------------------------------- the stage


@dataclass
class Segmentation:
    """Everything the segmentation stage found, for the notebook and the run folder."""

    segments: pd.DataFrame               # customer_id, segment, segment_name
    profiles: pd.DataFrame
    model: SegmentModel
    features: list[str]
    names: dict[int, str]
    method: str
    k_table: pd.DataFrame | None = None  # the sweep with the recommendation's scores
    recommendation: selection.Recommendation | None = None
    stability: selection.Stability | None = None
    differences: pd.DataFrame | None = None
    top: pd.DataFrame | None = None
    tree: explain.TreeExplanation | None = None
    agreement: pd.DataFrame | None = None
    reasons: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    settings: dict = field(default_factory=dict)

    @property
    def k_scores(self) -> pd.DataFrame | None:
        """The k sweep (None when k was fixed or the method is rule-based)."""
        return self.k_table


def segment_customers(customers: pd.DataFrame, *, bases: list[str] | None = None,
                      features: list[str] | None = None, method: str = "auto",
                      k_min: int = 2, k_max: int = 8, n_segments: int | None = None,
                      min_share: float = 0.05, min_stability: float = 0.6,
                      min_orders: int = 2, new_days: int = 0, max_missing_share: float = 0.5,
                      silhouette_sample: int = 20_000, stability_resamples: int = 10,
                      stability_sample: int = 5_000, compare_methods: list[str] | None = None,
                      tree_depth: int = 3, names: Mapping[str, str] | None = None,
                      rfm: Mapping | None = None, age_groups: Mapping | None = None,
                      origin: Mapping[str, str] | None = None,
                      source_names: Mapping[str, str] | None = None,
                      random_state: int = 0, locale: str = "en",
                      lifecycle: Mapping | None = None) -> Segmentation:
    """Segment the customer table: the whole stage in one call.

    The keyword arguments are the keys of the config's ``segmentation`` section
    (see :class:`seglib.config.SegmentationConfig`), plus ``origin`` and
    ``source_names`` from ``collect.json``, the run's seed and its ``locale`` (the
    language of the segment names).
    """
    rfm = dict(rfm or {})
    if method in RULE_METHODS:
        chosen_features = RULE_FEATURES[method]
        missing = [f for f in chosen_features if f not in customers.columns]
        if missing:
            raise DataError(
                f"segmentation.method {method!r} needs the customer-table columns {missing}"
                + ("; they come from data.transactions" if method == "rfm"
                   else "; map the customers' age column in data.customers.columns"))
    else:
        chosen_features = resolve_features(customers, bases=bases, features=features,
                                           origin=origin, source_names=source_names)
    numeric, categorical = split_kinds(customers, chosen_features)
    method = choose_method(method, categorical)
    model = SegmentModel(n_segments=n_segments or k_min, features=chosen_features,
                         method=method, min_orders=min_orders, new_days=new_days,
                         max_missing_share=max_missing_share, rfm_bins=rfm.get("bins", 5),
                         rfm_cuts=rfm.get("cuts"), rfm_rules=rfm.get("rules"),
                         age_groups=age_groups, random_state=random_state)
    model.features_ = list(chosen_features)
    enough = model.classified(customers).to_numpy()
    clustered = customers.loc[enough]
    k_table = recommendation = None
    if method in CLUSTER_METHODS:
        # too few customers is the data's limit, not a failed model: exit 2, saying why
        rule = (f"at least {min_orders} orders, as the purchase features need"
                if uses_purchases(chosen_features) else
                f"at most {max_missing_share:.0%} of the features missing")
        fix = ("lower segmentation.min_orders or add data" if uses_purchases(chosen_features)
               else "add data")
        if len(clustered) < 3:
            raise DataError(
                f"only {len(clustered)} of the {len(customers):,} customers have enough data to "
                f"be segmented ({rule}); a segmentation needs at least 3: {fix}")
        if n_segments is None:
            top_k = min(k_max, len(clustered) - 1)
            if top_k < k_min:
                raise DataError(
                    f"only {len(clustered)} of the {len(customers):,} customers can be "
                    f"segmented ({rule}); too few for segmentation.k_min = {k_min}: {fix}, or "
                    f"lower segmentation.k_min")
            swept = clustered[chosen_features]
            if len(swept) > SWEEP_SAMPLE:
                swept = swept.iloc[selection.sample_index(len(swept), SWEEP_SAMPLE,
                                                          random_state)]
            pre = make_preprocessor(numeric, categorical).fit(swept)
            Z = pre.transform(swept)
            blocks = categorical_blocks(pre, categorical)
            n_init = restarts(method, len(Z))
            scores, _ = selection.sweep(
                lambda k: make_segmenter(method, k, categorical=blocks,
                                         random_state=random_state, **n_init),
                Z, range(k_min, top_k + 1), silhouette_sample=silhouette_sample,
                resamples=stability_resamples, stability_sample=stability_sample,
                random_state=random_state)
            recommendation = selection.recommend(scores, min_share=min_share,
                                                 min_stability=min_stability)
            k_table = recommendation.table
            k_table["sweep_sample"] = len(Z)
            model.set_params(n_segments=recommendation.k)
    model.fit(customers)
    labels = model.labels_
    Z = model.transform(clustered)
    stability = None
    if method in CLUSTER_METHODS and stability_resamples:
        stability = selection.bootstrap_stability(
            model.segmenter_, Z, model.segmenter_.labels_, resamples=stability_resamples,
            sample=stability_sample, random_state=random_state)
        stability.jaccard = {int(model.relabel_[raw]): j for raw, j in stability.jaccard.items()}
    segments = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(),
                             "segment": labels})
    table = customers.assign(segment=labels)
    kept = table[labels != UNCLASSIFIED]
    differences = explain.standardized_differences(kept, kept["segment"], chosen_features)
    top = explain.top_features(kept, kept["segment"], chosen_features)
    prof = profile(customers, labels, chosen_features)
    if method in RULE_METHODS:
        auto = rule_names(model.rule_names_, locale)
    else:  # named from robust statistics: one extreme customer cannot rename a segment
        naming_prof, naming_differences = naming_inputs(customers, labels, chosen_features)
        auto = name_segments(naming_prof, chosen_features, naming_differences, locale=locale)
    kinds = unclassified_kinds(customers, model.reasons(customers), lifecycle,
                               max_missing_share=max_missing_share)
    group = unclassified_group_name(kinds[kinds != ""], locale)
    final = apply_names(auto, names or {}, reserved=group)
    final[UNCLASSIFIED] = group
    model.names_ = final
    model.auto_names_ = auto
    model.source_names_ = dict(source_names or {})
    segments["segment_name"] = segments["segment"].map(final)
    texts = unclassified_texts(kinds, lifecycle, max_missing_share, locale)
    segments["unclassified_reason"] = texts.to_numpy()  # "" for the segmented
    prof.insert(1, "segment_name", prof["segment"].map(final))
    tree = None
    if kept["segment"].nunique() >= 2:
        tree = explain.explain_tree(kept, kept["segment"], chosen_features,
                                    max_depth=tree_depth, random_state=random_state)
    agreement = None
    if method in CLUSTER_METHODS:
        agreement = compare(model, Z, method, compare_methods, categorical,
                            sample=stability_sample, random_state=random_state)
    settings = {"bases": list(bases) if bases and not features else None,
                "features": chosen_features, "method": method, "k_min": k_min,
                "k_max": k_max, "n_segments_fixed": n_segments, "min_share": min_share,
                "min_stability": min_stability, "resamples": stability_resamples,
                "min_orders": model._unclassified_rule()[
                    "min_orders"], "new_days": new_days, "max_missing_share": max_missing_share}
    return Segmentation(segments=segments, profiles=prof, model=model,
                        features=chosen_features, names=final, method=method, k_table=k_table,
                        recommendation=recommendation, stability=stability,
                        differences=differences, top=top, tree=tree, agreement=agreement,
                        reasons=texts,
                        settings=settings)


def compare(model: SegmentModel, Z: np.ndarray, method: str, others: list[str] | None,
            categorical: list[str], *, sample: int, random_state: int) -> pd.DataFrame | None:
    """Adjusted Rand index between this solution and other methods' at the same k.

    Every other method is fitted on the same seeded sample of at most ``sample``
    clustered customers (Ward's memory grows with the square of customers).
    """
    if others is None:
        others = ["kmeans", "kprototypes", "ward"] if categorical else ["kmeans", "gmm", "ward"]
    others = [m for m in dict.fromkeys(others) if m != method and m in CLUSTER_METHODS]
    if not others:
        return None
    idx = selection.sample_index(len(Z), sample, random_state)
    labelling = {f"{SHORT_NAMES[method]} (chosen)": model.relabel_[model.segmenter_.labels_][idx]}
    for other in others:
        try:
            fitted = make_segmenter(other, model.n_segments, categorical=model.blocks_,
                                    random_state=random_state).fit(Z[idx])
        except ModelError:
            continue
        labelling[SHORT_NAMES[other]] = np.asarray(fitted.labels_) + 1
    return explain.method_agreement(labelling)


# --------------------------------------------------------------------------- profiles, names


def profile(customers: pd.DataFrame, labels: np.ndarray, features: list[str]) -> pd.DataFrame:
    """One row per segment: size, share, the mean of each numeric feature and key metric.

    ``index_<feature>`` compares the segment's mean with the segmented customers'
    (100 = the average segmented customer, the base of every comparison of the
    stage; the unclassified group is compared with it too); categorical features
    get ``<feature>`` = the segment's most common value and ``<feature>_top_share``
    its share in the segment.
    """
    table = customers.assign(segment=labels)
    numeric, categorical = split_kinds(customers, features)
    extra = [c for c in ("revenue", "n_orders", "avg_order_value", "recency_days", "margin",
                         "age", "income")
             if c in table.columns and c not in features
             and pd.api.types.is_numeric_dtype(table[c])]
    metrics = [c for c in numeric + extra if not pd.api.types.is_bool_dtype(table[c])]
    grouped = table.groupby("segment")
    prof = grouped[metrics].mean() if metrics else pd.DataFrame(index=grouped.size().index)
    prof.insert(0, "customers", grouped.size())
    prof.insert(1, "share", prof["customers"] / prof["customers"].sum())
    segmented = table[table["segment"] != UNCLASSIFIED]
    overall = (segmented if len(segmented) else table)[metrics].mean()
    for m in metrics:
        base = overall[m]
        prof[f"index_{m}"] = (100 * prof[m] / base) if base and not np.isnan(base) else np.nan
    for c in categorical:
        counts = table.groupby("segment")[c].value_counts(normalize=True)
        top = counts.groupby(level=0).head(1).reset_index(level=1)
        prof[c] = top[c].astype(object)
        prof[f"{c}_top_share"] = top["proportion"]
    return prof.reset_index().sort_values("segment").reset_index(drop=True)


#: Features whose presence makes the value tier part of a name.
VALUE_FEATURES = frozenset(("revenue", "margin", "avg_order_value", "n_orders",
                            "orders_per_year", "gross_revenue"))
CHANNEL_FEATURES = frozenset(("online_share", "store_share", "phone_share"))


def rule_names(names: Mapping[int, str], locale: str = "en") -> dict[int, str]:
    """The rule-based segments' names in the run's language.

    The default rules' names (RFM cells, age groups) are in the catalogue; names a
    client gave its own rules are kept as written.
    """
    from seglib import i18n

    return {seg: i18n.t(f"rule.{name}", locale) if i18n.has(f"rule.{name}") else name
            for seg, name in names.items()}


#: Why a customer is in the unclassified group, each consistent with the customer's
#: lifecycle stage (same rules, :func:`seglib.lifecycle.assign_stages`), in this order.
UNCLASSIFIED_KINDS = ("new", "one_order_quiet", "one_order_lapsed", "no_purchase", "refunded",
                      "too_little_data")


def unclassified_kinds(customers: pd.DataFrame, reasons: pd.Series,
                       lifecycle: Mapping | None = None, *,
                       max_missing_share: float = 0.5) -> pd.Series:
    """Each unclassified customer's kind (:data:`UNCLASSIFIED_KINDS`; "" when classified).

    Customers left out for their purchase history are told apart by their lifecycle
    stage under the run's lifecycle rules (``lifecycle``: the config's section), so the
    group never calls "new" a customer the lifecycle calls lapsed: one order within
    the welcome window is ``new``, one order and quiet since ``one_order_quiet``, one
    order long ago ``one_order_lapsed``; no order ``no_purchase`` (or ``refunded`` when
    every order was refunded or returned). The others have too little data.
    """
    from seglib import lifecycle as stages

    kinds = pd.Series("", index=customers.index, dtype=object)
    left = reasons.reindex(customers.index).fillna("") != ""
    kinds[left] = "too_little_data"
    missing_text = f"more than {max_missing_share:.0%} of the segmentation features missing"
    by_history = left & (reasons.reindex(customers.index) != missing_text)
    if not by_history.any() or not stages.has_history(customers):
        return kinds
    stage = stages.assign_stages(customers, **dict(lifecycle or {})).astype(str)
    orders = pd.to_numeric(customers["n_orders"], errors="coerce").fillna(0)
    kinds[by_history & (orders == 0)] = "no_purchase"
    kinds[by_history & (orders == 0) & (stage == "Lapsed")] = "refunded"
    bought = by_history & (orders > 0)
    kinds[bought] = "new"
    kinds[bought & (stage == "At risk")] = "one_order_quiet"
    kinds[bought & (stage == "Lapsed")] = "one_order_lapsed"
    return kinds


def unclassified_texts(kinds: pd.Series, lifecycle: Mapping | None, max_missing_share: float,
                       locale: str = "en") -> pd.Series:
    """Each unclassified customer's reason, in words ("" for the classified)."""
    from seglib.config import stage_config

    rules = stage_config("lifecycle", **dict(lifecycle or {}))
    values = {"new_days": rules.new_days, "lapsed_days": rules.lapsed_days,
              "share": i18n.percent(max_missing_share, locale, 0)}
    texts = {kind: i18n.t(f"unclassified.{kind}", locale, **values) for kind in UNCLASSIFIED_KINDS}
    return kinds.map(lambda k: texts.get(k, "")).astype(object)


def unclassified_group_name(kinds: pd.Series, locale: str = "en") -> str:
    """The unclassified group's name: what its customers are, the largest kinds first.

    Kinds of at least a tenth of the group are named (at most three), so that a group
    of lapsed one-time buyers is never called "new".
    """
    counts = kinds.value_counts()
    if counts.empty:
        return unclassified_name(locale)
    order = sorted(counts.index, key=lambda k: (-counts[k], UNCLASSIFIED_KINDS.index(k)))
    shown = [k for k in order if counts[k] >= 0.1 * counts.sum()][:3] or order[:1]
    words = [i18n.t(f"unclassified.group.{k}", locale) for k in shown]
    return i18n.t("unclassified.group", locale, kinds=", ".join(words))


def unclassified_name(locale: str = "en") -> str:
    """The name of segment 0 in the run's language ("New / unclassified")."""
    from seglib import i18n

    return i18n.t("segment.unclassified", locale)


#: A standardised difference (in standard deviations from the segmented customers' mean)
#: from which a trait counts ...
TRAIT_GAP = 0.5
#: ... and from which it is clearly beyond that line: a name gives the (at most two) traits
#: clearly beyond it, and only a segment with none is named by its strongest trait from
#: TRAIT_GAP. A trait just past the line does not come and go when one customer moves.
CLEAR_GAP = 0.8
#: Traits in a name, at most (listed in the features' order, never reordered by noise).
MAX_TRAITS = 2
#: "mostly X" only when X is at least this share of the segment (and over-represented).
MAJORITY = 0.6
#: Before naming, numbers are clipped to these quantiles of the segmented customers, so one
#: extreme customer cannot move a segment's name.
NAMING_CLIP = (0.01, 0.99)
#: Words that name a trait, known under another key ("recency_days" -> "recency").
_WORD_ALIASES = {"recencydays": "recency"}
#: Leading words of CRM column names: an amount spent, or a count (dropped).
_SPEND_PREFIXES = frozenset(("mnt", "amt"))
_COUNT_PREFIXES = frozenset(("num", "nb", "nr", "cnt", "n"))
_YES = frozenset(("yes", "y", "true", "t", "1", "có"))
_NO = frozenset(("no", "n", "false", "f", "0", "không"))


def naming_inputs(customers: pd.DataFrame, labels: np.ndarray, features: list[str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The profile and standardised differences the names are made from.

    As :func:`profile` and :func:`explain.standardized_differences`, on the customers
    with every unbounded number (not shares, rates or flags) clipped to its 1st and 99th
    percentile among the segmented customers: robust statistics, so that moving one big
    spender does not move a segment across a naming threshold.
    """
    labels = np.asarray(labels)
    classified = labels != UNCLASSIFIED
    calm = customers.copy()
    numeric, _ = split_kinds(customers, features)
    for column in dict.fromkeys([*numeric, "revenue", "n_orders", "avg_order_value", "age"]):
        if column not in calm.columns or not pd.api.types.is_numeric_dtype(calm[column]) \
                or pd.api.types.is_bool_dtype(calm[column]) \
                or str(column).endswith(explain._SHARE_SUFFIXES):
            continue
        values = calm.loc[classified, column]
        if values.notna().sum() < 2:
            continue
        low, high = values.quantile(list(NAMING_CLIP))
        calm[column] = calm[column].clip(low, high)
    kept = calm.assign(segment=labels)[classified]
    differences = explain.standardized_differences(kept, kept["segment"], features)
    return profile(calm, labels, features), differences


def name_segments(prof: pd.DataFrame, features: list[str] | None = None,
                  differences: pd.DataFrame | None = None,
                  locale: str = "en") -> dict[int, str]:
    """Readable names from each segment's profile, e.g. "High-value store loyalists".

    A name only speaks of what the segmentation used: the value tier (revenue per
    customer against the other segments) when value or purchase features were
    used, the channel when channel shares were, the habit (occasion buyers,
    regulars, occasional buyers) when frequency or special occasions were, and
    "young" when age was. Without such features the name says which features set
    the segment apart most ("Customers with high income and few kids at home", from
    the standardised differences):

    - features are named by readable labels (:func:`feature_label`: the catalogue's
      column labels, a table of known CRM columns, else the column name in words),
      never the raw column or a value glued to it;
    - the traits named are those clearly beyond the line (:data:`CLEAR_GAP`, the
      :data:`MAX_TRAITS` strongest), else the single strongest from :data:`TRAIT_GAP`;
      they are listed in the features' order, so that noise does not reorder a name;
    - a category is named ("education mostly PhD", "mostly no own home") only
      when it is over-represented and at least :data:`MAJORITY` of the segment.

    Two segments that would get the same name are told apart by the feature that
    differs most between them ("... with higher income" / "... with lower income"),
    never by a number. Names are in the run's language (``locale``: the words and
    their order come from :mod:`seglib.i18n`; "Khách quen giá trị cao mua qua điện
    thoại" for "High-value phone regulars"). ``segment_customers`` names from
    :func:`naming_inputs` (robust statistics).
    """
    def word(key: str) -> str:
        return i18n.t(key, locale)

    used = set(features or [])
    order = list(dict.fromkeys(features or (
        [c.split(" = ", 1)[0] for c in differences.columns] if differences is not None
        else [])))
    clustered = prof[prof["segment"] != UNCLASSIFIED]
    value = None
    if used & VALUE_FEATURES and "revenue" in clustered and (clustered["revenue"] > 0).all():
        value = clustered["revenue"] / np.exp(np.log(clustered["revenue"]).mean())
    plans: dict[int, _Plan] = {}
    for i, row in clustered.iterrows():
        seg = int(row["segment"])
        parts = dict.fromkeys(("value", "young", "channel", "habit"), "")
        said: set[str] = set()
        if value is not None:
            ratio = value[i]
            parts["value"] = word("segment.value." + ("high" if ratio >= 2 else "low"
                                                      if ratio <= 0.5 else "mid"))
            said |= {"revenue", "margin"}
        young = "age" in used and pd.notna(row.get("age")) and row["age"] < 28
        if young:
            parts["young"] = word("segment.young")
            said.add("age")
        shares = {c: row[f"{c}_share"] for c in ("online", "store", "phone")
                  if f"{c}_share" in used and pd.notna(row.get(f"{c}_share"))}
        if shares:
            top, share = max(shares.items(), key=lambda kv: kv[1])
            parts["channel"] = word(f"segment.channel.{top if share >= 0.55 else 'multichannel'}")
            said |= CHANNEL_FEATURES
        habit = None
        if "special_occasion_share" in used and row.get("special_occasion_share", 0) >= 0.4:
            habit = "occasion"
            said.add("special_occasion_share")
        elif "n_orders" in used and row.get("index_n_orders", 100) >= 150:
            habit = "regulars"
            said.add("n_orders")
        elif "n_orders" in used and row.get("index_n_orders", 100) <= 60:
            habit = "occasional"
            said.add("n_orders")
        gaps = _gaps(seg, row, order, differences)
        if value is None and not shares and habit is None:  # nothing said but maybe "young"
            traits = _chosen(_candidates(row, gaps, order, said, locale), order)
            subject = word("segment.subject_young" if young else "segment.subject")
            plans[seg] = _Plan(subject=subject, traits=[t.text for t in traits],
                               said=said | {t.feature for t in traits}, gaps=gaps, row=row)
        else:
            parts["habit"] = word(f"segment.habit.{habit or 'customers'}")
            name = " ".join(word("segment.order").format(**parts).split())
            plans[seg] = _Plan(name=name[:1].upper() + name[1:], said=said, gaps=gaps, row=row)
    names = {seg: plan.render(locale) for seg, plan in plans.items()}
    for _ in range(len(order) + 1):  # the same name twice: tell them apart
        twins = [[s for s in names if names[s] == n] for n in dict.fromkeys(names.values())]
        twins = [group for group in twins if len(group) > 1]
        if not twins or not any([_tell_apart(group, plans, order, locale)
                                 for group in twins]):
            break
        names = {seg: plan.render(locale) for seg, plan in plans.items()}
    seen: dict[str, int] = {}
    for seg in sorted(names):  # last resort: segments that differ in no feature at all
        base = names[seg]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            names[seg] = f"{base} ({seen[base]})"
    return names


@dataclass
class _Plan:
    """How one segment is named: a tier name, or a subject with traits; and any twin traits."""

    name: str = ""
    subject: str = ""
    traits: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    said: set[str] = field(default_factory=set)
    gaps: dict[str, float] = field(default_factory=dict)
    row: pd.Series | None = None

    def render(self, locale: str) -> str:
        if self.name:
            if not self.extra:
                return self.name
            return i18n.t("segment.also_with", locale, name=self.name,
                          traits=_joined(self.extra, locale))
        words = self.traits + self.extra
        if not words:
            return i18n.t("segment.average", locale, subject=self.subject)
        return i18n.t("segment.with", locale, subject=self.subject,
                      traits=_joined(words, locale))


@dataclass(frozen=True)
class _Trait:
    feature: str
    text: str
    gap: float


def _joined(words: list[str], locale: str) -> str:
    if len(words) == 1:
        return words[0]
    return i18n.t("segment.and", locale, first=", ".join(words[:-1]), second=words[-1])


def _gaps(segment: int, row: pd.Series, order: list[str],
          differences: pd.DataFrame | None) -> dict[str, float]:
    """The segment's standardised differences (from the profile's index without them)."""
    if differences is not None:
        if segment not in differences.index:
            return {}
        return {c: float(v) for c, v in differences.loc[segment].items()
                if pd.notna(v) and np.isfinite(v)}
    gaps = {}
    for feature in order:
        index = row.get(f"index_{feature}", np.nan)
        if index is not None and np.isfinite(index) and index > 0:
            gaps[feature] = float(np.log(index / 100) / np.log(1.15) * 0.5)
    return gaps


def _is_category(feature: str, row: pd.Series, gaps: Mapping[str, float]) -> bool:
    return f"{feature}_top_share" in row.index or any(
        c.startswith(f"{feature} = ") for c in gaps)


def _candidates(row: pd.Series, gaps: Mapping[str, float], order: list[str],
                said: set[str], locale: str) -> list[_Trait]:
    """The traits a segment could be named by, against all segmented customers."""
    traits = []
    for feature in order:
        if feature in said:
            continue
        if _is_category(feature, row, gaps):
            top, share = row.get(feature), row.get(f"{feature}_top_share", np.nan)
            gap = gaps.get(f"{feature} = {top}", np.nan)
            if pd.notna(top) and pd.notna(share) and share >= MAJORITY and gap >= TRAIT_GAP:
                traits.append(_Trait(feature, _majority_text(feature, top, locale), gap))
        elif feature in gaps and abs(gaps[feature]) >= TRAIT_GAP:
            gap = gaps[feature]
            traits.append(_Trait(feature, _level_text(feature, "high" if gap > 0 else "low",
                                                      locale), gap))
    return traits


def _position(order: list[str], feature: str) -> int:
    return order.index(feature) if feature in order else len(order)


def _chosen(traits: list[_Trait], order: list[str]) -> list[_Trait]:
    """The traits clearly beyond the line (the strongest few), else the strongest one."""
    clear = [t for t in traits if abs(t.gap) >= CLEAR_GAP]
    pool = sorted(clear or traits, key=lambda t: (-abs(t.gap), _position(order, t.feature)))
    return sorted(pool[:MAX_TRAITS if clear else 1], key=lambda t: _position(order, t.feature))


def _tell_apart(group: list[int], plans: dict[int, _Plan], order: list[str],
                locale: str) -> bool:
    """Add to each segment of ``group`` (same name) the feature that differs most between them.

    The segments are split where that feature's values (standardised differences) have
    their widest gap: those above get "higher X" ("high X" when all of them are also high
    against all segmented customers), those below "lower X". The segments of one side say
    the same, so that a side of several is told apart in the next round. False when no
    feature differs.
    """
    said = set().union(*(plans[s].said for s in group))
    options = []  # (spread, feature, column)
    for feature in order:
        if feature in said:
            continue
        columns = [c for c in plans[group[0]].gaps if c.split(" = ", 1)[0] == feature]
        for column in columns:
            values = [plans[s].gaps.get(column, np.nan) for s in group]
            if all(np.isfinite(values)):
                options.append((max(values) - min(values), feature, column))
    options = [o for o in options if o[0] > 0]
    if not options:
        return False
    spread, feature, column = min(options, key=lambda o: (-o[0], _position(order, o[1])))
    values = sorted((plans[s].gaps[column], s) for s in group)
    cut = max(range(1, len(values)), key=lambda i: values[i][0] - values[i - 1][0])
    sides = {True: [s for _, s in values[cut:]], False: [s for _, s in values[:cut]]}
    for up, side in sides.items():
        if " = " in column:
            rows = [plans[s].row for s in side]
            text = _twin_category_text(feature, column.split(" = ", 1)[1], up,
                                       rows[0] if len(side) == 1 else None, locale)
        elif up:
            high = all(plans[s].gaps[column] >= TRAIT_GAP for s in side)
            text = _level_text(feature, "high" if high else "higher", locale)
        else:
            low = all(plans[s].gaps[column] <= -TRAIT_GAP for s in side)
            text = _level_text(feature, "low" if low else "lower", locale)
        for seg in side:
            plans[seg].extra.append(text)
            plans[seg].said.add(feature)
    return True


def _key(feature: str) -> str:
    """A column name in lower case without separators ("Num_Web-Purchases" -> "numwebpurchases")."""
    return "".join(ch for ch in str(feature).lower() if ch.isalnum())


def _level_text(feature: str, level: str, locale: str) -> str:
    """"high income", "lower kids at home"; own words where the catalogue has them."""
    key = _key(feature)
    own = f"segment.word.{_WORD_ALIASES.get(key, key)}.{level}"
    if i18n.has(own):
        return i18n.t(own, locale)
    return i18n.t(f"segment.trait.{level}", locale, feature=feature_label(feature, locale))


def _category_value(feature: str, value) -> str:
    """A category as the client wrote it, without the column's own prefix ("ownNo" -> "No")."""
    text = str(value).strip()
    words = _words(text)
    if len(words) > 1 and len(words[0]) >= 2 and words[0].isalpha() \
            and _key(feature).startswith(words[0].lower()):
        text = text[len(words[0]):].lstrip(" _-.")
    return text.replace("_", " ")


def _flag(value: str) -> str | None:
    """"yes" or "no" when a category reads as one."""
    text = value.strip().lower()
    return "yes" if text in _YES else "no" if text in _NO else None


def _majority_text(feature: str, value, locale: str) -> str:
    """"education mostly PhD"; "mostly own home" / "mostly no own home" for a yes/no column."""
    category = _category_value(feature, value)
    label = feature_label(feature, locale)
    flag = _flag(category)
    if flag:
        return i18n.t(f"segment.trait.flag_{flag}", locale, feature=label)
    return i18n.t("segment.trait.majority", locale, feature=label, category=category)


def _twin_category_text(feature: str, value: str, more: bool, row: pd.Series | None,
                        locale: str) -> str:
    """How a segment differs from its twin in a category: its majority, else more or less often."""
    if row is not None:
        top, share = row.get(feature), row.get(f"{feature}_top_share", np.nan)
        if pd.notna(top) and pd.notna(share) and share >= MAJORITY \
                and (str(top) == value) == more:
            return _majority_text(feature, top, locale)
    category = _category_value(feature, value)
    label = feature_label(feature, locale)
    flag = _flag(category)
    if flag:
        return i18n.t("segment.trait.flag_" + ("more" if more == (flag == "yes") else "less"),
                      locale, feature=label)
    return i18n.t("segment.trait." + ("more_often" if more else "less_often"), locale,
                  feature=label, category=category)


def _words(text: str) -> list[str]:
    """A name split at separators, camelCase and before digits ("NumWebVisitsMonth": 4 words)."""
    out = []
    for part in re.split(r"[\s_\-./]+", str(text)):
        current = ""
        for i, ch in enumerate(part):
            prev, nxt = (part[i - 1] if i else ""), (part[i + 1] if i + 1 < len(part) else "")
            if current and ((prev.islower() and ch.isupper())
                            or (prev.isupper() and ch.isupper() and nxt.islower())
                            or (prev.isalpha() and ch.isdigit())):
                out.append(current)
                current = ""
            current += ch
        if current:
            out.append(current)
    return out


def humanised(column: str, locale: str = "en") -> str:
    """A client's column name in words: "NumCatalogPurchases" -> "catalog purchases".

    Split at underscores, camelCase and digits; capitalised words in lower case (acronyms
    kept); a leading count prefix (Num, Nb, Cnt, N) dropped and an amount prefix (Mnt,
    Amt) said as spend ("MntWines" -> "spend on wines") when the rest reads as words.
    """
    words = _words(column)
    if not words:
        return str(column)
    shown = [w.lower() if w[:1].isupper() and (len(w) == 1 or w[1:].islower()) else w
             for w in words]
    rest = shown[1:]
    readable_rest = bool(rest) and all(w.isalpha() for w in rest) and any(len(w) >= 3
                                                                          for w in rest)
    head = words[0].lower()
    if readable_rest and head in _SPEND_PREFIXES:
        return i18n.t("segment.label.spend", locale, what=" ".join(rest))
    if readable_rest and head in _COUNT_PREFIXES:
        return " ".join(rest)
    return " ".join(shown)


def feature_label(feature: str, locale: str = "en") -> str:
    """How a segment name says a feature, in the run's language, in lower case.

    The catalogue's column label (the data dictionary's columns: "Income" -> "income",
    "Distance to store (km)" -> "distance to store"), else a known CRM export column
    ("Kidhome" -> "kids at home", "MntWines" -> "wine spend"), else the column name in
    words (:func:`humanised`).
    """
    feature = str(feature)
    if feature.startswith("category_share_") and not i18n.has(f"column.{feature}"):
        return i18n.t("segment.label.category_share", locale,
                      category=feature.removeprefix("category_share_").replace("_", " "))
    if i18n.has(f"column.{feature}"):
        text = re.sub(r"\s*\([^)]*\)$", "", i18n.column_label(feature, locale))
        return text[:1].lower() + text[1:] if not text[1:2].isupper() else text
    if i18n.has(f"segment.crm.{_key(feature)}"):
        return i18n.t(f"segment.crm.{_key(feature)}", locale)
    return humanised(feature, locale)


def readable(feature: str) -> str:
    """A column name as words: ``category_share_toys`` -> "toys share of spend"."""
    if feature.startswith("category_share_"):
        return f"{feature.removeprefix('category_share_').replace('_', ' ')} share of spend"
    for unit in ("_km", "_days"):
        if feature.endswith(unit) and feature not in ("recency_days", "tenure_days"):
            feature = feature.removesuffix(unit)
    return feature.replace("_", " ")


def apply_names(auto: Mapping[int, str], overrides: Mapping,
                reserved: str = UNCLASSIFIED_NAME) -> dict[int, str]:
    """The automatic names with the config's overrides (keyed by segment id or auto name).

    Raises
    ------
    DataError
        For an override that matches no segment (naming the ids and names there
        are) or one that would give two segments the same name.
    """
    names = dict(auto)
    by_name = {v: k for k, v in auto.items()}
    for key, new in overrides.items():
        text = str(key).strip()
        if text.isdigit() and int(text) in names:
            names[int(text)] = str(new)
        elif text in by_name:
            names[by_name[text]] = str(new)
        else:
            known = "; ".join(f"{k}: {v}" for k, v in sorted(auto.items()))
            raise DataError(f"segmentation.names: {key!r} is neither a segment id nor an "
                            f"automatic name of this run; the segments are {known}")
    values = list(names.values())
    clash = sorted({v for v in values if values.count(v) > 1})
    if clash or reserved in values:
        raise DataError(f"segmentation.names: two segments would be called "
                        f"{(clash or [reserved])[0]!r}; names must be unique")
    return names


# --------------------------------------------------------------------------- reading


def summary_text(result: Segmentation) -> str:
    """One paragraph: how many segments, how, on which features, and the unclassified group."""
    counts = result.segments["segment"].value_counts()
    unclassified = int(counts.get(UNCLASSIFIED, 0))
    total = len(result.segments)
    k = len(result.model.segment_ids)
    if result.method in RULE_METHODS:
        how = f"by {METHOD_NAMES[result.method]}"
    elif result.recommendation is not None:
        how = (f"by {METHOD_NAMES[result.method]}, k recommended by the criteria below")
    else:
        how = (f"by {METHOD_NAMES[result.method]}, k fixed by the config "
               "(segmentation.n_segments)")
    bases = result.settings.get("bases")
    on = (f"the {', '.join(bases)} bases ({', '.join(md(f) for f in result.features)})"
          if bases else ", ".join(md(f) for f in result.features))
    text = (f"**{k} segments** {how}, from {total - unclassified:,} customers, "
            f"segmented on {on}.")
    if unclassified:
        reasons = result.reasons[result.reasons != ""].value_counts()
        why = "; ".join(f"{n:,} {md(r)}" for r, n in reasons.items())
        text += (f" **{unclassified:,} customers** ({unclassified / total:.0%}) have too little "
                 f"data for these features ({why}) and form the group "
                 f"\"{md(result.names.get(UNCLASSIFIED, UNCLASSIFIED_NAME))}\" "
                 "instead of being forced into a segment.")
    else:
        text += " Every customer has enough data to be segmented: nobody is unclassified."
    cautions = segment_cautions(result)
    if cautions:
        text += "\n\n**Caution.** " + " ".join(cautions)
    return text


def segment_cautions(result: Segmentation) -> list[str]:
    """Sentences on segments a consultant should not build a strategy on as they are."""
    out = []
    kept = result.segments[result.segments["segment"] != UNCLASSIFIED]
    shares = kept["segment"].value_counts(normalize=True)
    min_share = result.settings.get("min_share", 0.0)
    small = [result.names[s] for s in result.model.segment_ids if shares.get(s, 0) < min_share]
    if small:
        out.append(f"{len(small)} segment(s) hold less than {min_share:.0%} of the segmented "
                   f"customers ({', '.join(md(n) for n in small)}): too narrow to be worth their "
                   "own marketing; merge them or lower k.")
    if result.stability is not None:
        weak = [result.names[s] for s, j in sorted(result.stability.jaccard.items())
                if np.isfinite(j) and j < 0.5]
        if weak:
            out.append(f"{len(weak)} segment(s) dissolve when the customers are resampled "
                       f"(bootstrap Jaccard below 0.5: {', '.join(md(n) for n in weak)}); do "
                       "not give them their own strategy.")
    rec = result.recommendation
    if rec is not None and not rec.table["feasible"].any():
        out.append("No k in the range met the constraints (minimum share and stability): the "
                   "recommendation is the best of the rest; see the reasoning below.")
    fixed = result.settings.get("n_segments_fixed")
    if fixed and fixed > result.settings.get("k_max", fixed):
        out.append(f"k = {fixed} is fixed by the config, above the range tried "
                   f"(k_max = {result.settings['k_max']}).")
    return out


def clustered_profiles(result: Segmentation) -> pd.DataFrame:
    """The profiles of the real segments, without the unclassified group."""
    return result.profiles[result.profiles["segment"] != UNCLASSIFIED]


def profile_table(result: Segmentation) -> pd.DataFrame:
    """The profile for reading: one column per segment, one row per measure."""
    prof = result.profiles
    numeric, categorical = split_kinds(prof.drop(columns=["segment_name"]), [
        f for f in result.features if f in prof.columns])
    columns = ["customers", "share"] + [c for c in numeric + ["revenue", "recency_days"]
                                        if c in prof.columns]
    table = prof.set_index("segment_name")[list(dict.fromkeys(columns))]
    table.index.name = None
    shown = table.T.astype(object)
    for measure in shown.index:
        if measure == "customers":
            shown.loc[measure] = [f"{v:,.0f}" for v in table[measure]]
        elif measure == "share" or measure.endswith(("_share", "_rate")):
            shown.loc[measure] = [f"{v:.0%}" if pd.notna(v) else "" for v in table[measure]]
        else:
            shown.loc[measure] = [f"{v:,.2f}" if pd.notna(v) else "" for v in table[measure]]
    for c in categorical:
        shown.loc[c] = [f"{v} ({s:.0%})" if pd.notna(s) else ""
                        for v, s in zip(prof[c], prof[f"{c}_top_share"], strict=True)]
    return shown


def k_table_view(result: Segmentation) -> pd.DataFrame | None:
    """The k sweep for reading: every criterion, the combined score and why a k is out."""
    if result.k_table is None:
        return None
    t = result.k_table
    columns = ["silhouette", "calinski_harabasz", "davies_bouldin", "bic", "stability",
               "smallest_share", "combined", "feasible", "note"]
    view = t.set_index("k")[[c for c in columns if c in t and t[c].notna().any()]]
    return view.rename(columns=lambda c: selection.CRITERION_NAMES.get(c, c).replace("_", " "))


def not_applicable(result: Segmentation, what: str):
    """A one-line note for a section that does not apply to this run's method."""
    from IPython.display import Markdown

    if what == "stability" and result.stability is None:
        why = ("rule-based segments are not resampled: the rules decide, not the data"
               if result.method in RULE_METHODS else "`stability_resamples` is 0")
        return Markdown(f"*Not computed for this run: {why}.*")
    if what == "agreement" and result.agreement is None:
        return Markdown("*Not computed for this run: it compares clustering methods"
                        + (", and this run uses rules." if result.method in RULE_METHODS
                           else "; none other was listed in `compare_methods`.") + "*")
    if what == "rfm" and result.method != "rfm":
        return Markdown(f"*This run uses {METHOD_NAMES[result.method]}; set "
                        "`segmentation.method: rfm` to segment by RFM scores.*")
    if what == "dendrogram" and result.method in RULE_METHODS:
        return Markdown("*No dendrogram: rule-based segments are not built by merging "
                        "customers.*")
    return None


def stability_table(result: Segmentation) -> pd.DataFrame | None:
    """Per segment: size and the bootstrap Jaccard (above 0.75 stable, below 0.5 dissolves)."""
    if result.stability is None:
        return None
    rows = []
    counts = result.segments["segment"].value_counts()
    for seg in result.model.segment_ids:
        j = result.stability.jaccard.get(seg, np.nan)
        rows.append({"segment": result.names[seg], "customers": int(counts.get(seg, 0)),
                     "jaccard": round(j, 3),
                     "verdict": "stable" if j >= 0.75 else "fragile" if j >= 0.5
                     else "dissolves"})
    return pd.DataFrame(rows).set_index("segment")


def top_features_view(result: Segmentation, n: int = 3) -> pd.DataFrame:
    """Per segment, the ``n`` features that set it apart most, in words."""
    top = result.top[result.top["rank"] <= n].copy()
    top.insert(0, "segment name", top["segment"].map(result.names))
    return top.set_index(["segment name", "rank"])[["text"]]


def rules_view(result: Segmentation) -> pd.DataFrame | None:
    """The decision tree's rules per segment, readable."""
    if result.tree is None:
        return None
    rules = result.tree.rules.copy()
    rules.insert(0, "segment name", rules["segment"].map(result.names))
    rules["precision"] = rules["precision"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "")
    rules["coverage"] = rules["coverage"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "")
    return rules.drop(columns=["segment"]).set_index("segment name")


def map_inputs(result: Segmentation, customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed features and segment ids of the segmented customers (for the 2-D map)."""
    kept = result.model.labels_ != UNCLASSIFIED
    return result.model.transform(customers.loc[kept]), result.model.labels_[kept]


def feature_names(result: Segmentation) -> list[str]:
    """Readable names of the preprocessed columns."""
    return output_names(result.model.preprocessor_)


def bases_table(customers: pd.DataFrame, collected: Mapping | None = None) -> pd.DataFrame:
    """Which columns each basis would use on this customer table ("" = not available)."""
    origin = (collected or {}).get("columns", {})
    rows = []
    for basis in BASES:
        columns = basis_columns(customers, basis, origin)
        rows.append({"basis": basis.replace("_", " "), "what it captures": BASIS_MEANING[basis],
                     "columns in this data": ", ".join(columns) if columns
                     else "(none: not available)"})
    return pd.DataFrame(rows).set_index("basis")


def stage_arguments(params, collected: Mapping | None = None) -> dict:
    """Keyword arguments of :func:`segment_customers` from the validated config section."""
    args = params.model_dump()
    rfm = args.pop("rfm")
    rules = rfm.get("rules")
    if rules is not None:
        rules = [{k: tuple(v) if isinstance(v, list | tuple) else v
                  for k, v in rule.items() if v is not None} for rule in rules]
    args["rfm"] = {"bins": rfm["bins"], "cuts": rfm.get("cuts"), "rules": rules}
    if args.get("age_groups") is not None:
        args["age_groups"] = {k: tuple(v) for k, v in args["age_groups"].items()}
    collected = collected or {}
    args["origin"] = collected.get("columns", {})
    args["source_names"] = collected.get("source_names", {})
    return args


def recommendation_text(result: Segmentation) -> str:
    """The recommendation and its reasoning, or why there is no k sweep."""
    if result.method in RULE_METHODS:
        return (f"No k to choose: {METHOD_NAMES[result.method]} give one segment per rule "
                f"({len(result.model.segment_ids)} with customers here); the criteria below "
                "apply to clustering methods.")
    if result.recommendation is None:
        return (f"k = {result.model.n_segments} is fixed by the config "
                "(`segmentation.n_segments`); the criteria were not computed. Remove it to "
                "see the recommendation.")
    rec = result.recommendation
    sample = int(rec.table["silhouette_sample"].iloc[0])
    clustered = int((result.model.labels_ != UNCLASSIFIED).sum())
    swept = int(rec.table["sweep_sample"].iloc[0]) if "sweep_sample" in rec.table else clustered
    note = (f" The k sweep fitted each k on a random sample of {swept:,} of the {clustered:,} "
            "segmented customers (the final model uses all of them)." if swept < clustered
            else "")
    note += (f" The silhouette was computed on a random sample of {sample:,} of the "
             f"{swept:,} customers." if sample < swept else "")
    if rec.table["stability"].notna().any():
        size = int(rec.table["stability_sample"].iloc[0])
        note += (f" Stability: {result.settings.get('resamples', 0) or 'several'} bootstrap "
                 f"resamples of {size:,} customers per k.")
    return f"**Recommended: k = {rec.k}.** {md(rec.reasoning)}{note}"


def dendrogram_linkage(result: Segmentation, customers: pd.DataFrame,
                       sample: int = 2_000) -> np.ndarray | None:
    """A Ward linkage of a seeded sample of segmented customers (Ward's own, when used)."""
    from scipy.cluster.hierarchy import linkage

    if result.method in RULE_METHODS:
        return None
    if result.method == "ward":
        return result.model.segmenter_.linkage_
    Z, _ = map_inputs(result, customers)
    idx = selection.sample_index(len(Z), sample, result.model.random_state)
    return linkage(Z[idx], method="ward")


def tree_text(result: Segmentation) -> str:
    """How faithful the tree's rules are, in one sentence."""
    if result.tree is None:
        return "There is a single segment: no rules to learn."
    t = result.tree
    verdict = ("faithful" if t.fidelity >= 0.9 else "a fair summary" if t.fidelity >= 0.75
               else "only a rough summary")
    text = (f"A decision tree of depth {t.tree.get_depth()} puts **{t.fidelity:.0%}** of "
            f"{t.n_test:,} held-out customers into their own segment (fidelity; "
            f"{t.train_accuracy:.0%} on the {t.n_train:,} customers it learned from): the "
            f"rules below are {verdict}.")
    missing = sorted(set(t.rules.loc[t.rules["customers"] == 0, "segment"]))
    if missing:
        text += (f" {len(missing)} segment(s) have no rule of their own at this depth "
                 f"({', '.join(md(result.names[s]) for s in missing)}): raise "
                 "`segmentation.tree_depth` to describe them.")
    return text


def agreement_view(result: Segmentation) -> pd.DataFrame | None:
    """The adjusted Rand index between methods, rounded for reading."""
    return None if result.agreement is None else result.agreement.round(2)


def rfm_grid_table(result: Segmentation, customers: pd.DataFrame) -> pd.DataFrame | None:
    """The RFM grid of this run (None unless the method is ``rfm``)."""
    if result.method != "rfm":
        return None
    kept = result.model.labels_ != UNCLASSIFIED
    data = customers.loc[kept, result.model.features_]
    seg = result.model.segmenter_
    grid = rfm_grid(seg.transform(data), result.model.labels_[kept],
                    {k: result.names[k] for k in result.model.segment_ids}, bins=seg.bins_)
    grid.attrs["bins"] = seg.bins_
    return grid


# --------------------------------------------------------------------------- files


def write_outputs(result: Segmentation, run: RunFolder | Path) -> dict[str, Path]:
    """Write segments (CSV for the CRM, Parquet for later stages), profiles, tables, model."""
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    rules = top = None
    if result.tree is not None:
        rules = result.tree.rules.copy()
        rules.insert(1, "segment_name", rules["segment"].map(result.names))
    if result.top is not None:
        top = result.top.assign(segment_name=result.top["segment"].map(result.names))
    written = run.write_segmentation(segments=result.segments, profiles=result.profiles,
                                     model=result.model, k_table=result.k_table, rules=rules,
                                     top_features=top)
    keys = {"segments.csv": "segments_csv", "segments.parquet": "segments",
            "segment_profiles.csv": "profiles", "segment_model.joblib": "model",
            "k_selection.csv": "k_scores", "segment_rules.csv": "rules",
            "segment_top_features.csv": "top_features"}
    return {keys[name]: path for name, path in written.items()}


def read_model(run: RunFolder | Path) -> SegmentModel:
    """Read the fitted segment model that 02_segment saved (its stamp checked first)."""
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    return run.read_model(SegmentModel, MODEL_VERSION)


def assign(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """New customers into the fitted segments: customer_id, segment, segment_name."""
    labels = model.predict(customers)
    out = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(), "segment": labels})
    out["segment_name"] = out["segment"].map(model.names_)
    reasons = model.reasons(customers)
    out["unclassified_reason"] = np.where(labels == UNCLASSIFIED, reasons.to_numpy(), "")
    return out


def read_new_customers(path: Path, model: SegmentModel) -> pd.DataFrame:
    """Read a file of customers to assign: the id and the model's columns, parsed.

    Columns may carry the canonical names or the client's names from the config.
    Ids that are email addresses or phone numbers are pseudonymised as in the
    collection stage, so the output never shows them and matches the run's ids.

    Raises
    ------
    DataError
        Naming the file and the missing or unreadable column.
    """
    from seglib.pii import pii_kind, pseudonym
    from seglib.readers import normalize_ids, parse_numbers, read_table

    path = Path(path)
    table = read_table(path, source="the customers to assign")
    by_client = {client: canon for canon, client in getattr(model, "source_names_", {}).items()}
    table = table.rename(columns={c: by_client[c] for c in table.columns
                                  if c in by_client and by_client[c] not in table.columns})
    needed = ["customer_id"] + list(model.features_) + list(model.rule_columns_)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        def shown(c):
            client = getattr(model, "source_names_", {}).get(c)
            return f"{c} (or {client})" if client else c
        raise DataError(
            f"{path}: column {', '.join(shown(c) for c in missing)} not found; the segment "
            f"model needs customer_id, {', '.join(model.features_ + model.rule_columns_)}. "
            f"The file's columns are: {', '.join(map(str, table.columns))}")
    out = pd.DataFrame(index=table.index)
    ids = normalize_ids(table["customer_id"])
    if ids.isna().any():
        row = int(ids.isna().to_numpy().argmax()) + 2
        raise DataError(f"{path}: customer_id is blank on row {row}")
    out["customer_id"] = pseudonym(ids) if pii_kind(ids) else ids
    for column in needed[1:]:
        values = table[column]
        if column in model.categorical_:
            out[column] = values.astype("string")
        else:
            numbers, _ = parse_numbers(values, source="the customers to assign", label=repr(column),
                                       path=path)
            out[column] = numbers
    return out


def assign_file(run_dir: Path, path: Path, out: Path) -> pd.DataFrame:
    """Assign the customers of ``path`` with the model of ``run_dir``; write ``out`` (CSV).

    The file is written whole or not at all (a temporary file renamed at the end),
    and the input is never overwritten.
    """
    path, out = Path(path), Path(out)
    if out.exists() and path.exists() and out.resolve() == path.resolve():
        raise DataError(f"--out {out} is the input file; choose another file")
    model = read_model(run_dir)
    customers = read_new_customers(path, model)
    assigned = assign(model, customers)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    assigned.to_csv(partial, index=False)
    partial.replace(out)
    return assigned
