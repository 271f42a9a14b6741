"""Stage 4, positioning: where each brand stands in customers' minds, and where to go.

The perceptual map is a PCA biplot of the brands' mean ratings: each attribute
is standardised across brands, so the map shows how brands differ from one
another, not how generous raters are. Brands are points; attributes are arrows
(their loadings), pointing where brands rated high on them lie. A second map,
metric multidimensional scaling (MDS) of the Euclidean distances between the
standardised brand means, checks that the picture does not depend on the method.

Who owns an attribute is read from the standardised brand means, not from the
map (which keeps only two dimensions of the differences): a brand owns an
attribute when its standardised mean is the highest and leads the next brand's
by at least :data:`OWNERSHIP_MARGIN` standard deviations of the brand means.
White space is an attribute no brand owns in that sense; the map only draws it.

When respondents are linked to customers (``customer_id``), each target segment
gets its own view of the brands on the same axes, an ideal point (what it wants),
the nearest competitor to that ideal point and a positioning statement filled
from the data, with what the data cannot say left as visible placeholders. When
they are not (the usual survey), or a target segment has no respondents, its
statement is built from what the run knows about the segment (its customers'
survey answers, else its behaviour in the targeting table) against the
whole-market brand means, and says so in its notes.
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
#: A brand owns an attribute when its standardised mean (z-score across brands) is the
#: highest and leads the next brand's by at least this many standard deviations of the
#: brand means. Half a standard deviation is a difference a reader sees in the means table
#: (e.g. 6.0 against 5.5 when the brands' means spread with a standard deviation of 1).
OWNERSHIP_MARGIN = 0.5
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


#: The columns of :func:`ideal_points`.
IDEAL_COLUMNS = ["segment", "segment_name", "respondents", "source", "dim1", "dim2",
                 "nearest_brand", "nearest_competitor", "competitor_distance", "our_distance",
                 "open_position", "weak"]


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
    if needs.empty:
        return pd.DataFrame(columns=IDEAL_COLUMNS)
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
    return pd.DataFrame(rows, columns=IDEAL_COLUMNS)


def attribute_owners(means: pd.DataFrame, margin: float = OWNERSHIP_MARGIN) -> pd.DataFrame:
    """Which brand owns each attribute, read from the standardised brand means.

    Every attribute's brand means are z-scored across brands
    (:func:`standardised_means`, the matrix the map is built from). The leader
    is the brand with the highest z-score; it owns the attribute when it leads
    the runner-up by at least ``margin`` (in standard deviations of the brand
    means). A tie or a narrower lead: no brand owns it.

    Returns
    -------
    DataFrame
        Indexed by attribute: ``leader, leader_z, runner_up, runner_up_z, lead``
        (leader_z - runner_up_z) and ``owner`` (the leader, or None).
    """
    z = standardised_means(means)
    rows = {}
    for attribute in z.columns:
        ranked = z[attribute].sort_values(ascending=False, kind="stable")
        lead = float(ranked.iloc[0] - ranked.iloc[1])
        rows[attribute] = {"leader": ranked.index[0], "leader_z": float(ranked.iloc[0]),
                           "runner_up": ranked.index[1], "runner_up_z": float(ranked.iloc[1]),
                           "lead": lead,
                           "owner": ranked.index[0] if lead >= margin - 1e-12 else None}
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["leader", "leader_z", "runner_up", "runner_up_z",
                                           "lead", "owner"])


def white_space(pmap: PerceptualMap, means: pd.DataFrame,
                margin: float = OWNERSHIP_MARGIN) -> pd.DataFrame:
    """Attributes no brand owns, judged from the brand means; the map only places them.

    Ownership comes from :func:`attribute_owners`: an attribute is open when no
    brand's standardised mean leads the next brand's by ``margin`` standard
    deviations. The 2-D map keeps only part of the differences between brands,
    so the brand nearest an arrow on the map need not be the one rated highest
    on it, and is not used. For drawing, every attribute gets a probe point in
    its arrow's direction at the map's radius (as far out as the farthest brand).

    Returns
    -------
    DataFrame
        ``attribute, dim1, dim2`` (the probe point, map units), ``leader,
        leader_z, runner_up, runner_up_z, lead, owner`` (empty when open) and
        ``open``; open attributes first, then by lead, smallest first.
    """
    owners = attribute_owners(means, margin)
    radius = pmap.radius
    rows = []
    for row in pmap.attributes.itertuples():
        length = float(np.hypot(row.dim1, row.dim2))
        if length == 0 or row.attribute not in owners.index:
            continue   # an arrow of length 0 has no direction to draw
        probe = np.array([row.dim1, row.dim2]) / length * radius
        who = owners.loc[row.attribute]
        rows.append({"attribute": row.attribute, "dim1": probe[0], "dim2": probe[1],
                     "leader": who["leader"], "leader_z": who["leader_z"],
                     "runner_up": who["runner_up"], "runner_up_z": who["runner_up_z"],
                     "lead": who["lead"],
                     "owner": who["owner"] if pd.notna(who["owner"]) else "",
                     "open": not pd.notna(who["owner"])})
    table = pd.DataFrame(rows, columns=["attribute", "dim1", "dim2", "leader", "leader_z",
                                        "runner_up", "runner_up_z", "lead", "owner", "open"])
    table["open"] = table["open"].astype(bool)
    return table.sort_values(["open", "lead"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


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


def _placeholder(slot: str, hint: str, key: str | None = None,
                 entry: str | None = None) -> dict:
    """A visible gap in a statement.

    ``key``: the unset config key that fills it; ``entry``: the config key that
    is set, as a dict, but has no entry for this segment.
    """
    return {"text": f"[{slot}: {hint}]", "placeholder": True, "slot": slot, "key": key,
            "entry": entry}


def _filled(text: str) -> dict:
    return {"text": text, "placeholder": False}


def _missing_config(slot: str, value: str | dict | None, name: str) -> tuple[str, dict]:
    """What a placeholder for config key ``positioning.<slot>`` says, and its metadata.

    A key left empty is asked for ("set positioning.category"); a key that is set,
    as a dict, but has no entry for this segment is never asked for again: the
    placeholder names the entry that is missing.
    """
    key = f"positioning.{slot}"
    if value:   # a dict without this segment's number or name
        return f"{key} has no entry for {name}", {"entry": key}
    return f"set {key}", {"key": key}


def _config_slot(slot: str, value: str | dict | None, segment: object, name: str) -> dict:
    """A slot filled from config key ``positioning.<slot>``, or a placeholder saying why not."""
    chosen = _per_segment(value, segment, name)
    if chosen:
        return _filled(chosen)
    hint, meta = _missing_config(slot, value, name)
    return _placeholder(slot, hint, **meta)


def _brand_slot(our_brand: str | None) -> dict:
    return (_filled(our_brand) if our_brand
            else _placeholder("brand", "set positioning.our_brand", key="positioning.our_brand"))


def _benefit(seen: pd.DataFrame, our_brand: str, competitor: str, compared: list[str],
             who: str, eyes: str) -> tuple[dict, str]:
    """The benefit slot and its evidence, from brand mean ratings (brands x attributes).

    Among ``compared``, the attribute on which our brand is first of all brands by
    the widest margin ("leads on X"); failing that, the one where it is furthest
    ahead of the competitor ("is rated above <competitor> on X", with its rank);
    when it is ahead on none, a placeholder: a gap to close, not a claim.
    ``who`` says whose ratings these are ("its 40 respondents"), ``eyes`` the
    same for the placeholder ("this segment's eyes").
    """
    field = seen[compared].astype(float)
    over_field = field.loc[our_brand] - field.drop(index=our_brand).max()
    lead = (field.loc[our_brand] - field.loc[competitor]).astype(float)
    if over_field.max() > 0:  # first of all brands on it
        best = over_field.idxmax()
        runner = field[best].drop(index=our_brand).idxmax()
        rival = ("" if runner == competitor
                 else f"; {competitor} {field.loc[competitor, best]:.1f}")
        return _filled(f"leads on {_label(best)}"), (
            f"{who} rate {our_brand} {field.loc[our_brand, best]:.1f} on {_label(best)}, the "
            f"best of {len(field)} brands (next: {runner} {field.loc[runner, best]:.1f}{rival})")
    if lead.max() > 0:  # ahead of the rival only: say so, not "leads"
        best = lead.idxmax()
        rank = int((field[best] > field.loc[our_brand, best]).sum()) + 1
        return _filled(f"is rated above {competitor} on {_label(best)}"), (
            f"{who} rate {our_brand} {field.loc[our_brand, best]:.1f} on {_label(best)} "
            f"against {field.loc[competitor, best]:.1f} for {competitor} (rank {rank} of "
            f"{len(field)} brands: not a lead over the whole field)")
    return _placeholder(
        "benefit", f"{our_brand} does not lead {competitor} on "
        f"{', '.join(_label(a) for a in compared)} in {eyes}: decide what to build"), ""


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

    A placeholder never asks for a config key that is set: a dict without this
    segment's entry is named as such. Each slot is ``{"text", "placeholder"}``,
    plus ``"slot"``, ``"key"`` (the unset key to set) and ``"entry"`` (the set key
    missing this segment) for placeholders.
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
        ask, meta = _missing_config("need", need_text, name)
        parts["need"] = _placeholder(
            "need", f"{ask}; the ratings hint at {hint}, too weakly to say", **meta)
    else:
        parts["need"] = _filled(f"care most about {hint}")
    parts["brand"] = _brand_slot(our_brand)
    parts["category"] = _config_slot("category", category, segment, name)
    parts["reason"] = _config_slot("reason", reason, segment, name)
    parts["evidence"] = _filled("")
    if not our_brand:
        parts["benefit"] = _placeholder("benefit", "set positioning.our_brand",
                                        key="positioning.our_brand")
        return parts
    unrated = [b for b in dict.fromkeys((our_brand, competitor)) if b not in seen.index]
    if unrated:
        parts["benefit"] = _placeholder(
            "benefit", f"this segment's respondents did not rate {' or '.join(unrated)}")
        return parts
    # a weak ideal point says nothing about needs: then the benefit is our largest lead
    # over the rival on any attribute, in the segment's eyes
    compared = list(need.index) if weak else list(wanted.index[:3])
    parts["benefit"], evidence = _benefit(seen, our_brand, competitor, compared,
                                          f"its {int(ideal['respondents'])} respondents",
                                          "this segment's eyes")
    parts["evidence"] = _filled(evidence)
    return parts


# ---- needs from what the run knows about a segment (when its respondents are unknown)

#: Broad needs and the fragments of attribute names that serve them: an attribute serves
#: a need when one of the words of its name (split at "_" and spaces) starts with one of
#: these. A behaviour or survey item points to a need (:data:`SURVEY_NEEDS`,
#: :data:`BEHAVIOUR_TRAITS`), and so to the rated attributes the statement is built on.
NEED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "price": ("price", "value", "cheap", "afford", "deal", "discount", "saving", "money",
              "budget"),
    "quality": ("quality", "premium", "style", "design", "craft", "luxury", "durab"),
    "convenience": ("convenien", "online", "deliver", "speed", "fast", "quick", "easy",
                    "ease", "web"),
    "service": ("service", "advice", "staff", "support", "help"),
    "trust": ("trust", "reliab", "reputation"),
    "novelty": ("innovat", "novel", "trend", "new", "fashion"),
    "environment": ("eco", "sustain", "green", "environment", "ethic"),
    "health": ("health", "natural", "organic", "safe"),
}
#: Survey items (columns of the customer table, see :func:`read_inputs`) -> the need they
#: measure. Other items point to the attributes their own words name (words of at least
#: four letters, fillers such as "values" or "conscious" left out).
SURVEY_NEEDS = {
    "price_sensitivity": "price", "values_same_day_delivery": "convenience",
    "values_personal_service": "service", "brand_loyalty": "trust",
    "adventure_seeking": "novelty", "eco_conscious": "environment",
    "health_conscious": "health",
}
_ITEM_FILLER = frozenset({"values", "value", "buys", "likes", "cares", "wants", "conscious",
                          "seeking", "before", "buying", "sensitivity", "about", "the"})
#: A survey item is one of a segment's needs when its customers' mean answer lies at least
#: this many standard deviations (of all customers' answers) above all customers' mean...
SURVEY_LIFT = 0.25
#: ... with at least this many of its customers answering.
MIN_SURVEY_ANSWERS = 10
#: Behaviour (columns of the targeting table) that says something about a segment's needs:
#: column, how it is compared with the customer base (``ratio`` of the segment's value to
#: the base's, or the difference in ``points`` of a share), the threshold (ratio at least
#: x or at most 1/x; difference at least x), then words and need above, words and need
#: below (None: not a need).
BEHAVIOUR_TRAITS = (
    ("revenue_per_customer", "ratio", 1.25, "spend more than the average customer",
     "quality", "spend less than the average customer", "price"),
    ("online_share", "points", 0.15, "buy online more than the average customer",
     "convenience", "buy online less than the average customer", None),
    ("orders_per_customer", "ratio", 1.25, "buy more often than the average customer", None,
     None, None),
    ("service_effort", "ratio", 1.25, "need more help than the average customer", "service",
     None, None),
)
_BEHAVIOUR_LABELS = {"revenue_per_customer": "revenue per customer",
                     "online_share": "share of orders online",
                     "orders_per_customer": "orders per customer",
                     "service_effort": "service effort per customer"}
#: At most this many of a segment's traits make its need.
MAX_TRAITS = 2


def serving_attributes(need: str | None, attributes: list[str],
                       words: tuple[str, ...] = ()) -> list[str]:
    """The rated attributes that serve a need (:data:`NEED_ATTRIBUTES`) or name ``words``."""
    fragments = tuple(NEED_ATTRIBUTES.get(need, ())) + tuple(words)
    if not fragments:
        return []
    return [a for a in attributes
            if any(w.startswith(f) for w in re.split(r"[_\s]+", str(a).lower()) if w
                   for f in fragments)]


def survey_item_columns(segments: pd.DataFrame) -> list[str]:
    """The customers' survey answers a segments frame carries (see :func:`read_inputs`)."""
    return [c for c in segments.columns if c not in ("customer_id", "segment", "segment_name")
            and pd.api.types.is_numeric_dtype(segments[c])
            and not pd.api.types.is_bool_dtype(segments[c])]


