"""seglib.readers: files read as they are, text parsed without silent guesses."""

from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import file_hash
from seglib.errors import DataError
from seglib.readers import (
    describe_read,
    normalize_ids,
    parse_dates,
    parse_flags,
    parse_numbers,
    read_table,
    row_of,
)

VIET = "Nguyễn Thị Hương, Đà Nẵng"
WHERE = "data.transactions"
LABEL = "'Amount' (mapped to 'amount')"


def to_cp1258(text: str) -> str:
    """Text as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = "".join(p for p in parts if p not in tones)
        out.append(unicodedata.normalize("NFC", base) + "".join(p for p in parts if p in tones))
    return "".join(out)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read(path: Path, **kwargs) -> pd.DataFrame:
    return read_table(path, source="transactions", **kwargs)


def refused(path: Path, *fragments: str, **kwargs) -> str:
    """Read a malformed file: one DataError naming the file, and the bytes unchanged."""
    before = file_hash(path)
    with pytest.raises(DataError) as err:
        read(path, **kwargs)
    message = str(err.value)
    assert f"{WHERE} ({path})" in message
    for fragment in fragments:
        assert fragment in message, message
    assert file_hash(path) == before
    return message


def numbers(values, **kwargs):
    kwargs.setdefault("source", "transactions")
    return parse_numbers(pd.Series(values, dtype="str"), label=LABEL, path=Path("tx.csv"),
                         **kwargs)


def dates(values, **kwargs):
    kwargs.setdefault("source", "transactions")
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    return parse_dates(series, label="'InvoiceDate' (mapped to 'date')", path=Path("tx.csv"),
                       **kwargs)


# ------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
    ("utf-32", "utf-32"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
])
def test_unicode_encodings_are_detected_and_decoded_exactly(tmp_path, encoding, expected):
    text = f'name;city\n"{VIET}";Hà Nội\nTrần Văn Đức;Huế\n'
    path = write(tmp_path / "tx.csv", text.encode(encoding))
    table = read(path)
    assert list(table.columns) == ["name", "city"]
    assert table["name"].tolist() == [VIET, "Trần Văn Đức"]
    assert table["city"].tolist() == ["Hà Nội", "Huế"]
    assert table.attrs["read"]["encoding"] == expected
    assert "encoding" in table.attrs["read"]["detected"]


def test_vietnamese_windows_1258_is_detected(tmp_path):
    text = f"name;city\n{VIET};Hà Nội\nPhạm Thị Thu;Hồ Chí Minh\n"
    path = write(tmp_path / "tx.csv", to_cp1258(text).encode("cp1258"))
    table = read(path)
    assert table.attrs["read"]["encoding"] == "cp1258"
    assert table["name"].tolist() == [VIET, "Phạm Thị Thu"]
    assert table["city"].tolist() == ["Hà Nội", "Hồ Chí Minh"]
    assert any("cp1258" in note for note in table.attrs["read"]["notes"])


def test_western_windows_1252_is_detected(tmp_path):
    text = "name,city\nCafé Müller,Zürich\nSão João,Côte d'Ivoire\nperò,Niño\n"
    path = write(tmp_path / "tx.csv", text.encode("cp1252"))
    table = read(path)
    assert table.attrs["read"]["encoding"] == "cp1252"
    assert table["name"].tolist() == ["Café Müller", "São João", "però"]
    assert table["city"].tolist() == ["Zürich", "Côte d'Ivoire", "Niño"]


def test_given_encoding_wins_and_is_recorded_as_given(tmp_path):
    path = write(tmp_path / "tx.csv", "name\nCafé\n".encode("cp1252"))
    table = read(path, encoding="latin-1")
    assert table["name"].tolist() == ["Café"]
    assert table.attrs["read"]["encoding"] == "iso8859-1"
    assert "encoding" not in table.attrs["read"]["detected"]
    assert "(given)" in describe_read(table.attrs["read"])


def test_unknown_encoding_is_refused(tmp_path):
    path = write(tmp_path / "tx.csv", b"a,b\n1,2\n")
    refused(path, "unknown encoding 'klingon'", "data.transactions.encoding", encoding="klingon")


def test_given_encoding_that_does_not_fit_names_the_byte(tmp_path):
    path = write(tmp_path / "tx.csv", "name\nĐà Nẵng\n".encode())
    refused(path, "not ascii text", "byte position 5", "data.transactions.encoding",
            encoding="ascii")


def test_bad_bytes_after_the_sample_name_the_byte_position(tmp_path):
    body = b"id,name\n" + b"".join(b"%07d,Hanoi\n" % i for i in range(80_000))
    position = len(body) + 4
    path = write(tmp_path / "tx.csv", body + b"1,Hu\xe9\n")
    assert path.stat().st_size > 1 << 20
    refused(path, "not utf-8 text", f"byte position {position:,}", "line 80,002",
            "data.transactions.encoding")


def test_decomposed_vietnamese_equals_composed(tmp_path):
    nfd = unicodedata.normalize("NFD", f"Tên khách;Thành phố\n{VIET};Đà Nẵng\n")
    path = write(tmp_path / "tx.csv", nfd.encode("utf-8"))
    table = read(path)
    assert list(table.columns) == ["Tên khách", "Thành phố"]
    assert table.iloc[0, 0] == VIET
    assert table.iloc[0, 0] == unicodedata.normalize("NFC", VIET)


# ----------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    rows = [["customer_id", "amount", "city"], ["1", "12.5", "Huế"], ["2", "7", "Hà Nội"]]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    path = write(tmp_path / "tx.txt", text.encode())
    table = read(path)
    assert table.attrs["read"]["delimiter"] == delimiter
    assert table["city"].tolist() == ["Huế", "Hà Nội"]
    assert table["amount"].tolist() == ["12.5", "7"]


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write(tmp_path / "tx.csv", b"id;amount\n1;1,5\n2;2,25\n3;1.234,5\n")
    table = read(path)
    assert table.attrs["read"]["delimiter"] == ";"
    assert table["amount"].tolist() == ["1,5", "2,25", "1.234,5"]


def test_quoted_fields_keep_delimiters_and_newlines(tmp_path):
    text = 'id,note,amount\n1,"Smith, John",5\n2,"two\nlines, here",6\n3,"say ""hi""",7\n'
    path = write(tmp_path / "tx.csv", text.encode())
    table = read(path)
    assert table["note"].tolist() == ["Smith, John", "two\nlines, here", 'say "hi"']
    assert table["amount"].tolist() == ["5", "6", "7"]


