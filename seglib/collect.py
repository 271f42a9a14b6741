"""Stage 1, data collection: read the client's sources into one row per customer.

Sources are read, never modified. Every rule that changes or excludes rows adds
a line to the data-quality ledger, so nothing disappears silently. The customer
table joins recency, frequency and monetary value (RFM) from the transactions
with the customers' attributes, survey answers, service effort and web activity.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seglib.config import RunConfig, SourceConfig
from seglib.errors import DataError

CHANNELS = ("online", "store", "phone")
_CHANNEL_SYNONYMS = {
    "online": "online", "web": "online", "website": "online", "internet": "online",
    "e-commerce": "online", "ecommerce": "online", "app": "online", "mobile app": "online",
    "store": "store", "in store": "store", "in-store": "store", "shop": "store",
    "retail": "store", "offline": "store", "pos": "store",
    "phone": "phone", "telephone": "phone", "call": "phone", "call centre": "phone",
    "call center": "phone", "hotline": "phone",
}
#: Column names that hold personal data; removed from the customer table unless kept on purpose.
PII_PATTERN = re.compile(
    r"(^|_)(name|full_?name|first_?name|last_?name|surname|e_?mail|phone|mobile|tel|address)($|_)",
    re.IGNORECASE,
)

#: The data dictionary: what each computed feature means, its unit and its source.
FEATURES: dict[str, tuple[str, str, str]] = {
    "n_orders": ("number of distinct orders kept after cleaning", "orders", "transactions"),
    "revenue": ("total value of the customer's orders", "currency", "transactions"),
    "avg_order_value": ("revenue / n_orders", "currency per order", "transactions"),
    "first_purchase": ("date of the first order", "date", "transactions"),
    "last_purchase": ("date of the last order", "date", "transactions"),
    "recency_days": ("days from the last order to the end of observation", "days", "transactions"),
    "tenure_days": ("days from the first order to the end of observation", "days", "transactions"),
    "orders_per_year": ("n_orders per 365 days of tenure (at least 30 days)", "orders / year",
                        "transactions"),
    "margin": ("total gross margin of the customer's orders", "currency", "transactions"),
    "margin_rate": ("margin / revenue", "share", "transactions"),
    "online_share": ("share of orders placed online", "share", "transactions"),
    "store_share": ("share of orders placed in a store", "share", "transactions"),
    "phone_share": ("share of orders placed by phone", "share", "transactions"),
    "special_occasion_share": ("share of orders flagged special occasion", "share",
                               "transactions"),
    "returns_rate": ("share of the customer's orders returned", "share", "transactions"),
    "favourite_category": ("category with the most revenue", "category", "transactions"),
    "has_email": ("an email address is on file (the address itself is not kept)", "flag",
                  "customers"),
    "has_phone": ("a phone number is on file (the number itself is not kept)", "flag",
                  "customers"),
    "service_contacts": ("number of support contacts", "contacts", "service"),
    "service_effort": ("mean effort score of the support contacts", "1-10", "service"),
}


@dataclass
class Collected:
    """What the collection stage produces, before it is written to the run folder."""

    customers: pd.DataFrame
    transactions: pd.DataFrame | None
    brand_ratings: pd.DataFrame | None
    ledger: pd.DataFrame
    as_of: pd.Timestamp | None
    sources: list[str] = field(default_factory=list)


class _Ledger:
    """Collects one line per rule that changed or excluded data."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, source: str, rule: str, rows: int, revenue: float | None = None,
            action: str = "") -> None:
        self.rows.append({"source": source, "rule": rule, "rows": int(rows),
                          "revenue": None if revenue is None else float(revenue),
                          "action": action})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["source", "rule", "rows", "revenue", "action"])


# --------------------------------------------------------------------------- reading


