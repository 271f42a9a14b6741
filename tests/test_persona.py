import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import run_with_targeting
from seglib import lifecycle, persona
from seglib.errors import DataError

SURVEY = ["brand_loyalty", "price_sensitivity", "values_personal_service", "buys_on_impulse"]


@pytest.fixture
def base():
    """Two hand-made segments of five: young online influencers (1), store occasion buyers (2)."""
    customers = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(10)],
        "age": [20, 22, 24, 19, 21, 40, 42, 38, 44, 36],
        "gender": ["female"] * 4 + ["male"] + ["male"] * 3 + ["female"] * 2,
        "occupation": ["student"] * 3 + ["designer"] * 2 + ["manager"] * 4 + ["teacher"],
        "income": [20_000, 22_000, 18_000, 25_000, 21_000, 80_000, 90_000, 85_000, 70_000,
                   95_000],
        "city": ["<b>Riverside</b>"] * 5 + ["Hilltop"] * 4 + ["Riverside"],
        "household_size": [1, 1, 2, 1, 3, 4, 3, 4, 2, 4],
        "online_share": [1.0, 0.9, 1.0, 1.0, 0.8, 0.1, 0.0, 0.2, 0.1, 0.0],
        "store_share": [0.0, 0.1, 0.0, 0.0, 0.2, 0.9, 1.0, 0.8, 0.9, 1.0],
        "phone_share": [0.0] * 10,
        "n_orders": [12, 11, 13, 12, 10, 4, 1, 5, 1, 4],
        "recency_days": [5, 10, 3, 8, 20, 200, 100, 150, 400, 30],
        "tenure_days": [365] * 10,
        "orders_per_year": [12, 11, 13, 12, 10, 4, 1, 5, 1, 4],
        "avg_order_value": [25, 30, 20, 35, 28, 300, 280, 350, 310, 290],
        "repeat_customer": [True] * 5 + [True, False, True, False, True],
        "special_occasion_share": [0.0, 0.1, 0.0, 0.0, 0.0, 0.7, 0.8, 0.6, 0.7, 0.7],
        "favourite_category": ["gifts"] * 4 + ["decor"] + ["furniture"] * 3 + ["kitchen"] * 2,
        "category_share_gifts": [0.8, 0.7, 0.9, 0.6, 0.2, 0.0, 0.1, 0.0, 0.1, 0.0],
        "category_share_decor": [0.2, 0.3, 0.1, 0.4, 0.8, 0.1, 0.1, 0.2, 0.2, 0.2],
        "category_share_furniture": [0.0] * 5 + [0.8, 0.7, 0.6, 0.2, 0.3],
        "category_share_kitchen": [0.0] * 5 + [0.1, 0.1, 0.2, 0.5, 0.5],
        "social_followers": [3000, 2500, 4000, 1200, 5000, 10, 0, 5, 20, 0],
        "web_sessions": [40, 35, 50, 45, 30, 3, 5, 2, 4, np.nan],
        "web_referral_source": ["social"] * 4 + ["search"] + ["search"] * 4 + [None],
        "web_email_clicks": [20, 25, 30, 15, 22, 1, 0, 2, 1, np.nan],
        "buying_psychology": ["instant"] * 4 + ["hesitant"] + ["researched"] * 3 + ["hesitant",
                                                                                  None],
        "service_contacts": [0, 1, 0, 0, 1, 3, 4, 2, 5, 3],
        "service_effort": [np.nan, 2.0, np.nan, np.nan, 3.0, 6.0, 7.0, 5.0, 8.0, 6.0],
        "brand_loyalty": [2, 1, 2, np.nan, 2, 5, 4, 5, 5, np.nan],
        "price_sensitivity": [4, 3, 4, np.nan, 4, 2, 2, 1, 2, np.nan],
        "values_personal_service": [1, 2, 1, np.nan, 2, 5, 5, 4, 5, np.nan],
        "buys_on_impulse": [5, 5, 4, np.nan, 5, 1, 2, 1, 1, np.nan],
    })
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": [1] * 5 + [2] * 5,
                             "segment_name": ["Young online"] * 5 + ["Store occasion"] * 5})
    targeting = pd.DataFrame({"segment": [2, 1], "segment_name": ["Store occasion", "Young online"],
                              "rank": [1, 2], "selected": [True, True]})
    return customers, segments, targeting


