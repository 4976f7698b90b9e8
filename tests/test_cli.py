"""The command line as scheduled jobs and people call it: exit codes, stdout for data, stderr for notices."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import DATA, csv_bytes, run_tracker

from tracker.store import FileStore, Store

pytestmark = pytest.mark.both_backends


def tracker(*args: str, db: Store | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_tracker(*args, store=db, env=env)


@pytest.fixture
def db(empty_store) -> Store:
    """A store holding the fixture register (DATA/sites.csv), as `sites` loads it (the test below)."""
    return empty_store


def test_sites_loads_the_register_and_says_so(new_store):
    store = new_store("cli")
    done = tracker("sites", str(DATA / "sites.csv"), db=store)
    assert done.returncode == 0, done.stderr
    assert "the register now holds 4 site(s)" in done.stdout
    with store.read() as con:
        assert con.execute("select count(distinct site_code) from site_versions").fetchone()[0] == 4


def test_ingest_loads_good_files_and_says_what_it_did(db):
    done = tracker("ingest", str(DATA / "returns_2010-01.csv"), str(DATA / "returns_2010-02.csv"), db=db)
    assert done.returncode == 0, done.stderr
    assert "LOADED returns_2010-01.csv: 2 row(s): 2 new return(s)" in done.stdout
    assert "LOADED returns_2010-02.csv: 1 row(s): 1 new return(s)" in done.stdout
    again = tracker("ingest", str(DATA / "returns_2010-01.csv"), db=db)
    assert again.returncode == 0
    assert "ALREADY LOADED returns_2010-01.csv: nothing changed." in again.stdout


def test_a_bad_file_exits_non_zero_with_a_plain_message_and_no_traceback(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("AAA,2010-04-31,1,1,0,0,0,0,0,100,,"))
    done = tracker("ingest", str(DATA / "returns_2010-01.csv"), str(bad), db=db)
    assert done.returncode == 1
    assert "REFUSED bad.csv: nothing was loaded." in done.stdout
    assert "bad.csv, row 2, column period_end: value '2010-04-31': is not a real calendar date" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_keep_stdout_for_data_only(db, fmt):
    done = tracker("ingest", "--format", fmt, str(DATA / "returns_2010-03.csv"), db=db)
    assert done.returncode == 0
    if fmt == "json":
        [result] = json.loads(done.stdout)
        assert (result["outcome"], len(result["new"])) == ("accepted", 3)
    else:
        lines = done.stdout.strip().splitlines()
        assert lines[0].startswith("file,outcome,")
        assert lines[1].startswith("returns_2010-03.csv,accepted,False,3,3,0,0,")


def test_dry_run_writes_nothing(db):
    tracker("ingest", "--dry-run", str(DATA / "returns_2010-01.csv"), db=db)
    done = tracker("ingest", "--format", "json", str(DATA / "returns_2010-01.csv"), db=db)
    assert json.loads(done.stdout)[0]["outcome"] == "accepted"  # not "already loaded": the dry run stored nothing


def test_missing_file_is_a_plain_error(db):
    done = tracker("ingest", "no-such-file.csv", db=db)
    assert done.returncode == 1
    assert "no-such-file.csv: cannot be read (No such file or directory)" in done.stdout
    assert "Traceback" not in done.stderr


def test_void_command(db):
    tracker("ingest", str(DATA / "returns_2010-01.csv"), db=db)
    done = tracker("void", "AAA", "2010-01-31", "--reason", "duplicate of another site's return", db=db)
    assert done.returncode == 0, done.stderr
    assert "VOIDED AAA 31 Jan 2010" in done.stdout
    again = tracker("void", "AAA", "2010-01-31", "--reason", "again", db=db)
    assert again.returncode == 1
    assert "error: there is no return to void for AAA in 31 Jan 2010 (already void)" in again.stderr


def test_tracker_db_environment_variable_is_used(db):
    done = tracker("ingest", str(DATA / "returns_2010-01.csv"), env=db.environment())
    assert done.returncode == 0, done.stderr
    # A named database is never the demo: no demo warning.
    assert "demo" not in done.stderr


def test_ingest_into_the_demo_database_warns(demo_db, tmp_path):
    copy = tmp_path / "demo-copy.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    line = "5QM,2010-12-31,20,12,8,5,2,0,400,8000,2011-01-10,"
    good = tmp_path / "dorset.csv"
    good.write_bytes(csv_bytes(line))
    done = tracker("ingest", str(good), db=FileStore(copy))
    assert "synthetic demo programme" in done.stderr


def test_register_refusal_is_reported(new_store, tmp_path):
    bad = tmp_path / "sites.csv"
    bad.write_text((DATA / "sites.csv").read_text().replace("in-depth", "pilot"))
    done = tracker("sites", str(bad), db=new_store("x"))
    assert done.returncode == 1
    assert "sites.csv, row 2, column cohort: value 'pilot': must be 'in-depth' or 'wider'" in done.stdout


def test_flags_command_formats(demo_db):
    demo_db = FileStore(demo_db)
    csv_out = tracker("flags", "--as-of", "2010-11-30", "--format", "csv", db=demo_db)
    assert csv_out.returncode == 0, csv_out.stderr
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "site_code,site_name,flag,severity,since,reason"
    assert "5QM,NHS Dorset,BEHIND_TARGET,red,2010-05-31,9 of 75 recruited; 54 expected by now (17%)" in lines
    assert "as of 30 Nov 2010" in csv_out.stderr
    status = tracker("flags", "--as-of", "2010-11-30", "--status", "--format", "json", db=demo_db)
    rows = json.loads(status.stdout)
    assert len(rows) == 70 and set(rows[0]) == {"site_code", "site_name", "status"}
    assert {r["status"] for r in rows} >= {"Stalled", "At risk", "On track", "Not live"}
    table = tracker("flags", "--as-of", "2010-11-30", "--region", "London", db=demo_db)
    assert table.returncode == 0 and "NHS Havering" in table.stdout and "NHS Dorset" not in table.stdout
    bad = tracker("flags", "--as-of", "30/02/2010", db=demo_db)
    assert bad.returncode == 2 and "not a real calendar date" in bad.stderr


def test_a_file_over_the_size_limit_is_refused_without_being_read(db, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(20_000_001)  # sparse: no memory or disk spent, and never read
    done = tracker("ingest", str(big), db=db)
    assert done.returncode == 1
    assert "big.csv: the file is 20,000,001 bytes; the limit is 20,000,000 bytes" in done.stdout


def test_export_restore_check_and_maintain_work_on_the_store(db, new_store, tmp_path):
    assert (
        tracker("ingest", str(DATA / "returns_2010-01.csv"), str(DATA / "returns_2010-02.csv"), db=db).returncode == 0
    )
    exported = tracker("export", "--out", str(tmp_path / "backup"), db=db)
    assert exported.returncode == 0, exported.stderr
    assert "returns: 3 row(s)" in exported.stderr
    target = new_store("restored")
    restored = tracker("restore", str(tmp_path / "backup"), db=target)
    assert restored.returncode == 0, restored.stderr
    again = tracker("restore", str(tmp_path / "backup"), db=target)
    assert again.returncode == 1
    assert "already holds data" in again.stderr and "Traceback" not in again.stderr
    for store in (db, target):
        checked = tracker("check", db=store)
        assert (checked.returncode, checked.stderr.strip()) == (0, "integrity: ok")
    maintained = tracker("maintain", db=db)
    assert maintained.returncode == 0, maintained.stderr
    assert "maintained" in maintained.stderr
    assert tracker("check", db=db).returncode == 0
    flags = [tracker("flags", "--as-of", "2010-03-31", "--format", "csv", db=s).stdout for s in (db, target)]
    assert flags[0] == flags[1] and flags[0].count("\n") > 1


def test_demo_fills_an_empty_store_or_replaces_demo_data_but_never_a_programme_s_own(db, new_store):
    scaled = new_store("scaled")
    for _ in range(2):  # the second build replaces the first's demo data
        built = tracker("demo", "--sites", "12", "--months", "6", db=scaled)
        assert built.returncode == 0, built.stderr
        assert tracker("check", db=scaled).returncode == 0
    refused = tracker("demo", "--sites", "12", "--months", "6", db=db)  # db holds the fixture register
    assert refused.returncode == 1
    assert "holds a programme's own data, not the demo" in refused.stderr
    assert tracker("flags", "--as-of", "2010-03-31", db=db).returncode == 0  # untouched
