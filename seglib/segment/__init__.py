"""Stage 2, segmentation: split the customer base into groups with distinct traits.

Customers with too little history (fewer than ``min_orders`` orders when
behavioural features are used) are the "New / unclassified" group: reported,
never forced into a cluster. The rest are clustered with k-means on
standardised behavioural and demographic features, k chosen by silhouette.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from seglib.errors import DataError, ModelError
from seglib.text import md

UNCLASSIFIED = 0
UNCLASSIFIED_NAME = "New / unclassified"

#: Behavioural features, in the order tried; those absent from the data are skipped.
BEHAVIOURAL = ("n_orders", "avg_order_value", "online_share", "store_share", "phone_share",
               "special_occasion_share")
#: Demographic features tried after the behavioural ones.
DEMOGRAPHIC = ("age", "income")
#: Money and count features that are right-skewed: log1p before scaling.
SKEWED = ("n_orders", "avg_order_value", "income", "revenue", "margin", "orders_per_year",
          "social_followers", "service_contacts", "tenure_days", "recency_days")


#: Below this many customers k-means runs on one thread: OpenMP's start-up and spin-waits
#: cost more than the work, badly so on a busy 2-core machine (3 s instead of 0.08 s a fit).
SINGLE_THREAD_BELOW = 20_000


def _threads(n_rows: int):
    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_BELOW else None)


def default_features(customers: pd.DataFrame) -> list[str]:
    """Behavioural + demographic features present (and not empty) in the customer table."""
    features = [f for f in BEHAVIOURAL + DEMOGRAPHIC
                if f in customers.columns and customers[f].notna().any()
                and pd.api.types.is_numeric_dtype(customers[f])]
    if not features:
        raise DataError(
            "the customer table has none of the default segmentation features "
            f"({', '.join(BEHAVIOURAL + DEMOGRAPHIC)}); list numeric columns in "
            "segmentation.features"
        )
    return features


def check_features(customers: pd.DataFrame, features: list[str]) -> list[str]:
    """Validate an explicit feature list against the customer table."""
    missing = [f for f in features if f not in customers.columns]
    if missing:
        raise DataError(
            f"segmentation.features: {missing} not in the customer table; its columns are: "
            f"{', '.join(customers.columns)}"
        )
    text = [f for f in features if not pd.api.types.is_numeric_dtype(customers[f])]
    if text:
        raise DataError(f"segmentation.features: {text} are not numeric; give numeric columns")
    return list(features)


def classifiable(customers: pd.DataFrame, features: list[str], min_orders: int) -> pd.Series:
    """True for customers with enough data to be clustered on these features."""
    enough = pd.Series(True, index=customers.index)
    if any(f in BEHAVIOURAL for f in features) and "n_orders" in customers.columns:
        enough &= customers["n_orders"].fillna(0) >= min_orders
    return enough


def make_preprocessor(features: list[str]) -> Pipeline:
    """Impute medians, log1p the skewed money and counts, standardise everything."""
    skewed = [f for f in features if f in SKEWED]
    plain = [f for f in features if f not in SKEWED]
    steps = []
    if skewed:
        steps.append(("skewed", make_pipeline(SimpleImputer(strategy="median"),
                                              FunctionTransformer(_signed_log1p)), skewed))
    if plain:
        steps.append(("plain", SimpleImputer(strategy="median"), plain))
    return Pipeline([("prepare", ColumnTransformer(steps)), ("scale", StandardScaler())])


def _signed_log1p(values):
    return np.sign(values) * np.log1p(np.abs(values))


class SegmentModel(BaseEstimator, ClusterMixin):
    """K-means segments on preprocessed customer features.

    Segment ids are 1..k, numbered by size (largest first), so that the same
    data and ``random_state`` give the same ids, whatever k-means' own order.

    Parameters
    ----------
    n_segments : int
        Number of segments k.
    features : list of str
        Customer-table columns used.
    n_init : int
        k-means restarts.
    random_state : int
        Seed for k-means.
    """

    def __init__(self, n_segments=4, features=None, n_init=10, random_state=0):
        self.n_segments = n_segments
        self.features = features
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit preprocessing and k-means on a customer table."""
        self.preprocessor_ = make_preprocessor(list(self.features)).fit(X[self.features])
        Z = self.preprocessor_.transform(X[self.features])
        if len(Z) < self.n_segments:
            raise ModelError(
                f"{len(Z)} customers cannot make {self.n_segments} segments; lower "
                "segmentation.n_segments or k_max"
            )
        with _threads(len(Z)):
            self.kmeans_ = KMeans(self.n_segments, n_init=self.n_init,
                                  random_state=self.random_state).fit(Z)
        raw = self.kmeans_.labels_
        sizes = np.bincount(raw, minlength=self.n_segments)
        # largest first; ties broken by the centroid's coordinates, both deterministic
        centres = np.round(self.kmeans_.cluster_centers_, 9)
        order = sorted(range(self.n_segments), key=lambda c: (-sizes[c], tuple(centres[c])))
        self.relabel_ = np.empty(self.n_segments, dtype=np.int64)
        self.relabel_[order] = np.arange(1, self.n_segments + 1)
        self.labels_ = self.relabel_[raw]
        return self

    def predict(self, X):
        """Assign customers to the fitted segments (ids 1..k)."""
        check_is_fitted(self)
        return self.relabel_[self.kmeans_.predict(self.preprocessor_.transform(X[self.features]))]

    def transform(self, X):
        """Return the standardised features the model clusters on."""
        check_is_fitted(self)
        return self.preprocessor_.transform(X[self.features])


