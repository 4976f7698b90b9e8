"""Every hard error refuses the whole file, says where and why, and changes nothing but load_log."""

from __future__ import annotations

import io

import openpyxl
import pytest
from conftest import HEADER, csv_bytes, ingest, load_log, table_rows

pytestmark = pytest.mark.both_backends

GOOD = "AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,"


def _without(column: str) -> bytes:
    names = HEADER.split(",")
    i = names.index(column)
    keep = lambda line: ",".join(c for j, c in enumerate(line.split(",")) if j != i)  # noqa: E731
    return csv_bytes(keep(GOOD), header=keep(HEADER))


def _xlsx_with(*rows: list) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CASES = [
    # (id, file bytes, row, column, value, words in the message)
    ("missing column", _without("spend_care_gbp"), 1, "spend_care_gbp", None, "required column is missing"),
    (
        "blank required",
        csv_bytes("AAA,2010-04-30,12,,5,3,1,0,2000,6000,,"),
        2,
        "people_recruited",
        "",
        "blank but required",
    ),
    (
        "not a number",
        csv_bytes("AAA,2010-04-30,12,seven,5,3,1,0,2000,6000,,"),
        2,
        "people_recruited",
        "seven",
        "not a number",
    ),
    ("not a date", csv_bytes("AAA,April 2010,12,7,5,3,1,0,2000,6000,,"), 2, "period_end", "April 2010", "not a date"),
    (
        "impossible date",
        csv_bytes("AAA,2010-02-30,12,7,5,3,1,0,2000,6000,,"),
        2,
        "period_end",
        "2010-02-30",
        "not a real calendar date",
    ),
    ("negative count", csv_bytes("AAA,2010-04-30,12,-7,5,3,1,0,2000,6000,,"), 2, "people_recruited", "-7", "negative"),
    (
        "fractional count",
        csv_bytes("AAA,2010-04-30,12,7.5,5,3,1,0,2000,6000,,"),
        2,
        "people_recruited",
        "7.5",
        "not a whole number",
    ),
    ("negative amount", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,-20,6000,,"), 2, "spend_care_gbp", "-20", "negative"),
    (
        "NaN amount",
        csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,NaN,6000,,"),
        2,
        "spend_care_gbp",
        "NaN",
        "not a finite amount",
    ),
    (
        "infinite amount",
        csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,inf,,"),
        2,
        "spend_infrastructure_gbp",
        "inf",
        "not a finite amount",
    ),
    (
        "implausible amount",
        csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,100000000.01,6000,,"),
        2,
        "spend_care_gbp",
        "100000000.01",
        "implausibly large",
    ),
    (
        "unknown site",
        csv_bytes("ZZZ,2010-04-30,12,7,5,3,1,0,2000,6000,,"),
        2,
        "site_code",
        "ZZZ",
        "not a site in the register",
    ),
    (
        "not a month end",
        csv_bytes("AAA,2010-04-29,12,7,5,3,1,0,2000,6000,,"),
        2,
        "period_end",
        "2010-04-29",
        "not the last day of a month",
    ),
    (
        "before the programme",
        csv_bytes("AAA,2009-05-31,12,7,5,3,1,0,2000,6000,,"),
        2,
        "period_end",
        "2009-05-31",
        "before the programme started",
    ),
    (
        "after today",
        csv_bytes("AAA,2011-01-31,12,7,5,3,1,0,2000,6000,,"),
        2,
        "period_end",
        "2011-01-31",
        "in the future",
    ),
    (
        "same site and month twice",
        csv_bytes(GOOD, GOOD),
        3,
        "period_end",
        "AAA 2010-04-30",
        "appear twice (also row 2)",
    ),
    ("empty file", b"", None, None, None, "empty (0 bytes)"),
    ("header only", csv_bytes(), None, None, None, "header row but no data rows"),
    ("binary garbage", b"\x00\x01\x02\xff" * 50, None, None, None, "not a CSV text file"),
    ("corrupt xlsx", b"PK\x03\x04" + b"\x00" * 200, None, None, None, "not a readable Excel"),
    (
        "xlsx bad value",
        _xlsx_with(HEADER.split(","), ["AAA", "2010-04-30", 12, 7, 5, 3, 1, 0, "lots", 6000, None, None]),
        2,
        "spend_care_gbp",
        "lots",
        "not an amount of money",
    ),
]


@pytest.mark.parametrize(("data", "row", "column", "value", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_file_is_reported_and_changes_nothing_but_load_log(store, data, row, column, value, words):
    before = table_rows(store)
    log_before = load_log(store)

    result = ingest(store, "bad.csv", data)

    assert result.outcome == "refused"
    assert not result.ok
    problem = next(p for p in result.problems if words in p.message)
    assert (problem.file, problem.row, problem.column, problem.value) == ("bad.csv", row, column, value)
    assert table_rows(store) == before
    log = load_log(store)
    assert len(log) == len(log_before) + 1
    assert log[-1]["outcome"] == "refused"
    assert log[-1]["file_name"] == "bad.csv"
    assert words in log[-1]["error_summary"]


def test_every_problem_in_a_file_is_listed_not_only_the_first(store):
    data = csv_bytes("AAA,2010-04-30,x,7,5,3,1,0,2000,6000,,", "ZZZ,2010-04-29,12,7,5,3,1,0,2000,6000,,")
    result = ingest(store, "bad.csv", data)
    found = {(p.row, p.column) for p in result.problems}
    assert found == {(2, "people_offered"), (3, "site_code"), (3, "period_end")}


def test_problem_reads_as_plain_english():
    from tracker.errors import Problem

    text = str(Problem("oct.csv", "is not a whole number of people", 4, "people_recruited", "7.5"))
    assert text == "oct.csv, row 4, column people_recruited: value '7.5': is not a whole number of people"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(store):
    from dataclasses import replace

    from tracker.config import current

    small = replace(current(), max_upload_bytes=100)
    result = ingest(store, "big.csv", csv_bytes(GOOD, GOOD.replace("04-30", "05-31")), cfg=small)
    assert result.outcome == "refused"
    assert "the limit is 100 bytes" in result.problems[0].message
