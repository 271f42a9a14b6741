from pathlib import Path

import pandas as pd
import pytest

from conftest import file_hash, write_config
from seglib import collect, i18n, rfm
from seglib.config import load_config
from seglib.errors import DataError
from seglib.run_folder import RunFolder


def run_collect(folder: Path):
    return collect.collect(load_config(folder / "config.yaml"))


def test_rfm_matches_hand_computation(tiny_sources):
    result = run_collect(tiny_sources)
    table = result.customers.set_index("customer_id")
    assert result.as_of == pd.Timestamp("2025-01-31")
    assert table.loc["A", "n_orders"] == 2
    assert table.loc["A", "revenue"] == 40
    assert table.loc["A", "recency_days"] == 20
    assert table.loc["A", "tenure_days"] == 30
    assert table.loc["A", "online_share"] == 0.5
    assert table.loc["A", "store_share"] == 0.5
    assert table.loc["B", "n_orders"] == 2
    assert table.loc["B", "gross_revenue"] == 150
    assert table.loc["B", "refunds"] == 20  # order 6, a cancellation, netted
    assert table.loc["B", "revenue"] == 130
    assert table.loc["B", "avg_order_value"] == 75  # purchases per order
    assert table.loc["B", "recency_days"] == 11
    assert table.loc["B", "phone_share"] == 0.5
    assert table.loc["C", "n_orders"] == 0
    assert table.loc["C", "revenue"] == 0
    assert pd.isna(table.loc["C", "recency_days"])
    assert list(result.customers["customer_id"]) == ["A", "B", "C"]


def test_ledger_records_every_exclusion(tiny_sources):
    ledger = run_collect(tiny_sources).ledger.set_index("rule")
    assert ledger.loc["exact duplicate lines", "rows"] == 1
    refunds = [r for r in ledger.index if r.startswith("cancellations and refunds")]
    assert ledger.loc[refunds[0], "rows"] == 1 and ledger.loc[refunds[0], "revenue"] == -20
    assert ledger.loc[refunds[0], "examples"] == "6"
    assert ledger.loc["no customer id", "rows"] == 1
    assert ledger.loc["no customer id", "revenue"] == 7
    pii = [r for r in ledger.index if r.startswith("personal data columns")]
    assert pii and "Full Name" in pii[0] and "Email" in pii[0]


def test_personal_data_removed_but_contactability_kept(tiny_sources):
    table = run_collect(tiny_sources).customers
    assert "Full Name" not in table.columns and "Email" not in table.columns
    assert table.set_index("customer_id")["has_email"].to_dict() == {"A": True, "B": True,
                                                                      "C": False}


def test_keep_pii_keeps_the_columns(tiny_sources):
    text = (tiny_sources / "config.yaml").read_text() + "collect: {keep_pii: true}\n"
    write_config(tiny_sources, text)
    assert "Email" in run_collect(tiny_sources).customers.columns


def test_amount_from_quantity_and_unit_price(tmp_path):
    pd.DataFrame({"c": ["x", "x", "y"], "d": ["2024-05-01", "2024-05-03", "2024-05-02"],
                  "q": [2, 3, 1], "p": [1.5, 2.0, 10]}).to_csv(tmp_path / "t.csv", sep=";",
                                                              index=False)
    write_config(tmp_path, """
client: q
data:
  transactions:
    path: t.csv
    columns: {customer_id: c, date: d, quantity: q, unit_price: p}
""")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["x", "revenue"] == pytest.approx(9.0)
    assert table.loc["y", "revenue"] == pytest.approx(10.0)
    # no order id: each row is an order, and the ledger says so
    assert table.loc["x", "n_orders"] == 2
    assert result.ledger["rule"].str.contains("no order id").any()


def test_input_files_are_never_modified(tiny_sources):
    before = {p.name: file_hash(p) for p in tiny_sources.glob("*.csv")}
    run_collect(tiny_sources)
    assert {p.name: file_hash(p) for p in tiny_sources.glob("*.csv")} == before


def test_numeric_customer_ids_match_float_ids_in_orders(tmp_path):
    pd.DataFrame({"customer_id": [17850, 13047]}).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame({"customer_id": [17850.0, None, 13047.0], "date": ["2024-01-01"] * 3,
                  "amount": [1, 2, 3], "order_id": ["a", "b", "c"]}).to_parquet(tmp_path / "t.parquet")
    write_config(tmp_path, """
client: ids
data:
  customers: {path: c.csv}
  transactions: {path: t.parquet}
""")
    table = run_collect(tmp_path).customers.set_index("customer_id")
    assert sorted(table.index) == ["13047", "17850"]
    assert table.loc["17850", "revenue"] == 1


def test_excel_sheet_is_read(tmp_path):
    with pd.ExcelWriter(tmp_path / "c.xlsx") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({"ID": ["k1", "k2"], "age": [20, 30]}).to_excel(writer, sheet_name="Customers",
                                                                    index=False)
    write_config(tmp_path, """
client: xl
data:
  customers: {path: c.xlsx, sheet: Customers, columns: {customer_id: ID}}
""")
    table = run_collect(tmp_path).customers
    assert list(table["customer_id"]) == ["k1", "k2"]
    assert list(table["age"]) == [20, 30]


BAD_TRANSACTIONS = {
    "unparseable date": ({"c": ["a", "b"], "d": ["2024-01-01", "31/31/2024"], "v": ["1", "2"]},
                         ["'d'", "row 2", "31/31/2024", "not valid dates"]),
    "text in amount": ({"c": ["a", "b"], "d": ["2024-01-01", "2024-01-02"], "v": ["1", "ten"]},
                       ["'v'", "row 2", "'ten'", "not numbers"]),
    "blank amount": ({"c": ["a", "b"], "d": ["2024-01-01", "2024-01-02"], "v": ["1", ""]},
                     ["'amount'", "row 2"]),
}


