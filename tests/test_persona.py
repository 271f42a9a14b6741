import json
import re

import pandas as pd
import pytest

from seglib import persona
from seglib.errors import DataError


@pytest.fixture
def base():
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(10)],
        "age": [20, 22, 24, 19, 21, 40, 42, 38, 44, 36],
        "gender": ["female"] * 4 + ["male"] + ["male"] * 3 + ["female"] * 2,
        "income": [20_000] * 5 + [80_000] * 5,
        "online_share": [1.0, 0.9, 1.0, 1.0, 0.8, 0.1, 0.0, 0.2, 0.1, 0.0],
        "store_share": [0.0, 0.1, 0.0, 0.0, 0.2, 0.9, 1.0, 0.8, 0.9, 1.0],
        "orders_per_year": [12, 11, 13, 12, 10, 4, 3, 5, 4, 4],
        "avg_order_value": [25, 30, 20, 35, 28, 300, 280, 350, 310, 290],
        "special_occasion_share": [0.0] * 5 + [0.7] * 5,
        "social_followers": [3000, 2500, 4000, 1200, 5000, 10, 0, 5, 20, 0],
        "city": ["<b>Riverside</b>"] * 5 + ["Hilltop"] * 5,
    })
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": [1] * 5 + [2] * 5,
                             "segment_name": ["Young online"] * 5 + ["Store occasion"] * 5})
    targeting = pd.DataFrame({"segment": [2, 1], "segment_name": ["Store occasion", "Young online"],
                              "rank": [1, 2], "selected": [True, True]})
    return customers, segments, targeting


def test_traits_carry_the_segment_statistics(base):
    customers, segments, targeting = base
    cards = persona.build_personas(customers, segments, targeting, seed=1, currency="USD")
    assert [p["segment"] for p in cards] == [2, 1]
    store = {t["trait"]: t for t in cards[0]["traits"]}
    assert store["Age"]["value"] == "40"          # median of 40, 42, 38, 44, 36
    assert store["Buys"]["value"] == "in store"
    assert store["Buys"]["evidence"].startswith("92%")   # mean store share 0.92
    assert store["Spend per visit"]["value"] == "300 USD"
    assert store["Special occasions"]["value"] == "70%"
    assert store["Gender"]["value"] == "male" and store["Gender"]["evidence"].startswith("60%")
    young = {t["trait"]: t for t in cards[1]["traits"]}
    assert young["Buys"]["value"] == "online"
    assert young["Social reach"]["value"] == "3,000 followers"
    assert young["How often"]["value"] == "about 12 orders a year"
    assert cards[0]["summary"] != cards[1]["summary"]
    assert any("holidays" in a for a in cards[0]["actions"])
    assert any("Weekly email" in a for a in cards[1]["actions"])


def test_names_are_made_up_distinct_and_reproducible(base):
    customers, segments, targeting = base
    a = persona.build_personas(customers, segments, targeting, seed=5, locale="vi")
    b = persona.build_personas(customers, segments, targeting, seed=5, locale="vi")
    assert [p["name"] for p in a] == [p["name"] for p in b]
    assert len({p["name"] for p in a}) == 2
    # the name matches the segment's main gender: segment 2 is 60% male, segment 1 80% female
    assert a[0]["name"] in persona.FIRST_NAMES["vi"]["male"]
    assert a[1]["name"] in persona.FIRST_NAMES["vi"]["female"]


def test_mixed_channel_segment_is_described_as_mixed(base):
    customers, segments, targeting = base
    customers = customers.assign(online_share=0.5, store_share=0.45)
    card = persona.build_personas(customers, segments, targeting)[0]
    buys = {t["trait"]: t for t in card["traits"]}["Buys"]
    assert buys["value"] == "online and in store"
    assert buys["evidence"].startswith("50% and 45%")


def test_cards_escape_text_from_data(base, tmp_path):
    customers, segments, targeting = base
    targeting = targeting.assign(segment_name=["<script>x</script>", "ok"])
    segments = segments.assign(segment_name=["ok"] * 5 + ["<script>x</script>"] * 5)
    cards = persona.build_personas(customers, segments, targeting)
    html = persona.cards_html(cards)
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert "&lt;b&gt;Riverside" in html
    persona.write_outputs(cards, tmp_path)
    assert json.loads((tmp_path / "personas.json").read_text())[0]["segment"] == 2


def test_clustering_features_get_their_own_trait_and_text_columns_are_skipped(base):
    customers, segments, targeting = base
    customers = customers.assign(wine_spend=[10.0] * 5 + [30.0] * 5,
                                 age=["n/a"] * 10)  # text where a number was expected
    cards = persona.build_personas(customers, segments, targeting,
                                   features=["wine_spend", "age"])
    traits = {t["trait"]: t for t in cards[0]["traits"]}
    assert "Age" not in traits
    assert traits["Wine spend"]["value"] == "30.00"
    assert traits["Wine spend"]["evidence"].startswith("segment mean (150% of the customer base")


def test_stale_targeting_is_a_data_error_naming_the_segment(base):
    customers, segments, targeting = base
    # 02_segment re-run: segment 2 is now called something else
    segments = segments.assign(segment_name=["Young online"] * 5 + ["Bargain hunters"] * 5)
    message = ("targeting.csv does not match the current segments (segment 2 is 'Store occasion' "
               "in targeting.csv but 'Bargain hunters' in segments); re-run 03_target after "
               "02_segment")
    with pytest.raises(DataError, match=re.escape(message)):
        persona.build_personas(customers, segments, targeting)


def test_targeting_segment_missing_from_segments_is_a_data_error(base):
    customers, segments, targeting = base
    targeting = targeting.assign(segment=[7, 1])
    with pytest.raises(DataError, match=r"segment 7 is 'Store occasion' in targeting.csv but "
                                        r"absent from segments"):
        persona.build_personas(customers, segments, targeting)


def test_non_selected_stale_rows_are_not_checked(base):
    customers, segments, targeting = base
    targeting = pd.concat([targeting, pd.DataFrame({"segment": [9], "segment_name": ["Old"],
                                                    "rank": [3], "selected": [False]})])
    assert len(persona.build_personas(customers, segments, targeting)) == 2


def test_feature_traits_have_plain_labels_and_shares_as_percentages(base):
    customers, segments, targeting = base
    customers = customers.assign(recency_days=[10.0] * 5 + [40.0] * 5,
                                 returns_rate=[0.1] * 5 + [0.25] * 5,
                                 n_orders=[37.87] * 5 + [4.0] * 5,
                                 loyalty_points_total=[100.0] * 10)
    cards = persona.build_personas(
        customers, segments, targeting,
        features=["recency_days", "returns_rate", "n_orders", "loyalty_points_total"])
    store = {t["trait"]: t for t in cards[0]["traits"]}
    young = {t["trait"]: t for t in cards[1]["traits"]}
    assert store["Days since last order"]["value"] == "40.00"
    assert store["Returns rate"]["value"] == "25%"
    assert store["Returns rate"]["evidence"].startswith("segment mean (143% of the customer base")
    assert young["Orders"]["value"] == "37.87"
    assert young["Loyalty points total"]["value"] == "100.00"   # fallback: name with spaces
    assert persona.feature_label("service_effort") == "Service effort (1-10)"
