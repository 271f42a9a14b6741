"""The transaction SQL: statuses, netting, outliers and the CLV summary, by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import write_config
from seglib import collect
from seglib.config import load_config
from seglib.rfm import glob_to_like, rfm_summary


def test_rfm_summary_by_hand():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c", "c", "c"],
        "date": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 18:00", "2025-01-11 09:00",
                                "2025-01-05 00:00", "2025-01-02 08:00", "2025-01-03 08:00",
                                "2025-01-07 23:59"]),
        "amount": [10.0, 5.0, 20.0, 7.0, 3.0, 4.0, 8.0],
    })
    summary = rfm_summary(tx, as_of="2025-01-31 15:00")
    # a: purchase days Jan 1 (15) and Jan 11 (20): one repeat day, 10 days apart, 30 days old
    assert summary.loc["a"].tolist() == [1, 10, 30, 20.0]
    # b: a one-time buyer: no repeat, recency 0, monetary 0
    assert summary.loc["b"].tolist() == [0, 0, 26, 0.0]
    # c: days Jan 2, 3, 7: two repeats (4 and 8, mean 6), last at age 5, 29 days old
    assert summary.loc["c"].tolist() == [2, 5, 29, 6.0]
    assert list(summary.index) == ["a", "b", "c"]


def test_rfm_summary_reads_parquet_and_defaults_to_the_last_day(tmp_path):
    tx = pd.DataFrame({"cid": [1, 1, 2], "when": pd.to_datetime(
        ["2025-03-01", "2025-03-04", "2025-03-10"]), "value": [1.0, 2.5, 4.0]})
    tx.to_parquet(tmp_path / "t.parquet")
    summary = rfm_summary(tmp_path / "t.parquet", customer_id="cid", date="when", amount="value")
    assert summary.loc[1].tolist() == [1, 3, 9, 2.5]
    assert summary.loc[2].tolist() == [0, 0, 0, 0.0]


def test_glob_patterns_become_like_patterns():
    assert glob_to_like("test*") == "test%"
    assert glob_to_like("*@example.com") == "%@example.com"
    assert glob_to_like("a_b?%") == "a\\_b_\\%"


def _orders(tmp_path: Path, rows: list[tuple], extra: str = "", columns: str = "") -> Path:
    frame = pd.DataFrame(rows, columns=["order", "cust", "when", "qty", "price"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    write_config(tmp_path, f"""
