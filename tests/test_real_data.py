"""The real public datasets in ../shared/data, read through the normal config path.

Every dataset is described in the README.md next to it. Each is loaded the way a
client's file is: a YAML config (written into a temporary folder) points at the real
file by its absolute path, and :func:`seglib.collect.collect` reads it. The files are
never copied or modified: their sha256 is checked after every run.

The expected numbers are computed here INDEPENDENTLY of seglib, with plain pandas
on the raw CSV text (see :func:`expected_lines`), following the rules documented in
seglib.rfm: a line takes the first status that applies, in the order
duplicate > future > test_account > zero_price > no_customer > refund > returned >
purchase; a customer's revenue is purchases minus refunds, but refunds beyond the
customer's purchases are not netted (revenue is floored at 0). The same numbers are
also written out by hand (``RETAIL2_*``), as computed once on these files, so that a
change of the data file itself is caught too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import file_hash, write_config
from seglib.collect import collect
from seglib.config import load_config
from seglib.rfm import STATUS_RULES

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: Reading real files end to end: slow, and never skipped (a missing file fails).
pytestmark = pytest.mark.slow

RETAIL2 = DATA / "online_retail" / "online_retail_II_2009_2010.csv.gz"
RETAIL = DATA / "online_retail" / "online_retail.csv.gz"
PERSONALITY = DATA / "customer_personality" / "marketing_campaign.csv"
WHOLESALE = DATA / "wholesale_customers" / "Wholesale customers data.csv"

#: Online Retail II, sheet 2009-2010, computed once with expected_lines() below
#: (pandas 3, the CSV read as text; statuses with seglib's documented priority).
#: The raw counts agree with the dataset's README.
RETAIL2_ROWS = 525_461
RETAIL2_C_INVOICES = 4_592           # distinct invoices starting with "C"
RETAIL2_C_LINES = 10_206             # their lines (README: 10,206)
RETAIL2_NO_ID_RAW = 107_927          # lines without Customer ID (README: 107,927)
RETAIL2_DUPLICATES_RAW = 6_865       # all 8 columns equal, first copy kept (README: 6,865)
RETAIL2_PRICE_LE0_RAW = 3_690        # Price <= 0 (README: 3,687 zero + 3 negative)
RETAIL2_STATUS = {                   # after the priority rule
    "duplicate": 6_865,
    "zero_price": 3_684,             # 3,690 minus 6 that are duplicates
    "no_customer": 104_180,          # 107,927 minus those already duplicate / zero price
    "refund": 9_816,                 # C invoices, negative quantities, with a customer
    "purchase": 400_916,
}
RETAIL2_CUSTOMERS = 4_383            # customers with any line: 4,381 with a purchase or a
                                     # refund, 2 with only zero-price or duplicate lines
RETAIL2_BUYERS = 4_312               # customers with at least one kept purchase
RETAIL2_GROSS = 8_798_233.744        # sum of Quantity * Price over purchase lines
RETAIL2_REFUNDS = 483_378.16         # sum of |Quantity * Price| over refund lines
RETAIL2_NET = 8_409_496.074          # sum over customers of gross - min(refunds, gross)
RETAIL2_REFUNDS_BEYOND = 89          # customers whose refunds exceed their purchases
#: Customer 13085 (the first line of the file): 6 purchase invoices, one cancellation
#: (C527339, 830.12), purchases from 2009-12-01 07:45 to 2010-01-29 11:42.
C13085 = {"n_orders": 6, "gross_revenue": 2017.20, "refunds": 830.12, "revenue": 1187.08,
          "first_purchase": pd.Timestamp("2009-12-01 07:45:00"),
          "last_purchase": pd.Timestamp("2010-01-29 11:42:00")}

STATUS_RULE = {status: rule for status, rule, _ in STATUS_RULES}

RETAIL2_COLUMNS = {"customer_id": "Customer ID", "order_id": "Invoice", "date": "InvoiceDate",
                   "quantity": "Quantity", "unit_price": "Price"}
RETAIL_COLUMNS = {"customer_id": "CustomerID", "order_id": "InvoiceNo", "date": "InvoiceDate",
                  "quantity": "Quantity", "unit_price": "UnitPrice"}


def _need(path: Path) -> None:
    """Fail (never skip) when a real dataset is missing: CI must not pass without it."""
    if not path.is_file():
        pytest.fail(f"real dataset not found: {path}. These tests read the public datasets "
                    "of ../shared/data, beside the checkout (see the README, Tests).")


def _yaml_columns(columns: dict[str, str]) -> str:
    return ", ".join(f'{k}: "{v}"' for k, v in columns.items())


def _collect(folder: Path, config_text: str, data_file: Path):
    """Collect through a config file; check that the real file is left untouched."""
    before = file_hash(data_file)
    config = write_config(folder, config_text)
    collected = collect(load_config(config))
    assert file_hash(data_file) == before, f"{data_file} was modified"
    return collected


# --------------------------------------------------------------------------- expectations


def expected_lines(path: Path, columns: dict[str, str]) -> dict:
    """Statuses and customer figures of a transactions file, with plain pandas.

    Independent of seglib: the CSV is read as text, and the rules are applied in
    seglib's documented priority (no as_of, no test accounts, so no line is
    ``future`` or ``test_account``; no returned flag, so none is ``returned``).
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    invoice = raw[columns["order_id"]]
    customer = raw[columns["customer_id"]]
    quantity = raw[columns["quantity"]].astype(float)
    price = raw[columns["unit_price"]].astype(float)
    amount = quantity * price
    cancelled = invoice.str.upper().str.startswith("C")

    duplicate = raw.duplicated(keep="first")  # all columns equal, the first copy kept
    zero_price = ~duplicate & ((price <= 0) | (amount == 0))
    no_customer = ~duplicate & ~zero_price & customer.isna()
    refund = ~duplicate & ~zero_price & ~no_customer & (cancelled | (quantity < 0) | (amount < 0))
    purchase = ~duplicate & ~zero_price & ~no_customer & ~refund
    status = pd.Series("purchase", index=raw.index, dtype=object)
    for name, mask in [("refund", refund), ("no_customer", no_customer),
                       ("zero_price", zero_price), ("duplicate", duplicate)]:
        status[mask] = name

    lines = pd.DataFrame({"customer": customer, "invoice": invoice, "amount": amount,
                          "date": pd.to_datetime(raw[columns["date"]])})
    bought = lines[purchase]
    gross = bought.groupby("customer")["amount"].sum()
    refunds = lines[refund].groupby("customer")["amount"].sum().abs()
    # every customer with a line (those whose lines are all zero-price or duplicates are
    # kept with 0 orders, so that nobody vanishes from the customer table)
    everyone = gross.index.union(refunds.index).union(pd.Index(customer.dropna().unique()))
    gross_all = gross.reindex(everyone, fill_value=0.0)
    refunds_all = refunds.reindex(everyone, fill_value=0.0)
    net = gross_all - np.minimum(refunds_all, gross_all)
    return {
        "rows": len(raw),
        "status": status.to_numpy(),
        "status_counts": status.value_counts().to_dict(),
        "c_invoices": invoice[cancelled].nunique(),
        "c_lines": int(cancelled.sum()),
        "no_id_raw": int(customer.isna().sum()),
        "duplicates_raw": int(duplicate.sum()),
        "price_le0_raw": int((price <= 0).sum()),
        "customers": len(everyone),
        "buyers": len(gross),
        "gross": float(gross_all.sum()),
        "refunds": float(refunds_all.sum()),
        "net": float(net.sum()),
        "refunds_beyond": int((refunds_all > gross_all).sum()),
        "n_orders": bought.groupby("customer")["invoice"].nunique(),
        "gross_by_customer": gross_all,
        "refunds_by_customer": refunds_all,
        "net_by_customer": net,
        "first": bought.groupby("customer")["date"].min(),
        "last": bought.groupby("customer")["date"].max(),
    }


