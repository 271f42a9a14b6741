"""Stage 1, data collection: read the client's sources into one row per customer.

Sources are read, never modified. Every rule that changes or excludes rows adds
a line to the data-quality ledger, so nothing disappears silently. The customer
table joins recency, frequency and monetary value (RFM) from the transactions
with the customers' attributes, survey answers, service effort and web activity.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from seglib import i18n, rfm
from seglib.config import (
    CANONICAL_COLUMNS,
    CUSTOMER_COLUMNS,
    RunConfig,
    SourceConfig,
    file_format,
)
from seglib.errors import DataError
from seglib.i18n import msg
from seglib.pii import (
    PII_VALUE_SQL,
    find_pii_columns,
    pii_kind,
    pii_values,
    plain_name,
    pseudonym,
)
from seglib.readers import (
    NS_YEARS,
    normalize_ids,
    parse_dates,
    parse_flags,
    parse_numbers,
    read_table,
    row_of,
)
from seglib.run_folder import RunFolder, TransactionWriter

CHANNELS = ("online", "store", "phone")
_CHANNEL_SYNONYMS = {
    "online": "online", "web": "online", "website": "online", "internet": "online",
    "e-commerce": "online", "ecommerce": "online", "app": "online", "mobile app": "online",
    "store": "store", "in store": "store", "in-store": "store", "shop": "store",
    "retail": "store", "offline": "store", "pos": "store",
    "phone": "phone", "telephone": "phone", "call": "phone", "call centre": "phone",
    "call center": "phone", "hotline": "phone",
    # marketplaces and social selling are online; Vietnamese labels
    "marketplace": "online", "shopee": "online", "lazada": "online", "tiki": "online",
    "tiktok shop": "online", "facebook": "online", "zalo": "online", "trực tuyến": "online",
    "truc tuyen": "online", "cửa hàng": "store", "cua hang": "store", "tại cửa hàng": "store",
    "tai cua hang": "store", "tại quầy": "store", "điện thoại": "phone", "dien thoai": "phone",
    "tổng đài": "phone", "tong dai": "phone",
    # a catalogue order is placed by phone or by mail: remote and assisted, as by phone
    "catalog": "phone", "catalogue": "phone", "mail order": "phone", "mail": "phone",
}
#: The data dictionary: what each computed feature means, its unit and its source.
FEATURES: dict[str, tuple[str, str, str]] = {
    "n_orders": ("number of distinct purchase orders kept after cleaning (refunds and returned "
                 "orders not counted)", "orders", "transactions"),
    "revenue": ("net value: purchases minus the customer's refunds and cancellations (never "
                "below 0)", "currency", "transactions"),
    "gross_revenue": ("total value of the customer's purchase orders, before refunds",
                      "currency", "transactions"),
    "refunds": ("total value of the customer's cancellations and refunds (a positive amount)",
                "currency", "transactions"),
    "refund_rate": ("refunds / gross_revenue", "share", "transactions"),
    "avg_order_value": ("gross_revenue / n_orders: the value of a typical purchase order",
                        "currency per order", "transactions"),
    "first_purchase": ("date and time of the first purchase order", "date", "transactions"),
    "last_purchase": ("date and time of the last purchase order", "date", "transactions"),
    "recency_days": ("calendar days from the last purchase to the end of observation", "days",
                     "transactions"),
    "tenure_days": ("calendar days from the first purchase to the end of observation", "days",
                    "transactions"),
    "orders_per_year": ("n_orders per 365 days of tenure (tenure counted as at least 30 days)",
                        "orders / year", "transactions"),
    "purchase_days": ("distinct days with a purchase", "days", "transactions"),
    "mean_days_between_purchases": ("mean gap between purchase days: (last - first purchase "
                                    "day) / (purchase_days - 1); blank for one purchase day",
                                    "days", "transactions"),
    "repeat_customer": ("more than one purchase order (false: a first-time buyer)", "flag",
                        "transactions"),
    "outlier_orders": ("orders whose value is far above the rest (see the ledger's outlier "
                       "rule); flagged, and capped only when collect.outliers is cap",
                       "orders", "transactions"),
    "margin": ("total gross margin of the customer's purchase orders", "currency",
               "transactions"),
    "margin_rate": ("margin / gross_revenue", "share", "transactions"),
    "online_share": ("share of purchase orders placed online", "share", "transactions"),
    "store_share": ("share of purchase orders placed in a store", "share", "transactions"),
    "phone_share": ("share of purchase orders placed by phone", "share", "transactions"),
    "special_occasion_share": ("share of purchase orders flagged special occasion", "share",
                               "transactions"),
    "returns_rate": ("returned orders / (purchase orders + returned orders)", "share",
                     "transactions"),
    "favourite_category": ("category with the most purchase value", "category",
                           "transactions"),
    "clv_frequency": ("repeat purchases for CLV models: days with a purchase after the first",
                      "periods (days)", "transactions"),
    "clv_recency": ("the customer's age at the last purchase: days from the first to the last "
                    "purchase day", "days", "transactions"),
    "clv_T": ("the customer's age at the end of observation: days from the first purchase day",
              "days", "transactions"),
    "clv_monetary_value": ("mean value of the repeat purchase days (the first day left out; 0 "
                           "without repeats)", "currency", "transactions"),
    "has_email": ("an email address is on file (the address itself is not kept)", "flag",
                  "customers"),
    "has_phone": ("a phone number is on file (the number itself is not kept)", "flag",
                  "customers"),
    "service_contacts": ("number of support contacts", "contacts", "service"),
    "service_effort": ("mean effort score of the support contacts", "1-10", "service"),
    "web_first_visit": ("date of the customer's first recorded web visit", "date", "web"),
    "days_to_first_purchase": ("days from the first web visit to the first purchase",
                               "days", "web + transactions"),
    "buying_psychology": ("instant (bought within a day of the first visit), hesitant (2 to 14 "
                          "days) or researched (more than 14 days)", "category",
                          "web + transactions"),
}

#: Documented client attributes: meaning and unit when the client gives them.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "age": ("age in years", "years"),
    "gender": ("gender as recorded by the client", "category"),
    "income": ("yearly income", "currency / year"),
    "household_size": ("people in the household", "people"),
    "city": ("city (geographic)", "name"),
    "region": ("region or province (geographic)", "name"),
    "distance_to_store_km": ("distance from home to the nearest store (geographic)", "km"),
    "social_followers": ("followers on social media (influence)", "followers"),
    "referrals": ("customers referred (influence)", "customers"),
    "web_savviness": ("self-rated comfort with buying online", "1-5"),
}


@dataclass
class Collected:
    """What the collection stage produces, before it is written to the run folder."""

    customers: pd.DataFrame
    lines: Transactions | None
    brand_ratings: pd.DataFrame | None
    ledger: pd.DataFrame
    as_of: pd.Timestamp | None
    sources: list[str] = field(default_factory=list)
    reads: list[dict] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)
    factors: pd.DataFrame | None = None
    categories: dict[str, str] = field(default_factory=dict)
    #: canonical column -> the client's name for it, where the config mapped one
    source_names: dict[str, str] = field(default_factory=dict)

    @property
    def transactions(self) -> pd.DataFrame | None:
        """Every transaction line with its cleaning ``status`` (fetched from DuckDB)."""
        return None if self.lines is None else self.lines.frame()


class _Ledger:
    """Collects one line per rule that changed or excluded data, in the run's language.

    Rules and actions are catalogue messages (:func:`seglib.i18n.msg`), rendered
    in ``locale`` when they are added, so the ledger reads in the client's language.
    """

    def __init__(self, locale: str = "en") -> None:
        self.locale = locale
        self.rows: list[dict] = []

    def add(self, source: str, rule: str | i18n.Msg, rows: int, revenue: float | None = None,
            action: str | i18n.Msg = "", examples: Iterable[object] = ()) -> None:
        shown = [i18n.render(e, self.locale) for e in list(examples)[:3]]
        self.rows.append({"source": source, "rule": i18n.render(rule, self.locale),
                          "rows": int(rows),
                          "revenue": None if revenue is None else float(revenue),
                          "action": i18n.render(action, self.locale),
                          "examples": ", ".join(shown)})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["source", "rule", "rows", "revenue", "action",
                                                "examples"])


# --------------------------------------------------------------------------- reading


def column_key(name: object) -> str:
    """A column name with case, accents, spaces and underscores ignored.

    ``Marital_Status`` and ``marital status`` both give ``maritalstatus``: how client
    names are matched to ours.
    """
    return plain_name(name).replace("_", "")


#: The canonical columns each source's columns are matched to without a mapping.
KNOWN_COLUMNS = {"customers": CUSTOMER_COLUMNS,
                 "transactions": CANONICAL_COLUMNS["transactions"],
                 "survey": ("customer_id",), "service": ("customer_id",),
                 "web": ("customer_id",),
                 "brand_ratings": ("customer_id", "respondent_id", "brand")}


def header_names(name: str, src: SourceConfig) -> list[str]:
    """The column names of a source file (its header), without reading the data."""
    if file_format(src.path) == "parquet":
        import pyarrow.parquet as pq

        try:
            return [str(n) for n in pq.read_schema(src.path).names]
        except Exception:  # noqa: BLE001 - the full read gives the precise message
            return []
    try:
        head = read_table(src.path, source=name, sheet=src.sheet, sep=src.sep,
                          encoding=src.encoding, nrows=1)
    except DataError:
        return []  # reading the whole file gives the message
    return [str(c) for c in head.columns]


def resolve_columns(src: SourceConfig, names: Iterable[str], source: str
                    ) -> tuple[SourceConfig, dict[str, list[str]]]:
    """The source's mapping completed against the file's header.

    A mapped name that differs from the file's only in case, spaces or underscores is
    taken as the file spells it; an unmapped canonical column (:data:`KNOWN_COLUMNS`)
    whose name matches one of the file's that way (``Income`` -> ``income``) is mapped
    to it, unless two of the file's columns would match. Lists of columns (summed, see
    :data:`seglib.config.SUMMED_COLUMNS`) are returned apart: ``(source with one column
    per canonical name, canonical name -> the columns to sum)``.
    """
    names = [str(n) for n in names]
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(column_key(name), []).append(name)

    def spelled(client: str) -> str:
        if client in names:
            return client
        hits = by_key.get(column_key(client), [])
        return hits[0] if len(hits) == 1 else client  # not found: apply_mapping says so

    columns: dict[str, str] = {}
    summed: dict[str, list[str]] = {}
    for canon, client in src.columns.items():
        if isinstance(client, list):
            summed[canon] = [spelled(c) for c in client]
        else:
            columns[canon] = spelled(client)
    taken = set(columns.values()) | {c for cols in summed.values() for c in cols}
    for canon in KNOWN_COLUMNS.get(source, ()):
        if canon in columns or canon in summed or canon in names \
                or (canon == "customer_id" and src.id_from_row):
            continue
        hits = by_key.get(column_key(canon), [])
        if len(hits) == 1 and hits[0] not in taken:
            columns[canon] = hits[0]
            taken.add(hits[0])
    return src.model_copy(update={"columns": columns}), summed


def apply_mapping(table: pd.DataFrame, src: SourceConfig, source: str) -> pd.DataFrame:
    """Rename the client's columns to canonical names; unmapped columns keep their names."""
    missing = [(canon, col) for canon, col in src.columns.items() if col not in table.columns]
    if missing:
        canon, col = missing[0]
        unnamed = sum(str(c).startswith("Unnamed") or not str(c).strip() for c in table.columns)
        hint = ("; most columns have no name: the header is probably not on the first row "
                "(a title above it?): delete the rows above the header and save again"
                if unnamed * 2 >= len(table.columns) else "")
        raise DataError(
            f"data.{source} ({src.path}): column {col!r} (mapped to {canon!r} in "
            f"data.{source}.columns) is not in the file; its columns are: "
            f"{', '.join(map(str, table.columns))}{hint}"
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


def _no_blanks(blank: pd.Series, source: str, path: Path, label: str, what: str) -> None:
    """Raise a DataError naming the column and the first row where ``blank`` is True."""
    if blank.any():
        raise DataError(
            f"data.{source} ({path}): column {label}: {int(blank.sum())} row(s) have no "
            f"{what}, first at data row {row_of(blank)}; every row needs one"
        )


def _require(table: pd.DataFrame, column: str, source: str, path: Path) -> None:
    if column not in table.columns:
        raise DataError(
            f"data.{source} ({path}): no {column!r} column; map the client's column in "
            f"data.{source}.columns.{column}. Columns found: "
            f"{', '.join(map(str, table.columns))}"
        )


def customer_ids(values: pd.Series, source: str, ledger: _Ledger,
                 keep_pii: bool = False) -> pd.Series:
    """Canonical customer ids; ids that are email addresses or phone numbers are pseudonymised.

    A shop whose customer key is the email address must not see addresses in the
    report, the CRM export or the ledger's examples: unless ``collect.keep_pii``,
    such ids become :func:`pseudonym` s (the same in every source), with a ledger line.
    """
    ids = normalize_ids(values)
    if keep_pii:
        return ids
    kind = pii_kind(ids)
    if kind is None:  # some ids only: those that are an address or a number go
        some = pii_values(ids)
        if some.any():
            ledger.add(source, msg("ledger.ids_some_pii"), int(some.sum()),
                       action=msg("ledger.pseudonyms"), examples=pseudonym(ids[some]).head(3))
            ids = ids.where(~some, pseudonym(ids.where(some)))
        return ids
    ledger.add(source, msg("ledger.ids_email" if kind == "email" else "ledger.ids_phone"),
               int(ids.notna().sum()), action=msg("ledger.pseudonyms"))
    return pseudonym(ids)


def _numbers(values: pd.Series, source: str, label: str, path: Path, ledger: _Ledger,
             src: SourceConfig | None = None, locale: str = "en") -> pd.Series:
    """Parse numbers and money written as text; ambiguities read become ledger lines."""
    numbers, notes = parse_numbers(values, source=source, label=label, path=path,
                                   decimal=src.decimal if src is not None else None,
                                   locale=locale)
    for note in notes:
        ledger.add(source, note, int(values.notna().sum()), action=msg("ledger.read_as_rule_says"))
    return numbers


def _dates(values: pd.Series, source: str, label: str, path: Path, ledger: _Ledger, *,
           dayfirst: bool | None = None, required: bool = False) -> pd.Series:
    """Parse dates; how an ambiguous layout was decided becomes a ledger line."""
    dates, notes = parse_dates(values, source=source, label=label, path=path,
                               dayfirst=dayfirst, required=required)
    for note in notes:
        ledger.add(source, note, int(values.notna().sum()), action=msg("ledger.read_as_rule_says"))
    return dates


def channel_synonyms(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Channel labels (lower case) to online / store / phone: the built-in ones and the config's."""
    return {**_CHANNEL_SYNONYMS, **{k.strip().lower(): v for k, v in (extra or {}).items()}}


def normalize_channel(values: pd.Series, extra: dict[str, str] | None = None) -> pd.Series:
    """Map channel labels to online / store / phone; anything else is kept, lower-cased."""
    synonyms = channel_synonyms(extra)
    text = values.astype("string").str.strip().str.lower()
    return text.map(lambda v: synonyms.get(v, v) if isinstance(v, str) else pd.NA,
                    na_action="ignore").astype("string")


# --------------------------------------------------------------------------- sources


def _canonical_frame(raw: pd.DataFrame, src: SourceConfig, ledger: _Ledger, *,
                     locale: str, keep_pii: bool,
                     channels: dict[str, str] | None = None) -> pd.DataFrame:
    """Parse mapped transaction columns read as text (CSV, Excel, text Parquet) in pandas."""
    path, config_src, src = src.path, src, "transactions"
    _require(raw, "customer_id", src, path)
    _require(raw, "date", src, path)
    tx = raw.rename(columns={c: f"{c}_raw" for c in INTERNAL_COLUMNS if c in raw.columns})
    tx.insert(0, "row_no", np.arange(1, len(tx) + 1, dtype="int64"))
    tx["customer_id"] = customer_ids(tx["customer_id"], src, ledger, keep_pii)
    tx["date"] = _dates(tx["date"], src, _label(raw, "date"), path, ledger,
                        dayfirst=config_src.dayfirst, required=True)
    if "amount" in tx.columns:
        tx["amount"] = _numbers(tx["amount"], src, _label(raw, "amount"), path, ledger,
                                config_src, locale)
    elif "quantity" in tx.columns and "unit_price" in tx.columns:
        quantity = _numbers(tx["quantity"], src, _label(raw, "quantity"), path, ledger,
                            config_src, locale)
        price = _numbers(tx["unit_price"], src, _label(raw, "unit_price"), path, ledger,
                         config_src, locale)
        tx["quantity"], tx["unit_price"] = quantity, price
        tx["amount"] = quantity * price
    else:
        _no_amount(path)
    for column in ("quantity", "unit_price", "margin"):
        if column in tx.columns and not pd.api.types.is_float_dtype(tx[column]):
            tx[column] = _numbers(tx[column], src, _label(raw, column), path, ledger,
                                  config_src, locale)
    _no_blanks(tx["amount"].isna(), src, path, _label(raw, "amount"), "amount")
    if "order_id" in tx.columns:
        tx["order_id"] = normalize_ids(tx["order_id"])
        _no_blanks(tx["order_id"].isna(), src, path, _label(raw, "order_id"), "order id")
    for column in ("special_occasion", "returned", "cancelled"):
        if column in tx.columns:
            tx[column] = _flags(tx[column], src, _label(raw, column), path, ledger, column)
    if "channel" in tx.columns:
        tx["channel"] = normalize_channel(tx["channel"], channels)
    if "category" in tx.columns:
        tx["category"] = tx["category"].astype("string").str.strip().replace("", pd.NA)
        if not keep_pii:  # an address typed as a category would become a column name
            personal = pii_values(tx["category"])
            if personal.any():
                ledger.add(src, msg("ledger.pii_categories", label=_label(raw, "category")),
                           int(personal.sum()), action=msg("ledger.pii_categories.action"))
                tx["category"] = tx["category"].mask(personal)
    return remove_pii(tx, src, ledger, keep_pii)


#: Columns the cleaning adds to every line; a client column of that name is kept as ``<name>_raw``.
INTERNAL_COLUMNS = ("row_no", "line_status")


#: Order statuses that mean the order was cancelled or returned (lower case, accents kept).
STATUS_WORDS = {
    "cancelled": {"cancelled", "canceled", "cancel", "refunded", "refund", "voided", "void",
                  "rejected", "failed", "đã hủy", "hủy", "huỷ", "đã huỷ", "hoàn tiền",
                  "da huy", "huy", "hoan tien"},
    "returned": {"returned", "return", "đã trả hàng", "trả hàng", "hoàn hàng", "da tra hang",
                 "tra hang", "hoan hang"},
}


def _flags(values: pd.Series, source: str, label: str, path: Path, ledger: _Ledger,
           column: str) -> pd.Series:
    """Yes/no flags; for ``cancelled`` and ``returned`` also an order-status text column.

    A status column (``Completed`` / ``Cancelled`` / ``Refunded``) is read as True
    for the words of :data:`STATUS_WORDS` and False for anything else, and the
    ledger lists which values were taken as which.
    """
    try:
        return parse_flags(values, source=source, label=label, path=path)
    except DataError:
        if column not in STATUS_WORDS:
            raise
    text = values.astype("string").str.strip().str.lower()
    flagged = text.isin(STATUS_WORDS[column]).fillna(False).astype(bool)
    counts = values.astype("string").str.strip().value_counts()
    yes = [f"{v!r} ({n})" for v, n in counts.items() if str(v).lower() in STATUS_WORDS[column]]
    no = [f"{v!r} ({n})" for v, n in counts.items() if str(v).lower() not in STATUS_WORDS[column]]
    ledger.add(source, msg("ledger.status_column", label=label, column=column,
                           yes=", ".join(yes) or msg("ledger.none"),
                           no=(", ".join(no[:6]) + (" ..." if len(no) > 6 else ""))
                           or msg("ledger.none")),
               int(flagged.sum()), action=msg("ledger.status_action", column=column))
    return flagged


def _no_amount(path: Path) -> None:
    raise DataError(
        f"data.transactions ({path}): no 'amount' column, and no 'quantity' with "
        f"'unit_price' to compute it; map them in data.transactions.columns"
    )


_NUMBER_TYPES = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*)$")
_INTEGER_TYPES = re.compile(r"^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$")
_TIME_TYPES = re.compile(r"^(DATE|TIMESTAMP(_NS|_MS|_S)?)$")


def _native_select(con: duckdb.DuckDBPyConnection, src: SourceConfig,
                   keep_pii: bool, ledger: _Ledger, source: str,
                   channels: dict[str, str] | None = None) -> str | None:
    """The SQL that reads a file's typed columns as canonical lines, if it can.

    ``source`` is a table DuckDB has already read (typed Parquet, or a CSV file
    whose columns DuckDB typed as numbers and ISO dates). When the mapped columns
    have the right types (numbers for money, timestamps or dates for dates,
    integers or text for ids, booleans for flags) the lines are checked and
    cleaned by DuckDB without passing through pandas. Any other type (dates or
    money written as text, 1/0 flags) returns None: the file then goes through
    the pandas parsers, which read every client convention and name bad values.
    """
    path = src.path
    schema = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    types = {name: kind for name, kind, *_ in schema if name != "__row_no"}
    rename = {client: canon for canon, client in src.columns.items()}
    missing = [(canon, col) for canon, col in src.columns.items() if col not in types]
    if missing:
        return None  # apply_mapping gives the message
    canon = {}
    for name in types:
        if name in rename:
            canon[rename[name]] = name
        elif name in src.columns or name in INTERNAL_COLUMNS:  # unmapped, but named like a
            canon[f"{name}_raw"] = name                        # mapped or internal column
        else:
            canon[name] = name
    if not {"customer_id", "date"} <= set(canon):
        return None

    def typed(key: str, pattern: re.Pattern) -> bool:
        return key not in canon or bool(pattern.match(types[canon[key]]))

    ok = (typed("date", _TIME_TYPES) or types[canon["date"]] == "TIMESTAMP WITH TIME ZONE")
    ok &= all(typed(k, _NUMBER_TYPES) for k in ("amount", "quantity", "unit_price", "margin"))
    ok &= all(key not in canon or types[canon[key]] == "VARCHAR"
              or _INTEGER_TYPES.match(types[canon[key]]) for key in ("customer_id", "order_id"))
    ok &= all(key not in canon or types[canon[key]] == "BOOLEAN"
              for key in ("special_occasion", "returned", "cancelled"))
    ok &= all(key not in canon or types[canon[key]] == "VARCHAR" for key in ("channel", "category"))
    if not ok:
        return None
    if "amount" not in canon and not {"quantity", "unit_price"} <= set(canon):
        _no_amount(path)

    def col(key: str) -> str:
        return _sql_ident(canon[key])

    def ident(key: str) -> str:
        name = col(key)
        if types[canon[key]] == "VARCHAR":  # as normalize_ids: 17850.0 is 17850
            text = f"nullif(regexp_replace(nfc_normalize(trim({name})), '\\.0$', ''), '')"
            if key == "customer_id" and not keep_pii:
                sample = con.execute(f"SELECT {name} FROM {source} LIMIT 2000").df()[canon[key]]
                kind = pii_kind(sample)
                if kind is not None:  # as customer_ids: pseudonyms, never the addresses
                    count = con.execute(f"SELECT count({text}) FROM {source}").fetchall()[0][0]
                    ledger.add("transactions", msg("ledger.ids_email" if kind == "email"
                                                   else "ledger.ids_phone"), count,
                               action=msg("ledger.pseudonyms"))
                    return f"'h_' || left(sha256(lower({text})), 16)"
                some = PII_VALUE_SQL.format(text=text)
                count = con.execute(f"SELECT count(*) FROM {source} WHERE {some}").fetchall()[0][0]
                if count:  # some ids only: each address or number becomes its pseudonym
                    ledger.add("transactions", msg("ledger.ids_some_pii"), count,
                               action=msg("ledger.pseudonyms"))
                    return (f"CASE WHEN {some} THEN 'h_' || left(sha256(lower({text})), 16) "
                            f"ELSE {text} END")
            return text
        return name  # integer ids stay integers in DuckDB: text only for the final table

    select = ["__row_no AS row_no",
              f"{ident('customer_id')} AS customer_id"]
    if "order_id" in canon:
        select.append(f"{ident('order_id')} AS order_id")
    date = col("date")
    if types[canon["date"]] == "TIMESTAMP WITH TIME ZONE":
        date = f"timezone('UTC', {date})"
    select.append(f"CAST({date} AS TIMESTAMP) AS date")
    for key in ("quantity", "unit_price", "margin"):
        if key in canon:
            select.append(f"CAST({col(key)} AS DOUBLE) AS {key}")
    select.append(f"CAST({col('amount')} AS DOUBLE) AS amount" if "amount" in canon else
                  f"CAST({col('quantity')} AS DOUBLE) * CAST({col('unit_price')} AS DOUBLE) "
                  f"AS amount")
    for key in ("special_occasion", "returned", "cancelled"):
        if key in canon:
            select.append(f"{col(key)} AS {key}")
    if "channel" in canon:
        cases = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(v)}"
                         for k, v in channel_synonyms(channels).items())
        select.append(f"CASE lower(trim({col('channel')})) {cases} "
                      f"ELSE nullif(lower(trim({col('channel')})), '') END AS channel")
    if "category" in canon:
        category = f"nullif(trim({col('category')}), '')"
        if not keep_pii:  # an address typed as a category would become a column name
            personal = PII_VALUE_SQL.format(text=category)
            count = con.execute(f"SELECT count(*) FROM {source} WHERE {personal}").fetchall()[0][0]
            if count:
                ledger.add("transactions", msg("ledger.pii_categories",
                                               label=_labels(src).get("category", "'category'")),
                           count, action=msg("ledger.pii_categories.action"))
                category = f"CASE WHEN {personal} THEN NULL ELSE {category} END"
        select.append(f"{category} AS category")
    known = set(CANONICAL_COLUMNS["transactions"])
    extras = {key: name for key, name in canon.items() if key not in known}
    if extras:
        sample = con.execute(
            f"SELECT {', '.join(f'{_sql_ident(n)} AS {_sql_ident(k)}' for k, n in extras.items())}"
            f" FROM {source} LIMIT 2000").df()
        kept = remove_pii(sample, "transactions", ledger, keep_pii)
        select += [f"{_sql_ident(name)} AS {_sql_ident(key)}" for key, name in extras.items()
                   if key in kept.columns]
    return f"SELECT {', '.join(select)} FROM {source}"