def test_one_column_file_keeps_commas_in_values(tmp_path):
    path = write(tmp_path / "tx.csv", b"amount\n1,5\n2\n3,25\n")
    table = read(path)
    assert list(table.columns) == ["amount"]
    assert table["amount"].tolist() == ["1,5", "2", "3,25"]


def test_given_delimiter_and_tab_alias(tmp_path):
    path = write(tmp_path / "tx.csv", b"a\tb\n1\t2\n")
    table = read(path, sep="tab")
    assert table.to_dict("list") == {"a": ["1"], "b": ["2"]}
    assert table.attrs["read"]["detected"] == ["encoding"]


def test_gzip_csv_and_header_spaces_and_blanks(tmp_path):
    path = tmp_path / "tx.csv.gz"
    path.write_bytes(gzip.compress(b" id ; amount \n1;\n2;3\n\n"))
    table = read(path)
    assert list(table.columns) == ["id", "amount"]
    assert table["id"].tolist() == ["1", "2"]
    assert table["amount"].isna().tolist() == [True, False]
    info = table.attrs["read"]
    assert info["compression"] == "gzip"
    assert (info["format"], info["rows"], info["columns"]) == ("csv", 2, 2)


def test_nrows_reads_the_first_rows(tmp_path):
    path = write(tmp_path / "tx.csv", b"a,b\n1,2\n3,4\n5,6\n")
    assert read(path, nrows=2)["a"].tolist() == ["1", "3"]


