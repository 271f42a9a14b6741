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


def owner_ratings():
    # one respondent per brand, so the brand means are these rows. B has the clearly highest
    # standardised trendy mean (6 against E's 4: 1.04 standard deviations ahead), but the
    # 2-D map (84% of the differences) puts D nearer the trendy arrow's direction than B
    return pd.DataFrame({"brand": ["A", "B", "C", "D", "E"],
                         "quality": [2, 6, 4, 7, 1], "price": [4, 4, 7, 2, 2],
                         "service": [6, 5, 4, 6, 6], "trendy": [2, 6, 1, 3, 4]})


def test_the_clearly_highest_standardised_mean_owns_an_attribute_whatever_the_map_shows():
    data = owner_ratings()
    pmap = position.perceptual_map(data)
    means = position.brand_means(data)
    z = (means - means.mean()) / means.std(ddof=1)
    trendy = z["trendy"].sort_values(ascending=False)
    assert list(trendy.index[:2]) == ["B", "E"]
    assert trendy["B"] - trendy["E"] == pytest.approx(2 / np.std([2, 6, 1, 3, 4], ddof=1))
    assert trendy["B"] - trendy["E"] > 1.0
    table = position.white_space(pmap, means).set_index("attribute")
    # on the map, D is nearer than B to the point drawn in the trendy direction ...
    probe = table.loc["trendy", ["dim1", "dim2"]].astype(float).to_numpy()
    xy = pmap.brands.set_index("brand")[["dim1", "dim2"]]
    assert np.hypot(*(xy - probe).to_numpy().T).argmin() == list(xy.index).index("D")
    # ... but ownership comes from the means: B owns trendy, no white space there
    assert table.loc["trendy", "owner"] == table.loc["trendy", "leader"] == "B"
    assert table.loc["trendy", "lead"] == pytest.approx(trendy["B"] - trendy["E"])
    assert not table.loc["trendy", "open"]
    # price: C leads (7 against 4) by 3 / sd(4, 4, 7, 2, 2) = 1.46, owned
    assert table.loc["price", "owner"] == "C"
    assert table.loc["price", "lead"] == pytest.approx(3 / np.std([4, 4, 7, 2, 2], ddof=1))
    # quality: D leads B (7 against 6) by only 1 / sd = 0.39 < 0.5: open
    assert table.loc["quality", "leader"] == "D" and table.loc["quality", "owner"] == ""
    assert table.loc["quality", "lead"] == pytest.approx(1 / np.std([2, 6, 4, 7, 1], ddof=1))
    assert table.loc["quality", "open"]
    # service: A, D and E tie at 6: nobody owns it
    assert table.loc["service", "lead"] == pytest.approx(0.0) and table.loc["service", "open"]
    assert list(table.index) == ["service", "quality", "trendy", "price"]  # open, then lead
    assert set(position.attribute_owners(means)["owner"].dropna()) == {"B", "C"}
    # the stage and its text say the same
    result = position.position_brands(data, params())
    pd.testing.assert_frame_equal(result.white_space, table.reset_index())
    text = position.white_space_text(result)
    assert "no brand clearly owns service (A and D tie); quality (D leads B by only 0.39 SD)" \
        in text
    assert "trendy: B (ahead of E by 1.04 SD)" in text and "owns trendy" not in text


def test_white_space_draws_each_attribute_at_the_maps_edge_and_asks_the_means_who_owns_it():
    brands = pd.DataFrame({"brand": ["A", "B", "C"], "dim1": [2.0, -2.0, 0.0],
                           "dim2": [0.0, 0.0, -2.0]})
    attributes = pd.DataFrame({"attribute": ["east", "up"], "dim1": [0.9, 0.0],
                               "dim2": [0.0, 0.8]})
    pmap = position.PerceptualMap(brands, attributes, (0.6, 0.3))
    # "up" points where no brand stands on this map, yet C leads it by far in the means;
    # "east" points at A, yet A and B are rated alike on it
    means = pd.DataFrame({"east": [5.0, 4.9, 1.0], "up": [2.0, 2.0, 6.0]},
                         index=pd.Index(["A", "B", "C"], name="brand"))
    table = position.white_space(pmap, means, margin=0.5).set_index("attribute")
    np.testing.assert_allclose(table.loc["up", ["dim1", "dim2"]].astype(float), [0.0, 2.0])
    np.testing.assert_allclose(table.loc["east", ["dim1", "dim2"]].astype(float), [2.0, 0.0])
    assert table.loc["up", "owner"] == "C" and not table.loc["up", "open"]
    sd = np.std([5.0, 4.9, 1.0], ddof=1)
    assert table.loc["east", "lead"] == pytest.approx(0.1 / sd)
    assert table.loc["east", "open"] and table.loc["east", "leader"] == "A"
    assert list(table.index) == ["east", "up"]
    # a narrower margin makes A's lead enough
    assert not position.white_space(pmap, means, margin=0.01).set_index("attribute").loc[
        "east", "open"]


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