@pytest.fixture
def clv():
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(10)],
                         "clv": [50.0, 60, 70, 80, 90, 900, 100, 1200, 300, 1000]})


def stages_of(customers):
    """lifecycle.csv's customer_id and stage, from the lifecycle rules (as 05_lifecycle)."""
    return pd.DataFrame({"customer_id": customers["customer_id"],
                         "stage": lifecycle.assign_stages(customers).astype(str)})


def build(customers, segments, targeting, **options):
    options.setdefault("stages", stages_of(customers))
    return persona.build_personas(customers, segments, targeting, min_customers=1, survey=SURVEY,
                                  **options)


def traits(card):
    return {t["key"]: t for t in card["traits"]}


def test_traits_match_the_segment_statistics(base, clv):
    customers, segments, targeting = base
    cards = build(customers, segments, targeting, seed=1, currency="USD", clv=clv)
    assert [p["segment"] for p in cards] == [2, 1]
    store, young = traits(cards[0]), traits(cards[1])
    members = customers.iloc[5:]
    assert store["age"]["value"] == "40" and store["age"]["statistic"] == 40.0
    # 3 of 5 male against 4 of 10 in the base: a clear majority and over-represented
    assert store["gender"]["value"] == "male" and store["gender"]["statistic"] == 0.6
    assert store["gender"]["evidence"] == ("clear majority, over-represented: 60% of the 5 "
                                           "members with a value (customer base 40%)")
    assert store["occupation"]["value"] == "manager" and store["occupation"]["statistic"] == 0.8
    # income: the band is the fifth of all ten customers the segment's median falls in
    edges = customers["income"].quantile([0, 0.2, 0.4, 0.6, 0.8, 1.0]).to_list()
    band = sum(edge <= 85_000 for edge in edges[1:5])
    assert band == 3 and edges[3:5] == [74_000, 86_000]
    assert store["income"]["statistic"] == members["income"].median() == 85_000
    assert store["income"]["value"] == "upper-middle ($74,000 to $86,000)"
    assert young["income"]["value"] == "lower-middle ($20,800 to $23,800)"
    assert store["city"]["value"] == "Hilltop"
    assert store["city"]["evidence"] == ("clear majority, over-represented: 80% of the 5 "
                                         "members with a value (customer base 40%)")
    assert store["household"]["value"] == "4 people"
    channel = store["channel"]
    assert channel["value"] == "in store"
    assert channel["statistic"]["store"] == pytest.approx(members["store_share"].mean())
    assert "in store 92%" in channel["evidence"]      # mean store share 0.92
    assert store["spend"]["value"] == "$300.00"   # money: cents below 1,000
    assert store["occasion"]["value"] == "70%"
    assert store["frequency"]["value"] == "about 4 orders a year"
    assert young["frequency"]["value"] == "about 12 orders a year"
    assert young["social"]["value"] == "3,000 followers"
    # survey: segment 2 rates personal service and brand loyalty far above the base
    assert store["loyalty"]["value"] == "high"
    assert store["loyalty"]["statistic"] == pytest.approx(members["brand_loyalty"].mean())
    assert young["loyalty"]["value"] == "low"
    assert store["needs"]["value"] == "personal service"
    assert store["needs"]["statistic"] == {"values_personal_service": pytest.approx(4.75)}
    assert young["needs"]["value"] == "impulse buys, low prices"
    assert store["psychology"]["value"] == "researched"
    assert store["psychology"]["statistic"] == 0.75    # 3 of the 4 with a value
    assert young["psychology"]["value"] == "instant"
    assert young["research"]["value"] == "40 web sessions, mostly via social"
    assert store["categories"]["value"] == "furniture, kitchen"
    assert store["categories"]["evidence"].startswith(
        "clear majority, over-represented: furniture is the top category of 60% of the 5 "
        "buyers (customer base 30%); share of spend: ")
    assert "furniture 52%" in store["categories"]["evidence"]   # mean of 0.8 .. 0.3
    assert store["service"]["statistic"] == pytest.approx(3.4)
    assert store["service"]["value"] == "3.4 contacts per customer, effort 6.4 / 10"
    assert young["email"]["value"] == "high"
    assert young["email"]["statistic"] == pytest.approx(22.4)
    # CLV: mean and median of the members' clv.parquet values
    seg_clv = clv["clv"].iloc[5:]
    assert store["clv"]["statistic"] == {"mean": seg_clv.mean(), "median": seg_clv.median()}
    assert store["clv"]["value"] == "mean $700.00, median $900.00"
    # lifecycle: the stage mix from seglib.lifecycle, whatever the stages are called
    stages = lifecycle.assign_stages(customers).astype(str).iloc[5:]
    expected = stages.value_counts(normalize=True)
    assert store["stages"]["statistic"] == pytest.approx(expected.to_dict())
    assert store["stages"]["customers"] == 5