def _sniff_sep(path: Path, encoding: str) -> str:
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(65536)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: Path, *, source: str, sheet: str | int | None = None,
               sep: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file as it is, with clear errors.

    Parameters
    ----------
    path : Path
        The file; its suffix picks the reader (``.csv``/``.txt``/``.tsv``,
        ``.xlsx``/``.xlsm``, ``.parquet``; ``.gz`` CSVs are read too).
    source : str
        The source's name in the config, for messages.
    sheet, sep, encoding
        Excel sheet, CSV delimiter and CSV encoding; detected when not given.

    Raises
    ------
    DataError
        If the file is missing, empty, unreadable, or has a header but no rows.
    """
    where = f"data.{source} ({path})"
    if not path.is_file():
        raise DataError(f"{where}: file not found")
    if path.stat().st_size == 0:
        raise DataError(f"{where}: the file is empty (0 bytes)")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes[-1:] == [".parquet"]:
            table = pd.read_parquet(path)
        elif suffixes[-1:] in ([".xlsx"], [".xlsm"], [".xls"]):
            table = _read_excel(path, sheet, where)
        else:
            table = _read_csv(path, sep, encoding, where)
    except DataError:
        raise
    except UnicodeDecodeError as err:
        raise DataError(
            f"{where}: the file is not {encoding or 'UTF-8'} text ({err.reason} at byte "
            f"{err.start}); set data.{source}.encoding (e.g. cp1252, utf-16)"
        ) from err
    except (pd.errors.ParserError, ValueError, OSError) as err:
        raise DataError(f"{where}: cannot be read as a table: {err}") from err
    except Exception as err:  # pyarrow and openpyxl raise their own types
        raise DataError(f"{where}: cannot be read as a table: {type(err).__name__}: {err}") from err
    table.columns = [c.strip() if isinstance(c, str) else c for c in table.columns]
    if table.columns.duplicated().any():
        dupes = sorted(set(table.columns[table.columns.duplicated()]))
        raise DataError(f"{where}: duplicated column name(s) {dupes}; each column needs one name")
    if table.empty:
        raise DataError(f"{where}: the file has a header but no data rows")
    return table


def _read_csv(path: Path, sep: str | None, encoding: str | None, where: str) -> pd.DataFrame:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" and path.suffix.lower() != ".gz":
        raise DataError(f"{where}: this is an Excel workbook (or another zip file), not CSV "
                        f"text; give it the .xlsx ending")
    if magic == b"PAR1":
        raise DataError(f"{where}: this is a Parquet file, not CSV text; give it the .parquet "
                        f"ending")
    enc = encoding or "utf-8-sig"
    if path.suffix.lower() == ".gz":
        sep = sep or ","
    else:
        sep = sep or _sniff_sep(path, enc)
    try:
        table = pd.read_csv(path, sep=sep, encoding=enc, dtype=str, keep_default_na=False,
                            na_values=[""])
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{where}: the file holds no columns (empty or blank lines only)") from err
    # pandas renames a repeated header "x" to "x.1": report it as the duplicate it is.
    repeated = [c for c in table.columns if re.fullmatch(r".+\.\d+", str(c))
                and str(c).rsplit(".", 1)[0] in table.columns]
    if repeated:
        names = sorted({str(c).rsplit(".", 1)[0] for c in repeated})
        raise DataError(f"{where}: duplicated column name(s) {names} in the header")
    if any("\x00" in str(c) for c in table.columns):
        raise DataError(f"{where}: the file is binary, not delimited text")
    return table


def _read_excel(path: Path, sheet: str | int | None, where: str) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path)
    except Exception as err:
        raise DataError(f"{where}: not a readable Excel workbook: {err}") from err
    if sheet is None:
        sheet = book.sheet_names[0]
    elif isinstance(sheet, str) and sheet not in book.sheet_names:
        raise DataError(f"{where}: no sheet named {sheet!r}; the workbook has {book.sheet_names}")
    elif isinstance(sheet, int) and not 0 <= sheet < len(book.sheet_names):
        raise DataError(f"{where}: no sheet number {sheet}; the workbook has {book.sheet_names}")
    return pd.read_excel(book, sheet_name=sheet)


def apply_mapping(table: pd.DataFrame, src: SourceConfig, source: str) -> pd.DataFrame:
    """Rename the client's columns to canonical names; unmapped columns keep their names."""
    missing = [(canon, col) for canon, col in src.columns.items() if col not in table.columns]
    if missing:
        canon, col = missing[0]
        raise DataError(
            f"data.{source} ({src.path}): column {col!r} (mapped to {canon!r} in "
            f"data.{source}.columns) is not in the file; its columns are: "
            f"{', '.join(map(str, table.columns))}"
        )
    rename = {col: canon for canon, col in src.columns.items()}
    # An unmapped column already carrying a canonical name that another column is mapped to
    # keeps its data under "<name>_raw" rather than colliding.
    clashes = {c: f"{c}_raw" for c in table.columns if c in rename.values() and c not in rename}
    mapped = table.rename(columns={**clashes, **rename})
    mapped.attrs["mapping"] = dict(src.columns)
    return mapped


def _label(table: pd.DataFrame, canonical: str) -> str:
    """How messages name a column: the client's name, and the canonical one if mapped."""
    client = table.attrs.get("mapping", {}).get(canonical)
    if client and client != canonical:
        return f"{client!r} (mapped to {canonical!r})"
    return repr(canonical)


# --------------------------------------------------------------------------- parsing


def _row_of(mask: pd.Series) -> int:
    """1-based data row of the first True in mask (the header is line 1)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def _no_blanks(blank: pd.Series, source: str, path: Path, label: str, what: str) -> None:
    """Raise a DataError naming the column and the first row where ``blank`` is True."""
    if blank.any():
        raise DataError(
            f"data.{source} ({path}): column {label}: {int(blank.sum())} row(s) have no "
            f"{what}, first at data row {_row_of(blank)}; every row needs one"
        )


def _require(table: pd.DataFrame, column: str, source: str, path: Path) -> None:
    if column not in table.columns:
        raise DataError(
            f"data.{source} ({path}): no {column!r} column; map the client's column in "
            f"data.{source}.columns.{column}. Columns found: "
            f"{', '.join(map(str, table.columns))}"
        )


def normalize_ids(values: pd.Series) -> pd.Series:
    """Return customer or order ids as trimmed strings (``17850.0`` becomes ``17850``)."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.floor(whole)).all():
            values = values.astype("Int64")
    text = values.astype("string").str.strip()
    text = text.str.replace(r"\.0$", "", regex=True)
    return text.where(text.notna() & (text != ""), pd.NA).astype("string")


