"""Read the client's files and parse their text columns, with one clear error per problem.

``read_table`` reads CSV (plain or ``.gz``), Excel and Parquet files as they are:
CSV cells stay text, the encoding and the delimiter are detected when the config
does not give them, and every text value is normalised to Unicode NFC. How the
file was read is recorded in ``table.attrs["read"]`` (see :func:`describe_read`).

``parse_numbers``, ``parse_dates`` and ``parse_flags`` turn text columns into
numbers, dates and yes/no flags. They never guess silently: a column that can be
read two ways either raises a :class:`~seglib.errors.DataError` or returns a
note, written for the data-quality ledger, saying how it was read and which
config key changes it.

Every error names ``data.<source> (<path>)``, the column (the ``label`` the
caller passes), the 1-based data row where it applies and what was expected.
Input files are only ever opened for reading.

Encoding detection (CSV)
------------------------
On a sample of the first 1 MB (decompressed for ``.gz``):

1. a byte-order mark gives UTF-8, UTF-16 or UTF-32;
2. NUL bytes in every other position of ASCII-looking text give UTF-16 LE/BE
   without a mark;
3. a sample that decodes as strict UTF-8 is UTF-8;
4. otherwise the sample is decoded both as Windows-1258 (Vietnamese) and
   Windows-1252 (Western). The two differ only in 18 bytes; in the cp1258
   reading, Vietnamese evidence is a combining tone mark (U+0300, U+0301,
   U+0303, U+0309, U+0323) directly after a vowel, a letter ``đ Đ ư Ư``, or
   ``ơ`` after ``ư`` (``ương``); a tone mark after anything but a vowel is
   counter-evidence (Vietnamese never writes one there, while Western text read
   as cp1258 does: Italian ``però``). cp1258 is chosen when the evidence is at
   least 1 and more than twice the counter-evidence, cp1252 otherwise. When
   only one of the two decodes the sample (each leaves a few bytes undefined),
   that one is chosen;
5. if neither decodes, latin-1 is the last resort (it decodes any byte).

A file can defeat any heuristic (a Western file whose only accents are Italian
``ciò``/``può`` reads as Vietnamese tone marks after a vowel);
``data.<source>.encoding`` always wins. ``attrs["read"]["detected"]`` says that
the encoding was detected, and ``attrs["read"]["notes"]`` gives the evidence of
a cp1258/cp1252 decision, for the ledger.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seglib.config import SOURCES
from seglib.errors import DataError
from seglib.i18n import Msg, msg

__all__ = [
    "SAMPLE_BYTES",
    "describe_read",
    "normalize_ids",
    "parse_dates",
    "parse_flags",
    "parse_numbers",
    "read_table",
    "row_of",
]

#: Bytes of a CSV file looked at to detect its encoding and delimiter.
SAMPLE_BYTES = 1 << 20

CSV_DELIMITERS = (",", ";", "\t", "|")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_PARQUET_SUFFIXES = (".parquet",)
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


# --------------------------------------------------------------------------- small helpers


def row_of(mask: pd.Series | np.ndarray) -> int:
    """Return the 1-based data row of the first True in ``mask`` (the header is not a row).

    Raises
    ------
    ValueError
        If ``mask`` has no True value.
    """
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(hits):
        raise ValueError("row_of: the mask has no True value")
    return int(hits[0]) + 1


def _where(source: str, path: Path) -> str:
    # a source of the config's data section is named by its key; another reader's file
    # (seglib assign) by what it is
    return f"data.{source} ({path})" if source in SOURCES else f"{source} ({path})"


def _nfc(text: pd.Series) -> pd.Series:
    """NFC-normalise a string Series, skipping the work when it is plain ASCII."""
    if text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).any():
        return text.str.normalize("NFC")
    return text


def _text(values: pd.Series) -> pd.Series:
    """Values as trimmed NFC strings; blank cells become missing."""
    text = _nfc(values.astype("string").str.strip())
    return text.mask(text == "")


# Regular expressions over whole columns run in pyarrow (RE2, no per-value Python code):
# ``Series.str.extract`` and some ``str.fullmatch`` patterns fall back to Python's ``re``.


def _arrow(text: pd.Series) -> pa.Array:
    return pa.array(text, type=pa.string(), from_pandas=True)


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    """Whether each value fully matches ``pattern`` (missing values do not)."""
    found = pc.match_substring_regex(_arrow(text), f"^(?:{pattern})$")
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=text.index,
                     dtype=bool)


def _extract(text: pd.Series, pattern: str) -> tuple[pd.Series, pd.DataFrame]:
    """Which values fully match ``pattern``, and its named groups as string columns.

    A group that matched nothing, or a value that does not match, is missing.
    """
    found = pc.extract_regex(_arrow(text), f"^(?:{pattern})$")
    matched = pd.Series(found.is_valid().to_numpy(zero_copy_only=False), index=text.index,
                        dtype=bool)
    columns = {}
    for field, column in zip(found.type, found.flatten(), strict=True):
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        columns[field.name] = pd.Series(pd.arrays.ArrowStringArray(column), index=text.index)
    return matched, pd.DataFrame(columns, index=text.index)


def _floats(text: pd.Series) -> pd.Series:
    """Numbers written plainly (``-1234.5``) as float64; anything else becomes NaN."""
    try:
        values = pc.cast(_arrow(text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype("float64")
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def _example(text: pd.Series, mask: pd.Series) -> str:
    """``'value' (data row n)`` for the first True of ``mask``."""
    return f"{str(text[mask].iloc[0])!r} (data row {row_of(mask)})"


# --------------------------------------------------------------------------- read_table


def read_table(path: Path, *, source: str, sheet: str | int | None = None,
               sep: str | None = None, encoding: str | None = None,
               nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file as it is, with clear errors.

    Parameters
    ----------
    path : Path
        The file. Its last suffix picks the reader: ``.xlsx``/``.xlsm``/``.xls``
        Excel, ``.parquet`` Parquet, anything else (``.csv``, ``.txt``, ``.tsv``,
        ``.csv.gz``) delimited text. The file is only read, never written.
    source : str
        The source's name in the config (``transactions``), for messages.
    sheet : str or int, optional
        Excel sheet by name or by number (0 = the first); the first by default.
    sep : str, optional
        CSV delimiter; detected among ``,`` ``;`` tab ``|`` when not given.
    encoding : str, optional
        CSV encoding; detected when not given (see the module docstring).
    nrows : int, optional
        Read only the first ``nrows`` data rows.

    Returns
    -------
    pandas.DataFrame
        CSV cells as text (blank cells missing), Excel and Parquet cells with
        their stored types; header names trimmed, text in Unicode NFC.
        ``attrs["read"]`` holds ``file``, ``format`` (``csv``/``excel``/
        ``parquet``), ``encoding``, ``delimiter``, ``sheet``, ``compression``,
        ``rows``, ``columns``, ``detected`` (which of ``encoding`` and
        ``delimiter`` were detected rather than given) and ``notes``.

    Raises
    ------
    DataError
        If the file is missing, empty, of another format than its name says,
        not decodable, malformed (duplicate header names, a row with more
        fields than the header) or has a header but no data rows.
    """
    path = Path(path)
    where = _where(source, path)
    if not path.exists():
        raise DataError(f"{where}: file not found")
    if not path.is_file():
        raise DataError(f"{where}: is a folder, not a file")
    if path.stat().st_size == 0:
        raise DataError(f"{where}: the file is empty (0 bytes)")
    if nrows is not None and nrows < 1:
        raise DataError(f"{where}: nrows must be at least 1, got {nrows}")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        table, info = _read_excel(path, sheet, where, head, nrows)
    elif suffix in _PARQUET_SUFFIXES:
        table, info = _read_parquet(path, where, head, nrows)
    else:
        table, info = _read_csv(path, sep, encoding, where, source, head, nrows)
    table = _tidy(table, where, info)
    info.update(rows=len(table), columns=table.shape[1])
    table.attrs["read"] = info
    return table