def test_every_trait_carries_evidence_with_a_number(base, clv):
    customers, segments, targeting = base
    for card in build(customers, segments, targeting, clv=clv):
        assert len(card["traits"]) >= 20
        for trait in card["traits"]:
            assert trait["value"] and trait["statistic"] is not None, trait
            assert re.search(r"\d", trait["evidence"]), trait
            assert trait["customers"] >= 1
        for action in card["actions"]:
            assert action["what"] and action["when"] and action["channel"]
            assert re.search(r"\d", action["why"]), action


def test_traits_without_data_are_left_out_with_a_note(base):
    customers, segments, targeting = base
    customers = customers.drop(columns=["income"]).assign(age=[np.nan] * 8 + [30, 31])
    cards = persona.build_personas(customers, segments, targeting, min_customers=3,
                                   survey=SURVEY)
    store = traits(cards[0])
    assert "income" not in store and "age" not in store and "clv" not in store
    notes = " | ".join(cards[0]["notes"])
    assert "Income band: left out, the data has no income" in notes
    assert "Age: left out, only 2 of the 5 members have age (at least 3 needed)" in notes
    assert "Customer lifetime value: left out" in notes
    assert cards[0]["title"] == cards[0]["name"]       # no age: no age in the title
    assert "Left out (no data)" in persona.cards_html(cards)


def test_two_segments_read_differently(base):
    customers, segments, targeting = base
    store, young = build(customers, segments, targeting)
    assert store["name"] != young["name"]
    assert store["summary"] != young["summary"]
    assert "Buys mostly in store (92% of orders)" in store["summary"]
    assert "special occasions (70% of orders)" in store["summary"]
    assert "Buys mostly online (94% of orders)" in young["summary"]
    assert "Talks to 3,000 followers" in young["summary"]
    whats = [{a["what"].split(":")[0] for a in p["actions"]} for p in (store, young)]
    assert whats[0] != whats[1]
    assert any("holidays" in a["when"] for a in store["actions"])
    assert any("in-store events" in a["what"] for a in store["actions"])
    assert any(a["what"].startswith("Weekly email") and a["when"] == "weekly"
               for a in young["actions"])


def test_identical_segments_still_get_distinct_text(base):
    customers, segments, targeting = base
    twin = pd.concat([customers.iloc[:5], customers.iloc[:5].assign(
        customer_id=[f"d{i}" for i in range(5)])], ignore_index=True)
    segments = segments.assign(customer_id=twin["customer_id"])
    store, young = build(twin, segments, targeting)
    assert store["summary"] != young["summary"] and store["name"] != young["name"]