def _read_natively(con: duckdb.DuckDBPyConnection, src: SourceConfig, config: RunConfig,
                   ledger: _Ledger) -> dict | None:
    """Read typed Parquet, or plain UTF-8 CSV, into ``tx_in`` with DuckDB; None if it cannot.

    CSV is taken by DuckDB only in the plain case: UTF-8, ISO dates, numbers
    with a decimal point (locale en, or ``decimal: "."``), no day-first setting.
    Ids are read as text (leading zeros kept). Any doubt (a type DuckDB cannot
    give, a value it cannot convert, another encoding) falls back to the pandas
    parsers, which give the precise message for a bad value.
    """
    path = src.path
    kind = file_format(path)
    if not path.is_file() or not path.stat().st_size:
        return None
    local = _Ledger(config.locale)
    if kind == "parquet":
        with path.open("rb") as handle:
            if handle.read(4) != b"PAR1":
                raise DataError(f"data.transactions ({path}): not a Parquet file (it does not "
                                f"start with the Parquet marker PAR1); if it is CSV text, give "
                                f"it the .csv ending")
        source = f"read_parquet({_sql_text(str(path))}, file_row_number = true)"
        try:
            con.execute(f"CREATE TEMP VIEW tx_file AS SELECT CAST(file_row_number + 1 AS BIGINT) "
                        f"AS __row_no, * EXCLUDE (file_row_number) FROM {source}")
        except duckdb.Error as err:
            raise DataError(f"data.transactions ({path}): cannot be read as Parquet: "
                            f"{str(err).splitlines()[0]}") from err
        reader = "DuckDB (typed Parquet)"
    elif kind == "csv" and _plain_csv(src, config):
        # The first rows through the pandas reader: the header's checks (duplicated or
        # blank names, ...) and the detected delimiter, which DuckDB is then told to use.
        head = read_table(path, source="transactions", sep=src.sep, encoding=src.encoding,
                          nrows=1000)
        head_read = head.attrs.get("read", {})
        if not str(head_read.get("encoding", "")).lower().startswith("utf"):
            return None
        # ids as text, mapped or not: DuckDB's type sniffing would read 0007 as 7
        ids = {src.columns.get(key, key) for key in ("customer_id", "order_id")}
        ids = {col: "VARCHAR" for col in ids if col in head.columns}
        options = ["header = true", "dateformat = '%Y-%m-%d'",
                   "timestampformat = '%Y-%m-%d %H:%M:%S'", "strict_mode = true",
                   f"delim = {_sql_text(head_read.get('delimiter') or src.sep or ',')}"]
        if ids:
            types = ", ".join(f"{_sql_text(c)}: 'VARCHAR'" for c in ids)
            options.append(f"types = {{{types}}}")
        try:
            con.execute(f"CREATE TEMP TABLE csv_file AS SELECT * FROM "
                        f"read_csv({_sql_text(str(path))}, {', '.join(options)})")
            con.execute("CREATE TEMP VIEW tx_file AS SELECT CAST(rowid + 1 AS BIGINT) AS __row_no, "
                        "* FROM csv_file")
            names = [row[0] for row in con.execute("DESCRIBE csv_file").fetchall()]
        except duckdb.Error:
            _drop(con)
            return None
        if names != [str(c) for c in head.columns]:  # DuckDB saw another header: let pandas
            _drop(con)
            return None
        reader = "DuckDB (CSV with typed columns)"
    else:
        return None
    select = _native_select(con, src, config.collect.keep_pii, local, "tx_file",
                            config.collect.channels)
    if select is None:
        _drop(con)
        return None
    try:
        con.execute(f"CREATE TEMP TABLE tx_in AS {select}")
    except duckdb.Error:
        _drop(con)
        return None
    ledger.rows.extend(local.rows)
    read = {"reader": reader}
    if kind == "csv":
        read.update({k: v for k, v in head_read.items() if k not in ("rows", "notes")})
    return read


