"""Stage 4, positioning: where each brand stands in customers' minds, and where to go.

The perceptual map is a PCA biplot of the brands' mean ratings: each attribute
is standardised across brands, so the map shows how brands differ from one
another, not how generous raters are. Brands are points; attributes are arrows
(their loadings), pointing where brands rated high on them lie. A second map,
metric multidimensional scaling (MDS) of the Euclidean distances between the
standardised brand means, checks that the picture does not depend on the method.

Respondents are linked to customers (``customer_id``), so each target segment
gets its own view of the brands on the same axes, an ideal point (what it wants),
the nearest competitor to that ideal point and a positioning statement filled
from the data, with what the data cannot say left as visible placeholders.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.manifold import MDS

from seglib.errors import ConfigError, DataError
from seglib.run_folder import RunFolder
from seglib.text import md

ID_COLUMNS = ("respondent_id", "customer_id", "brand")
IMPORTANCE_PREFIX = "importance_"
#: Brand names read as the survey's "ideal brand" question (case-insensitive).
IDEAL_BRAND = re.compile(r"^(my |the |your |an? )?ideal( brand| store| shop| retailer| product)?$",
                         re.IGNORECASE)
#: An ideal point closer to the centre than this share of the map's radius says little.
WEAK_IDEAL_SHARE = 0.25
IDEAL_SOURCES = {
    "ideal": "their ratings of an ideal brand",
    "importance": "how important they rate each attribute",
    "ratings": ("the attributes they rate higher than the average respondent does across all "
                "brands, as the survey has no ideal-brand or importance question"),
}


# --------------------------------------------------------------------------- the brand map


@dataclass
class PerceptualMap:
    """Brand coordinates, attribute loadings and the variance each dimension explains.

    ``centre`` and ``spread`` (mean and standard deviation of each attribute's
    brand means) and ``axes`` (the unit principal axes, attributes x dims) let
    any rating profile be placed on the same map with :meth:`project`.
    """

    brands: pd.DataFrame        # brand, dim1, dim2
    attributes: pd.DataFrame    # attribute, dim1, dim2
    explained: tuple[float, float]
    centre: pd.Series = field(default_factory=pd.Series)
    spread: pd.Series = field(default_factory=pd.Series)
    axes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def standardise(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Mean ratings (rows) as z-scores on the map's scale: (mean - centre) / spread."""
        return (profiles[self.axes.index] - self.centre) / self.spread

    def project(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Place mean-rating profiles (rows, one column per attribute) on the map.

        The same linear map that placed the brands: standardise with the brands'
        centre and spread, then take the coordinates along the principal axes.
        Projecting the brand means themselves gives back ``brands``.
        """
        coords = self.standardise(profiles).to_numpy() @ self.axes.to_numpy()
        return pd.DataFrame(coords, index=profiles.index, columns=["dim1", "dim2"])

    @property
    def radius(self) -> float:
        """Distance of the farthest brand from the centre of the map."""
        return float(np.hypot(self.brands["dim1"], self.brands["dim2"]).max())


def attribute_columns(ratings: pd.DataFrame) -> list[str]:
    """The rated attributes: numeric columns other than ids and ``importance_`` columns."""
    return [c for c in ratings.columns if c not in ID_COLUMNS
            and not str(c).startswith(IMPORTANCE_PREFIX)
            and pd.api.types.is_numeric_dtype(ratings[c])]


def ideal_brand_name(ratings: pd.DataFrame, ideal_brand: str | None = None) -> str | None:
    """The brand that stands for the survey's "ideal brand" question, or None.

    ``ideal_brand`` from the config wins; otherwise a brand named like "Ideal",
    "Ideal brand" or "My ideal store" (:data:`IDEAL_BRAND`).

    Raises
    ------
    ConfigError
        If ``ideal_brand`` is given but not among the rated brands.
    """
    brands = pd.unique(ratings["brand"].dropna().astype(str))
    if ideal_brand is not None:
        if ideal_brand not in brands:
            raise ConfigError(
                f"positioning.ideal_brand: {ideal_brand!r} is not among the rated brands: "
                f"{', '.join(map(repr, sorted(brands)))}"
            )
        return ideal_brand
    found = sorted(b for b in brands if IDEAL_BRAND.match(b.strip()))
    return found[0] if found else None


def brand_means(ratings: pd.DataFrame, ideal_brand: str | None = None) -> pd.DataFrame:
    """Mean rating of every attribute per brand (brands as rows), the ideal brand left out."""
    ideal = ideal_brand_name(ratings, ideal_brand)
    real = ratings[ratings["brand"].astype(str) != ideal] if ideal else ratings
    return real.groupby("brand")[attribute_columns(ratings)].mean().sort_index()


def perceptual_map(ratings: pd.DataFrame, ideal_brand: str | None = None) -> PerceptualMap:
    """PCA of the standardised brand means.

    The principal axes come from the singular value decomposition of the
    brands x attributes matrix Z (each column centred and scaled to unit
    variance): brand scores are U S, attribute loadings are V S / sqrt(n - 1),
    the correlation of each attribute with each dimension. Signs are fixed so
    that each dimension's largest loading is positive.

    Raises
    ------
    DataError
        If fewer than 3 brands or 2 varying attributes are rated.
    """
    means = brand_means(ratings, ideal_brand)
    if len(means) < 3:
        raise DataError(f"brand_ratings: {len(means)} brand(s) rated; a map needs at least 3")
    z = standardised_means(means)
    varying = z.columns
    if len(varying) < 2:
        raise DataError("brand_ratings: fewer than 2 attributes differ between brands")
    u, s, vt = np.linalg.svd(z.to_numpy(), full_matrices=False)
    for i in range(vt.shape[0]):
        if vt[i, np.argmax(np.abs(vt[i]))] < 0:
            vt[i] *= -1
            u[:, i] *= -1
    scores = u[:, :2] * s[:2]
    loadings = vt[:2].T * s[:2] / np.sqrt(len(z) - 1)
    explained = s**2 / np.sum(s**2)
    brands = pd.DataFrame({"brand": z.index, "dim1": scores[:, 0], "dim2": scores[:, 1]})
    attributes = pd.DataFrame({"attribute": list(varying), "dim1": loadings[:, 0],
                               "dim2": loadings[:, 1]})
    return PerceptualMap(
        brands=brands, attributes=attributes,
        explained=(float(explained[0]), float(explained[1])),
        centre=means[varying].mean(), spread=means[varying].std(ddof=1),
        axes=pd.DataFrame(vt[:2].T, index=list(varying), columns=["dim1", "dim2"]),
    )


def check_our_brand(pmap: PerceptualMap, our_brand: str | None) -> None:
    """Raise ConfigError when ``positioning.our_brand`` is not among the rated brands."""
    brands = list(pmap.brands["brand"])
    if our_brand is not None and our_brand not in brands:
        raise ConfigError(
            f"positioning.our_brand: {our_brand!r} is not among the rated brands: "
            f"{', '.join(map(repr, brands))}"
        )


def standardised_means(means: pd.DataFrame) -> pd.DataFrame:
    """Brand means as z-scores across brands, per attribute (constant attributes dropped)."""
    varying = means.columns[means.std(ddof=1) > 0]
    means = means[varying]
    return (means - means.mean()) / means.std(ddof=1)


def describe_map(pmap: PerceptualMap, our_brand: str | None,
                 means: pd.DataFrame | None = None) -> str:
    """A few sentences reading the map: what each axis means and where we stand.

    Parameters
    ----------
    pmap : PerceptualMap
        From :func:`perceptual_map`.
    our_brand : str or None
        The client's brand; None to describe the axes only.
    means : DataFrame, optional
        ``brand_means(ratings)``. Our brand's strongest attribute is the one
        where it stands highest against the other brands (largest z-score
        across brands), read from these means. The 2-D map keeps only part of
        the differences, so reading the strength off the map can name the
        wrong attribute; without ``means`` the map is used as a fallback. The
        nearest competitor is always the nearest brand on the map.

    Raises
    ------
    ConfigError
        If ``our_brand`` is not among the rated brands.
    """
    check_our_brand(pmap, our_brand)
    lines = []
    for dim, share in zip(("dim1", "dim2"), pmap.explained, strict=True):
        att = pmap.attributes.set_index("attribute")[dim]
        lines.append(
            f"Dimension {dim[-1]} ({share:.0%} of the differences between brands) runs from "
            f"{md(att.idxmin())} to {md(att.idxmax())}."
        )
    if our_brand:
        coords = pmap.brands.set_index("brand")[["dim1", "dim2"]]
        ours = coords.loc[our_brand]
        others = coords.drop(index=our_brand)
        nearest = ((others - ours) ** 2).sum(axis=1).idxmin()
        if means is not None:
            strength = standardised_means(means).loc[our_brand].idxmax()
        else:
            loads = pmap.attributes.set_index("attribute")[["dim1", "dim2"]]
            strength = (loads @ ours.to_numpy()).idxmax()
        lines.append(
            f"{md(our_brand)} is seen as strongest on {md(strength)}; its nearest competitor "
            f"in customers' minds is {md(nearest)}."
        )
    return " ".join(lines)


# --------------------------------------------------------------------------- MDS


@dataclass
class MDSMap:
    """Metric MDS of the brands: coordinates, the dissimilarities and Kruskal's stress-1."""

    brands: pd.DataFrame            # brand, dim1, dim2
    dissimilarities: pd.DataFrame   # brand x brand
    stress: float


def brand_dissimilarities(means: pd.DataFrame) -> pd.DataFrame:
    """Euclidean distances between the brands' standardised mean-rating profiles."""
    z = standardised_means(means).to_numpy()
    distances = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    return pd.DataFrame(distances, index=means.index, columns=means.index)


def classical_mds(dissimilarities: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Torgerson's classical scaling: eigenvectors of the double-centred squared distances."""
    d2 = np.asarray(dissimilarities, dtype=float) ** 2
    n = len(d2)
    centring = np.eye(n) - np.ones((n, n)) / n
    b = -0.5 * centring @ d2 @ centring
    values, vectors = np.linalg.eigh(b)
    order = np.argsort(values)[::-1][:n_components]
    return vectors[:, order] * np.sqrt(np.clip(values[order], 0, None))


def kruskal_stress(dissimilarities: np.ndarray, coords: np.ndarray) -> float:
    """Kruskal's stress-1: sqrt(sum (d_ij - |x_i - x_j|)^2 / sum d_ij^2) over pairs i < j.

    0 is a perfect fit; Kruskal (1964) read 0.025 as excellent, 0.05 good,
    0.1 fair and 0.2 poor.
    """
    d = np.asarray(dissimilarities, dtype=float)
    fitted = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2))
    upper = np.triu_indices(len(d), k=1)
    total = float(np.sum(d[upper] ** 2))
    return float(np.sqrt(np.sum((d[upper] - fitted[upper]) ** 2) / total)) if total else 0.0


