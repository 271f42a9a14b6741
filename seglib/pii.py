"""Personal data: how columns and values that identify a person are recognised and hidden.

Shared by every stage that reads or writes client data. A column is personal when
its name says so (``email``, ``phone``, ``address``, Vietnamese ``dia_chi``...) or
when its values look like email addresses, phone numbers or people's names; an id
that is an email or phone becomes a :func:`pseudonym`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pandas as pd

#: Column names that hold personal data; removed from the customer table unless kept on purpose.
PII_PATTERN = re.compile(
    r"(^|_)(name|full_?name|first_?name|last_?name|surname|e_?mail|phone|mobile|tel|address)"
    r"\d*($|_)",
    re.IGNORECASE,
)
#: Column names that often hold a person's name (checked against the values, see remove_pii).
PERSON_COLUMNS = {"customer", "client", "buyer", "recipient", "contact", "khach_hang",
                  "nguoi_mua", "nguoi_nhan", "nguoi_lien_he"}
#: Vietnamese column names for personal data, written without accents (see plain_name).
_PII_VI = re.compile(r"(^|_)(ho_?ten|ho_va_ten|ten_khach_hang|ten_kh|dien_thoai|so_dien_thoai|"
                     r"sdt|dia_chi|thu_dien_tu)($|_)")
_EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_VALUE = re.compile(r"^(\+|0)[\d\s().-]{7,}$")
#: Columns that are keys or canonical measures, never personal data.
NOT_PII = {"customer_id", "order_id", "respondent_id", "contact_id", "date", "amount",
            "quantity", "unit_price", "channel", "category", "margin", "brand"}


def plain_name(name: object) -> str:
    """Lower-case ASCII form of a column name: accents dropped, runs of other marks as _."""
    text = unicodedata.normalize("NFKD", str(name).lower().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def is_pii_column(name: object) -> bool:
    """True for a column name that holds personal data (a name, email, phone or address)."""
    plain = plain_name(name)
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


#: A phone number among other ids: a leading + or separators, so that a zero-padded
#: customer number (0001234567) among others is not taken for one.
_PHONE_SHAPED = re.compile(r"^\+|[\s().-]")


def pii_values(values: pd.Series) -> pd.Series:
    """True for each value that is itself an email address or a phone number.

    For ids that are only *sometimes* personal data (one in six a customer's email):
    each such value is pseudonymised, whatever the others are.
    """
    text = values.astype("string").str.strip()
    email = text.str.match(_EMAIL_VALUE).fillna(False)
    digits = text.str.count(r"\d").fillna(0)
    phone = (text.str.match(_PHONE_VALUE).fillna(False) & (digits >= 9)
             & text.str.contains(_PHONE_SHAPED).fillna(False))
    return (email | phone).astype(bool)


#: The same test in DuckDB SQL, for ``{text}`` (trimmed text).
PII_VALUE_SQL = ("(regexp_matches({text}, '^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{{2,}}$') OR "
                 "(regexp_matches({text}, '^(\\+|0)[0-9\\s().-]{{7,}}$') AND "
                 "regexp_matches({text}, '^\\+|[\\s().-]') AND "
                 "length(regexp_replace({text}, '[^0-9]', '', 'g')) >= 9))")


def small_counts(values: pd.Series) -> bool:
    """True for a column of small numbers (``email_opens``), which no phone number is."""
    numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
    filled = values.notna()
    if not filled.any() or numbers[filled].isna().any():
        return False
    return bool((numbers[filled].abs() < 10_000_000).all())


def looks_like_names(values: pd.Series) -> bool:
    """True when most values are two to five words without digits (``Nguyễn Văn An``)."""
    sample = values.dropna().astype(str).str.strip().head(2000)
    if sample.empty or pd.api.types.is_numeric_dtype(values):
        return False
    return bool(sample.str.fullmatch(r"[^\W\d_]+(?:[ .'-]+[^\W\d_]+){1,4}").mean() >= 0.8)


PSEUDONYM_ACTION = "replaced by pseudonyms: h_ + the first 16 hex digits of their SHA-256"


def pseudonym(values: pd.Series) -> pd.Series:
    """``h_`` and the first 16 hex digits of the SHA-256 of the trimmed, lower-case id.

    The client can compute the same pseudonym from their own list (to find a
    customer again), but the report and exports never show the address itself.
    """
    def one(value: str) -> str:
        return "h_" + hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:16]

    return values.map(one, na_action="ignore").astype("string")


def find_pii_columns(table: pd.DataFrame, free_text: bool = True) -> dict[str, str]:
    """Columns of personal data and their kind (``email``, ``phone``, ``name``, ``other``).

    Found by what a column holds (most values look like emails or phones, or a
    column named like a person holds people's names) or by its name (a column
    of small counts such as ``email_opens`` is not personal data). A text column in
    which *some* values are an email address or a phone number goes too, and, with
    ``free_text`` (the customer-level sources, where a note or an address is about one
    person), a column of free text (:func:`looks_like_free_text`).
    """
    found = {}
    hints = _content_hints(table)
    for column in table.columns:
        if column in NOT_PII or column in ("has_email", "has_phone"):
            continue
        at, digits, spaced = hints.get(column, (True, True, 1.0))
        # an email needs an @ and a phone nine digits: columns with neither are not read
        # value by value (a 10,000-column file would take minutes)
        kind = pii_kind(table[column]) if at or digits else None
        if kind is None and plain_name(column) in PERSON_COLUMNS and looks_like_names(
                table[column]):
            kind = "name"
        if kind is None and is_pii_column(column) and not small_counts(table[column]):
            plain = plain_name(column)
            kind = ("email" if "mail" in plain or "thu_dien_tu" in plain else
                    "phone" if re.search(r"phone|mobile|tel|dien_thoai|sdt", plain) else "other")
        if kind is None and _text_column(table[column]) and (at or digits or spaced >= 0.5):
            values = table[column].dropna().astype(str)
            if (at or digits) and pii_values(values).any():
                kind = "other"  # some values are an address or a number: not safe to keep
            elif free_text and spaced >= 0.5 and looks_like_free_text(values):
                kind = "other"  # notes and addresses: names and places in free text
        if kind is not None:
            found[column] = kind
    return found


def _content_hints(table: pd.DataFrame) -> dict[str, tuple[bool, bool, float]]:
    """What the finer checks need, per text column, in one pass over all of them.

    Any value with an ``@``, any value with nine digits, and the share of values with a
    space inside.
    """
    columns = [c for c in table.columns if _text_column(table[c])]
    if not columns:
        return {}
    long = table[columns].melt(var_name="column", value_name="value").dropna()
    if long.empty:
        return {c: (False, False, 0.0) for c in columns}
    text = long["value"].astype(str)
    level = long["column"].to_numpy()
    at = text.str.contains("@", regex=False).groupby(level).any()
    digits = text.str.count(r"\d").ge(9).groupby(level).any()
    spaced = text.str.strip().str.contains(" ", regex=False).groupby(level).mean()
    return {c: (bool(at.get(c, False)), bool(digits.get(c, False)),
                float(spaced.get(c, 0.0))) for c in columns}


def _text_column(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
                or pd.api.types.is_datetime64_any_dtype(values))


#: Free text: at least this many values, mostly distinct, most of them several words long.
FREE_TEXT_MIN_VALUES = 20


def looks_like_free_text(values: pd.Series) -> bool:
    """True for a column of notes or addresses (mostly distinct phrases of several words).

    Such a column (``note``, ``ship_to``, ``delivery_note``) is where names, addresses and
    phone numbers hide; a label column (``city``, ``plan``) repeats a few short values.
    """
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if len(text) < FREE_TEXT_MIN_VALUES:
        return False
    distinct = text.nunique() / len(text)
    words = text.str.split().str.len()
    return bool(distinct >= 0.5 and (words >= 3).mean() >= 0.5 and text.str.len().median() >= 15)