def survey_traits(segments: pd.DataFrame, segment: object) -> list[dict]:
    """The survey items a segment's customers answer highest above all customers.

    An item counts when at least :data:`MIN_SURVEY_ANSWERS` of the segment's
    customers answered it and their mean lies at least :data:`SURVEY_LIFT`
    standard deviations above all customers' mean; the :data:`MAX_TRAITS`
    highest, by lift. Each trait: ``words``, ``need``, ``item_words``,
    ``evidence``, ``strength`` (the lift).
    """
    from seglib.persona import SURVEY_LABELS

    labels = SURVEY_LABELS.get("en", {})
    members = segments[segments["segment"] == segment]
    traits = []
    for item in survey_item_columns(segments):
        answers = members[item].dropna()
        everyone = segments[item].dropna()
        if len(answers) < MIN_SURVEY_ANSWERS or len(everyone) < 2:
            continue
        sd = float(everyone.std(ddof=1)) or 1.0
        lift = (float(answers.mean()) - float(everyone.mean())) / sd
        if lift < SURVEY_LIFT:
            continue
        words = () if item in SURVEY_NEEDS else tuple(
            w for w in re.split(r"[_\s]+", item.lower()) if len(w) >= 4 and w not in _ITEM_FILLER)
        label = labels.get(item, _label(item))
        traits.append({"words": label, "need": SURVEY_NEEDS.get(item), "item_words": words,
                       "strength": lift,
                       "evidence": f"{label} ({item}): mean answer {answers.mean():.1f} against "
                                   f"{everyone.mean():.1f} for all customers ({len(answers)} "
                                   f"of its customers answered)"})
    return sorted(traits, key=lambda t: -t["strength"])[:MAX_TRAITS]