def parse_numbers(values: pd.Series, source: str, column: str, path: Path) -> pd.Series:
    """Parse a column as numbers; any text that is not a number is a DataError."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        text = values.astype("string")
    else:
        text = values.astype("string").str.strip().replace("", pd.NA)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = (text.notna() & numbers.isna()) | np.isinf(numbers.fillna(0))
    if bad.any():
        row = _row_of(bad)
        raise DataError(
            f"data.{source} ({path}): column {column}: {int(bad.sum())} value(s) are not "
            f"numbers, first at data row {row}: {str(text[bad].iloc[0])!r}; expected numbers "
            f"such as 1234.50"
        )
    return numbers.astype("float64")


def _naive_utc(values: pd.Series) -> pd.Series:
    """Datetimes without a time zone: zone-aware ones are converted to UTC first."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def parse_dates(values: pd.Series, source: str, column: str, path: Path, *,
                dayfirst: bool | None = None, required: bool = False) -> pd.Series:
    """Parse a column of dates or date-times; anything unparseable is a DataError.

    ISO dates (2025-01-31, with or without a time) are read as such. Other
    layouts are read day first or month first as ``dayfirst`` says; when it is
    not set and a value reads differently both ways (01/02/2025), the column is
    ambiguous and the run stops rather than guess.
    """
    key = f"data.{source} ({path}): column {column}"
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, text = _naive_utc(values), values
    else:
        text = values.astype("string").str.strip().replace("", pd.NA)
        parsed = _naive_utc(pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
                            if text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any()
                            else pd.to_datetime(text, errors="coerce", format="ISO8601"))
        other = text.notna() & parsed.isna()
        if other.any():
            rest = text[other]
            if dayfirst is None:
                month_first = pd.to_datetime(rest, errors="coerce", format="mixed", dayfirst=False)
                day_first = pd.to_datetime(rest, errors="coerce", format="mixed", dayfirst=True)
                differ = month_first.notna() & day_first.notna() & (month_first != day_first)
                if differ.any():
                    first = differ.reindex(text.index, fill_value=False)
                    raise DataError(
                        f"{key}: dates such as {str(rest[differ].iloc[0])!r} (data row "
                        f"{_row_of(first)}) read differently day first and month first; set "
                        f"data.{source}.dayfirst: true (31/01/2025) or false (01/31/2025)"
                    )
                parsed.loc[other] = month_first.where(month_first.notna(), day_first)
            else:
                parsed.loc[other] = pd.to_datetime(rest, errors="coerce", format="mixed",
                                                   dayfirst=dayfirst)
        bad = text.notna() & parsed.isna()
        if bad.any():
            raise DataError(
                f"{key}: {int(bad.sum())} value(s) are not dates, first at data row "
                f"{_row_of(bad)}: {str(text[bad].iloc[0])!r}; expected dates such as 2025-03-31 "
                f"or 2025-03-31 14:05"
            )
    if required:
        _no_blanks(parsed.isna(), source, path, column, "date")
    return parsed


def _parse_flags(values: pd.Series, source: str, column: str, path: Path) -> pd.Series:
    truthy = {"1", "true", "yes", "y", "t", "x"}
    falsy = {"0", "false", "no", "n", "f", ""}
    text = values.astype("string").str.strip().str.lower().fillna("")
    text = text.str.replace(r"\.0$", "", regex=True)
    bad = ~text.isin(truthy | falsy)
    if bad.any():
        raise DataError(
            f"data.{source} ({path}): column {column}: value {str(values[bad].iloc[0])!r} at "
            f"data row {_row_of(bad)} is not a yes/no flag; expected 1/0, true/false or yes/no"
        )
    return text.isin(truthy)


def normalize_channel(values: pd.Series) -> pd.Series:
    """Map channel labels to online / store / phone; anything else is kept, lower-cased."""
    text = values.astype("string").str.strip().str.lower()
    return text.map(lambda v: _CHANNEL_SYNONYMS.get(v, v) if isinstance(v, str) else pd.NA,
                    na_action="ignore").astype("string")


# --------------------------------------------------------------------------- sources