def _plain_csv(src: SourceConfig, config: RunConfig) -> bool:
    decimal = src.decimal or ("," if config.locale == "vi" else ".")
    if decimal != "." or src.dayfirst is not None:
        return False
    if src.encoding and src.encoding.lower().replace("_", "-") not in ("utf-8", "utf8",
                                                                       "utf-8-sig"):
        return False
    with src.path.open("rb") as handle:
        head = handle.read(65536)
    if src.path.suffix.lower() == ".gz":
        import gzip

        try:
            with gzip.open(src.path, "rb") as handle:
                head = handle.read(65536)
        except OSError:
            return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start > len(head) - 4  # a character cut by the sample's end is fine
    return True


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for statement in ("DROP VIEW IF EXISTS tx_file", "DROP TABLE IF EXISTS csv_file",
                      "DROP TABLE IF EXISTS tx_in"):
        con.execute(statement)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


#: The largest amount a line may have: money is summed exactly as DECIMAL(18, 6), which holds
#: up to 10^12 (a trillion, in any currency: a line above it is a typo such as 1e308).
MAX_AMOUNT = 1e12


def _check_lines(con: duckdb.DuckDBPyConnection, path: Path, labels: dict[str, str]) -> None:
    """Blank or infinite values in the columns every line needs: a DataError naming the row.

    One pass over the lines counts every check and its first row.
    """
    need = "every row needs one"
    limit = (f"correct the value (money is summed exactly up to {MAX_AMOUNT:,.0f}, far above "
             f"any real order)")
    checks = [("date", "date IS NULL", "no date", need),
              ("amount", "amount IS NULL", "no amount", need),
              ("amount", "isinf(amount) OR isnan(amount)", "an infinite amount", need),
              ("amount", f"abs(amount) >= {MAX_AMOUNT:g}",
               f"an amount of {MAX_AMOUNT:,.0f} or more", limit)]
    columns = {row[0] for row in con.execute("DESCRIBE tx_in").fetchall()}
    if "margin" in columns:
        checks.append(("margin", f"abs(margin) >= {MAX_AMOUNT:g}",
                       f"a margin of {MAX_AMOUNT:,.0f} or more", limit))
    if "order_id" in columns:
        checks.append(("order_id", "order_id IS NULL", "no order id", need))
    parts = ", ".join(f"count(*) FILTER (WHERE {condition}), min(row_no) FILTER (WHERE "
                      f"{condition})" for _, condition, _, _ in checks)
    found = con.execute(f"SELECT {parts} FROM tx_in").fetchall()[0]
    for k, (column, _, what, advice) in enumerate(checks):
        count, first = found[2 * k], found[2 * k + 1]
        if count:
            raise DataError(
                f"data.transactions ({path}): column {labels.get(column, repr(column))}: "
                f"{count} row(s) have {what}, first at data row {first}; {advice}"
            )


def _labels(src: SourceConfig) -> dict[str, str]:
    return {canon: (f"{client!r} (mapped to {canon!r})" if client != canon else repr(canon))
            for canon, client in src.columns.items()}


#: Orders dated before this year are a placeholder ("1900-01-01": an export's "no date"),
#: not a purchase: they would make a customer 45,000 days old.
FIRST_ORDER_YEAR = 1970


def _check_placeholder_dates(con: duckdb.DuckDBPyConnection, path: Path | str,
                             label: str, as_of: pd.Timestamp) -> None:
    """Stop at orders dated before :data:`FIRST_ORDER_YEAR`, naming the first row."""
    first = pd.Timestamp(year=FIRST_ORDER_YEAR, month=1, day=1).to_pydatetime()
    count, = con.execute("SELECT count(*) FROM tx_in WHERE date < ?", [first]).fetchall()[0]
    if not count:
        return
    row_no, date, customer = con.execute(
        "SELECT row_no, date, CAST(customer_id AS VARCHAR) FROM tx_in WHERE date < ? "
        "ORDER BY row_no LIMIT 1", [first]).fetchall()[0]
    raise DataError(
        f"data.transactions ({path}): column {label}: {count} order(s) are dated before "
        f"{FIRST_ORDER_YEAR}, e.g. {pd.Timestamp(date).date()} at data row {row_no} for "
        f"customer {customer!r}: a placeholder for 'no date', not a purchase (it would make "
        f"the customer {(as_of - pd.Timestamp(date)).days:,} days old); correct "
        f"the dates or leave those rows out")