@pytest.mark.parametrize("case", sorted(BAD_TRANSACTIONS))
def test_bad_transaction_values_name_column_and_row(tmp_path, case):
    frame, expected = BAD_TRANSACTIONS[case]
    pd.DataFrame(frame).to_csv(tmp_path / "t.csv", index=False)
    write_config(tmp_path, """
client: bad
data:
  transactions: {path: t.csv, columns: {customer_id: c, date: d, amount: v}}
""")
    before = file_hash(tmp_path / "t.csv")
    with pytest.raises(DataError) as err:
        run_collect(tmp_path)
    for word in expected:
        assert word in str(err.value)
    assert "t.csv" in str(err.value)
    assert file_hash(tmp_path / "t.csv") == before


@pytest.mark.parametrize("content, expected", [
    (b"", "empty (0 bytes)"),
    (b"customer_id,age\n", "header but no data rows"),
    (b"customer_id,age,age\nA,1,2\n", "duplicated column"),
    (b"\n\n", "blank lines only"),
])
def test_unusable_customer_files(tmp_path, content, expected):
    (tmp_path / "c.csv").write_bytes(content)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    with pytest.raises(DataError) as err:
        run_collect(tmp_path)
    assert expected in str(err.value)


def test_mapped_column_missing_lists_the_columns(tmp_path):
    pd.DataFrame({"ID": ["a"], "Age": [3]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv, columns: {customer_id: Kunde}}\n")
    with pytest.raises(DataError) as err:
        run_collect(tmp_path)
    message = str(err.value)
    assert "'Kunde'" in message and "customer_id" in message and "ID, Age" in message


def test_blank_and_duplicate_customer_ids_are_errors(tmp_path):
    pd.DataFrame({"customer_id": ["a", None, "c"]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    with pytest.raises(DataError, match="no customer id, first at data row 2"):
        run_collect(tmp_path)
    pd.DataFrame({"customer_id": ["a", "b", "a"]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match="more than once, first at data row 3"):
        run_collect(tmp_path)


def test_non_utf8_file_is_detected_and_reported(tmp_path):
    (tmp_path / "c.csv").write_bytes("customer_id;city\n1;Zürich\n".encode("cp1252"))
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    result = run_collect(tmp_path)
    assert result.customers["city"].iloc[0] == "Zürich"
    read = collect.reads_table(result).loc["customers"]
    assert (read["encoding"], read["delimiter"]) == ("cp1252", ";")
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv, encoding: utf-16}\n")
    with pytest.raises(DataError, match="encoding"):
        run_collect(tmp_path)


def test_binary_garbage_is_a_data_error(tmp_path):
    (tmp_path / "c.parquet").write_bytes(bytes(range(256)) * 4)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.parquet}\n")
    with pytest.raises(DataError, match="c.parquet.*not a Parquet file"):
        run_collect(tmp_path)


def test_write_and_read_back(tiny_sources, tmp_path):
    result = run_collect(tiny_sources)
    run_dir = tmp_path / "run"
    collect.write_outputs(result, run_dir)
    customers, meta = RunFolder(run_dir).read_collected()
    assert meta["as_of"] == "2025-01-31"
    pd.testing.assert_frame_equal(customers, result.customers)
    assert (run_dir / "data_quality.csv").is_file()


def test_read_collected_without_stage_one_says_what_to_run(tmp_path):
    with pytest.raises(DataError, match="run notebooks/01_collect.ipynb first"):
        RunFolder(tmp_path).read_collected()


def _orders_config(folder, extra=""):
    write_config(folder, f"""
client: dates
data:
  transactions:
    path: t.csv
    columns: {{customer_id: c, date: d, amount: v}}
{extra}""")


def test_ambiguous_day_month_dates_stop_the_run(tmp_path):
    pd.DataFrame({"c": ["a", "a", "b"], "d": ["01/02/2025", "03/02/2025", "05/04/2025"],
                  "v": [1, 2, 3]}).to_csv(tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    with pytest.raises(DataError) as err:
        run_collect(tmp_path)
    assert "'01/02/2025'" in str(err.value) and "data.transactions.dayfirst" in str(err.value)
    _orders_config(tmp_path, "    dayfirst: true\n")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "first_purchase"] == pd.Timestamp("2025-02-01")
    assert table.loc["b", "last_purchase"] == pd.Timestamp("2025-04-05")
    _orders_config(tmp_path, "    dayfirst: false\n")
    table = run_collect(tmp_path).customers.set_index("customer_id")
    assert table.loc["a", "first_purchase"] == pd.Timestamp("2025-01-02")


def test_a_date_that_reads_one_way_only_decides_the_column_with_a_ledger_note(tmp_path):
    pd.DataFrame({"c": ["a", "a", "b"], "d": ["01/02/2025", "13/02/2025", "05/04/2025"],
                  "v": [1, 2, 3]}).to_csv(tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "first_purchase"] == pd.Timestamp("2025-02-01")
    note = result.ledger[result.ledger["rule"].str.contains("could be read day first")]
    assert len(note) == 1 and "'13/02/2025'" in note["rule"].iloc[0]
    _orders_config(tmp_path, "    dayfirst: false\n")
    with pytest.raises(DataError, match="'13/02/2025'.*|not valid dates"):
        run_collect(tmp_path)


def test_blank_date_names_column_and_row(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", ""], "v": [1, 2]}).to_csv(
        tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    with pytest.raises(DataError, match=r"'d' \(mapped to 'date'\): 1 row\(s\) have no date, first at data row 2"):
        run_collect(tmp_path)


def test_as_of_before_every_order_is_a_clear_error(tmp_path):
    pd.DataFrame({"c": ["a"], "d": ["2025-01-01"], "v": [1]}).to_csv(tmp_path / "t.csv", index=False)
    _orders_config(tmp_path, "collect: {as_of: 2020-01-01}\n")
    with pytest.raises(DataError, match="no transactions left before the end of observation"):
        run_collect(tmp_path)


def test_na_words_are_missing_and_stray_text_in_a_number_column_is_an_error(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"], "age": ["30", "n/a", "unknown"],
                  "note": ["x", "y", "z"]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    result = run_collect(tmp_path)
    ages = result.customers.set_index("customer_id")["age"]
    assert ages["a"] == 30 and ages[["b", "c"]].isna().all()
    assert result.ledger["rule"].str.contains("age: text such as 'n/a'").any()
    assert result.customers["note"].tolist() == ["x", "y", "z"]  # text columns stay text
    pd.DataFrame({"customer_id": ["a", "b"], "age": ["30", "thirty"]}).to_csv(
        tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match="column 'age': 1 value.* data row 2: 'thirty'"):
        run_collect(tmp_path)


def test_personal_data_found_by_vietnamese_names_and_by_content(tmp_path):
    pd.DataFrame({
        "customer_id": ["a", "b"],
        "Họ tên": ["Nguyễn Văn An", "Trần Thị Bình"],
        "Số điện thoại": ["0912 345 678", "+84 91 234 5678"],
        "contact": ["an@example.com", "binh@example.org"],
        "age": [30, 40],
    }).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", "2025-01-02"], "v": [1, 2],
                  "buyer_mail": ["an@example.com", "binh@example.org"]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, """
client: pii
data:
  customers: {path: c.csv}
  transactions: {path: t.csv, columns: {customer_id: c, date: d, amount: v}}
""")
    result = run_collect(tmp_path)
    assert set(result.customers.columns) >= {"has_email", "has_phone", "age"}
    assert not {"Họ tên", "Số điện thoại", "contact", "buyer_mail"} & (
        set(result.customers.columns) | set(result.transactions.columns))
    assert result.customers["has_email"].all() and result.customers["has_phone"].all()


def test_customers_whose_orders_were_all_excluded_are_kept_and_counted(tmp_path):
    pd.DataFrame({"c": ["a", "b", "b"], "d": ["2025-01-01", "2025-01-02", "2025-01-03"],
                  "v": [10, -5, -7]}).to_csv(tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["b", "n_orders"] == 0 and table.loc["b", "revenue"] == 0
    assert table.loc["b", "refunds"] == 12
    line = result.ledger[result.ledger["rule"].str.startswith("customers whose every order")]
    assert line["rows"].tolist() == [1]
    line = result.ledger[result.ledger["rule"].str.startswith("refunds larger than")]
    assert line["rows"].tolist() == [1] and line["revenue"].tolist() == [-12]


def test_rows_of_other_sources_without_a_customer_are_counted(tiny_sources):
    pd.DataFrame({"customer_id": ["A", "Z", "Y"], "sessions": [3, 4, 5]}).to_csv(
        tiny_sources / "web.csv", index=False)
    text = (tiny_sources / "config.yaml").read_text().replace(
        "data:\n", "data:\n  web: {path: web.csv}\n")
    write_config(tiny_sources, text)
    result = run_collect(tiny_sources)
    line = result.ledger[(result.ledger["source"] == "web")
                         & result.ledger["rule"].str.startswith("customer ids not in")]
    assert line["rows"].tolist() == [2]
    assert result.customers.set_index("customer_id").loc["A", "web_sessions"] == 3


def test_email_activity_counts_are_not_mistaken_for_personal_data(tiny_sources):
    pd.DataFrame({"customer_id": ["A", "B"], "email_opens": [3, 0], "email_clicks": [1, 0],
                  "phone": ["912345678", "987654321"]}).to_csv(tiny_sources / "web.csv", index=False)
    text = (tiny_sources / "config.yaml").read_text().replace(
        "data:\n", "data:\n  web: {path: web.csv}\n")
    write_config(tiny_sources, text)
    result = run_collect(tiny_sources)
    assert result.customers.set_index("customer_id").loc["A", "web_email_opens"] == 3
    assert "web_phone" not in result.customers.columns  # nine-digit numbers named phone: PII


@pytest.mark.parametrize("column, values, expected, example", [
    ("age", [30, -34, 41], "column 'age': values outside the plausible range (0 to 110)",
     "b: -34"),
    ("age", [340, 30, 41], "column 'age': values outside the plausible range (0 to 110)",
     "a: 340"),
    ("income", [-50000, 10, 20], "column 'income': values outside the plausible range "
     "(at least 0)", "a: -50000"),
    ("birth_year", [1893, 1980, 1975], "column 'birth_year': values outside the plausible "
     "range (at least 1,900)", "a: 1893"),
])
def test_impossible_attribute_values_are_set_missing_with_a_ledger_line(tmp_path, column,
                                                                        values, expected,
                                                                        example):
    """A typo in a descriptive attribute is a finding, not a reason to stop the run."""
    pd.DataFrame({"customer_id": ["a", "b", "c"], column: values}).to_csv(tmp_path / "c.csv",
                                                                        index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    result = run_collect(tmp_path)
    line = result.ledger.set_index("rule").loc[expected]
    assert line["rows"] == 1 and line["action"] == "set missing"
    assert line["examples"] == example
    table = result.customers.set_index("customer_id")[column]
    assert table.isna().sum() == 1 and len(table) == 3  # nobody dropped


def test_the_customer_table_findings(tmp_path):
    pd.DataFrame({"customer_id": [f"c{i}" for i in range(12)],
                  "income": [30_000, 32_000, 35_000, 31_000, 40_000, 38_000, 36_000, 33_000,
                             34_000, None, 37_000, 66_666_666],
                  "plan": ["basic"] * 12,
                  "city": ["Hue", "Hue", "Hanoi", "Hue", "Hanoi", "Hue", "Hanoi", "Hue",
                           "Hanoi", "Hue", "Hanoi", "Hue"]}).assign(
        income=lambda t: t["income"].where(t.index != 1, 30_000)).to_csv(
        tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    ledger = run_collect(tmp_path).ledger.set_index("rule")
    far = ledger.loc["column 'income': incomes far from the others (beyond 3 interquartile "
                     "ranges on the log scale)"]
    assert far["rows"] == 1 and far["examples"] == "c11: 66,666,666"
    assert far["action"] == "kept as given"
    constant = ledger.loc["columns with the same value for every customer: plan"]
    assert constant["rows"] == 1
    missing = ledger.loc["column 'income': missing values"]
    assert missing["rows"] == 1 and missing["examples"] == "c9"
    repeated = ledger.loc["rows equal to another row in every column but the customer id"]
    assert repeated["rows"] == 1 and repeated["examples"] == "c1"  # c1 repeats c0


@pytest.mark.parametrize("stamps", [
    ["2025-01-01T10:00:00Z", "2025-01-02T23:30:00Z"],
    ["2025-01-01 10:00:00 +0700", "2025-01-03 01:00:00 +0700"],
])
def test_time_zones_are_read_as_utc(tmp_path, stamps):
    pd.DataFrame({"c": ["a", "a"], "d": stamps, "v": [1, 2]}).to_csv(tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    result = run_collect(tmp_path)
    assert result.transactions["date"].dt.tz is None
    assert result.customers.loc[0, "n_orders"] == 2


def test_zone_aware_parquet_dates(tmp_path):
    dates = pd.to_datetime(["2025-01-01 10:00", "2025-02-01 10:00"]).tz_localize("Asia/Ho_Chi_Minh")
    pd.DataFrame({"c": ["a", "b"], "d": dates, "v": [1.0, 2.0]}).to_parquet(tmp_path / "t.parquet")
    write_config(tmp_path, """
client: tz
data:
  transactions: {path: t.parquet, columns: {customer_id: c, date: d, amount: v}}
""")
    assert run_collect(tmp_path).transactions["date"].min() == pd.Timestamp("2025-01-01 03:00")


def test_a_future_date_typo_is_named(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", "2205-03-01"], "v": [1, 2]}).to_csv(
        tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    with pytest.raises(DataError, match=r"dated in the future, e.g. 2205-03-01 .*'b'.*collect.as_of"):
        run_collect(tmp_path)


def test_infinite_and_blank_amounts(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", "2025-01-02"], "v": ["1", "Infinity"]}).to_csv(
        tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    with pytest.raises(DataError, match="'Infinity'"):
        run_collect(tmp_path)
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", "2025-01-02"], "v": ["1", "   "]}).to_csv(
        tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="1 row\\(s\\) have no amount, first at data row 2"):
        run_collect(tmp_path)


def test_every_order_excluded_is_a_data_error(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-01", "2025-01-02"], "v": [-1, -2]}).to_csv(
        tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    with pytest.raises(DataError, match="every transaction was excluded"):
        run_collect(tmp_path)


def test_ids_that_do_not_match_stop_the_run(tmp_path):
    pd.DataFrame({"customer_id": ["007", "008", "009"]}).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame({"c": ["7", "8", "9"], "d": ["2025-01-01"] * 3, "v": [1, 2, 3]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, """
client: ids
data:
  customers: {path: c.csv}
  transactions: {path: t.csv, columns: {customer_id: c, date: d, amount: v}}
""")
    with pytest.raises(DataError, match=r"only 0% .* '7', '8', '9'.* '007', '008', '009'.*leading zeros"):
        run_collect(tmp_path)


def test_order_shared_by_two_customers_and_duplicates_without_order_ids(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "o": ["1", "1"], "d": ["2025-01-01"] * 2, "v": [1, 2]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, "client: o\ndata:\n  transactions:\n    path: t.csv\n"
                 "    columns: {customer_id: c, order_id: o, date: d, amount: v}\n")
    with pytest.raises(DataError, match="'o' \\(mapped to 'order_id'\\): 1 order id\\(s\\) belong to more than one customer, e.g. '1' at data rows 1, 2"):
        run_collect(tmp_path)
    pd.DataFrame({"c": ["a", "a"], "d": ["2025-01-01"] * 2, "v": [5, 5]}).to_csv(
        tmp_path / "t.csv", index=False)
    _orders_config(tmp_path)
    result = run_collect(tmp_path)
    assert result.ledger.set_index("rule").loc["exact duplicate lines", "rows"] == 1
    assert result.customers.loc[0, "n_orders"] == 1


def test_header_spaces_and_excel_named_csv(tmp_path):
    (tmp_path / "c.csv").write_text(" customer_id , age \na,30\n")
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    assert run_collect(tmp_path).customers["age"].tolist() == [30]
    pd.DataFrame({"customer_id": ["a"]}).to_excel(tmp_path / "book.xlsx", index=False)
    (tmp_path / "c.csv").write_bytes((tmp_path / "book.xlsx").read_bytes())
    with pytest.raises(DataError, match="Excel workbook .* not CSV"):
        run_collect(tmp_path)


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese software writes it: tone marks as combining characters."""
    import unicodedata

    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            out += (unicodedata.normalize("NFC", parts[:-1]) + parts[-1]).encode("cp1258")
    return out


def test_a_vietnamese_shop_export_reads_as_meant(tmp_path):
    """cp1258, semicolons, day-first dates with times and money as text, with locale vi."""
    lines = ["Mã KH;Số HĐ;Ngày mua;Thành tiền;Kênh",
             "KH01;HD1;31/01/2025 09:15;1.234.567 ₫;Cửa hàng",
             "KH01;HD2;05/02/2025 18:00;2.500.000 ₫;online",
             "KH02;HD3;01/02/2025 08:00;990.000 ₫;web"]
    (tmp_path / "don_hang.csv").write_bytes(_cp1258("\r\n".join(lines) + "\r\n"))
    write_config(tmp_path, """
client: cửa hàng
locale: vi
data:
  transactions:
    path: don_hang.csv
    columns: {customer_id: Mã KH, order_id: Số HĐ, date: Ngày mua, amount: Thành tiền,
              channel: Kênh}
""")
    before = file_hash(tmp_path / "don_hang.csv")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["KH01", "revenue"] == 3_734_567
    assert table.loc["KH02", "revenue"] == 990_000
    assert table.loc["KH01", "first_purchase"] == pd.Timestamp("2025-01-31 09:15")
    assert table.loc["KH01", "online_share"] == 0.5
    read = collect.reads_table(result).loc["transactions"]
    assert (read["encoding"], read["delimiter"], read["reader"]) == (
        "cp1258", ";", "pandas (parsed as text)")
    assert file_hash(tmp_path / "don_hang.csv") == before


def test_ids_keep_leading_zeros_on_every_reader(tmp_path):
    n = 30_000  # past DuckDB's type-sniffing sample: the zero-padded ids come last
    ids = [str(10_000 + i % 500) for i in range(n)] + ["0007", "0042"]
    pd.DataFrame({"customer_id": ids, "date": ["2025-01-01"] * len(ids),
                  "amount": ["1.5"] * len(ids)}).to_csv(tmp_path / "t.csv", index=False)
    write_config(tmp_path, "client: z\ndata:\n  transactions: {path: t.csv}\n")
    result = run_collect(tmp_path)
    assert result.reads[0]["reader"].startswith("DuckDB")
    assert {"0007", "0042"} <= set(result.customers["customer_id"])


def test_emails_as_customer_ids_become_the_same_pseudonym_in_every_source(tmp_path):
    pd.DataFrame({"Email": ["Ann@Shop.vn", "bob@shop.vn", "cy@shop.vn"], "age": [30, 40, 50],
                  "Billing Address1": ["1 Main St", "2 High St", "3 Low Rd"],
                  "Khách hàng": ["Nguyễn Văn An", "Trần Thị Bình", "Lê Cy"]}).to_csv(
        tmp_path / "c.csv", index=False)
    pd.DataFrame({"email": ["ann@shop.vn ", "bob@shop.vn", "bob@shop.vn"],
                  "d": ["2025-01-01", "2025-01-02", "2025-01-03"], "v": [1, 2, 3]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, """
client: shop
data:
  customers: {path: c.csv, columns: {customer_id: Email}}
  transactions: {path: t.csv, columns: {customer_id: email, date: d, amount: v}}
""")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    ann = "h_" + __import__("hashlib").sha256(b"ann@shop.vn").hexdigest()[:16]
    assert ann in table.index and table.loc[ann, "n_orders"] == 1
    assert not table.index.str.contains("@").any()
    assert "Billing Address1" not in table.columns and "Khách hàng" not in table.columns
    written = collect.write_outputs(result, tmp_path / "run")
    for path in written.values():
        assert b"shop.vn" not in path.read_bytes() and "Nguyễn".encode() not in path.read_bytes()
    assert result.ledger["rule"].str.contains("customer ids are email addresses").sum() == 2


def test_an_order_status_column_marks_cancellations(tmp_path):
    pd.DataFrame({"c": ["a", "a", "b"], "o": ["1", "2", "3"], "d": ["2025-01-01"] * 3,
                  "v": [10, 20, 30], "Status": ["Completed", "Cancelled", "completed"]}).to_csv(
        tmp_path / "t.csv", index=False)
    write_config(tmp_path, "client: s\ndata:\n  transactions: {path: t.csv, columns: "
                           "{customer_id: c, order_id: o, date: d, amount: v}}\n")
    result = run_collect(tmp_path)  # an unmapped Status column is kept as it is
    assert "Status" in result.transactions.columns
    assert result.customers.set_index("customer_id").loc["a", "n_orders"] == 2
    write_config(tmp_path, "client: s\ndata:\n  transactions: {path: t.csv, columns: "
                           "{customer_id: c, order_id: o, date: d, amount: v, "
                           "cancelled: Status}}\n")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", ["n_orders", "revenue", "refunds"]].tolist() == [1, 10, 0]
    line = result.ledger[result.ledger["rule"].str.contains("read as order status")]
    assert "'Cancelled' (1) mean cancelled" in line["rule"].iloc[0]
    status = result.transactions.set_index("row_no")["line_status"]
    assert status.tolist() == ["purchase", "cancelled", "purchase"]


def test_channel_labels_vietnamese_configured_and_unknown(tmp_path):
    pd.DataFrame({"c": ["a"] * 4, "d": ["2025-01-01"] * 4, "v": [1, 2, 3, 4],
                  "k": ["Tại cửa hàng", "Shopee", "Chi nhánh", "Fax"]}).to_csv(
        tmp_path / "t.csv", index=False)
    text = ("client: k\ndata:\n  transactions: {path: t.csv, columns: "
            "{customer_id: c, date: d, amount: v, channel: k}}\n")
    write_config(tmp_path, text)
    result = run_collect(tmp_path)
    row = result.customers.iloc[0]
    assert (row["store_share"], row["online_share"]) == (0.25, 0.25)
    line = result.ledger[result.ledger["rule"].str.contains("not recognised")]
    assert line["rows"].tolist() == [2] and "'chi nhánh' (1)" in line["rule"].iloc[0]
    write_config(tmp_path, text + "collect: {channels: {Chi nhánh: store, FAX: phone}}\n")
    row = run_collect(tmp_path).customers.iloc[0]
    assert (row["store_share"], row["online_share"], row["phone_share"]) == (0.5, 0.25, 0.25)


def test_trailing_blank_rows_are_skipped_with_a_ledger_line(tmp_path):
    (tmp_path / "t.csv").write_text("c,d,v\na,2025-01-01,5\n,,\n b ,2025-01-02,7\n,,\n , ,\n")
    _orders_config(tmp_path)
    with pytest.raises(DataError, match="data row 2"):  # a blank row between data rows
        run_collect(tmp_path)
    (tmp_path / "t.csv").write_text("c,d,v\na,2025-01-01,5\nb,2025-01-02,7\n,,\n , ,\n")
    result = run_collect(tmp_path)
    assert result.customers["customer_id"].tolist() == ["a", "b"]
    line = result.ledger[result.ledger["rule"].str.startswith("blank rows at the end")]
    assert line["rows"].tolist() == [2]


def test_out_of_range_values_of_test_accounts_are_not_counted(tmp_path):
    pd.DataFrame({"customer_id": ["T1", "C2", "C3"], "email": ["qa@example.com", "a@b.com",
                                                              "c@d.com"],
                  "age": [300, 40, 150]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n"
                           "collect: {test_accounts: ['*@example.com']}\n")
    result = run_collect(tmp_path)
    line = result.ledger.set_index("rule").loc[
        "column 'age': values outside the plausible range (0 to 110)"]
    assert line["rows"] == 1 and line["examples"] == "C3: 150"
    assert result.customers["customer_id"].tolist() == ["C2", "C3"]


def test_dictionary_names_each_category_and_text_columns_of_web_are_kept(tmp_path):
    pd.DataFrame({"c": ["a", "a", "b"], "d": ["2025-01-01"] * 3, "v": [1, 3, 2],
                  "k": ["Bánh", "Áo", "Bánh"]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"customer_id": ["a", "a", "b"], "sessions": [1, 3, 2],
                  "referral_source": ["social", "social", "search"],
                  "comment": ["thích", "ok", "hay"]}).to_csv(tmp_path / "w.csv", index=False)
    write_config(tmp_path, "client: k\ndata:\n  transactions: {path: t.csv, columns: "
                           "{customer_id: c, date: d, amount: v, category: k}}\n"
                           "  web: {path: w.csv}\n")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "category_share_banh"] == 0.25
    assert table.loc["a", "web_referral_source"] == "social"
    meaning = collect.data_dictionary(result.customers, result.origin, result.factors,
                                      result.categories)["meaning"]
    assert "'Bánh'" in meaning["category_share_banh"]
    assert "web_comment" not in table.columns
    assert result.ledger["rule"].str.contains("not summarised per customer: comment").any()


def test_customer_codes_keep_zeros_and_date_columns_become_dates(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"], "postcode": ["00001", "10115", "70000"],
                  "signup_date": ["2024-01-05", "2024-02-10", ""],
                  "Ngày sinh": ["45292", "45293.5", "45000"]}).to_csv(
        tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    table = run_collect(tmp_path).customers.set_index("customer_id")
    assert table["postcode"].tolist() == ["00001", "10115", "70000"]
    assert table.loc["a", "signup_date"] == pd.Timestamp("2024-01-05")
    assert pd.isna(table.loc["c", "signup_date"])
    assert table.loc["b", "Ngày sinh"] == pd.Timestamp("2024-01-02 12:00")
    units = collect.data_dictionary(table.reset_index())["unit"]
    assert units["signup_date"] == "date" and units["postcode"] == ""


def test_a_title_above_the_header_gets_a_hint(tmp_path):
    frame = pd.DataFrame([["Sales report 2024", None, None], [None, None, None],
                          ["Customer", "Age", "City"], ["a", 30, "Hue"]])
    frame.to_excel(tmp_path / "c.xlsx", index=False, header=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.xlsx, columns: "
                           "{customer_id: Customer}}\n")
    with pytest.raises(DataError, match="header is probably not on the first row"):
        run_collect(tmp_path)


def test_ledger_reads_in_the_runs_language(tiny_sources):
    text = (tiny_sources / "config.yaml").read_text() + "locale: vi\n"
    write_config(tiny_sources, text)
    ledger = run_collect(tiny_sources).ledger.set_index("rule")
    assert ledger.loc["dòng trùng lặp hoàn toàn", "rows"] == 1
    assert ledger.loc["dòng trùng lặp hoàn toàn", "action"] == "đã bỏ (giữ bản đầu tiên)"
    assert ledger.loc["không có mã khách hàng", "revenue"] == 7
    pii = [r for r in ledger.index if r.startswith("cột dữ liệu cá nhân: ")]
    assert pii and "Full Name" in pii[0]
    # no English rule is left: every rule and action is a catalogue text in Vietnamese
    english = {i18n.t(k, "en") for k in i18n.CATALOGUE if k.startswith("ledger.")
               and not i18n.placeholders(i18n.t(k, "en"))}
    assert not english & (set(ledger.index) | set(ledger["action"]))


def test_ledger_status_rules_are_the_catalogues_english():
    for status, rule, action in rfm.STATUS_RULES:
        shown_rule, shown_action = collect.status_rule(status)
        assert (str(shown_rule), str(shown_action)) == (rule, action)
        assert shown_rule.render("vi") != rule and shown_action.render("vi") != action


def test_customers_whose_only_lines_are_excluded_are_kept_with_a_ledger_line(tmp_path):
    """CDNOW has customers whose only rows are $0: they stay, with 0 orders, and are counted."""
    pd.DataFrame({"c": ["A", "A", "Z", "Z", "F"],
                  "d": ["2025-01-02", "2025-01-05", "2025-01-03", "2025-01-04", "2025-03-01"],
                  "v": [10, 20, 0, 0, 5]}).to_csv(tmp_path / "o.csv", index=False)
    write_config(tmp_path, """
client: zero
collect: {as_of: "2025-02-01"}
data:
  transactions: {path: o.csv, columns: {customer_id: c, date: d, amount: v}}
""")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert sorted(table.index) == ["A", "F", "Z"]  # nobody vanished
    assert table.loc["Z", "n_orders"] == 0 and table.loc["Z", "revenue"] == 0
    assert table.loc["F", "n_orders"] == 0  # only a line after the end of observation
    assert table.loc["A", "n_orders"] == 2
    line = result.ledger.set_index("rule").loc[
        "customers with no purchase line (only zero-price, duplicate or future lines)"]
    assert line["rows"] == 2 and line["examples"] == "F, Z"
    assert line["action"] == "kept as customers with 0 orders"


def test_columns_are_matched_ignoring_case_spaces_and_underscores(tmp_path):
    pd.DataFrame({"ID": ["a", "b"], "Income": [10, 20], "Marital_Status": ["x", "y"],
                  "City": ["H", "S"], "CITY": ["H", "S"]}).to_csv(tmp_path / "c.csv",
                                                                  index=False)
    # the mapping's "id" is the file's "ID"; "City" and "CITY" both match: no guess
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv, columns: "
                           "{customer_id: id}}\n")
    table = run_collect(tmp_path).customers
    assert {"income", "marital_status"} <= set(table.columns)
    assert "Income" not in table.columns and "city" not in table.columns
    assert table["income"].tolist() == [10.0, 20.0]


def test_a_list_of_columns_is_summed_only_for_revenue_and_orders(tmp_path):
    from seglib.errors import ConfigError

    pd.DataFrame({"c": ["a"], "d": ["2025-01-01"], "v": [1]}).to_csv(tmp_path / "t.csv",
                                                                     index=False)
    write_config(tmp_path, "client: x\ndata:\n  transactions: {path: t.csv, columns: "
                           "{customer_id: c, date: d, amount: [v, v]}}\n")
    with pytest.raises(ConfigError, match="data.transactions.columns.amount: a list of "
                                          "columns is summed only for revenue and n_orders"):
        load_config(tmp_path / "config.yaml")


def test_summed_spend_and_orders_give_shares_and_unknown_channels_a_ledger_line(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c"], "SpendFood": [30, 0, 5], "SpendToys": [10, 0, 5],
                  "OrdersWeb": [1, 0, 2], "OrdersShop": [3, 0, 0], "OrdersKiosk": [0, 0, 2],
                  "LastBuy": ["2025-01-10", "2024-12-01", "2025-01-30"],
                  "Born": [1980, 1990, 2000]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, """
client: x
data:
  customers:
    path: c.csv
    columns:
      customer_id: id
      birth_year: Born
      last_purchase: LastBuy
      revenue: [SpendFood, SpendToys]
      n_orders: [OrdersWeb, OrdersShop, OrdersKiosk]
""")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table["revenue"].tolist() == [40.0, 0.0, 10.0]
    assert table["n_orders"].tolist() == [4, 0, 4]
    assert table.loc["a", "category_share_food"] == 0.75
    assert pd.isna(table.loc["b", "category_share_food"])  # nothing spent: no share
    assert table.loc["a", "online_share"] == 0.25 and table.loc["a", "store_share"] == 0.75
    assert table.loc["c", "avg_order_value"] == 2.5
    # the end of observation is the day after the latest purchase, 2025-01-30
    assert table["recency_days"].tolist() == [21.0, 61.0, 1.0]
    assert table["age"].tolist() == [45.0, 35.0, 25.0]
    assert result.as_of == pd.Timestamp("2025-01-31")
    assert result.categories == {"Food": "category_share_food", "Toys": "category_share_toys"}
    kiosk = result.ledger.set_index("rule").loc["order counts of no known channel: OrdersKiosk"]
    assert kiosk["rows"] == 2


def test_ids_that_are_sometimes_an_email_or_a_phone_are_pseudonymised_everywhere(tmp_path):
    """One id in six is the customer's email: it must not reach any output."""
    from seglib.pii import pseudonym

    ids = ["C1", "ann@example.com", "C3", "C4", "+84 90 123 4567", "C6"]
    pd.DataFrame({"id": ids, "age": [30, 40, 50, 60, 35, 45]}).to_csv(tmp_path / "c.csv",
                                                                     index=False)
    pd.DataFrame({"c": ids + ids, "d": ["2025-01-02"] * 6 + ["2025-01-09"] * 6,
                  "v": [10.0] * 12}).to_csv(tmp_path / "o.csv", index=False)
    write_config(tmp_path, """
client: mixed
data:
  customers: {path: c.csv, columns: {customer_id: id}}
  transactions: {path: o.csv, columns: {customer_id: c, date: d, amount: v}}
""")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    email, phone = (pseudonym(pd.Series([x])).iloc[0] for x in (ids[1], ids[4]))
    assert set(table.index) == {"C1", "C3", "C4", "C6", email, phone}
    assert table.loc[email, "n_orders"] == 2 and table.loc[phone, "age"] == 35  # joined
    assert not result.customers["customer_id"].str.contains("@|\\+84").any()
    lines = result.transactions
    assert not lines["customer_id"].astype(str).str.contains("@|\\+84").any()
    ledger = result.ledger.set_index(["source", "rule"])
    rule = "customer ids that are an email address or a phone number (some of the ids)"
    assert ledger.loc[("customers", rule), "rows"] == 2
    assert ledger.loc[("transactions", rule), "rows"] == 4
    assert "@" not in result.ledger.to_csv()


def test_a_no_end_date_in_the_customers_is_missing_with_a_ledger_line(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"],
                  "signup_date": ["2020-01-01", "9999-12-31", "2999-01-01"]}).to_csv(
        tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    result = run_collect(tmp_path)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "signup_date"] == pd.Timestamp("2020-01-01")
    assert table[["signup_date"]].isna().sum().iloc[0] == 2
    line = result.ledger.set_index("rule").loc[
        "column 'signup_date': dates before 1678 or after 2261 (a 'no end' such as 9999-12-31)"]
    assert line["rows"] == 2 and line["examples"] == "9999-12-31, 2999-01-01"


def test_a_no_end_date_on_an_order_is_an_error_naming_the_row(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-02", "9999-12-31"], "v": [1, 2]}).to_csv(
        tmp_path / "o.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  transactions: {path: o.csv, columns: "
                           "{customer_id: c, date: d, amount: v}}\n")
    with pytest.raises(DataError, match=r"o.csv\): column 'd' \(mapped to 'date'\).*9999-12-31"
                                        r".*data row 2"):
        run_collect(tmp_path)


def test_orders_dated_1900_are_a_placeholder_and_stop_the_run_naming_the_row(tmp_path):
    pd.DataFrame({"c": ["a", "b", "c"], "d": ["2025-01-02", "1900-01-01", "2025-01-05"],
                  "v": [1, 2, 3]}).to_csv(tmp_path / "o.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  transactions: {path: o.csv, columns: "
                           "{customer_id: c, date: d, amount: v}}\n")
    with pytest.raises(DataError, match=r"column 'd' \(mapped to 'date'\): 1 order\(s\) are "
                                        r"dated before 1970, e.g. 1900-01-01 at data row 2 for "
                                        r"customer 'b'.*45,661 days old"):
        run_collect(tmp_path)


def test_an_all_blank_column_gets_its_own_ledger_line(tmp_path):
    pd.DataFrame({"customer_id": ["a", "b", "c"], "income": [None, None, None],
                  "age": [30, 40, 50]}).to_csv(tmp_path / "c.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    ledger = run_collect(tmp_path).ledger.set_index("rule")
    line = ledger.loc["columns with no value at all (formulas saved without their values?): "
                      "income"]
    assert line["rows"] == 1
    assert not any(r.startswith("column 'income': missing") for r in ledger.index)


def test_a_gz_file_that_is_not_compressed_gets_a_ledger_line(tmp_path):
    (tmp_path / "c.csv.gz").write_text("customer_id,age\na,30\nb,40\n")
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv.gz}\n")
    result = run_collect(tmp_path)
    assert len(result.customers) == 2
    line = result.ledger.set_index("rule").loc["c.csv.gz ends in .gz but is not compressed"]
    assert line["action"] == "read as plain text" and line["rows"] == 2


def test_an_amount_of_1e308_is_an_error_naming_the_row(tmp_path):
    pd.DataFrame({"c": ["a", "b"], "d": ["2025-01-02", "2025-01-03"],
                  "v": ["2", "1e308"]}).to_csv(tmp_path / "o.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  transactions: {path: o.csv, columns: "
                           "{customer_id: c, date: d, amount: v}}\n")
    with pytest.raises(DataError, match=r"column 'v' \(mapped to 'amount'\): 1 row\(s\) have "
                                        r"an amount of 1,000,000,000,000 or more, first at "
                                        r"data row 2; correct the value"):
        run_collect(tmp_path)


@pytest.mark.parametrize("typed", [True, False])
def test_a_category_that_is_an_email_never_becomes_a_column(tmp_path, typed):
    """Read by DuckDB (plain CSV) or by pandas (a date written day first)."""
    dates = (["2025-01-02", "2025-01-03", "2025-01-04"] if typed else
             ["02/01/2025", "03/01/2025", "31/01/2025"])
    pd.DataFrame({"c": ["a", "b", "a"], "d": dates, "v": [1, 2, 3],
                  "k": ["Food", "bob@example.com", "Toys"]}).to_csv(tmp_path / "o.csv",
                                                                     index=False)
    write_config(tmp_path, "client: x\ndata:\n  transactions: {path: o.csv, dayfirst: true, "
                           "columns: {customer_id: c, date: d, amount: v, category: k}}\n")
    result = run_collect(tmp_path)
    assert not any("example" in c for c in result.customers.columns)
    assert {"category_share_food", "category_share_toys"} <= set(result.customers.columns)
    assert "@" not in result.customers.to_csv() and "@" not in result.ledger.to_csv()
    assert not result.transactions["category"].astype(str).str.contains("@").any()
    line = result.ledger.set_index("rule").loc[
        "column 'k' (mapped to 'category'): categories that are an email address or a phone "
        "number"]
    assert line["rows"] == 1


def test_notes_addresses_and_columns_with_some_emails_never_reach_the_outputs(tmp_path):
    """Planted personal data: a note, an address column named c7, an email in `product`."""
    n = 30
    pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)],
                  "age": list(range(20, 20 + n)),
                  "note": [f"Called on {i} May, prefers Mrs Lan at home {i}" for i in range(n)],
                  "c7": [f"{i} Nguyen Trai street, District {i % 5}, Hanoi" for i in range(n)],
                  "plan": ["basic", "gold"] * (n // 2)}).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame({"c": [f"C{i}" for i in range(n)], "d": ["2025-01-02"] * n, "v": [5.0] * n,
                  "product": ["Lamp"] * (n - 1) + ["ann@example.com"]}).to_csv(
        tmp_path / "o.csv", index=False)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n"
                           "  transactions: {path: o.csv, columns: {customer_id: c, date: d, "
                           "amount: v}}\n")
    result = run_collect(tmp_path)
    assert {"note", "c7"}.isdisjoint(result.customers.columns)
    assert {"age", "plan"} <= set(result.customers.columns)  # labels and numbers stay
    assert "product" not in result.transactions.columns
    assert "@" not in result.transactions.to_csv() and "Nguyen Trai" not in \
        result.customers.to_csv()
    rules = " | ".join(result.ledger["rule"])
    assert "personal data columns: note, c7" in rules and "personal data columns: product" in \
        rules
