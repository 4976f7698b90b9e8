"""What only the shared store (DuckLake on PostgreSQL) does: extensions from wheels, lock-free readers, retried
conflicts, plain messages when PostgreSQL is away, upkeep, and the same answers as a file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import DATA, RETURN_FILES, ROOT, csv_bytes, ingest, open_page, run_tracker, serve_copy
from playwright.sync_api import sync_playwright

from tracker import flags
from tracker.browser import CHROMIUM_ARGS, EXCEPTION, READY, chromium_path, dashboard_server
from tracker.config import Maintenance, current
from tracker.errors import StoreBusy, TrackerError
from tracker.integrity import check
from tracker.register import load_register
from tracker.store import FileStore, locate
from tracker.store import base as store_base
from tracker.store import lake as lake_module

ERROR = f'{EXCEPTION}, [data-testid="stAlertContentError"]'


@pytest.fixture
def backend() -> str:
    return "lake"


def months_after_the_fixture(folder: Path, count: int = 12) -> list[Path]:
    """Monthly files for the fixture's four sites, Apr 2010 on (the fixture holds Jan to Mar)."""
    files = []
    for i in range(count):
        year, month = 2010 + (i + 3) // 12, (i + 3) % 12 + 1
        end = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()
        sent = (dt.date.fromisoformat(end) + dt.timedelta(days=9 + i % 10)).isoformat()
        path = folder / f"returns_{end[:7]}.csv"
        path.write_bytes(
            csv_bytes(
                f"AAA,{end},{12 + 2 * i},{7 + i},{5 + i},{3 + i},1,0,{2000 + 100 * i},6000,{sent},",
                f"BBB,{end},{4 + i},{2 + i // 2},0,0,0,0,0,3000,{sent},",
                f"CCC,{end},{i},0,0,0,0,0,0,{9000 if i < 6 else 0},{sent},",
            )
        )
        files.append(path)
    return files


# -- extensions: from the wheels, by path, signature checked -------------------------------------