def default_as_of(con: duckdb.DuckDBPyConnection, path: Path | str = "",
                  label: str = "'date'") -> pd.Timestamp:
    """End of observation when none is configured: midnight after the last order.

    An order dated after the run's own clock (a typo such as 2205 for 2025) would
    make every customer look lapsed: it is a DataError naming the row. This is the
    only place the clock is read, as a sanity bound, never as the end of observation.

    Raises
    ------
    DataError
        If an order is dated in the future.
    """
    limit = (pd.Timestamp.now() + pd.Timedelta(days=1)).to_pydatetime()
    count, = con.execute("SELECT count(*) FROM tx_in WHERE date > ?", [limit]).fetchall()[0]
    if count:
        columns = {row[0] for row in con.execute("DESCRIBE tx_in").fetchall()}
        order = "order_id" if "order_id" in columns else "NULL"
        row_no, date, customer, order = con.execute(
            f"SELECT row_no, date, CAST(customer_id AS VARCHAR), {order} FROM tx_in "
            f"WHERE date > ? ORDER BY row_no LIMIT 1", [limit]).fetchall()[0]
        of_order = f" (order {order!r})" if order is not None else ""
        raise DataError(
            f"data.transactions ({path}): column {label}: {count} order(s) are dated in the "
            f"future, "
            f"e.g. {pd.Timestamp(date)} at data row {row_no} for customer {customer!r}"
            f"{of_order}; correct them, or set collect.as_of to end the observation "
            f"before them"
        )
    last, = con.execute("SELECT max(date) FROM tx_in").fetchall()[0]
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def _ledger_unknown_channels(con: duckdb.DuckDBPyConnection, ledger: _Ledger,
                             label: str) -> None:
    rows = con.execute("""
        SELECT channel, count(*) AS n FROM tx_in
        WHERE channel IS NOT NULL AND channel NOT IN ('online', 'store', 'phone')
        GROUP BY channel ORDER BY n DESC, channel
    """).fetchall()
    if rows:
        shown = ", ".join(f"{label!r} ({n})" for label, n in rows[:5])
        ledger.add("transactions", msg("ledger.channels_unknown", label=label,
                                       shown=shown + (" ..." if len(rows) > 5 else "")),
                   sum(n for _, n in rows), action=msg("ledger.channels_action"))


def _orders_in_file_order(con: duckdb.DuckDBPyConnection) -> bool | None:
    """What the lines' order says about the order ids, without grouping them.

    Exports are often sorted by order number. When the order ids only increase
    from one line to the next, every order is one line (True); when they never
    decrease and the lines of one order share their customer, the orders are
    whole runs of lines with one customer each (False). Anything else (None) needs
    the grouping of :func:`_check_order_owners`. One pass over two columns.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = con.sql("SELECT row_no, order_id, customer_id FROM tx_in").to_arrow_table()
    if lines.num_rows < 2:
        return True
    row_no, order, customer = (lines[name] for name in ("row_no", "order_id", "customer_id"))
    n = lines.num_rows
    try:
        if not pc.all(pc.greater(row_no.slice(1), row_no.slice(0, n - 1))).as_py():
            return None
        later, earlier = order.slice(1), order.slice(0, n - 1)
        if pc.all(pc.greater(later, earlier)).as_py():
            return True
        if not pc.all(pc.greater_equal(later, earlier)).as_py():
            return None
        same = pc.equal(later, earlier)
        owners = pc.equal(customer.slice(1), customer.slice(0, n - 1))
        if customer.null_count:  # a blank customer inside an order: let the grouping decide
            return None
        return False if pc.all(pc.or_(pc.invert(same), owners)).as_py() else None
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # ids of a type without order
        return None


def _check_order_owners(con: duckdb.DuckDBPyConnection, path: Path, label: str) -> bool:
    """Stop when an order id belongs to two customers; True when every order is one line.

    When the file's order settles it (see :func:`_orders_in_file_order`) nothing
    is grouped. Otherwise one pass over the lines grouped by order id gives both:
    an order with two customers is an error naming its rows, and when no order has
    a second line the lines are the orders (no exact duplicate is possible).
    """
    settled = _orders_in_file_order(con)
    if settled is not None:
        return settled
    multi, shared = con.execute("""
        SELECT count(*) FILTER (WHERE lines > 1), count(*) FILTER (WHERE lo <> hi) FROM (
            SELECT order_id, count(*) AS lines, min(customer_id) AS lo, max(customer_id) AS hi
            FROM tx_in GROUP BY order_id)
    """).fetchall()[0]
    if shared:
        order, = con.execute("""
            SELECT order_id FROM tx_in WHERE customer_id IS NOT NULL GROUP BY order_id
            HAVING min(customer_id) <> max(customer_id) ORDER BY min(row_no) LIMIT 1
        """).fetchall()[0]
        rows = [r[0] for r in con.execute(
            "SELECT row_no FROM tx_in WHERE order_id = ? ORDER BY row_no LIMIT 4",
            [order]).fetchall()]
        raise DataError(
            f"data.transactions ({path}): column {label}: {shared} order id(s) belong to more "
            f"than one customer, e.g. {order!r} at data rows {', '.join(map(str, rows))}; an "
            f"order has one customer"
        )
    return multi == 0


@dataclass
class Transactions:
    """Transaction lines held by DuckDB (table ``tx``, one status per line)."""

    con: duckdb.DuckDBPyConnection
    path: Path
    as_of: pd.Timestamp
    rules: rfm.Rules
    read: dict
    #: held while the lines are written to the run folder (DuckDB is used by one thread)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def frame(self) -> pd.DataFrame:
        """All lines with their status, as a pandas DataFrame (small runs and tests)."""
        with self.lock:
            return self.con.execute("SELECT * FROM tx ORDER BY row_no").df()


def load_transactions(src: SourceConfig, config: RunConfig, ledger: _Ledger,
                      test_ids: Iterable[str] = ()) -> Transactions:
    """Read, check and flag the transaction lines; every status is a ledger line."""
    path = src.path
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    read = {"file": str(path), "format": file_format(path)}
    labels = _labels(src)
    native = _read_natively(con, src, config, ledger)
    if native is not None:
        try:
            _check_lines(con, path, labels)
        except DataError:  # the pandas parsers name the bad value exactly
            _drop(con)
            native = None
    if native is not None:
        read.update(native)
    else:
        raw = load_source("transactions", src)
        _ledger_blank_rows("transactions", raw, ledger)
        read.update(raw.attrs.get("read", {}))
        read["reader"] = "pandas (parsed as text)"
        frame = _canonical_frame(raw, src, ledger, locale=config.locale,
                                 keep_pii=config.collect.keep_pii,
                                 channels=config.collect.channels)
        con.register("tx_frame", frame)
        con.execute("CREATE TEMP TABLE tx_in AS SELECT * FROM tx_frame ORDER BY row_no")
        con.unregister("tx_frame")
        _check_lines(con, path, labels)
    columns = {row[0] for row in con.execute("DESCRIBE tx_in").fetchall()}
    n_rows, = con.execute("SELECT count(*) FROM tx_in").fetchall()[0]
    if "channel" in columns:
        _ledger_unknown_channels(con, ledger, labels.get("channel", "'channel'"))
    read["rows"] = n_rows
    if n_rows == 0:
        raise DataError(f"data.transactions ({path}): the file has a header but no data rows")
    row_order_ids = "order_id" not in columns
    single_line_orders = False
    if row_order_ids:
        ledger.add("transactions", msg("ledger.no_order_id"), n_rows,
                   action=msg("ledger.order_id_row"))
    else:
        single_line_orders = _check_order_owners(con, path, labels.get("order_id", "'order_id'"))
    as_of = (pd.Timestamp(config.collect.as_of) if config.collect.as_of
             else default_as_of(con, path, labels.get("date", "'date'")))
    _check_placeholder_dates(con, path, labels.get("date", "'date'"), as_of)
    rules = rfm.Rules(as_of=as_of if config.collect.as_of else None,
                      test_accounts=tuple(config.collect.test_accounts),
                      cancelled_orders=config.collect.cancelled_orders,
                      outlier_iqr=config.collect.outlier_iqr,
                      cap_outliers=config.collect.outliers == "cap",
                      row_order_ids=row_order_ids, single_line_orders=single_line_orders,
                      has_test_ids=bool(test_ids))
    if test_ids:
        con.register("test_frame", pd.DataFrame({"customer_id": pd.Series(test_ids,
                                                                           dtype="string")}))
        con.execute("CREATE TEMP TABLE test_ids AS SELECT CAST(customer_id AS VARCHAR) "
                    "AS customer_id FROM test_frame")
        con.unregister("test_frame")
    rfm.flag_lines(con, rules)
    _ledger_statuses(con, ledger)
    return Transactions(con=con, path=path, as_of=as_of, rules=rules, read=read)


def _ledger_statuses(con: duckdb.DuckDBPyConnection, ledger: _Ledger) -> None:
    counts = rfm.status_counts(con)
    ledger.add("transactions", msg("ledger.rows_read"), int(counts["rows"].sum()),
               float(counts["revenue"].sum()), "")
    for row in counts.itertuples(index=False):
        rule, action = status_rule(row.status)
        ledger.add("transactions", rule, row.rows, row.revenue, action,
                   examples=list(row.examples))


def status_rule(status: str) -> tuple[i18n.Msg, i18n.Msg]:
    """The ledger's rule and action for a line status of :data:`seglib.rfm.STATUS_RULES`."""
    action = {"future": "ledger.excluded", "test_account": "ledger.excluded",
              "zero_price": "ledger.excluded"}.get(status, f"ledger.status.{status}.action")
    return msg(f"ledger.status.{status}"), msg(action)


def _ledger_outliers(transactions: Transactions, customers: pd.DataFrame, ledger: _Ledger,
                     config: RunConfig) -> None:
    bound = transactions.read.get("outlier_bound")
    flagged = int(customers["outlier_orders"].sum())
    if bound is None or not flagged:
        return
    value, = transactions.con.execute(
        "SELECT CAST(sum(raw_value) AS DOUBLE) FROM orders WHERE raw_value > ?",
        [bound]).fetchall()[0]
    capped = config.collect.outliers == "cap"
    examples = customers.loc[customers["outlier_orders"] > 0, "customer_id"].head(3)
    ledger.add("transactions",
               msg("ledger.outliers", bound=float(bound), iqr=f"{config.collect.outlier_iqr:g}"),
               flagged, value - flagged * bound if capped else value,
               msg("ledger.outliers_capped", bound=float(bound)) if capped
               else msg("ledger.outliers_flagged"),
               examples=[msg("ledger.customer_example", id=c) for c in examples])


def _nothing_left(transactions: Transactions, config: RunConfig) -> None:
    counts = rfm.status_counts(transactions.con).set_index("status")["rows"]
    path = transactions.path
    if counts.get("future", 0) and counts.drop(["future", "duplicate"], errors="ignore").sum() \
            == 0:
        raise DataError(
            f"data.transactions ({path}): no transactions left before the end of observation "
            f"(collect.as_of = {config.collect.as_of}); every order is dated on or after it: "
            f"check collect.as_of"
        )
    parts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())
    raise DataError(
        f"data.transactions ({path}): every transaction was excluded ({parts} lines; see the "
        f"ledger rules): no purchase is left to describe customers with"
    )