def test_respondents_outside_the_run_are_noted_and_ratings_without_customers_get_no_maps():
    data = survey()
    data.loc[data["customer_id"] == "C3", "customer_id"] = "C9"
    result = position.position_brands(data, params(), SEGMENTS, TARGETING)
    assert any("1 of 3 respondents are not customers" in n for n in result.notes)
    result = position.position_brands(data.drop(columns="customer_id"), params(), SEGMENTS,
                                      TARGETING)
    # no map or ideal point per segment, but still a statement per target segment
    assert result.ideals.empty and result.views.empty
    assert any("no `customer_id`" in n for n in result.notes)
    assert list(result.statements["segment"]) == [1, 2]
    assert position.position_brands(None, params()) is None


# ---- statements when respondents are not linked to customers

#: Behaviour per segment, as 03_targeting writes it. Customer base (weighted by customers):
#: revenue per customer (50 * 100 + 100 * 100 + 100 * 200) / 400 = 87.5, online share
#: (0.2 * 100 + 0.8 * 100 + 0.4 * 200) / 400 = 0.45. Savers: 50 / 87.5 = 0.57 (at most
#: 1 / 1.25: spend less) and 0.2 - 0.45 = -0.25 (at least 0.15 below: online less);
#: Hurried: 100 / 87.5 = 1.14 (not 1.25: not a trait) and 0.8 - 0.45 = +0.35 (online more).
BEHAVIOUR = TARGETING.assign(customers=[100, 100, 200], revenue_per_customer=[50.0, 100, 100],
                             online_share=[0.2, 0.8, 0.4])


def unlinked():
    """The brand ratings of :func:`survey` as the usual survey gives them: no customer_id."""
    return survey().drop(columns="customer_id")


def test_without_customer_id_every_target_gets_a_statement_from_its_behaviour():
    result = position.position_brands(unlinked(), params(our_brand="Cheap"), SEGMENTS,
                                      BEHAVIOUR)
    rows = result.statements.set_index("segment")
    assert list(rows.index) == [1, 2]   # every target, in rank order; not segment 3
    assert set(rows["source"]) == {"behaviour"}
    z = profile_z()
    # Savers spend less than the customer base: their need points to price. The rival that
    # best offers it is the other brand with the highest standardised price mean
    rival = z.drop(index="Cheap")["price"].idxmax()
    assert rival == "Fast"
    assert rows.loc[1, "statement"] == (
        "For Savers who spend less than the average customer and buy online less than the "
        f"average customer, Cheap is the [category: set positioning.category] that leads on "
        f"price, unlike {rival}, because [reason: set positioning.reason].")
    assert rows.loc[1, "need_attributes"] == "price"
    assert rows.loc[1, "evidence"] == (
        "revenue per customer 50.0 against 87.5 for the average customer; share of orders "
        "online 20% against 45% for the average customer; all 3 survey respondents rate "
        "Cheap 7.0 on price, the best of 4 brands (next: Fast 4.0)")
    # Hurried buy online more: convenience, which the attribute "speed" serves; Fast owns
    # it and Cheap is not ahead of it there: the benefit is a gap to close, not a claim
    assert rows.loc[2, "need_attributes"] == "speed"
    assert rows.loc[2, "competitor"] == z.drop(index="Cheap")["speed"].idxmax() == "Fast"
    assert "who buy online more than the average customer, Cheap" in rows.loc[2, "statement"]
    assert "[benefit: Cheap does not lead Fast on speed" in rows.loc[2, "statement"]
    assert rows.loc[2, "placeholders"] == "category, benefit, reason"
    # the limitation, said plainly in every statement's notes
    for note in rows["notes"]:
        assert note.startswith("The brand survey is not linked to customers (the ratings have "
                               "no customer_id), so this segment's needs are inferred from its "
                               "behaviour (the targeting table), not read from its own brand "
                               "ratings")
    text = position.statements_markdown(result)
    assert text.count("_Note: The brand survey is not linked to customers") == 2
    assert "**Savers**: For Savers who spend less" in text


def test_without_customer_id_the_targets_file_holds_every_statement(tmp_path):
    result = position.position_brands(unlinked(), params(our_brand="Cheap"), SEGMENTS,
                                      BEHAVIOUR)
    paths = position.write_outputs(result, tmp_path)
    assert "segments" not in paths   # no segment's own view of the brands
    targets = pd.read_csv(paths["targets"])
    assert list(targets["segment"]) == [1, 2]
    assert list(targets["respondents"]) == [0, 0]
    assert list(targets["source"]) == ["behaviour", "behaviour"]
    assert not targets["open_position"].any() and not targets["weak"].any()
    assert targets[["dim1", "dim2"]].isna().all().all()
    assert list(targets["top_needs"]) == ["price", "speed"]
    assert list(targets["nearest_competitor"]) == ["Fast", "Fast"]
    assert targets["statement"].str.startswith("For ").all()
    assert targets["notes"].str.contains("not linked to customers").all()


