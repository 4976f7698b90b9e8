"""The dashboard and the command line share one database file without lock errors."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import DATA, csv_bytes, ingest

import tracker.store as store_module
from tracker.errors import StoreBusy
from tracker.store import Store, latest_schema, open_store, resolve_path

ROOT = Path(__file__).resolve().parent.parent


def test_a_writer_in_another_process_waits_for_a_reader_then_loads(store):
    with store.read() as con:
        before = con.execute("select count(*) from returns").fetchone()[0]
        child = subprocess.Popen(
            [sys.executable, "-m", "tracker", "ingest", str(DATA / "returns_2010-03.csv"), "--db", str(store.path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert child.poll() is None, "the writer should wait while a reader holds the database"
        assert con.execute("select count(*) from returns").fetchone()[0] == before
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "ALREADY LOADED" in out  # the fixture had it; the point is that it ran without a lock error


def test_a_writer_that_cannot_get_the_lock_gets_a_plain_message(store, monkeypatch):
    monkeypatch.setattr(store_module, "WRITE_WAIT_S", 0.3)
    with (
        store.read(),
        pytest.raises(StoreBusy, match="is busy: another program has been reading or writing it"),
        store.write(),
    ):
        pass


def test_a_foreign_duckdb_process_holding_the_file_gives_a_plain_message(store, monkeypatch):
    monkeypatch.setattr(store_module, "READ_WAIT_S", 0.5)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(store.path)!r}); print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusy, match="held open by another program"), store.read():
            pass
    finally:
        holder.kill()
        holder.wait()


def test_readers_in_threads_see_whole_files_while_a_writer_loads(empty_store):
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                with empty_store.read() as con:
                    rows = con.execute("select count(*) from returns").fetchone()[0]
                    logged = con.execute("select coalesce(sum(new_returns), 0) from load_log").fetchone()[0]
                assert rows == logged, (rows, logged)  # a file is either wholly in or not at all
                seen.append(rows)
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised by the test
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for month in range(1, 13):
            period = f"2010-{month:02d}-{[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]}"
            data = csv_bytes(f"AAA,{period},{month},{month},0,0,0,0,0,100,,", f"DDD,{period},0,0,0,0,0,0,0,50,,")
            assert ingest(empty_store, f"m{month}.csv", data).outcome == "accepted"
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert seen and max(seen) <= 24


def test_resolve_path_prefers_the_option_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TRACKER_DB", raising=False)
    assert resolve_path(None) == (store_module.DEFAULT_DB, True)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "env.duckdb"))
    assert resolve_path(None) == ((tmp_path / "env.duckdb").resolve(), False)
    assert resolve_path(tmp_path / "opt.duckdb") == ((tmp_path / "opt.duckdb").resolve(), False)


def test_a_named_database_is_never_filled_with_demo_data(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "mine.duckdb"))
    store = open_store()
    assert not store.path.exists()


def test_the_default_database_is_built_from_the_demo_when_missing(monkeypatch, tmp_path):
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.setattr(store_module, "DEFAULT_DB", tmp_path / "data" / "tracker.duckdb")
    store = open_store()
    with store.read() as con:
        assert con.execute("select value from meta where key = 'is_demo'").fetchone() == ("true",)
        assert con.execute("select count(*) from sites").fetchone()[0] == 70
    assert sorted(p.name for p in store.path.parent.iterdir() if "building" in p.name) == []


def test_version_changes_when_a_file_is_loaded(store):
    before = store.version()
    ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,"))
    assert store.version() != before


def test_schema_is_migrated_once(tmp_path):
    store = Store(tmp_path / "m.duckdb")
    with store.write():
        pass
    with store.write() as con:
        assert con.execute("select value from meta where key = 'schema_version'").fetchone() == (str(latest_schema()),)