def _mds_estimator(random_state: int) -> MDS:
    """Metric MDS on precomputed dissimilarities, across scikit-learn's renamed arguments."""
    names = inspect.signature(MDS).parameters
    if "metric_mds" in names:   # scikit-learn >= 1.8
        return MDS(n_components=2, metric_mds=True, metric="precomputed", n_init=1,
                   init="random", random_state=random_state)
    return MDS(n_components=2, metric=True, dissimilarity="precomputed", n_init=1,
               random_state=random_state)


def mds_map(means: pd.DataFrame, reference: PerceptualMap | None = None,
            random_state: int = 0) -> MDSMap:
    """Metric MDS (SMACOF) of the brand dissimilarities, started from classical scaling.

    Starting from the classical solution makes the result deterministic
    (``random_state`` is passed on but not needed). With a ``reference`` map,
    the MDS coordinates are rotated (or reflected) onto it by orthogonal
    Procrustes, which changes no distance, so the two maps can be compared
    side by side.
    """
    dissim = brand_dissimilarities(means)
    start = classical_mds(dissim.to_numpy())
    coords = _mds_estimator(random_state).fit(dissim.to_numpy(), init=start).embedding_
    coords = coords - coords.mean(axis=0)
    if reference is not None:
        target = reference.brands.set_index("brand").loc[dissim.index, ["dim1", "dim2"]]
        u, _, vt = np.linalg.svd(coords.T @ target.to_numpy())
        coords = coords @ (u @ vt)
    brands = pd.DataFrame({"brand": dissim.index, "dim1": coords[:, 0], "dim2": coords[:, 1]})
    return MDSMap(brands=brands, dissimilarities=dissim,
                  stress=kruskal_stress(dissim.to_numpy(), coords))


