"""Tests of the seeded demo-data generator (seglib.synth)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from seglib import synth
from seglib.synth import COLUMNS, SEGMENTS, generate, our_brand, write_demo

WINDOW_START = pd.Timestamp("2023-07-01")
WINDOW_END = pd.Timestamp("2025-06-30 23:59:59")
ESTABLISHED = ("occasion_store_loyalist", "young_online_influencer", "bargain_hunter", "trade_bulk")

EXPECTED_COLUMNS = {
    "customers": [
        "customer_id", "full_name", "email", "phone", "age", "gender", "income", "education",
        "occupation", "marital_status", "household_size", "city", "district",
        "distance_to_store_km", "signup_date", "referral_source", "web_savviness",
        "social_followers",
    ],
    "transactions": [
        "order_id", "customer_id", "timestamp", "channel", "category", "amount", "margin",
        "special_occasion", "returned",
    ],
    "survey": [
        "customer_id", "health_conscious", "adventure_seeking", "price_sensitivity",
        "brand_loyalty", "researches_before_buying", "buys_on_impulse",
        "values_same_day_delivery", "values_personal_service", "eco_conscious",
    ],
    "service": ["contact_id", "customer_id", "timestamp", "channel", "reason", "effort_score"],
    "web": [
        "customer_id", "first_visit", "last_visit", "sessions", "page_views", "email_opens",
        "email_clicks", "referral_source",
    ],
    "brand_ratings": [
        "respondent_id", "customer_id", "brand", "quality", "value_for_money", "service",
        "convenience", "style", "innovation", "trust",
    ],
    "truth": ["customer_id", "segment"],
}


@pytest.fixture(scope="module")
def demo():
    """The default demo: 5,000 customers, seed 42, English."""
    return generate()


@pytest.fixture(scope="module")
def demo_vi():
    return generate(n_customers=1000, seed=42, locale="vi")


@pytest.fixture(scope="module")
def demo_1k():
    return generate(n_customers=1000, seed=42)


def segment_of(data):
    return data["truth"].set_index("customer_id")["segment"]


def orders_per_customer(data):
    counts = data["transactions"]["customer_id"].value_counts()
    return counts.reindex(data["customers"]["customer_id"], fill_value=0)


def kmeans_features(data):
    """The workbook's per-customer clustering features, for customers with >= 2 orders."""
    orders = data["transactions"]
    by_customer = orders.groupby("customer_id")
    channel_share = pd.crosstab(orders["customer_id"], orders["channel"], normalize="index")
    customers = data["customers"].set_index("customer_id")
    features = pd.DataFrame({
        "log_orders": np.log1p(by_customer.size()),
        "log_mean_amount": np.log1p(by_customer["amount"].mean()),
        "online_share": channel_share["online"],
        "store_share": channel_share["store"],
        "phone_share": channel_share["phone"],
        "occasion_share": by_customer["special_occasion"].mean(),
    })
    features["age"] = customers.loc[features.index, "age"]
    features["log_income"] = np.log1p(customers.loc[features.index, "income"])
    return features[by_customer.size() >= 2]


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_data_other_seed_other_data():
    first, second = generate(500, seed=7), generate(500, seed=7)
    for key in EXPECTED_COLUMNS:
        pd.testing.assert_frame_equal(first[key], second[key])
    other = generate(500, seed=8)
    assert not first["transactions"]["amount"].equals(other["transactions"]["amount"])


def test_write_demo_twice_gives_identical_bytes(tmp_path):
    paths_a = write_demo(tmp_path / "a", n_customers=400, seed=3)
    paths_b = write_demo(tmp_path / "b" / "nested", n_customers=400, seed=3)
    names = {key: path.name for key, path in paths_a.items()}
    assert names == {
        "customers": "customers.csv", "transactions": "orders.csv", "survey": "survey.csv",
        "service": "service.csv", "web": "web.csv", "brand_ratings": "brand_ratings.csv",
        "truth": "_truth.csv",
    }
    for key, path in paths_a.items():
        assert path.parent == tmp_path / "a"
        assert path.read_bytes() == paths_b[key].read_bytes(), key