# --------------------------------------------------------------------------- Online Retail II


@pytest.fixture(scope="module")
def retail2(tmp_path_factory):
    _need(RETAIL2)
    folder = tmp_path_factory.mktemp("retail2")
    return _collect(folder, f"""
client: online-retail-ii
data:
  transactions:
    path: "{RETAIL2}"
    columns: {{{_yaml_columns(RETAIL2_COLUMNS)}}}
collect: {{cancelled_orders: "C*"}}
""", RETAIL2)


@pytest.fixture(scope="module")
def retail2_expected():
    _need(RETAIL2)
    return expected_lines(RETAIL2, RETAIL2_COLUMNS)


@pytest.fixture(scope="module")
def retail2_lines(retail2):
    return retail2.transactions.sort_values("row_no").reset_index(drop=True)


def _ledger_rows(collected, status: str) -> int:
    ledger = collected.ledger
    rows = ledger.loc[(ledger["source"] == "transactions")
                      & (ledger["rule"] == STATUS_RULE[status]), "rows"]
    return int(rows.sum())


def test_retail2_independent_numbers_match_the_hand_computed_ones(retail2_expected):
    exp = retail2_expected
    assert exp["rows"] == RETAIL2_ROWS
    assert exp["c_invoices"] == RETAIL2_C_INVOICES
    assert exp["c_lines"] == RETAIL2_C_LINES
    assert exp["no_id_raw"] == RETAIL2_NO_ID_RAW
    assert exp["duplicates_raw"] == RETAIL2_DUPLICATES_RAW
    assert exp["price_le0_raw"] == RETAIL2_PRICE_LE0_RAW
    assert exp["status_counts"] == RETAIL2_STATUS
    assert exp["customers"] == RETAIL2_CUSTOMERS
    assert exp["buyers"] == RETAIL2_BUYERS
    assert exp["gross"] == pytest.approx(RETAIL2_GROSS, abs=0.01)
    assert exp["refunds"] == pytest.approx(RETAIL2_REFUNDS, abs=0.01)
    assert exp["net"] == pytest.approx(RETAIL2_NET, abs=0.01)
    assert exp["refunds_beyond"] == RETAIL2_REFUNDS_BEYOND