def describe_read(info: dict) -> str:
    """Say in one line how a file was read, from ``table.attrs["read"]``.

    Examples
    --------
    ``"CSV, encoding cp1258 (detected), delimiter ';' (detected), 120 rows x 5 columns"``
    """
    detected = set(info.get("detected", []))
    parts = [{"csv": "CSV", "excel": "Excel", "parquet": "Parquet"}[info["format"]]]
    if info.get("compression"):
        parts[0] += f" ({info['compression']})"
    if info.get("sheet") is not None:
        parts.append(f"sheet {info['sheet']!r}")
    for key in ("encoding", "delimiter"):
        value = info.get(key)
        if value is not None:
            shown = _DELIMITER_NAMES.get(value, repr(value)) if key == "delimiter" else value
            parts.append(f"{key} {shown} ({'detected' if key in detected else 'given'})")
    parts.append(f"{info.get('rows', 0):,} rows x {info.get('columns', 0)} columns")
    return ", ".join(parts)


def _content_kind(head: bytes) -> str | None:
    """What the first bytes of a file say it is, when they say anything."""
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def _info(path: Path, fmt: str, **values) -> dict:
    info = {"file": str(path), "format": fmt, "encoding": None, "delimiter": None,
            "sheet": None, "compression": None, "rows": 0, "columns": 0,
            "detected": [], "notes": []}
    info.update(values)
    return info


def _tidy(table: pd.DataFrame, where: str, info: dict) -> pd.DataFrame:
    """Trim and NFC header names, drop nameless empty columns, NFC text, refuse no rows."""
    names = [unicodedata.normalize("NFC", c.replace("\ufeff", "").strip())
             if isinstance(c, str) else c for c in table.columns]
    table.columns = names
    _refuse_duplicates(names, where)
    unnamed = [c for c in names if isinstance(c, str) and c.startswith("Unnamed: ")]
    empty = [c for c in unnamed if table[c].isna().all()]
    if empty:
        table = table.drop(columns=empty)
        info["notes"].append(f"{len(empty)} column(s) without a header name and without "
                             f"values dropped")
    kept = [c for c in unnamed if c not in empty]
    if kept:
        info["notes"].append(f"column(s) {kept} have values but no header name")
    if table.shape[1] == 0:
        raise DataError(f"{where}: the file holds no columns")
    if table.empty:
        raise DataError(f"{where}: the file has a header but no data rows")
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
                values.dtype):
            table[column] = _nfc(values)
        elif pd.api.types.is_object_dtype(values.dtype):
            table[column] = values.map(
                lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v)
    return table


def _refuse_duplicates(names: Iterable, where: str) -> None:
    seen: set = set()
    dupes: list = []
    for name in names:
        if name in ("", None) or (isinstance(name, float) and np.isnan(name)):
            continue
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    if dupes:
        raise DataError(f"{where}: duplicated column name(s) {dupes} in the header; each "
                        f"column needs its own name")


# ----------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path, where: str, head: bytes, nrows: int | None
                  ) -> tuple[pd.DataFrame, dict]:
    kind = _content_kind(head)
    if kind in ("zip", "ole"):
        raise DataError(f"{where}: this is an Excel workbook, not a Parquet file; give it the "
                        f".xlsx ending")
    if kind != "parquet":
        raise DataError(f"{where}: not a Parquet file (it does not start with the Parquet "
                        f"marker PAR1); if it is CSV text, give it the .csv ending")
    try:
        if nrows is None:
            table = pd.read_parquet(path)
        else:
            with pq.ParquetFile(path) as parquet:
                batches = list(_first_rows(parquet.iter_batches(batch_size=min(nrows, 65536)),
                                           nrows))
                table = (pa.Table.from_batches(batches, schema=parquet.schema_arrow)
                         .to_pandas())
    except Exception as err:  # pyarrow raises its own types
        raise DataError(f"{where}: not a readable Parquet file ({type(err).__name__}: "
                        f"{err})") from err
    return table, _info(path, "parquet")


def _first_rows(batches: Iterable, nrows: int):
    left = nrows
    for batch in batches:
        if left <= 0:
            return
        yield batch.slice(0, left)
        left -= batch.num_rows


# ------------------------------------------------------------------------------- Excel


def _read_excel(path: Path, sheet: str | int | None, where: str, head: bytes,
                nrows: int | None) -> tuple[pd.DataFrame, dict]:
    kind = _content_kind(head)
    if kind == "parquet":
        raise DataError(f"{where}: this is a Parquet file, not an Excel workbook; give it the "
                        f".parquet ending")
    if kind not in ("zip", "ole"):
        looks = "text (CSV?)" if _looks_like_text(path) else "neither an .xlsx nor an .xls file"
        raise DataError(f"{where}: not a readable Excel workbook: the file is {looks}; if it "
                        f"is CSV text, give it the .csv ending")
    try:
        book = pd.ExcelFile(path)
    except ImportError as err:
        raise DataError(f"{where}: reading this workbook needs a package that is not "
                        f"installed ({err}); install it, or save the sheet as .xlsx") from err
    except Exception as err:  # openpyxl, xlrd and zipfile raise their own types
        raise DataError(f"{where}: not a readable Excel workbook (damaged, password-protected "
                        f"or another zip file): {type(err).__name__}: {err}") from err
    with book:
        names = list(book.sheet_names)
        chosen = _choose_sheet(names, sheet, where)
        try:
            header = pd.read_excel(book, sheet_name=chosen, header=None, nrows=1)
            table = pd.read_excel(book, sheet_name=chosen, nrows=nrows)
        except Exception as err:
            raise DataError(f"{where}: sheet {chosen!r} cannot be read: "
                            f"{type(err).__name__}: {err}") from err
    if header.empty:
        raise DataError(f"{where}: sheet {chosen!r} is empty; the workbook's sheets are "
                        f"{names}")
    _refuse_duplicates([unicodedata.normalize("NFC", c.strip()) if isinstance(c, str) else c
                        for c in header.iloc[0].tolist()], where)
    return table, _info(path, "excel", sheet=chosen)


