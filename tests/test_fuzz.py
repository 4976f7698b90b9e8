"""Hostile and broken files, generated: never a traceback, accepted or refused with a message, nothing half-written."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from conftest import HEADER, ingest, table_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tracker.integrity import check

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COLUMNS = HEADER.split(",")
NASTY_CELLS = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "99999999999999999999999",
    "-0",
    "0000-00-00",
    "31/02/2010",
    "2010-13-01",
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; drop table returns; --",
    "£",
    "£-5",
    "(100)",
    "1,2,3",
    "\x00",
    "\u202e",
    "🙂",
    "x" * 10_000,
    "AAA",
    "BBB",
    "2010-01-31",
    "31/01/2010",
    "5",
    "12.5",
    "£12,500.00",
]
cell = st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=40))


def outcome_is_sound(store, result, before) -> None:
    assert result.outcome in {"accepted", "refused", "already loaded"}
    if result.outcome == "refused":
        assert result.problems and all(p.message for p in result.problems)
        assert table_rows(store) == before
    assert check(store) == []


@FUZZ
@given(data=st.binary(max_size=4_000))
def test_random_bytes(store, data):
    before = table_rows(store)
    outcome_is_sound(store, ingest(store, "random.csv", data), before)


@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=14), min_size=0, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    cut=st.integers(min_value=0, max_value=2_000),
)
def test_csv_with_nasty_cells_encodings_and_truncation(store, rows, encoding, cut):
    text = "\n".join([HEADER, *(",".join(f'"{c}"' if "," in c else c for c in r) for r in rows)])
    data = text.encode(encoding, errors="replace")
    data = data[: len(data) - cut] if cut < len(data) else data
    before = table_rows(store)
    outcome_is_sound(store, ingest(store, "nasty.csv", data), before)


@FUZZ
@given(values=st.lists(cell, min_size=12, max_size=12), cut=st.integers(min_value=0, max_value=5_000))
def test_excel_with_nasty_values_and_corruption(store, values, cut):
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    book.active.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in values])  # Excel itself cannot hold these
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    data = data[: len(data) - cut] if cut else data
    before = table_rows(store)
    outcome_is_sound(store, ingest(store, "nasty.xlsx", data), before)


def test_thousands_of_columns(store):
    header = HEADER + "," + ",".join(f"extra_{i}" for i in range(5_000))
    line = "AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10," + ",x" * 5_000
    result = ingest(store, "wide.csv", f"{header}\n{line}\n".encode())
    assert result.outcome == "accepted"
    assert check(store) == []


def test_a_zip_bomb_is_refused_before_it_is_unpacked(store):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * 250_000_000)  # deflates to about 250 kB
    before = table_rows(store)
    result = ingest(store, "bomb.xlsx", out.getvalue())
    assert result.outcome == "refused"
    assert "would unpack to 250,000,000 bytes" in result.problems[0].message
    assert table_rows(store) == before


def test_a_100_mb_file_is_refused_by_size_before_it_is_read(store):
    data = (HEADER + "\n").encode() + b"AAA,2010-04-30,1,1,0,0,0,0,0,1,,\n" * 3_100_000
    assert len(data) > 100_000_000
    result = ingest(store, "huge.csv", data)
    assert result.outcome == "refused"
    assert "the limit is 20,000,000 bytes" in result.problems[0].message


@pytest.mark.parametrize("value", ["1e400", "NaN", "inf", "99999999999999999999999"])
def test_huge_and_non_finite_amounts_are_refused_with_a_message(store, value):
    line = f"AAA,2010-04-30,12,7,5,3,1,0,{value},6000,,"
    result = ingest(store, "x.csv", f"{HEADER}\n{line}\n".encode())
    assert result.outcome == "refused"
    assert result.problems[0].column == "spend_care_gbp"