def test_retail2_rows_read(retail2, retail2_lines):
    ledger = retail2.ledger
    read = ledger.loc[(ledger["source"] == "transactions") & (ledger["rule"] == "rows read"),
                      "rows"]
    assert read.tolist() == [RETAIL2_ROWS]
    assert len(retail2_lines) == RETAIL2_ROWS
    assert retail2_lines["row_no"].tolist() == list(range(1, RETAIL2_ROWS + 1))
    [entry] = [r for r in retail2.reads if r["source"] == "transactions"]
    assert entry["rows"] == RETAIL2_ROWS


def test_retail2_every_line_has_the_independently_computed_status(retail2_lines,
                                                                    retail2_expected):
    got = retail2_lines["line_status"].astype(str).to_numpy()
    differ = np.flatnonzero(got != retail2_expected["status"])
    assert differ.size == 0, (
        f"{differ.size} lines differ, first at data row {differ[:5] + 1}: "
        f"{got[differ[:5]]} vs expected {retail2_expected['status'][differ[:5]]}")


def test_retail2_status_counts_and_ledger(retail2, retail2_lines):
    counts = retail2_lines["line_status"].value_counts().to_dict()
    assert counts == RETAIL2_STATUS
    for status, rows in RETAIL2_STATUS.items():
        assert _ledger_rows(retail2, status) == rows, status
    # the per-status ledger lines account for every line read, once
    status_rules = retail2.ledger[retail2.ledger["rule"].isin(STATUS_RULE.values())]
    assert int(status_rules["rows"].sum()) == RETAIL2_ROWS