client: t
data:
  transactions:
    path: t.csv
    columns: {{customer_id: cust, order_id: order, date: when, quantity: qty,
               unit_price: price{columns}}}
{extra}""")
    return tmp_path / "config.yaml"


ROWS = [
    ("1", "a", "2025-01-01", 2, 5.0),     # a buys 10
    ("1", "a", "2025-01-01", 1, 4.0),     # same order: 14 in all
    ("1", "a", "2025-01-01", 1, 4.0),     # exact duplicate line
    ("C2", "a", "2025-01-05", -1, 4.0),   # cancellation: refund 4
    ("3", "b", "2025-01-02", 1, 0.0),     # free item: zero price
    ("4", "", "2025-01-03", 3, 2.0),      # no customer: 6 in totals only
    ("5", "TEST-1", "2025-01-04", 1, 9.0),  # test account
    ("6", "b", "2025-01-10", 1, 30.0),    # b buys 30
    ("7", "b", "2025-01-20", 2, 10.0),    # b buys 20
]


def test_every_line_gets_the_first_status_that_applies(tmp_path):
    config = _orders(tmp_path, ROWS, "collect: {test_accounts: ['test-*'], "
                                     "cancelled_orders: 'C*', as_of: 2025-01-31}\n")
    result = collect.collect(load_config(config))
    status = result.transactions.set_index("row_no")["line_status"]
    assert status.to_dict() == {1: "purchase", 2: "purchase", 3: "duplicate", 4: "refund",
                                5: "zero_price", 6: "no_customer", 7: "test_account",
                                8: "purchase", 9: "purchase"}
    ledger = result.ledger.set_index("rule")
    lines = ledger[ledger.index != "rows read"]
    lines = lines[lines["source"] == "transactions"]["rows"]
    assert ledger.loc["rows read", "rows"] == 9 == lines[lines.index.str.contains(
        "duplicate|observation|test|price|no customer|refunds|returned|kept")].sum()
    assert ledger.loc["no customer id", "revenue"] == 6
    assert ledger.loc["test accounts (collect.test_accounts)", "examples"] == "5"
    table = result.customers.set_index("customer_id")
    assert list(table.index) == ["a", "b"]
    assert table.loc["a", ["n_orders", "gross_revenue", "refunds", "revenue"]].tolist() == [
        1, 14, 4, 10]
    assert table.loc["b", ["n_orders", "revenue", "avg_order_value"]].tolist() == [2, 50, 25]
    assert table.loc["b", "first_purchase"] == pd.Timestamp("2025-01-10")  # free item left out
    assert table.loc["b", "mean_days_between_purchases"] == 10
    assert table.loc["b", "purchase_days"] == 2 and table.loc["a", "purchase_days"] == 1
    assert table.loc["b", "repeat_customer"] and not table.loc["a", "repeat_customer"]
    assert table.loc["b", ["clv_frequency", "clv_recency", "clv_T", "clv_monetary_value"]
                     ].tolist() == [1, 10, 21, 20]
    assert table.loc["a", "refund_rate"] == pytest.approx(4 / 14)


def test_without_the_cancel_pattern_a_positive_c_invoice_is_a_purchase(tmp_path):
    rows = [("1", "a", "2025-01-01", 1, 10.0), ("C2", "a", "2025-01-02", 1, 3.0)]
    table = collect.collect(load_config(_orders(tmp_path, rows))).customers
    assert table.loc[0, "n_orders"] == 2
    table = collect.collect(load_config(_orders(
        tmp_path, rows, "collect: {cancelled_orders: 'c*'}\n"))).customers
    assert table.loc[0, ["n_orders", "revenue", "refunds"]].tolist() == [1, 10, 0]


def test_test_accounts_found_by_email_in_the_customers_file(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"],
                  "email": ["ann@client.vn", "qa@example.com", "cy@client.vn"]}).to_csv(
        tmp_path / "c.csv", index=False)
    pd.DataFrame({"c": ["a", "b", "c"], "d": ["2025-01-01"] * 3, "v": [1, 2, 3]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, """
client: t
data:
  customers: {path: c.csv}
  transactions: {path: t.csv, columns: {customer_id: c, date: d, amount: v}}
collect: {test_accounts: ['*@EXAMPLE.com']}
""")
    result = collect.collect(load_config(tmp_path / "config.yaml"))
    assert result.customers["customer_id"].tolist() == ["a", "c"]
    ledger = result.ledger.set_index(["source", "rule"])
    assert ledger.loc[("customers", "test accounts (collect.test_accounts)"), "rows"] == 1
    assert ledger.loc[("transactions", "test accounts (collect.test_accounts)"), "revenue"] == 2


def _spend(tmp_path: Path, extra: str = "") -> collect.Collected:
    rng = np.random.default_rng(0)
    values = np.round(rng.lognormal(3, 0.3, 200), 2).tolist() + [50_000.0]
    pd.DataFrame({"c": [f"c{i % 20}" for i in range(201)],
                  "d": pd.date_range("2025-01-01", periods=201, freq="h").astype(str),
                  "v": values}).to_csv(tmp_path / "t.csv", index=False)
    write_config(tmp_path, f"""
