import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from seglib import plots, position
from seglib.errors import ConfigError, DataError


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


# --------------------------------------------------------------------------- hand-made survey

PROFILES = {"Ours": [6, 3, 6, 4], "Cheap": [3, 7, 2, 5], "Fast": [4, 4, 3, 7],
            "Posh": [7, 1, 5, 2]}
ATTRIBUTES = ["quality", "price", "service", "speed"]


def survey(ideals=None, importance=None):
    """Three respondents (customers C1-C3, segments 1-3) rating every brand alike.

    ``ideals``: {customer: profile} adds an "Ideal brand" row; ``importance``:
    {customer: values} adds importance_<attribute> columns on every row.
    """
    rows = []
    for number, customer in enumerate(["C1", "C2", "C3"], start=1):
        profiles = dict(PROFILES)
        if ideals and customer in ideals:
            profiles["Ideal brand"] = ideals[customer]
        for brand, values in profiles.items():
            row = {"respondent_id": f"R{number}", "customer_id": customer, "brand": brand,
                   **dict(zip(ATTRIBUTES, values, strict=True))}
            if importance:
                row.update({f"importance_{a}": v for a, v in
                            zip(ATTRIBUTES, importance[customer], strict=True)})
            rows.append(row)
    return pd.DataFrame(rows)


SEGMENTS = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "segment": [1, 2, 3],
                         "segment_name": ["Savers", "Hurried", "Others"]})
TARGETING = pd.DataFrame({"segment": [1, 2, 3], "segment_name": ["Savers", "Hurried", "Others"],
                          "rank": [1, 2, 3], "selected": [True, True, False]})


def params(**values):
    from seglib.config import PositioningConfig

    return PositioningConfig(**values)


def profile_z():
    means = pd.DataFrame(PROFILES, index=ATTRIBUTES).T
    return (means - means.mean()) / means.std(ddof=1)


def test_pca_map_equals_numpy_svd_of_the_standardised_means_up_to_sign():
    pmap = position.perceptual_map(survey())
    z = profile_z().sort_index()
    u, s, vt = np.linalg.svd(z.to_numpy(), full_matrices=False)
    ours = pmap.brands.set_index("brand").loc[z.index, ["dim1", "dim2"]].to_numpy()
    loads = pmap.attributes.set_index("attribute").loc[ATTRIBUTES, ["dim1", "dim2"]].to_numpy()
    for dim in range(2):
        sign = np.sign(ours[0, dim] / (u[0, dim] * s[dim]))
        np.testing.assert_allclose(ours[:, dim], sign * u[:, dim] * s[dim], atol=1e-12)
        np.testing.assert_allclose(loads[:, dim], sign * vt[dim] * s[dim] / np.sqrt(3),
                                   atol=1e-12)
    np.testing.assert_allclose(pmap.explained, s[:2] ** 2 / np.sum(s**2), atol=1e-12)
    # projecting the brand means with the map's own centre, spread and axes gives the brands back
    np.testing.assert_allclose(pmap.project(pd.DataFrame(PROFILES, index=ATTRIBUTES).T.sort_index())
                               .to_numpy(), ours, atol=1e-12)


def test_the_ideal_brand_is_not_a_brand_on_the_map():
    data = survey(ideals={"C1": [1, 7, 1, 1]})
    assert position.ideal_brand_name(data) == "Ideal brand"
    pmap = position.perceptual_map(data)
    assert sorted(pmap.brands["brand"]) == sorted(PROFILES)
    with pytest.raises(ConfigError, match="positioning.ideal_brand: 'Dream' is not among"):
        position.ideal_brand_name(data, "Dream")


def test_mds_reproduces_dissimilarities_of_a_planar_toy():
    # six brands on a plane; four attributes linear in the plane, so the standardised
    # profiles (and their distances) are exactly 2-D
    plane = np.array([[0, 0], [3, 0], [0, 2], [3, 2], [1.5, 4], [-1, 1]], dtype=float)
    mixing = np.array([[1.0, 0.2], [-0.5, 1.0], [0.3, -0.8], [0.9, 0.9]])
    means = pd.DataFrame(plane @ mixing.T + 4, columns=ATTRIBUTES,
                         index=[f"B{i}" for i in range(6)])
    z = (means - means.mean()) / means.std(ddof=1)
    expected = np.sqrt(((z.to_numpy()[:, None] - z.to_numpy()[None]) ** 2).sum(axis=2))
    mds = position.mds_map(means)
    np.testing.assert_allclose(mds.dissimilarities.to_numpy(), expected, atol=1e-12)
    xy = mds.brands[["dim1", "dim2"]].to_numpy()
    fitted = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(fitted, expected, atol=1e-3)
    assert mds.stress < 1e-3
    assert position.stress_word(mds.stress) == "excellent"


