"""Downloads are safe to open in a spreadsheet, and the blank templates match the contract."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
from conftest import ingest

from tracker import contract, queries
from tracker.exports import csv_bytes, neutralise, template_csv, template_xlsx
from tracker.readers import read_table


def test_formula_like_text_is_neutralised_and_numbers_are_not():
    cases = {
        '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
        "+1": "'+1",
        "-2": "'-2",
        "@SUM(A1)": "'@SUM(A1)",
        "\tx": "'\tx",
        "NHS Dorset": "NHS Dorset",
        "": "",
    }
    assert {k: neutralise(k) for k in cases} == cases
    assert neutralise(-2) == -2 and neutralise(3.5) == 3.5


def test_csv_download_neutralises_every_text_cell_and_keeps_pounds():
    df = pd.DataFrame({"site_name": ["=cmd|' /C calc'!A0", "Café £"], "spend": [-5.0, 10.0]})
    text = csv_bytes(df).decode("utf-8-sig")
    assert text.splitlines() == ["site_name,spend", "'=cmd|' /C calc'!A0,-5.0", "Café £,10.0"]


def test_blank_templates_have_the_contract_columns():
    assert template_csv().decode("utf-8-sig").strip().split(",") == contract.names(contract.RETURN_COLUMNS)
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    assert [c.value for c in book["Return"][1]] == contract.names(contract.RETURN_COLUMNS)
    assert [row[0] for row in book["Guide"].iter_rows(min_row=2, values_only=True)] == contract.names(
        contract.RETURN_COLUMNS
    )


def test_a_filled_in_template_loads(empty_store):
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    book["Return"].append(["AAA", "2010-01-31", 5, 2, 0, 0, 0, 0, 0, 10000, "2010-02-10", "first return"])
    out = io.BytesIO()
    book.save(out)
    assert read_table("t.xlsx", out.getvalue()).rows[0][0] == 2
    assert ingest(empty_store, "t.xlsx", out.getvalue()).outcome == "accepted"


def test_markup_and_sql_in_commentary_come_back_unchanged(empty_store):
    nasty = "<script>alert(1)</script>'); drop table returns; -- **bold** [link](http://x)"
    data = (
        "site_code,period_end,people_offered,people_recruited,care_plans_agreed,budgets_notional,"
        "budgets_third_party,budgets_direct_payment,spend_care_gbp,spend_infrastructure_gbp,submitted_on,commentary\n"
        f'AAA,2010-01-31,5,2,0,0,0,0,0,10000,2010-02-10,"{nasty}"\n'
    ).encode()
    assert ingest(empty_store, "nasty.csv", data).outcome == "accepted"
    with empty_store.read() as con:
        series = queries.frame(con, "site_series", as_of=pd.Timestamp(2010, 12, 31).date(), site_code="AAA")
        assert con.execute("select count(*) from returns").fetchone()[0] == 1
    assert series.commentary.tolist() == [nasty]
