"""Accepted files: what they add, supersede and warn about; voids, reloads, dry runs and real-world formats."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from conftest import DATA, HEADER, TODAY, csv_bytes, everything_stored, ingest, load_log, table_rows

from tracker import queries
from tracker.errors import TrackerError
from tracker.ingest import ingest_files
from tracker.voids import void_return

pytestmark = pytest.mark.both_backends

D = dt.date


def _latest(store, site, period):
    with store.read() as con:
        return queries.frame(con, "latest_version", site_code=site, period_end=period).iloc[0]


def test_a_good_file_loads_every_row_and_is_logged(empty_store):
    result = ingest(empty_store, "returns_2010-03.csv", (DATA / "returns_2010-03.csv").read_bytes())
    assert result.outcome == "accepted"
    assert [(c.site_code, c.period_end) for c in result.new] == [
        ("AAA", D(2010, 3, 31)),
        ("BBB", D(2010, 3, 31)),
        ("DDD", D(2010, 3, 31)),
    ]
    log = load_log(empty_store)[-1]
    assert (log["kind"], log["outcome"], log["row_count"], log["new_returns"], log["loaded_by"]) == (
        "returns",
        "accepted",
        3,
        3,
        "tester",
    )
    assert len(log["sha256"]) == 64
    row = _latest(empty_store, "BBB", D(2010, 3, 31))
    assert (row.people_recruited, float(row.spend_infrastructure_gbp), row.commentary) == (
        1,
        12000.0,
        "First person recruited.",
    )


def test_a_resubmission_supersedes_and_keeps_every_version(store):
    # The fixture's resubmission raised AAA's February care spend from 500 to 600.
    with store.read() as con:
        versions = con.execute(
            "select spend_care_gbp from returns where site_code = 'AAA' and period_end = '2010-02-28' order by return_id"
        ).fetchall()
    assert [float(v[0]) for v in versions] == [500.0, 600.0]
    assert float(_latest(store, "AAA", D(2010, 2, 28)).spend_care_gbp) == 600.0
    assert load_log(store)[-1]["superseded_returns"] == 1


def test_loading_the_same_file_twice_changes_nothing_and_says_so(store):
    before = table_rows(store)
    result = ingest(store, "again.csv", (DATA / "returns_2010-03.csv").read_bytes())
    assert result.outcome == "already loaded"
    assert result.ok
    assert "returns_2010-03.csv" in result.notices[-1]
    assert table_rows(store) == before
    assert load_log(store)[-1]["outcome"] == "already loaded"


def test_rows_identical_to_the_current_version_are_not_stored_again(store):
    # The March file again with one row changed: only that row becomes a new version.
    text = (DATA / "returns_2010-03.csv").read_text().replace("BBB,2010-03-31,3,1,", "BBB,2010-03-31,4,1,")
    result = ingest(store, "march-corrected.csv", text.encode())
    assert (len(result.new), len(result.superseded), result.unchanged) == (0, 1, 2)
    assert result.superseded[0].differences == {"people_offered": (3, 4)}


def test_dry_run_reports_what_would_change_and_writes_nothing(store):
    before, log_before = table_rows(store), load_log(store)
    data = csv_bytes(
        "AAA,2010-03-31,10,6,4,2,1,0,1750.50,7000,2010-04-20,Corrected care spend",
        "AAA,2010-04-30,12,3,4,2,1,0,2000,6000,2010-05-10,",
    )
    result = ingest(store, "late-correction.csv", data, dry_run=True)
    assert result.outcome == "accepted" and result.dry_run
    assert [(c.site_code, c.period_end) for c in result.new] == [("AAA", D(2010, 4, 30))]
    [change] = result.superseded
    assert set(change.differences) == {"spend_care_gbp", "submitted_on", "commentary"}
    assert float(change.differences["spend_care_gbp"][0]) == 1500.0
    assert {w.check for w in result.warnings} == {
        "count_fell",
        "plans_exceed_recruits",
    }  # 3 budgets, 3 recruits: no more
    assert table_rows(store) == before
    assert load_log(store) == log_before


def test_files_loaded_in_one_write_are_judged_and_stored_as_if_loaded_one_by_one(fixture_copy):
    # A store holding a void; then a month with a warning, the same file again, a resubmission of that
    # month in the same write, a refused file, and the voided month sent again beside an unchanged row.
    one_by_one, together = fixture_copy("loaded"), fixture_copy("loaded")
    for store in (one_by_one, together):
        void_return(store, "DDD", D(2010, 3, 31), "sent in error", user="tester")
    april = csv_bytes("AAA,2010-04-30,12,5,4,2,1,0,2000,6000,2010-05-10,", "BBB,2010-04-30,4,2,1,0,0,0,0,11000,,")
    files = [
        ("april.csv", april),
        ("april-again.csv", april),
        ("april-resubmitted.csv", csv_bytes("AAA,2010-04-30,12,6,4,2,1,0,2100,6000,2010-05-20,Recounted.")),
        ("unknown-site.csv", csv_bytes("ZZZ,2010-04-30,1,1,0,0,0,0,0,100,,")),
        (
            "march-again.csv",
            csv_bytes(
                "BBB,2010-03-31,3,1,0,0,0,0,0,12000,2010-04-15,First person recruited.",
                "DDD,2010-03-31,2,1,0,0,0,0,0,4000,2010-04-16,",
            ),
        ),
    ]
    singles = [ingest(one_by_one, name, data) for name, data in files]
    bulk = ingest_files(together, files, today=TODAY, user="tester")
    assert [r.outcome for r in bulk] == ["accepted", "already loaded", "accepted", "refused", "accepted"]
    assert [(len(r.new), len(r.superseded), r.unchanged) for r in bulk] == [
        (2, 0, 0),
        (0, 0, 0),
        (0, 1, 0),
        (0, 0, 0),
        (1, 0, 1),
    ]
    assert [w.check for w in bulk[0].warnings] == ["count_fell"]
    assert bulk == singles  # outcomes, changes, warnings, problems, notices and load ids alike
    assert everything_stored(together) == everything_stored(one_by_one)


def test_void_withdraws_a_return_as_a_new_version_with_who_and_why(store):
    load_id = void_return(store, "BBB", D(2010, 3, 31), "Sent by mistake: belongs to another PCT", user="pm")
    row = _latest(store, "BBB", D(2010, 3, 31))
    assert bool(row.is_void) and row.void_reason == "Sent by mistake: belongs to another PCT"
    log = load_log(store)[-1]
    assert (log["load_id"], log["kind"], log["loaded_by"], log["note"]) == (
        load_id,
        "void",
        "pm",
        "Sent by mistake: belongs to another PCT",
    )
    with store.read() as con:
        latest = queries.frame(con, "site_latest", as_of=D(2010, 12, 31), region=None, cohort=None)
        assert con.execute("select count(*) from returns where site_code = 'BBB'").fetchone()[0] == 2
    bbb = latest.set_index("site_code").loc["BBB"]
    assert (bbb.people_recruited, bbb.returns_known) == (0, 0)


def test_void_of_a_return_that_is_not_there_is_a_plain_error(store):
    try:
        void_return(store, "BBB", D(2010, 6, 30), "no such return", user="pm")
    except TrackerError as exc:
        assert "no return to void for BBB in 30 Jun 2010" in str(exc)
    else:
        raise AssertionError("expected a TrackerError")


def test_a_voided_month_can_be_sent_again(store):
    void_return(store, "BBB", D(2010, 3, 31), "wrong figures", user="pm")
    result = ingest(store, "bbb-march.csv", csv_bytes("BBB,2010-03-31,3,2,0,0,0,0,0,12000,2010-05-01,"))
    assert [c.site_code for c in result.new] == ["BBB"]
    assert _latest(store, "BBB", D(2010, 3, 31)).people_recruited == 2


def test_windows_1252_csv_with_pound_signs_uk_dates_and_messy_headers(empty_store):
    header = " Site Code ,PERIOD_END,People Offered,people_recruited ,care_plans_agreed,budgets_notional,budgets_third_party,budgets_direct_payment,Spend_Care_GBP,spend_infrastructure_gbp,submitted_on,commentary"
    line = 'AAA,31/01/2010,5,2,0,0,0,0,"£1,250.50","£12,500.00",10/02/2010,Café rent £300'
    result = ingest(empty_store, "jan-1252.csv", csv_bytes(line, header=header, encoding="cp1252"))
    assert result.outcome == "accepted", result.problems
    row = _latest(empty_store, "AAA", D(2010, 1, 31))
    assert (float(row.spend_care_gbp), float(row.spend_infrastructure_gbp)) == (1250.5, 12500.0)
    assert row.submitted_on.date() == D(2010, 2, 10)
    assert row.commentary == "Café rent £300"


def test_utf8_with_bom(empty_store):
    data = "\ufeff".encode() + csv_bytes("AAA,2010-01-31,5,2,0,0,0,0,0,10000,,Budget £0 so far")
    result = ingest(empty_store, "bom.csv", data)
    assert result.outcome == "accepted", result.problems
    assert _latest(empty_store, "AAA", D(2010, 1, 31)).commentary == "Budget £0 so far"


def test_excel_return_with_real_dates_and_numbers(empty_store):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["AAA", dt.datetime(2010, 1, 31), 5, 2, 0, 0, 0, 0, 0, 10000.5, dt.datetime(2010, 2, 9), "From Excel"])
    sheet.append(["DDD", "31/01/2010", 1.0, 0, 0, 0, 0, 0, "£0.00", "5,000", None, None])
    out = io.BytesIO()
    book.save(out)
    result = ingest(empty_store, "january.xlsx", out.getvalue())
    assert result.outcome == "accepted", result.problems
    aaa = _latest(empty_store, "AAA", D(2010, 1, 31))
    assert (aaa.people_offered, float(aaa.spend_infrastructure_gbp), aaa.submitted_on.date()) == (
        5,
        10000.5,
        D(2010, 2, 9),
    )
    assert float(_latest(empty_store, "DDD", D(2010, 1, 31)).spend_infrastructure_gbp) == 5000.0


def test_warnings_are_stored_not_refused(store):
    data = csv_bytes(
        # AAA: recruited falls from 6 to 5; more plans than recruits; direct payment before July 2010.
        "AAA,2010-04-30,12,5,6,2,1,1,1500,7000,2010-05-10,",
        # BBB: not authorised for direct payments at all; budgets exceed recruits.
        "BBB,2010-04-30,3,1,1,1,0,1,0,12000,2010-05-10,",
    )
    result = ingest(store, "april.csv", data)
    assert result.outcome == "accepted"
    with store.read() as con:
        stored = con.execute(
            "select site_code, check_name, column_name, message from return_warnings order by all"
        ).fetchall()
    assert stored == [
        ("AAA", "count_fell", "people_recruited", "people_recruited fell from 6 to 5 since 31 Mar 2010"),
        (
            "AAA",
            "direct_payment_not_authorised",
            "budgets_direct_payment",
            "1 direct payment before the site's authorisation from 1 Jul 2010",
        ),
        ("AAA", "plans_exceed_recruits", "care_plans_agreed", "6 care plans agreed but only 5 people recruited"),
        ("BBB", "budgets_exceed_recruits", "people_recruited", "2 budgets in place but only 1 person recruited"),
        (
            "BBB",
            "direct_payment_not_authorised",
            "budgets_direct_payment",
            "1 direct payment, but the site is not authorised to make them",
        ),
    ]
    assert load_log(store)[-1]["warning_count"] == 5


def test_spend_far_out_of_line_with_the_sites_history_is_a_warning(store):
    # AAA's infrastructure months so far: 10,000, 8,000, 7,000 (median 8,000); 5x is 40,000.
    just_under = csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,1500,40000,2010-05-10,")
    assert ingest(store, "apr.csv", just_under, dry_run=True).warnings == []
    over = csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,1500,40000.01,2010-05-10,")
    [warning] = ingest(store, "apr.csv", over, dry_run=True).warnings
    assert (warning.check, warning.column) == ("spend_out_of_line", "spend_infrastructure_gbp")
    assert warning.message == "spend_infrastructure_gbp of £40,000 is 5× the site's typical month (£8,000)"


def test_a_register_that_drops_a_site_with_returns_is_refused(store):
    from tracker.register import load_register

    text = "\n".join(line for line in (DATA / "sites.csv").read_text().splitlines() if not line.startswith("BBB"))
    before = table_rows(store)
    result = load_register(store, "sites.csv", text.encode(), user="tester")
    assert result.outcome == "refused"
    assert [(p.column, p.value) for p in result.problems] == [("site_code", "BBB")]
    assert table_rows(store) == before


def test_register_errors_are_located(empty_store):
    from tracker.register import load_register

    text = (DATA / "sites.csv").read_text().replace("North East", "Narnia").replace("BBB,Beta", "AAA,Beta")
    result = load_register(empty_store, "sites.csv", text.encode(), user="tester")
    assert {(p.row, p.column, p.value) for p in result.problems} == {(3, "site_code", "AAA"), (3, "region", "Narnia")}
