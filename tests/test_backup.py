"""Export and restore lose nothing, and loading carries on as on the original; integrity checks catch damage."""

from __future__ import annotations

import duckdb
import pytest
from conftest import csv_bytes, ingest, load_log, table_rows

from tracker.backup import TABLES, export, restore
from tracker.errors import TrackerError
from tracker.integrity import check
from tracker.notes import add_note
from tracker.store import Store
from tracker.voids import void_return


def every_table(store: Store) -> dict[str, list[tuple]]:
    with store.read() as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}


def test_round_trip_is_identical_and_loading_carries_on(store, tmp_path):
    import datetime as dt

    void_return(store, "BBB", dt.date(2010, 3, 31), "wrong site", user="pm")
    add_note(store, "AAA", "BEHIND_TARGET", dt.date(2010, 5, 31), dt.date(2010, 11, 30), '=HYPERLINK("x") chased', "pm")
    export(store, tmp_path / "backup")
    copy = Store(tmp_path / "restored.duckdb")
    restore(tmp_path / "backup", copy.path)
    assert every_table(copy) == every_table(store)
    # The same next file gets the same ids in both.
    april = csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")
    for s in (store, copy):
        ingest(s, "april.csv", april)
    assert every_table(copy) == every_table(store)
    assert load_log(copy)[-1]["load_id"] == load_log(store)[-1]["load_id"]
    assert check(copy) == []


def test_backup_csv_is_neutralised_but_parquet_is_faithful(store, tmp_path):
    import datetime as dt

    add_note(store, "AAA", "PLATEAU", dt.date(2010, 5, 31), dt.date(2010, 11, 30), "=1+1", "pm")
    export(store, tmp_path / "b")
    assert "'=1+1" in (tmp_path / "b" / "flag_notes.csv").read_text(encoding="utf-8-sig")
    assert duckdb.sql(f"select note from '{tmp_path / 'b' / 'flag_notes.parquet'}'").fetchall() == [("=1+1",)]


def test_restore_never_overwrites_a_database(store, tmp_path):
    export(store, tmp_path / "b")
    before = table_rows(store)
    with pytest.raises(TrackerError, match="exists: restore builds a new database"):
        restore(tmp_path / "b", store.path)
    assert table_rows(store) == before
    with pytest.raises(TrackerError, match="does not hold a tracker backup"):
        restore(tmp_path / "nowhere", tmp_path / "new.duckdb")


def test_integrity_check_finds_a_half_written_load(store, tmp_path):
    assert check(store) == []
    with duckdb.connect(str(store.path)) as con:
        con.execute("delete from returns where return_id = (select max(return_id) from returns)")
    problems = check(store)
    assert "accepted loads whose stored rows differ from the load log" in problems[0]
    # the derived data no longer matches the returns either (it was made with the row there)
    assert all("accepted loads" in p or "differ from" in p for p in problems)
