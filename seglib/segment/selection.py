"""How many segments: criteria for every k, bootstrap stability, and a recommendation.

For each k in the range the chosen method is fitted on all clustered customers
and scored on the preprocessed features:

- **silhouette** (-1..1, higher is better): how much closer customers are to their
  own segment than to the next one. It costs time quadratic in customers, so
  above ``silhouette_sample`` customers it is computed on a seeded random sample
  whose size is reported.
- **Calinski-Harabasz** (higher is better): spread between segments over spread
  within them.
- **Davies-Bouldin** (lower is better): how much each segment overlaps its most
  similar neighbour.
- **inertia**: the spread within segments; it always falls as k grows, and a bend
  ("elbow") is a hint. Shown, not scored.
- **BIC** (Gaussian mixtures only, lower is better).
- **stability**: the method is refitted on bootstrap resamples of the customers
  and the mean adjusted Rand index between the resampled and the original
  segments is reported. A segmentation that changes when a few customers are
  swapped cannot support a strategy.
- **smallest share**: a segment smaller than ``min_share`` of the customers is too
  narrow to be worth its own marketing (too narrow cuts profit).

The recommendation keeps the k that are *feasible* (smallest segment at least
``min_share`` and stability at least ``min_stability``), scales each criterion
to 0-1 across the range (1 = the best k for that criterion) and takes the k with
the highest mean; ties go to the higher silhouette, then the smaller k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
)

from seglib.errors import ModelError

#: Criteria the recommendation combines, with the direction that is better.
CRITERIA = {"silhouette": "max", "calinski_harabasz": "max", "davies_bouldin": "min",
            "bic": "min", "stability": "max"}

#: Readable names for tables, plots and the reasoning.
CRITERION_NAMES = {"silhouette": "silhouette", "calinski_harabasz": "Calinski-Harabasz",
                   "davies_bouldin": "Davies-Bouldin", "bic": "BIC",
                   "stability": "bootstrap stability (ARI)", "inertia": "inertia"}


def sample_index(n: int, size: int, random_state: int) -> np.ndarray:
    """Sorted indices of a seeded sample of ``size`` rows out of ``n`` (all rows if fewer)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def silhouettes(Z: np.ndarray, labellings: dict[int, np.ndarray], *,
                chunk: int = 512) -> dict[int, float]:
    """Mean silhouette of several labellings of the same rows, in one pass over the distances.

    Equal to :func:`sklearn.metrics.silhouette_score` (Euclidean) for each labelling,
    but the pairwise distances, the expensive part, are computed once for all k,
    a ``chunk`` of rows at a time (memory ``chunk x len(Z)``), on one thread (the
    result does not depend on the machine's load or thread count).
    """
    from sklearn.metrics import pairwise_distances
    from threadpoolctl import threadpool_limits

    n = len(Z)
    labellings = {k: np.unique(lab, return_inverse=True)[1].reshape(-1)
                  for k, lab in labellings.items()}
    onehots = {k: np.eye(int(lab.max()) + 1)[lab] for k, lab in labellings.items()}
    sizes = {k: oh.sum(axis=0) for k, oh in onehots.items()}
    totals = {k: np.zeros(n) for k in labellings}
    with threadpool_limits(limits=1):
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            D = pairwise_distances(Z[start:stop], Z, metric="euclidean")
            for k, oh in onehots.items():
                lab = labellings[k][start:stop]
                sums = D @ oh                                  # distance to each cluster
                own = sizes[k][lab]
                a = sums[np.arange(stop - start), lab] / np.maximum(own - 1, 1)
                mean_other = sums / sizes[k]
                mean_other[np.arange(stop - start), lab] = np.inf
                b = mean_other.min(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    score = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
                totals[k][start:stop] = np.nan_to_num(score)
    return {k: float(totals[k].mean()) for k in labellings}


def within_sum_of_squares(Z: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of each row to its segment's mean (k-means' inertia)."""
    total = 0.0
    for label in np.unique(labels):
        block = Z[labels == label]
        total += float(((block - block.mean(axis=0)) ** 2).sum())
    return total


@dataclass
class Stability:
    """Bootstrap stability of one segmentation."""

    ari: np.ndarray                 # one adjusted Rand index per resample
    jaccard: dict[int, float]       # raw label -> mean best-match Jaccard across resamples
    sample_size: int

    @property
    def mean_ari(self) -> float:
        """Mean adjusted Rand index across resamples."""
        return float(self.ari.mean()) if self.ari.size else float("nan")


def bootstrap_stability(estimator, Z: np.ndarray, labels: np.ndarray, *, resamples: int,
                        sample: int, random_state: int) -> Stability:
    """Refit ``estimator`` on bootstrap resamples and compare with the original ``labels``.

    The comparison is made on a seeded reference sample of at most ``sample``
    customers: each resample draws that many rows from it with replacement, the
    estimator (a clone, with its own seed) is fitted on them and predicts every
    reference customer; the adjusted Rand index against the original labels
    measures agreement. Per segment, the Jaccard index between the original
    segment and its best-matching resampled segment (Hennig's clusterwise
    stability; above 0.75 is stable, below 0.5 dissolves) is averaged.
    """
    ref = sample_index(len(Z), sample, random_state)
    Zr, lr = Z[ref], np.asarray(labels)[ref]
    rng = np.random.default_rng(random_state + 1)
    aris, jaccards = [], {int(c): [] for c in np.unique(lr)}
    for b in range(resamples):
        draw = rng.integers(0, len(Zr), len(Zr))
        model = clone(estimator).set_params(random_state=random_state + 100 + b)
        try:
            model.fit(Zr[draw])
        except ModelError:
            continue
        predicted = np.asarray(model.predict(Zr))
        aris.append(adjusted_rand_score(lr, predicted))
        seen = np.unique(draw)
        original, again = lr[seen], predicted[seen]
        for c in jaccards:
            members = original == c
            if not members.any():
                continue
            best = 0.0
            for c2 in np.unique(again[members]):
                other = again == c2
                best = max(best, (members & other).sum() / (members | other).sum())
            jaccards[c].append(best)
    return Stability(ari=np.asarray(aris, dtype=float),
                     jaccard={c: float(np.mean(v)) if v else float("nan")
                              for c, v in jaccards.items()},
                     sample_size=len(ref))


def sweep(make, Z: np.ndarray, k_values, *, silhouette_sample: int = 20_000,
          resamples: int = 10, stability_sample: int = 5_000,
          random_state: int = 0) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Fit the method for every k and score each solution.

    Parameters
    ----------
    make : callable
        ``make(k)`` returns an unfitted segmenter for k segments.
    Z : ndarray
        The preprocessed features of the customers to cluster.
    k_values : iterable of int
        The k to try.

    Returns
    -------
    (DataFrame, dict)
        One row per k (``k``, ``silhouette``, ``calinski_harabasz``,
        ``davies_bouldin``, ``inertia``, ``bic``, ``stability``,
        ``smallest_share``, ``silhouette_sample``, ``stability_sample``) and the raw
        labels of each k's solution.
    """
    sil_idx = sample_index(len(Z), silhouette_sample, random_state)
    rows, solutions = [], {}
    for k in k_values:
        model = make(k).fit(Z)
        labels = np.asarray(model.labels_)
        solutions[k] = labels
        distinct = len(np.unique(labels))
        row = {"k": k, "silhouette": np.nan, "calinski_harabasz": np.nan,
               "davies_bouldin": np.nan, "inertia": within_sum_of_squares(Z, labels),
               "bic": float(getattr(model, "bic_", np.nan)),
               "smallest_share": float(np.bincount(labels).min() / len(labels))
               if distinct == k else 0.0,
               "silhouette_sample": len(sil_idx)}
        if distinct >= 2:
            row["calinski_harabasz"] = float(calinski_harabasz_score(Z, labels))
            row["davies_bouldin"] = float(davies_bouldin_score(Z, labels))
        if resamples:
            stability = bootstrap_stability(model, Z, labels, resamples=resamples,
                                            sample=stability_sample, random_state=random_state)
            row["stability"] = stability.mean_ari
            row["stability_sample"] = stability.sample_size
        else:
            row["stability"] = np.nan
            row["stability_sample"] = 0
        rows.append(row)
    scorable = {k: lab[sil_idx] for k, lab in solutions.items()
                if len(np.unique(lab[sil_idx])) >= 2}
    scores = silhouettes(Z[sil_idx], scorable) if scorable else {}
    for row in rows:
        row["silhouette"] = scores.get(row["k"], np.nan)
    return pd.DataFrame(rows), solutions


def _scaled(values: pd.Series, direction: str) -> pd.Series:
    """0..1 across the range, 1 = best; a criterion equal for every k scores 1 everywhere."""
    lo, hi = values.min(), values.max()
    if not np.isfinite(lo) or hi - lo <= 1e-12 * max(abs(hi), 1):
        return pd.Series(np.where(values.notna(), 1.0, np.nan), index=values.index)
    scaled = (values - lo) / (hi - lo)
    return scaled if direction == "max" else 1 - scaled


@dataclass
class Recommendation:
    """The recommended k, the table behind it and the reasoning in words."""

    k: int
    table: pd.DataFrame
    reasoning: str


def recommend(scores: pd.DataFrame, *, min_share: float, min_stability: float) -> Recommendation:
    """Combine the criteria into one recommended k, with its reasoning.

    ``table`` is ``scores`` plus one ``score_<criterion>`` column per criterion
    (0..1, 1 = best), ``combined`` (their mean), ``feasible`` and ``note``.
    """
    table = scores.copy()
    used = [c for c in CRITERIA if c in table and table[c].notna().any()]
    if not used:
        raise ModelError("no k gave two or more distinct segments; the features may be constant")
    for c in used:
        table[f"score_{c}"] = _scaled(table[c], CRITERIA[c])
    table["combined"] = table[[f"score_{c}" for c in used]].mean(axis=1, skipna=True)
    too_small = table["smallest_share"] < min_share
    unstable = table["stability"].notna() & (table["stability"] < min_stability)
    table["feasible"] = ~too_small & ~unstable & table["silhouette"].notna()
    notes = []
    for small, shaky, row in zip(too_small, unstable, table.itertuples(), strict=True):
        why = []
        if small:
            why.append(f"smallest segment {row.smallest_share:.1%} < {min_share:.0%}")
        if shaky:
            why.append(f"stability {row.stability:.2f} < {min_stability:.2f}")
        notes.append("; ".join(why))
    table["note"] = notes
    candidates = table[table["feasible"]]
    relaxed = ""
    if candidates.empty:
        candidates = table[~too_small & table["silhouette"].notna()]
        relaxed = (f"No k is both stable (ARI >= {min_stability:.2f}) and free of segments "
                   f"under {min_share:.0%}; the choice ignores stability. ")
        if candidates.empty:
            candidates = table[table["silhouette"].notna()]
            relaxed = (f"Every k leaves a segment under {min_share:.0%} or is unstable; the "
                       "choice ignores both constraints: lower segmentation.min_share, narrow "
                       "the features, or fix segmentation.n_segments. ")
    best = candidates.sort_values(["combined", "silhouette", "k"],
                                  ascending=[False, False, True]).iloc[0]
    k = int(best["k"])
    reasoning = relaxed + _reasoning(table, k, used, min_share, min_stability)
    return Recommendation(k=k, table=table, reasoning=reasoning)


def _reasoning(table: pd.DataFrame, k: int, used: list[str], min_share: float,
               min_stability: float) -> str:
    row = table.set_index("k").loc[k]
    wins = [CRITERION_NAMES[c] for c in used
            if row[f"score_{c}"] >= table[f"score_{c}"].max() - 1e-9]
    parts = [f"k = {k} has the best combined score ({row['combined']:.2f} of 1) over "
             f"{', '.join(CRITERION_NAMES[c] for c in used)}"]
    if wins:
        parts.append(f"it is the best k for {', '.join(wins)}")
    detail = [f"silhouette {row['silhouette']:.2f}"]
    if "stability" in used:
        detail.append(f"stability {row['stability']:.2f}")
    detail.append(f"smallest segment {row['smallest_share']:.1%} of the segmented customers")
    if not row["feasible"]:
        detail.append(f"itself short of the constraints ({row['note']})")
    parts.append(", ".join(detail))
    runner = table[(table["k"] != k) & table["feasible"]].sort_values(
        "combined", ascending=False)
    if not runner.empty:
        other = runner.iloc[0]
        better = [CRITERION_NAMES[c] for c in used
                  if other[f"score_{c}"] > row[f"score_{c}"] + 1e-9]
        parts.append(f"the runner-up is k = {int(other['k'])} (combined "
                     f"{other['combined']:.2f}" + (f"; better on {', '.join(better)})"
                                                   if better else ")"))
    excluded = table[~table["feasible"] & (table["note"] != "") & (table["k"] != k)]
    if not excluded.empty:
        parts.append("ruled out: " + "; ".join(
            f"k = {int(r.k)} ({r.note})" for r in excluded.itertuples()))
    return ". ".join(p if p.startswith("k = ") else p[:1].upper() + p[1:] for p in parts) + "."


def chosen_stability(estimator, Z: np.ndarray, labels: np.ndarray, *, resamples: int,
                     sample: int, random_state: int) -> Stability:
    """Stability of the final solution (per-segment Jaccard included)."""
    return bootstrap_stability(estimator, Z, labels, resamples=max(resamples, 1),
                               sample=sample, random_state=random_state)
