"""Flags judged once per opening of a file and read by every query (tracker/judged.py) give exactly what
judging them afresh in each query gives, and a day never judged is an error, not an empty answer."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import csv_bytes, ingest, judging_afresh

from tracker import judged, queries
from tracker.errors import TrackerError

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
    assert judged.flag_readers() == {"flags_at", "flags_now", "flag_history", "site_statuses", "site_statuses_at"}


def test_there_are_queries_that_read_judged_flags():
    assert {"site_status", "site_flags", "programme_headline", "flags_on", "site_comparison"} <= set(READERS)


@pytest.mark.parametrize("as_of", DAYS)
def test_every_query_reads_from_the_memo_what_judging_afresh_gives(store, monkeypatch, as_of):
    judgements = []
    original = judged.Memo.judge

    def counting(self, con, days):
        before = len(self._days)
        original(self, con, days)
        judgements.append(len(self._days) - before)

    monkeypatch.setattr(judged.Memo, "judge", counting)
    store.close()  # a new opening, with nothing judged yet
    with store.read() as con:
        got = {name: queries.frame(con, name, **params_for(name, as_of)) for name in READERS}
    for name in READERS:
        expected = afresh(store, name, params_for(name, as_of))
        assert got[name].equals(expected), name
    assert len(got["site_flags"]) > 0  # there are flags to compare
    assert sum(judgements) == 2  # as_of and 31 Jan 2010, each judged once for all the queries


def test_a_query_reading_a_day_not_judged_first_is_an_error_not_an_empty_answer(store):
    with (
        pytest.raises(TrackerError, match=r"a fault in the tracker: .*2010-05-31 were not judged"),
        store.read() as con,
    ):
        con.execute("select * from flags_now(date '2010-05-31')").fetchall()


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
