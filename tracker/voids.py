"""Withdraw a wrongly loaded return: a new version that counts as absent, with who and why."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from tracker import derived, queries
from tracker.errors import TrackerError
from tracker.ingest import RETURN_FIELDS, FileResult, current_user, next_ids, record_load, returns_frame
from tracker.store import Store
from tracker.values import uk_date


def void_return(store: Store, site_code: str, period_end: dt.date, reason: str, user: str | None = None) -> int:
    """Void the current return of a site and month; gives the load-log id of the void."""
    user = user or current_user()
    if not reason.strip():
        raise TrackerError("give a reason for the void (--reason)")

    def void(con: duckdb.DuckDBPyConnection) -> int:
        latest = queries.frame(con, "latest_version", site_code=site_code, period_end=period_end)
        if latest.empty or bool(latest.iloc[0]["is_void"]):
            state = "already void" if not latest.empty else "not loaded"
            raise TrackerError(f"there is no return to void for {site_code} in {uk_date(period_end)} ({state})")
        result = FileResult(file=f"void {site_code} {period_end.isoformat()}", sha256="", outcome="accepted", rows=1)
        load_id = record_load(con, "void", result, user, superseded_returns=1, note=reason.strip())
        row = {"row": None, "site_code": site_code, "period_end": period_end}
        row.update(dict.fromkeys(RETURN_FIELDS))
        return_id = next_ids(con)["return_id"]
        frame = returns_frame([row], return_id, [load_id])
        frame["is_void"] = True
        frame["void_reason"] = reason.strip()
        frame["source_row"] = pd.array([None], dtype="Int64")
        con.register("incoming", frame)
        queries.execute(con, "insert_returns")
        con.unregister("incoming")
        derived.refresh(con, first_return_id=return_id)
        return load_id

    return store.write(void)