def stress_word(stress: float) -> str:
    """Kruskal's reading of a stress-1 value."""
    for limit, word in ((0.025, "excellent"), (0.05, "good"), (0.1, "fair"), (0.2, "poor")):
        if stress <= limit:
            return word
    return "bad"


def nearest_neighbours(brands: pd.DataFrame) -> pd.Series:
    """Each brand's nearest other brand on a map (brand, dim1, dim2)."""
    coords = brands.set_index("brand")[["dim1", "dim2"]]
    xy = coords.to_numpy()
    distances = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distances, np.inf)
    return pd.Series(coords.index[distances.argmin(axis=1)], index=coords.index)


def compare_maps_text(pmap: PerceptualMap, mds: MDSMap) -> str:
    """How far the MDS map agrees with the PCA map: stress and shared nearest neighbours."""
    pca_nearest = nearest_neighbours(pmap.brands)
    mds_nearest = nearest_neighbours(mds.brands).reindex(pca_nearest.index)
    same = int((pca_nearest == mds_nearest).sum())
    differ = [f"{md(b)} (PCA: {md(pca_nearest[b])}, MDS: {md(mds_nearest[b])})"
              for b in pca_nearest.index if pca_nearest[b] != mds_nearest[b]]
    text = (f"The MDS map keeps the distances between brands with a stress of "
            f"{mds.stress:.3f} ({stress_word(mds.stress)} by Kruskal's rule of thumb: 0 is "
            f"perfect, 0.05 good, 0.2 poor). {same} of {len(pca_nearest)} brands have the same "
            f"nearest neighbour on both maps")
    return text + (f"; they differ for {', '.join(differ)}." if differ else ".")


# --------------------------------------------------------------------------- segments


def link_segments(ratings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """The ratings with each respondent's ``segment`` and ``segment_name`` (by customer_id).

    Respondents who are not customers of the run get no segment (NaN).
    """
    if "customer_id" not in ratings:
        return ratings.assign(segment=np.nan, segment_name=pd.NA)
    lookup = segments[["customer_id", "segment", "segment_name"]].drop_duplicates("customer_id")
    lookup = lookup.assign(customer_id=lookup["customer_id"].astype(str))
    keys = ratings["customer_id"].astype(str).where(ratings["customer_id"].notna())
    linked = pd.DataFrame({"customer_id": keys}).merge(lookup, on="customer_id", how="left")
    return ratings.assign(segment=linked["segment"].to_numpy(),
                          segment_name=linked["segment_name"].to_numpy())


def target_segments(targeting: pd.DataFrame) -> pd.DataFrame:
    """The selected segments (``segment``, ``segment_name``) in targeting order."""
    chosen = targeting[targeting["selected"].astype(bool)]
    if "rank" in chosen:
        chosen = chosen.sort_values("rank")
    return chosen[["segment", "segment_name"]].reset_index(drop=True)


def _respondent_key(ratings: pd.DataFrame) -> pd.Series:
    for key in ("respondent_id", "customer_id"):
        if key in ratings:
            return ratings[key].astype(str)
    return pd.Series(np.arange(len(ratings)).astype(str), index=ratings.index)


def segment_brand_maps(linked: pd.DataFrame, targets: pd.DataFrame,
                       pmap: PerceptualMap) -> pd.DataFrame:
    """Every target segment's view of the brands, placed on the all-respondents map.

    Each segment's brand means are standardised with the map's centre and
    spread and projected onto its axes (:meth:`PerceptualMap.project`), so the
    segments' maps share one frame and differences are differences of view,
    not of rotation. A segment with no respondents gets no rows.

    Returns
    -------
    DataFrame
        ``segment, segment_name, respondents, brand, ratings, dim1, dim2`` plus
        the raw mean of every attribute.
    """
    attributes = list(pmap.axes.index)
    brands = list(pmap.brands["brand"])
    frames = []
    for target in targets.itertuples():
        own = linked[(linked["segment"] == target.segment) & linked["brand"].isin(brands)]
        if own.empty:
            continue
        means = own.groupby("brand")[attributes].mean()
        coords = pmap.project(means)
        frames.append(pd.DataFrame({
            "segment": target.segment, "segment_name": target.segment_name,
            "respondents": _respondent_key(own).nunique(), "brand": means.index,
            "ratings": own.groupby("brand").size().reindex(means.index).to_numpy(),
            "dim1": coords["dim1"].to_numpy(), "dim2": coords["dim2"].to_numpy(),
        }).join(means.reset_index(drop=True)))
    columns = ["segment", "segment_name", "respondents", "brand", "ratings", "dim1", "dim2"]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=columns + attributes))