def test_retail2_cancelled_invoices(retail2, retail2_lines):
    ids = retail2_lines["order_id"].astype(str)
    cancelled = ids.str.startswith("C")
    assert ids[cancelled].nunique() == RETAIL2_C_INVOICES
    assert int(cancelled.sum()) == RETAIL2_C_LINES
    # a cancellation line is never a purchase: it is a refund unless an earlier rule took it
    assert set(retail2_lines.loc[cancelled, "line_status"]) <= {"refund", "duplicate", "zero_price",
                                                           "no_customer"}
    assert _ledger_rows(retail2, "refund") == RETAIL2_STATUS["refund"]
    refunds = retail2_lines[retail2_lines["line_status"] == "refund"]
    assert (refunds["order_id"].astype(str).str.startswith("C")
            | (refunds["quantity"] < 0)).all()


def test_retail2_duplicates_no_customer_and_zero_price(retail2_lines):
    status = retail2_lines["line_status"]
    assert int((status == "duplicate").sum()) == RETAIL2_DUPLICATES_RAW
    assert int(retail2_lines["customer_id"].isna().sum()) == RETAIL2_NO_ID_RAW
    assert int((status == "no_customer").sum()) == RETAIL2_STATUS["no_customer"]
    assert int((retail2_lines["unit_price"] <= 0).sum()) == RETAIL2_PRICE_LE0_RAW
    assert int((status == "zero_price").sum()) == RETAIL2_STATUS["zero_price"]


def test_retail2_customer_table(retail2, retail2_expected):
    customers = retail2.customers
    assert len(customers) == RETAIL2_CUSTOMERS
    assert customers["customer_id"].is_unique
    assert int((customers["n_orders"] > 0).sum()) == RETAIL2_BUYERS
    assert customers["gross_revenue"].sum() == pytest.approx(RETAIL2_GROSS, abs=0.01)
    assert customers["refunds"].sum() == pytest.approx(RETAIL2_REFUNDS, abs=0.01)
    # purchases minus refunds, refunds beyond a customer's purchases not netted
    assert customers["revenue"].sum() == pytest.approx(RETAIL2_NET, abs=0.01)
    assert (customers["revenue"] >= 0).all()
    indexed = customers.set_index(customers["customer_id"].astype(str))
    exp = retail2_expected
    assert set(indexed.index) == set(exp["net_by_customer"].index)
    for column, expected in [("revenue", exp["net_by_customer"]),
                             ("gross_revenue", exp["gross_by_customer"]),
                             ("refunds", exp["refunds_by_customer"])]:
        got = indexed[column].reindex(expected.index)
        np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), atol=0.005,
                                   err_msg=column)
    n_orders = exp["n_orders"].reindex(indexed.index, fill_value=0)
    assert (indexed["n_orders"].astype(int) == n_orders).all()
    beyond = retail2.ledger[retail2.ledger["rule"].str.startswith("refunds larger")]
    assert beyond["rows"].tolist() == [RETAIL2_REFUNDS_BEYOND]


def test_retail2_one_customer_by_hand(retail2, retail2_expected):
    row = retail2.customers.set_index(retail2.customers["customer_id"].astype(str)).loc["13085"]
    assert row["n_orders"] == C13085["n_orders"]
    assert row["gross_revenue"] == pytest.approx(C13085["gross_revenue"], abs=0.005)
    assert row["refunds"] == pytest.approx(C13085["refunds"], abs=0.005)
    assert row["revenue"] == pytest.approx(C13085["revenue"], abs=0.005)
    assert pd.Timestamp(row["first_purchase"]) == C13085["first_purchase"]
    assert pd.Timestamp(row["last_purchase"]) == C13085["last_purchase"]
    exp = retail2_expected
    assert exp["n_orders"]["13085"] == C13085["n_orders"]
    assert exp["gross_by_customer"]["13085"] == pytest.approx(C13085["gross_revenue"])
    assert exp["first"]["13085"] == C13085["first_purchase"]
    assert exp["last"]["13085"] == C13085["last_purchase"]


# --------------------------------------------------------------------------- Online Retail


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    _need(RETAIL)
    folder = tmp_path_factory.mktemp("retail")
    return _collect(folder, f"""
client: online-retail
data:
  transactions:
    path: "{RETAIL}"
    columns: {{{_yaml_columns(RETAIL_COLUMNS)}}}
collect: {{cancelled_orders: "C*"}}
""", RETAIL)