def test_mds_is_rotated_onto_the_pca_map_and_deterministic():
    data = ratings()
    pmap = position.perceptual_map(data)
    first = position.mds_map(position.brand_means(data), pmap, random_state=1)
    second = position.mds_map(position.brand_means(data), pmap, random_state=2)
    pd.testing.assert_frame_equal(first.brands, second.brands)
    pca = pmap.brands.set_index("brand")[["dim1", "dim2"]]
    mds = first.brands.set_index("brand").loc[pca.index, ["dim1", "dim2"]]
    assert np.abs(mds.to_numpy() - pca.to_numpy()).max() < 0.15 * np.abs(pca.to_numpy()).max()


def test_kruskal_stress_by_hand():
    dissim = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    on_a_line = np.array([[0, 0], [1, 0], [2, 0]], dtype=float)
    assert position.kruskal_stress(dissim, on_a_line) == pytest.approx(0.0)
    squeezed = on_a_line / 2   # distances 0.5, 1, 0.5 against 1, 2, 1
    assert position.kruskal_stress(dissim, squeezed) == pytest.approx(np.sqrt(1.5 / 6))


def test_ideal_point_from_ideal_brand_ratings_and_the_nearest_competitor():
    data = survey(ideals={"C1": PROFILES["Cheap"], "C2": PROFILES["Fast"]})
    result = position.position_brands(data, params(our_brand="Fast"), SEGMENTS, TARGETING)
    brands = result.pmap.brands.set_index("brand")[["dim1", "dim2"]]
    ideals = result.ideals.set_index("segment")
    assert list(ideals.index) == [1, 2]            # targets only, in rank order
    assert set(ideals["source"]) == {"ideal"}
    # an ideal equal to a brand's profile sits exactly on that brand
    np.testing.assert_allclose(ideals.loc[1, ["dim1", "dim2"]].astype(float), brands.loc["Cheap"],
                               atol=1e-12)
    np.testing.assert_allclose(ideals.loc[2, ["dim1", "dim2"]].astype(float), brands.loc["Fast"],
                               atol=1e-12)
    assert ideals.loc[1, "nearest_brand"] == ideals.loc[1, "nearest_competitor"] == "Cheap"
    # our own brand is the nearest brand, but never the competitor
    distances = np.hypot(*(brands.drop(index="Fast") - brands.loc["Fast"]).to_numpy().T)
    assert ideals.loc[2, "nearest_brand"] == "Fast"
    assert ideals.loc[2, "nearest_competitor"] == brands.drop(index="Fast").index[distances.argmin()]
    assert ideals.loc[2, "our_distance"] == pytest.approx(0.0, abs=1e-12)
    assert ideals.loc[2, "competitor_distance"] == pytest.approx(distances.min())


def test_ideal_point_from_importance_ratings():
    data = survey(importance={"C1": [7, 1, 4, 4], "C2": [4, 4, 4, 4], "C3": [1, 1, 1, 1]})
    assert "importance_quality" not in position.attribute_columns(data)
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, TARGETING)
    needs = result.needs.set_index("segment")
    # (7, 1, 4, 4): mean 4, population sd sqrt(18 / 4)
    np.testing.assert_allclose(needs.loc[1, ATTRIBUTES].astype(float),
                               np.array([3, -3, 0, 0]) / np.sqrt(18 / 4))
    assert (needs.loc[2, ATTRIBUTES] == 0).all()   # everything equally important
    point = needs.loc[1, ATTRIBUTES].astype(float).to_numpy() @ result.pmap.axes.to_numpy()
    ideal = result.ideals.set_index("segment").loc[1]
    np.testing.assert_allclose(ideal[["dim1", "dim2"]].astype(float), point, atol=1e-12)
    # wanting quality and not price: Posh (7, 1, ...) is the competitor to beat
    assert ideal["nearest_competitor"] == "Posh"


def test_ideal_point_from_ratings_alone_is_the_relative_profile():
    data = survey()
    data.loc[data["customer_id"] == "C1", "quality"] += 1.0   # C1 rates quality 1 point higher
    result = position.position_brands(data, params(), SEGMENTS, TARGETING)
    needs = result.needs.set_index("segment")
    assert needs.loc[1, "source"] == "ratings"
    # difference to everyone: quality +2/3, others 0; less its mean (1/6); over the brands' spread
    spread = pd.DataFrame(PROFILES, index=ATTRIBUTES).T.std(ddof=1)
    difference = pd.Series([2 / 3, 0, 0, 0], index=ATTRIBUTES) - 1 / 6
    np.testing.assert_allclose(needs.loc[1, ATTRIBUTES].astype(float), difference / spread)