def _choose_sheet(names: list[str], sheet: str | int | None, where: str) -> str:
    if not names:
        raise DataError(f"{where}: the workbook has no sheets")
    if sheet is None:
        return names[0]
    if isinstance(sheet, bool) or not isinstance(sheet, str | int):
        raise DataError(f"{where}: sheet must be a name or a number (0 = the first), got "
                        f"{sheet!r}")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise DataError(f"{where}: no sheet number {sheet} (0 = the first); the workbook "
                            f"has {len(names)} sheet(s): {names}")
        return names[sheet]
    if sheet not in names:
        close = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"{where}: no sheet named {sheet!r}{hint}; the workbook has {names}")
    return sheet


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    return b"\x00" not in sample and not _control_share(sample.decode("latin-1")) > 0.01


# --------------------------------------------------------------------------------- CSV


def _read_csv(path: Path, sep: str | None, encoding: str | None, where: str, source: str,
              head: bytes, nrows: int | None) -> tuple[pd.DataFrame, dict]:
    kind = _content_kind(head)
    if kind == "zip":
        raise DataError(f"{where}: this is an Excel workbook (or another zip file), not CSV "
                        f"text; give it the .xlsx ending")
    if kind == "ole":
        raise DataError(f"{where}: this is an old Excel workbook, not CSV text; give it the "
                        f".xls ending or save it as .xlsx")
    if kind == "parquet":
        raise DataError(f"{where}: this is a Parquet file, not CSV text; give it the .parquet "
                        f"ending")
    compression = "gzip" if kind == "gzip" else None
    raw, truncated = _sample(path, compression, where)
    sep = _check_sep(sep, where, source)
    detected = []
    if encoding is None:
        encoding, evidence = _detect_encoding(raw)
        detected.append("encoding")
        mixed = _mixed_encoding(raw) if encoding not in ("utf-8", "utf-8-sig") else None
        if mixed:
            utf8_line, other_line = mixed
            raise DataError(
                f"{where}: the file mixes UTF-8 (line {utf8_line}) with another encoding "
                f"(line {other_line}), so one name would be read as several (Hà Nội and "
                f"HÃ  Ná»i); re-save the whole file as UTF-8, or give data.{source}.encoding")
    else:
        encoding, evidence = _check_codec(encoding, where, source), None
    text = _decode_sample(raw, encoding, truncated, where, source, detected)
    if not text.strip("\ufeff \t\r\n"):
        raise DataError(f"{where}: the file holds no data (blank lines only)")
    if "\x00" in text or _control_share(text) > 0.01:
        raise DataError(f"{where}: the file is binary, not delimited text (it holds control "
                        f"characters); check that the path points at the CSV export")
    records = _sample_records(text, truncated)
    if sep is None:
        sep = _detect_delimiter(text, records, path)
        detected.append("delimiter")
    header = next((r for r in _records_with(text, sep, truncated) if any(f.strip() for f in r)),
                  None)
    if header:
        _refuse_duplicates([unicodedata.normalize("NFC", f.replace("\ufeff", "").strip())
                            for f in header], where)
    notes = [f"encoding {encoding} detected: {evidence}"] if evidence else []
    table = _pandas_csv(path, sep, encoding, compression, nrows, where, source,
                        len(header or []))
    return table, _info(path, "csv", encoding=encoding, delimiter=sep, compression=compression,
                        detected=detected, notes=notes)


def _check_sep(sep: str | None, where: str, source: str) -> str | None:
    """The configured delimiter as one character (``tab`` means a tab)."""
    if sep is None:
        return None
    sep = {"tab": "\t", "\\t": "\t"}.get(sep.lower(), sep)
    if len(sep) != 1:
        raise DataError(f"{where}: data.{source}.sep must be one character such as ',' ';' "
                        f"'|' or tab, got {sep!r}")
    return sep


