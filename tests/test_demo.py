"""The demo programme: exactly what the generator makes, and true to ../shared/domain.md."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from tracker import demo, queries
from tracker.demo import DEMO_DATA
from tracker.store import FileStore, Store

D = dt.date
ALL = {"region": None, "cohort": None}


@pytest.fixture(scope="module")
def demo_store(demo_db: Path) -> Store:
    return FileStore(demo_db)


def run(store, name, **params):
    with store.read() as con:
        return queries.frame(con, name, **params)


def test_committed_files_are_what_the_generator_makes(tmp_path):
    written = demo.write(demo.generate(), tmp_path)
    committed = sorted(p.relative_to(DEMO_DATA) for p in [DEMO_DATA / "sites.csv", *DEMO_DATA.glob("returns/*.csv")])
    assert sorted(p.relative_to(tmp_path) for p in written) == committed
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (DEMO_DATA / rel).read_bytes(), rel


def test_demo_files_are_in_the_canonical_form():
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    for path in [DEMO_DATA / "sites.csv", *DEMO_DATA.glob("returns/*.csv")]:
        rows = list(csv.DictReader(path.read_bytes().decode("utf-8").splitlines()))
        for row in rows:
            for name, value in row.items():
                if value and (
                    name in {"period_end", "submitted_on", "go_live", "target_date"} or name.endswith("_from")
                ):
                    assert iso.match(value), (path.name, name, value)
                if value and (name.endswith("_gbp") or name.startswith(("people_", "budgets_", "care_plans"))):
                    float(value)  # plain numbers: no £, no thousands commas


def test_register_has_70_sites_in_every_region_and_20_in_depth(demo_store):
    sites = run(demo_store, "register_sites", as_of=dt.date(2012, 12, 31))
    assert len(sites) == 70 and sites.site_code.is_unique
    assert sites.region.value_counts().to_dict() == {region: 7 for region in sites.region.unique()}
    assert sites.region.nunique() == 10
    assert (sites.cohort == "in-depth").sum() == 20
    named = {
        "5A4": "NHS Havering",
        "5QK": "NHS Wiltshire",
        "5QE": "NHS Oxfordshire",
        "5EM": "NHS Nottingham City",
        "5QM": "NHS Dorset",
        "TAL": "Torbay Care Trust",
        "5N5": "NHS Doncaster",
    }
    assert sites.set_index("site_code").site_name[list(named)].to_dict() == named
    assert sites.withdrawn_on.notna().sum() == 2


NOV_2010 = D(2010, 11, 30)


def test_press_stories_of_november_2010(demo_store):
    pos = run(demo_store, "site_latest", as_of=NOV_2010, **ALL).set_index("site_code")
    # Havering: nobody registered although running since February 2010.
    assert pos.loc["5A4", "go_live"] == pd.Timestamp(D(2010, 2, 1))
    assert pos.loc["5A4", "people_recruited"] == 0
    # Wiltshire: people recruited, but no budgets and no money spent on care after more than six months.
    assert pos.loc["5QK", "people_recruited"] > 0
    assert pos.loc["5QK", "budgets_total"] == 0 and float(pos.loc["5QK", "spend_care_to_date_gbp"]) == 0
    assert pos.loc["5QK", "go_live"] <= pd.Timestamp(D(2010, 5, 30))
    # Oxfordshire: 20 signed up.
    assert pos.loc["5QE", "people_recruited"] == 20
    # Nottingham City: 14 patients, just over £8,000 on care, for unusual items.
    assert pos.loc["5EM", "people_recruited"] == 14
    assert 8_000 <= float(pos.loc["5EM", "spend_care_to_date_gbp"]) <= 8_500
    # Dorset: 9 signed up since February, of a 75-person target by March 2011.
    assert (pos.loc["5QM", "people_recruited"], pos.loc["5QM", "recruitment_target"]) == (9, 75)
    assert pos.loc["5QM", "target_date"] == pd.Timestamp(D(2011, 3, 31))
    # Hammersmith and Fulham with Kensington and Chelsea: 8 signed up and no budgets released.
    assert (pos.loc["5H1", "people_recruited"], pos.loc["5H1", "budgets_total"]) == (8, 0)


def test_nottingham_commentary_names_the_unusual_items(demo_store):
    series = run(demo_store, "site_series", as_of=NOV_2010, site_code="5EM")
    text = " ".join(series.commentary.dropna())
    for item in ("hypnotherapy", "gym membership", "exercise bikes"):
        assert item in text


def test_by_2012_the_story_sites_have_recovered(demo_store):
    pos = run(demo_store, "site_latest", as_of=D(2012, 10, 31), **ALL).set_index("site_code")
    assert pos.loc["5A4", "people_recruited"] > 0
    assert pos.loc["5QK", "budgets_total"] > 0 and float(pos.loc["5QK", "spend_care_to_date_gbp"]) > 0
    assert pos.loc["5H1", "budgets_total"] > 0


def test_calibration_figures(demo_store):
    trend = run(demo_store, "programme_trend", as_of=D(2012, 12, 31), **ALL).set_index("month_end")
    # About 1,000-1,500 people with a budget by mid-2011; the low thousands by the end of the pilot.
    assert 1_000 <= trend.loc[pd.Timestamp(D(2011, 6, 30)), "budgets_total"] <= 1_500
    assert 2_000 <= trend.loc[pd.Timestamp(D(2012, 10, 31)), "budgets_total"] <= 4_000
    # Infrastructure: about £93,280 a site in year one and £146,040 over two (sites with two full years).
    with demo_store.read() as con:
        spend = con.execute(
            """
            with r as (select * from current_returns(date '2012-12-31')),
            f as (select site_code, min(period_end) as first from r group by site_code),
            s as (
                select r.site_code,
                    sum(spend_infrastructure_gbp) filter (where period_end < first + interval 12 month) as y1,
                    sum(spend_infrastructure_gbp) filter (where period_end < first + interval 24 month) as y2
                from r join f using (site_code) join sites_on(current_date) using (site_code)
                where first <= date '2010-10-31' and withdrawn_on is null
                group by r.site_code
            )
            select avg(y1), avg(y2) from s
            """
        ).fetchone()
    assert float(spend[0]) == pytest.approx(93_280, rel=0.08)
    assert float(spend[1]) == pytest.approx(146_040, rel=0.08)


def test_some_returns_are_late_missing_resubmitted_or_slipped(demo_store):
    grid = run(demo_store, "returns_completeness", as_of=D(2012, 12, 31), **ALL, site_codes=None)
    counts = grid.status.value_counts()
    assert counts["on time"] > counts["late"] > counts["missing"] > 0
    assert 0 < grid.resubmitted.sum() < 40
    with demo_store.read() as con:
        warnings = con.execute("select count(*) from return_warnings").fetchone()[0]
    assert 0 < warnings < 100


def test_the_demo_is_built_as_loading_its_files_one_by_one_would_build_it(tmp_path):
    # A slice of the shipped files, cheap to load one by one: four months (the first warnings) and
    # the resubmissions of two of them, built by the demo's bulk path and file by file with `ingest`.
    from conftest import everything_stored

    from tracker.ingest import ingest_bytes
    from tracker.register import load_register
    from tracker.store import set_meta
    from tracker.store.schema import seed_rules

    part = tmp_path / "data"
    (part / "returns").mkdir(parents=True)
    (part / "sites.csv").write_bytes((DEMO_DATA / "sites.csv").read_bytes())
    for month in ("2010-12", "2011-01", "2011-02", "2011-03", "2011-03_resubmission_5KF", "2011-03_resubmission_5P9"):
        name = f"returns/returns_{month}.csv"
        (part / name).write_bytes((DEMO_DATA / name).read_bytes())
    built = FileStore(tmp_path / "built.duckdb")
    demo.build(built, part)
    by_hand = FileStore(tmp_path / "by_hand.duckdb")
    by_hand.write(lambda con: (set_meta(con, "is_demo", "true"), seed_rules(con, replace=True)))
    assert load_register(by_hand, "sites.csv", (part / "sites.csv").read_bytes(), user="demo builder").ok
    for path in demo.demo_files(part):
        assert ingest_bytes(by_hand, path.name, path.read_bytes(), user="demo builder").ok
    stored = everything_stored(built)
    assert stored == everything_stored(by_hand)
    with built.read() as con:
        log = con.execute(
            "select outcome, new_returns, superseded_returns, warning_count > 0 from load_log order by load_id"
        ).fetchall()
    assert log[-2:] == [("accepted", 0, 1, False)] * 2  # the resubmissions supersede
    assert [line[3] for line in log[1:5]] == [False, True, True, True]  # warnings from January 2011 on
    assert stored["site_facts"] and stored["flag_log"] and stored["first_visit_flags"]


def test_the_whole_demo_has_a_load_log_line_for_every_file_and_sound_derived_data(demo_store):
    from tracker.integrity import check

    with demo_store.read() as con:
        log = con.execute("select file_name, outcome, row_count from load_log order by load_id").fetchall()
    files = demo.demo_files(DEMO_DATA)
    rows = [len(p.read_text().splitlines()) - 1 for p in files]
    assert log == [("sites.csv", "accepted", 70)] + [(p.name, "accepted", n) for p, n in zip(files, rows, strict=True)]
    assert check(demo_store) == []  # derived data equal to a fresh derivation, ids unique, loads whole


def test_generator_is_deterministic_and_seed_dependent():
    first, again, other = demo.generate(), demo.generate(), demo.generate(seed=7)
    assert first == again
    assert first.files != other.files


def test_press_story_sites_are_flagged_as_the_stories_say(demo_store):
    from tracker import flags

    found = {(r.site_code, r.flag): (r.severity, r.reason) for r in flags.raised(demo_store, NOV_2010).itertuples()}
    assert found[("5A4", "NO_RECRUITS")] == ("red", "No one recruited 9 months after go-live (Feb 2010)")
    assert found[("5QK", "NO_BUDGETS")][0] == "red"
    assert found[("5QK", "NO_BUDGETS")][1].endswith("but no budget of any kind in place")
    assert found[("5QM", "BEHIND_TARGET")] == ("red", "9 of 75 recruited; 54 expected by now (17%)")
    assert found[("5H1", "NO_BUDGETS")] == ("red", "8 recruited (first in Jun 2010) but no budget of any kind in place")
    assert found[("5EM", "BEHIND_TARGET")][0] == "amber"  # struggling to recruit, not stalled outright
    status = flags.statuses(demo_store, NOV_2010).set_index("site_code").status
    assert {code: status[code] for code in ("5A4", "5QK", "5QM", "5H1")} == dict.fromkeys(
        ("5A4", "5QK", "5QM", "5H1"), "Stalled"
    )
    # As of the end of October the same four are stalled already (on their September returns).
    october = flags.statuses(demo_store, D(2010, 10, 31)).set_index("site_code").status
    assert {october[code] for code in ("5A4", "5QK", "5QM", "5H1")} == {"Stalled"}


def test_by_the_end_of_the_pilot_most_sites_are_on_track(demo_store):
    from tracker import flags

    status = flags.statuses(demo_store, D(2012, 10, 31)).status.value_counts()
    live = status.drop(["Withdrawn", "Not live"], errors="ignore").sum()
    assert status["On track"] >= 0.7 * live
    assert status.get("Stalled", 0) <= 3


def test_a_scaled_programme_has_its_own_window_and_regions(tmp_path, monkeypatch):
    import subprocess
    import sys

    from streamlit.testing.v1 import AppTest

    from tracker.config import current
    from tracker.store import programme_config

    db = tmp_path / "scaled.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "demo", "--sites", "80", "--months", "12", "--db", str(db)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    store = FileStore(db)
    with store.read() as con:
        cfg = programme_config(con)
        sites = queries.frame(con, "register_sites", as_of=dt.date.today())
        months = con.execute(
            "select count(distinct period_end), min(period_end), max(period_end) from returns"
        ).fetchone()
    assert len(sites) == 80 and set(sites.region) <= set(cfg.regions) and len(cfg.regions) == 42
    assert cfg.regions != current().regions and cfg.programme_name == "Synthetic programme of 80 sites over 12 months"
    assert months == (12, D(2024, 4, 30), D(2025, 3, 31))
    assert (cfg.start, cfg.end) == (D(2024, 4, 1), D(2025, 3, 31))
    # The dashboard runs on it, with its own name and regions.
    monkeypatch.setenv("TRACKER_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Synthetic programme of 80 sites over 12 months"
    assert "Integrated care board 01" in at.selectbox(key="region").options


def test_a_scaled_programme_needs_a_database_of_its_own(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tracker", "demo", "--sites", "5"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "needs --db for its store" in done.stderr


def test_a_new_server_builds_the_demo_database_before_anyone_visits(tmp_path, monkeypatch):
    # `streamlit run dashboard.py` on a fresh clone: the server's start-up (dashboard.py's st.App, then
    # pages/_startup.py) builds the default database while the first visitor's browser is still loading,
    # and goes on to work out the Overview without a word in the server's log.
    import shutil
    import time

    from conftest import checkout_copy

    from tracker.browser import start_streamlit

    app = checkout_copy(tmp_path / "app")
    shutil.copytree(DEMO_DATA, app / "data", ignore=shutil.ignore_patterns("tracker.duckdb*"))
    monkeypatch.delenv("TRACKER_DB", raising=False)
    built = FileStore(app / "data" / "tracker.duckdb")
    with start_streamlit(app / "dashboard.py", {}) as server:
        server.ready()
        deadline = time.monotonic() + 60
        while not built.exists() and time.monotonic() < deadline:  # built aside, then moved into place
            time.sleep(0.1)
        assert built.exists(), "no page was opened, and the server built nothing within 60 s"
        time.sleep(3)  # the Overview's figures are worked out after the build
        server.stop()
        server.proc.wait(timeout=30)
        log = server.proc.stderr.read().decode()
    assert "Traceback" not in log and "getting the server ready" not in log, log
    with built.read() as con:
        assert con.execute("select count(distinct site_code) from site_versions").fetchone()[0] == 70