def test_white_space_is_the_attribute_direction_no_brand_owns():
    brands = pd.DataFrame({"brand": ["A", "B", "C"], "dim1": [2.0, -2.0, 0.0],
                           "dim2": [0.0, 0.0, -2.0]})
    attributes = pd.DataFrame({"attribute": ["east", "up"], "dim1": [0.9, 0.0],
                               "dim2": [0.0, 0.8]})
    pmap = position.PerceptualMap(brands, attributes, (0.6, 0.3))
    table = position.white_space(pmap, distance=0.5).set_index("attribute")
    assert table.loc["east", "nearest_brand"] == "A" and not table.loc["east", "open"]
    # the probe for "up" is (0, 2): the nearest brands are 2 * sqrt(2) away, more than 0.5 * 2
    assert table.loc["up", "distance"] == pytest.approx(2 * np.sqrt(2))
    assert table.loc["up", "open"]
    assert list(table.index) == ["up", "east"]


def expected_benefit(attributes, competitor: str) -> str:
    """The benefit the statement should claim, computed from the planted profiles."""
    table = pd.DataFrame(PROFILES, index=ATTRIBUTES).T.loc[:, list(attributes)]
    over_field = table.loc["Ours"] - table.drop(index="Ours").max()
    if over_field.max() > 0:
        return f"leads on {over_field.idxmax()}"
    lead = table.loc["Ours"] - table.loc[competitor]
    return f"is rated above {competitor} on {lead.idxmax()}"


def test_statement_marks_placeholders_when_the_config_is_absent():
    data = survey(ideals={"C1": PROFILES["Cheap"], "C2": PROFILES["Fast"]})
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, TARGETING)
    row = result.statements.set_index("segment").loc[1]
    assert "[category: set positioning.category]" in row["statement"]
    assert row["statement"].endswith("because [reason: set positioning.reason].")
    assert row["placeholders"] == "category, reason"
    # the data fill the rest: Savers want what Cheap offers, and Cheap is the competitor
    z = profile_z()
    top = z.loc["Cheap"].sort_values(ascending=False).index[:2]
    assert row["statement"].startswith(
        f"For Savers who care most about {top[0]} and {top[1]}, Ours is the ")
    assert "unlike Cheap" in row["statement"]
    wanted = z.loc["Cheap"].sort_values(ascending=False).index[:3]
    assert f"that {expected_benefit(wanted, 'Cheap')}," in row["statement"]
    text = position.statements_markdown(result)
    assert r"**\[category: set positioning\.category\]**" in text
    assert "set `positioning.category`, `positioning.reason`" in text


def test_statement_takes_category_and_reason_from_the_config():
    data = survey(ideals={"C1": PROFILES["Cheap"], "C2": PROFILES["Fast"]})
    config = params(our_brand="Ours", category={1: "furniture store", "Hurried": "quick shop"},
                    reason="every sofa is made to order")
    result = position.position_brands(data, config, SEGMENTS, TARGETING)
    rows = result.statements.set_index("segment")
    assert "Ours is the furniture store that" in rows.loc[1, "statement"]
    assert "Ours is the quick shop that" in rows.loc[2, "statement"]
    assert rows.loc[1, "statement"].endswith("because every sofa is made to order.")
    assert rows.loc[1, "placeholders"] == ""
    # a per-segment key that matches no target is reported, not silently dropped
    typo = params(our_brand="Ours", category={"Savrs": "store"})
    notes = position.position_brands(data, typo, SEGMENTS, TARGETING).notes
    assert any("positioning.category" in n and "Savrs" in n for n in notes)


def test_without_our_brand_the_brand_and_benefit_are_placeholders():
    data = survey(ideals={"C1": PROFILES["Cheap"]})
    result = position.position_brands(data, params(), SEGMENTS, TARGETING)
    row = result.statements.iloc[0]
    assert "[brand: set positioning.our_brand] is the" in row["statement"]
    assert row["placeholders"] == "brand, category, benefit, reason"
    # segment 2 has no ideal-brand rows, so its ideal point comes from its ratings
    assert result.ideals.set_index("segment").loc[2, "source"] == "ratings"


def test_a_weak_ideal_point_leaves_the_need_as_a_placeholder():
    data = survey()   # every respondent rates alike: no segment wants anything more
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, TARGETING)
    assert result.ideals["weak"].all()
    row = result.statements.iloc[0]
    assert "[need: set positioning.need;" in row["statement"]
    # the competitor is then the brand nearest to ours, not the brand nearest the centre
    brands = result.pmap.brands.set_index("brand")[["dim1", "dim2"]]
    others = brands.drop(index="Ours")
    nearest = others.index[np.hypot(*(others - brands.loc["Ours"]).to_numpy().T).argmin()]
    assert f"unlike {nearest}," in row["statement"]
    # and the benefit: where Ours is first of all brands, on any attribute
    assert f"that {expected_benefit(ATTRIBUTES, nearest)}," in row["statement"]
    assert "barely differs" in position.ideals_text(result)