def test_a_segment_that_stands_out_in_nothing_gets_a_need_placeholder_and_says_why():
    result = position.position_brands(unlinked(), params(our_brand="Ours"), SEGMENTS,
                                      TARGETING)   # no behaviour columns at all
    row = result.statements.set_index("segment").loc[1]
    assert row["source"] == "none"
    assert ("who [need: set positioning.need; nothing the run knows sets this segment's needs "
            "apart], Ours is the") in row["statement"]
    # no need to go by: the competitor is the brand nearest ours on the whole-market map,
    # the benefit our largest lead over the field
    brands = result.pmap.brands.set_index("brand")[["dim1", "dim2"]]
    others = brands.drop(index="Ours")
    nearest = others.index[np.hypot(*(others - brands.loc["Ours"]).to_numpy().T).argmin()]
    assert f"that {expected_benefit(ATTRIBUTES, nearest)}, unlike {nearest}," in row["statement"]
    assert "needs are unknown: neither its customers' survey answers nor its behaviour" \
        in row["notes"]


def survey_segments():
    """30 customers, 10 per segment, with their answers to two survey items."""
    rng = np.random.default_rng(3)
    segment = np.repeat([1, 2, 3], 10)
    price = np.where(segment == 1, 5.0, 2.0) + rng.normal(0, 0.3, 30)
    delivery = np.where(segment == 2, 4.5, 2.5) + rng.normal(0, 0.3, 30)
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(1, 31)], "segment": segment,
                         "segment_name": pd.Series(segment).map(
                             {1: "Savers", 2: "Hurried", 3: "Others"}),
                         "price_sensitivity": price, "values_same_day_delivery": delivery})


def test_without_customer_id_the_customers_survey_answers_come_before_behaviour():
    from seglib.persona import SURVEY_LABELS

    segments = survey_segments()
    result = position.position_brands(unlinked(), params(our_brand="Cheap"), segments,
                                      BEHAVIOUR)
    rows = result.statements.set_index("segment")
    assert set(rows["source"]) == {"customer_survey"}
    # Savers answer price_sensitivity far above all 30 customers; nothing else
    answers = segments[segments["segment"] == 1]["price_sensitivity"]
    everyone = segments["price_sensitivity"]
    assert (answers.mean() - everyone.mean()) / everyone.std() > position.SURVEY_LIFT
    label = SURVEY_LABELS["en"]["price_sensitivity"]
    assert rows.loc[1, "statement"].startswith(
        f"For Savers who care most about {label}, Cheap is the ")
    assert "that leads on price, unlike Fast," in rows.loc[1, "statement"]
    assert rows.loc[1, "evidence"].startswith(
        f"{label} (price_sensitivity): mean answer {answers.mean():.1f} against "
        f"{everyone.mean():.1f} for all customers (10 of its customers answered)")
    assert "inferred from its customers' survey answers" in rows.loc[1, "notes"]
    # Hurried want same-day delivery: convenience, served by speed
    assert rows.loc[2, "need_attributes"] == "speed"
    # fewer than MIN_SURVEY_ANSWERS answers: the item says nothing, behaviour is used
    few = segments.assign(price_sensitivity=segments["price_sensitivity"].where(
        segments["customer_id"] != "C1"))
    rows = position.position_brands(unlinked(), params(our_brand="Cheap"), few,
                                    BEHAVIOUR).statements.set_index("segment")
    assert rows.loc[1, "source"] == "behaviour"


def test_a_linked_target_without_respondents_still_gets_a_statement():
    # Others (customer C3) is a target too; its service effort 3 against the base's
    # (1 * 100 + 1 * 100 + 3 * 200) / 400 = 2 is 1.5 times as much: it needs more help
    targeting = BEHAVIOUR.assign(selected=True, service_effort=[1.0, 1.0, 3.0])
    data = survey(ideals={"C1": PROFILES["Cheap"]})
    data = data[data["customer_id"] != "C3"]
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, targeting)
    assert list(result.ideals["segment"]) == [1, 2]
    rows = result.statements.set_index("segment")
    assert list(rows.index) == [1, 2, 3]
    assert rows.loc[3, "notes"].startswith(
        "None of this segment's customers answered the brand survey, so this segment's needs "
        "are inferred from its behaviour")
    assert "For Others who need more help than the average customer, Ours" \
        in rows.loc[3, "statement"]
    assert rows.loc[3, "need_attributes"] == "service"
    assert rows.loc[1, "notes"] == "" and rows.loc[1, "source"] == "ideal"
    assert any("No survey respondents in target segment(s) Others" in n for n in result.notes)