def test_online_retail_rows_and_customers(retail):
    exp = expected_lines(RETAIL, RETAIL_COLUMNS)
    assert exp["rows"] == 541_909  # README: 541,909 rows, 135,080 without CustomerID
    assert exp["no_id_raw"] == 135_080
    ledger = retail.ledger
    assert ledger.loc[ledger["rule"] == "rows read", "rows"].tolist() == [541_909]
    lines = retail.transactions.sort_values("row_no")
    assert (lines["line_status"].astype(str).to_numpy() == exp["status"]).all()
    customers = retail.customers
    assert len(customers) == exp["customers"]
    assert int((customers["n_orders"] > 0).sum()) == exp["buyers"]
    assert customers["revenue"].sum() == pytest.approx(exp["net"], abs=0.01)
    # README: 4,372 distinct CustomerIDs in the raw file; every one is in the table
    assert len(customers) == 4_372


# --------------------------------------------------------------------------- Customer Personality


@pytest.fixture(scope="module")
def personality(tmp_path_factory):
    _need(PERSONALITY)
    folder = tmp_path_factory.mktemp("personality")
    # no `sep`: the tab delimiter must be detected
    return _collect(folder, f"""
client: customer-personality
data:
  customers:
    path: "{PERSONALITY}"
    columns: {{customer_id: ID}}
""", PERSONALITY)


def test_customer_personality(personality):
    raw = pd.read_csv(PERSONALITY, sep="\t")
    customers = personality.customers
    assert len(raw) == 2_240
    assert len(customers) == 2_240  # no row dropped
    assert sorted(customers["customer_id"].astype(str)) == sorted(raw["ID"].astype(str))
    ledger = personality.ledger
    assert ledger.loc[(ledger["source"] == "customers") & (ledger["rule"] == "rows read"),
                      "rows"].tolist() == [2_240]
    # "Income" is matched to the canonical income without a mapping (case is ignored);
    # missing for 24 customers: NaN, kept, and a ledger line says so
    assert "Income" not in customers.columns
    assert pd.api.types.is_float_dtype(customers["income"])
    assert int(customers["income"].isna().sum()) == 24
    by_id = customers.set_index(customers["customer_id"].astype(str))
    income = raw.set_index(raw["ID"].astype(str))["Income"]
    np.testing.assert_array_equal(by_id["income"].reindex(income.index).to_numpy(float),
                                  income.to_numpy(float))
    assert by_id["MntWines"].sum() == raw["MntWines"].sum()


def test_customer_personality_dates_not_misread(personality):
    raw = pd.read_csv(PERSONALITY, sep="\t", dtype=str).set_index("ID")["Dt_Customer"]
    got = personality.customers.set_index(
        personality.customers["customer_id"].astype(str))["Dt_Customer"].reindex(raw.index)
    if pd.api.types.is_datetime64_any_dtype(got):  # parsed: must be day first (04-09-2012)
        expected = pd.to_datetime(raw, format="%d-%m-%Y")
        assert (got.to_numpy() == expected.to_numpy()).all()
    else:  # kept as the client wrote it
        assert got.astype(str).tolist() == raw.tolist()


def test_customer_personality_detected_delimiter_is_reported(personality):
    [read] = [r for r in personality.reads if r["source"] == "customers"]
    assert read.get("delimiter") == "\t", read
    assert "delimiter" in read.get("detected", []), read
    assert read.get("rows") == 2_240


# --------------------------------------------------------------------------- Wholesale customers


@pytest.fixture(scope="module")
def wholesale(tmp_path_factory):
    _need(WHOLESALE)
    folder = tmp_path_factory.mktemp("wholesale")
    return _collect(folder, f"""
client: wholesale
data:
  customers:
    path: "{WHOLESALE}"
    id_from_row: true
""", WHOLESALE)