def test_extensions_come_from_their_wheels_and_a_tampered_one_is_refused(tmp_path, store, monkeypatch):
    for name in lake_module.EXTENSIONS:
        path = lake_module.extension_file(name)
        assert f"duckdb_extension_{name}" in str(path) and path.name == f"{name}.duckdb_extension"
    tampered = tmp_path / "ducklake.duckdb_extension"
    data = bytearray(lake_module.extension_file("ducklake").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte in the middle of the code
    tampered.write_bytes(bytes(data))
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    assert con.execute("select current_setting('allow_unsigned_extensions')").fetchone() == (False,)
    with pytest.raises(duckdb.Error, match="signature"):
        con.execute(f"load '{tampered}'")
    # The tracker itself refuses to start on it, with a plain message (and the signature check stays on).
    with store.read() as live:
        assert live.execute("select current_setting('allow_unsigned_extensions')").fetchone() == (False,)
    real = lake_module.extension_file
    monkeypatch.setattr(lake_module, "extension_file", lambda name: tampered if name == "ducklake" else real(name))
    store.close()
    with pytest.raises(TrackerError, match="signature") as refused:
        store.version()
    assert "Traceback" not in str(refused.value)


def test_a_server_with_an_empty_home_and_no_network_loads_its_extensions_and_draws(store, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "XDG_"))},
        **store.environment(),
        "HOME": str(home),
    }
    # A network namespace with loopback alone: PostgreSQL is reached on its unix socket, nothing else is reachable.
    done = subprocess.run(
        [
            "/usr/bin/unshare",
            "--net",
            "sh",
            "-c",
            f'ip link set lo up && exec "{sys.executable}" tests/offline_visit.py',
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == []
    assert seen["recruited"] and "People recruited" in seen["recruited"]
    assert list(home.rglob("*.duckdb_extension")) == []  # nothing was installed into the empty home either


# -- passwords and data folders -------------------------------------------------------------------


def test_a_password_on_the_command_line_is_refused_and_not_repeated(postgres):
    done = run_tracker("flags", "--db", "ducklake:postgres:" + postgres.conninfo("x") + " password=hunter2")
    assert done.returncode == 1
    assert "Do not put the password in --db or TRACKER_DB" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr


def test_a_new_lake_needs_its_data_folder_and_an_existing_one_its_own(postgres, tmp_path, monkeypatch):
    locator = postgres.lake("needs_data")
    monkeypatch.delenv("TRACKER_DATA_PATH", raising=False)
    done = run_tracker("sites", str(DATA / "sites.csv"), env={"TRACKER_DB": locator})
    assert done.returncode == 1
    assert "a new one needs its data folder: set TRACKER_DATA_PATH" in done.stderr
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert (
        run_tracker(
            "sites", str(DATA / "sites.csv"), env={"TRACKER_DB": locator, "TRACKER_DATA_PATH": str(tmp_path / "a")}
        ).returncode
        == 0
    )
    wrong = run_tracker(
        "flags", "--as-of", "2010-03-31", env={"TRACKER_DB": locator, "TRACKER_DATA_PATH": str(tmp_path / "b")}
    )
    assert wrong.returncode == 1
    assert "is not the data folder" in wrong.stderr and "Traceback" not in wrong.stderr
    # Once made, servers may leave it out: the catalog knows its folder.
    unset = run_tracker("flags", "--as-of", "2010-03-31", env={"TRACKER_DB": locator})
    assert unset.returncode == 0, unset.stderr


# -- readers, writers and conflicts ----------------------------------------------------------------


def test_a_lake_keeps_no_flags_for_a_first_visit_which_its_reads_never_use(store):
    # Only a file's reads share an opening with a memo of judged flags (tracker/judged.py); a lake's
    # judge their flags in each query, so its writes do not judge the first visit's days for them.
    assert ingest(store, "apr.csv", csv_bytes("AAA,2010-04-30,12,7,5,3,1,0,2000,6000,2010-05-10,")).ok
    with store.read() as con:
        assert con.execute("select count(*) from first_visit_flags").fetchone()[0] == 0
        assert con.execute("select count(*) from flag_log").fetchone()[0] > 0  # the write did derive


def test_readers_never_wait_for_a_writer_and_see_the_last_commit(store):
    with store.read() as con:
        before = con.execute("select count(*) from returns").fetchone()[0]
    begun, release = threading.Event(), threading.Event()

    def slow_load(con):
        con.execute(
            "insert into returns (return_id, load_id, site_code, period_end, is_void, known_from) "
            "select max(return_id) + 1, 1, 'AAA', date '2010-04-30', false, date '2010-04-30' from returns"
        )
        begun.set()
        release.wait(30)

    writer = threading.Thread(target=store.write, args=(slow_load,))
    writer.start()
    try:
        assert begun.wait(30)
        started = time.monotonic()
        with store.read() as con:
            during = con.execute("select count(*) from returns").fetchone()[0]
        waited = time.monotonic() - started
    finally:
        release.set()
        writer.join()
    with store.read() as con:
        after = con.execute("select count(*) from returns").fetchone()[0]
    assert (during, after) == (before, before + 1)
    assert waited < 5  # a file store's reader would wait for the whole write


def test_a_load_from_another_process_changes_the_version_servers_key_their_caches_on(store, tmp_path):
    before = store.version()
    assert before.startswith("snapshot ")
    done = run_tracker("ingest", str(months_after_the_fixture(tmp_path)[0]), store=store)
    assert done.returncode == 0, done.stderr
    assert store.version() != before


def conflicting_writer(store) -> duckdb.DuckDBPyConnection:
    """A second, unlocked client of the same lake (as a hand-run DuckDB shell would be)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    lake_module.load_extensions(con)
    con.execute(f"attach '{store.locator}' as other")
    return con


def test_a_commit_that_conflicts_is_run_again_from_the_start(store):
    other = conflicting_writer(store)
    runs = []

    def rename(con):
        runs.append(len(runs) + 1)
        con.execute("select count(*) from site_versions").fetchall()  # this write has read the sites as they were ...
        if len(runs) == 1:  # ... when someone else changes the same row and commits first
            other.execute("update other.site_versions set contact_name = 'someone else' where site_code = 'AAA'")
        con.execute("update site_versions set contact_name = $n where site_code = 'AAA'", {"n": f"run {len(runs)}"})

    store.write(rename)
    with store.read() as con:
        assert con.execute("select contact_name from site_versions where site_code = 'AAA'").fetchone() == ("run 2",)
    assert runs == [1, 2]
    other.close()


def test_a_conflict_that_does_not_clear_ends_in_the_plain_busy_message(store, monkeypatch):
    monkeypatch.setattr(store_base, "WRITE_WAIT_S", 1.0)
    other = conflicting_writer(store)

    def always_beaten(con):
        con.execute("select count(*) from site_versions").fetchall()
        other.execute("update other.site_versions set contact_name = 'someone else' where site_code = 'AAA'")
        con.execute("update site_versions set contact_name = 'mine' where site_code = 'AAA'")

    with pytest.raises(StoreBusy, match=r"kept changing the same data .* nothing was saved"):
        store.write(always_beaten)
    other.close()
    with store.read() as con:
        assert con.execute("select contact_name from site_versions where site_code = 'AAA'").fetchone() == (
            "someone else",
        )


# -- PostgreSQL away ------------------------------------------------------------------------------


@pytest.fixture
def own_postgres(tmp_path, monkeypatch):
    """A PostgreSQL server of this test's own, to stop and start."""
    from private_postgres import PrivatePostgres

    server = PrivatePostgres().start()
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("TRACKER_DATA_PATH", str(tmp_path / "data"))
    store = locate(server.lake("away"))
    assert load_register(store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="t").ok
    for name in RETURN_FILES:
        assert ingest(store, name, (DATA / name).read_bytes()).ok
    yield server, store
    store.close()
    server.remove()


def test_pages_say_plainly_when_postgresql_is_away_and_recover_by_themselves(own_postgres):
    server, store = own_postgres
    with dashboard_server(store) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        def visit(path: str) -> tuple[list[str], int]:
            page.goto(url + path)
            page.wait_for_selector(READY, timeout=60_000)
            # "Not running" can show before the first run begins: wait for a figure or a message too
            page.locator(f'{ERROR}, [data-testid="stMetric"]').first.wait_for(timeout=60_000)
            page.wait_for_timeout(200)
            shown = [page.locator(ERROR).nth(i).inner_text() for i in range(page.locator(ERROR).count())]
            return shown, page.locator('[data-testid="stMetric"]').count()

        shown, metrics = visit("/?as_of=2010-03-31")
        assert shown == [] and metrics > 0
        server.stop()
        try:
            for path in ("/?as_of=2010-02-28", "/stalled?as_of=2010-02-28", "/returns"):
                shown, _ = visit(path)
                assert len(shown) == 1, shown
                assert "cannot be reached" in shown[0] and "carries on by itself" in shown[0]
                assert page.locator(EXCEPTION).count() == 0
            cli = run_tracker("flags", "--as-of", "2010-03-31", store=store)
            assert cli.returncode == 1 and "cannot be reached" in cli.stderr and "Traceback" not in cli.stderr
        finally:
            server.start()
        assert visit("/?as_of=2010-02-28") == ([], metrics)
        browser.close()


# -- upkeep -----------------------------------------------------------------------------------------


def data_files(store) -> int:
    return sum(1 for _ in Path(os.environ["TRACKER_DATA_PATH"]).rglob("*.parquet"))


def test_maintain_compacts_while_a_reader_is_mid_read_and_changes_no_answer(new_store, tmp_path, monkeypatch):
    # The demo's first 15 months, a load each: dozens of rows a load are written as small Parquet files
    # (a few rows would be held in the catalog instead).
    from tracker import demo

    store = new_store("upkeep")
    assert load_register(store, "sites.csv", (demo.DEMO_DATA / "sites.csv").read_bytes(), user="t").ok
    for path in demo.demo_files(demo.DEMO_DATA)[:15]:
        assert ingest(store, path.name, path.read_bytes(), today=dt.date.today()).outcome == "accepted"
    as_of = flags.default_as_of(store)
    answers = flags.raised(store, as_of).to_dict("records")
    files_before = data_files(store)
    with store.read() as reader:  # a server mid-page, on the snapshot before upkeep
        first = reader.execute("select count(*) from returns").fetchone()
        report = store.maintain()
        assert reader.execute("select count(*) from returns").fetchone() == first
        assert reader.execute("select sum(people_recruited) from returns").fetchone()[0] > 0
    assert check(store) == []
    assert flags.raised(store, as_of).to_dict("records") == answers
    files = re.fullmatch(r"files in use \(data and deletions\): ([\d,]+) before, ([\d,]+) after", report[0])
    before, after = (int(n.replace(",", "")) for n in files.groups())
    assert after < before, report
    assert data_files(store) >= files_before  # merged files written; none deleted that a reader might still need
    # Once their snapshots have expired and the grace period has passed, the next upkeep deletes the old files.
    config = dataclasses.replace(
        current(), maintenance=Maintenance(keep_snapshots_days=0, delete_unused_files_after_hours=0)
    )
    monkeypatch.setattr(lake_module, "current", lambda: config)
    on_disk = data_files(store)
    report = store.maintain()
    assert data_files(store) == int(re.search(r"([\d,]+) after", report[0]).group(1).replace(",", ""))
    assert data_files(store) < on_disk
    assert check(store) == []
    assert flags.raised(store, as_of).to_dict("records") == answers


# -- the same answers as a file ----------------------------------------------------------------------


def test_the_same_files_give_the_same_flags_and_statuses_on_a_file_and_a_lake(store, new_store, tmp_path):
    file_store = FileStore(tmp_path / "same.duckdb")
    assert load_register(file_store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="t").ok
    for name in RETURN_FILES:
        assert ingest(file_store, name, (DATA / name).read_bytes()).ok
    for path in months_after_the_fixture(tmp_path):
        for target in (file_store, store):
            assert ingest(target, path.name, path.read_bytes(), today=dt.date(2011, 6, 30)).outcome == "accepted"
    for as_of in ("2010-08-15", "2011-03-31"):
        for extra in ([], ["--status"]):
            outputs = [
                run_tracker("flags", "--as-of", as_of, "--format", "csv", *extra, store=s).stdout
                for s in (file_store, store)
            ]
            assert outputs[0] == outputs[1], (as_of, extra)
            assert outputs[0].count("\n") > 1
    month_ends = [dt.date(2010, m, 1) - dt.timedelta(days=1) for m in range(2, 13)]
    for day in [*month_ends, dt.date(2011, 2, 14), dt.date(2011, 4, 30)]:
        assert flags.raised(store, day).equals(flags.raised(file_store, day)), day
        assert flags.statuses(store, day).equals(flags.statuses(file_store, day)), day


@pytest.fixture(scope="module")
def demo_lake(postgres, demo_db, tmp_path_factory):
    """The demo programme moved from its file into a lake (export, then restore), shared by the tests below."""
    from tracker.backup import export, restore

    backup = tmp_path_factory.mktemp("demo-backup")
    export(FileStore(demo_db), backup)
    data = tmp_path_factory.mktemp("demo-lake-data")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRACKER_DATA_PATH", str(data))
        lake = locate(postgres.lake(f"demo_{os.getpid()}"))
        restore(backup, lake)
    yield lake
    lake.close()


def test_the_demo_gives_the_same_flags_in_a_lake_as_in_its_file(demo_lake, demo_db):
    file_store = FileStore(demo_db)
    assert check(demo_lake) == []
    for day in [
        dt.date(2010, 6, 30),
        dt.date(2010, 11, 30),
        dt.date(2011, 3, 31),
        dt.date(2011, 9, 14),
        dt.date(2012, 3, 31),
    ]:
        assert flags.raised(demo_lake, day).equals(flags.raised(file_store, day)), day
        assert flags.statuses(demo_lake, day).equals(flags.statuses(file_store, day)), day


def drawn(at) -> tuple[list, list]:
    """What a page showed: its figures and messages, and its tables as data frames."""
    shown = [(m.label, m.value, m.delta) for m in at.metric] + [e.value for e in (*at.error, *at.warning)]
    return shown, [t.value for t in at.dataframe]


@pytest.mark.parametrize("page", ["overview", "compare", "stalled", "site", "returns", "board"])
def test_every_page_shows_the_same_from_a_lake_as_from_its_file(page, demo_lake, demo_db, tmp_path, monkeypatch):
    query = {"as_of": "2010-11-30", "site": "5QM"}
    seen = []
    for store in (serve_copy(demo_db, tmp_path, monkeypatch), demo_lake):
        monkeypatch.setenv("TRACKER_DB", store.locator)
        monkeypatch.setenv("TRACKER_DATA_PATH", demo_lake.data_path)
        at = open_page(f"pages/{page}.py", **query)
        assert not at.exception, at.exception[0].message
        seen.append(drawn(at))
    (file_metrics, file_tables), (lake_metrics, lake_tables) = seen
    assert lake_metrics == file_metrics
    assert len(lake_tables) == len(file_tables)
    assert all(a.equals(b) for a, b in zip(lake_tables, file_tables, strict=True))
    assert file_metrics or file_tables


def test_the_weekly_pack_is_captured_from_a_lake(demo_lake, demo_db, tmp_path):
    from tracker import board

    done = run_tracker("snapshot", "--as-of", "2010-11-30", "--out", str(tmp_path / "pack"), store=demo_lake)
    assert done.returncode == 0, done.stderr
    assert sorted(p.suffix for p in (tmp_path / "pack").iterdir()) == [".json", ".pdf", ".png", ".png", ".png"]
    manifest = json.loads((tmp_path / "pack" / "board-pack_2010-11-30.json").read_text())
    on_file = board.figures(FileStore(demo_db), dt.date(2010, 11, 30), dt.date(2010, 11, 23)).manifest()
    assert manifest["headline"] == on_file["headline"]
    assert manifest["flagged_sites"] == on_file["flagged_sites"]


def test_a_lake_whose_data_folder_is_not_mounted_says_so(demo_db, new_store, tmp_path):
    from tracker.backup import export, restore

    export(FileStore(demo_db), tmp_path / "backup")
    lake = new_store("unmounted")
    restore(tmp_path / "backup", lake)
    data = Path(os.environ["TRACKER_DATA_PATH"])
    data.rename(data.with_name(data.name + "-unmounted"))
    with pytest.raises(TrackerError, match=r"is missing data files .* Is the shared data folder mounted here"):
        flags.statuses(lake, dt.date(2011, 1, 31))