def customer_rfm(transactions: Transactions) -> pd.DataFrame:
    """One row per customer from the flagged lines (see :mod:`seglib.rfm`)."""
    table, cap = rfm.customer_table(transactions.con, transactions.rules, transactions.as_of)
    transactions.read["outlier_bound"] = cap
    if any(c.startswith("category_share_") for c in table.columns):
        transactions.read["categories"] = rfm.category_columns(rfm.top_categories(
            transactions.con))
    # the SQL gives the ids as normalised text (see _native_select), sorted
    table["customer_id"] = table["customer_id"].astype("string")
    for column in ("first_purchase", "last_purchase"):
        table[column] = table[column].astype("datetime64[ns]")
    if not table["customer_id"].is_monotonic_increasing:
        table = table.sort_values("customer_id", kind="stable")
    return table.reset_index(drop=True)


def _customers_without_purchases(transactions: Transactions, per_customer: pd.DataFrame,
                                 ledger: _Ledger) -> pd.DataFrame:
    """Keep, as customers with 0 orders, those all of whose lines were excluded.

    A customer whose only lines are at a zero price, duplicates or dated after the end of
    observation would otherwise vanish from the customer table: they are kept with 0
    orders (and no purchase features) and counted in one ledger line per reason. Test
    accounts stay out (they are not customers).
    """
    missing = transactions.con.execute("""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id,
               min(line_status) AS status, count(*) AS lines
        FROM tx WHERE customer_id IS NOT NULL AND line_status <> 'test_account'
        GROUP BY customer_id
        HAVING bool_and(line_status IN ('zero_price', 'duplicate', 'future'))
        ORDER BY customer_id
    """).df()
    missing = missing[~missing["customer_id"].isin(per_customer["customer_id"])]
    if missing.empty:
        return per_customer
    ledger.add("transactions", msg("ledger.no_purchase_line"), len(missing),
               action=msg("ledger.all_refunded.action"),
               examples=missing["customer_id"].head(3))
    added = pd.DataFrame({"customer_id": missing["customer_id"].astype("string")})
    table = pd.concat([per_customer, added], ignore_index=True)
    for column in ("n_orders", "outlier_orders", "purchase_days"):
        if column in table:
            table[column] = table[column].fillna(0).astype("int64")
    for column in ("revenue", "gross_revenue", "refunds", "margin"):
        if column in table:
            table[column] = table[column].fillna(0.0)
    if "repeat_customer" in table:
        table["repeat_customer"] = table["repeat_customer"].fillna(False).astype(bool)
    return table.sort_values("customer_id", kind="stable").reset_index(drop=True)


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


def remove_pii(table: pd.DataFrame, source: str, ledger: _Ledger, keep: bool,
               flags: bool = False) -> pd.DataFrame:
    """Drop columns of personal data, found by their name or by what they hold.

    With ``flags``, ``has_email`` / ``has_phone`` record that a contact is on file
    (the customers source), so that reachability survives without the contact itself.
    """
    # product descriptions are free text too, but about products: only the customer-level
    # sources drop free text (notes, addresses)
    found = find_pii_columns(table, free_text=source != "transactions")
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
        ledger.add(source, msg("ledger.pii_columns", columns=", ".join(map(str, found))),
                   len(table), action=msg("ledger.pii_removed"))
    return table


def test_account_mask(table: pd.DataFrame, patterns: Iterable[str]) -> pd.Series:
    """True for rows whose customer id, or an email column, matches a test-account pattern.

    Patterns are shell-style and case-insensitive: ``test*`` matches the id
    ``TEST-001``, ``*@example.com`` any address at example.com.
    """
    patterns = [p.lower() for p in patterns]
    mask = pd.Series(False, index=table.index)
    if not patterns:
        return mask
    columns = ["customer_id"] + [c for c in table.columns if c != "customer_id"
                                 and pii_kind(table[c]) == "email"]
    for column in columns:
        text = table[column].astype("string").str.strip().str.lower()
        mask |= text.map(lambda v: isinstance(v, str) and any(fnmatch.fnmatchcase(v, p)
                                                                for p in patterns),
                         na_action="ignore").fillna(False).astype(bool)
    return mask


#: Canonical customer columns that hold dates, whatever the client called them.
_DATE_COLUMNS = ("signup_date", "last_purchase", "birth_date")
_DATE_NAME = re.compile(r"(^|_)(date|dt|dob|birthday|ngay(_\w+)?)($|_)|_at$|_on$")


def _dates_where_named(table: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                       src: SourceConfig | None) -> pd.DataFrame:
    """Columns named like dates (``signup_date``, ``created_at``, ``Ngày đăng ký``) as dates.

    Text and Excel serial numbers are parsed as in the transactions; a column
    that does not parse stays as it is, with a ledger line saying why.
    """
    table = table.copy()
    for column in table.columns:
        if (column == "customer_id" or not (column in _DATE_COLUMNS
                                            or _DATE_NAME.search(plain_name(column)))
                or pd.api.types.is_datetime64_any_dtype(table[column])):
            continue
        values = table[column]
        if not pd.api.types.is_numeric_dtype(values):  # a "no end" 9999-12-31 is no date
            text = values.astype("string").str.strip()
            year = pd.to_numeric(text.str.extract(r"^(\d{4})\b", expand=False),
                                 errors="coerce")
            far = (year > NS_YEARS[1]) | (year < NS_YEARS[0])
            far = far.fillna(False).astype(bool)
            if far.any():
                ledger.add(source, msg("ledger.far_dates", column=_label(table, column)),
                           int(far.sum()), action=msg("ledger.set_missing"),
                           examples=text[far].head(3))
                table[column] = values.mask(far)
        try:
            table[column] = _dates(table[column], source, _label(table, column), path, ledger,
                                   dayfirst=src.dayfirst if src is not None else None)
        except DataError as err:
            reason = str(err).split(": ", 2)[-1]
            ledger.add(source, msg("ledger.not_dates", column=repr(column), reason=reason),
                       int(table[column].notna().sum()), action=msg("ledger.kept_as_given"))
    return table