def _base_value(targeting: pd.DataFrame, column: str) -> float:
    """The customer base's value of a per-customer column of the targeting table.

    The segments' values weighted by their customers (all segments, targets or not).
    """
    values = pd.to_numeric(targeting[column], errors="coerce")
    weights = (pd.to_numeric(targeting["customers"], errors="coerce")
               if "customers" in targeting else pd.Series(1.0, index=targeting.index))
    usable = values.notna() & weights.notna() & (weights > 0)
    if not usable.any():
        return float("nan")
    return float(np.average(values[usable], weights=weights[usable]))


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def behaviour_traits(targeting: pd.DataFrame, segment: object) -> list[dict]:
    """How a segment's behaviour (the targeting table) sets it apart from all customers.

    Every :data:`BEHAVIOUR_TRAITS` column the table has is compared with the
    customer base (every segment's value weighted by its customers); a trait
    counts when it passes its threshold; the :data:`MAX_TRAITS` strongest
    (how many times the threshold it passes, on the log scale for ratios).
    """
    rows = targeting[targeting["segment"] == segment]
    if rows.empty:
        return []
    traits = []
    for column, scale, threshold, up, up_need, down, down_need in BEHAVIOUR_TRAITS:
        if column not in targeting:
            continue
        value = pd.to_numeric(rows[column], errors="coerce").iloc[0]
        base = _base_value(targeting, column)
        if not (np.isfinite(value) and np.isfinite(base)):
            continue
        if scale == "ratio":
            if value <= 0 or base <= 0:
                continue
            strength = np.log(value / base) / np.log(threshold)
            shown = f"{_amount(value)} against {_amount(base)} for the average customer"
        else:
            strength = (value - base) / threshold
            shown = f"{value:.0%} against {base:.0%} for the average customer"
        if abs(strength) < 1:
            continue
        words, need = (up, up_need) if strength > 0 else (down, down_need)
        if words is None:
            continue
        traits.append({"words": words, "need": need, "item_words": (),
                       "strength": float(abs(strength)),
                       "evidence": f"{_BEHAVIOUR_LABELS.get(column, _label(column))} {shown}"})
    return sorted(traits, key=lambda t: -t["strength"])[:MAX_TRAITS]