def prepare_transactions(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                         as_of: pd.Timestamp | None, *, dayfirst: bool | None = None,
                         keep_pii: bool = False) -> pd.DataFrame:
    """Return canonical, cleaned transactions; every exclusion is written to the ledger."""
    src = "transactions"
    _require(raw, "customer_id", src, path)
    _require(raw, "date", src, path)
    tx = raw.copy()
    tx["customer_id"] = normalize_ids(tx["customer_id"])
    tx["date"] = parse_dates(tx["date"], src, _label(raw, "date"), path, dayfirst=dayfirst,
                             required=True)
    if "amount" in tx.columns:
        tx["amount"] = parse_numbers(tx["amount"], src, _label(raw, "amount"), path)
    elif "quantity" in tx.columns and "unit_price" in tx.columns:
        quantity = parse_numbers(tx["quantity"], src, _label(raw, "quantity"), path)
        price = parse_numbers(tx["unit_price"], src, _label(raw, "unit_price"), path)
        tx["amount"] = quantity * price
    else:
        raise DataError(
            f"data.transactions ({path}): no 'amount' column, and no 'quantity' with "
            f"'unit_price' to compute it; map them in data.transactions.columns"
        )
    _no_blanks(tx["amount"].isna(), src, path, _label(raw, "amount"), "amount")
    if "order_id" in tx.columns:
        tx["order_id"] = normalize_ids(tx["order_id"])
        _no_blanks(tx["order_id"].isna(), src, path, _label(raw, "order_id"), "order id")
    else:
        tx["order_id"] = pd.Series(np.arange(1, len(tx) + 1), index=tx.index).astype("string")
        tx.attrs["row_order_ids"] = True
        ledger.add(src, "no order id column: each row counted as one order", len(tx),
                   action="order_id = row number")
    for column in ("margin",):
        if column in tx.columns:
            tx[column] = parse_numbers(tx[column], src, _label(raw, column), path)
    for column in ("special_occasion", "returned"):
        if column in tx.columns:
            tx[column] = _parse_flags(tx[column], src, _label(raw, column), path)
    if "channel" in tx.columns:
        tx["channel"] = normalize_channel(tx["channel"])
    if "category" in tx.columns:
        tx["category"] = tx["category"].astype("string").str.strip()
    tx = remove_pii(tx, src, ledger, keep_pii)

    ledger.add(src, "rows read", len(tx), tx["amount"].sum(), "")
    compared = [c for c in tx.columns if not (c == "order_id" and tx.attrs.get("row_order_ids"))]
    duplicated = tx.duplicated(subset=compared, keep="first")
    if duplicated.any():
        ledger.add(src, "exact duplicate rows", duplicated.sum(),
                   tx.loc[duplicated, "amount"].sum(), "removed (kept the first)")
        tx = tx[~duplicated]
    with_customer = tx[tx["customer_id"].notna()]
    owners = with_customer.groupby("order_id")["customer_id"].nunique()
    if (owners > 1).any():
        order = owners[owners > 1].index[0]
        rows = np.flatnonzero((tx["order_id"] == order).to_numpy())[:4] + 1
        raise DataError(
            f"data.transactions ({path}): column {_label(raw, 'order_id')}: "
            f"{int((owners > 1).sum())} order id(s) belong to more than one customer, e.g. "
            f"{order!r} at data rows {', '.join(map(str, rows))}; an order has one customer"
        )
    if as_of is not None:
        future = tx["date"] >= as_of
        if future.any():
            ledger.add(src, f"dated on or after the end of observation ({as_of.date()})",
                       future.sum(), tx.loc[future, "amount"].sum(), "excluded")
            tx = tx[~future]
    if "returned" in tx.columns:
        returned = tx["returned"]
        if returned.any():
            ledger.add(src, "returned orders (returned flag)", returned.sum(),
                       tx.loc[returned, "amount"].sum(),
                       "excluded from revenue and order counts; counted in returns_rate")
    negative = tx["amount"] < 0
    if negative.any():
        ledger.add(src, "negative amounts (cancellations, refunds)", negative.sum(),
                   tx.loc[negative, "amount"].sum(), "excluded from revenue and order counts")
    no_customer = tx["customer_id"].isna()
    if no_customer.any():
        ledger.add(src, "no customer id", no_customer.sum(), tx.loc[no_customer, "amount"].sum(),
                   "kept in revenue totals, excluded from customer features")
    return tx.reset_index(drop=True)


def _kept_for_features(tx: pd.DataFrame) -> pd.Series:
    keep = tx["customer_id"].notna() & (tx["amount"] >= 0)
    if "returned" in tx.columns:
        keep &= ~tx["returned"]
    return keep


def _check_overlap(ordering: pd.Series, known: pd.Series, sources: dict) -> None:
    """Stop when most buyers are missing from the customers file: the ids do not match."""
    matched = ordering.isin(known).mean()
    if matched < 0.5:
        raise DataError(
            f"customer ids do not match: only {matched:.0%} of the customer ids in "
            f"data.transactions ({sources['transactions'].path}) are in data.customers "
            f"({sources['customers'].path}). Ids in the orders look like "
            f"{', '.join(map(repr, ordering.head(3)))}; in the customers file like "
            f"{', '.join(map(repr, known.head(3)))}. Check the customer_id mappings (and "
            f"leading zeros: '007' and '7' are different ids)"
        )


def default_as_of(transactions: pd.DataFrame, path: Path | str = "") -> pd.Timestamp:
    """End of observation when none is configured: midnight after the last order.

    An order dated after the run's own clock (a typo such as 2205 for 2025) would
    make every customer look lapsed: it is a DataError naming the row. This is the
    only place the clock is read, as a sanity bound, never as the end of observation.

    Raises
    ------
    DataError
        If an order is dated in the future.
    """
    future = transactions["date"] > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        first = transactions[future].iloc[0]
        raise DataError(
            f"data.transactions ({path}): {int(future.sum())} order(s) are dated in the future, "
            f"e.g. {first['date']} for customer {first['customer_id']!r} "
            f"(order {first['order_id']!r}); "
            f"correct them, or set collect.as_of to end the observation before them"
        )
    return transactions["date"].max().normalize() + pd.Timedelta(days=1)


