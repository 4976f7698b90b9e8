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
from tracker.values import add_months, last_pack_day

_MACRO = re.compile(r"create or replace temp macro (\w+)\s*\(")


class Memo:
    """The days judged so far on one opening of a database, kept in its in-memory catalog."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        queries.execute(con, "judged/create")
        queries.execute(con, "judged/flags_at")
        self._days: set[dt.date] = set()
        self._seeded = False  # by the first query that reads flags: a page that reads none pays nothing
        self._lock = threading.Lock()

    @property
    def days(self) -> frozenset[dt.date]:
        """The days judged so far."""
        return frozenset(self._days)

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Have the days each query on ``con`` (a connection to the same opening, which searches its
        in-memory catalog first) reads flags on judged before it runs."""
        queries.before_each(con, self._before)

    def _before(self, con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
        if reads_flags(name):
            self.judge(con, days_of(params))

    def judge(self, con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> None:
        """Judge those of ``days`` not judged yet, all in one pass."""
        if set(days) <= self._days:
            return  # judged already: no waiting behind another read judging other days
        with self._lock:
            if not self._seeded:  # the days the last write judged for a first visit
                queries.execute(con, "judged/seed")
                self._days.update(row[0] for row in queries.execute(con, "judged/days").fetchall())
                self._seeded = True
            missing = sorted(set(days) - self._days)
            if missing:
                queries.execute(con, "judged/judge", dates=missing)
                self._days.update(missing)


@cache
def flag_readers() -> frozenset[str]:
    """``flags_at`` and every macro in sql/macros that calls it, directly or through another such macro
    (``flags_between`` judges afresh and is not one)."""
    bodies: dict[str, str] = {}
    for file in sorted((queries.SQL_DIR / "macros").glob("*.sql")):
        code = queries.code(f"macros/{file.stem}")
        starts = list(_MACRO.finditer(code))
        for here, after in zip(starts, [*starts[1:], None], strict=True):
            bodies[here.group(1)] = code[here.end() : after.start() if after else len(code)]
    readers = {"flags_at"}
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


def first_visit_days(as_of: dt.date) -> list[dt.date]:
    """The days whose flags the pages read when they open on ``as_of`` (the default date): the day
    itself, the last pack's a week before (the board) and the same day a month before (the changes
    since the previous month)."""
    return list(dict.fromkeys([as_of, last_pack_day(as_of), add_months(as_of, -1)]))


def days_of(params: dict) -> list[dt.date]:
    """The days a query's flags are read on: its ``as_of`` and its ``dates``."""
    values = [params.get("as_of"), *(params.get("dates") or [])]
    return [pd.Timestamp(v).date() for v in values if v is not None]