client: t
data:
  transactions: {{path: t.csv, columns: {{customer_id: c, date: d, amount: v}}}}
{extra}""")
    return collect.collect(load_config(tmp_path / "config.yaml"))


def test_outliers_are_flagged_not_removed(tmp_path):
    result = _spend(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table["outlier_orders"].sum() == 1 and table.loc["c0", "outlier_orders"] == 1
    assert table["gross_revenue"].max() > 50_000  # kept as it is
    line = result.ledger[result.ledger["rule"].str.startswith("outlier orders")]
    assert line["rows"].tolist() == [1] and line["revenue"].tolist() == [50_000]
    assert "flagged" in line["action"].iloc[0]


def test_outliers_capped_on_request_with_the_cut_in_the_ledger(tmp_path):
    flagged = _spend(tmp_path).customers.set_index("customer_id")
    capped_run = _spend(tmp_path, "collect: {outliers: cap}\n")
    capped = capped_run.customers.set_index("customer_id")
    line = capped_run.ledger[capped_run.ledger["rule"].str.startswith("outlier orders")]
    cut = line["revenue"].iloc[0]
    assert 40_000 < cut < 50_000
    assert flagged.loc["c0", "gross_revenue"] - capped.loc["c0", "gross_revenue"] == \
        pytest.approx(cut)
    assert (flagged.drop("c0")["gross_revenue"] == capped.drop("c0")["gross_revenue"]).all()


def test_typed_parquet_and_text_csv_give_the_same_customer_table(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    tx = pd.DataFrame({
        "cid": rng.integers(1, 300, n),
        "oid": np.arange(n) // 2,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24, n),
                                                             unit="h"),
        "amount": np.round(rng.lognormal(3, 1, n), 2),
        "channel": rng.choice(["web", "Store", "phone"], n),
        "category": rng.choice(["toys", "books", "garden"], n),
    })
    tx["cid"] = tx["oid"] % 299 + 1  # an order belongs to one customer
    tx.loc[::50, "amount"] *= -1
    tx.to_parquet(tmp_path / "t.parquet")
    tx.to_csv(tmp_path / "t.csv", index=False)
    mapping = ("columns: {customer_id: cid, order_id: oid, date: when, amount: amount, "
               "channel: channel, category: category}")
    tables = []
    # typed Parquet and plain CSV are read by DuckDB; dayfirst sends the CSV through pandas
    for name, option, reader in [("t.parquet", "", "DuckDB (typed Parquet)"),
                                 ("t.csv", "", "DuckDB (CSV with typed columns)"),
                                 ("t.csv", "dayfirst: false, ", "pandas (parsed as text)")]:
        write_config(tmp_path, f"client: t\ndata:\n  transactions: {{path: {name}, {option}"
                               f"{mapping}}}\n")
        result = collect.collect(load_config(tmp_path / "config.yaml"))
        tables.append(result.customers)
        assert result.reads[0]["reader"] == reader
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])
    table = tables[0]
    assert {"category_share_toys", "category_share_books", "favourite_category",
            "online_share"} <= set(table.columns)
    shares = table[["category_share_toys", "category_share_books", "category_share_garden"]]
    assert np.allclose(shares.sum(axis=1), 1)


def test_survey_factors_recover_two_planted_dimensions():
    rng = np.random.default_rng(3)
    price, style = rng.normal(size=(2, 400))
    items = pd.DataFrame({
        "cheap_matters": price + rng.normal(0, 0.4, 400),
        "compare_prices": price + rng.normal(0, 0.4, 400),
        "wait_for_sales": price + rng.normal(0, 0.4, 400),
        "likes_new_designs": style + rng.normal(0, 0.4, 400),
        "follows_trends": style + rng.normal(0, 0.4, 400),
        "brand_conscious": style + rng.normal(0, 0.4, 400),
    })
    scores, loadings = collect.survey_factors(items)
    assert list(scores.columns) == ["survey_factor_1", "survey_factor_2"]
    names = " | ".join(loadings.columns)
    assert names.count("factor") == 2
    by_factor = [set(loadings[c].abs().nlargest(3).index) for c in loadings.columns]
    assert {"cheap_matters", "compare_prices", "wait_for_sales"} in by_factor
    assert {"likes_new_designs", "follows_trends", "brand_conscious"} in by_factor
    correlation = [abs(np.corrcoef(scores[c], price)[0, 1]) for c in scores.columns]
    assert max(correlation) > 0.9


def test_buying_psychology_from_first_visit_to_first_purchase():
    visit = pd.to_datetime(pd.Series(["2025-01-01 09:00", "2025-01-01", "2025-01-01",
                                      "2025-01-10", None]), format="ISO8601")
    purchase = pd.to_datetime(pd.Series(["2025-01-01 21:00", "2025-01-09", "2025-03-01",
                                         "2025-01-05", "2025-01-05"]), format="ISO8601")
    table = collect.buying_psychology(visit, purchase)
    assert table["buying_psychology"].tolist()[:4] == [
        "instant", "hesitant", "researched", "bought before visiting"]
    assert pd.isna(table["buying_psychology"].iloc[4])
    assert table["days_to_first_purchase"].tolist()[:4] == [0, 8, 59, -5]


def test_rfm_summary_in_weeks_and_months():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a"],
                       "date": pd.to_datetime(["2025-01-06", "2025-01-08", "2025-01-20",
                                               "2025-03-02"]),
                       "amount": [1.0, 2.0, 4.0, 8.0]})
    # weeks (Mon-Sun): Jan 6-12 (3), Jan 20-26 (4), Feb 24-Mar 2 (8); end in the week of Mar 31
    weeks = rfm_summary(tx, as_of="2025-03-31", freq="W")
    assert weeks.loc["a"].tolist() == [2, 7, 12, 6.0]
    months = rfm_summary(tx, as_of="2025-03-31", freq="M")  # January (7), March (8)
    assert months.loc["a"].tolist() == [1, 2, 2, 8.0]
    with pytest.raises(ValueError, match="freq"):
        rfm_summary(tx, freq="Y")


def test_a_shop_with_one_price_has_no_outliers_and_its_dearer_product_is_not_one(tmp_path):
    values = [49.0] * 70 + [59.0, 79.0, 99.0, 129.0] * 5 + [39.8] * 9 + [2000.0]
    pd.DataFrame({"c": [f"c{i % 25}" for i in range(len(values))],
                  "d": pd.date_range("2025-01-01", periods=len(values), freq="h").astype(str),
                  "v": values}).to_csv(tmp_path / "t.csv", index=False)
    write_config(tmp_path, "client: t\ndata:\n  transactions: {path: t.csv, columns: "
                           "{customer_id: c, date: d, amount: v}}\n")
    result = collect.collect(load_config(tmp_path / "config.yaml"))
    assert result.customers["outlier_orders"].sum() == 1  # the 2000 order only
    pd.DataFrame({"c": ["a", "b"] * 20, "d": pd.date_range("2025-01-01", periods=40,
                                                           freq="D").astype(str),
                  "v": [39.8] * 40}).to_csv(tmp_path / "t.csv", index=False)
    result = collect.collect(load_config(tmp_path / "config.yaml"))
    assert result.customers["outlier_orders"].sum() == 0
    assert not result.ledger["rule"].str.startswith("outlier").any()


def test_category_columns_drop_accents_and_stay_distinct():
    from seglib.rfm import category_columns

    assert category_columns(["Bánh", "Bình", "Banh", "Đồ gia dụng", "Áo"]) == {
        "Bánh": "category_share_banh", "Bình": "category_share_binh",
        "Banh": "category_share_banh_2", "Đồ gia dụng": "category_share_do_gia_dung",
        "Áo": "category_share_ao"}


def test_clv_overview_describes_the_summary_or_says_nothing():
    table = pd.DataFrame({"clv_frequency": [0, 2, 4], "clv_recency": [0, 10, 20],
                          "clv_T": [30, 40, 50], "clv_monetary_value": [0.0, 5.0, 7.0]})
    overview = collect.clv_overview(table)
    assert overview.loc["clv_frequency", "mean"] == 2
    assert overview.loc["clv_T", "max"] == 50
    assert collect.clv_overview(pd.DataFrame({"age": [1]})) is None