def _sample(path: Path, compression: str | None, where: str) -> tuple[bytes, bool]:
    """The first ``SAMPLE_BYTES`` bytes (decompressed) and whether the file is longer."""
    try:
        opener = gzip.open if compression == "gzip" else open
        with opener(path, "rb") as handle:
            raw = handle.read(SAMPLE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{where}: the gzip file is damaged ({err})") from err
    return raw[:SAMPLE_BYTES], len(raw) > SAMPLE_BYTES


def _check_codec(encoding: str, where: str, source: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as err:
        raise DataError(f"{where}: unknown encoding {encoding!r} in data.{source}.encoding; "
                        f"use e.g. utf-8, cp1258, cp1252 or utf-16") from err


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_VIET_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_TONE_AFTER_VOWEL = re.compile(f"[{_VIET_VOWELS}][{_TONE_MARKS}]")
_TONE_ELSEWHERE = re.compile(f"(?:^|[^{_VIET_VOWELS}])[{_TONE_MARKS}]", re.MULTILINE)
_VIET_LETTERS = re.compile("[đĐưƯ]|(?<=[ưƯ])[ơƠ]")


def _detect_encoding(raw: bytes) -> tuple[str, str | None]:
    """Return the encoding of a sample and, for a guess between 8-bit codepages, why."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name, None
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return utf16, None
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(raw, final=False)
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        vietnamese = raw.decode("cp1258")
    except UnicodeDecodeError:
        vietnamese = None
    try:
        raw.decode("cp1252")
        western = True
    except UnicodeDecodeError:
        western = False
    if vietnamese is None:
        return ("cp1252", "not UTF-8, and bytes undefined in cp1258") if western else (
            "latin-1", "neither UTF-8, cp1258 nor cp1252 decodes it")
    evidence = len(_TONE_AFTER_VOWEL.findall(vietnamese)) + len(
        _VIET_LETTERS.findall(vietnamese))
    counter = len(_TONE_ELSEWHERE.findall(vietnamese))
    if evidence >= 1 and evidence > 2 * counter:
        return "cp1258", (f"not UTF-8; {evidence} Vietnamese tone mark(s) or letter(s) "
                          f"against {counter} misplaced tone mark(s)")
    if not western:
        return "cp1258", "not UTF-8, and bytes undefined in cp1252"
    return "cp1252", (f"not UTF-8; {evidence} Vietnamese tone mark(s) or letter(s) against "
                      f"{counter} misplaced tone mark(s)")


def _mixed_encoding(raw: bytes) -> tuple[int, int] | None:
    """First line that is UTF-8 with accents and first line that is not UTF-8, if both occur.

    A file whose rows were appended by two systems (one writing UTF-8, one Windows-1258)
    has both; a single-byte file almost never has two lines that happen to be valid UTF-8
    with non-ASCII letters in them.
    """
    utf8, other = [], None
    for number, line in enumerate(raw.split(b"\n")[:-1] or raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other = other or number
            continue
        utf8.append(number)
        if len(utf8) >= 2 and other:
            return utf8[0], other
    return (utf8[0], other) if len(utf8) >= 2 and other else None


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when every other byte is NUL (ASCII text), else None."""
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decode_sample(raw: bytes, encoding: str, truncated: bool, where: str, source: str,
                   detected: list[str]) -> str:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(raw, final=not truncated)
    except UnicodeDecodeError as err:
        how = "detected" if "encoding" in detected else f"data.{source}.encoding"
        raise DataError(
            f"{where}: the file is not {encoding} text ({how}): byte "
            f"{err.object[err.start:err.start + 1]!r} at byte position {err.start} cannot be "
            f"decoded; set data.{source}.encoding (e.g. utf-8, cp1258, cp1252, utf-16)"
        ) from err
    except UnicodeError as err:  # e.g. utf-16 given for a file without its byte-order mark
        raise DataError(
            f"{where}: the file is not {encoding} text ({err}); set data.{source}.encoding "
            f"to the file's encoding, or leave it out to have it detected"
        ) from err


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls / min(len(text), 65536)


def _records_with(text: str, sep: str, truncated: bool, limit: int = 200) -> list[list[str]]:
    """Up to ``limit`` non-blank records of the sample, split on ``sep`` (quotes respected)."""
    records = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            if record and any(field.strip() for field in record):
                records.append(record)
            if len(records) > limit:
                break
    except csv.Error:
        pass
    if truncated and records and len(records) <= limit:
        records = records[:-1]  # the last record of a cut sample may be incomplete
    return records[:limit]


def _sample_records(text: str, truncated: bool) -> dict[str, list[int]]:
    """Fields per record of the sample for each candidate delimiter."""
    return {d: [len(r) for r in _records_with(text, d, truncated)] for d in CSV_DELIMITERS}


def _detect_delimiter(text: str, counts: dict[str, list[int]], path: Path) -> str:
    """The delimiter that splits every record of the sample into the same number of fields.

    ``csv.Sniffer`` proposes one; it is kept when it splits the sample consistently
    into more than one field. Otherwise the candidate (``,`` ``;`` tab ``|``) that
    splits every record into the same number (> 1) of fields wins, the most fields
    first. With none, the file has one column, and a candidate that does not occur
    in the sample is returned.
    """
    preferred = ("\t",) if path.suffix.lower() == ".tsv" or ".tsv" in [
        s.lower() for s in path.suffixes] else ()
    chunk = text[:65536]
    if len(text) > len(chunk) and "\n" in chunk:
        chunk = chunk[:chunk.rindex("\n")]
    try:
        sniffed = csv.Sniffer().sniff(chunk, delimiters="".join(CSV_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None

    def consistent(delim: str) -> bool:
        fields = counts.get(delim, [])
        return bool(fields) and fields[0] > 1 and len(set(fields)) == 1

    for delim in preferred:
        if consistent(delim):
            return delim
    if sniffed and consistent(sniffed):
        return sniffed
    good = [d for d in CSV_DELIMITERS if consistent(d)]
    if good:
        return max(good, key=lambda d: counts[d][0])
    # No candidate is consistent: take the one whose header splits most, if any does,
    # so that a ragged row is then reported by line rather than read as one column.
    split = [d for d in CSV_DELIMITERS if counts[d] and counts[d][0] > 1]
    if split:
        return max(split, key=lambda d: (sum(c == counts[d][0] for c in counts[d]),
                                         counts[d][0]))
    # One column: a delimiter that never occurs keeps values such as "1,5" whole.
    return next((d for d in CSV_DELIMITERS if d not in text), ",")


_EXTRA_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _pandas_csv(path: Path, sep: str, encoding: str, compression: str | None,
                nrows: int | None, where: str, source: str, n_header: int) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, sep=sep, encoding=encoding, compression=compression,
                               dtype=str, keep_default_na=False, na_values=[""],
                               index_col=False, nrows=nrows, skip_blank_lines=True)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{where}: the file holds no columns (empty or blank lines only)"
                        ) from err
    except UnicodeDecodeError as err:
        raise DataError(_decode_failure(path, encoding, compression, where, source)) from err
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(err))
        if unclosed:
            raise DataError(
                f"{where}: a quoted value starting at data row {unclosed.group(1)} is never "
                f"closed (a '\"' without its partner); fix the quotes in that row"
            ) from err
        found = _first_long_record(path, sep, encoding, compression, n_header)
        if found is None:
            match = _EXTRA_FIELDS.search(str(err))
            if not match:
                raise DataError(f"{where}: cannot be read as delimited text: {err}") from err
            found = (int(match.group(2)) - 1, int(match.group(3)))
        row, fields = found
        shown = _DELIMITER_NAMES.get(sep, repr(sep))
        raise DataError(
            f"{where}: data row {row} has {fields} fields but the header has {n_header} "
            f"(delimiter {shown}); quote values that contain the delimiter, or fix the row"
        ) from err
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{where}: cannot be read: {type(err).__name__}: {err}") from err
    except (ValueError, csv.Error) as err:  # anything else pandas refuses
        raise DataError(f"{where}: cannot be read as delimited text: {err}") from err


def _open_text(path: Path, encoding: str, compression: str | None):
    if compression == "gzip":
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open("r", encoding=encoding, newline="")


def _first_long_record(path: Path, sep: str, encoding: str, compression: str | None,
                       n_header: int) -> tuple[int, int] | None:
    """(data row, fields) of the first record with more fields than the header, streaming."""
    try:
        with _open_text(path, encoding, compression) as handle:
            records = (r for r in csv.reader(handle, delimiter=sep) if r)  # as pandas: no
            next(records, None)  # blank lines; the header comes first
            for row, record in enumerate(records, start=1):
                if len(record) > n_header and any(f.strip() for f in record[n_header:]):
                    return row, len(record)
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    return None


def _decode_failure(path: Path, encoding: str, compression: str | None, where: str,
                    source: str) -> str:
    """Say where, past the sample, the file stops being ``encoding`` text (streaming)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = lines = 0
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as handle:
        while chunk := handle.read(SAMPLE_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                position = offset + max(err.start - len(err.object) + len(chunk), 0)
                line = lines + chunk[:max(position - offset, 0)].count(b"\n") + 1
                byte = chunk[position - offset:position - offset + 1]
                return (f"{where}: the file is not {encoding} text past the first "
                        f"{SAMPLE_BYTES:,} bytes used to detect it: byte {byte!r} at byte "
                        f"position {position:,} (line {line:,}) cannot be decoded; set "
                        f"data.{source}.encoding (e.g. cp1258, cp1252, utf-8)")
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return (f"{where}: the file is not {encoding} text; set data.{source}.encoding "
            f"(e.g. cp1258, cp1252, utf-8)")


# ------------------------------------------------------------------------------ numbers

_SPACES = "\u00a0\u202f\u2009\u2007"
_CURRENCY = r"(?:US\$|\$|€|£|¥|₫|đ|Đ|(?i:VNĐ|VND|USD|EUR|GBP|JPY))"
_MONEY = r"(?:" + _CURRENCY + r"\s*)?"
#: Sign, parentheses and currency around the number's core (digits, marks, spaces, exponent).
_NUMBER = (
    r"(?P<s1>[-−+])?\s*" + _MONEY + r"(?P<s2>[-−])?\s*(?P<open>\()?\s*" + _MONEY
    + r"(?P<core>[0-9.,](?:[0-9.,' ]*[0-9])?(?:[eE][+-]?[0-9]+)?)\s*" + _MONEY
    + r"(?P<close>\))?\s*" + _MONEY + r"(?P<s3>-)?"
)
_COMMA_DECIMAL_LOCALES = {"vi", "de", "fr", "es", "it", "pt", "nl", "ru", "id", "tr", "pl",
                          "cs", "da", "fi", "nb", "no", "sv", "ro", "hu", "el", "uk"}


def _core_pattern(decimal: str) -> str:
    group = re.escape("," if decimal == "." else ".")
    dec = re.escape(decimal)
    patterns = [rf"[1-9]\d{{0,2}}(?:[{group}' ]\d{{3}})+(?:{dec}\d+)?",
                rf"\d+(?:{dec}\d+)?", rf"{dec}\d+"]
    if decimal == ".":
        patterns.append(r"\d+(?:\.\d+)?[eE][+-]?\d+")
    return "|".join(patterns)


def _locale_decimal(locale: str) -> str:
    language = re.split(r"[-_]", locale or "en")[0].lower()
    return "," if language in _COMMA_DECIMAL_LOCALES else "."


def parse_numbers(values: pd.Series, *, source: str, label: str, path: Path,
                  decimal: str | None = None, locale: str = "en"
                  ) -> tuple[pd.Series, list[Msg]]:
    """Parse numbers and money written as text, deciding the decimal mark per column.

    Accepted: ``1234.5``, ``1,234.50``, ``$1,234.50``, ``1.234.567 ₫``,
    ``1.234.567đ``, ``VND 1.234.567``, ``1 234,50 €`` (normal, non-breaking and
    narrow spaces or ``'`` as thousands separators), ``1.5e3``; negatives as
    ``-1.234,50``, ``(1,234.50)`` or ``1234-``. Currency symbols and codes
    ``₫ đ VND $ USD € EUR £ GBP ¥ JPY`` may stand before or after the number.

    The decimal mark is one per column. A value with both ``.`` and ``,`` says
    it (the last is decimal), as does a mark appearing twice (a thousands
    separator) or a single mark not followed by exactly three digits (decimal).
    ``1.234`` and ``2,500`` could be read either way: they follow ``decimal``
    when given, else the column's unambiguous values, else the ``locale``
    (``en``: ``.``, ``vi``: ``,``), and a note says so.

    Parameters
    ----------
    values : pandas.Series
        Text, or numbers (passed through as float64).
    source, label, path
        The source's config name, the column as messages name it (e.g.
        ``"'Amount' (mapped to 'amount')"``) and the file, for messages.
    decimal : {".", ","}, optional
        The decimal mark, from ``data.<source>.decimal``.
    locale : str
        The run's locale; decides ambiguous values when nothing else does.

    Returns
    -------
    numbers : pandas.Series
        float64, same index; blank cells are NaN.
    notes : list of Msg (catalogue messages; str() gives the English text)
        Sentences for the data-quality ledger (how ambiguous values were read).

    Raises
    ------
    DataError
        For text that is not a number, infinite values, or a column mixing
        decimal marks (``1.5`` and ``1,5``), naming the data row and the value.
    """
    key = f"{_where(source, path)}: column {label}"
    index, values = values.index, values.reset_index(drop=True)
    if decimal not in (None, ".", ","):
        raise DataError(f"{key}: data.{source}.decimal must be '.' or ',', got {decimal!r}")
    if pd.api.types.is_bool_dtype(values.dtype):
        raise DataError(f"{key}: holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64")
        _refuse_infinite(numbers, values, key)
        return numbers.set_axis(index), []
    numbers = pd.Series(np.nan, index=values.index, dtype="float64", name=values.name)
    if pd.api.types.is_object_dtype(values.dtype):  # Excel: numbers and text in one column
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore")
        is_text = is_text.fillna(False).astype(bool)
        stored = values.notna() & ~is_text
        if stored.any():
            numbers[stored] = pd.to_numeric(values[stored], errors="coerce")
            bad = stored & numbers.isna()
            if bad.any():
                raise DataError(f"{key}: {int(bad.sum())} value(s) are not numbers, first at "
                                f"data row {row_of(bad)}: {values[bad].iloc[0]!r}")
    else:
        is_text = values.notna()
    notes: list[Msg] = []
    if is_text.any():
        text = _text(values.where(is_text))
        parsed, notes = _numbers_from_text(text, key, source, decimal, locale, label)
        numbers[text.notna()] = parsed[text.notna()]
    _refuse_infinite(numbers, values, key)
    return numbers.astype("float64").set_axis(index), notes


def _refuse_infinite(numbers: pd.Series, values: pd.Series, key: str) -> None:
    infinite = pd.Series(np.isinf(numbers.to_numpy()), index=numbers.index)
    if infinite.any():
        raise DataError(f"{key}: {int(infinite.sum())} value(s) are infinite, first at data "
                        f"row {row_of(infinite)}: {str(values[infinite].iloc[0])!r}; expected "
                        f"finite numbers")


def _numbers_from_text(text: pd.Series, key: str, source: str, decimal: str | None,
                       locale: str, label: str) -> tuple[pd.Series, list[Msg]]:
    filled = text.notna()
    simple = _matches(text, r"-?\d+(?:\.\d+)?")
    if decimal != "," and simple[filled].all() and (
            decimal == "." or not _matches(text, r"-?[1-9]\d{0,2}\.\d{3}").any()):
        return _floats(text), []  # plain numbers, nothing to decide
    spaced = text.str.replace(f"[{_SPACES}]", " ", regex=True)
    parts = _extract(spaced, _NUMBER)[1]
    core = parts["core"]
    negative_marks = (parts["s1"].isin(["-", "−"]).astype(int)
                      + parts["s2"].notna().astype(int)
                      + parts["open"].notna().astype(int) + parts["s3"].notna().astype(int))
    valid_dot = _matches(core, _core_pattern("."))
    valid_comma = _matches(core, _core_pattern(","))
    shape_ok = (parts["open"].notna() == parts["close"].notna()) & (negative_marks <= 1) & ~(
        parts["s1"].notna() & parts["s2"].notna())
    invalid = filled & ~((valid_dot | valid_comma) & shape_ok.fillna(False))
    if invalid.any():
        raise DataError(
            f"{key}: {int(invalid.sum())} value(s) are not numbers, first at data row "
            f"{row_of(invalid)}: {str(text[invalid].iloc[0])!r}; expected numbers such as "
            f"1234.50, 1,234.50, 1.234.567 ₫ or (1,234.50)"
        )
    has_mark = core.str.contains(r"[.,]", regex=True).fillna(False).astype(bool)
    ambiguous = filled & valid_dot & valid_comma & has_mark
    dot_only = filled & valid_dot & ~valid_comma
    comma_only = filled & valid_comma & ~valid_dot
    notes = []
    if decimal is not None:
        wrong = comma_only if decimal == "." else dot_only
        if wrong.any():
            other = "," if decimal == "." else "."
            raise DataError(
                f"{key}: {int(wrong.sum())} value(s) such as {_example(text, wrong)} have "
                f"{other!r} as the decimal mark, but data.{source}.decimal is {decimal!r}; "
                f"fix data.{source}.decimal or the values"
            )
        chosen = decimal
    elif dot_only.any() and comma_only.any():
        raise DataError(
            f"{key}: mixes decimal marks: {_example(text, dot_only)} has '.' as the decimal "
            f"mark and {_example(text, comma_only)} has ','; export the column with one "
            f"decimal mark"
        )
    elif dot_only.any() or comma_only.any():
        chosen = "." if dot_only.any() else ","
        if ambiguous.any():
            proof = dot_only if chosen == "." else comma_only
            notes.append(msg("ledger.decimal_evidence", label=label,
                             count=int(ambiguous.sum()), example=_example(text, ambiguous),
                             mark=repr(chosen), proof=_example(text, proof), source=source))
    else:
        chosen = _locale_decimal(locale)
        if ambiguous.any():
            notes.append(msg("ledger.decimal_locale", label=label,
                             count=int(ambiguous.sum()), example=_example(text, ambiguous),
                             mark=repr(chosen), language=locale, source=source))
    group = "," if chosen == "." else "."
    plain = core.str.replace(f"[{re.escape(group)}' ]", "", regex=True).str.replace(
        chosen, ".", regex=False)
    numbers = _floats(plain)
    sign = np.where(negative_marks.fillna(0).to_numpy() > 0, -1.0, 1.0)
    return numbers * sign, notes


# -------------------------------------------------------------------------------- dates

_EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (1, 73050)  # 1900-01-01 .. 2099-12-31
_TIME = (r"(?:[T ]\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
         r"\s*(?P<P>[AaPp]\.?[Mm]\.?)?)?")
_ISO = (r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
        r"(?:\s?(?:Z|[+-]\d{2}(?::?\d{2})?))?)?")
_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
#: Layouts besides strict ISO: name -> (family, regex with named groups).
_LAYOUTS = {
    "year first": ("year first", r"(?P<Y>\d{4})(?P<s1>[-/.])(?P<a>\d{1,2})(?P<s2>[-/.])"
                                 r"(?P<b>\d{1,2})" + _TIME),
    "day/month": ("dd/mm/yyyy or mm/dd/yyyy", r"(?P<a>\d{1,2})(?P<s1>[-/.])(?P<b>\d{1,2})"
                                              r"(?P<s2>[-/.])(?P<Y>\d{4})" + _TIME),
    "month name": ("31 Jan 2025", r"(?P<b>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})\.?,?[ -]\s*"
                                  r"(?P<Y>\d{4})" + _TIME),
    "name first": ("Jan 31, 2025", r"(?P<mon>[A-Za-z]{3,9})\.? (?P<b>\d{1,2}),? (?P<Y>\d{4})"
                                   + _TIME),
    "yyyymmdd": ("yyyymmdd", r"(?P<Y>\d{4})(?P<a>\d{2})(?P<b>\d{2})"),
    "serial": ("Excel serial number", r"\d{1,5}(?:\.\d+)?"),
    "two-digit year": ("two-digit year", r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(?:[T ].*)?"),
}


def parse_dates(values: pd.Series, *, source: str, label: str, path: Path,
                dayfirst: bool | None = None, required: bool = False
                ) -> tuple[pd.Series, list[Msg]]:
    """Parse a column of dates or date-times, one layout per column.

    Accepted layouts: datetime cells (Excel, Parquet) as they are; ISO
    ``2025-01-31`` with an optional time (``T`` or space, seconds, fraction) and
    an optional ``Z``/offset; year first with ``/`` or ``.``; ``dd/mm/yyyy``
    (or ``-``, ``.``) with an optional ``HH:MM[:SS]`` and AM/PM, day first or
    month first as ``dayfirst`` says; ``31 Jan 2025`` and ``Jan 31, 2025``
    (English month names); ``yyyymmdd``; Excel serial numbers 1..73050 (origin
    1899-12-30, fractions are the time of day) as numbers or text. A column
    holds one layout (with or without times): two layouts are an error. When
    some ISO values carry an offset or ``Z``, those without one are taken as
    UTC. Two-digit years (``31/01/25``) are refused. A 4-digit number such as
    ``2025`` is read as an Excel serial (1905-07-17), like any number in range.

    When ``dayfirst`` is None, values such as ``31/01/2025`` that can only be
    read day first (or ``01/31/2025``, month first) decide the column, and a note
    says so if other values (``01/02/2025``) could be read both ways; with no
    such value the column is refused rather than guessed.

    Parameters
    ----------
    values : pandas.Series
        Text, datetimes, or Excel serial numbers.
    source, label, path
        The source's config name, the column as messages name it and the file.
    dayfirst : bool, optional
        ``data.<source>.dayfirst``: True for 31/01/2025, False for 01/31/2025.
    required : bool
        Whether a blank cell is an error.

    Returns
    -------
    dates : pandas.Series
        datetime64[ns], naive (zone-aware values are converted to UTC), same
        index; blank cells are NaT.
    notes : list of Msg (catalogue messages; str() gives the English text)
        Sentences for the data-quality ledger (how the day/month order was decided).

    Raises
    ------
    DataError
        For unparseable values (count, first row, example), two-digit years,
        a column mixing layouts (both examples and rows), day/month order that
        cannot be decided, or blanks when ``required``.
    """
    key = f"{_where(source, path)}: column {label}"
    index, values = values.index, values.reset_index(drop=True)
    notes: list[Msg] = []
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dates = _naive_ns(values)
    elif pd.api.types.is_bool_dtype(values.dtype):
        raise DataError(f"{key}: holds true/false values, not dates")
    elif pd.api.types.is_numeric_dtype(values.dtype):
        dates = _from_serials(values.astype("float64"), values.astype("string"), key)
    else:
        dates, notes = _dates_from_objects(values, key, source, label, dayfirst)
    if required:
        blank = dates.isna()
        if blank.any():
            raise DataError(f"{key}: {int(blank.sum())} row(s) have no date, first at data row "
                            f"{row_of(blank)}; every row needs one")
    dates.name = values.name
    return dates.set_axis(index), notes


#: Years a nanosecond timestamp holds (1677-09 to 2262-04, whole years to be safe).
NS_YEARS = (1678, 2261)


def _naive_ns(values: pd.Series) -> pd.Series:
    """Datetimes without a time zone (zone-aware ones converted to UTC first), in ns.

    A date outside :data:`NS_YEARS` (``9999-12-31``, a CRM's "no end") becomes missing,
    which the caller reports as a date it cannot read, naming the row.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    years = values.dt.year
    values = values.where(years.isna() | years.between(*NS_YEARS))
    return values.astype("datetime64[ns]")


def _from_serials(serials: pd.Series, shown: pd.Series, key: str) -> pd.Series:
    low, high = _SERIAL_RANGE
    outside = serials.notna() & ~serials.between(low, high)
    if outside.any():
        raise DataError(
            f"{key}: {int(outside.sum())} value(s) are not dates, first at data row "
            f"{row_of(outside)}: {str(shown[outside].iloc[0])!r}; numbers are read as Excel "
            f"date serials ({low} = 1900-01-01 .. {high} = 2099-12-31)"
        )
    millis = (serials * 86_400_000).round()
    return (_EXCEL_ORIGIN + pd.to_timedelta(millis, unit="ms")).astype("datetime64[ns]")


def _dates_from_objects(values: pd.Series, key: str, source: str, label: str,
                        dayfirst: bool | None) -> tuple[pd.Series, list[Msg]]:
    """Text dates; an object column may also hold datetime cells and serial numbers."""
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    text_mask = pd.Series(True, index=values.index)
    if pd.api.types.is_object_dtype(values.dtype):
        kinds = values.map(_cell_kind, na_action="ignore")
        other = kinds == "other"
        if other.any():
            raise DataError(f"{key}: {int(other.sum())} value(s) are not dates, first at data "
                            f"row {row_of(other)}: {values[other].iloc[0]!r}")
        stamps = kinds == "datetime"
        if stamps.any():
            dates[stamps] = _naive_ns(pd.to_datetime(values[stamps], utc=True))
        numbers = kinds == "number"
        if numbers.any():
            text_mask = kinds == "text"
            serial_text = values[numbers].map(repr)
            others = _text(values.where(text_mask))
            if others.notna().any():
                first_text = others.notna()
                raise DataError(
                    f"{key}: mixes date layouts: {_example(values.map(str), numbers)} is an "
                    f"Excel serial number and {_example(others, first_text)} is text; export "
                    f"the column in one layout"
                )
            dates[numbers] = _from_serials(values[numbers].astype("float64"), serial_text, key)
            return dates, []
        text_mask = kinds == "text"
    text = _text(values.where(text_mask))
    if text.notna().any():
        parsed, notes = _dates_from_text(text, key, source, label, dayfirst)
        dates[text.notna()] = parsed[text.notna()]
        return dates, notes
    return dates, []


def _cell_kind(value) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "other"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        return "datetime"
    return "other"


def _dates_from_text(text: pd.Series, key: str, source: str, label: str,
                     dayfirst: bool | None) -> tuple[pd.Series, list[Msg]]:
    filled = text.notna()
    iso = _matches(text, _ISO)
    layouts = {"iso": iso}
    groups: dict[str, pd.DataFrame] = {}
    rest = filled & ~iso
    for name, (_family, pattern) in _LAYOUTS.items():
        taken = pd.Series(False, index=text.index)
        if rest.any():
            if "(?P<" in pattern:
                hits, groups[name] = _extract(text[rest], pattern)
            else:
                hits = _matches(text[rest], pattern)
            taken[hits[hits].index] = True
        layouts[name] = taken
        rest = rest & ~taken
    unknown = filled & ~pd.concat(layouts, axis=1).any(axis=1)
    if unknown.any():
        raise DataError(
            f"{key}: {int(unknown.sum())} value(s) are not dates, first at data row "
            f"{row_of(unknown)}: {str(text[unknown].iloc[0])!r}; expected dates such as "
            f"2025-03-31, 2025-03-31 14:05 or 31/03/2025"
        )
    two_digit = layouts.pop("two-digit year", None)
    if two_digit is not None and two_digit.any():
        raise DataError(
            f"{key}: {int(two_digit.sum())} value(s) have a two-digit year, first at "
            f"{_example(text, two_digit)}; export the dates with four-digit years "
            f"(31/03/2025 or 2025-03-31)"
        )
    if layouts.get("day/month") is not None and layouts["day/month"].any():
        # 31/31/2024 is no date in any order: say so, rather than call it another layout
        mask = layouts["day/month"]
        parts = groups["day/month"].loc[text.index[mask]]
        a, b = _floats(parts["a"]), _floats(parts["b"])
        impossible = ((a > 12) & (b > 12)) | (a > 31) | (b > 31) | (a < 1) | (b < 1)
        if impossible.any():
            bad = pd.Series(False, index=text.index)
            bad[impossible[impossible].index] = True
            raise DataError(
                f"{key}: {int(bad.sum())} value(s) are not valid dates (no day and month in "
                f"either order), first at data row {row_of(bad)}: {str(text[bad].iloc[0])!r}"
            )
    families: dict[str, pd.Series] = {}
    for name, mask in layouts.items():
        family = "year first" if name in ("iso", "year first") else _LAYOUTS[name][0]
        families[family] = families.get(family, pd.Series(False, index=text.index)) | mask
    present = sorted((row_of(m), f) for f, m in families.items() if m.any())
    if len(present) > 1:
        (_, first), (_, second) = present[:2]
        raise DataError(
            f"{key}: mixes date layouts: {_example(text, families[first])} and "
            f"{_example(text, families[second])}; export the column in one layout"
        )
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    notes: list[Msg] = []
    if iso.any():
        dates[iso] = _parse_iso(text[iso])
    for name in ("year first", "day/month", "month name", "name first", "yyyymmdd"):
        mask = layouts[name]
        if mask.any():
            parsed, note = _parse_components(text[mask], groups[name].loc[text.index[mask]],
                                             name, key, source, label, dayfirst)
            dates[mask] = parsed
            notes += note
    if layouts["serial"].any():
        serial = layouts["serial"]
        dates[serial] = _from_serials(text[serial].astype("float64"), text[serial], key)
    invalid = filled & dates.isna()
    if invalid.any():
        hint = ""
        years = text[invalid].str.extract(r"^\s*(\d{4})\b", expand=False).astype("float64")
        if (years > NS_YEARS[1]).any() or (years < NS_YEARS[0]).any():
            hint = (f" (dates before {NS_YEARS[0]} or after {NS_YEARS[1]}, such as a 'no end' "
                    f"9999-12-31, are not dates: leave the cell blank)")
        elif layouts["day/month"].any():
            order = {True: "day first", False: "month first", None: "as decided"}[dayfirst]
            hint = f" (read {order}; see data.{source}.dayfirst)"
        raise DataError(
            f"{key}: {int(invalid.sum())} value(s) are not valid dates{hint}, first at data "
            f"row {row_of(invalid)}: {str(text[invalid].iloc[0])!r}"
        )
    return dates, notes


def _parse_iso(text: pd.Series) -> pd.Series:
    """ISO 8601 text; with an offset or ``Z`` on any value, values without one are UTC."""
    zoned = _matches(text, r".*\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)")
    if zoned.any():
        return _naive_ns(pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce"))
    return _naive_ns(pd.to_datetime(text, format="ISO8601", errors="coerce"))


def _parse_components(text: pd.Series, parts: pd.DataFrame, layout: str, key: str,
                      source: str, label: str, dayfirst: bool | None
                      ) -> tuple[pd.Series, list[Msg]]:
    """Dates from the layout's named groups, assembled without per-value Python code."""

    def number(name: str) -> pd.Series:
        if name not in parts:
            return pd.Series(np.nan, index=text.index)
        return _floats(parts[name])

    year = number("Y")
    notes: list[Msg] = []
    if "s1" in parts:
        same_sep = (parts["s1"] == parts["s2"]).fillna(False).astype(bool)
    else:
        same_sep = pd.Series(True, index=text.index)
    if layout in ("year first", "yyyymmdd"):
        month, day = number("a"), number("b")
    elif layout in ("month name", "name first"):
        month = parts["mon"].str.lower().map(_MONTHS).astype("float64")
        day = number("b")
    else:
        first, second = number("a"), number("b")
        day_first = _day_first(text, first, second, key, source, label, dayfirst, notes)
        day = first.where(day_first, second)
        month = second.where(day_first, first)
    hour, minute, second_ = number("H").fillna(0), number("M").fillna(0), number("S").fillna(0)
    if "P" in parts:
        meridiem = parts["P"].str.lower().str[0]
        bad_hour = meridiem.notna() & ~hour.between(1, 12)
        hour = hour.where(meridiem.isna(), hour % 12 + (meridiem == "p").astype(float) * 12)
        hour = hour.mask(bad_hour.fillna(False).astype(bool))
    fraction = pd.Series(0.0, index=text.index)
    if "F" in parts:
        fraction = _floats("0." + parts["F"].fillna("0"))
    frame = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour,
                          "minute": minute, "second": second_})
    frame.loc[~same_sep] = np.nan
    valid = frame.notna().all(axis=1)
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if valid.any():
        assembled = pd.to_datetime(frame[valid].astype("int64"), errors="coerce")
        dates[valid] = assembled + pd.to_timedelta(
            (fraction[valid] * 1e9).round(), unit="ns")
    return dates, notes


def _day_first(text: pd.Series, first: pd.Series, second: pd.Series, key: str, source: str,
               label: str, dayfirst: bool | None, notes: list[Msg]) -> pd.Series:
    """Whether each ``a/b/yyyy`` value is day first; refuses to guess."""
    if dayfirst is not None:
        return pd.Series(dayfirst, index=text.index)
    proves_day = (first > 12) & (second <= 12)
    proves_month = (second > 12) & (first <= 12)
    ambiguous = (first <= 12) & (second <= 12) & (first != second)
    if proves_day.any() and proves_month.any():
        raise DataError(
            f"{key}: mixes date layouts: {_example(text, proves_day)} can only be day first "
            f"(dd/mm/yyyy) and {_example(text, proves_month)} only month first (mm/dd/yyyy); "
            f"export the column in one layout"
        )
    if ambiguous.any():
        if not (proves_day.any() or proves_month.any()):
            raise DataError(
                f"{key}: dates such as {_example(text, ambiguous)} read differently day first "
                f"and month first; set data.{source}.dayfirst: true (31/01/2025) or false "
                f"(01/31/2025)"
            )
        decided = proves_day.any()
        proof = proves_day if decided else proves_month
        notes.append(msg("ledger.day_first" if decided else "ledger.month_first", label=label,
                         count=int(ambiguous.sum()), example=_example(text, ambiguous),
                         proof=_example(text, proof), source=source))
        return pd.Series(decided, index=text.index)
    return pd.Series(not proves_month.any(), index=text.index)


# --------------------------------------------------------------------------- flags, ids

_TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "có", "co", "c", "đúng", "dung", "✓", "✔",
               "on"}
