"""Run the named SQL files in ``sql/`` with bound parameters."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import duckdb
import pandas as pd

from tracker.config import ROOT

SQL_DIR = ROOT / "sql"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

# What runs before each query on a connection (tracker/judged.py judges the days it reads first),
# by the connection's id: kept only while the connection is open (``before_each``, ``forget``).
Before = Callable[[duckdb.DuckDBPyConnection, str, dict], None]
_before: dict[int, Before] = {}


@cache
def text(name: str) -> str:
    """The SQL of ``sql/<name>.sql``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {SQL_DIR}")
    return path.read_text()


@cache
def parameters(name: str) -> frozenset[str]:
    """The ``$names`` a query binds (in its code, not its comments)."""
    return frozenset(_PARAM.findall(code(name)))


@cache
def code(name: str) -> str:
    """The SQL of a query without its comments."""
    return _strip_comments(text(name))


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def before_each(con: duckdb.DuckDBPyConnection, step: Before) -> None:
    """Run ``step(con, name, params)`` before each named query on ``con``, until ``forget(con)``."""
    _before[id(con)] = step


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Stop what ``before_each`` set up for ``con`` (call it before the connection is closed)."""
    _before.pop(id(con), None)


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> duckdb.DuckDBPyConnection:
    """Run a named query; every ``$name`` in it must be given, and nothing else is passed."""
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters {sorted(missing)}")
    bound = {k: params[k] for k in wanted}
    step = _before.get(id(con))
    if step is not None:
        step(con, name, bound)
    return con.execute(text(name), bound)


def frame(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run a named query and return its rows as a DataFrame."""
    return execute(con, name, **params).df()


def frames_at(con: duckdb.DuckDBPyConnection, name: str, days: list, **params: object) -> list[pd.DataFrame]:
    """A query that judges a list of days in one pass (``$dates``, an ``as_of`` column): one frame per day."""
    return by_day(frame(con, name, dates=list(days), **params), days)


def by_day(rows: pd.DataFrame, days: list) -> list[pd.DataFrame]:
    """Rows of a ``$dates`` query split by their ``as_of`` day, one frame per day in ``days`` (without the column)."""
    when = pd.to_datetime(rows.as_of)
    return [rows[when == pd.Timestamp(d)].drop(columns="as_of").reset_index(drop=True) for d in days]
