"""Export and restore lose nothing, and loading carries on as on the original; integrity checks catch damage."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import csv_bytes, ingest, load_log, table_rows

from tracker.backup import TABLES, export, restore
from tracker.errors import TrackerError
from tracker.integrity import check
from tracker.notes import add_note
from tracker.store import Store
from tracker.voids import void_return

pytestmark = pytest.mark.both_backends


def every_table(store: Store, *, when_loaded: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table; ``when_loaded=False`` leaves out the load log's clock time."""
    with store.read() as con:
        tables = {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
        if not when_loaded:
            tables["load_log"] = con.execute("select * exclude (loaded_at) from load_log order by all").fetchall()
    return tables


def test_round_trip_is_identical_and_loading_carries_on(store, new_store, tmp_path):
    void_return(store, "BBB", dt.date(2010, 3, 31), "wrong site", user="pm")
    add_note(store, "AAA", "BEHIND_TARGET", dt.date(2010, 5, 31), dt.date(2010, 11, 30), '=HYPERLINK("x") chased', "pm")
    export(store, tmp_path / "backup")
    copy = new_store("restored")
    restore(tmp_path / "backup", copy)
    assert every_table(copy) == every_table(store)
    # The same next file gets the same ids in both.
    april = csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")
    for s in (store, copy):
        ingest(s, "april.csv", april)
    assert every_table(copy, when_loaded=False) == every_table(store, when_loaded=False)
    assert load_log(copy)[-1]["load_id"] == load_log(store)[-1]["load_id"]
    assert check(copy) == []


@pytest.mark.file_only
def test_a_programme_moves_between_a_file_and_a_lake_and_back_with_every_row_identical(
    store, postgres, tmp_path, monkeypatch
):
    from tracker.store import FileStore, locate

    void_return(store, "BBB", dt.date(2010, 3, 31), "wrong site", user="pm")
    add_note(store, "AAA", "PLATEAU", dt.date(2010, 5, 31), dt.date(2010, 11, 30), "chased", "pm")
    export(store, tmp_path / "from-file")
    (tmp_path / "lake-data").mkdir()
    monkeypatch.setenv("TRACKER_DATA_PATH", str(tmp_path / "lake-data"))
    lake = locate(postgres.lake("moved"))
    try:
        restore(tmp_path / "from-file", lake)
        assert every_table(lake) == every_table(store)
        assert check(lake) == []
        export(lake, tmp_path / "from-lake")
        back = FileStore(tmp_path / "back.duckdb")
        restore(tmp_path / "from-lake", back)
        assert every_table(back) == every_table(store)
        assert check(back) == []
    finally:
        lake.close()


def test_backup_csv_is_neutralised_but_parquet_is_faithful(store, tmp_path):
    add_note(store, "AAA", "PLATEAU", dt.date(2010, 5, 31), dt.date(2010, 11, 30), "=1+1", "pm")
    export(store, tmp_path / "b")
    assert "'=1+1" in (tmp_path / "b" / "flag_notes.csv").read_text(encoding="utf-8-sig")
    assert duckdb.sql(f"select note from '{tmp_path / 'b' / 'flag_notes.parquet'}'").fetchall() == [("=1+1",)]


def test_restore_never_overwrites_data(store, new_store, tmp_path):
    export(store, tmp_path / "b")
    before = table_rows(store)
    with pytest.raises(TrackerError, match="already holds data: restore fills only a new database or an empty store"):
        restore(tmp_path / "b", store)
    assert table_rows(store) == before
    with pytest.raises(TrackerError, match="does not hold a tracker backup"):
        restore(tmp_path / "nowhere", new_store("new"))


def test_integrity_check_finds_a_half_written_load(store):
    assert check(store) == []
    store.write(lambda con: con.execute("delete from returns where return_id = (select max(return_id) from returns)"))
    problems = check(store)
    assert "accepted loads whose stored rows differ from the load log" in problems[0]
    # the derived data no longer matches the returns either (it was made with the row there)
    assert all("accepted loads" in p or "differ from" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "meaning"),
    [
        ("insert into returns select * from returns where return_id = 1", "ids given to more than one row"),
        ("update load_log set outcome = 'maybe' where load_id = 1", "values outside the accepted sets"),
        (
            "insert into site_versions select * from site_versions where site_code = 'AAA'",
            "ids given to more than one row",
        ),
        ("delete from load_log where kind = 'register'", "register or rule versions no accepted load records"),
        ("delete from rule_versions", "no rules from the start"),
        ("insert into meta select * from meta where key = 'schema_version'", "settings held twice"),
    ],
)
def test_integrity_check_proves_what_keys_and_constraints_would_have(store, change, meaning):
    # A DuckLake enforces no key or CHECK constraint (nor, since, does a new file), so `check` is what
    # proves they hold.
    assert check(store) == []
    store.write(lambda con: con.execute(change))
    assert any(meaning in p for p in check(store))