def test_planted_personal_data_never_reaches_the_cards(base, tmp_path, clv):
    customers, segments, targeting = base
    planted = {
        "full_name": [f"Jonathan Whitfield{i}" for i in range(10)],
        "email": [f"j.whitfield{i}@example.com" for i in range(10)],
        "phone": [f"+44 7700 900{i:03d}" for i in range(10)],
        "customer": [f"Nguyễn Văn An{i} Trần" for i in range(10)],
        "remarks": [f"call me at bob{i}@mail.example.org" for i in range(10)],
        "mobile_no": [84_912_345_670 + i for i in range(10)],
    }
    customers = customers.assign(**planted)
    for locale in ("en", "vi"):
        cards = build(customers, segments, targeting, locale=locale, clv=clv,
                      features=list(planted))
        out = persona.write_outputs(cards, run_with_targeting(tmp_path / locale, segments,
                                                              targeting), locale=locale)
        for path in out.values():
            text = path.read_text(encoding="utf-8")
            for values in planted.values():
                for value in map(str, values):
                    assert value not in text, (path.name, value)
            assert "Whitfield" not in text and "example" not in text and "Nguyễn" not in text


def test_cards_escape_text_from_data(base, tmp_path):
    customers, segments, targeting = base
    targeting = targeting.assign(segment_name=["<script>x</script>", "ok"])
    segments = segments.assign(segment_name=["ok"] * 5 + ["<script>x</script>"] * 5)
    customers = customers.assign(favourite_category=["<script>"] * 10,
                                 occupation=["a & <i>b</i>"] * 10)
    cards = build(customers, segments, targeting)
    assert traits(cards[0])["categories"]["value"].startswith("<script>")   # raw in the JSON
    out = persona.write_outputs(cards, run_with_targeting(tmp_path, segments, targeting))
    for text in (persona.cards_html(cards), out["cards"].read_text(encoding="utf-8")):
        assert "<script" not in text
        assert "&lt;script&gt;x&lt;/script&gt;" in text and "&lt;script&gt;, " in text
        assert "&lt;b&gt;Riverside" in text and "a &amp; &lt;i&gt;b&lt;/i&gt;" in text
    assert json.loads(out["personas"].read_text())[0]["segment"] == 2