def market_statement_parts(target: pd.Series, traits: list[dict], source: str,
                           pmap: PerceptualMap, means: pd.DataFrame, our_brand: str | None,
                           respondents: int, category: str | dict | None = None,
                           reason: str | dict | None = None,
                           need_text: str | dict | None = None) -> dict[str, dict]:
    """The slots of a statement for a segment whose own brand ratings are unknown.

    The need comes from ``traits`` (:func:`survey_traits` or
    :func:`behaviour_traits`; ``positioning.need`` overrides it); the traits
    point to the rated attributes that serve them (:func:`serving_attributes`).
    Against the whole-market brand means:

    - competitor: the other brand with the highest mean z-score on those
      attributes (the rival that best offers what the segment seeks); when the
      traits point to no attribute, the brand nearest to ours on the map;
    - benefit: as in :func:`statement_parts` (:func:`_benefit`), on those
      attributes, or on every attribute when they point to none.
    """
    segment, name = target["segment"], str(target["segment_name"])
    parts = {"segment": _filled(name), "brand": _brand_slot(our_brand),
             "category": _config_slot("category", category, segment, name),
             "reason": _config_slot("reason", reason, segment, name)}
    chosen = _per_segment(need_text, segment, name)
    if chosen:
        parts["need"] = _filled(chosen)
    elif traits and source == "customer_survey":
        parts["need"] = _filled("care most about " + " and ".join(t["words"] for t in traits))
    elif traits:
        parts["need"] = _filled(" and ".join(t["words"] for t in traits))
    else:
        ask, meta = _missing_config("need", need_text, name)
        parts["need"] = _placeholder(
            "need", f"{ask}; nothing the run knows sets this segment's needs apart", **meta)
    z = standardised_means(means)
    attributes = list(z.columns)
    pointed = [a for a in attributes if any(
        a in serving_attributes(t["need"], attributes, t["item_words"]) for t in traits)]
    rivals = [b for b in z.index if b != our_brand]
    if pointed:
        competitor = str(z.loc[rivals, pointed].mean(axis=1).idxmax())
    elif our_brand:
        xy = pmap.brands.set_index("brand")[["dim1", "dim2"]].astype(float)
        others = xy.drop(index=our_brand)
        competitor = str(others.index[np.hypot(*(others - xy.loc[our_brand]).to_numpy().T)
                                      .argmin()])
    else:
        competitor = None
    parts["competitor"] = (_filled(competitor) if competitor else _placeholder(
        "competitor", "set positioning.our_brand to name the brand nearest to ours",
        key="positioning.our_brand"))
    needs_evidence = "; ".join(t["evidence"] for t in traits)
    if not our_brand:
        parts["benefit"] = _placeholder("benefit", "set positioning.our_brand",
                                        key="positioning.our_brand")
        benefit_evidence = ""
    else:
        parts["benefit"], benefit_evidence = _benefit(
            means, our_brand, competitor, pointed or attributes,
            f"all {respondents} survey respondents", "the whole market's ratings")
    parts["evidence"] = _filled("; ".join(e for e in (needs_evidence, benefit_evidence) if e))
    parts["attributes"] = _filled(", ".join(pointed))
    return parts