def test_wholesale_ids_from_rows(wholesale):
    raw = pd.read_csv(WHOLESALE)
    customers = wholesale.customers
    assert len(customers) == 440
    assert sorted(customers["customer_id"].astype(str), key=int) == [
        str(i) for i in range(1, 441)]
    by_id = customers.set_index(customers["customer_id"].astype(int)).sort_index()
    spend = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    for column in spend:
        assert pd.api.types.is_numeric_dtype(by_id[column]), column
        assert by_id[column].sum() == raw[column].sum(), column
        # id i is the i-th data row of the file
        assert by_id[column].tolist() == raw[column].astype(float).tolist(), column
    assert by_id.loc[1, "Fresh"] == 12_669


# --------------------------------------------------------------------------- the whole workbook


def test_workbook_cli_on_online_retail_ii(tmp_path):
    """The six stages on 525k real lines: exit 0 and the report (takes about 40 s)."""
    from seglib.cli import main

    _need(RETAIL2)
    before = file_hash(RETAIL2)
    config = write_config(tmp_path, f"""
client: online-retail-ii
data:
  transactions:
    path: "{RETAIL2}"
    columns: {{{_yaml_columns(RETAIL2_COLUMNS)}}}
collect: {{cancelled_orders: "C*"}}
""")
    out = tmp_path / "run"
    code = main(["run", str(config), "--out", str(out)])
    assert code == 0
    for name in ("customers.parquet", "data_quality.csv", "report.html"):
        assert (out / name).is_file(), name
    assert file_hash(RETAIL2) == before
    customers = pd.read_parquet(out / "customers.parquet")
    assert len(customers) == RETAIL2_CUSTOMERS
    quality = pd.read_csv(out / "data_quality.csv")
    assert int(quality.loc[quality["rule"] == "rows read", "rows"].sum()) == RETAIL2_ROWS


# --------------------------------------------------------------------------- segmentation


def _segment(collected, **config):
    from seglib import segment
    from seglib.config import SegmentationConfig

    params = SegmentationConfig.model_validate(config)
    meta = {"columns": collected.origin, "source_names": collected.source_names}
    return segment.segment_customers(collected.customers,
                                     **segment.stage_arguments(params, meta), random_state=42)


def _every_segment_above_the_minimum_share(result, min_share=0.05):
    counts = result.segments.loc[result.segments["segment"] != 0, "segment"].value_counts()
    assert len(counts) == result.model.n_segments >= 2
    assert (counts / counts.sum() >= min_share).all(), counts.to_dict()
    assert result.recommendation is not None and result.recommendation.k == len(counts)
    assert result.tree.fidelity > 0.7


def test_online_retail_ii_segments(retail2):
    result = _segment(retail2)
    # transactions only: the default bases fall back to the behaviour the data have
    assert result.features == ["n_orders", "avg_order_value"]
    _every_segment_above_the_minimum_share(result)
    one_order = retail2.customers["n_orders"] < 2
    assert (result.segments.loc[one_order.to_numpy(), "segment"] == 0).all()


def test_online_retail_rfm_segments(retail):
    result = _segment(retail, method="rfm")
    buyers = retail.customers["n_orders"].to_numpy() > 0
    assert (result.segments.loc[buyers, "segment"] != 0).all()
    assert {"Champions", "Lost"} <= set(result.segments["segment_name"])


def test_customer_personality_segments_on_client_columns(personality):
    result = _segment(personality, features=["income", "Kidhome", "Teenhome", "MntWines",
                                             "MntMeatProducts", "NumWebPurchases",
                                             "NumStorePurchases", "education"])
    assert result.method == "kprototypes"
    assert result.model.categorical_ == ["education"]
    # Income is missing for 24 customers: imputed, nobody left out for 1 of 8 features
    assert (result.segments["segment"] != 0).all()
    _every_segment_above_the_minimum_share(result)


def test_wholesale_segments(wholesale):
    result = _segment(wholesale, features=["Fresh", "Milk", "Grocery", "Frozen",
                                           "Detergents_Paper", "Delicassen"], k_max=6)
    assert len(result.segments) == 440
    _every_segment_above_the_minimum_share(result)