def test_csv_round_trip_keeps_values(tmp_path):
    data = generate(300, seed=11)
    paths = write_demo(tmp_path, n_customers=300, seed=11)
    orders = pd.read_csv(paths["transactions"], parse_dates=["timestamp"])
    expected = data["transactions"]
    assert orders.columns.tolist() == EXPECTED_COLUMNS["transactions"]
    assert orders["order_id"].tolist() == expected["order_id"].tolist()
    assert (orders["timestamp"] == expected["timestamp"]).all()
    np.testing.assert_array_equal(orders["amount"], expected["amount"])
    customers = pd.read_csv(paths["customers"], parse_dates=["signup_date"])
    assert customers["full_name"].tolist() == data["customers"]["full_name"].tolist()
    assert (customers["signup_date"] == data["customers"]["signup_date"]).all()
    header = paths["web"].read_text(encoding="utf-8").splitlines()[:2]
    assert header[0] == ",".join(EXPECTED_COLUMNS["web"])
    assert re.fullmatch(r"C\d{7},\d{4}-\d\d-\d\d,\d{4}-\d\d-\d\d,\d+,\d+,\d+,\d+,[a-z]+", header[1])
    first_order = paths["transactions"].read_text(encoding="utf-8").splitlines()[1]
    assert re.fullmatch(r"O00000001,C\d{7},\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,.*", first_order)


def test_values_that_need_quoting_are_quoted(tmp_path):
    frame = pd.DataFrame({"name": ["Smith, Jo", 'say "hi"'], "n": [1, 2]})
    synth._write_csv(frame, tmp_path / "x.csv", ())
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "x.csv"), frame, check_dtype=False)


# --------------------------------------------------------------------------- schemas and ids
def test_columns_are_exactly_as_documented(demo, demo_vi):
    for data in (demo, demo_vi):
        assert set(data) == set(EXPECTED_COLUMNS)
        for key, columns in EXPECTED_COLUMNS.items():
            assert data[key].columns.tolist() == columns, key
            assert list(COLUMNS[key]) == columns


def test_ids_are_unique_and_well_formed(demo):
    customers, orders = demo["customers"], demo["transactions"]
    assert customers["customer_id"].is_unique
    assert customers["customer_id"].tolist() == [f"C{i:07d}" for i in range(1, 5001)]
    assert orders["order_id"].is_unique
    assert orders["order_id"].str.fullmatch(r"O\d{8}").all()
    assert orders["order_id"].is_monotonic_increasing
    assert orders["timestamp"].is_monotonic_increasing
    assert demo["service"]["contact_id"].is_unique
    assert demo["service"]["timestamp"].is_monotonic_increasing
    assert demo["survey"]["customer_id"].is_unique
    assert demo["web"]["customer_id"].is_unique
    ratings = demo["brand_ratings"]
    assert ratings["respondent_id"].str.fullmatch(r"R\d{5}").all()
    assert not ratings.duplicated(["respondent_id", "brand"]).any()
    assert demo["truth"]["customer_id"].equals(customers["customer_id"])
    assert customers["email"].is_unique


def test_every_customer_id_refers_to_a_customer(demo):
    known = set(demo["customers"]["customer_id"])
    for key in ("transactions", "survey", "service", "web", "brand_ratings", "truth"):
        assert set(demo[key]["customer_id"]) <= known, key


# --------------------------------------------------------------------------- volumes
def test_segment_mix_and_order_volume(demo):
    share = demo["truth"]["segment"].value_counts(normalize=True)
    assert set(share.index) == set(SEGMENTS)
    expected = dict(zip(SEGMENTS, [0.22, 0.22, 0.26, 0.12, 0.12, 0.06], strict=True))
    for segment, target in expected.items():
        assert share[segment] == pytest.approx(target, abs=0.001)
    assert len(demo["transactions"]) / 5000 == pytest.approx(12, abs=1.0)


def test_orders_per_customer_follow_the_segment(demo):
    counts = orders_per_customer(demo)
    segment = segment_of(demo).reindex(counts.index)
    assert (counts[segment.isin(ESTABLISHED)] >= 2).all()
    assert (counts[segment == "new_customer"] == 1).all()
    assert (counts[segment == "prospect"] == 0).all()
    per_year = counts.groupby(segment).mean() / 1.5  # about 1.5 active years on average
    assert 3 <= per_year["occasion_store_loyalist"] <= 6
    assert 8 <= per_year["young_online_influencer"] <= 14
    assert 5 <= per_year["bargain_hunter"] <= 9
    assert 20 <= per_year["trade_bulk"] <= 36


def test_recency_varies_so_lifecycle_stages_exist(demo):
    orders = demo["transactions"]
    last = orders.groupby("customer_id")["timestamp"].max()
    established = segment_of(demo).reindex(last.index).isin(ESTABLISHED)
    recency_days = (WINDOW_END - last[established]).dt.days
    assert (recency_days <= 30).mean() > 0.4
    assert 0.05 < (recency_days > 180).mean() < 0.35  # lapsed
    assert ((recency_days > 90) & (recency_days <= 180)).mean() > 0.05  # at risk