def placeholder_keys(result):
    """Every config key a placeholder of the result asks to set."""
    return {part.get("key") for parts in result.statements["parts"] for part in parts.values()
            if part["placeholder"]} - {None}


def test_a_config_key_that_is_set_is_never_asked_for():
    config = params(our_brand="Ours", category={1: "furniture store"},
                    need={"Savers": "furnish a first home"}, reason={2: "made to order"})
    keys = {"positioning.our_brand", "positioning.category", "positioning.need",
            "positioning.reason"}
    for data, targeting in ((survey(), TARGETING),            # weak ideal points
                            (unlinked(), TARGETING)):         # no customer_id, no behaviour
        result = position.position_brands(data, config, SEGMENTS, targeting)
        rows = result.statements.set_index("segment")
        text = position.statements_markdown(result)
        assert placeholder_keys(result) == set()
        for key in keys:
            assert f"set {key}" not in "".join(rows["statement"])
            assert f"set `{key}`" not in text
        assert rows.loc[1, "statement"].startswith(
            "For Savers who furnish a first home, Ours is the furniture store that ")
        assert rows.loc[1, "statement"].endswith(
            "because [reason: positioning.reason has no entry for Savers].")
        assert "Ours is the [category: positioning.category has no entry for Hurried] that" \
            in rows.loc[2, "statement"]
        assert "[need: positioning.need has no entry for Hurried;" in rows.loc[2, "statement"]
        assert rows.loc[2, "statement"].endswith("because made to order.")
        assert ("add an entry for Hurried to `positioning.need`, `positioning.category`"
                in text)
    # an unset key is still asked for
    result = position.position_brands(survey(), params(our_brand="Ours"), SEGMENTS, TARGETING)
    assert placeholder_keys(result) == {"positioning.category", "positioning.need",
                                        "positioning.reason"}


def test_our_brand_unrated_by_a_segment_is_not_a_missing_config_key():
    data = survey(ideals={"C1": PROFILES["Cheap"], "C2": PROFILES["Fast"]})
    data = data[~((data["customer_id"] == "C2") & (data["brand"] == "Ours"))]
    result = position.position_brands(data, params(our_brand="Ours"), SEGMENTS, TARGETING)
    row = result.statements.set_index("segment").loc[2]
    assert "[benefit: this segment's respondents did not rate Ours]" in row["statement"]
    assert "positioning.our_brand" not in row["statement"]
    assert placeholder_keys(result) == {"positioning.category", "positioning.reason"}


def test_read_inputs_adds_the_customers_survey_answers_to_the_segments(tmp_path):
    from seglib.run_folder import RunFolder

    segments = survey_segments()
    customers = segments[["customer_id", "price_sensitivity", "values_same_day_delivery"]] \
        .assign(email=[f"c{i}@example.com" for i in range(30)], survey_factor_1=0.0)
    RunFolder(tmp_path).write_collected(
        customers=customers,
        ledger=pd.DataFrame({"source": [], "rule": [], "rows": pd.Series([], dtype="int64"),
                             "revenue": [], "action": [], "examples": []}),
        dictionary=pd.DataFrame({"column": ["customer_id"], "meaning": ["id"], "unit": ["id"],
                                 "source": ["all"], "filled": [1.0]}),
        meta={"columns": {"price_sensitivity": "survey", "values_same_day_delivery": "survey",
                          "survey_factor_1": "survey", "email": "customers"}},
        brand_ratings=unlinked())
    run = RunFolder(tmp_path)
    run.read_customers()
    run.write_segmentation(segments=segments, model=None, profiles=pd.DataFrame(
        {"segment": [1, 2, 3], "segment_name": ["Savers", "Hurried", "Others"],
         "customers": [10, 10, 10], "share": [1 / 3] * 3}))
    run = RunFolder(tmp_path)
    run.read_segments()
    run.write_targeting(BEHAVIOUR.assign(attractiveness=[8.0, 6.0, 2.0]))
    ratings, read, targeting = position.read_inputs(tmp_path)
    assert "customer_id" not in ratings
    assert list(read.columns) == ["customer_id", "segment", "segment_name",
                                  "unclassified_reason", "price_sensitivity",
                                  "values_same_day_delivery"]   # no e-mail, no factor score
    np.testing.assert_allclose(read.set_index("customer_id").loc[segments["customer_id"],
                                                                 "price_sensitivity"],
                               segments["price_sensitivity"])
    result = position.position_brands(ratings, params(our_brand="Cheap"), read, targeting)
    assert set(result.statements["source"]) == {"customer_survey"}


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