def test_online_retail_ii_clv_models_fit_and_targeting_completes(retail2):
    from seglib import targeting
    from seglib.clv import MODEL_METHOD, OBSERVED_SPEND_METHOD
    from seglib.config import TargetingConfig

    seg = _segment(retail2).segments
    lines = retail2.transactions[["customer_id", "date", "amount", "line_status"]]
    result = targeting.target_segments(retail2.customers, seg, TargetingConfig(),
                                    transactions=lines, as_of=retail2.as_of, random_state=42)
    assert result.clv.method in (MODEL_METHOD, OBSERVED_SPEND_METHOD)
    params = result.clv.bgnbd.params_
    assert all(v > 0 for v in params.values())
    assert 0 < params["a"] < 10 and 0 < params["r"] < 10
    buyers = result.clv.table[retail2.customers["n_orders"].to_numpy() > 0]
    assert buyers["p_alive"].between(0, 1).all() and (buyers["clv"] >= 0).all()
    scored = result.scored
    assert scored["selected"].sum() == 2
    assert scored.loc[scored["selected"], "segment"].ne(0).all()
    assert scored["growth_revenue"].notna().any()


# --------------------------------------------------------------------------- a CRM export, end to end

PERSONALITY_COLUMNS = """
      customer_id: ID
      birth_year: Year_Birth
      signup_date: Dt_Customer
      recency_days: Recency
      campaign_response: Response
      revenue: [MntWines, MntFruits, MntMeatProducts, MntFishProducts, MntSweetProducts,
                MntGoldProds]
      n_orders: [NumWebPurchases, NumCatalogPurchases, NumStorePurchases]"""


@pytest.fixture(scope="module")
def personality_run(tmp_path_factory):
    """The six stages on the customer_personality export: one row per customer, behaviour
    already summed (spend per category, purchases per channel, a campaign response)."""
    from seglib.cli import main

    _need(PERSONALITY)
    folder = tmp_path_factory.mktemp("personality-run")
    before = file_hash(PERSONALITY)
    config = write_config(folder, f"""
client: customer-personality
currency: USD
data:
  customers:
    path: "{PERSONALITY}"
    columns:{PERSONALITY_COLUMNS}
""")
    out = folder / "run"
    assert main(["run", str(config), "--out", str(out)]) == 0
    assert file_hash(PERSONALITY) == before
    return out