# --------------------------------------------------------------------------- value ranges
def test_values_stay_in_their_ranges(demo):
    customers, orders = demo["customers"], demo["transactions"]
    survey_items = demo["survey"].drop(columns="customer_id")
    assert survey_items.isin(range(1, 6)).all().all()
    assert set(np.unique(survey_items.to_numpy())) == {1, 2, 3, 4, 5}
    ratings = demo["brand_ratings"][EXPECTED_COLUMNS["brand_ratings"][3:]]
    assert ratings.isin(range(1, 8)).all().all()
    assert demo["service"]["effort_score"].between(1, 10).all()
    assert customers["web_savviness"].between(1, 5).all()
    assert customers["age"].between(16, 80).all()
    assert set(customers["gender"]) == {"female", "male", "other"}
    assert (customers["gender"] == "other").mean() < 0.05
    assert (customers["income"] % 100 == 0).all()
    assert customers["signup_date"].between(pd.Timestamp("2021-01-01"), WINDOW_END).all()
    assert orders["timestamp"].between(WINDOW_START, WINDOW_END).all()
    assert orders["timestamp"].dt.hour.between(0, 23).all()
    store_hours = orders.loc[orders["channel"] == "store", "timestamp"].dt.hour
    assert store_hours.between(9, 20).all()
    assert demo["service"]["timestamp"].between(WINDOW_START, WINDOW_END).all()
    assert set(orders["channel"]) == {"online", "store", "phone"}
    assert 5 <= orders["category"].nunique() <= 8
    assert (orders["amount"] > 0).all()
    assert ((orders["margin"] > 0) & (orders["margin"] < orders["amount"])).all()
    assert np.allclose(orders["amount"], orders["amount"].round(2))
    assert set(orders["special_occasion"]) == {0, 1} and set(orders["returned"]) == {0, 1}
    assert 0.02 < orders["returned"].mean() < 0.10
    web = demo["web"]
    assert (web["first_visit"] <= web["last_visit"]).all()
    assert web["first_visit"].between(pd.Timestamp("2021-01-01"), WINDOW_END).all()
    assert web["last_visit"].between(pd.Timestamp("2021-01-01"), WINDOW_END).all()
    assert (web["page_views"] >= web["sessions"]).all() and (web["sessions"] >= 1).all()
    assert (web["email_clicks"] <= web["email_opens"]).all()


def test_orders_come_after_signup(demo):
    orders = demo["transactions"]
    signup = demo["customers"].set_index("customer_id")["signup_date"]
    assert (orders["timestamp"] >= orders["customer_id"].map(signup)).all()
    new = demo["customers"][segment_of(demo).to_numpy() == "new_customer"]
    assert (new["signup_date"] >= pd.Timestamp("2025-05-01")).all()


def test_pii_is_fake_but_shaped_like_pii(demo):
    customers = demo["customers"]
    assert customers["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|org|net)").all()
    assert customers["phone"].str.fullmatch(r"\+44 7700 900\d{3}").all()
    assert customers["full_name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+").all()
    assert customers["district"].groupby(customers["city"]).nunique().min() >= 4