def choose_k(customers: pd.DataFrame, features: list[str], k_min: int, k_max: int, *,
             sample: int = 10_000, random_state: int = 0) -> pd.DataFrame:
    """Fit k-means for every k in range and score each by silhouette.

    The silhouette is computed on a random sample of at most ``sample``
    customers (the full score is quadratic in customers); the sample size is
    reported in the table.

    Returns
    -------
    DataFrame
        One row per k: ``k``, ``silhouette``, ``inertia``, ``sample_size``,
        ``smallest_share``.
    """
    Z = make_preprocessor(features).fit_transform(customers[features])
    k_max = min(k_max, len(Z) - 1)
    if k_max < k_min:
        raise ModelError(
            f"only {len(Z)} customers can be clustered; too few for k from {k_min}. "
            "Lower segmentation.min_orders or add data"
        )
    rng = np.random.default_rng(random_state)
    take = min(sample, len(Z))
    idx = np.sort(rng.choice(len(Z), size=take, replace=False))
    rows = []
    for k in range(k_min, k_max + 1):
        with _threads(len(Z)):
            km = KMeans(k, n_init=10, random_state=random_state).fit(Z)
        labels = km.labels_
        if len(np.unique(labels[idx])) < 2:
            score = float("nan")
        else:
            score = float(silhouette_score(Z[idx], labels[idx]))
        rows.append({"k": k, "silhouette": score, "inertia": float(km.inertia_),
                     "sample_size": take,
                     "smallest_share": float(np.bincount(labels).min() / len(labels))})
    return pd.DataFrame(rows)


def best_k(scores: pd.DataFrame) -> int:
    """The k with the highest silhouette (the smallest such k on ties)."""
    valid = scores.dropna(subset=["silhouette"])
    if valid.empty:
        raise ModelError("no k gave two or more distinct segments; the features may be constant")
    return int(valid.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])


