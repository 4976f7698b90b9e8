"""Flags judged once per day for as long as an opening of the database lasts, then read by every query.

Judging the stall flags on a day is the costliest step of most queries (tens of milliseconds, most
of it DuckDB planning and starting the rules' several dozen operators, whatever the data's size), and
a page asks for the same day's flags in several queries: its headline, its status list, its flag list.
A store whose connections share one opening of a database that cannot change under them (a file:
``FileStore``'s view) gives that opening a ``Memo``; each query that reads flags has its days judged
into the memo first, unless an earlier query already did, and then reads them from it (the
``flags_at`` macro is replaced, on that connection only, by a read of the memo).

The days a query reads flags on are its ``as_of`` and ``dates`` parameters; a query that reads any
other day's flags gets an error, never an empty answer.

The flags at month ends (a flag's *since*, a site's history) come from the flag log as far as it is
usable, and beyond it from ``flags_at`` (``flag_month_ends``): the memo judges those month ends too,
before a query that reads them, so that no query plans the rules again for them.

A new memo starts with the days every write judges for the first visit after it (``first_visit_days``
of the default date, kept in ``first_visit_flags`` by tracker/derived.py), so that visit's pages
judge nothing themselves.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from functools import cache

import duckdb
import pandas as pd

from tracker import queries
from tracker.values import last_pack_day, previous_month

_MACRO = re.compile(r"create or replace temp macro (\w+)\s*\(")


class Memo:
    """The days judged so far on one opening of a database, kept in its in-memory catalog."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        queries.execute(con, "judged/create")
        queries.execute(con, "judged/flags_at")
        self._days: set[dt.date] = set()
        self._beyond_log: dict[dt.date, list[dt.date]] = {}  # by as_of: the month ends before it the log lacks
        self._seeded = False  # by the first query that reads flags: a page that reads none pays nothing
        self._lock = threading.Lock()

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Have the days each query on ``con`` (a connection to the same opening, which searches its
        in-memory catalog first) reads flags on judged before it runs."""
        queries.before_each(con, self._before)

    def _before(self, con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
        days = days_of(params) if reads_flags(name) else []
        if reads_month_ends(name):
            if params.get("as_of") is None:
                raise TypeError(f"query {name!r} reads the flags at month ends before its as_of, so needs one")
            days += self.month_ends_beyond_log(con, pd.Timestamp(params["as_of"]).date())
        if days:
            self.judge(con, days)

    def month_ends_beyond_log(self, con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[dt.date]:
        """The month ends before ``as_of`` that the flag log does not hold (nearly always none: the log
        runs to the latest day a return became known)."""
        if as_of not in self._beyond_log:
            self._beyond_log[as_of] = queries.execute(con, "judged/month_ends_beyond_log", as_of=as_of).fetchone()[0]
        return list(self._beyond_log[as_of])

    def judge(self, con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> None:
        """Judge those of ``days`` not judged yet, all in one pass."""
        if set(days) <= self._days:
            return  # judged already: no waiting behind another read judging other days
        with self._lock:
            if not self._seeded:  # the days the last write judged for a first visit
                kept = [row[0] for row in queries.execute(con, "judged/kept_days").fetchall()]
                queries.execute(con, "judged/seed")  # one statement: all of them or none
                self._days.update(kept)
                self._seeded = True
            missing = sorted(set(days) - self._days)
            if missing:
                queries.execute(con, "judged/judge", dates=missing)
                self._days.update(missing)


@cache
def flag_readers() -> frozenset[str]:
    """``flags_at`` and every macro in sql/macros that calls it, directly or through another such macro
    (``flags_between`` judges afresh and is not one)."""
    return _callers("flags_at")


@cache
def month_end_readers() -> frozenset[str]:
    """``flag_month_ends`` and every macro in sql/macros that calls it (``flag_history``)."""
    return _callers("flag_month_ends")


def _callers(macro: str) -> frozenset[str]:
    """``macro`` and every macro in sql/macros that calls it, directly or through another such macro."""
    bodies: dict[str, str] = {}
    for file in sorted((queries.SQL_DIR / "macros").glob("*.sql")):
        code = queries.code(f"macros/{file.stem}")
        starts = list(_MACRO.finditer(code))
        for here, after in zip(starts, [*starts[1:], None], strict=True):
            bodies[here.group(1)] = code[here.end() : after.start() if after else len(code)]
    readers = {macro}
    while True:
        more = {name for name, body in bodies.items() if name not in readers and _calls(body, readers)}
        if not more:
            return frozenset(readers)
        readers |= more


def _calls(sql: str, names: set[str] | frozenset[str]) -> bool:
    return any(re.search(rf"\b{name}\s*\(", sql) for name in names)


@cache
def reads_flags(name: str) -> bool:
    """Whether the query ``name`` reads judged flags."""
    return _calls(queries.code(name), flag_readers())


@cache
def reads_month_ends(name: str) -> bool:
    """Whether the query ``name`` reads the flags at month ends before its ``as_of`` (``flag_month_ends``)."""
    return _calls(queries.code(name), month_end_readers())


def first_visit_days(as_of: dt.date) -> list[dt.date]:
    """The days whose flags the pages read when they open on ``as_of`` (the default date): the day
    itself, the last pack's a week before (the board) and the same day a month before (the changes
    since the previous month)."""
    return list(dict.fromkeys([as_of, last_pack_day(as_of), previous_month(as_of)]))


def days_of(params: dict) -> list[dt.date]:
    """The days a query's flags are read on: its ``as_of`` and its ``dates``."""
    values = [params.get("as_of"), *(params.get("dates") or [])]
    return [pd.Timestamp(v).date() for v in values if v is not None]