def prepare_customers(raw: pd.DataFrame, path: Path, ledger: _Ledger, keep_pii: bool,
                      test_accounts: Iterable[str] = (), src: SourceConfig | None = None,
                      locale: str = "en", summed: dict[str, list[str]] | None = None,
                      as_of: object = None, channels: dict[str, str] | None = None,
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Return the customers table (canonical ids, numbers parsed, PII removed) and test ids.

    Customers matching a ``collect.test_accounts`` pattern are taken out (a ledger
    line) and their ids returned, so that their orders are excluded too. Behaviour a
    CRM export already sums per customer (``summed`` lists, ``birth_year``,
    ``last_purchase``, ...) becomes the canonical columns, see :func:`customer_behaviour`.
    """
    config_src, src = src, "customers"
    _require(raw, "customer_id", src, path)
    customers = raw.copy()
    tests = test_account_mask(customers.assign(customer_id=normalize_ids(
        customers["customer_id"])), test_accounts)
    customers["customer_id"] = customer_ids(customers["customer_id"], src, ledger, keep_pii)
    id_label = _label(raw, "customer_id")
    _no_blanks(customers["customer_id"].isna(), src, path, id_label, "customer id")
    dupes = customers["customer_id"].duplicated()
    if dupes.any():
        raise DataError(
            f"data.customers ({path}): column {id_label}: {int(dupes.sum())} id(s) appear more "
            f"than once, first at data row {row_of(dupes)}: "
            f"{customers['customer_id'][dupes].iloc[0]!r}; the customers file needs one row per "
            f"customer"
        )
    ledger.add(src, msg("ledger.rows_read"), len(customers))
    customers = remove_pii(customers, src, ledger, keep_pii, flags=True)
    customers = _dates_where_named(customers, "customers", path, ledger, config_src)
    customers = _numeric_where_possible(customers, "customers", path, ledger,
                                        exclude={"customer_id"}, src=config_src, locale=locale)
    test_ids = customers.loc[tests, "customer_id"].tolist()
    if tests.any():
        ledger.add(src, msg("ledger.status.test_account"), tests.sum(),
                   action=msg("ledger.excluded"),
                   examples=test_ids[:3])
        customers = customers[~tests].reset_index(drop=True)
    customers = _check_ranges(customers, "customers", ledger)
    _customer_table_findings(customers, "customers", ledger)  # on the client's columns
    customers = customer_behaviour(customers, summed or {}, path, ledger, as_of=as_of,
                                   channels=channels)
    return customers, test_ids


def _words(name: str) -> list[str]:
    """A column name's words: split at spaces, underscores, hyphens and camelCase."""
    return [w for part in re.split(r"[\s_\-.]+", str(name))
            for w in re.split(r"(?<=[a-z])(?=[A-Z])", part) if w]


def _parts(names: list[str]) -> dict[str, str]:
    """Each summed column -> the words that tell it apart from the others.

    The words every name shares at its start and its end are dropped: ``MntWines``,
    ``MntFruits`` -> ``Wines``, ``Fruits``; ``NumWebPurchases``, ``NumStorePurchases``
    -> ``Web``, ``Store``. A name left with nothing keeps all its words.
    """
    words = {n: _words(n) for n in names}
    if len(names) < 2:
        return {n: " ".join(w) for n, w in words.items()}
    lists = list(words.values())
    prefix = 0
    while all(len(w) > prefix for w in lists) and len({w[prefix] for w in lists}) == 1:
        prefix += 1
    suffix = 0
    while all(len(w) > prefix + suffix for w in lists) \
            and len({w[-1 - suffix] for w in lists}) == 1:
        suffix += 1
    return {n: " ".join(w[prefix:len(w) - suffix]) or " ".join(w) for n, w in words.items()}


def customer_behaviour(table: pd.DataFrame, summed: dict[str, list[str]], path: Path,
                       ledger: _Ledger, *, as_of: object = None,
                       channels: dict[str, str] | None = None) -> pd.DataFrame:
    """Canonical behaviour columns from a customers file that already sums it per customer.

    * ``revenue`` mapped to a list of spend columns: their sum, and each column's share
      of it as ``category_share_<category>`` (the category is what sets the column's
      name apart: ``MntWines``, ``MntFruits`` -> ``Wines``, ``Fruits``);
    * ``n_orders`` mapped to a list of order counts per channel: their sum, and
      ``online_share`` / ``store_share`` / ``phone_share`` where the column names a known
      channel (``NumWebPurchases`` -> web -> online); a count of no known channel is a
      ledger line and counts in no share;
    * ``avg_order_value`` = revenue / n_orders; ``repeat_customer`` = n_orders > 1;
    * ``birth_year`` or ``birth_date`` -> ``age`` at the end of observation;
      ``last_purchase`` -> ``recency_days``; ``signup_date`` -> ``tenure_days``.

    The end of observation is ``collect.as_of``, else the latest date in the file
    (a ledger line says which). The client's own columns are kept as they are.
    """
    table = table.copy()
    ids = table["customer_id"]
    for canon, columns in summed.items():
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataError(f"data.customers ({path}): column {missing[0]!r} (listed in "
                            f"data.customers.columns.{canon}) is not in the file; its columns "
                            f"are: {', '.join(map(str, table.columns))}")
        values = table[columns]
        text = [c for c in columns if not pd.api.types.is_numeric_dtype(values[c])]
        if text:
            raise DataError(f"data.customers ({path}): column {text[0]!r} (summed into "
                            f"{canon}) is not numbers; expected a number per customer")
        total = values.sum(axis=1, min_count=1)
        table[canon] = total.astype("float64")
        parts = _parts(columns)
        if canon == "revenue":
            categories = {}
            for column in columns:
                name = f"category_share_{plain_name(parts[column])}"
                table[name] = (values[column] / total.where(total > 0)).astype("float64")
                categories[parts[column]] = name
            table.attrs["categories"] = categories
        elif canon == "n_orders":
            synonyms = channel_synonyms(channels)
            known: dict[str, list[str]] = {}
            unknown = []
            for column in columns:
                label = parts[column].strip().lower()
                channel = synonyms.get(label) or synonyms.get(plain_name(label).replace("_", " "))
                (known.setdefault(channel, []) if channel in CHANNELS else unknown).append(column)
            for channel in CHANNELS:
                share = values[known[channel]].sum(axis=1) if channel in known else 0.0
                table[f"{channel}_share"] = (share / total.where(total > 0)).astype("float64")
            if unknown:
                ledger.add("customers", msg("ledger.channel_columns_unknown",
                                            columns=", ".join(unknown)),
                           int(values[unknown].sum().sum()),
                           action=msg("ledger.channels_action"))
    if "n_orders" in table and pd.api.types.is_numeric_dtype(table["n_orders"]) \
            and not pd.api.types.is_integer_dtype(table["n_orders"]):
        orders = table["n_orders"]
        bad = orders.notna() & ((orders < 0) | (orders != orders.round()))
        if bad.any():
            raise DataError(f"data.customers ({path}): column {_label(table, 'n_orders')}: "
                            f"{int(bad.sum())} value(s) are not whole numbers of orders, "
                            f"first for customer {ids[bad].iloc[0]!r}: {orders[bad].iloc[0]:g}")
        table["n_orders"] = orders.fillna(0).astype("int64")
    if "revenue" in table and "n_orders" in table \
            and pd.api.types.is_numeric_dtype(table["revenue"]) \
            and pd.api.types.is_numeric_dtype(table["n_orders"]):
        if "avg_order_value" not in table:
            table["avg_order_value"] = table["revenue"] / table["n_orders"].where(
                table["n_orders"] > 0)
        table["repeat_customer"] = table["n_orders"] > 1
    dated = [c for c in ("last_purchase", "signup_date", "birth_date")
             if c in table and pd.api.types.is_datetime64_any_dtype(table[c])]
    needs_date = "birth_year" in table or bool(dated)
    end = None
    if as_of is not None:
        end = pd.Timestamp(as_of)
    elif needs_date:
        latest = [table[c].max() for c in ("last_purchase", "signup_date") if c in dated]
        latest = [d for d in latest if pd.notna(d)]
        if latest:
            end = max(latest).normalize() + pd.Timedelta(days=1)
            table.attrs["as_of"] = end
            ledger.add("customers", msg("ledger.end_from_customers",
                                        date=str((end - pd.Timedelta(days=1)).date())),
                       len(table), action=msg("ledger.end_action"))
    if end is not None:
        end_naive = end.tz_localize(None) if end.tzinfo else end
        if "age" not in table:
            if "birth_year" in table and pd.api.types.is_numeric_dtype(table["birth_year"]):
                table["age"] = (end_naive.year - table["birth_year"]).astype("float64")
            elif "birth_date" in dated:
                table["age"] = ((end_naive - table["birth_date"]).dt.days / 365.25).floordiv(1)
            if "age" in table:
                table = _check_ranges(table, "customers", ledger)
        if "recency_days" not in table and "last_purchase" in dated:
            table["recency_days"] = (end_naive.normalize()
                                     - table["last_purchase"].dt.normalize()).dt.days.astype(
                "float64")
        if "tenure_days" not in table and "signup_date" in dated:
            table["tenure_days"] = (end_naive.normalize()
                                    - table["signup_date"].dt.normalize()).dt.days.astype(
                "float64")
    del ids
    return table


#: Plausible ranges of customer attributes. A value outside is a data-quality finding, not a
#: reason to stop: it is set missing, with a ledger line (a bad key or date stays an error).
RANGES = {"age": (0, 110), "income": (0, None), "household_size": (0, 50),
          "distance_to_store_km": (0, None), "social_followers": (0, None),
          "web_savviness": (1, 5), "birth_year": (1900, None)}

#: An income this many interquartile ranges beyond the quartiles, on the log scale, is "far
#: out": kept (it may be true) and reported.
INCOME_LOG_IQR = 3.0


def _check_ranges(table: pd.DataFrame, source: str, ledger: _Ledger) -> pd.DataFrame:
    """Set values outside :data:`RANGES` missing, one ledger line per column."""
    table = table.copy()
    for column, (low, high) in RANGES.items():
        if column not in table or not pd.api.types.is_numeric_dtype(table[column]) \
                or pd.api.types.is_bool_dtype(table[column]):
            continue
        values = table[column]
        bad = (values < low) if low is not None else pd.Series(False, index=values.index)
        if high is not None:
            bad |= values > high
        if bad.any():
            span = (msg("ledger.range_between", low=low, high=high) if high is not None
                    else msg("ledger.range_at_least", low=low))
            ledger.add(source, msg("ledger.out_of_range", column=_label(table, column),
                                   span=span), int(bad.sum()),
                       action=msg("ledger.set_missing"),
                       examples=[f"{i}: {v:g}" for i, v in
                                 zip(table.loc[bad, "customer_id"].head(3), values[bad].head(3),
                                     strict=False)])
            table[column] = values.astype("float64").mask(bad)
    return table


def _customer_table_findings(table: pd.DataFrame, source: str, ledger: _Ledger) -> None:
    """Ledger lines on the customer table; nothing in it is changed.

    Far-out incomes, constant columns, missing values per column, and rows that repeat
    another apart from the id, each with its count and example ids.
    """
    ids = table["customer_id"]
    if "income" in table and pd.api.types.is_numeric_dtype(table["income"]):
        logs = np.log(table["income"].where(table["income"] > 0))
        q1, q3 = logs.quantile(0.25), logs.quantile(0.75)
        if pd.notna(q1) and q3 > q1:
            reach = INCOME_LOG_IQR * (q3 - q1)
            far = (logs > q3 + reach) | (logs < q1 - reach)
            if far.any():
                ledger.add(source, msg("ledger.income_far_out", column=_label(table, "income"),
                                       iqr=f"{INCOME_LOG_IQR:g}"), int(far.sum()),
                           action=msg("ledger.kept_as_given"),
                           examples=[f"{i}: {v:,.0f}" for i, v in
                                     zip(ids[far].head(3), table.loc[far, "income"].head(3),
                                         strict=False)])
    others = [c for c in table.columns if c != "customer_id" and not c.startswith("has_")]
    empty = [c for c in others if table[c].isna().all()]
    if empty:  # an all-blank column (Excel formulas saved without their values?)
        ledger.add(source, msg("ledger.empty_columns", columns=", ".join(map(str, empty))),
                   len(empty), action=msg("ledger.constant_action"))
    constant = [c for c in others if len(table) > 1 and c not in empty
                and table[c].eq(table[c].iloc[0]).all()]
    if constant:
        ledger.add(source, msg("ledger.constant_columns",
                               columns=", ".join(map(str, constant))), len(constant),
                   action=msg("ledger.constant_action"))
    for column in others:
        missing = table[column].isna()
        if missing.any() and column not in constant and column not in empty:
            ledger.add(source, msg("ledger.missing_values", column=_label(table, column)),
                       int(missing.sum()), action=msg("ledger.kept_missing"),
                       examples=ids[missing].head(3))
    if others and len(table) > 1:
        repeated = table.duplicated(subset=others, keep="first")
        if repeated.any():
            ledger.add(source, msg("ledger.repeated_rows"), int(repeated.sum()),
                       action=msg("ledger.repeated_action"), examples=ids[repeated].head(3))


#: Customer attributes that must be numbers when present.
NUMERIC_ATTRIBUTES = ("age", "income", "household_size", "distance_to_store_km",
                      "web_savviness", "social_followers", "effort_score")
#: Text that clients write for "no value"; read as missing (and counted in the ledger).
NA_TOKENS = frozenset({"n/a", "na", "nan", "null", "none", "unknown", "-", "--", "?", "#n/a"})


#: A plain number as text: what the per-column parsing would read without a doubt.
_PLAIN_NUMBER = r"-?(?:0|[1-9]\d{0,14})(?:\.\d+)?"


def _plain_number_columns(table: pd.DataFrame, exclude: set) -> list:
    """Text columns whose every filled value is a plain number (``42``, ``-3.5``).

    No thousands separators, no leading zeros (codes stay text), no currency: anything
    else goes through the per-column parsing with its ledger lines and messages.
    """
    columns = [c for c in table.columns if c not in exclude
               and not pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c])
               and not pd.api.types.is_datetime64_any_dtype(table[c])]
    if not columns:
        return []
    long = table[columns].melt(var_name="column", value_name="value").dropna()
    if long.empty:
        return []
    plain = long["value"].astype(str).str.fullmatch(_PLAIN_NUMBER)
    ok = plain.groupby(long["column"].to_numpy()).all()
    return [c for c in columns if bool(ok.get(c, False))]


def _numeric_where_possible(table: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                            exclude: Iterable[str], src: SourceConfig | None = None,
                            locale: str = "en") -> pd.DataFrame:
    """Turn columns of numbers into floats, with "n/a"-style text read as missing.

    Money written as text (``1.234.567 ₫``, ``$1,234.50``) is read with the
    locale's conventions (see :func:`seglib.readers.parse_numbers`). A known
    numeric attribute (age, income, ...) or a column of at least 20 values that
    are 95 % numbers must be all numbers: any other text in it is a DataError
    naming the column and the row. Other text columns stay text.
    """
    table = table.copy()
    exclude = set(exclude)
    plain = _plain_number_columns(table, exclude)
    if plain:  # one conversion for all the columns of plain numbers (a wide file: seconds)
        table[plain] = table[plain].apply(pd.to_numeric).astype("float64")
    for column in table.columns:
        if column in exclude or pd.api.types.is_numeric_dtype(table[column]) \
                or pd.api.types.is_bool_dtype(table[column]):
            continue
        text = table[column].astype("string").str.strip().replace("", pd.NA)
        if column not in NUMERIC_ATTRIBUTES and text.str.match(r"^0\d").fillna(False).any():
            continue  # codes with leading zeros (postcodes, 007) stay text
        tokens = text.str.lower().isin(NA_TOKENS).fillna(False)
        cleaned = text.mask(tokens)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        filled = cleaned.notna()
        if not filled.any():
            continue
        numeric = (numbers.notna() & filled).sum() / filled.sum()
        if numeric < 1 and cleaned[filled].str.contains(r"\d", regex=True).mean() >= 0.5:
            try:
                money, notes = parse_numbers(cleaned, source=source, label=_label(table, column),
                                             path=path, locale=locale,
                                             decimal=src.decimal if src is not None else None)
            except DataError:
                pass
            else:
                numbers, numeric = money, 1.0
                for note in notes:
                    ledger.add(source, note, int(filled.sum()),
                               action=msg("ledger.read_as_rule_says"))
        must = column in NUMERIC_ATTRIBUTES or (filled.sum() >= 20 and numeric >= 0.95)
        if numeric < 1 and must:
            bad = filled & numbers.isna()
            raise DataError(
                f"data.{source} ({path}): column {_label(table, column)}: {int(bad.sum())} "
                f"value(s) are not numbers, first at data row {row_of(bad)}: "
                f"{str(cleaned[bad].iloc[0])!r}; expected numbers (leave a cell blank, or write "
                f"n/a, when the value is unknown)"
            )
        if numeric == 1:
            if tokens.any():
                ledger.add(source, msg("ledger.missing_tokens", column=column), tokens.sum(),
                           action=msg("ledger.read_as_missing"))
            table[column] = numbers.astype("float64")
    return table


def _customer_rows(raw: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                   keep_pii: bool = False) -> pd.DataFrame:
    """Rows of a customer-keyed source with canonical ids; rows without one are counted out."""
    _require(raw, "customer_id", source, path)
    table = raw.copy()
    table["customer_id"] = customer_ids(table["customer_id"], source, ledger, keep_pii)
    blank = table["customer_id"].isna()
    ledger.add(source, msg("ledger.rows_read"), len(table))
    if blank.any():
        ledger.add(source, msg("ledger.status.no_customer"), blank.sum(),
                   action=msg("ledger.excluded"))
        table = table[~blank]
    return remove_pii(table, source, ledger, keep=False)


