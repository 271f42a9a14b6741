from pathlib import Path

import pandas as pd
import pytest

from conftest import file_hash, write_config
from seglib import collect
from seglib.config import load_config
from seglib.errors import DataError


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
    assert table.loc["B", "revenue"] == 150
    assert table.loc["B", "avg_order_value"] == 75
    assert table.loc["B", "recency_days"] == 11
    assert table.loc["B", "phone_share"] == 0.5
    assert table.loc["C", "n_orders"] == 0
    assert table.loc["C", "revenue"] == 0
    assert pd.isna(table.loc["C", "recency_days"])
    assert list(result.customers["customer_id"]) == ["A", "B", "C"]


def test_ledger_records_every_exclusion(tiny_sources):
    ledger = run_collect(tiny_sources).ledger.set_index("rule")
    assert ledger.loc["exact duplicate rows", "rows"] == 1
    assert ledger.loc["negative amounts (cancellations, refunds)", "rows"] == 1
    assert ledger.loc["negative amounts (cancellations, refunds)", "revenue"] == -20
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
                         ["'d'", "row 2", "31/31/2024", "not dates"]),
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
    (b"\n\n", "no columns"),
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


def test_non_utf8_file_asks_for_an_encoding(tmp_path):
    (tmp_path / "c.csv").write_bytes("customer_id,city\n1,Zürich\n".encode("cp1252"))
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv}\n")
    with pytest.raises(DataError, match="encoding"):
        run_collect(tmp_path)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.csv, encoding: cp1252}\n")
    assert run_collect(tmp_path).customers["city"].iloc[0] == "Zürich"


def test_binary_garbage_is_a_data_error(tmp_path):
    (tmp_path / "c.parquet").write_bytes(bytes(range(256)) * 4)
    write_config(tmp_path, "client: x\ndata:\n  customers: {path: c.parquet}\n")
    with pytest.raises(DataError, match="cannot be read"):
        run_collect(tmp_path)


def test_write_and_read_back(tiny_sources, tmp_path):
    result = run_collect(tiny_sources)
    run_dir = tmp_path / "run"
    collect.write_outputs(result, run_dir)
    customers, meta = collect.read_collected(run_dir)
    assert meta["as_of"] == "2025-01-31"
    pd.testing.assert_frame_equal(customers, result.customers)
    assert (run_dir / "data_quality.csv").is_file()


def test_read_collected_without_stage_one_says_what_to_run(tmp_path):
    with pytest.raises(DataError, match="run 01_collect first"):
        collect.read_collected(tmp_path)
