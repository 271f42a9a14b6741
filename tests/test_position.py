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


def disagreeing_ratings():
    # one respondent per brand, so the brand means are these rows; the 2-D map (84% of the
    # differences) puts Ours furthest along speed, but against the other brands Ours stands
    # out most on service: z = (7 - 5.5) / std(7, 6, 4, 5) = 1.16 vs speed (7 - 5.5) / 1.91 = 0.78
    return pd.DataFrame({"brand": ["Ours", "B", "C", "D"],
                         "quality": [5, 1, 5, 2], "price": [3, 5, 4, 3],
                         "service": [7, 6, 4, 5], "speed": [7, 5, 3, 7]})


def test_strongest_attribute_comes_from_the_standardised_means_not_the_map():
    data = disagreeing_ratings()
    pmap = position.perceptual_map(data)
    means = position.brand_means(data)
    z = position.standardised_means(means)
    assert z.loc["Ours", "service"] == pytest.approx(1.5 / np.std([7, 6, 4, 5], ddof=1))
    assert z.loc["Ours"].idxmax() == "service"
    ours = pmap.brands.set_index("brand").loc["Ours", ["dim1", "dim2"]].to_numpy()
    on_map = pmap.attributes.set_index("attribute")[["dim1", "dim2"]] @ ours
    assert on_map.idxmax() == "speed"   # the flattened map would name speed
    text = position.describe_map(pmap, "Ours", means=means)
    assert "Ours is seen as strongest on service" in text
    assert "strongest on speed" in position.describe_map(pmap, "Ours")   # fallback: the map


def test_strongest_attribute_is_the_largest_z_score():
    data = ratings()
    means = position.brand_means(data)
    z = (means - means.mean()) / means.std(ddof=1)
    text = position.describe_map(position.perceptual_map(data), "Ours", means=means)
    assert f"strongest on {z.loc['Ours'].idxmax()};" in text
    assert "nearest competitor in customers' minds is Posh" in text


def test_positioning_csv_keeps_full_precision(tmp_path):
    pmap = position.perceptual_map(ratings())
    paths = position.write_outputs(pmap, tmp_path)
    back = pd.read_csv(paths["positioning"])
    np.testing.assert_array_equal(back[["dim1", "dim2"]].to_numpy(),
                                  pmap.brands[["dim1", "dim2"]].to_numpy())


def test_labels_of_nearly_collinear_attributes_are_pushed_apart():
    import matplotlib

    matplotlib.use("Agg")
    from seglib import plots

    brands = pd.DataFrame({"brand": ["Ours", "B", "C"], "dim1": [1.0, -1.0, 0.0],
                           "dim2": [0.0, 0.5, -1.0]})
    attributes = pd.DataFrame({"attribute": ["quality", "service", "price"],
                               "dim1": [0.9, 0.9, -0.2], "dim2": [0.30, 0.31, -0.9]})
    labels = plots.perceptual_map_labels(brands, attributes, gap_share=0.06)
    threshold = 0.06 * 2 * labels.attrs["lim"]
    at = labels.set_index("label")
    # before: 0.01 * scale * 1.08 apart, i.e. on top of each other
    assert abs(at.loc["quality", "y"] - at.loc["service", "y"]) >= threshold - 1e-9
    assert at.loc["quality", "x"] == pytest.approx(0.9 * labels.attrs["scale"] * 1.08)
    # no two labels that overlap horizontally are closer than the threshold
    xy = labels[["x", "y"]].to_numpy()
    for i in range(len(xy)):
        for j in range(i + 1, len(xy)):
            if abs(xy[i, 0] - xy[j, 0]) < 2 * threshold:
                assert abs(xy[i, 1] - xy[j, 1]) >= threshold - 1e-9
    plots.perceptual_map(brands, attributes, (0.6, 0.3), "Ours")   # draws without error


def test_spread_labels_splits_the_shortfall_and_leaves_far_labels_alone():
    from seglib import plots

    y = plots.spread_labels([0.0, 0.0, 5.0], [1.0, 1.2, 1.0], min_gap=1.0)
    np.testing.assert_allclose(y, [0.6, 1.6, 1.0])   # 0.8 short: 0.4 down, 0.4 up