def customer_rfm(transactions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Summarise cleaned transactions to one row per customer (RFM and behaviour).

    Returned orders, negative amounts and rows without a customer id are left out
    of the features (they stay in the ledger and the revenue totals).
    """
    tx = transactions[_kept_for_features(transactions)]
    orders = tx.groupby(["customer_id", "order_id"], sort=False).agg(
        date=("date", "min"), amount=("amount", "sum"),
        **({"margin": ("margin", "sum")} if "margin" in tx.columns else {}),
        **({"channel": ("channel", "first")} if "channel" in tx.columns else {}),
        **({"special_occasion": ("special_occasion", "max")}
           if "special_occasion" in tx.columns else {}),
    ).reset_index()
    by_customer = orders.groupby("customer_id")
    rfm = pd.DataFrame({
        "n_orders": by_customer.size().astype("int64"),
        "revenue": by_customer["amount"].sum(),
        "first_purchase": by_customer["date"].min(),
        "last_purchase": by_customer["date"].max(),
    })
    rfm["avg_order_value"] = rfm["revenue"] / rfm["n_orders"]
    rfm["recency_days"] = (as_of - rfm["last_purchase"]).dt.days.astype("int64")
    rfm["tenure_days"] = (as_of - rfm["first_purchase"]).dt.days.astype("int64")
    rfm["orders_per_year"] = rfm["n_orders"] / (rfm["tenure_days"].clip(lower=30) / 365.0)
    if "margin" in orders.columns:
        rfm["margin"] = by_customer["margin"].sum()
        rfm["margin_rate"] = (rfm["margin"] / rfm["revenue"].where(rfm["revenue"] != 0))
    if "channel" in orders.columns:
        counts = pd.crosstab(orders["customer_id"], orders["channel"])
        for channel in CHANNELS:
            share = counts[channel] if channel in counts.columns else 0
            rfm[f"{channel}_share"] = (share / rfm["n_orders"]).astype("float64")
    if "special_occasion" in orders.columns:
        rfm["special_occasion_share"] = by_customer["special_occasion"].mean().astype("float64")
    if "returned" in transactions.columns:
        valid = transactions[transactions["customer_id"].notna()]
        per_order = valid.groupby(["customer_id", "order_id"])["returned"].max()
        rfm["returns_rate"] = per_order.groupby(level="customer_id").mean().astype("float64")
    if "category" in tx.columns:
        spend = tx.groupby(["customer_id", "category"])["amount"].sum().reset_index()
        spend = spend.sort_values(["customer_id", "amount", "category"],
                                  ascending=[True, False, True])
        rfm["favourite_category"] = spend.drop_duplicates("customer_id").set_index(
            "customer_id")["category"]
    rfm.index.name = "customer_id"
    return rfm.reset_index()


#: Vietnamese column names for personal data, written without accents (see _plain_name).
_PII_VI = re.compile(r"(^|_)(ho_?ten|ho_va_ten|ten_khach_hang|ten_kh|dien_thoai|so_dien_thoai|"
                     r"sdt|dia_chi|thu_dien_tu)($|_)")
_EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_VALUE = re.compile(r"^(\+|0)[\d\s().-]{7,}$")
#: Columns that are keys or canonical measures, never personal data.
_NOT_PII = {"customer_id", "order_id", "respondent_id", "contact_id", "date", "amount",
            "quantity", "unit_price", "channel", "category", "margin", "brand"}


def _plain_name(name: object) -> str:
    """Lower-case ASCII form of a column name: accents dropped, runs of other marks as _."""
    text = unicodedata.normalize("NFKD", str(name).lower().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def is_pii_column(name: object) -> bool:
    """True for a column name that holds personal data (a name, email, phone or address)."""
    plain = _plain_name(name)
    return bool(PII_PATTERN.search(plain) or _PII_VI.search(plain))


def pii_kind(values: pd.Series) -> str | None:
    """``"email"`` or ``"phone"`` when most filled values of a text column look like one."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return None
    sample = values.dropna().astype(str).str.strip().head(2000)
    if sample.empty:
        return None
    if sample.str.match(_EMAIL_VALUE).mean() >= 0.5:
        return "email"
    digits = sample.str.count(r"\d")
    if (sample.str.match(_PHONE_VALUE) & (digits >= 9)).mean() >= 0.5:
        return "phone"
    return None


def _counts(values: pd.Series) -> bool:
    """True for a column of small numbers (``email_opens``), which no phone number is."""
    numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
    filled = values.notna()
    if not filled.any() or numbers[filled].isna().any():
        return False
    return bool((numbers[filled].abs() < 10_000_000).all())


def remove_pii(table: pd.DataFrame, source: str, ledger: _Ledger, keep: bool,
               flags: bool = False) -> pd.DataFrame:
    """Drop columns of personal data, found by their name or by what they hold.

    With ``flags``, ``has_email`` / ``has_phone`` record that a contact is on file
    (the customers source), so that reachability survives without the contact itself.
    """
    found = {}
    for column in table.columns:
        if column in _NOT_PII or column in ("has_email", "has_phone"):
            continue
        kind = pii_kind(table[column])
        if kind is None and is_pii_column(column) and not _counts(table[column]):
            plain = _plain_name(column)
            kind = ("email" if "mail" in plain or "thu_dien_tu" in plain else
                    "phone" if re.search(r"phone|mobile|tel|dien_thoai|sdt", plain) else "other")
        if kind is not None:
            found[column] = kind
    if not found:
        return table
    table = table.copy()
    if flags:
        for column, kind in found.items():
            if kind in ("email", "phone"):
                flag = f"has_{kind}"
                have = table[column].notna()
                table[flag] = (table[flag] | have) if flag in table else have
    if not keep:
        table = table.drop(columns=list(found))
        ledger.add(source, f"personal data columns: {', '.join(map(str, found))}", len(table),
                   action="removed (collect.keep_pii is false)")
    return table


def prepare_customers(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                      keep_pii: bool) -> pd.DataFrame:
    """Return the customers table with canonical ids, numbers parsed and PII removed."""
    src = "customers"
    _require(raw, "customer_id", src, path)
    customers = raw.copy()
    customers["customer_id"] = normalize_ids(customers["customer_id"])
    id_label = _label(raw, "customer_id")
    _no_blanks(customers["customer_id"].isna(), src, path, id_label, "customer id")
    dupes = customers["customer_id"].duplicated()
    if dupes.any():
        raise DataError(
            f"data.customers ({path}): column {id_label}: {int(dupes.sum())} id(s) appear more "
            f"than once, first at data row {_row_of(dupes)}: "
            f"{customers['customer_id'][dupes].iloc[0]!r}; the customers file needs one row per "
            f"customer"
        )
    ledger.add(src, "rows read", len(customers))
    customers = remove_pii(customers, src, ledger, keep_pii, flags=True)
    customers = _numeric_where_possible(customers, src, path, ledger, exclude={"customer_id"})
    _check_ranges(customers, src, path)
    return customers


#: Plausible ranges of customer attributes; a value outside is a typo to fix, not data.
RANGES = {"age": (0, 120), "income": (0, None), "household_size": (0, 50),
          "distance_to_store_km": (0, None), "social_followers": (0, None),
          "web_savviness": (1, 5)}


def _check_ranges(table: pd.DataFrame, source: str, path: Path) -> None:
    for column, (low, high) in RANGES.items():
        if column not in table or not pd.api.types.is_numeric_dtype(table[column]):
            continue
        values = table[column]
        bad = (values < low) if low is not None else pd.Series(False, index=values.index)
        if high is not None:
            bad |= values > high
        if bad.any():
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise DataError(
                f"data.{source} ({path}): column {_label(table, column)}: "
                f"{int(bad.sum())} value(s) out of range, first at data row {_row_of(bad)}: "
                f"{values[bad].iloc[0]:g}; expected values {span}"
            )


#: Customer attributes that must be numbers when present.
NUMERIC_ATTRIBUTES = ("age", "income", "household_size", "distance_to_store_km",
                      "web_savviness", "social_followers", "effort_score")
#: Text that clients write for "no value"; read as missing (and counted in the ledger).
NA_TOKENS = frozenset({"n/a", "na", "nan", "null", "none", "unknown", "-", "--", "?", "#n/a"})


def _numeric_where_possible(table: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                            exclude: Iterable[str]) -> pd.DataFrame:
    """Turn columns of numbers into floats, with "n/a"-style text read as missing.

    A known numeric attribute (age, income, ...) or a column of at least 20
    values that are 95 % numbers must be all numbers: any other text in it is a
    DataError naming the column and the row. Other text columns stay text.
    """
    table = table.copy()
    exclude = set(exclude)
    for column in table.columns:
        if column in exclude or pd.api.types.is_numeric_dtype(table[column]) \
                or pd.api.types.is_bool_dtype(table[column]):
            continue
        text = table[column].astype("string").str.strip().replace("", pd.NA)
        tokens = text.str.lower().isin(NA_TOKENS).fillna(False)
        cleaned = text.mask(tokens)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        filled = cleaned.notna()
        if not filled.any():
            continue
        numeric = (numbers.notna() & filled).sum() / filled.sum()
        must = column in NUMERIC_ATTRIBUTES or (filled.sum() >= 20 and numeric >= 0.95)
        if numeric < 1 and must:
            bad = filled & numbers.isna()
            raise DataError(
                f"data.{source} ({path}): column {_label(table, column)}: {int(bad.sum())} "
                f"value(s) are not numbers, first at data row {_row_of(bad)}: "
                f"{str(cleaned[bad].iloc[0])!r}; expected numbers (leave a cell blank, or write "
                f"n/a, when the value is unknown)"
            )
        if numeric == 1:
            if tokens.any():
                ledger.add(source, f"{column}: text such as 'n/a' or 'unknown'", tokens.sum(),
                           action="read as missing")
            table[column] = numbers.astype("float64")
    return table


def _customer_rows(raw: pd.DataFrame, source: str, path: Path, ledger: _Ledger) -> pd.DataFrame:
    """Rows of a customer-keyed source with canonical ids; rows without one are counted out."""
    _require(raw, "customer_id", source, path)
    table = raw.copy()
    table["customer_id"] = normalize_ids(table["customer_id"])
    blank = table["customer_id"].isna()
    ledger.add(source, "rows read", len(table))
    if blank.any():
        ledger.add(source, "no customer id", blank.sum(), action="excluded")
        table = table[~blank]
    return remove_pii(table, source, ledger, keep=False)


def _per_customer(raw: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                  prefix: str) -> pd.DataFrame:
    """Numeric columns of a customer-keyed source, averaged per customer and prefixed."""
    table = _customer_rows(raw, source, path, ledger)
    table = _numeric_where_possible(table, source, path, ledger, exclude={"customer_id"})
    numeric = [c for c in table.columns if c != "customer_id"
               and pd.api.types.is_numeric_dtype(table[c])]
    per = table.groupby("customer_id")[numeric].mean()
    return per.rename(columns=lambda c: c if c.startswith(prefix) else f"{prefix}{c}")


def prepare_service(raw: pd.DataFrame, path: Path, ledger: _Ledger) -> pd.DataFrame:
    """Support contacts per customer, and their mean effort score when given."""
    table = _customer_rows(raw, "service", path, ledger)
    per = table.groupby("customer_id").size().rename("service_contacts").to_frame()
    if "effort_score" in table.columns:
        effort = parse_numbers(table["effort_score"], "service", _label(raw, "effort_score"), path)
        per["service_effort"] = effort.groupby(table["customer_id"]).mean()
    return per


def prepare_web(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                as_of: pd.Timestamp | None, dayfirst: bool | None = None) -> pd.DataFrame:
    """Web and email activity per customer; ``last_visit`` becomes days since the visit."""
    table = raw.copy()
    if "last_visit" in table.columns and as_of is not None:
        visits = parse_dates(table["last_visit"], "web", _label(raw, "last_visit"), path,
                             dayfirst=dayfirst)
        table["recency_days"] = (as_of - visits).dt.days
    table = table.drop(columns=[c for c in ("last_visit", "first_visit") if c in table.columns])
    return _per_customer(table, "web", path, ledger, prefix="web_")


def prepare_brand_ratings(raw: pd.DataFrame, path: Path, ledger: _Ledger) -> pd.DataFrame:
    """Ratings in long form: one row per rating, ``brand`` plus numeric attribute columns."""
    _require(raw, "brand", "brand_ratings", path)
    table = raw.copy()
    for key in ("respondent_id", "customer_id"):
        if key in table.columns:
            table[key] = normalize_ids(table[key])
    table["brand"] = table["brand"].astype("string").str.strip()
    table = _numeric_where_possible(table, "brand_ratings", path, ledger,
                                    exclude={"brand", "respondent_id", "customer_id"})
    attributes = [c for c in table.columns if c not in ("brand", "respondent_id", "customer_id")
                  and pd.api.types.is_numeric_dtype(table[c])]
    if len(attributes) < 2:
        raise DataError(
            f"data.brand_ratings ({path}): found {len(attributes)} numeric attribute column(s); "
            f"a perceptual map needs at least 2 rated attributes besides 'brand'"
        )
    ledger.add("brand_ratings", "rows read", len(table))
    return table[[c for c in ("respondent_id", "customer_id") if c in table.columns]
                 + ["brand"] + attributes]


def load_source(name: str, src: SourceConfig) -> pd.DataFrame:
    """Read one configured source and apply its column mapping."""
    table = read_table(src.path, source=name, sheet=src.sheet, sep=src.sep, encoding=src.encoding)
    return apply_mapping(table, src, name)


def collect(config: RunConfig) -> Collected:
    """Run the collection stage: read, clean and join every configured source."""
    ledger = _Ledger()
    sources = config.sources()
    as_of = pd.Timestamp(config.collect.as_of) if config.collect.as_of else None
    transactions = None
    if "transactions" in sources:
        src = sources["transactions"]
        transactions = prepare_transactions(load_source("transactions", src), src.path, ledger,
                                            as_of, dayfirst=src.dayfirst,
                                            keep_pii=config.collect.keep_pii)
        if transactions.empty:
            raise DataError(
                f"data.transactions ({src.path}): no transactions left before the end of "
                f"observation (collect.as_of = {config.collect.as_of}); check collect.as_of"
            )
        if as_of is None:
            as_of = default_as_of(transactions, src.path)
    customers = None
    if "customers" in sources:
        src = sources["customers"]
        customers = prepare_customers(load_source("customers", src), src.path, ledger,
                                      config.collect.keep_pii)
    table = customers
    if transactions is not None:
        rfm = customer_rfm(transactions, as_of)
        if rfm.empty:
            raise DataError(
                f"data.transactions ({sources['transactions'].path}): every transaction was "
                f"excluded (returns, negative amounts, no customer id; see the ledger rules): "
                f"no purchase is left to describe customers with"
            )
        known = transactions["customer_id"].dropna().unique()
        emptied = pd.Index(known).difference(pd.Index(rfm["customer_id"]))
        if len(emptied):
            ledger.add("transactions", "customers whose every order was excluded (returns, "
                       "cancellations)", len(emptied),
                       action="kept as customers with 0 orders")
            rfm = pd.concat([rfm, pd.DataFrame({"customer_id": pd.Series(emptied, dtype="string"),
                                                "n_orders": 0, "revenue": 0.0})],
                            ignore_index=True)
        if customers is None:
            table = rfm
        else:
            unknown = ~rfm["customer_id"].isin(customers["customer_id"])
            _check_overlap(rfm["customer_id"], customers["customer_id"], sources)
            if unknown.any():
                ledger.add("transactions", "customer ids not in the customers file",
                           unknown.sum(), rfm.loc[unknown, "revenue"].sum(),
                           "kept as customers with unknown attributes")
            table = customers.merge(rfm, on="customer_id", how="outer")
            table["n_orders"] = table["n_orders"].fillna(0).astype("int64")
            table["revenue"] = table["revenue"].fillna(0.0)
    extra = []
    if "survey" in sources:
        src = sources["survey"]
        extra.append(("survey", _per_customer(load_source("survey", src), "survey", src.path,
                                              ledger, prefix="")))
    if "service" in sources:
        src = sources["service"]
        extra.append(("service", prepare_service(load_source("service", src), src.path, ledger)))
    if "web" in sources:
        src = sources["web"]
        extra.append(("web", prepare_web(load_source("web", src), src.path, ledger, as_of,
                                         src.dayfirst)))
    for name, frame in extra:
        unknown = ~frame.index.isin(table["customer_id"])
        if unknown.any():
            ledger.add(name, "customer ids not in the customer table", unknown.sum(),
                       action="not joined (no customer to attach them to)")
        taken = set(table.columns)
        frame = frame.rename(columns={c: f"{c}_2" for c in frame.columns if c in taken})
        table = table.merge(frame, left_on="customer_id", right_index=True, how="left")
    if "service_contacts" in table.columns:
        table["service_contacts"] = table["service_contacts"].fillna(0).astype("int64")
    brand_ratings = None
    if "brand_ratings" in sources:
        src = sources["brand_ratings"]
        brand_ratings = prepare_brand_ratings(load_source("brand_ratings", src), src.path, ledger)
    table = _plain_dtypes(table.sort_values("customer_id", kind="stable").reset_index(drop=True))
    return Collected(customers=table, transactions=transactions, brand_ratings=brand_ratings,
                     ledger=ledger.frame(), as_of=as_of, sources=list(sources))


def _plain_dtypes(table: pd.DataFrame) -> pd.DataFrame:
    """Nullable numeric columns (Int64, Float64) as NumPy floats, so models and plots take them."""
    table = table.copy()
    for column in table.columns:
        dtype = table[column].dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(
                dtype) and not pd.api.types.is_bool_dtype(dtype):
            table[column] = table[column].astype("float64")
    return table


def ledger_view(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger for reading: one row per source and rule, blanks where nothing applies."""
    view = ledger.set_index(["source", "rule"])
    view["revenue"] = view["revenue"].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return view


def data_dictionary(customers: pd.DataFrame) -> pd.DataFrame:
    """Describe every column of the customer table: meaning, unit, source, coverage."""
    rows = []
    for column in customers.columns:
        meaning, unit, source = FEATURES.get(column, ("as given by the client", "", "client file"))
        if column == "customer_id":
            meaning, unit, source = "the customer's id, joins every source", "id", "all"
        rows.append({"column": column, "meaning": meaning, "unit": unit, "source": source,
                     "filled": float(customers[column].notna().mean())})
    return pd.DataFrame(rows).set_index("column")


def summary_text(collected: Collected) -> str:
    """One paragraph: the sources read, the end of observation, the customers found."""
    text = (f"Sources read: **{', '.join(collected.sources)}**. Customers: "
            f"**{len(collected.customers):,}**.")
    if collected.as_of is not None:
        text += f" End of observation: **{collected.as_of.date()}**."
    if collected.transactions is None:
        text += (" **No transactions in this run**: recency, frequency and monetary value "
                 "cannot be computed, so the workbook segments on the customers' attributes.")
    return text


#: Words for the RFM columns in the tables people read.
RFM_LABELS = {"recency_days": "Days since last order", "n_orders": "Orders",
              "revenue": "Revenue", "avg_order_value": "Average order value",
              "tenure_days": "Days as a customer"}


def rfm_overview(customers: pd.DataFrame) -> pd.DataFrame:
    """Quartiles and mean of recency, frequency and monetary value over buying customers."""
    if "n_orders" not in customers.columns:
        return pd.DataFrame()
    columns = [c for c in RFM_LABELS if c in customers.columns]
    buyers = customers[customers["n_orders"] > 0]
    table = buyers[columns].describe(percentiles=[0.25, 0.5, 0.75]).T
    table = table.drop(columns=["count", "std"]).rename(
        columns={"mean": "mean", "min": "lowest", "25%": "lower quartile", "50%": "median",
                 "75%": "upper quartile", "max": "highest"})
    table.index = [RFM_LABELS[c] for c in table.index]
    return table.round(1)


def quality_summary(collected: Collected) -> pd.DataFrame:
    """Columns of the customer table with missing values, and the share missing."""
    customers = collected.customers
    missing = customers.isna().mean()
    missing = missing[missing > 0].sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"missing": [f"{v:.0%}" for v in missing]}, index=missing.index)


def write_outputs(collected: Collected, run_dir: Path) -> dict[str, Path]:
    """Write the stage's files into the run folder and return them by name."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    out = {"customers": run_dir / "customers.parquet", "ledger": run_dir / "data_quality.csv",
           "collect": run_dir / "collect.json"}
    collected.customers.to_parquet(out["customers"], index=False)
    collected.ledger.to_csv(out["ledger"], index=False)
    if collected.transactions is not None:
        out["transactions"] = run_dir / "transactions.parquet"
        collected.transactions.to_parquet(out["transactions"], index=False)
    if collected.brand_ratings is not None:
        out["brand_ratings"] = run_dir / "brand_ratings.parquet"
        collected.brand_ratings.to_parquet(out["brand_ratings"], index=False)
    meta = {"as_of": None if collected.as_of is None else str(collected.as_of.date()),
            "sources": collected.sources, "customers": len(collected.customers)}
    out["collect"].write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return out


def read_collected(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    """Read the customer table and the collection facts that later stages build on."""
    run_dir = Path(run_dir)
    path = run_dir / "customers.parquet"
    if not path.is_file():
        raise DataError(f"{path} not found: run 01_collect first (or `seglib run` the config)")
    meta = json.loads((run_dir / "collect.json").read_text(encoding="utf-8"))
    return pd.read_parquet(path), meta