def _per_customer(raw: pd.DataFrame, source: str, path: Path, ledger: _Ledger,
                  keep_pii: bool = False, *,
                  prefix: str) -> pd.DataFrame:
    """Columns of a customer-keyed source, one row per customer, prefixed.

    Numeric columns are averaged per customer; text columns with at most
    :data:`MAX_LABELS` distinct values, some of them repeated (a referral source), give
    the customer's most frequent value (ties: the first alphabetically). Other
    text (free comments, timestamps) is left out, with a ledger line.
    """
    table = _customer_rows(raw, source, path, ledger, keep_pii)
    table = _numeric_where_possible(table, source, path, ledger, exclude={"customer_id"})
    numeric = [c for c in table.columns if c != "customer_id"
               and pd.api.types.is_numeric_dtype(table[c])]
    per = table.groupby("customer_id")[numeric].mean()
    other = [c for c in table.columns if c != "customer_id" and c not in numeric]
    labels = [c for c in other if not pd.api.types.is_datetime64_any_dtype(table[c])
              and table[c].nunique() <= min(MAX_LABELS, table[c].notna().sum() - 1)]
    for column in labels:
        per = per.join(_most_frequent(table, column), how="outer")
    _ledger_unused(source, [c for c in other if c not in labels], ledger)
    return per.rename(columns=lambda c: c if c.startswith(prefix) else f"{prefix}{c}")


#: Text columns with at most this many distinct values are kept as the customer's usual value.
MAX_LABELS = 20


def _most_frequent(table: pd.DataFrame, column: str) -> pd.Series:
    counts = (table[["customer_id", column]].dropna().astype({column: "string"})
              .value_counts().rename("n").reset_index())
    counts = counts.sort_values(["customer_id", "n", column], ascending=[True, False, True],
                                kind="stable")
    return counts.drop_duplicates("customer_id").set_index("customer_id")[column]


def _ledger_unused(source: str, columns: list[str], ledger: _Ledger) -> None:
    if columns:
        ledger.add(source, msg("ledger.not_summarised", columns=", ".join(map(str, columns))),
                   len(columns), action=msg("ledger.not_summarised.action"))


def prepare_service(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                    keep_pii: bool = False) -> pd.DataFrame:
    """Support contacts per customer, and their mean effort score when given."""
    table = _customer_rows(raw, "service", path, ledger, keep_pii)
    per = table.groupby("customer_id").size().rename("service_contacts").to_frame()
    _ledger_unused("service", [c for c in table.columns
                               if c not in ("customer_id", "effort_score")], ledger)
    if "effort_score" in table.columns:
        effort = _numbers(table["effort_score"], "service", _label(raw, "effort_score"), path,
                          ledger)
        per["service_effort"] = effort.groupby(table["customer_id"]).mean()
    return per


def prepare_web(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                as_of: pd.Timestamp | None, dayfirst: bool | None = None,
                keep_pii: bool = False) -> pd.DataFrame:
    """Web and email activity per customer.

    ``last_visit`` becomes ``web_recency_days`` (days since the visit);
    ``first_visit`` is kept as ``web_first_visit`` (the earliest per customer), for
    the buying-psychology proxy (see :func:`buying_psychology`).
    """
    table = raw.copy()
    first = None
    if "first_visit" in table.columns:
        table["first_visit"] = _dates(table["first_visit"], "web", _label(raw, "first_visit"),
                                      path, ledger, dayfirst=dayfirst)
        ids = (customer_ids(table["customer_id"], "web", _Ledger(), keep_pii)
               if "customer_id" in table.columns else None)
        if ids is not None:
            first = table["first_visit"].groupby(ids).min().rename("web_first_visit")
    if "last_visit" in table.columns and as_of is not None:
        visits = _dates(table["last_visit"], "web", _label(raw, "last_visit"), path, ledger,
                        dayfirst=dayfirst)
        table["recency_days"] = (as_of.normalize() - visits.dt.normalize()).dt.days
    table = table.drop(columns=[c for c in ("last_visit", "first_visit") if c in table.columns])
    per = _per_customer(table, "web", path, ledger, keep_pii, prefix="web_")
    if first is not None:
        per = per.join(first, how="outer")
    return per


#: Days from the first web visit to the first purchase: upper bounds of each kind of buyer.
PSYCHOLOGY_DAYS = {"instant": 1, "hesitant": 14}


def buying_psychology(first_visit: pd.Series, first_purchase: pd.Series) -> pd.DataFrame:
    """How long customers took from their first web visit to their first purchase.

    A proxy for buying psychology (see DOMAIN.md): ``instant`` buyers bought
    within a day of their first visit, ``hesitant`` ones within two weeks,
    ``researched`` ones took longer. Customers who bought before their first
    recorded visit are ``bought before visiting``; without both dates, blank.
    """
    days = (first_purchase.dt.normalize() - first_visit.dt.normalize()).dt.days
    kind = pd.Series(pd.NA, index=days.index, dtype="string")
    kind[days < 0] = "bought before visiting"
    kind[(days >= 0) & (days <= PSYCHOLOGY_DAYS["instant"])] = "instant"
    kind[(days > PSYCHOLOGY_DAYS["instant"]) & (days <= PSYCHOLOGY_DAYS["hesitant"])] = "hesitant"
    kind[days > PSYCHOLOGY_DAYS["hesitant"]] = "researched"
    return pd.DataFrame({"days_to_first_purchase": days.astype("float64"),
                         "buying_psychology": kind})


#: Survey factors are extracted when there are at least this many items and respondents.
FACTOR_MIN_ITEMS, FACTOR_MIN_RESPONDENTS, FACTOR_MAX = 6, 30, 4