def test_read_record_is_complete(tmp_path):
    path = write(tmp_path / "tx.csv", b"a;b\n1;2\n")
    info = read(path).attrs["read"]
    assert set(info) >= {"file", "format", "encoding", "delimiter", "sheet", "rows", "columns",
                         "detected", "notes", "compression"}
    assert info["file"] == str(path)
    assert info["sheet"] is None
    assert info["detected"] == ["encoding", "delimiter"]
    assert describe_read(info) == ("CSV, encoding utf-8 (detected), delimiter ';' (detected), "
                                   "1 rows x 2 columns")


def test_trailing_delimiters_give_no_extra_column(tmp_path):
    path = write(tmp_path / "tx.csv", b"a,b,\n1,2,\n3,4,\n")
    table = read(path)
    assert list(table.columns) == ["a", "b"]
    assert table.attrs["read"]["notes"]


# ------------------------------------------------------------------------ malformed files


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read(tmp_path / "nope.csv")


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("empty.csv", b"", "empty (0 bytes)"),
    ("empty.xlsx", b"", "empty (0 bytes)"),
    ("blank.csv", b"\n\r\n  \n", "blank lines only"),
    ("header.csv", b"a,b,c\n", "header but no data rows"),
    ("header_blank.csv", b"a;b\n\n\n", "header but no data rows"),
    ("garbage.csv", bytes(range(256)) * 20, "binary"),
    ("parquet.csv", b"PAR1\x15\x04\x15\x10", "Parquet file, not CSV"),
    ("book.csv", b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 4, "old Excel workbook"),
    ("bad.csv.gz", b"\x1f\x8b\x08\x00garbage", "gzip file is damaged"),
    ("text.xlsx", b"a,b\n1,2\n", "not a readable Excel workbook: the file is text (CSV?)"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "not a readable Excel workbook"),
    ("text.parquet", b"a,b\n1,2\n", "not a Parquet file"),
    ("broken.parquet", b"PAR1" + b"\x00" * 50, "not a readable Parquet file"),
])
def test_malformed_files_are_refused_with_one_clear_error(tmp_path, name, data, fragment):
    refused(write(tmp_path / name, data), fragment)


def test_duplicated_header_is_reported_not_renamed(tmp_path):
    path = write(tmp_path / "tx.csv", b"id,amount,amount\n1,2,3\n")
    refused(path, "duplicated column name(s) ['amount']")


def test_header_names_equal_after_trimming_are_duplicates(tmp_path):
    path = write(tmp_path / "tx.csv", b"id;amount ; amount\n1;2;3\n")
    refused(path, "duplicated column name(s) ['amount']")


def test_row_with_more_fields_than_header_names_the_row(tmp_path):
    path = write(tmp_path / "tx.csv", b"id,name,amount\n1,Ann,5\n2,Smith, John,6\n3,Bo,7\n")
    refused(path, "data row 2 has 4 fields but the header has 3", "quote values")


def test_every_row_longer_than_header_is_refused(tmp_path):
    # pandas would silently use the first column as the index, shifting every value.
    path = write(tmp_path / "tx.csv", b"id,amount\n1,2,x\n3,4,y\n")
    refused(path, "data row 1 has 3 fields but the header has 2")


def test_long_row_after_a_multiline_value_counts_rows_not_lines(tmp_path):
    path = write(tmp_path / "tx.csv", b'id,note\n1,"two\nlines"\n2,x,y\n')
    refused(path, "data row 2 has 3 fields but the header has 2")


def test_unclosed_quote_is_reported(tmp_path):
    path = write(tmp_path / "tx.csv", b'id,note\n1,"fine"\n2,"never closed\n3,x\n')
    refused(path, "never closed")


def test_multi_character_delimiter_is_refused(tmp_path):
    path = write(tmp_path / "tx.csv", b"a::b\n1::2\n")
    refused(path, "data.transactions.sep must be one character", sep="::")


# ---------------------------------------------------------------------- Excel and Parquet