def segment_needs(linked: pd.DataFrame, targets: pd.DataFrame, pmap: PerceptualMap,
                  ideal_brand: str | None = None) -> pd.DataFrame:
    """What each target segment wants, per attribute, on the map's standardised scale.

    Three sources, the first the survey has:

    ``ideal``
        Ratings of an ideal brand (:func:`ideal_brand_name`): the segment's mean
        ideal rating, standardised like the brands, (mean - centre) / spread. Its
        projection is where a brand that matched the ideal would stand.
    ``importance``
        Columns ``importance_<attribute>``: each respondent's importance (their
        rows averaged), averaged over the segment, then z-scored across
        attributes (mean 0, standard deviation 1): which attributes matter more
        to the segment than the others.
    ``ratings``
        Neither: the segment's mean rating of each attribute across brands
        (the mean of its brand means) minus all respondents' same mean, less the
        segment's overall generosity (the mean of those differences), divided by
        the spread of the brand means: the attributes its members rate higher
        than everyone does. Weak evidence: brand perceptions are not needs.

    Returns
    -------
    DataFrame
        One row per target segment with respondents: ``segment``,
        ``segment_name``, ``respondents``, ``source``, then one column per
        attribute of the map.
    """
    attributes = list(pmap.axes.index)
    brands = list(pmap.brands["brand"])
    ideal = ideal_brand_name(linked, ideal_brand)
    importance = {a: f"{IMPORTANCE_PREFIX}{a}" for a in attributes
                  if f"{IMPORTANCE_PREFIX}{a}" in linked
                  and pd.api.types.is_numeric_dtype(linked[f"{IMPORTANCE_PREFIX}{a}"])}
    everyone = linked[linked["brand"].isin(brands)].groupby("brand")[attributes].mean().mean()
    rows = []
    for target in targets.itertuples():
        own = linked[linked["segment"] == target.segment]
        if own.empty:
            continue
        if ideal is not None and (own["brand"].astype(str) == ideal).any():
            source = "ideal"
            profile = own[own["brand"].astype(str) == ideal][attributes].mean()
            need = (profile - pmap.centre) / pmap.spread
        elif len(importance) >= 2:
            source = "importance"
            per_respondent = own.groupby(_respondent_key(own))[list(importance.values())].mean()
            profile = per_respondent.mean().rename(dict(zip(importance.values(),
                                                            importance.keys(), strict=True)))
            std = profile.std(ddof=0)
            need = (profile - profile.mean()) / (std if std > 0 else 1.0)
        else:
            source = "ratings"
            profile = own[own["brand"].isin(brands)].groupby("brand")[attributes].mean().mean()
            difference = profile - everyone
            need = (difference - difference.mean()) / pmap.spread
        rows.append({"segment": target.segment, "segment_name": target.segment_name,
                     "respondents": _respondent_key(own).nunique(), "source": source,
                     **need.reindex(attributes).fillna(0.0).to_dict()})
    return pd.DataFrame(rows, columns=["segment", "segment_name", "respondents", "source",
                                       *attributes])


def _distances(pmap: PerceptualMap, point: np.ndarray) -> pd.Series:
    coords = pmap.brands.set_index("brand")[["dim1", "dim2"]]
    return pd.Series(np.hypot(*(coords.to_numpy() - point).T), index=coords.index)