def test_cards_page_is_self_contained_and_printable(base, tmp_path):
    customers, segments, targeting = base
    out = persona.write_outputs(build(customers, segments, targeting),
                                run_with_targeting(tmp_path, segments, targeting))
    page = out["cards"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page
    assert "@media print" in page and "page-break-after:always" in page
    assert page.count("class='persona-card'") == 2
    assert not re.search(r"<script|<link|src=|@import|url\(", page)


def test_vietnamese_locale_writes_vietnamese_cards(base):
    customers, segments, targeting = base
    store = build(customers, segments, targeting, locale="vi", currency="VND")[0]
    by_key = traits(store)
    assert by_key["channel"]["trait"] == "Nơi mua hàng"
    assert by_key["channel"]["value"] == "tại cửa hàng"
    assert by_key["income"]["value"] == "khá (74.000\xa0₫ đến 86.000\xa0₫)"
    assert "85.000\xa0₫" in by_key["income"]["evidence"]         # thousands with a dot
    assert "Chủ yếu mua tại cửa hàng (92% đơn hàng)" in store["summary"]
    assert store["name"] in persona.FIRST_NAMES["vi"]["male"]


def test_names_are_made_up_distinct_and_reproducible(base):
    customers, segments, targeting = base
    a = build(customers, segments, targeting, seed=5, locale="vi")
    b = build(customers, segments, targeting, seed=5, locale="vi")
    assert [p["name"] for p in a] == [p["name"] for p in b]
    assert len({p["name"] for p in a}) == 2
    # the name matches the segment's main gender: segment 2 is 60% male, segment 1 80% female
    assert a[0]["name"] in persona.FIRST_NAMES["vi"]["male"]
    assert a[1]["name"] in persona.FIRST_NAMES["vi"]["female"]


def test_mixed_channel_segment_is_described_as_mixed(base):
    customers, segments, targeting = base
    customers = customers.assign(online_share=0.5, store_share=0.45, phone_share=0.05)
    card = build(customers, segments, targeting)[0]
    channel = traits(card)["channel"]
    assert channel["value"] == "online and in store"
    assert "online 50%, in store 45%, by phone 5%" in channel["evidence"]
    assert card["actions"][0]["channel"] == "email and store"


def test_loyalty_falls_back_to_the_repeat_rate_without_a_survey(base):
    customers, segments, targeting = base
    store = traits(persona.build_personas(customers, segments, targeting, min_customers=1)[0])
    # 3 of 5 bought more than once, against 8 of 10 buyers in the base: low
    assert store["loyalty"]["statistic"] == 0.6 and store["loyalty"]["value"] == "low"
    assert store["loyalty"]["evidence"].startswith("60% of the 5 members bought more than once")


def test_clustering_features_get_their_own_trait_and_text_columns_are_skipped(base):
    customers, segments, targeting = base
    customers = customers.assign(wine_spend=[10.0] * 5 + [30.0] * 5,
                                 age=["n/a"] * 10)  # text where a number was expected
    cards = build(customers, segments, targeting, features=["wine_spend", "age"])
    by_label = {t["trait"]: t for t in cards[0]["traits"]}
    assert "Age" not in by_label
    assert by_label["Wine spend"]["value"] == "30.00"
    assert by_label["Wine spend"]["evidence"].startswith("segment mean (150% of the customer base")


def test_feature_traits_have_plain_labels_and_shares_as_percentages(base):
    customers, segments, targeting = base
    customers = customers.assign(returns_rate=[0.1] * 5 + [0.25] * 5,
                                 loyalty_points_total=[100.0] * 10)
    cards = build(customers, segments, targeting,
                  features=["recency_days", "returns_rate", "loyalty_points_total"])
    store = {t["trait"]: t for t in cards[0]["traits"]}
    young = {t["trait"]: t for t in cards[1]["traits"]}
    assert store["Days since last order"]["value"] == "176.00"
    assert store["Returns rate"]["value"] == "25%"
    assert store["Returns rate"]["evidence"].startswith("segment mean (143% of the customer base")
    assert young["Loyalty points total"]["value"] == "100.00"   # fallback: name with spaces
    assert persona.feature_label("service_effort") == "Service effort (1-10)"


def test_survey_items_come_from_the_collect_facts():
    collected = {"columns": {"age": "customers", "brand_loyalty": "survey",
                             "eco_conscious": "survey", "survey_factor_1": "survey"}}
    assert persona.survey_items(collected) == ["brand_loyalty", "eco_conscious"]


def test_stale_targeting_is_a_data_error_naming_the_segment(base):
    customers, segments, targeting = base
    # 02_segment re-run: segment 2 is now called something else
    segments = segments.assign(segment_name=["Young online"] * 5 + ["Bargain hunters"] * 5)
    message = ("targeting.csv does not match the current segments (segment 2 is 'Store occasion' "
               "in targeting.csv but 'Bargain hunters' in segments); re-run 03_targeting after "
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


def test_stage_mix_is_the_one_lifecycle_csv_shows(base):
    customers, segments, targeting = base
    # lifecycle.csv in another order than the customer table, with stages the rules would
    # not give: the cards show what 05_lifecycle wrote, matched by customer id
    written = pd.DataFrame({"customer_id": customers["customer_id"][::-1].to_numpy(),
                            "stage": ["Lapsed"] * 3 + ["Loyal & advocate"] * 7})
    cards = build(customers, segments, targeting, stages=written)
    store = traits(cards[0])["stages"]          # c5..c9: c7, c8, c9 are Lapsed
    assert store["statistic"] == {"Lapsed": 0.6, "Loyal & advocate": 0.4}
    blank = written.assign(stage=pd.Series([None] * 10, dtype="string"))
    assert persona.stage_of_members(customers, blank) is None
    card = build(customers, segments, targeting, stages=blank)[0]
    assert "stages" not in traits(card)


def test_repeat_rate_is_no_loyalty_evidence_when_the_segment_requires_repeats():
    base = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)],
                         "n_orders": [1] * 20 + [3] * 20, "repeat_customer": [False] * 20 +
                         [True] * 20, "occupation": ["nurse"] * 6 + ["clerk"] * 34})
    members = base.iloc[20:]
    card = persona.build_persona(members, base, "Joe", min_customers=5)
    assert "loyalty" not in {t["key"] for t in card["traits"]}
    assert any("repeat rate says nothing" in n for n in card["notes"])


