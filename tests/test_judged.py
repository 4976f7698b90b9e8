"""Flags judged once per opening of a file and read by every query (tracker/judged.py) give exactly what
judging them afresh in each query gives, and a day never judged is an error, not an empty answer."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import csv_bytes, ingest, judging, judging_afresh

from tracker import derived, flags, judged, queries
from tracker.errors import TrackerError
from tracker.store.schema import get_meta, set_meta

D = dt.date
DAYS = [D(2010, 3, 31), D(2010, 6, 30), D(2010, 12, 31)]
# Every query that reads judged flags, with the parameters a page gives it.
PARAMS = {"region": None, "cohort": None, "limit": 10, "site_codes": ["AAA", "BBB"], "site_code": "AAA"}
READERS = sorted(p.stem for p in queries.SQL_DIR.glob("*.sql") if judged.reads_flags(p.stem))


def params_for(name: str, as_of: dt.date) -> dict:
    given = {**PARAMS, "as_of": as_of, "dates": [as_of, D(2010, 1, 31)]}
    return {k: given[k] for k in queries.parameters(name)}


def afresh(store, name: str, params: dict):
    """The query with each of its flags judged by the rules in the query itself."""
    with judging_afresh(store) as con:
        return queries.frame(con, name, **params)


def test_the_macros_that_read_judged_flags_are_found_in_the_macro_files():
    # a macro built on flags_at, however deep, reads the memo too, so its queries' days must be judged first
    assert judged.flag_readers() == {
        "flags_at",
        "flags_now",
        "flag_month_ends",
        "flag_history",
        "site_statuses",
        "site_statuses_at",
    }


def test_there_are_queries_that_read_judged_flags():
    assert {"site_status", "site_flags", "programme_headline", "flags_on", "site_comparison"} <= set(READERS)


@pytest.mark.parametrize("as_of", DAYS)
def test_every_query_reads_from_the_memo_what_judging_afresh_gives(store, monkeypatch, as_of):
    kept = set(judged.first_visit_days(flags.default_as_of(store)))  # judged by the last write
    asked = judging(monkeypatch)
    store.close()  # a new opening, with nothing judged yet but the days the last write kept
    with store.read() as con:
        got = {name: queries.frame(con, name, **params_for(name, as_of)) for name in READERS}
    for name in READERS:
        expected = afresh(store, name, params_for(name, as_of))
        assert got[name].equals(expected), name
    assert len(got["site_flags"]) > 0  # there are flags to compare
    judged_here = [day for days in asked for day in days]
    # as_of, 31 Jan 2010 and the month ends before as_of that the flag log lacks (a flag's "since", a
    # site's history), each judged once for all the queries, unless the last write kept it
    with store.read() as con:
        through = dt.date.fromisoformat(get_meta(con, derived.THROUGH_KEY))
    one = dt.timedelta(days=1)
    beyond_log = [m.date() for m in pd.date_range(through + one, as_of - one, freq="ME")]
    assert sorted(judged_here) == sorted({as_of, D(2010, 1, 31), *beyond_log} - kept)
    assert as_of < D(2010, 12, 31) or beyond_log  # the month ends beyond the log are read from the memo too


def test_a_query_reading_a_day_not_judged_first_is_an_error_not_an_empty_answer(store):
    with (
        pytest.raises(TrackerError, match=r"a fault in the tracker: .*2010-05-31 were not judged"),
        store.read() as con,
    ):
        con.execute("select * from flags_now(date '2010-05-31')").fetchall()


def test_month_ends_beyond_the_flag_log_are_read_from_the_memo_and_must_be_judged_first(store):
    # A flag's "since" and a site's history read the month ends beyond the flag log through flags_at, so
    # on a file they come from the memo (judged first for a named query: the test above), and SQL that
    # reads them without having them judged gets an error, not the month ends missing.
    with pytest.raises(TrackerError, match=r"2010-\d\d-\d\d were not judged"), store.read() as con:
        con.execute("select * from flag_month_ends(date '1900-01-01', date '2010-12-30')").fetchall()


def test_a_load_is_seen_by_the_next_read_not_the_flags_judged_before_it(store):
    as_of = D(2010, 5, 31)
    with store.read() as con:
        before = queries.frame(con, "site_status", dates=[as_of], region=None, cohort=None)
    # AAA's April return, sent on 10 May, was owed by 31 May: its late-return flag goes
    assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    with store.read() as con:
        after = queries.frame(con, "site_status", dates=[as_of], region=None, cohort=None)
    assert after.equals(afresh(store, "site_status", {"dates": [as_of], "region": None, "cohort": None}))
    assert not after.equals(before)


def first_visit(store) -> tuple[list[dt.date], dict]:
    """The days a first visit reads flags on, and each flag-reading query with those days."""
    days = judged.first_visit_days(flags.default_as_of(store))
    given = {**PARAMS, "as_of": days[0], "dates": days}
    return days, {name: {k: given[k] for k in queries.parameters(name)} for name in READERS}


def test_the_first_visit_after_a_write_finds_its_days_judged_by_the_write(store, monkeypatch):
    # Every write judges the flags on the days the pages read when they open on the default date (the
    # latest day a return was sent, the last pack's a week before, a month before) and keeps them;
    # a new opening starts its memo with them, so the first visit judges nothing and reads what
    # judging afresh gives.
    assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    days, calls = first_visit(store)
    assert len(set(days)) == 3
    asked = judging(monkeypatch)
    store.close()  # a new opening
    with store.read() as con:
        got = {name: queries.frame(con, name, **params) for name, params in calls.items()}
    assert asked == []
    for name, params in calls.items():
        assert got[name].equals(afresh(store, name, params)), name
    assert len(got["site_flags"]) > 0  # there are flags to compare
    with store.read() as con:
        queries.frame(con, "site_flags", as_of=D(2010, 1, 31), region=None, cohort=None)
    assert asked == [[D(2010, 1, 31)]]  # another day is judged as before


def test_days_kept_by_a_write_of_other_code_are_judged_afresh(store, monkeypatch):
    # A store last written by code with other flag rules (its flag log's stamp differs) keeps flags
    # judged by those rules until its next write: a reader judges the days itself.
    days, calls = first_visit(store)

    def other_code(con):
        set_meta(con, derived.SETTINGS_KEY, "other rules")
        con.execute("update first_visit_flags set reason = 'judged by other rules' where site_code is not null")

    store.write(other_code)
    asked = judging(monkeypatch)
    store.close()
    with store.read() as con:
        got = queries.frame(con, "site_flags", **calls["site_flags"])
    assert days[0] in asked[0]  # judged here, not taken from the write
    assert len(got) > 0 and got.equals(afresh(store, "site_flags", calls["site_flags"]))