STATEMENT = ("For {segment} who {need}, {brand} is the {category} that {benefit}, unlike "
             "{competitor}, because {reason}.")
SLOTS = ("segment", "need", "brand", "category", "benefit", "competitor", "reason")
STATEMENT_COLUMNS = ["segment", "segment_name", "statement", "placeholders", "competitor",
                     "evidence", "source", "need_attributes", "notes", "parts"]


def statement_text(parts: dict[str, dict], markdown: bool = False) -> str:
    """The statement as plain text, or as Markdown (data escaped, placeholders in bold)."""
    if not markdown:
        return STATEMENT.format(**{k: parts[k]["text"] for k in SLOTS})
    return STATEMENT.format(**{
        k: (f"**{md(parts[k]['text'])}**" if parts[k]["placeholder"] else md(parts[k]["text"]))
        for k in SLOTS})


def _statement_row(segment: object, name: str, parts: dict[str, dict], source: str,
                   attributes: str = "", notes: str = "") -> dict:
    return {"segment": segment, "segment_name": name, "statement": statement_text(parts),
            "placeholders": ", ".join(slot for slot in SLOTS if parts[slot]["placeholder"]),
            "competitor": "" if parts["competitor"]["placeholder"]
            else parts["competitor"]["text"],
            "evidence": parts["evidence"]["text"], "source": source,
            "need_attributes": attributes, "notes": notes, "parts": parts}


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
        ``evidence``, ``source`` (of the ideal point), ``need_attributes`` and
        ``notes`` (empty here: the segment's own ratings speak) and ``parts``
        (the slots, for Markdown).
    """
    rows = []
    need_rows = needs.set_index("segment")
    attributes = [c for c in needs.columns
                  if c not in ("segment", "segment_name", "respondents", "source")]
    for _, ideal in ideals.iterrows():
        need = need_rows.loc[ideal["segment"], attributes].astype(float)
        parts = statement_parts(ideal, need, views, our_brand, category, reason, need_text)
        rows.append(_statement_row(ideal["segment"], ideal["segment_name"], parts,
                                   str(ideal["source"])))
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def market_statements(targets: pd.DataFrame, segments: pd.DataFrame | None,
                      targeting: pd.DataFrame, pmap: PerceptualMap, means: pd.DataFrame,
                      our_brand: str | None, respondents: int, why: str,
                      category: str | dict | None = None, reason: str | dict | None = None,
                      need_text: str | dict | None = None) -> pd.DataFrame:
    """One statement per target segment whose own brand ratings are unknown.

    The need comes from the segment's customers' survey answers
    (:func:`survey_traits`, when ``segments`` carries them), else from its
    behaviour in the targeting table (:func:`behaviour_traits`); the benefit and
    the competitor from the whole-market brand means
    (:func:`market_statement_parts`). ``why`` says, at the start of every
    statement's ``notes``, why the segment's own ratings are unknown.

    Returns
    -------
    DataFrame
        As :func:`positioning_statements`; ``source`` (what the needs are
        inferred from) is ``customer_survey``, ``behaviour`` or ``none``.
    """
    rows = []
    for _, target in targets.iterrows():
        segment, name = target["segment"], str(target["segment_name"])
        traits = survey_traits(segments, segment) if segments is not None else []
        source = "customer_survey" if traits else "behaviour"
        if not traits:
            traits = behaviour_traits(targeting, segment)
        if not traits:
            source = "none"
        parts = market_statement_parts(target, traits, source, pmap, means, our_brand,
                                       respondents, category, reason, need_text)
        basis = {"customer_survey": "inferred from its customers' survey answers",
                 "behaviour": "inferred from its behaviour (the targeting table)",
                 "none": "unknown: neither its customers' survey answers nor its behaviour "
                         "set it apart from the other customers"}[source]
        notes = (f"{why}, so this segment's needs are {basis}, not read from its own brand "
                 f"ratings; the benefit and the competitor come from all respondents' "
                 f"ratings (the whole-market map).")
        if _per_segment(need_text, segment, name):
            notes += " The need is worded as positioning.need says."
        rows.append(_statement_row(segment, name, parts, source,
                                   parts["attributes"]["text"], notes))
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


# --------------------------------------------------------------------------- the stage


@dataclass
class Positioning:
    """Everything the positioning stage found, for the notebook and the run folder."""

    pmap: PerceptualMap
    mds: MDSMap
    means: pd.DataFrame                 # brand means (brands x attributes)
    our_brand: str | None
    white_space: pd.DataFrame           # every attribute: who owns it (brand means), its probe
    views: pd.DataFrame                 # per target segment: brands on the common map
    needs: pd.DataFrame                 # per target segment: standardised needs
    ideals: pd.DataFrame                # per target segment: ideal point, nearest brands
    statements: pd.DataFrame            # per target segment: the statement
    white_space_distance: float = 0.5
    ownership_margin: float = OWNERSHIP_MARGIN
    notes: list[str] = field(default_factory=list)


def position_brands(ratings: pd.DataFrame | None, params,
                    segments: pd.DataFrame | None = None,
                    targeting: pd.DataFrame | None = None,
                    random_state: int = 0) -> Positioning | None:
    """Run the positioning stage on the brand ratings (None without ratings).

    Every target segment gets a statement. A segment whose customers answered the
    brand survey (ratings linked by ``customer_id``) gets its view of the brands,
    an ideal point and a statement from its own ratings; any other target
    segment (all of them when the ratings have no ``customer_id``) gets a
    statement built from what the run knows about it (:func:`market_statements`),
    whose notes say so.

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
        What 02_segment and 03_targeting wrote; without them, no per-segment
        maps or statements. ``segments`` may also carry the customers' survey
        answers, one numeric column per item (:func:`read_inputs` adds them).
    random_state : int
        Passed to MDS (which starts from classical scaling, so it is not needed).
    """
    if ratings is None:
        return None
    pmap = perceptual_map(ratings, params.ideal_brand)
    check_our_brand(pmap, params.our_brand)
    means = brand_means(ratings, params.ideal_brand)
    notes = []
    views = needs = ideals = None
    statements: list[pd.DataFrame] = []
    order: dict = {}   # target segment -> its rank order
    if segments is None or targeting is None:
        notes.append("No segments or targeting in this run, so no map or positioning "
                     "statement per target segment.")
    else:
        targets = target_segments(targeting)
        if "customer_id" in ratings:
            linked = link_segments(ratings, segments)
            respondents = _respondent_key(linked)
            unlinked = respondents[linked["segment"].isna()].nunique()
            if unlinked:
                notes.append(f"{unlinked:,} of {respondents.nunique():,} respondents are not "
                             f"customers of this run (no segment); they count only in the "
                             f"all-respondents map.")
            views = segment_brand_maps(linked, targets, pmap)
            needs = segment_needs(linked, targets, pmap, params.ideal_brand)
            ideals = ideal_points(needs, pmap, params.our_brand, params.white_space_distance)
            statements.append(positioning_statements(ideals, needs, views, params.our_brand,
                                                     params.category, params.reason,
                                                     params.need))
            missing = targets[~targets["segment"].isin(set(needs["segment"]))]
            why = "None of this segment's customers answered the brand survey"
            if not missing.empty:
                notes.append(
                    f"No survey respondents in target segment(s) "
                    f"{', '.join(md(n) for n in missing['segment_name'])}: no ideal point for "
                    f"them; their statements are built from what the run knows about them "
                    f"(their customers' survey answers, else their behaviour) against the "
                    f"whole-market map.")
        else:
            missing = targets
            why = ("The brand survey is not linked to customers (the ratings have no "
                   "customer_id)")
            notes.append("The ratings carry no `customer_id`, so respondents cannot be linked "
                         "to segments: there is no map or ideal point per target segment. Each "
                         "target segment's statement is built from what the run knows about "
                         "it (its customers' survey answers, else its behaviour) against the "
                         "whole-market map, and its notes say so.")
        if not missing.empty:
            real = ratings[ratings["brand"].astype(str).isin(set(map(str, means.index)))]
            statements.append(market_statements(
                missing, segments, targeting, pmap, means, params.our_brand,
                _respondent_key(real).nunique(), why, params.category, params.reason,
                params.need))
        notes += _unused_keys(params, targets)
        order = {s: i for i, s in enumerate(targets["segment"])}
    frames = [f for f in statements if not f.empty]
    empty = pd.DataFrame()
    table = (pd.concat(frames, ignore_index=True).sort_values(
        "segment", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
        if frames else empty)
    return Positioning(
        pmap=pmap, mds=mds_map(means, pmap, random_state), means=means,
        our_brand=params.our_brand, white_space=white_space(pmap, means),
        views=empty if views is None else views, needs=empty if needs is None else needs,
        ideals=empty if ideals is None else ideals,
        statements=table,
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
    """Brand ratings (None when the client gave none), segments and targeting.

    When the customer table holds survey answers (the columns ``collect.json``
    says came from the survey, factor scores left out), they are added to the
    segments, one column per item, so that a target segment without brand-survey
    respondents can take its needs from its customers' answers
    (:func:`survey_traits`). Only those columns are taken from the customer table.
    """
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    ratings, segments, targeting = (run.read_brand_ratings(), run.read_segments(),
                                    run.read_targeting())
    if ratings is not None and run.exists("collect.json") and run.exists("customers.parquet"):
        from seglib.persona import survey_items

        items = survey_items(run.read_collect_meta())
        if items:
            customers = run.read_customers()
            items = [c for c in items if c in customers.columns and c not in segments.columns
                     and pd.api.types.is_numeric_dtype(customers[c])
                     and not pd.api.types.is_bool_dtype(customers[c])]
            if items:
                answers = customers[["customer_id", *items]].drop_duplicates("customer_id")
                segments = segments.merge(answers, on="customer_id", how="left")
    return ratings, segments, targeting


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
    """Which brand owns each attribute and which attributes no brand owns, in words."""
    table = result.white_space
    margin = f"{result.ownership_margin:g}"
    rule = (f"A brand owns an attribute when its standardised mean is the highest of all "
            f"brands and leads the next brand's by at least {margin} standard deviations (SD) "
            f"of the brand means; this is read from the brand means, not from the map, which "
            f"keeps {sum(result.pmap.explained):.0%} of the differences between brands.")
    owned = table[~table["open"]]
    owned_text = "; ".join(f"{md(_label(r.attribute))}: {md(r.owner)} (ahead of "
                           f"{md(r.runner_up)} by {r.lead:.2f} SD)"
                           for r in owned.sort_values("lead", ascending=False).itertuples())
    open_ = table[table["open"]]
    if open_.empty:
        return (f"**White space:** none. Every attribute has an owner: {owned_text}. {rule}")
    listed = "; ".join(
        f"{md(_label(r.attribute))} ("
        + (f"{md(r.leader)} and {md(r.runner_up)} tie" if r.lead < 1e-9 else
           f"{md(r.leader)} leads {md(r.runner_up)} by only {r.lead:.2f} SD") + ")"
        for r in open_.itertuples())
    text = (f"**White space:** no brand clearly owns {listed} (dashed circles on the map, in "
            f"the attribute's direction). An open attribute is an opportunity only if some "
            f"segment wants it.")
    if owned_text:
        text += f" Owned: {owned_text}."
    return f"{text} {rule}"


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
    """The positioning statements, data escaped, placeholders in bold with what to set.

    Under each statement: its evidence, what fills its placeholders (only config
    keys that are not set; a key set without this segment's entry is named as
    such) and its notes (why its needs are inferred, when they are).
    """
    if result is None or result.statements.empty:
        return ""
    lines = []
    for row in result.statements.itertuples():
        lines.append(f"**{md(row.segment_name)}**: {statement_text(row.parts, markdown=True)}")
        if row.evidence:
            lines.append(f"  _Evidence: {md(row.evidence)}._")
        if row.placeholders:
            gaps = [row.parts[s] for s in row.placeholders.split(", ")]
            keys = list(dict.fromkeys(g["key"] for g in gaps if g.get("key")))
            entries = list(dict.fromkeys(g["entry"] for g in gaps if g.get("entry")))
            todo = []
            if keys:
                todo.append("set " + ", ".join(f"`{k}`" for k in keys))
            if entries:
                todo.append(f"add an entry for {md(row.segment_name)} to "
                            + ", ".join(f"`{k}`" for k in entries))
            lines.append(f"  _Placeholder, to fill: {row.placeholders}"
                         + (f" ({'; '.join(todo)})" if todo else "") + "._")
        if getattr(row, "notes", ""):
            lines.append(f"  _Note: {md(row.notes)}_")
        lines.append("")
    return "\n".join(lines)


def targets_table(result: Positioning) -> pd.DataFrame:
    """One row per target segment: its ideal point (if any), top needs and statement.

    ``IDEAL_COLUMNS`` (:func:`ideal_points`), ``top_needs`` (the three
    attributes it wants most), then the statement's ``statement, placeholders,
    competitor, evidence, notes``. A segment without brand-survey respondents has
    no ideal point: ``respondents`` 0, ``source`` what its needs are inferred
    from, no coordinates or distances, ``open_position`` and ``weak`` False,
    ``top_needs`` the attributes its needs point to and ``nearest_competitor``
    the statement's competitor when it was chosen by them (else empty).
    """
    ideals = (result.ideals.set_index("segment") if not result.ideals.empty
              else pd.DataFrame(columns=IDEAL_COLUMNS).set_index("segment"))
    top: dict = {}
    if not result.needs.empty:
        needs = result.needs.set_index("segment").drop(
            columns=["segment_name", "respondents", "source"])
        top = needs.apply(lambda r: ", ".join(r.sort_values(ascending=False).index[:3]),
                          axis=1).to_dict()
    rows = []
    for row in result.statements.itertuples(index=False):
        if row.segment in ideals.index:
            base = {**ideals.loc[row.segment].to_dict(), "top_needs": top.get(row.segment)}
        else:
            pointed = row.need_attributes or None
            base = {"respondents": 0, "source": row.source, "dim1": np.nan, "dim2": np.nan,
                    "nearest_brand": None,
                    "nearest_competitor": (row.competitor or None) if pointed else None,
                    "competitor_distance": np.nan, "our_distance": np.nan,
                    "open_position": False, "weak": False, "top_needs": pointed}
        rows.append({**base, "segment": row.segment, "segment_name": row.segment_name,
                     "statement": row.statement, "placeholders": row.placeholders,
                     "competitor": row.competitor, "evidence": row.evidence,
                     "notes": row.notes})
    table = pd.DataFrame(rows, columns=[*IDEAL_COLUMNS, "top_needs", "statement",
                                        "placeholders", "competitor", "evidence", "notes"])
    table["respondents"] = table["respondents"].astype("int64")
    for column in ("open_position", "weak"):
        table[column] = table[column].astype(bool)
    return table


def write_outputs(result: Positioning | PerceptualMap | None,
                  run: RunFolder | Path) -> dict[str, Path]:
    """Write the stage's files (full precision); nothing without a map (None).

    ``positioning.csv`` (brand, dim1, dim2) and ``positioning_attributes.csv``
    (attribute, dim1, dim2 loadings) always; from a :class:`Positioning` also
    ``positioning_mds.csv`` (brand, dim1, dim2, stress),
    ``positioning_white_space.csv`` and, with target segments,
    ``positioning_segments.csv`` (each linked target's view of the brands) and
    ``positioning_targets.csv`` (:func:`targets_table`).
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
        if not result.views.empty:
            frames["positioning_segments.csv"] = result.views
        if not result.statements.empty:
            frames["positioning_targets.csv"] = targets_table(result)
    written = run.write_positioning(frames)
    keys = {"positioning.csv": "positioning", "positioning_attributes.csv": "attributes",
            "positioning_mds.csv": "mds", "positioning_white_space.csv": "white_space",
            "positioning_segments.csv": "segments", "positioning_targets.csv": "targets"}
    return {keys[name]: path for name, path in written.items()}


# --------------------------------------------------------------------------- figures


