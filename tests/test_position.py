import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from seglib import position
from seglib.errors import DataError


def ratings():
    rows = []
    profiles = {"Ours": [6, 3, 6, 4], "Cheap": [3, 7, 2, 5], "Fast": [4, 4, 3, 7],
                "Posh": [7, 1, 5, 2]}
    rng = np.random.default_rng(0)
    for r in range(20):
        for brand, means in profiles.items():
            values = np.clip(np.array(means) + rng.normal(0, 0.5, 4), 1, 7)
            rows.append({"respondent_id": f"R{r}", "brand": brand,
                         **dict(zip(["quality", "price", "service", "speed"], values, strict=True))})
    return pd.DataFrame(rows)


def test_map_matches_an_independent_pca_up_to_sign():
    data = ratings()
    pmap = position.perceptual_map(data)
    means = data.groupby("brand")[["quality", "price", "service", "speed"]].mean()
    z = (means - means.mean()) / means.std(ddof=1)
    reference = PCA(n_components=2).fit(z)
    scores = reference.transform(z)
    ours = pmap.brands.set_index("brand").loc[means.index, ["dim1", "dim2"]].to_numpy()
    for dim in range(2):
        sign = np.sign(ours[0, dim] * scores[0, dim])
        np.testing.assert_allclose(ours[:, dim], sign * scores[:, dim], atol=1e-9)
    np.testing.assert_allclose(pmap.explained, reference.explained_variance_ratio_, atol=1e-9)
    # loadings are correlations between attributes and dimensions
    loads = pmap.attributes.set_index("attribute").loc[z.columns, ["dim1", "dim2"]]
    for attribute in z.columns:
        corr = np.corrcoef(z[attribute], ours[:, 0])[0, 1]
        assert loads.loc[attribute, "dim1"] == pytest.approx(corr, abs=1e-9)


def test_describe_map_names_the_nearest_competitor():
    text = position.describe_map(position.perceptual_map(ratings()), "Ours")
    assert "nearest competitor" in text and "Posh" in text


def test_too_few_brands_is_a_data_error():
    data = ratings()
    with pytest.raises(DataError, match="at least 3"):
        position.perceptual_map(data[data["brand"].isin(["Ours", "Cheap"])])


def test_status_without_ratings_says_so():
    assert "No brand ratings" in position.status_text(None)


def test_unknown_our_brand_is_a_config_error_listing_the_brands():
    from seglib.errors import ConfigError

    with pytest.raises(ConfigError, match="positioning.our_brand: 'Ourz' is not among"):
        position.describe_map(position.perceptual_map(ratings()), "Ourz")


def test_brand_names_from_data_are_escaped_in_the_reading():
    data = ratings().replace({"brand": {"Posh": "Posh<svg onload=x>"}})
    text = position.describe_map(position.perceptual_map(data), "Ours")
    assert "Posh<svg" not in text and r"Posh\<svg onload=x\>" in text