def test_text_from_the_data_is_escaped_in_the_markdown():
    data = survey(ideals={"C1": PROFILES["Posh"]}).replace({"brand": {"Posh": "<b>Best*</b>"}})
    segments = SEGMENTS.replace({"segment_name": {"Savers": "Savers <i>_x_</i>"}})
    targeting = TARGETING.replace({"segment_name": {"Savers": "Savers <i>_x_</i>"}})
    result = position.position_brands(data, params(our_brand="Ours"), segments, targeting)
    assert result.ideals.iloc[0]["nearest_competitor"] == "<b>Best*</b>"
    for text in (position.statements_markdown(result), position.ideals_text(result)):
        assert "<b>" not in text and "<i>" not in text
        assert r"\<b\>Best\*\</b\>" in text
        assert r"Savers \<i\>\_x\_\</i\>" in text
    assert "<b>" not in position.map_text(result)


def test_respondents_outside_the_run_are_noted_and_ratings_without_customers_skip_segments():
    data = survey()
    data.loc[data["customer_id"] == "C3", "customer_id"] = "C9"
    result = position.position_brands(data, params(), SEGMENTS, TARGETING)
    assert any("1 of 3 respondents are not customers" in n for n in result.notes)
    result = position.position_brands(data.drop(columns="customer_id"), params(), SEGMENTS,
                                      TARGETING)
    assert result.ideals.empty and any("no `customer_id`" in n for n in result.notes)
    assert position.position_brands(None, params()) is None


def test_write_outputs_writes_the_segment_maps_and_statements(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    data = survey(ideals={"C1": PROFILES["Cheap"], "C2": PROFILES["Fast"]})
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, TARGETING)
    paths = position.write_outputs(result, tmp_path)
    views = pd.read_csv(paths["segments"])
    assert sorted(views["segment"].unique()) == [1, 2]
    assert list(views.columns[:7]) == ["segment", "segment_name", "respondents", "brand",
                                       "ratings", "dim1", "dim2"]
    # each segment rates like everyone here, so its view is the all-respondents map
    mine = views[views["segment"] == 1].set_index("brand")[["dim1", "dim2"]]
    brands = result.pmap.brands.set_index("brand")[["dim1", "dim2"]]
    np.testing.assert_allclose(mine.loc[brands.index].to_numpy(), brands.to_numpy(), atol=1e-12)
    targets = pd.read_csv(paths["targets"])
    assert list(targets["nearest_competitor"]) == ["Cheap", "Fast"]
    assert targets["statement"].str.startswith("For ").all()
    mds = pd.read_csv(paths["mds"])
    assert list(mds.columns) == ["brand", "dim1", "dim2", "stress"]
    for figure in (plots.draw_map(result), plots.draw_mds(result),
                   plots.draw_segment_maps(result)):
        assert figure is not None
    assert position.write_outputs(None, tmp_path) == {}


def test_config_takes_one_string_or_a_dict_per_segment():
    from pydantic import ValidationError

    assert params(category={4: "store", "Savers": "shop"}).category == {4: "store",
                                                                         "Savers": "shop"}
    assert params(reason="proof").reason == "proof"
    with pytest.raises(ValidationError):
        params(white_space_distance=0)


def test_crowded_map_labels_do_not_overlap_and_the_map_is_the_same_every_time():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seglib.plots.position import _draw_biplot

    brands = pd.DataFrame({"brand": ["Tiết Kiệm Plus", "Kho Nhà Lớn", "ClickNhà", "Phố Trend",
                                     "Mây Tre Atelier"],
                           "dim1": [-2.1, -1.9, -2.0, -1.8, 2.0],
                           "dim2": [-0.8, -0.7, -0.9, -0.75, 1.0]})
    attributes = pd.DataFrame({"attribute": ["value_for_money", "convenience", "quality",
                                             "service", "trust"],
                               "dim1": [-0.6, -0.55, 0.6, 0.58, 0.4],
                               "dim2": [-0.2, -0.25, -0.3, -0.32, -0.5]})
    drawn = []
    for _ in range(2):
        fig, ax = plt.subplots(figsize=(8.5, 7.5))
        texts = _draw_biplot(ax, brands, attributes, "Mây Tre Atelier", lim=3.5, scale=4.0)
        assert len(texts) == 10
        assert plots.overlapping_labels(fig, texts) == []
        drawn.append([t.get_position() for t in texts])
        plt.close(fig)
    assert drawn[0] == drawn[1]