def test_excel_sheet_by_name_and_number(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({" Khách hàng ": ["Đà Nẵng"], "date": [pd.Timestamp("2025-01-31")]}
                     ).to_excel(writer, sheet_name="Orders", index=False)
    by_name, by_number = read(path, sheet="Orders"), read(path, sheet=1)
    pd.testing.assert_frame_equal(by_name, by_number)
    assert list(by_name.columns) == ["Khách hàng", "date"]
    assert by_name.attrs["read"]["sheet"] == "Orders"
    assert by_name.attrs["read"]["format"] == "excel"
    parsed, notes = dates(by_name["date"])
    assert parsed.tolist() == [pd.Timestamp("2025-01-31")]
    assert read(path).attrs["read"]["sheet"] == "Notes"


def test_excel_wrong_sheet_lists_the_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(path, sheet_name="Orders", index=False)
    refused(path, "no sheet named 'orders' (did you mean 'Orders'?)", "['Orders']",
            sheet="orders")
    refused(path, "no sheet number 3", "['Orders']", sheet=3)


def test_excel_empty_sheet_and_header_only_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Blank", index=False)
        pd.DataFrame(columns=["id", "amount"]).to_excel(writer, sheet_name="Header", index=False)
    refused(path, "sheet 'Blank' is empty", sheet="Blank")
    refused(path, "header but no data rows", sheet="Header")


def test_excel_duplicated_header_is_refused(tmp_path):
    path = tmp_path / "book.xlsx"
    frame = pd.DataFrame([[1, 2]], columns=["amount", "amount"])
    frame.to_excel(path, index=False)
    refused(path, "duplicated column name(s) ['amount']")


def test_parquet_is_read_with_its_types(tmp_path):
    path = tmp_path / "tx.parquet"
    pd.DataFrame({"id": [1, 2, 3], "name": [unicodedata.normalize("NFD", VIET), "b", "c"]}
                 ).to_parquet(path)
    table = read(path)
    assert table["id"].tolist() == [1, 2, 3]
    assert table["name"].iloc[0] == VIET
    assert read(path, nrows=2)["id"].tolist() == [1, 2]
    assert table.attrs["read"]["format"] == "parquet"


# -------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.5", 1234.5), ("1,234.50", 1234.5), ("$1,234.50", 1234.5),
    ("1.234.567 ₫", 1234567.0), ("1.234.567đ", 1234567.0), ("VND 1.234.567", 1234567.0),
    ("1 234,50 €", 1234.5), ("1\u00a0234,50 €", 1234.5), ("1\u202f234,50", 1234.5),
    ("(1,234.50)", -1234.5), ("-1.234,50", -1234.5), ("1234-", -1234.0),
    ("-$1,234.50", -1234.5), ("USD 12", 12.0), ("€ 0,99", 0.99), ("£5", 5.0),
    ("¥1,000,000", 1_000_000.0), ("0.125", 0.125), ("1.5e3", 1500.0), ("  42  ", 42.0),
    ("1.234.567,89", 1234567.89), ("1,234,567.89", 1234567.89), ("−7", -7.0),
])
def test_money_formats_are_parsed_exactly(text, expected):
    parsed, notes = numbers([text, None])
    assert parsed.iloc[0] == expected
    assert np.isnan(parsed.iloc[1])
    assert parsed.dtype == "float64"
    assert notes == []


def test_column_evidence_decides_ambiguous_values_with_a_note():
    parsed, notes = numbers(["1.234", "12,5", "1.234.567"])
    assert parsed.tolist() == [1234.0, 12.5, 1234567.0]
    assert len(notes) == 1
    assert "1 value(s) such as '1.234' (data row 1) could be read two ways" in str(notes[0])
    assert "read with ',' as the decimal mark" in str(notes[0])
    assert "data.transactions.decimal" in str(notes[0])


@pytest.mark.parametrize(("locale", "expected", "mark"), [
    ("en", [1.234, 2500.0], "'.'"), ("vi", [1234.0, 2.5], "','"),
])
def test_locale_decides_when_the_column_cannot(locale, expected, mark):
    parsed, notes = numbers(["1.234", "2,500", "7"], locale=locale)
    assert parsed.tolist() == [expected[0], expected[1], 7.0]
    assert [str(n) for n in notes] == [f"column {LABEL}: 2 value(s) such as '1.234' (data row 1) could be read "
                     f"two ways; read with {mark} as the decimal mark (locale {locale}); set "
                     f"data.transactions.decimal to change"]


