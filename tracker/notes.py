"""Follow-up notes on flags: who chased what, and when."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from tracker import queries
from tracker.errors import TrackerError
from tracker.ingest import next_ids
from tracker.store import Store

MAX_NOTE_CHARS = 2_000


def add_note(
    store: Store, site_code: str, flag: str, flag_since: dt.date, as_of: dt.date, note: str, written_by: str
) -> int:
    """Store a note on one run of a site's flag; gives its id."""
    text = note.strip()
    if not text:
        raise TrackerError("The note is empty: write what was done or agreed.")
    if len(text) > MAX_NOTE_CHARS:
        raise TrackerError(f"The note is {len(text):,} characters; keep it under {MAX_NOTE_CHARS:,}.")

    def write(con: duckdb.DuckDBPyConnection) -> int:
        note_id = next_ids(con)["note_id"]
        queries.execute(
            con,
            "insert_flag_note",
            note_id=note_id,
            site_code=site_code,
            flag=flag,
            flag_since=flag_since,
            as_of=as_of,
            note=text,
            written_by=written_by,
            written_at=dt.datetime.now().replace(microsecond=0),
        )
        return note_id

    return store.write(write)


def notes_beside(flags: pd.DataFrame, notes: pd.DataFrame) -> pd.Series:
    """For each raised flag, the latest note written on this run of it ('' if none)."""
    if notes.empty or flags.empty:
        return pd.Series([""] * len(flags), index=flags.index, dtype="object")
    latest = notes.sort_values(["written_at", "note_id"]).drop_duplicates(
        ["site_code", "flag", "flag_since"], keep="last"
    )
    latest = latest.assign(flag_since=pd.to_datetime(latest.flag_since))
    merged = flags[["site_code", "flag", "since"]].merge(
        latest, left_on=["site_code", "flag", "since"], right_on=["site_code", "flag", "flag_since"], how="left"
    )
    text = [
        "" if pd.isna(n) else f"{n} — {w}, {t:%-d %b %Y}"
        for n, w, t in zip(merged.note, merged.written_by, merged.written_at, strict=True)
    ]
    return pd.Series(text, index=flags.index, dtype="object")
