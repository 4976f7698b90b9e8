"""Readers and writers, in threads and processes, share a store without lock errors, on either backend."""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
import subprocess
import sys
import threading
import time

import duckdb
import pytest
from conftest import DATA, ROOT, csv_bytes, ingest, run_tracker

import tracker.store as store_module
from tracker.demo import open_with_demo
from tracker.errors import StoreBusy, TrackerError
from tracker.store import FileStore, latest_schema, locate, open_store
from tracker.store import base as store_base
from tracker.store import file as file_store

pytestmark = pytest.mark.both_backends


def hold_a_write(store, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Start a write in a thread that keeps the store for ``seconds``; gives the thread and an 'it has begun' event."""
    begun = threading.Event()

    def work(con):
        begun.set()
        time.sleep(seconds)

    thread = threading.Thread(target=store.write, args=(work,))
    thread.start()
    assert begun.wait(30)
    return thread, begun


def test_a_writer_in_another_process_waits_for_the_writer_before_it_then_loads(store):
    thread, _ = hold_a_write(store, 2.0)
    started = time.monotonic()
    done = run_tracker("ingest", str(DATA / "returns_2010-03.csv"), "--format", "json", store=store)
    waited = time.monotonic() - started
    thread.join()
    assert done.returncode == 0, done.stderr
    assert '"already loaded"' in done.stdout  # the fixture had it; the point is that it waited, then ran
    assert waited > 1.0


def test_a_writer_that_cannot_get_the_store_gets_a_plain_message(store, monkeypatch):
    monkeypatch.setattr(store_base, "WRITE_WAIT_S", 0.3)
    thread, _ = hold_a_write(store, 1.5)
    try:
        with pytest.raises(StoreBusy, match="is busy: another program has been"):
            store.write(lambda con: None)
    finally:
        thread.join()


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


def test_version_changes_when_a_file_is_loaded(store):
    before = store.version()
    assert store.version() == before
    ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,"))
    assert store.version() != before


def test_schema_is_migrated_once(new_store):
    store = new_store("m")
    assert not store.exists()
    store.write(lambda con: None)
    assert store.exists()
    versions = store.write(lambda con: con.execute("select value from meta where key = 'schema_version'").fetchall())
    assert versions == [(str(latest_schema()),)]


def test_ids_carry_on_from_the_highest_stored(store):
    with store.read() as con:
        before = con.execute(
            "select (select max(load_id) from load_log), (select max(return_id) from returns)"
        ).fetchone()
    result = ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,"))
    assert result.load_id == before[0] + 1
    with store.read() as con:
        assert con.execute("select return_id from returns where load_id = $l", {"l": result.load_id}).fetchall() == [
            (before[1] + 1,)
        ]


# -- the file backend's own locking ---------------------------------------------------------------


@pytest.mark.file_only
def test_a_file_writer_in_another_process_waits_for_a_reader_then_loads(store):
    with store.read() as con:
        before = con.execute("select count(*) from returns").fetchone()[0]
        child = subprocess.Popen(
            [sys.executable, "-m", "tracker", "ingest", str(DATA / "returns_2010-03.csv"), "--db", store.locator],
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
    assert "ALREADY LOADED" in out


@pytest.mark.file_only
def test_reads_in_a_stream_open_the_file_once_and_let_it_go_for_a_writer_when_idle(store, monkeypatch):
    # Opening DuckDB costs about as much as a page's query, so reads that follow one another share one
    # opening of the file (FileStore's _Readers); it is closed LINGER_S after the last read ends, and
    # then a program in another process may open the file read-write.
    opened = []
    original = file_store._attach_read_only
    monkeypatch.setattr(file_store, "_attach_read_only", lambda *args: opened.append(1) or original(*args))
    monkeypatch.setattr(file_store, "LINGER_S", 0.3)
    counts = []
    for _ in range(5):
        with store.read() as con:
            counts.append(con.execute("select count(*) from returns").fetchone()[0])
    assert len(opened) == 1
    assert len(set(counts)) == 1 and counts[0] > 0
    time.sleep(1.0)
    writer = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({store.locator!r}).close(); print('opened')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert writer.stdout.strip() == "opened", writer.stderr
    with store.read() as con:
        assert con.execute("select count(*) from returns").fetchone()[0] == counts[0]
    assert len(opened) == 2


@pytest.mark.file_only
def test_a_read_that_ended_well_leaves_its_cursor_to_the_next_and_one_that_failed_does_not(store):
    # Making and preparing a cursor on the opening costs about half a millisecond, and a page makes a
    # dozen reads: a read that ended well leaves its cursor for the next read of the same opening.
    from tracker import queries

    with store.read() as first:
        raised = queries.frame(first, "site_flags", as_of="2010-03-31", region=None, cohort=None)
    with store.read() as second:
        assert second is first
        # still judges the days it reads first (tracker/judged.py), on a day no read judged before
        queries.frame(second, "site_flags", as_of="2010-02-28", region=None, cohort=None)
    with pytest.raises((TrackerError, duckdb.Error)), store.read() as third:  # the latter with TRACKER_DEBUG
        third.execute("select * from no_such_table")
    with store.read() as fourth:
        assert fourth is not third  # a failed read's cursor is closed, not kept
        again = queries.frame(fourth, "site_flags", as_of="2010-03-31", region=None, cohort=None)
        assert again.equals(raised)
    assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    with store.read() as fifth:  # a write: a new opening, whose cursors see it
        assert fifth is not fourth
        assert fifth.execute("select count(*) from returns where period_end = date '2010-04-30'").fetchone()[0] == 1


@pytest.mark.file_only
def test_a_writer_in_another_process_does_not_wait_for_this_ones_idle_opening(store, monkeypatch):
    # The opening stays while idle, for the next read and the flags judged on it, but lets go as soon
    # as a writer waits at the gate, not after LINGER_S (a minute here, longer than the writer's timeout).
    monkeypatch.setattr(file_store, "LINGER_S", 600.0)
    with store.read() as con:
        before = con.execute("select count(*) from load_log").fetchone()[0]
    done = run_tracker("ingest", str(DATA / "returns_2010-03.csv"), "--format", "json", store=store, timeout=50)
    assert done.returncode == 0, done.stderr
    with store.read() as con:
        assert con.execute("select count(*) from load_log").fetchone()[0] == before + 1  # its line: already loaded


@pytest.mark.file_only
def test_a_read_sees_the_file_another_process_put_in_place_while_this_one_kept_the_old_open(
    store, monkeypatch, tmp_path
):
    # A restore or a demo build swaps a new file in (os.replace) without opening the old one, so nothing
    # stops it while this process keeps its opening of the old file; the next read must open the new.
    monkeypatch.setattr(file_store, "LINGER_S", 600.0)
    monkeypatch.setattr(file_store, "_IDLE_CHECK_S", 600.0)  # only the check of the file's identity can see it
    other = FileStore(tmp_path / "other.duckdb")
    shutil.copy(store.path, other.path)
    assert ingest(other, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    count = "select count(*) from load_log"
    with store.read() as con:
        before = con.execute(count).fetchone()[0]
    swap = (
        f"import os; from tracker.store import FileStore; s = FileStore({str(store.path)!r})\n"
        f"with s.exclusive(): os.replace({str(other.path)!r}, {str(store.path)!r})"
    )
    done = subprocess.run([sys.executable, "-c", swap], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with store.read() as con:
        assert con.execute(count).fetchone()[0] == before + 1


@pytest.mark.file_only
def test_a_server_s_next_opening_is_made_while_it_is_idle_and_reads_the_file_as_it_is_when_taken(store, monkeypatch):
    # A server asks for the in-memory DuckDB of its next opening to be made ahead (keep_openings_ready):
    # made in a thread of its own whenever an opening closes, the file attached only when a read takes
    # it, so a load in between is seen. A process that never asks (a command) makes none.
    spare = file_store._Spare()
    monkeypatch.setattr(file_store, "_SPARE", spare)
    made: list[str] = []  # the thread of each in-memory DuckDB made
    connect = file_store.duckdb.connect

    def counting(database, *args, **kwargs):
        if database == ":memory:":
            made.append(threading.current_thread().name)
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(file_store.duckdb, "connect", counting)
    count = "select count(*) from load_log"
    with store.read() as con:
        before = con.execute(count).fetchone()[0]
    store.close()
    assert not file_store.spare_ready() and made == ["MainThread"]  # not asked: made when needed, none ahead

    store.keep_openings_ready()
    with store.read() as con:  # the first opening after asking makes its own
        assert con.execute(count).fetchone()[0] == before
    store.close()  # and as it closes, the next one's is made
    assert file_store.spare_ready() and made == ["MainThread", "MainThread", "tracker-spare-opening"]
    assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    with store.read() as con:
        assert con.execute(count).fetchone()[0] == before + 1  # the file as it is now, on the one made ahead
    assert made == ["MainThread", "MainThread", "tracker-spare-opening"]
    store.close()
    assert file_store.spare_ready() and made.count("tracker-spare-opening") == 2
    with store.read() as con:
        assert con.execute(count).fetchone()[0] == before + 1
    assert made.count("MainThread") == 2


@pytest.mark.file_only
def test_a_foreign_duckdb_process_holding_the_file_gives_a_plain_message(store, monkeypatch):
    monkeypatch.setattr(store_base, "READ_WAIT_S", 0.5)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({store.locator!r}); print('ready', flush=True); time.sleep(30)",
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


def test_locate_prefers_the_option_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TRACKER_DB", raising=False)
    default = locate(None)
    assert (default.locator, default.is_default) == (str(store_module.DEFAULT_DB), True)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "env.duckdb"))
    assert (locate(None).locator, locate(None).is_default) == (str((tmp_path / "env.duckdb").resolve()), False)
    assert locate(tmp_path / "opt.duckdb").locator == str((tmp_path / "opt.duckdb").resolve())
    lake = "ducklake:postgres:dbname=tracker host=db.example user=tracker"
    assert locate(lake).describe() == "the shared store (PostgreSQL database tracker on db.example)"
    assert locate(lake) is locate(lake)  # one store, one connection, per process


def test_a_named_database_is_never_filled_with_demo_data(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "mine.duckdb"))
    store = open_with_demo()
    assert not store.exists()


def default_database(monkeypatch, tmp_path) -> FileStore:
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.setattr(store_module, "DEFAULT_DB", tmp_path / "data" / "tracker.duckdb")
    return locate()


def test_the_default_database_is_built_from_the_demo_when_missing(monkeypatch, tmp_path):
    store = default_database(monkeypatch, tmp_path)
    assert open_with_demo().locator == store.locator
    with store.read() as con:
        assert con.execute("select value from meta where key = 'is_demo'").fetchone() == ("true",)
        assert con.execute("select count(distinct site_code) from site_versions").fetchone()[0] == 70
    assert sorted(p.name for p in store.path.parent.iterdir() if "building" in p.name) == []


def test_a_first_start_begins_the_demo_build_at_once_and_the_page_waits_for_it(monkeypatch, tmp_path):
    from tracker import demo

    store = default_database(monkeypatch, tmp_path)
    monkeypatch.setattr(demo, "_early_build", None)
    demo.build_default_soon()  # a new server's start-up (pages/_startup.py), before its imports
    early = demo._early_build
    assert early is not None
    demo.build_default_soon()  # another visitor's run meanwhile starts no second build
    assert demo._early_build is early
    assert open_with_demo().locator == store.locator  # the page's store: waits for the build
    assert not early.is_alive()
    with store.read() as con:
        loads = con.execute("select count(*) from load_log where outcome = 'accepted'").fetchone()[0]
    assert loads == 1 + len(demo.demo_files(demo.DEMO_DATA))  # the register and every return file
    # With the database there, or another one named, nothing is started.
    monkeypatch.setattr(demo, "_early_build", None)
    demo.build_default_soon()
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "mine.duckdb"))
    demo.build_default_soon()
    assert demo._early_build is None and not (tmp_path / "mine.duckdb").exists()


def written_by_a_newer_duckdb(path) -> None:
    """Make a database file claim storage version 999, as DuckDB 2.0's files do (DuckDB 1.5.5 then refuses it
    with the very message a real 2.0 file gives). The header's checksum is DuckDB's: 5381 xor, for every
    8-byte word after it, the word times 0xbf58476d1ce4e5b9; the words that change are swapped out of it."""
    data = bytearray(path.read_bytes())
    assert data[8:12] == b"DUCK"
    mix = lambda word: (word * 0xBF58476D1CE4E5B9) % 2**64  # noqa: E731
    words = lambda: [struct.unpack_from("<Q", data, at)[0] for at in (8, 16)]  # noqa: E731
    before = words()
    struct.pack_into("<Q", data, 12, 999)
    (checksum,) = struct.unpack_from("<Q", data, 0)
    for old, new in zip(before, words(), strict=True):
        checksum ^= mix(old) ^ mix(new)
    struct.pack_into("<Q", data, 0, checksum)
    path.write_bytes(bytes(data))


def test_a_default_database_from_a_newer_duckdb_is_rebuilt_from_the_demo(monkeypatch, tmp_path, demo_db):
    store = default_database(monkeypatch, tmp_path)
    store.path.parent.mkdir()
    shutil.copy(demo_db, store.path)
    written_by_a_newer_duckdb(store.path)
    assert not store.readable()
    open_with_demo()
    with store.read() as con:
        assert con.execute("select count(distinct site_code) from site_versions").fetchone()[0] == 70


@pytest.mark.file_only
def test_a_named_database_from_a_newer_duckdb_gets_a_plain_message_saying_how_to_move_it(store):
    written_by_a_newer_duckdb(store.path)
    done = run_tracker("flags", "--as-of", "2010-03-31", store=store)
    assert done.returncode == 1
    assert "was written by a newer DuckDB" in done.stderr
    assert "export --out DIR" in done.stderr and "restore DIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_open_store_does_not_build_anything(new_store):
    store = new_store("nothing")
    open_store(store.locator)
    assert not store.exists()


def test_reads_in_a_shared_block_share_a_connection_where_the_store_allows_and_a_write_in_it_is_seen(
    store, monkeypatch
):
    # A page run reads inside Store.shared_reads (pages/_shared.one_connection). On a lake, whose readers
    # hold no lock, the first read opens a connection and the rest of the run uses it; a write in the
    # run closes it first, and the next read opens one that sees the write. A file's reader holds a
    # lock, which held for a whole run can deadlock with a writer and Streamlit's cache (FileStore's
    # note): there every read still takes its own (and may be handed the cursor the last read left).
    opened = []
    original = type(store)._read

    def counting(self):
        opened.append(1)
        return original(self)

    monkeypatch.setattr(type(store), "_read", counting)
    count = "select count(*) from load_log"
    with store.shared_reads():
        with store.read() as first:
            before = first.execute(count).fetchone()[0]
        with store.read() as second, store.shared_reads():  # nested blocks share the outer one's
            if store.shares_reads:
                assert second is first
            assert second.execute(count).fetchone()[0] == before
        assert len(opened) == (1 if store.shares_reads else 2)
        assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
        with store.read() as third:
            assert third.execute(count).fetchone()[0] == before + 1
        assert len(opened) == (2 if store.shares_reads else 3)
    assert store.shares_reads == (not isinstance(store, FileStore))


def test_a_store_holding_another_code_s_macros_is_read_with_this_code_s_and_the_next_write_stores_them(store):
    """An upgrade: the stored macros are not this code's (here one answers wrongly). Readers use temporary
    copies of this code's; the next write stores this code's without making copies for itself, and
    readers after it need none."""
    from tracker.store import schema

    def older(con):
        con.execute("create or replace macro previous_month_end(day) as date '1999-01-31'")
        schema.set_meta(con, schema.MACROS_KEY, "an older tracker's")

    ask = "select previous_month_end(date '2010-03-15')::varchar"
    copies = (
        "select count(*) from duckdb_functions() where function_name = 'previous_month_end' and database_name = 'temp'"
    )
    store.write(older)
    with store.read() as con:
        assert con.execute(ask).fetchone()[0] == "2010-02-28"  # this code's macro, not the stored one
        assert con.execute(copies).fetchone()[0] == 1
    assert store.write(lambda con: (con.execute(copies).fetchone()[0], con.execute(ask).fetchone()[0])) == (
        0,
        "2010-02-28",
    )
    with store.read() as con:
        assert schema.macros_installed(con)
        assert con.execute(ask).fetchone()[0] == "2010-02-28"
        assert con.execute(copies).fetchone()[0] == 0


def test_read_each_gives_each_work_s_result_in_order_and_on_a_file_runs_them_side_by_side(store):
    # A page's queries at 70 sites are mostly DuckDB planning each in one thread, so a file's reads run them
    # side by side on cursors of one opening (Store.read_each); a lake runs them in turn on one connection.
    side_by_side = not store.shares_reads
    meeting = threading.Barrier(2, timeout=10)

    def meet(con):
        if side_by_side:
            meeting.wait()  # both works at once, or the barrier breaks and the work fails
        return threading.current_thread().name

    def count(table):
        return lambda con: con.execute(f"select count(*) from {table}").fetchone()[0]

    with store.read() as con:
        expected = [con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("returns", "load_log")]
    names = store.read_each([meet, meet])
    assert store.read_each([count("returns"), count("load_log")]) == expected
    if side_by_side:
        assert len(set(names)) == 2 and any(n.startswith(file_store.HELPER_THREAD) for n in names), names
    else:
        assert set(names) == {threading.current_thread().name}


def test_read_each_raises_the_first_work_s_error_once_the_works_under_way_have_ended(store):
    # Side by side (a file), every work runs and the first error in their order is raised after all have
    # ended, none left running on the opening; in turn (a lake), the works after a failed one are not run.
    ended = []

    def fails(message):
        def work(con):
            time.sleep(0.2)
            ended.append(message)
            raise ValueError(message)

        return work

    def reads(con):
        time.sleep(0.3)
        ended.append("read")
        return con.execute("select count(*) from returns").fetchone()[0]

    with pytest.raises(ValueError, match="first"):
        store.read_each([reads, fails("first"), fails("second")])
    assert sorted(ended) == (["first", "read"] if store.shares_reads else ["first", "read", "second"])
    with pytest.raises(TrackerError, match="no_such_table"):  # a query's error is the store's plain message
        store.read_each([reads, lambda con: con.execute("select * from no_such_table")])
    assert store.read_each([reads]) == store.read_each([reads, reads])[:1]  # and it can be read again
    store.write(lambda con: None)  # nothing of the failed reads is left holding the store


@pytest.mark.file_only
def test_read_each_on_a_file_reads_one_state_of_it_while_a_writer_waits(store):
    # The works share one opening under one shared lock: a writer in another process, which logs a line even
    # for a file it had already, waits for all of them; the second work reads only once it is waiting.
    count = "select count(*) from load_log"
    with store.read() as con:
        before = con.execute(count).fetchone()[0]
    child = []

    def writer_waiting() -> bool:
        fd = os.open(store.path.with_name(store.path.name + ".gate"), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True  # the writer holds the gate while it waits for the lock
        finally:
            os.close(fd)
        return False

    def start_writer(con):
        child.append(
            subprocess.Popen(
                [sys.executable, "-m", "tracker", "ingest", str(DATA / "returns_2010-03.csv"), "--db", store.locator],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        return con.execute(count).fetchone()[0]

    def once_the_writer_waits(con):
        deadline = time.monotonic() + 30
        while not (child and writer_waiting()):
            assert time.monotonic() < deadline, "the writer never came"
            time.sleep(0.05)
        return con.execute(count).fetchone()[0]

    assert store.read_each([start_writer, once_the_writer_waits]) == [before, before]
    out, err = child[0].communicate(timeout=60)
    assert child[0].returncode == 0, err
    assert "ALREADY LOADED" in out  # it waited, then ran
    with store.read() as con:
        assert con.execute(count).fetchone()[0] == before + 1