def test_given_decimal_mark_decides_without_a_note():
    parsed, notes = numbers(["1.234", "5"], decimal=",")
    assert parsed.tolist() == [1234.0, 5.0]
    assert notes == []


def test_value_against_the_given_decimal_mark_is_refused():
    with pytest.raises(DataError, match=r"'1\.5' \(data row 2\) have '\.' as the decimal mark, "
                                        r"but data\.transactions\.decimal is ','"):
        numbers(["3", "1.5"], decimal=",")


def test_conflicting_decimal_marks_are_refused_naming_both_rows():
    with pytest.raises(DataError) as err:
        numbers(["1,5", "1.234,5", "2", "1.5"])
    message = str(err.value)
    assert f"data.transactions (tx.csv): column {LABEL}: mixes decimal marks" in message
    assert "'1.5' (data row 4)" in message
    assert "'1,5' (data row 1)" in message


@pytest.mark.parametrize(("values", "row", "example"), [
    (["1", "abc"], 2, "abc"), (["12..3"], 1, "12..3"), (["1", "2", "nan"], 3, "nan"),
    (["inf"], 1, "inf"), (["(5"], 1, "(5"), (["--5"], 1, "--5"), (["N/A"], 1, "N/A"),
])
def test_text_that_is_not_a_number_is_refused_with_row(values, row, example):
    with pytest.raises(DataError) as err:
        numbers(values)
    assert f"first at data row {row}: {example!r}" in str(err.value)
    assert f"column {LABEL}" in str(err.value)


def test_inputs_are_not_modified():
    values = pd.Series(["1.234,5", " 7 ", None], index=[5, 3, 9], name="amount", dtype="str")
    copy = values.copy()
    parsed, _ = parse_numbers(values, source="t", label="'x'", path=Path("f"))
    pd.testing.assert_series_equal(values, copy)
    assert parsed.index.tolist() == [5, 3, 9] and parsed.name == "amount"
    assert parsed.tolist()[:2] == [1234.5, 7.0]


def test_numeric_columns_pass_through_and_infinity_is_refused():
    parsed, notes = parse_numbers(pd.Series([1, 2, None], dtype="Int64"), source="t",
                                  label="'x'", path=Path("f"))
    assert parsed.dtype == "float64" and parsed.tolist()[:2] == [1.0, 2.0]
    with pytest.raises(DataError, match="data row 2"):
        parse_numbers(pd.Series([1.0, np.inf]), source="t", label="'x'", path=Path("f"))


def test_excel_column_of_numbers_and_text_keeps_index():
    values = pd.Series([12.5, "1,234.50", None], index=[10, 11, 12], dtype=object)
    parsed, _ = parse_numbers(values, source="t", label="'x'", path=Path("f"))
    assert parsed.index.tolist() == [10, 11, 12]
    assert parsed.tolist()[:2] == [12.5, 1234.5]


# ---------------------------------------------------------------------------------- dates


def test_iso_dates_with_and_without_time():
    parsed, notes = dates(["2025-01-31", "2025-02-01 14:05", "2025-02-02T08:30:15", None])
    assert parsed.dtype == "datetime64[ns]"
    assert parsed.tolist()[:3] == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-01 14:05"),
                                   pd.Timestamp("2025-02-02 08:30:15")]
    assert parsed.isna().tolist() == [False, False, False, True]
    assert notes == []


def test_zoned_values_become_naive_utc():
    parsed, _ = dates(["2025-01-31T14:05:00+07:00", "2025-01-31T00:00:00Z"])
    assert parsed.tolist() == [pd.Timestamp("2025-01-31 07:05"), pd.Timestamp("2025-01-31")]
    aware = pd.Series(pd.to_datetime(["2025-01-31 14:05"]).tz_localize("Asia/Ho_Chi_Minh"))
    parsed, _ = dates(aware)
    assert parsed.tolist() == [pd.Timestamp("2025-01-31 07:05")]
    assert parsed.dtype == "datetime64[ns]"