def survey_factors(items: pd.DataFrame, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few interpretable factors behind many survey items (psychographics).

    The number of factors is the number of eigenvalues of the items' correlation
    matrix above 1 (Kaiser's rule), at most :data:`FACTOR_MAX` and half the
    items; a varimax rotation makes each factor load on few items. Each factor
    is named after its two strongest items. Respondents with a missing answer
    get the item's mean for it.

    Returns
    -------
    scores : DataFrame
        One column ``survey_factor_<k>`` per factor, indexed like ``items``.
    loadings : DataFrame
        Items x factors, with the factor names as columns.
    """
    from sklearn.decomposition import FactorAnalysis

    filled = items.fillna(items.mean())
    spread = filled.std(ddof=0)
    filled = filled.loc[:, spread > 0]
    z = (filled - filled.mean()) / filled.std(ddof=0)
    eigen = np.linalg.eigvalsh(np.corrcoef(z.to_numpy(), rowvar=False))
    k = int(min(max((eigen > 1).sum(), 1), FACTOR_MAX, max(len(z.columns) // 2, 1)))
    model = FactorAnalysis(n_components=k, rotation="varimax", random_state=seed)
    scores = model.fit_transform(z.to_numpy())
    loadings = pd.DataFrame(model.components_.T, index=z.columns)
    for j in loadings.columns:  # orient each factor so that its strongest loading is positive
        if loadings[j].iloc[int(np.argmax(np.abs(loadings[j].to_numpy())))] < 0:
            loadings[j] *= -1
            scores[:, j] *= -1
    names = []
    for j in loadings.columns:
        top = loadings[j].abs().sort_values(ascending=False, kind="stable").index[:2]
        names.append(f"factor {j + 1}: " + " & ".join(map(str, top)))
    loadings.columns = names
    frame = pd.DataFrame(scores, index=items.index,
                         columns=[f"survey_factor_{j + 1}" for j in range(k)])
    return frame, loadings.round(3)


def prepare_brand_ratings(raw: pd.DataFrame, path: Path, ledger: _Ledger,
                          keep_pii: bool = False) -> pd.DataFrame:
    """Ratings in long form: one row per rating, ``brand`` plus numeric attribute columns."""
    _require(raw, "brand", "brand_ratings", path)
    table = raw.copy()
    for key in ("respondent_id", "customer_id"):
        if key in table.columns:
            table[key] = customer_ids(table[key], "brand_ratings", ledger, keep_pii)
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
    ledger.add("brand_ratings", msg("ledger.rows_read"), len(table))
    return table[[c for c in ("respondent_id", "customer_id") if c in table.columns]
                 + ["brand"] + attributes]


def _drop_trailing_blank_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop the rows at the end whose every cell is empty (``,,,,`` lines, stray formatting).

    Exports often end that way. Blank rows between data rows are left in place,
    so that a missing value there is reported at its row.
    """
    def blank_row(row: pd.Series) -> bool:
        return bool((row.astype("string").str.strip().fillna("") == "").all())

    if table.empty or not blank_row(table.iloc[-1]):
        return table, 0
    tail = max(len(table) - 100_000, 0)  # trailing blank rows: look at the end only
    text = table.iloc[tail:].astype("string")
    blank = text.apply(lambda col: col.str.strip().fillna("") == "").all(axis=1).to_numpy()
    last = tail + (len(blank) - int(np.argmin(blank[::-1])) if not blank.all() else 0)
    return table.iloc[:last], len(table) - last


def load_source(name: str, src: SourceConfig) -> pd.DataFrame:
    """Read one configured source and apply its column mapping.

    With ``id_from_row`` (a file without customer ids, such as the wholesale
    customers table) the customer id is the 1-based data row.
    """
    table = read_table(src.path, source=name, sheet=src.sheet, sep=src.sep, encoding=src.encoding)
    read = dict(table.attrs.get("read", {}))
    table, blank = _drop_trailing_blank_rows(table)
    if blank:
        read["blank_rows_dropped"] = blank
        if table.empty:
            raise DataError(f"data.{name} ({src.path}): the file has a header but no data rows "
                            f"(only {blank} blank row(s))")
    if src.id_from_row:
        if "customer_id" in table.columns:
            table = table.rename(columns={"customer_id": "customer_id_raw"})
        table.insert(0, "customer_id", [str(i) for i in range(1, len(table) + 1)])
    mapped = apply_mapping(table, src, name)
    mapped.attrs["read"] = read
    return mapped


def _ledger_blank_rows(name: str, table: pd.DataFrame, ledger: _Ledger) -> None:
    blank = table.attrs.get("read", {}).get("blank_rows_dropped")
    if blank:
        ledger.add(name, msg("ledger.blank_rows"), blank, action=msg("ledger.skipped"))


def _load(name: str, src: SourceConfig, reads: list[dict], ledger: _Ledger) -> pd.DataFrame:
    table = load_source(name, src)
    _ledger_blank_rows(name, table, ledger)
    read = table.attrs.get("read", {})
    if src.path.suffix.lower() == ".gz" and not read.get("compression"):
        ledger.add(name, msg("ledger.not_gzip", file=src.path.name), int(read.get("rows", 0)),
                   action=msg("ledger.read_as_text"))
    reads.append({"source": name, "reader": "pandas",
                  **table.attrs.get("read", {"file": str(src.path)})})
    return table


def collect(config: RunConfig) -> Collected:
    """Run the collection stage: read, clean and join every configured source."""
    ledger = _Ledger(config.locale)
    sources, summed = {}, {}
    for name, src in config.sources().items():
        sources[name], summed[name] = resolve_columns(src, header_names(name, src), name)
    reads = []
    customers, test_ids = None, []
    if "customers" in sources:
        src = sources["customers"]
        raw = _load("customers", src, reads, ledger)
        customers, test_ids = prepare_customers(raw, src.path, ledger, config.collect.keep_pii,
                                                test_accounts=config.collect.test_accounts,
                                                src=src, locale=config.locale,
                                                summed=summed["customers"],
                                                as_of=config.collect.as_of,
                                                channels=config.collect.channels)
    transactions, as_of, categories = None, None, {}
    if customers is not None:  # a CRM export that sums spend per category, see customer_behaviour
        categories = dict(customers.attrs.pop("categories", {}))
        end = customers.attrs.pop("as_of", None)
        if end is not None and "transactions" not in sources:
            as_of = end
        elif config.collect.as_of is not None and "transactions" not in sources:
            as_of = pd.Timestamp(config.collect.as_of)
    table = customers
    if "transactions" in sources:
        src = sources["transactions"]
        transactions = load_transactions(src, config, ledger, test_ids)
        reads.append({"source": "transactions", **transactions.read})
        as_of = transactions.as_of
        per_customer = customer_rfm(transactions)
        categories = transactions.read.get("categories", {})
        if not (per_customer["n_orders"] > 0).any():
            _nothing_left(transactions, config)
        unmatched = per_customer["refunds"] > per_customer["gross_revenue"]
        if unmatched.any():
            excess = (per_customer["refunds"] - per_customer["gross_revenue"])[unmatched]
            ledger.add("transactions", msg("ledger.refunds_beyond"), unmatched.sum(),
                       -excess.sum(), msg("ledger.refunds_beyond.action"),
                       examples=per_customer.loc[unmatched, "customer_id"].head(3))
        _ledger_outliers(transactions, per_customer, ledger, config)
        per_customer = _customers_without_purchases(transactions, per_customer, ledger)
        emptied = per_customer["n_orders"] == 0
        if emptied.any():
            ledger.add("transactions", msg("ledger.all_refunded"),
                       emptied.sum(), per_customer.loc[emptied, "revenue"].sum(),
                       msg("ledger.all_refunded.action"),
                       examples=per_customer.loc[emptied, "customer_id"].head(3))
        if customers is None:
            table = per_customer
        else:
            unknown = ~per_customer["customer_id"].isin(customers["customer_id"])
            _check_overlap(per_customer["customer_id"], customers["customer_id"], sources)
            if unknown.any():
                ledger.add("transactions", msg("ledger.unknown_in_customers_file"),
                           unknown.sum(), per_customer.loc[unknown, "revenue"].sum(),
                           msg("ledger.unknown_in_customers_file.action"),
                           examples=per_customer.loc[unknown, "customer_id"].head(3))
            table = customers.merge(per_customer, on="customer_id", how="outer")
            for column in ("n_orders", "outlier_orders"):
                table[column] = table[column].fillna(0).astype("int64")
            for column in ("revenue", "gross_revenue", "refunds"):
                table[column] = table[column].fillna(0.0)
            table["repeat_customer"] = table["n_orders"] > 1
    extra = []
    factors = None
    if "survey" in sources:
        src = sources["survey"]
        survey = _per_customer(_load("survey", src, reads, ledger), "survey", src.path, ledger,
                               config.collect.keep_pii, prefix="")
        items = survey.select_dtypes("number").dropna(how="all")
        if len(items.columns) >= FACTOR_MIN_ITEMS and len(items) >= FACTOR_MIN_RESPONDENTS:
            scores, factors = survey_factors(items, seed=config.seed)
            survey = survey.join(scores)
        extra.append(("survey", survey))
    if "service" in sources:
        src = sources["service"]
        service = _load("service", src, reads, ledger)
        extra.append(("service", prepare_service(service, src.path, ledger,
                                                 config.collect.keep_pii)))
    if "web" in sources:
        src = sources["web"]
        extra.append(("web", prepare_web(_load("web", src, reads, ledger), src.path, ledger, as_of,
                                         src.dayfirst, config.collect.keep_pii)))
    for name, frame in extra:
        unknown = ~frame.index.isin(table["customer_id"])
        if unknown.any():
            ledger.add(name, msg("ledger.unknown_in_table"), unknown.sum(),
                       action=msg("ledger.unknown_in_table.action"))
        taken = set(table.columns)
        frame = frame.rename(columns={c: f"{c}_2" for c in frame.columns if c in taken})
        table = table.merge(frame, left_on="customer_id", right_index=True, how="left")
    if "service_contacts" in table.columns:
        table["service_contacts"] = table["service_contacts"].fillna(0).astype("int64")
    if "web_first_visit" in table.columns and "first_purchase" in table.columns:
        psychology = buying_psychology(table["web_first_visit"], table["first_purchase"])
        table = pd.concat([table, psychology], axis=1)
    origin = {c: "customers" for c in (customers.columns if customers is not None else [])}
    if transactions is not None:
        origin.update({c: "transactions" for c in per_customer.columns if c not in origin})
    for name, frame in extra:
        origin.update({c: name for c in frame.columns if c not in origin})
    origin.update({c: "web + transactions" for c in ("days_to_first_purchase",
                                                     "buying_psychology") if c in table})
    brand_ratings = None
    if "brand_ratings" in sources:
        src = sources["brand_ratings"]
        ratings = _load("brand_ratings", src, reads, ledger)
        brand_ratings = prepare_brand_ratings(ratings, src.path, ledger,
                                              config.collect.keep_pii)
    if not table["customer_id"].is_monotonic_increasing:
        table = table.sort_values("customer_id", kind="stable")
    table = _plain_dtypes(table.reset_index(drop=True))
    return Collected(customers=table, lines=transactions, brand_ratings=brand_ratings,
                     ledger=ledger.frame(), as_of=as_of, sources=list(sources), reads=reads,
                     origin={c: origin.get(c, "all") for c in table.columns}, factors=factors,
                     categories=categories,
                     source_names={canon: client for src in sources.values()
                                   for canon, client in src.columns.items()
                                   if canon in table.columns and client != canon})


def _plain_dtypes(table: pd.DataFrame) -> pd.DataFrame:
    """Nullable numeric columns (Int64, Float64) as NumPy floats, so models and plots take them.

    Returns a new frame; columns that need no change are not copied.
    """
    converted = {}
    for column in table.columns:
        dtype = table[column].dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(
                dtype) and not pd.api.types.is_bool_dtype(dtype):
            converted[column] = table[column].astype("float64")
    return table.assign(**converted) if converted else table.copy(deep=False)


def ledger_view(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger for reading: one row per source and rule, blanks where nothing applies."""
    view = ledger.set_index(["source", "rule"])
    view["rows"] = view["rows"].map(lambda v: f"{v:,}")
    view["revenue"] = view["revenue"].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return view


def data_dictionary(customers: pd.DataFrame, origin: dict[str, str] | None = None,
                    factors: pd.DataFrame | None = None,
                    categories: dict[str, str] | None = None) -> pd.DataFrame:
    """Describe every column of the customer table: meaning, unit, source, coverage.

    ``origin`` (column -> source, from :class:`Collected`) names the source of
    columns the client brought; ``factors`` (survey loadings) names the factors.
    """
    origin = origin or {}
    factor_names = list(factors.columns) if factors is not None else []
    rows = []
    for column in customers.columns:
        source = origin.get(column, "client file")
        if column == "customer_id":
            meaning, unit, source = "the customer's id, joins every source", "id", "all"
        elif column in FEATURES:
            meaning, unit, source = FEATURES[column]
        elif column.startswith("category_share_"):
            name = next((c for c, col in (categories or {}).items() if col == column), None)
            meaning = (f"share of purchase value in category {name!r}" if name is not None
                       else "share of purchase value in this category")
            unit = "share"
        elif column.startswith("survey_factor_"):
            k = int(column.rsplit("_", 1)[1])
            name = factor_names[k - 1] if k <= len(factor_names) else column
            meaning, unit = f"psychographic {name} (varimax factor score)", "z-score"
        elif column in ATTRIBUTES:
            meaning, unit = ATTRIBUTES[column]
        elif column.startswith("web_"):
            meaning, unit = f"web activity: {column[4:].replace('_', ' ')} (mean per record)", ""
        elif source == "survey":
            meaning, unit = "survey item (mean answer of the customer)", "scale"
        elif pd.api.types.is_datetime64_any_dtype(customers[column]):
            meaning, unit = "a date, as given by the client", "date"
        else:
            meaning, unit = "as given by the client", ""
        rows.append({"column": column, "meaning": meaning, "unit": unit, "source": source,
                     "filled": float(customers[column].notna().mean())})
    return pd.DataFrame(rows).set_index("column")


def reads_table(collected: Collected) -> pd.DataFrame:
    """How each source file was read: format, encoding and delimiter (detected or given)."""
    keys = ["file", "format", "reader", "encoding", "delimiter", "sheet", "rows", "columns"]
    rows = [{k: read.get(k) for k in ["source", *keys]} for read in collected.reads]
    table = pd.DataFrame(rows, columns=["source", *keys]).set_index("source")
    table["file"] = table["file"].map(lambda f: Path(f).name if isinstance(f, str) else f)
    for column in ("rows", "columns"):
        if column in table:
            table[column] = table[column].map(lambda v: f"{int(v):,}" if pd.notna(v) else v)
    return table.dropna(axis=1, how="all").fillna("")


def summary_text(collected: Collected) -> str:
    """One paragraph: the sources read, the end of observation, the customers found."""
    text = (f"Sources read: **{', '.join(collected.sources)}**. Customers: "
            f"**{len(collected.customers):,}**.")
    if collected.as_of is not None:
        text += f" End of observation: **{collected.as_of.date()}**."
    if collected.lines is None:
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


#: The CLV summary columns of the customer table (see seglib.rfm.CLV_SQL).
CLV_COLUMNS = ("clv_frequency", "clv_recency", "clv_T", "clv_monetary_value")


def clv_overview(customers: pd.DataFrame) -> pd.DataFrame | None:
    """Count, mean, spread and quartiles of the CLV summary (None without transactions)."""
    if not set(CLV_COLUMNS) <= set(customers.columns):
        return None
    summary = customers[list(CLV_COLUMNS)].dropna(how="all")
    return None if summary.empty else summary.describe().round(1).T


def quality_summary(collected: Collected) -> pd.DataFrame:
    """Columns of the customer table with missing values, and the share missing."""
    customers = collected.customers
    missing = customers.isna().mean()
    missing = missing[missing > 0].sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"missing": [f"{v:.0%}" for v in missing]}, index=missing.index)


def write_outputs(collected: Collected, run: RunFolder | Path, *,
                  background: bool = False) -> dict[str, Path]:
    """Write the stage's files into the run folder and return them by name.

    ``transactions.parquet`` is written by DuckDB straight from its table of lines
    in the order read (customer ids as text; order ids as the source typed them):
    the lines never pass through pandas. With ``background`` they are written while
    the notebook goes on; ``run.finish()`` waits for them (see
    :meth:`RunFolder.write_collected`).
    """
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    meta = {"as_of": None if collected.as_of is None else str(collected.as_of.date()),
            "sources": collected.sources, "customers": len(collected.customers),
            "reads": collected.reads, "columns": collected.origin,
            "source_names": collected.source_names,
            "categories": collected.categories}
    lines = None
    if collected.lines is not None:
        lines = TransactionWriter(collected.lines.con, "SELECT * REPLACE "
                                  "(CAST(customer_id AS VARCHAR) AS customer_id) FROM tx",
                                  lock=collected.lines.lock)
    factors = (None if collected.factors is None
               else collected.factors.rename_axis("item").reset_index())
    return run.write_collected(
        customers=collected.customers, ledger=collected.ledger,
        dictionary=data_dictionary(collected.customers, collected.origin, collected.factors,
                                   collected.categories).reset_index(),
        meta=meta, brand_ratings=collected.brand_ratings, factors=factors, transactions=lines,
        background=background)