# --------------------------------------------------------------------------- planted behaviour
def test_planted_segments_behave_as_described(demo):
    orders = demo["transactions"].assign(segment=lambda o: o["customer_id"].map(segment_of(demo)))
    by_segment = orders.groupby("segment")
    channel = pd.crosstab(orders["segment"], orders["channel"], normalize="index")
    assert 0.80 <= channel.loc["occasion_store_loyalist", "store"] <= 0.93
    assert channel.loc["young_online_influencer", "online"] >= 0.93
    assert 0.40 <= channel.loc["bargain_hunter", "online"] <= 0.60
    assert 0.50 <= channel.loc["trade_bulk", "phone"] <= 0.70
    occasion = by_segment["special_occasion"].mean()
    assert 0.6 <= occasion["occasion_store_loyalist"] <= 0.8
    assert occasion.drop("occasion_store_loyalist").max() < 0.2
    median_amount = by_segment["amount"].median()
    assert 150 <= median_amount["occasion_store_loyalist"] <= 400
    assert 20 <= median_amount["young_online_influencer"] <= 40
    assert median_amount["trade_bulk"] > 2 * median_amount["occasion_store_loyalist"]
    margin_rate = by_segment["margin"].sum() / by_segment["amount"].sum()
    assert margin_rate.idxmax() == "occasion_store_loyalist"
    assert margin_rate.idxmin() == "bargain_hunter"
    assert by_segment["returned"].mean().idxmax() == "bargain_hunter"
    trade_categories = orders.loc[orders["segment"] == "trade_bulk", "category"].value_counts()
    assert set(trade_categories.index[:2]) == {"tools", "furniture"}

    customers = demo["customers"].assign(segment=segment_of(demo).to_numpy())
    profile = customers.groupby("segment")
    assert 37 <= profile["age"].median()["occasion_store_loyalist"] <= 43
    assert customers.loc[customers["segment"] == "young_online_influencer", "age"].between(17, 25).all()
    assert profile["income"].median().idxmax() == "occasion_store_loyalist"
    assert profile["web_savviness"].mean()["young_online_influencer"] > 4.5
    assert profile["social_followers"].median()["occasion_store_loyalist"] < 20
    assert 1000 <= profile["social_followers"].median()["young_online_influencer"] <= 5000
    referral = pd.crosstab(customers["segment"], customers["referral_source"], normalize="index")
    assert referral.loc["young_online_influencer"].idxmax() == "social"
    trade_jobs = {"builder", "contractor", "interior designer", "cafe owner", "electrician",
                  "carpenter", "plumber"}
    assert customers.loc[customers["segment"] == "trade_bulk", "occupation"].isin(trade_jobs).mean() > 0.8


def test_survey_answers_differ_by_segment(demo):
    survey = demo["survey"]
    segment = survey["customer_id"].map(segment_of(demo))
    assert not segment.eq("prospect").any()
    buyers = (orders_per_customer(demo) > 0).sum()
    assert len(survey) == pytest.approx(0.3 * buyers, abs=1)
    means = survey.drop(columns="customer_id").groupby(segment).mean()
    assert means["price_sensitivity"].idxmax() == "bargain_hunter"
    assert means["brand_loyalty"].idxmax() == "occasion_store_loyalist"
    assert means["values_personal_service"].idxmax() == "occasion_store_loyalist"
    assert means["buys_on_impulse"].idxmax() == "young_online_influencer"
    assert means["values_same_day_delivery"].idxmax() == "young_online_influencer"


def test_service_and_web_differ_by_segment(demo):
    segment = segment_of(demo)
    service = demo["service"]
    effort = service["effort_score"].groupby(service["customer_id"].map(segment)).mean()
    assert effort["young_online_influencer"] < 4 < effort["bargain_hunter"]
    assert set(service["channel"]) == {"phone", "email", "chat", "store"}
    web = demo["web"].assign(segment=lambda w: w["customer_id"].map(segment))
    covered = web["segment"].value_counts() / segment.value_counts()
    assert covered["young_online_influencer"] > 0.9 and covered["trade_bulk"] < 0.6
    assert covered["prospect"] > 0.7  # registered, never bought, but seen on the site
    sessions = web.groupby("segment")["sessions"].median()
    assert sessions["young_online_influencer"] > sessions["occasion_store_loyalist"] > 0


def test_brand_profiles_are_distinct(demo, demo_1k):
    ratings = demo["brand_ratings"]
    assert ratings["respondent_id"].nunique() == 600
    assert 200 <= demo_1k["brand_ratings"]["respondent_id"].nunique() < 600
    assert ratings.groupby("respondent_id").size().eq(6).all()
    means = ratings.groupby("brand").mean(numeric_only=True)
    assert len(means) == 6
    assert means["service"].idxmax() == "Hearth & Co"
    assert means["trust"].idxmax() == "Hearth & Co"
    assert means["quality"].idxmax() == "Hearth & Co"
    assert means["value_for_money"].idxmax() == "ThriftBarn"
    assert means["innovation"].idxmax() == "ClickNest"
    assert means["style"].idxmax() == "Atelier Linden"
    standardized = (means - means.mean()) / means.std()
    points = standardized.to_numpy()
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    assert distances[np.triu_indices(6, 1)].min() > 1.0


# --------------------------------------------------------------------------- separability
def test_kmeans_recovers_the_four_established_segments(demo_1k):
    features = kmeans_features(demo_1k)
    truth = segment_of(demo_1k).loc[features.index]
    assert set(truth) == set(ESTABLISHED)
    for _, group in features.groupby(truth):
        assert (group.std() > 0).all()  # noise everywhere, no constant column in a segment
    X = StandardScaler().fit_transform(features)
    fits = {k: KMeans(k, n_init=10, random_state=0).fit_predict(X) for k in range(2, 9)}
    silhouettes = {k: silhouette_score(X, labels) for k, labels in fits.items()}
    best_k = max(silhouettes, key=silhouettes.get)
    assert best_k == 4
    assert adjusted_rand_score(truth, fits[best_k]) >= 0.9