def profile(customers: pd.DataFrame, segments: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """One row per segment: size, share, and the mean of each feature and key metric.

    ``index_<feature>`` compares the segment's mean with the whole base (100 = average).
    """
    table = customers.merge(segments[["customer_id", "segment", "segment_name"]], on="customer_id")
    extra = [c for c in ("revenue", "n_orders", "avg_order_value", "recency_days", "margin",
                         "age", "income") if c in table.columns and c not in features
             and pd.api.types.is_numeric_dtype(table[c])]
    metrics = list(features) + extra
    grouped = table.groupby(["segment", "segment_name"])
    prof = grouped[metrics].mean()
    prof.insert(0, "customers", grouped.size())
    prof.insert(1, "share", prof["customers"] / prof["customers"].sum())
    overall = table[metrics].mean()
    for m in metrics:
        base = overall[m]
        prof[f"index_{m}"] = (100 * prof[m] / base) if base and not np.isnan(base) else np.nan
    return prof.reset_index().sort_values("segment").reset_index(drop=True)


def name_segments(prof: pd.DataFrame, features: list[str] | None = None) -> dict[int, str]:
    """Readable names from each segment's profile, e.g. "High-value store loyalists".

    The value tier comes from revenue per customer against the other segments, the
    channel from the dominant channel share, the habit from frequency and the
    special-occasion share. Without purchase behaviour (a customers-only run),
    the name says which of the clustering ``features`` set the segment apart most
    ("Customers with high income and low age"). Names are made unique.
    """
    names: dict[int, str] = {}
    clustered = prof[prof["segment"] != UNCLASSIFIED]
    # Value is relative to the other segments (their geometric mean revenue per customer):
    # one very rich segment must not make every other segment "low-value".
    value = None
    if "revenue" in clustered and (clustered["revenue"] > 0).all():
        value = clustered["revenue"] / np.exp(np.log(clustered["revenue"]).mean())
    for i, row in clustered.iterrows():
        parts = []
        if value is not None:
            ratio = value[i]
            parts.append("High-value" if ratio >= 2 else "Low-value" if ratio <= 0.5
                         else "Mid-value")
        channel = None
        shares = {c: row[f"{c}_share"] for c in ("online", "store", "phone")
                  if f"{c}_share" in row and not np.isnan(row[f"{c}_share"])}
        if shares:
            top, share = max(shares.items(), key=lambda kv: kv[1])
            channel = top if share >= 0.55 else "multichannel"
        habit = "customers"
        if "special_occasion_share" in row and row.get("special_occasion_share", 0) >= 0.4:
            habit = "occasion buyers"
        elif "index_n_orders" in row and row["index_n_orders"] >= 150:
            habit = "regulars"
        elif "index_n_orders" in row and row["index_n_orders"] <= 60:
            habit = "occasional buyers"
        if "age" in row and not np.isnan(row.get("age", np.nan)) and row["age"] < 28:
            parts.append("young")
        if channel:
            parts.append(channel)
        parts.append(habit)
        if parts == ["customers"] or parts == ["young", "customers"]:
            parts = [_distinguishing(row, features or [], young="young" in parts)]
        name = " ".join(parts)
        names[int(row["segment"])] = name[:1].upper() + name[1:]
    seen: dict[str, int] = {}
    for seg in sorted(names):
        base = names[seg]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            names[seg] = f"{base} ({seen[base]})"
    names[UNCLASSIFIED] = UNCLASSIFIED_NAME
    return names


def _distinguishing(row: pd.Series, features: list[str], young: bool) -> str:
    """"Customers with high X and low Y" from the two features furthest from the base."""
    gaps = {}
    for feature in features:
        index = row.get(f"index_{feature}", np.nan)
        if index is not None and np.isfinite(index) and index > 0:
            gaps[feature] = np.log(index / 100)
    strong = sorted((f for f in gaps if abs(gaps[f]) >= np.log(1.15)),
                    key=lambda f: -abs(gaps[f]))[:2]
    subject = "Young customers" if young else "Customers"
    if not strong:
        return f"{subject} close to the average"
    words = [f"{'high' if gaps[f] > 0 else 'low'} {f.replace('_', ' ')}" for f in strong]
    return f"{subject} with {' and '.join(words)}"


@dataclass
class Segmentation:
    """The result of the segmentation stage."""

    segments: pd.DataFrame      # customer_id, segment, segment_name
    profiles: pd.DataFrame
    k_scores: pd.DataFrame | None
    model: SegmentModel
    features: list[str]
    names: dict[int, str]


def segment_customers(customers: pd.DataFrame, *, features: list[str] | None = None,
                      k_min: int = 2, k_max: int = 8, n_segments: int | None = None,
                      min_orders: int = 2, silhouette_sample: int = 10_000,
                      random_state: int = 0) -> Segmentation:
    """Segment the customer table; the whole stage's logic in one call."""
    features = check_features(customers, features) if features else default_features(customers)
    enough = classifiable(customers, features, min_orders)
    clustered = customers[enough]
    if len(clustered) < 3:
        raise ModelError(
            f"only {len(clustered)} customers have at least {min_orders} orders; too few to "
            "segment. Lower segmentation.min_orders or add data"
        )
    k_scores = None
    if n_segments is None:
        k_scores = choose_k(clustered, features, k_min, k_max, sample=silhouette_sample,
                            random_state=random_state)
        n_segments = best_k(k_scores)
    model = SegmentModel(n_segments=n_segments, features=features,
                         random_state=random_state).fit(clustered)
    seg = pd.Series(UNCLASSIFIED, index=customers.index, dtype="int64")
    seg[enough] = model.labels_
    segments = pd.DataFrame({"customer_id": customers["customer_id"], "segment": seg})
    segments["segment_name"] = ""
    prof = profile(customers, segments, features)
    names = name_segments(prof, features)
    segments["segment_name"] = segments["segment"].map(names)
    prof["segment_name"] = prof["segment"].map(names)
    model.names_ = names
    model.min_orders_ = min_orders
    return Segmentation(segments=segments.reset_index(drop=True), profiles=prof,
                        k_scores=k_scores, model=model, features=features, names=names)


def map_inputs(result: Segmentation, customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Standardised features and segment ids of the clustered customers (for the 2-D map)."""
    clustered = customers.merge(result.segments, on="customer_id")
    clustered = clustered[clustered["segment"] != UNCLASSIFIED]
    return result.model.transform(clustered), clustered["segment"].to_numpy()


def summary_text(result: Segmentation) -> str:
    """One paragraph: how many segments, on which features, and the unclassified group."""
    counts = result.segments["segment"].value_counts()
    unclassified = int(counts.get(UNCLASSIFIED, 0))
    total = len(result.segments)
    how = ("chosen by the highest silhouette" if result.k_scores is not None
           else "fixed by the config (segmentation.n_segments)")
    return (
        f"**{result.model.n_segments} segments** ({how}) from {total - unclassified:,} customers, "
        f"clustered on {', '.join(md(f) for f in result.features)}. "
        f"**{unclassified:,} customers** ({unclassified / total:.0%}) have too little history "
        f"(fewer than {result.model.min_orders_} orders) and form the group "
        f"\"{UNCLASSIFIED_NAME}\" instead of being forced into a segment."
    )


def clustered_profiles(result: Segmentation) -> pd.DataFrame:
    """The profiles of the real segments, without the unclassified group."""
    return result.profiles[result.profiles["segment"] != UNCLASSIFIED]


def profile_table(result: Segmentation) -> pd.DataFrame:
    """The profile for reading: one column per segment, one row per measure (means)."""
    columns = ["customers", "share"] + [
        c for c in result.features + ["revenue", "recency_days"]
        if c in result.profiles.columns]
    table = result.profiles.set_index("segment_name")[list(dict.fromkeys(columns))]
    table.index.name = None
    shown = table.T.astype(object)
    for measure in shown.index:
        if measure == "customers":
            shown.loc[measure] = [f"{v:,.0f}" for v in table[measure]]
        elif measure == "share" or measure.endswith("_share"):
            shown.loc[measure] = [f"{v:.0%}" for v in table[measure]]
        else:
            shown.loc[measure] = [f"{v:,.2f}" for v in table[measure]]
    return shown


def write_outputs(result: Segmentation, run_dir: Path) -> dict[str, Path]:
    """Write segments (CSV for the CRM, Parquet for later stages), profiles and the model."""
    run_dir = Path(run_dir)
    out = {"segments_csv": run_dir / "segments.csv",
           "segments": run_dir / "segments.parquet",
           "profiles": run_dir / "segment_profiles.csv",
           "model": run_dir / "segment_model.joblib"}
    ordered = result.segments.sort_values("customer_id", kind="stable")
    ordered.to_csv(out["segments_csv"], index=False)
    ordered.to_parquet(out["segments"], index=False)
    result.profiles.to_csv(out["profiles"], index=False)
    if result.k_scores is not None:
        out["k_scores"] = run_dir / "k_selection.csv"
        result.k_scores.to_csv(out["k_scores"], index=False)
    joblib.dump(result.model, out["model"])
    return out


def read_model(run_dir: Path) -> SegmentModel:
    """Read the fitted segment model that 02_segment saved."""
    path = Path(run_dir) / "segment_model.joblib"
    if not path.is_file():
        raise DataError(f"{path} not found: run 02_segment first (or `seglib run` the config)")
    return joblib.load(path)


def read_segments(run_dir: Path) -> pd.DataFrame:
    """Read the segment assignments that 02_segment wrote."""
    path = Path(run_dir) / "segments.parquet"
    if not path.is_file():
        raise DataError(f"{path} not found: run 02_segment first (or `seglib run` the config)")
    return pd.read_parquet(path)
