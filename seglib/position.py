"""Stage 4, positioning: where each brand stands in customers' minds.

The perceptual map is a PCA biplot of the brands' mean ratings: each attribute
is standardised across brands, so the map shows how brands differ from one
another, not how generous raters are. Brands are points; attributes are arrows
(their loadings), pointing where brands rated high on them lie.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seglib.errors import ConfigError, DataError
from seglib.text import md

ID_COLUMNS = ("respondent_id", "customer_id", "brand")


@dataclass
class PerceptualMap:
    """Brand coordinates, attribute loadings and the variance each dimension explains."""

    brands: pd.DataFrame        # brand, dim1, dim2
    attributes: pd.DataFrame    # attribute, dim1, dim2
    explained: tuple[float, float]


def brand_means(ratings: pd.DataFrame) -> pd.DataFrame:
    """Mean rating of every attribute per brand (brands as rows)."""
    attributes = [c for c in ratings.columns if c not in ID_COLUMNS
                  and pd.api.types.is_numeric_dtype(ratings[c])]
    return ratings.groupby("brand")[attributes].mean().sort_index()


def perceptual_map(ratings: pd.DataFrame) -> PerceptualMap:
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
    means = brand_means(ratings)
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
    return PerceptualMap(brands=brands, attributes=attributes,
                         explained=(float(explained[0]), float(explained[1])))


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


def read_ratings(run_dir: Path) -> pd.DataFrame | None:
    """The brand ratings that 01_collect wrote, or None when the client gave none."""
    path = Path(run_dir) / "brand_ratings.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def status_text(ratings: pd.DataFrame | None) -> str:
    """What the positioning stage can do with the data at hand."""
    if ratings is None:
        return ("**No brand ratings in this run**, so there is no perceptual map. Add a "
                "`brand_ratings` source (one row per rating: a `brand` column and one numeric "
                "column per attribute) to draw one.")
    respondents = ratings["respondent_id"].nunique() if "respondent_id" in ratings else len(ratings)
    return (f"{len(ratings):,} ratings of {ratings['brand'].nunique()} brands by "
            f"{respondents:,} respondents.")


def write_outputs(pmap: PerceptualMap, run_dir: Path) -> dict[str, Path]:
    """Write ``positioning.csv`` and ``positioning_attributes.csv`` (full precision)."""
    run_dir = Path(run_dir)
    out = {"positioning": run_dir / "positioning.csv",
           "attributes": run_dir / "positioning_attributes.csv"}
    pmap.brands.to_csv(out["positioning"], index=False)
    pmap.attributes.to_csv(out["attributes"], index=False)
    return out