_FALSE_WORDS = {"0", "false", "no", "n", "f", "không", "khong", "k", "sai", "off", "-"}


def parse_flags(values: pd.Series, *, source: str, label: str, path: Path) -> pd.Series:
    """Parse a yes/no column; a blank cell is False.

    True: ``1 true yes y t x có co c đúng ✓ on``; false: ``0 false no n f không
    khong k sai off -`` (any case, ``1.0`` and ``0.0`` included).

    Returns
    -------
    pandas.Series
        bool, same index.

    Raises
    ------
    DataError
        For any other value, naming the first such data row.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).astype(bool)
    index, values = values.index, values.reset_index(drop=True)
    text = _text(values).str.lower().fillna("")
    text = text.str.replace(r"^([01])\.0+$", r"\1", regex=True)
    bad = ~text.isin(_TRUE_WORDS | _FALSE_WORDS | {""})
    if bad.any():
        raise DataError(
            f"{_where(source, path)}: column {label}: value {str(values[bad].iloc[0])!r} at "
            f"data row {row_of(bad)} is not a yes/no flag; expected 1/0, true/false, yes/no, "
            f"y/n, x or có/không"
        )
    return text.isin(_TRUE_WORDS).astype(bool).rename(values.name).set_axis(index)


def normalize_ids(values: pd.Series) -> pd.Series:
    """Return customer or order ids as trimmed NFC strings; blank cells are missing.

    Whole floats lose their ``.0`` (``17850.0`` becomes ``17850``), both as numbers
    and as text, so an id read from Excel matches the same id read from CSV.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index.
    """
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == np.floor(whole)).all() and (whole.abs() < 2**53).all():
            values = values.astype("Int64")
    text = _nfc(values.astype("string").str.strip())
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text.where(text.notna() & (text != ""), pd.NA).astype("string")