def ideal_points(needs: pd.DataFrame, pmap: PerceptualMap, our_brand: str | None = None,
                 white_space_distance: float = 0.5) -> pd.DataFrame:
    """Each target segment's ideal point on the map and the brands nearest to it.

    The ideal point is the segment's need profile (:func:`segment_needs`)
    projected onto the map's axes, exactly as the brands were placed. The
    nearest competitor is the nearest brand on the map other than
    ``our_brand``. An ideal point with no brand within ``white_space_distance``
    x the map's radius is an open position.

    Returns
    -------
    DataFrame
        ``segment, segment_name, respondents, source, dim1, dim2, nearest_brand,
        nearest_competitor, competitor_distance, our_distance, open_position,
        weak`` (weak: the point lies within :data:`WEAK_IDEAL_SHARE` of the
        radius from the centre, so the segment barely differs from everyone).
    """
    attributes = list(pmap.axes.index)
    columns = ["segment", "segment_name", "respondents", "source", "dim1", "dim2",
               "nearest_brand", "nearest_competitor", "competitor_distance", "our_distance",
               "open_position", "weak"]
    if needs.empty:
        return pd.DataFrame(columns=columns)
    coords = needs[attributes].to_numpy() @ pmap.axes.to_numpy()
    radius = pmap.radius
    rows = []
    for (_, need), point in zip(needs.iterrows(), coords, strict=True):
        distance = _distances(pmap, point)
        others = distance.drop(index=our_brand) if our_brand in distance.index else distance
        rows.append({
            "segment": need["segment"], "segment_name": need["segment_name"],
            "respondents": need["respondents"], "source": need["source"],
            "dim1": point[0], "dim2": point[1],
            "nearest_brand": distance.idxmin(), "nearest_competitor": others.idxmin(),
            "competitor_distance": float(others.min()),
            "our_distance": float(distance[our_brand]) if our_brand in distance.index else np.nan,
            "open_position": bool(distance.min() > white_space_distance * radius),
            "weak": bool(np.hypot(*point) < WEAK_IDEAL_SHARE * radius),
        })
    return pd.DataFrame(rows, columns=columns)