def test_vietnamese_cards_name_the_lifecycle_stages_in_vietnamese():
    base = pd.DataFrame({"customer_id": [f"c{i}" for i in range(30)], "n_orders": [3] * 30,
                         "recency_days": [20.0] * 20 + [200.0] * 10,
                         "tenure_days": [900.0] * 30})
    stages = persona.stage_of_members(base, stages_of(base))
    card = persona.build_persona(base, base, "Minh", locale="vi", stages=stages,
                                 min_customers=5)
    [trait] = [t for t in card["traits"] if t["key"] == "stages"]
    assert "Có nguy cơ rời bỏ" in trait["value"] and "At risk" not in trait["value"]
    assert set(trait["statistic"]) <= set(lifecycle.STAGES)  # the data keep English names


def test_feature_traits_are_labelled_in_the_runs_language():
    from seglib.persona import feature_label

    assert feature_label("n_orders") == "Orders per customer"
    assert feature_label("n_orders", "vi") == "Số đơn mỗi khách"
    assert feature_label("distance_to_store_km", "vi") == "Distance to store km"  # a column


def test_names_follow_gender_written_in_vietnamese():
    names = persona.persona_names({1: "nữ", 2: "Nam", 3: "khác"}, "vi", seed=3)
    assert names[1] in persona.FIRST_NAMES["vi"]["female"]
    assert names[2] in persona.FIRST_NAMES["vi"]["male"]
    assert len(set(names.values())) == 3


# category traits: named only when a clear majority or over-represented -----------------------

def counted(**counts):
    """A column of values, ``counted(female=52, male=48)`` -> 52 "female" then 48 "male"."""
    return [value for value, k in counts.items() for _ in range(k)]