# --------------------------------------------------------------------------- locales and errors
def test_vietnamese_locale(demo_vi, demo_1k):
    customers, orders = demo_vi["customers"], demo_vi["transactions"]
    assert customers["full_name"].str.contains(r"[^\x00-\x7f]").mean() > 0.8
    assert customers["full_name"].str.split().str.len().eq(3).all()
    assert customers["full_name"].str.startswith("Nguyễn").mean() == pytest.approx(0.38, abs=0.06)
    assert customers["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|org|net)").all()
    assert customers["phone"].str.fullmatch(r"\+84 9\d \d{3} \d{4}").all()
    assert set(customers["city"]) == {"Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ"}
    assert {"Ba Đình", "Cầu Giấy", "Quận 1", "Quận 7", "Hải Châu"} <= set(customers["district"])
    assert pd.api.types.is_integer_dtype(orders["amount"])
    assert (orders["amount"] % 1000 == 0).all() and (orders["margin"] % 1000 == 0).all()
    assert (customers["income"] % 100_000 == 0).all()
    ratio = orders["amount"].median() / demo_1k["transactions"]["amount"].median()
    assert 15_000 < ratio < 40_000
    brands = set(demo_vi["brand_ratings"]["brand"])
    assert len(brands) == 6 and not brands & set(demo_1k["brand_ratings"]["brand"])
    assert demo_vi["truth"]["segment"].equals(demo_1k["truth"]["segment"])


@pytest.mark.parametrize("locale", ["fr", "EN", "", None])
def test_unknown_locale_is_refused(locale, tmp_path):
    with pytest.raises(ValueError, match="'en', 'vi'"):
        generate(1000, locale=locale)
    with pytest.raises(ValueError, match="'en', 'vi'"):
        write_demo(tmp_path / "out", n_customers=1000, locale=locale)
    with pytest.raises(ValueError, match="'en', 'vi'"):
        our_brand(locale)
    assert not (tmp_path / "out").exists()


def test_our_brand_is_the_first_brand_rated(demo, demo_vi):
    assert our_brand("en") == "Hearth & Co" == demo["brand_ratings"]["brand"].iloc[0]
    assert our_brand("vi") == "Tổ Ấm & Co" == demo_vi["brand_ratings"]["brand"].iloc[0]


@pytest.mark.parametrize("n_customers", [0, 99, -5, 1000.0])
def test_too_few_customers_is_refused(n_customers):
    with pytest.raises(ValueError, match="n_customers"):
        generate(n_customers)


def test_smallest_allowed_population_works():
    data = generate(100, seed=1)
    assert len(data["customers"]) == 100
    assert (data["truth"]["segment"].value_counts() > 0).all()
    assert data["brand_ratings"]["respondent_id"].nunique() == 50


def test_the_vietnamese_demo_writes_its_coded_values_in_vietnamese(demo_vi, demo_1k):
    """Every code has its Vietnamese value; the customers are the same people as in English."""
    vocabularies = {("customers", "gender"): synth._GENDERS,
                    ("customers", "education"): synth._EDUCATION,
                    ("customers", "occupation"): synth._OCCUPATIONS,
                    ("customers", "marital_status"): synth._MARITAL,
                    ("customers", "referral_source"): synth._REFERRALS,
                    ("transactions", "channel"): synth._CHANNELS,
                    ("transactions", "category"): synth._CATEGORIES,
                    ("service", "channel"): synth._SERVICE_CHANNELS,
                    ("service", "reason"): synth._REASONS,
                    ("web", "referral_source"): synth._WEB_SOURCES}
    assert set(vocabularies) == set(synth._VI_VALUES)
    for (table, column), codes in vocabularies.items():
        words = synth._VI_VALUES[(table, column)]
        assert set(words) == set(codes), (table, column)
        vi, en = demo_vi[table][column], demo_1k[table][column]
        assert vi.notna().all() and vi.isin(list(words.values())).all()
        if table == "customers":  # the same people in both locales (orders follow the calendar)
            assert vi.equals(en.map(words).astype(vi.dtype)), (table, column)
    assert {"nữ", "nam"} <= set(demo_vi["customers"]["gender"])
    assert {"trực tuyến", "cửa hàng", "điện thoại"} == set(demo_vi["transactions"]["channel"])