def white_space(pmap: PerceptualMap, distance: float = 0.5) -> pd.DataFrame:
    """Attribute directions no brand owns.

    For every attribute arrow, the probe point lies in the arrow's direction
    at the map's radius (as far out as the farthest brand). The direction is
    open when no brand lies within ``distance`` x the radius of that point.

    Returns
    -------
    DataFrame
        ``attribute, dim1, dim2`` (the probe point), ``nearest_brand``,
        ``distance`` (to the probe, in map units) and ``open``, most open first.
    """
    radius = pmap.radius
    rows = []
    for row in pmap.attributes.itertuples():
        length = float(np.hypot(row.dim1, row.dim2))
        if length == 0:
            continue
        probe = np.array([row.dim1, row.dim2]) / length * radius
        gaps = _distances(pmap, probe)
        rows.append({"attribute": row.attribute, "dim1": probe[0], "dim2": probe[1],
                     "nearest_brand": gaps.idxmin(), "distance": float(gaps.min()),
                     "open": bool(gaps.min() > distance * radius)})
    table = pd.DataFrame(rows, columns=["attribute", "dim1", "dim2", "nearest_brand",
                                        "distance", "open"])
    return table.sort_values("distance", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- statements


def _label(attribute: str) -> str:
    return str(attribute).replace("_", " ")


def _per_segment(value: str | dict | None, segment: object, name: str) -> str | None:
    """A config value that is one string or a dict keyed by segment number or name."""
    if value is None or isinstance(value, str):
        return value
    for key in (segment, str(segment), name):
        if key in value:
            return value[key]
    return None


def _placeholder(slot: str, hint: str) -> dict:
    return {"text": f"[{slot}: {hint}]", "placeholder": True, "slot": slot}


def _filled(text: str) -> dict:
    return {"text": text, "placeholder": False}


def statement_parts(ideal: pd.Series, need: pd.Series, views: pd.DataFrame,
                    our_brand: str | None, category: str | dict | None = None,
                    reason: str | dict | None = None,
                    need_text: str | dict | None = None) -> dict[str, dict]:
    """The slots of one positioning statement, each filled from data or config, or a placeholder.

    "For <segment> who <need>, <brand> is the <category> that <benefit>, unlike
    <competitor>, because <reason>."

    - segment, need (the two attributes the segment wants most), competitor
      (nearest to its ideal point) come from the data; when the ideal point is
      weak (``ideal["weak"]``), the need is a placeholder with the data's hint
      and the competitor is the brand nearest to ours in the segment's view;
      ``positioning.need`` overrides the need;
    - brand is ``positioning.our_brand``;
    - benefit is the attribute among the segment's top three needs (any
      attribute when the ideal point is weak) on which, in the segment's own
      ratings, our brand is first of all brands by the widest margin ("leads
      on X"); failing that, the one where it is furthest ahead of the
      competitor, worded as such ("is rated above <competitor> on X", with its
      rank); when it is ahead on none, a placeholder: a gap to close, not a claim;
    - category and reason come from ``positioning.category`` and
      ``positioning.reason`` (one string, or a dict per segment number or name).

    Each slot is ``{"text", "placeholder"}`` plus ``"slot"`` for placeholders.
    """
    segment, name = ideal["segment"], str(ideal["segment_name"])
    wanted = need.sort_values(ascending=False)
    top = [a for a in wanted.index[:2] if wanted[a] > 0] or list(wanted.index[:1])
    hint = " and ".join(_label(a) for a in top)
    seen = views[views["segment"] == segment].set_index("brand")
    competitor = str(ideal["nearest_competitor"])
    weak = bool(ideal.get("weak", False))
    if weak and our_brand in seen.index and len(seen) > 1:
        xy = seen[["dim1", "dim2"]].astype(float)
        others = xy.drop(index=our_brand)
        competitor = str(others.index[np.hypot(*(others - xy.loc[our_brand]).to_numpy().T)
                                      .argmin()])
    parts = {"segment": _filled(name), "competitor": _filled(competitor)}
    chosen = _per_segment(need_text, segment, name)
    if chosen:
        parts["need"] = _filled(chosen)
    elif weak:
        parts["need"] = _placeholder(
            "need", f"set positioning.need; the ratings hint at {hint}, too weakly to say")
    else:
        parts["need"] = _filled(f"care most about {hint}")
    parts["brand"] = (_filled(our_brand) if our_brand
                      else _placeholder("brand", "set positioning.our_brand"))
    chosen = _per_segment(category, segment, name)
    parts["category"] = (_filled(chosen) if chosen
                         else _placeholder("category", "set positioning.category"))
    chosen = _per_segment(reason, segment, name)
    parts["reason"] = (_filled(chosen) if chosen
                       else _placeholder("reason", "set positioning.reason"))
    parts["evidence"] = _filled("")
    if not our_brand or our_brand not in seen.index or competitor not in seen.index:
        parts["benefit"] = _placeholder("benefit", "set positioning.our_brand")
        return parts
    # a weak ideal point says nothing about needs: then the benefit is our largest lead
    # over the rival on any attribute, in the segment's eyes
    compared = list(need.index) if weak else list(wanted.index[:3])
    field = seen[compared].astype(float)
    over_field = field.loc[our_brand] - field.drop(index=our_brand).max()
    lead = (seen.loc[our_brand, compared] - seen.loc[competitor, compared]).astype(float)
    respondents = int(ideal["respondents"])
    if over_field.max() > 0:  # first of all brands on it, in this segment's eyes
        best = over_field.idxmax()
        runner = field[best].drop(index=our_brand).idxmax()
        parts["benefit"] = _filled(f"leads on {_label(best)}")
        parts["evidence"] = _filled(
            f"its {respondents} respondents rate {our_brand} {field.loc[our_brand, best]:.1f} "
            f"on {_label(best)}, the best of {len(field)} brands (next: {runner} "
            f"{field.loc[runner, best]:.1f}; {competitor} {field.loc[competitor, best]:.1f})")
    elif lead.max() > 0:  # ahead of the rival only: say so, not "leads"
        best = lead.idxmax()
        rank = int((field[best] > field.loc[our_brand, best]).sum()) + 1
        parts["benefit"] = _filled(f"is rated above {competitor} on {_label(best)}")
        parts["evidence"] = _filled(
            f"its {respondents} respondents rate {our_brand} {field.loc[our_brand, best]:.1f} "
            f"on {_label(best)} against {field.loc[competitor, best]:.1f} for {competitor} "
            f"(rank {rank} of {len(field)} brands: not a lead over the whole field)")
    else:
        parts["benefit"] = _placeholder(
            "benefit", f"{our_brand} does not lead {competitor} on "
            f"{', '.join(_label(a) for a in compared)} in this segment's eyes: "
            f"decide what to build")
    return parts


STATEMENT = ("For {segment} who {need}, {brand} is the {category} that {benefit}, unlike "
             "{competitor}, because {reason}.")
SLOTS = ("segment", "need", "brand", "category", "benefit", "competitor", "reason")


def statement_text(parts: dict[str, dict], markdown: bool = False) -> str:
    """The statement as plain text, or as Markdown (data escaped, placeholders in bold)."""
    if not markdown:
        return STATEMENT.format(**{k: v["text"] for k, v in parts.items()})
    return STATEMENT.format(**{
        k: (f"**{md(v['text'])}**" if v["placeholder"] else md(v["text"]))
        for k, v in parts.items()})


def positioning_statements(ideals: pd.DataFrame, needs: pd.DataFrame, views: pd.DataFrame,
                           our_brand: str | None, category: str | dict | None = None,
                           reason: str | dict | None = None,
                           need_text: str | dict | None = None) -> pd.DataFrame:
    """One positioning statement per target segment with an ideal point.

    Returns
    -------
    DataFrame
        ``segment, segment_name, statement`` (plain text, placeholders in
        brackets), ``placeholders`` (the unfilled slots, comma-separated; empty
        when complete), ``competitor`` (named in the statement: the nearest to
        the ideal point, or to our brand when the ideal point is weak),
        ``evidence`` and ``parts`` (the slots, for Markdown).
    """
    rows = []
    need_rows = needs.set_index("segment")
    attributes = [c for c in needs.columns
                  if c not in ("segment", "segment_name", "respondents", "source")]
    for _, ideal in ideals.iterrows():
        need = need_rows.loc[ideal["segment"], attributes].astype(float)
        parts = statement_parts(ideal, need, views, our_brand, category, reason, need_text)
        rows.append({"segment": ideal["segment"], "segment_name": ideal["segment_name"],
                     "statement": statement_text(parts),
                     "placeholders": ", ".join(slot for slot in SLOTS
                                               if parts[slot]["placeholder"]),
                     "competitor": parts["competitor"]["text"],
                     "evidence": parts["evidence"]["text"], "parts": parts})
    return pd.DataFrame(rows, columns=["segment", "segment_name", "statement", "placeholders",
                                       "competitor", "evidence", "parts"])


# --------------------------------------------------------------------------- the stage


@dataclass
class Positioning:
    """Everything the positioning stage found, for the notebook and the run folder."""

    pmap: PerceptualMap
    mds: MDSMap
    means: pd.DataFrame                 # brand means (brands x attributes)
    our_brand: str | None
    white_space: pd.DataFrame           # attribute directions and who owns them
    views: pd.DataFrame                 # per target segment: brands on the common map
    needs: pd.DataFrame                 # per target segment: standardised needs
    ideals: pd.DataFrame                # per target segment: ideal point, nearest brands
    statements: pd.DataFrame            # per target segment: the statement
    white_space_distance: float = 0.5
    notes: list[str] = field(default_factory=list)


def position_brands(ratings: pd.DataFrame | None, params,
                    segments: pd.DataFrame | None = None,
                    targeting: pd.DataFrame | None = None,
                    random_state: int = 0) -> Positioning | None:
    """Run the positioning stage on the brand ratings (None without ratings).

    Parameters
    ----------
    ratings : DataFrame
        ``brand_ratings``: ``brand``, one numeric column per attribute,
        optionally ``respondent_id``, ``customer_id``, ``importance_<attribute>``
        columns and an ideal brand.
    params : PositioningConfig
        ``our_brand``, ``ideal_brand``, ``need``, ``category``, ``reason``,
        ``white_space_distance``.
    segments, targeting : DataFrame, optional
        What 02_segment and 03_targeting wrote; without them, no per-segment maps.
    random_state : int
        Passed to MDS (which starts from classical scaling, so it is not needed).
    """
    if ratings is None:
        return None
    pmap = perceptual_map(ratings, params.ideal_brand)
    check_our_brand(pmap, params.our_brand)
    means = brand_means(ratings, params.ideal_brand)
    notes = []
    views = needs = ideals = statements = None
    if segments is None or targeting is None:
        notes.append("No segments or targeting in this run, so no map per target segment.")
    elif "customer_id" not in ratings:
        notes.append("The ratings carry no `customer_id`, so respondents cannot be linked to "
                     "segments and there is no map per target segment.")
    else:
        linked = link_segments(ratings, segments)
        targets = target_segments(targeting)
        respondents = _respondent_key(linked)
        unlinked = respondents[linked["segment"].isna()].nunique()
        if unlinked:
            notes.append(f"{unlinked:,} of {respondents.nunique():,} respondents are not "
                         f"customers of this run (no segment); they count only in the "
                         f"all-respondents map.")
        views = segment_brand_maps(linked, targets, pmap)
        needs = segment_needs(linked, targets, pmap, params.ideal_brand)
        ideals = ideal_points(needs, pmap, params.our_brand, params.white_space_distance)
        statements = positioning_statements(ideals, needs, views, params.our_brand,
                                            params.category, params.reason, params.need)
        missing = [md(t.segment_name) for t in targets.itertuples()
                   if t.segment not in set(needs["segment"])]
        if missing:
            notes.append(f"No survey respondents in target segment(s) {', '.join(missing)}: "
                         f"no ideal point or statement for them.")
        notes += _unused_keys(params, targets)
    empty = pd.DataFrame()
    return Positioning(
        pmap=pmap, mds=mds_map(means, pmap, random_state), means=means,
        our_brand=params.our_brand,
        white_space=white_space(pmap, params.white_space_distance),
        views=empty if views is None else views, needs=empty if needs is None else needs,
        ideals=empty if ideals is None else ideals,
        statements=empty if statements is None else statements,
        white_space_distance=params.white_space_distance, notes=notes)


def _unused_keys(params, targets: pd.DataFrame) -> list[str]:
    """Notes for per-segment config keys that match no target segment (likely typos)."""
    known = {str(s) for s in targets["segment"]} | {str(n) for n in targets["segment_name"]}
    notes = []
    for key in ("need", "category", "reason"):
        value = getattr(params, key)
        if isinstance(value, dict):
            unused = [k for k in value if str(k) not in known]
            if unused:
                notes.append(f"positioning.{key}: {', '.join(md(repr(k)) for k in unused)} "
                             f"match(es) no target segment; use a target's number or name: "
                             f"{', '.join(md(k) for k in sorted(known))}.")
    return notes


def read_inputs(run: RunFolder | Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None,
                                            pd.DataFrame | None]:
    """Brand ratings (None when the client gave none), segments and targeting."""
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    return run.read_brand_ratings(), run.read_segments(), run.read_targeting()


def status_text(ratings: pd.DataFrame | None) -> str:
    """What the positioning stage can do with the data at hand."""
    if ratings is None:
        return ("**No brand ratings in this run**, so there is no perceptual map. Add a "
                "`brand_ratings` source (one row per rating: a `brand` column and one numeric "
                "column per attribute) to draw one.")
    respondents = ratings["respondent_id"].nunique() if "respondent_id" in ratings else len(ratings)
    text = (f"{len(ratings):,} ratings of {ratings['brand'].nunique()} brands by "
            f"{respondents:,} respondents.")
    ideal = ideal_brand_name(ratings)
    importance = [c for c in ratings.columns if str(c).startswith(IMPORTANCE_PREFIX)]
    if ideal:
        text += f" The brand {md(ideal)} is read as the survey's ideal brand, not a competitor."
    if importance:
        text += f" {len(importance)} importance column(s) say what matters to respondents."
    if not ideal and not importance:
        text += (" The survey asks no ideal-brand or importance question, so segments' ideal "
                 "points are inferred from how they rate the brands (weak evidence).")
    return text


def map_text(result: Positioning | None) -> str:
    """The reading of the PCA map, its comparison with MDS and the white space, in Markdown."""
    if result is None:
        return ""
    pieces = [describe_map(result.pmap, result.our_brand, result.means),
              compare_maps_text(result.pmap, result.mds)]
    return "\n\n".join(pieces + [white_space_text(result)])


def white_space_text(result: Positioning) -> str:
    """The attribute directions no brand owns, in words."""
    table = result.white_space
    share = f"{result.white_space_distance:.0%}"
    open_ = table[table["open"]]
    if open_.empty:
        return (f"**White space:** none. In every attribute's direction some brand stands "
                f"within {share} of the map's radius of the edge; the map is crowded.")
    listed = "; ".join(f"{md(_label(r.attribute))} (nearest brand {md(r.nearest_brand)}, "
                       f"{r.distance:.2f} away)" for r in open_.itertuples())
    return (f"**White space:** no brand owns the direction of {listed}: no brand stands within "
            f"{share} of the map's radius of the map's edge in that direction (open circles on "
            f"the map). An open direction is an opportunity only if some segment wants it.")


def ideals_text(result: Positioning | None) -> str:
    """One bullet per target segment: its ideal point, what it is based on, who is nearest."""
    if result is None:
        return ""
    if result.ideals.empty:
        return "\n\n".join(result.notes) or "No target segment has survey respondents."
    lines = []
    for row in result.ideals.itertuples():
        text = (f"- **{md(row.segment_name)}** ({row.respondents} respondents; ideal point from "
                f"{IDEAL_SOURCES[row.source]}): nearest brand {md(row.nearest_brand)}; nearest "
                f"competitor **{md(row.nearest_competitor)}** ({row.competitor_distance:.2f} "
                f"away")
        if result.our_brand:
            text += f", {md(result.our_brand)} {row.our_distance:.2f} away"
        text += ")."
        if row.open_position:
            text += " No brand stands near this ideal point: an open position."
        if row.weak:
            text += (" The point lies close to the centre: this segment's view barely differs "
                     "from everyone's, so the map cannot say what it wants more of (the nearest "
                     "brand is simply the one nearest the centre); its statement names the brand "
                     "closest to ours in its eyes instead. An ideal-brand or importance question "
                     "in the next survey would tell.")
        lines.append(text)
    return "\n".join(lines + [""] + [f"_{n}_" for n in result.notes])


def statements_markdown(result: Positioning | None) -> str:
    """The positioning statements, data escaped, placeholders in bold with what to set."""
    if result is None or result.statements.empty:
        return ""
    lines = []
    for row in result.statements.itertuples():
        lines.append(f"**{md(row.segment_name)}**: {statement_text(row.parts, markdown=True)}")
        if row.evidence:
            lines.append(f"  _Evidence: {md(row.evidence)}._")
        if row.placeholders:
            keys = ", ".join(f"`positioning.{s}`" for s in row.placeholders.split(", ")
                             if s in ("need", "category", "reason"))
            todo = f"to fill: {row.placeholders}" + (f" (set {keys})" if keys else "")
            lines.append(f"  _Placeholder, {todo}._")
        lines.append("")
    return "\n".join(lines)


def write_outputs(result: Positioning | PerceptualMap | None,
                  run: RunFolder | Path) -> dict[str, Path]:
    """Write the stage's files (full precision); nothing without a map (None).

    ``positioning.csv`` (brand, dim1, dim2) and ``positioning_attributes.csv``
    (attribute, dim1, dim2 loadings) always; from a :class:`Positioning` also
    ``positioning_mds.csv`` (brand, dim1, dim2, stress),
    ``positioning_white_space.csv`` and, with target segments,
    ``positioning_segments.csv`` (each target's view of the brands) and
    ``positioning_targets.csv`` (ideal point, nearest competitor, statement).
    Files of an earlier run of the stage that this one does not make are removed.
    """
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    frames: dict[str, pd.DataFrame] = {}
    if result is not None:
        pmap = result if isinstance(result, PerceptualMap) else result.pmap
        frames["positioning.csv"] = pmap.brands
        frames["positioning_attributes.csv"] = pmap.attributes
    if isinstance(result, Positioning):
        frames["positioning_mds.csv"] = result.mds.brands.assign(stress=result.mds.stress)
        frames["positioning_white_space.csv"] = result.white_space
        if not result.ideals.empty:
            frames["positioning_segments.csv"] = result.views
            needs = result.needs.set_index("segment").drop(
                columns=["segment_name", "respondents", "source"])
            top = needs.apply(lambda r: ", ".join(r.sort_values(ascending=False).index[:3]),
                              axis=1)
            targets = result.ideals.assign(top_needs=result.ideals["segment"].map(top))
            frames["positioning_targets.csv"] = targets.merge(
                result.statements.drop(columns=["segment_name", "parts"]), on="segment",
                how="left")
    written = run.write_positioning(frames)
    keys = {"positioning.csv": "positioning", "positioning_attributes.csv": "attributes",
            "positioning_mds.csv": "mds", "positioning_white_space.csv": "white_space",
            "positioning_segments.csv": "segments", "positioning_targets.csv": "targets"}
    return {keys[name]: path for name, path in written.items()}


# --------------------------------------------------------------------------- figures