@pytest.mark.parametrize(("dayfirst", "expected"), [
    (True, ["2025-02-01", "2025-03-12 14:05:00", "2025-02-01", "2025-02-01 14:05:09"]),
    (False, ["2025-01-02", "2025-12-03 14:05:00", "2025-01-02", "2025-01-02 14:05:09"]),
])
def test_day_and_month_first(dayfirst, expected):
    parsed, notes = dates(["01/02/2025", "12/03/2025 14:05", "01.02.2025",
                           "01-02-2025 14:05:09"], dayfirst=dayfirst)
    assert parsed.tolist() == [pd.Timestamp(v) for v in expected]
    assert notes == []


def test_ambiguous_day_month_order_is_refused_without_dayfirst():
    with pytest.raises(DataError, match=r"'01/02/2025' \(data row 1\) read differently .*"
                                        r"set data\.transactions\.dayfirst"):
        dates(["01/02/2025", "05/06/2025"])


def test_a_day_first_value_decides_the_column_with_a_note():
    parsed, notes = dates(["01/02/2025", "31/01/2025", "07/07/2025"])
    assert parsed.tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-01-31"),
                               pd.Timestamp("2025-07-07")]
    assert len(notes) == 1
    assert "'01/02/2025' (data row 1) could be read day first or month first" in str(notes[0])
    assert "read day first (dd/mm/yyyy), as values such as '31/01/2025' (data row 2)" in str(notes[0])
    assert "data.transactions.dayfirst: true" in str(notes[0])


def test_day_first_and_month_first_proofs_together_are_refused():
    with pytest.raises(DataError, match=r"'31/01/2025' \(data row 1\) can only be day first.*"
                                        r"'01/31/2025' \(data row 2\) only month first"):
        dates(["31/01/2025", "01/31/2025"])


def test_month_first_with_am_pm():
    parsed, _ = dates(["1/31/2025 2:05 PM", "12/01/2025 12:00 AM"], dayfirst=False)
    assert parsed.tolist() == [pd.Timestamp("2025-01-31 14:05"), pd.Timestamp("2025-12-01")]


def test_excel_serials_as_numbers_and_as_text():
    parsed, _ = dates(pd.Series([45292, 45292.5, np.nan]))
    assert parsed.tolist()[:2] == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01 12:00")]
    assert pd.isna(parsed.iloc[2])
    parsed, _ = dates(["45292", "45292.75"])
    assert parsed.tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01 18:00")]
    with pytest.raises(DataError, match=r"data row 2: '99999'.*Excel date serials"):
        dates(["45292", "99999"])


def test_month_names_and_compact_dates():
    parsed, _ = dates(["31 Jan 2025", "1-Feb-2025"])
    assert parsed.tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-01")]
    parsed, _ = dates(["Jan 31, 2025", "March 2, 2025 10:00"])
    assert parsed.tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-03-02 10:00")]
    parsed, _ = dates(["20250131"])
    assert parsed.tolist() == [pd.Timestamp("2025-01-31")]


@pytest.mark.parametrize(("values", "first", "second"), [
    (["2025-01-31", "2025-02-01", "31/01/2025"], "'2025-01-31' (data row 1)",
     "'31/01/2025' (data row 3)"),
    (["45292", "2025-01-31"], "'45292' (data row 1)", "'2025-01-31' (data row 2)"),
    (["31 Jan 2025", None, "01/02/2025"], "'31 Jan 2025' (data row 1)",
     "'01/02/2025' (data row 3)"),
])
def test_mixed_layouts_are_refused_naming_both_rows(values, first, second):
    with pytest.raises(DataError) as err:
        dates(values, dayfirst=True)
    message = str(err.value)
    assert "column 'InvoiceDate' (mapped to 'date'): mixes date layouts" in message
    assert f"{first} and {second}; export the column in one layout" in message


def test_excel_cells_of_dates_and_serials_and_text():
    values = pd.Series([pd.Timestamp("2025-01-31"), 45292, None], dtype=object)
    parsed, _ = dates(values)
    assert parsed.tolist()[:2] == [pd.Timestamp("2025-01-31"), pd.Timestamp("2024-01-01")]
    with pytest.raises(DataError, match="mixes date layouts"):
        dates(pd.Series([45292, "2025-01-31"], dtype=object))


