"""Derived data, brought up to date inside every write so that reads stay fast at scale.

These are derived, and all can be rebuilt from the loaded data at any time:

* each return version's span: ``known_from`` (set when it is inserted) and ``superseded_from``
  (the day a later-loaded version of the same month became known). Choosing the versions that
  count on a day is then a filter instead of a sort of every version.
* ``return_months``: what the versions of each month's return known on a day add up to (how many,
  the first sent, whether one counts), for every day a version became known; which returns are
  on time, late or missing on a day is then a filter instead of grouping every version.
* ``site_facts``: what each site's returns that count add up to, on every day that changes it.
* ``flag_log``: the flags raised at every month end up to the latest day a return became known,
  evaluated by the same SQL macro the dashboard uses for any other day (``flags_between``).
  ``flag_history`` reads it for the month ends it covers, so a flag's "since" date costs a
  lookup instead of re-evaluating every site at every month end.
* ``first_visit_flags``: the flags on the days the pages read when they open on the default date,
  judged by the write, so the first visit after it judges nothing (tracker/judged.py).

The site facts and the two kinds of flags follow the register and the rules as versioned (each day
judged by the entries in effect on it): a change of either re-derives them from the first day it takes
effect. The spans and the month states depend on the returns alone. The derived data is stamped with
the code (sql/macros) that last brought it up to date: a reader running other code uses neither the
log nor the first visit's flags, and evaluates them live, nor the month states, which it groups afresh
from the versions (older code may not have kept them); the next write derives everything again.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from tracker import judged, queries
from tracker.store.schema import macros_version, read_meta, refresh_months, refresh_spans, set_meta

THROUGH_KEY = "flag_log_through"
SETTINGS_KEY = "flag_log_settings"
NEVER = dt.date(1, 1, 1)


def settings_stamp(con: duckdb.DuckDBPyConnection | None = None, meta: dict[str, str] | None = None) -> str:
    """The code the flags are decided by, as stored beside the log it filled (the rules are in the tables)."""
    return macros_version()


def usable_through(con: duckdb.DuckDBPyConnection, meta: dict[str, str] | None = None) -> dt.date:
    """The last month end the flag log may be read for (NEVER when it was filled under other rules).

    ``meta`` is the meta table already read, to save reading it again.
    """
    meta = read_meta(con) if meta is None else meta
    if meta is None:  # not (yet) a tracker database
        return NEVER
    if not derived_by_this_code(con, meta) or not meta.get(THROUGH_KEY):
        return NEVER
    return dt.date.fromisoformat(meta[THROUGH_KEY])


def derived_by_this_code(con: duckdb.DuckDBPyConnection, meta: dict[str, str] | None = None) -> bool:
    """Whether the derived data was last brought up to date by this code (a store last written by older
    code may lack what newer code derives: its month states, say)."""
    meta = read_meta(con) if meta is None else meta
    return meta is not None and meta.get(SETTINGS_KEY) == settings_stamp(con, meta)


def publish_state(con: duckdb.DuckDBPyConnection, meta: dict[str, str] | None = None, *, shared: bool = False) -> None:
    """Tell this connection's macros how far the flag log can be trusted, and whether the rest of the
    derived data can (``shared``: every connection to this in-memory DuckDB, in its own catalog, for an
    opening whose data cannot change)."""
    meta = read_meta(con) if meta is None else meta
    table = "table memory.main.flag_log_state" if shared else "temp table flag_log_state"
    con.execute(
        f"create or replace {table} as select $d::date as usable_through, $current as derived_current",
        {"d": usable_through(con, meta), "current": derived_by_this_code(con, meta)},
    )


def refresh(
    con: duckdb.DuckDBPyConnection, first_return_id: int | None = None, *, from_day: dt.date | None = None
) -> None:
    """Bring the derived data up to date after versions numbered ``first_return_id`` on were added, or
    after a change of the register or the rules that takes effect on ``from_day``.

    Neither rebuilds everything (a restore, new code). Runs inside the caller's transaction, so the
    derived data commits, or not, with the load.
    """
    refresh_spans(con)  # the register or the rules may have new versions
    horizon = queries.execute(con, "derive/log_horizon").fetchone()[0]
    stamp = settings_stamp(con)
    state = usable_through(con)
    if from_day is not None:
        changed = from_day
    elif first_return_id is None:
        queries.execute(con, "derive/known_from")
        queries.execute(con, "derive/supersession", first_return_id=0)
        refresh_months(con)
        changed = NEVER
    else:
        queries.execute(con, "derive/supersession", first_return_id=first_return_id)
        refresh_months(con, first_return_id)
        changed = queries.execute(con, "derive/change_window", first_return_id=first_return_id).fetchone()[0]
    if changed is not None:
        queries.execute(con, "derive/facts_clear", from_day=changed)
        queries.execute(con, "derive/facts_fill", from_day=changed)
        queries.execute(con, "derive/facts_link", from_day=changed)
    if state == NEVER:
        start = NEVER
    else:
        start = min(d for d in (changed, state + dt.timedelta(days=1), horizon) if d is not None)
    queries.execute(con, "derive/flag_log_clear", from_day=start)
    if horizon is not None:
        queries.execute(con, "derive/flag_log_fill", from_day=start, to_day=horizon)
    set_meta(con, THROUGH_KEY, (horizon or NEVER).isoformat())
    set_meta(con, SETTINGS_KEY, stamp)
    publish_state(con)
    judge_first_visit(con)


def judge_first_visit(con: duckdb.DuckDBPyConnection) -> None:
    """Judge the flags on the days the pages read when they open on the default date, for the first
    visit after this write (``first_visit_flags``; tracker/judged.py seeds each new opening with them).

    Only on a DuckDB file: a lake's reads judge their flags in each query and never read them.
    """
    if queries.execute(con, "derive/store_kind").fetchone()[0] == "ducklake":
        return
    queries.execute(con, "derive/first_visit_flags_clear")
    default = queries.execute(con, "default_as_of").fetchone()[0]
    if default is not None:
        days = judged.first_visit_days(pd.Timestamp(default).date())
        queries.execute(con, "derive/first_visit_flags_fill", dates=days)


def is_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the derived data was made under other flag rules, or never made (a rebuild is due)."""
    try:
        stamp = con.execute("select value from meta where key = $k", {"k": SETTINGS_KEY}).fetchone()
    except duckdb.CatalogException:
        return False  # not a tracker database: nothing to derive from
    return stamp is None or stamp[0] != settings_stamp(con)