def test_a_crm_export_gives_the_canonical_behaviour_columns(personality_run):
    raw = pd.read_csv(PERSONALITY, sep="\t").set_index("ID")
    customers = pd.read_parquet(personality_run / "customers.parquet")
    customers = customers.set_index(customers["customer_id"].astype(int))
    assert len(customers) == 2_240
    spend = raw[["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts",
                 "MntSweetProducts", "MntGoldProds"]].sum(axis=1)
    np.testing.assert_allclose(customers["revenue"].reindex(raw.index), spend)
    orders = raw[["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]].sum(axis=1)
    assert (customers["n_orders"].reindex(raw.index) == orders).all()
    buyers = orders > 0
    np.testing.assert_allclose(customers["online_share"].reindex(raw.index)[buyers],
                               (raw["NumWebPurchases"] / orders)[buyers])
    np.testing.assert_allclose(customers["phone_share"].reindex(raw.index)[buyers],
                               (raw["NumCatalogPurchases"] / orders)[buyers])  # catalogue
    np.testing.assert_allclose(customers["category_share_wines"].reindex(raw.index)[spend > 0],
                               (raw["MntWines"] / spend)[spend > 0])
    # the latest enrolment is 29-06-2014: ages at the end of observation, 2014
    age = (2014 - raw["Year_Birth"]).where(raw["Year_Birth"] >= 1900)
    age = age.where(age <= 110)
    np.testing.assert_array_equal(customers["age"].reindex(raw.index).to_numpy(float),
                                  age.to_numpy(float))
    assert (customers["recency_days"].reindex(raw.index) == raw["Recency"]).all()
    assert customers["income"].isna().sum() == 24  # "Income" matched without a mapping
    categories = json.loads((personality_run / "collect.json").read_text())["categories"]
    assert categories["Wines"] == "category_share_wines"


def test_a_crm_export_ledger_reports_the_customer_table(personality_run):
    ledger = pd.read_csv(personality_run / "data_quality.csv").set_index("rule")
    years = ledger.loc["column 'Year_Birth' (mapped to 'birth_year'): values outside the "
                       "plausible range (at least 1,900)"]
    assert years["rows"] == 2 and years["action"] == "set missing"
    assert years["examples"] == "11004: 1893, 1150: 1899"
    old = ledger.loc["column 'age': values outside the plausible range (0 to 110)"]
    assert old["rows"] == 1 and old["examples"] == "7829: 114"  # born 1900
    assert ledger.loc["column 'Income' (mapped to 'income'): missing values", "rows"] == 24
    assert ledger.loc["columns with the same value for every customer: Z_CostContact, "
                      "Z_Revenue", "rows"] == 2
    repeated = ledger.loc["rows equal to another row in every column but the customer id"]
    assert repeated["rows"] == 182
    far = [r for r in ledger.index if r.startswith("column 'Income' (mapped to 'income'): "
                                                   "incomes far from the others")]
    assert far and ledger.loc[far[0], "rows"] == 6 and ledger.loc[far[0], "action"] == \
        "kept as given"
    end = ledger.loc["end of observation: the latest date in the customers file (2014-06-29)"]
    assert end["rows"] == 2_240


def test_a_crm_export_segments_target_and_stages(personality_run):
    segments = pd.read_csv(personality_run / "segments.csv")
    assert len(segments) == 2_240
    scored = pd.read_csv(personality_run / "targeting.csv")
    scored = scored[scored["segment"] != 0].sort_values("rank")
    assert len(scored) >= 2
    # the high-spend, high-response segment ranks above the low-spend one
    top, low = scored.iloc[0], scored.iloc[-1]
    assert top["revenue_per_customer"] > 5 * low["revenue_per_customer"]
    assert top["response_rate"] > low["response_rate"]
    assert top["attractiveness"] > low["attractiveness"]
    assert scored["response_source"].iloc[0].startswith("campaign_response")
    stages = pd.read_csv(personality_run / "lifecycle.csv")["stage"].value_counts()
    assert stages.get("Loyal & advocate", 0) > 500 and stages.get("At risk", 0) > 100


def test_a_crm_export_is_targeted_on_spend_and_response_not_size(personality_run):
    import re

    from seglib import targeting

    scored = pd.read_csv(personality_run / "targeting.csv")
    eligible = scored[scored["segment"] != 0].sort_values("rank")
    top = eligible.iloc[0]
    # the high-spend, high-response segment ranks first, and not every segment is a target
    assert top["revenue_per_customer"] == eligible["revenue_per_customer"].max()
    assert top["response_rate"] == eligible["response_rate"].max()
    assert bool(top["selected"]) and not eligible["selected"].all()
    # revenue and the past response carry weight: the score is the weighted mean of the
    # criterion scores under the default weights, which include both
    weights = targeting.effective_weights(scored, None)
    assert weights.get("revenue", 0) > 0 and weights.get("responsiveness", 0) > 0
    total = sum(weights.values())
    recomputed = sum(w / total * eligible[f"{c}_score"].fillna(5.5) for c, w in weights.items())
    np.testing.assert_allclose(eligible["attractiveness"], recomputed)
    notebook = json.loads(next((personality_run / "notebooks").glob("03_targeting*.ipynb"))
                          .read_text(encoding="utf-8"))
    said = " ".join("".join(o.get("data", {}).get("text/markdown", ""))
                    for cell in notebook["cells"] for o in cell.get("outputs", []))
    shares = dict(re.findall(r"(revenue|responsiveness) (\d+)%", said.split("Weights used")[1]
                             .split(". ")[0]))
    assert int(shares["revenue"]) > 0 and int(shares["responsiveness"]) > 0