def segment_and_base(members: dict, others: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members and the whole base (members first, then the others), from column -> values."""
    n, m = len(next(iter(members.values()))), len(next(iter(others.values())))
    seg = pd.DataFrame({"customer_id": [f"s{i}" for i in range(n)], **members})
    rest = pd.DataFrame({"customer_id": [f"o{i}" for i in range(m)], **others})
    return seg, pd.concat([seg, rest], ignore_index=True)


def test_a_bare_most_common_value_is_described_as_mixed_with_both_shares():
    # 52 of 100 members female against 523 of 1,000 customers (52.3%); occupation 50% clerk
    # against 48%: the old card said "female" and the portrait "clerk"
    members, base = segment_and_base(
        {"gender": counted(female=52, male=48), "occupation": counted(clerk=50, nurse=50)},
        {"gender": counted(female=471, male=429), "occupation": counted(clerk=430, nurse=470)})
    assert base["gender"].eq("female").mean() == 0.523
    card = persona.build_persona(members, base, "Sam")
    gender, occupation = traits(card)["gender"], traits(card)["occupation"]
    assert gender["value"] == "mixed"
    assert gender["evidence"] == ("no clear majority or over-represented value; the most "
                                  "common, female, is 52% of the 100 members with a value "
                                  "(customer base 52%)")
    assert gender["statistic"] == 0.52 and gender["customers"] == 100
    assert occupation["value"] == "mixed"
    assert occupation["evidence"] == ("no clear majority or over-represented value; the most "
                                      "common, clerk, is 50% of the 100 members with a value "
                                      "(customer base 48%)")
    assert card["summary"].startswith("Sam.") and "clerk" not in card["summary"]


def test_a_clear_majority_is_stated_with_both_shares():
    members, base = segment_and_base(
        {"gender": counted(female=80, male=20), "city": counted(Hanoi=80, Hue=20)},
        {"gender": counted(female=443, male=457), "city": counted(Hanoi=700, Hue=200)})
    card = persona.build_persona(members, base, "Mai")
    gender, city = traits(card)["gender"], traits(card)["city"]
    # 80% against 52.3%: a majority and over-represented (1.5 times, 28 points)
    assert gender["value"] == "female" and gender["statistic"] == 0.8
    assert gender["evidence"] == ("clear majority, over-represented: 80% of the 100 members "
                                  "with a value (customer base 52%)")
    # 80% against 78%: a majority, but not over-represented
    assert city["value"] == "Hanoi"
    assert city["evidence"] == ("clear majority: 80% of the 100 members with a value "
                                "(customer base 78%)")
    assert "lives in Hanoi" in card["summary"]


def test_an_over_represented_minority_value_is_stated_as_over_represented():
    # 45% nurses against 20% in the base; clerks are the most common (55%) but below their
    # 70% in the base: the card names the nurses, not the clerks
    members, base = segment_and_base(
        {"occupation": counted(clerk=55, nurse=45)},
        {"occupation": counted(clerk=645, nurse=155, teacher=100)})
    card = persona.build_persona(members, base, "Sam")
    occupation = traits(card)["occupation"]
    assert occupation["value"] == "nurse" and occupation["statistic"] == 0.45
    assert occupation["evidence"] == ("over-represented: 45% of the 100 members with a value "
                                      "(customer base 20%)")
    assert card["summary"] == "Sam, nurse."    # 45% reaches the portrait's 40%


def test_vietnamese_cards_say_the_same_in_vietnamese():
    members, base = segment_and_base(
        {"gender": counted(nữ=52, nam=48), "occupation": counted(y_tá=45, nhân_viên=55),
         "city": counted(Huế=80, Hà_Nội=20)},
        {"gender": counted(nữ=471, nam=429),
         "occupation": counted(y_tá=155, nhân_viên=645, giáo_viên=100),
         "city": counted(Huế=700, Hà_Nội=200)})
    card = persona.build_persona(members, base, "Lan", locale="vi")
    by_key = traits(card)
    assert by_key["gender"]["trait"] == "Giới tính" and by_key["gender"]["value"] == "đa dạng"
    assert by_key["gender"]["evidence"] == (
        "không có giá trị chiếm đa số rõ rệt hay cao hơn hẳn toàn bộ; phổ biến nhất là nữ, "
        "52% trong 100 thành viên có dữ liệu (toàn bộ 52%)")
    assert by_key["occupation"]["value"] == "y_tá"
    assert by_key["occupation"]["evidence"] == ("cao hơn hẳn toàn bộ: 45% trong 100 thành viên "
                                                "có dữ liệu (toàn bộ 20%)")
    assert by_key["city"]["value"] == "Huế"
    assert by_key["city"]["evidence"] == ("đa số rõ rệt: 80% trong 100 thành viên có dữ liệu "
                                          "(toàn bộ 78%)")
    html_card = persona.cards_html([{**card, "segment_name": "A", "customers": 100}], "vi")
    assert "đa dạng" in html_card and "mixed" not in html_card


@pytest.mark.parametrize(("segment", "rest", "expected"), [
    # the cases: a bare most-common value against a base about as large
    ({"female": 52, "male": 48}, {"female": 471, "male": 429}, ("female", "mixed")),
    ({"female": 54, "male": 46}, {"female": 506, "male": 394}, ("female", "mixed")),
    # exactly 60%: a clear majority (as large as in the base: not over-represented)
    ({"a": 60, "b": 40}, {"a": 540, "b": 360}, ("a", "majority")),
    ({"a": 59, "b": 41}, {"a": 531, "b": 369}, ("a", "mixed")),
    # 55% against 44%: 1.25 times and 11 points, over-represented
    ({"a": 55, "b": 45}, {"a": 385, "b": 515}, ("a", "over")),
    # 58% against 48%: 10 points but 1.21 times, not enough
    ({"a": 58, "b": 42}, {"a": 422, "b": 478}, ("a", "mixed")),
    # 15% against 4%: 3.75 times and 11 points; the most common value (30%) is not
    ({"a": 30, "b": 30, "c": 25, "d": 15}, {"a": 300, "b": 300, "c": 275, "d": 25},
     ("d", "over")),
    # 8% against 2%: 4 times but 6 points, too few to describe the segment
    ({"a": 50, "b": 42, "c": 8}, {"a": 450, "b": 438, "c": 12}, ("a", "mixed")),
])
def test_category_verdict_thresholds(segment, rest, expected):
    members = pd.Series(counted(**segment))
    base = pd.concat([members, pd.Series(counted(**rest))], ignore_index=True)
    verdict = persona.category_verdict(members, base)
    assert (verdict["value"], verdict["kind"]) == expected
    assert verdict["share"] == members.eq(expected[0]).mean()
    assert verdict["base"] == base.eq(expected[0]).mean()
    assert verdict["n"] == len(members)


def test_category_verdict_ignores_missing_values():
    members = pd.Series(["x"] * 6 + ["y"] * 4 + [None] * 10)
    base = pd.concat([members, pd.Series(["x"] * 54 + ["y"] * 36 + [None] * 20)])
    assert persona.category_verdict(members, base) == {
        "value": "x", "kind": "majority", "share": 0.6, "base": 0.6, "n": 10}


def test_a_mixed_favourite_category_is_not_named_on_the_card_or_in_the_actions():
    members, base = segment_and_base(
        {"favourite_category": counted(gifts=40, decor=35, toys=25), "online_share": [1.0] * 100},
        {"favourite_category": counted(gifts=340, decor=315, toys=245),
         "online_share": [0.5] * 900})
    card = persona.build_persona(members, base, "Sam")
    categories = traits(card)["categories"]
    assert categories["value"] == "mixed" and categories["statistic"] == 0.4
    assert categories["evidence"] == ("no clear majority or over-represented category; gifts is "
                                      "the top category of 40% of the 100 buyers "
                                      "(customer base 38%)")
    assert "Favourite" not in card["summary"] and "gifts" not in card["summary"]
    assert card["actions"][0]["what"] == ("Weekly email: new arrivals and offers in their "
                                          "favourite categories")


def test_names_follow_the_most_common_gender_even_where_the_card_says_mixed():
    # segment 1: 52% female against 52% in the base (mixed on the card), segment 2: 80% male;
    # segment 3 (not selected) balances the base
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(300)],
                              "gender": counted(female=52, male=48) + counted(male=80, female=20)
                              + counted(female=84, male=16)})
    segments = pd.DataFrame({"customer_id": customers["customer_id"],
                             "segment": [1] * 100 + [2] * 100 + [3] * 100,
                             "segment_name": ["Mixed"] * 100 + ["Men"] * 100 + ["Women"] * 100})
    targeting = pd.DataFrame({"segment": [1, 2], "segment_name": ["Mixed", "Men"],
                              "rank": [1, 2], "selected": [True, True]})
    for seed in range(5):
        for locale in ("en", "vi"):
            mixed, men = persona.build_personas(customers, segments, targeting, seed=seed,
                                                locale=locale)
            assert traits(mixed)["gender"]["value"] == persona.TEXT[locale]["v_mixed"]
            assert traits(men)["gender"]["value"] == "male"
            assert mixed["name"] in persona.FIRST_NAMES[locale]["female"]
            assert men["name"] in persona.FIRST_NAMES[locale]["male"]


def test_card_texts_have_both_locales_with_the_same_placeholders():
    import string

    def fields(text):
        return sorted({f for _, f, _, _ in string.Formatter().parse(text) if f})

    en, vi = persona.TEXT["en"], persona.TEXT["vi"]
    assert set(en) == set(vi)
    assert [k for k in en if fields(en[k]) != fields(vi[k])] == []


def test_categories_are_named_as_the_client_wrote_them_not_by_their_column_slug(base):
    """Vietnamese categories: "nội thất" has the column category_share_noi_that."""
    customers, segments, targeting = base
    words = {"furniture": "nội thất", "kitchen": "nhà bếp", "gifts": "quà tặng",
             "decor": "trang trí"}
    customers = customers.assign(favourite_category=customers["favourite_category"].map(words))
    customers = customers.rename(columns={"category_share_furniture": "category_share_noi_that",
                                          "category_share_kitchen": "category_share_nha_bep",
                                          "category_share_gifts": "category_share_qua_tang",
                                          "category_share_decor": "category_share_trang_tri"})
    cards = build(customers, segments, targeting, locale="vi")
    shown = " ".join(t["value"] + " " + t["evidence"] for c in cards for t in c["traits"])
    assert "nội thất" in shown and "noi_that" not in shown and "nha_bep" not in shown
    assert "noi_that" not in " ".join(c["summary"] for c in cards)