def test_unparseable_dates_give_count_row_and_example():
    with pytest.raises(DataError, match=r"2 value\(s\) are not dates, first at data row 2: "
                                        r"'soon'"):
        dates(["2025-01-31", "soon", "later"])
    with pytest.raises(DataError, match=r"not valid dates \(read day first.*data row 1: "
                                        r"'31/02/2025'"):
        dates(["31/02/2025"], dayfirst=True)
    with pytest.raises(DataError, match="data row 1: '2025-13-01'"):
        dates(["2025-13-01"])


def test_two_digit_years_are_refused():
    with pytest.raises(DataError, match=r"two-digit year, first at '31/01/25' \(data row 1\)"):
        dates(["31/01/25"], dayfirst=True)


def test_required_dates_refuse_blanks():
    with pytest.raises(DataError, match=r"2 row\(s\) have no date, first at data row 2"):
        dates(["2025-01-31", "", None], required=True)


def test_many_iso_timestamps_parse_exactly():
    # speed is measured in benchmarks/, never timed in a test
    stamps = pd.date_range("2020-01-01", periods=200_000, freq="min")
    text = pd.Series(stamps.strftime("%Y-%m-%d %H:%M:%S"), dtype="str")
    parsed, _ = dates(text, required=True)
    assert (parsed.to_numpy() == stamps.to_numpy()).all()


# ---------------------------------------------------------------------- flags, ids, rows


def test_flags_in_english_and_vietnamese():
    values = pd.Series(["1", "0", "Yes", "no", "Y", "n", "x", "", None, "TRUE", "false",
                        "Có", unicodedata.normalize("NFD", "không"), "1.0"])
    parsed = parse_flags(values, source="transactions", label="'returned'", path=Path("f"))
    assert parsed.dtype == bool
    assert parsed.tolist() == [True, False, True, False, True, False, True, False, False, True,
                               False, True, False, True]


def test_unknown_flag_is_refused_with_row():
    with pytest.raises(DataError, match=r"column 'returned': value 'maybe' at data row 2 is not "
                                        r"a yes/no flag"):
        parse_flags(pd.Series(["yes", "maybe"]), source="transactions", label="'returned'",
                    path=Path("f"))


def test_ids_are_trimmed_strings():
    ids = normalize_ids(pd.Series([17850.0, 12.0, np.nan]))
    assert ids.tolist()[:2] == ["17850", "12"] and pd.isna(ids.iloc[2])
    ids = normalize_ids(pd.Series([" 17850.0 ", "", "A-1", unicodedata.normalize("NFD", "Đức")]))
    assert ids.dtype == "string"
    assert ids.tolist()[0] == "17850" and pd.isna(ids.iloc[1])
    assert ids.tolist()[2:] == ["A-1", "Đức"]


def test_row_of_is_one_based():
    assert row_of(pd.Series([False, False, True, True])) == 3
    with pytest.raises(ValueError):
        row_of(pd.Series([False]))


def test_a_file_mixing_utf8_and_windows_1258_rows_is_refused_naming_both_lines(tmp_path):
    """Rows appended by two systems: read as one encoding, Hà Nội became four cities."""
    rows = ["customer_id,city"] + [f"c{i},Đà Nẵng" for i in range(6)]
    data = b"".join((row.encode("utf-8") if i % 2 else to_cp1258(row).encode("cp1258"))
                    + b"\n" for i, row in enumerate(rows))
    path = write(tmp_path / "c.csv", data)
    message = refused(path, "mixes UTF-8 (line 2) with another encoding (line 3)",
                      "re-save the whole file as UTF-8")
    assert "c.csv" in message
    # a file all in Windows-1258 is still read, and a given encoding is trusted
    single = write(tmp_path / "w.csv", "\n".join(to_cp1258(r) for r in rows).encode("cp1258"))
    assert read(single)["city"].iloc[0] == "Đà Nẵng"
