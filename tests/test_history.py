"""History that holds: register and rule changes take effect from a date, and the past never moves."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil

import pandas as pd
import pytest
from conftest import DATA, judging_afresh, run_tracker

from tracker import queries, rules
from tracker.demo import DEMO_DATA
from tracker.history import Version, change, correct
from tracker.integrity import check
from tracker.register import load_register
from tracker.snapshot import pack_facts
from tracker.store import FileStore

D = dt.date
TODAY = D(2011, 5, 10)  # the day the changes below are "loaded"


# --- the rule of versions, by hand -----------------------------------------------------------------


def test_a_change_takes_effect_from_its_day_and_keeps_a_later_planned_change():
    history = [
        Version(None, {"target": 60, "contact": "a"}),
        Version(D(2011, 6, 1), {"target": 90, "contact": "a"}),  # a re-baseline already planned for June
    ]
    made = change(history, {"target": 80, "contact": "b"}, D(2011, 3, 1))
    # from March: both fields; in June the planned target stays 90, and the new contact carries into it
    assert made == [
        Version(D(2011, 3, 1), {"target": 80, "contact": "b"}, {"target": (60, 80), "contact": ("a", "b")}),
        Version(D(2011, 6, 1), {"target": 90, "contact": "b"}, {"contact": ("a", "b")}),
    ]
    assert change(history, {"target": 60, "contact": "a"}, D(2011, 3, 1)) == []  # nothing new


def test_a_correction_replaces_the_mistaken_value_wherever_it_was_in_effect():
    history = [
        Version(None, {"target": 60, "go_live": D(2010, 1, 1)}),
        Version(D(2011, 3, 1), {"target": 80, "go_live": D(2010, 1, 1)}),
    ]
    # the go-live was always wrong; the re-baselined target is not touched
    made = correct(history, {"target": 80, "go_live": D(2010, 2, 1)}, D(2011, 5, 10))
    assert made == [
        Version(None, {"target": 60, "go_live": D(2010, 2, 1)}, {"go_live": (D(2010, 1, 1), D(2010, 2, 1))}),
        Version(D(2011, 3, 1), {"target": 80, "go_live": D(2010, 2, 1)}, {"go_live": (D(2010, 1, 1), D(2010, 2, 1))}),
    ]


# --- the register -------------------------------------------------------------------------------


def register_text(source=DEMO_DATA / "sites.csv", **changes: dict) -> bytes:
    """The register file with some sites' fields changed: ``register_text(**{"5MD": {"recruitment_target": 300}})``."""
    rows = list(csv.DictReader(io.StringIO(source.read_text())))
    for row in rows:
        for name, value in changes.get(row["site_code"], {}).items():
            row[name] = "" if value is None else str(value)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def demo(demo_db, tmp_path) -> FileStore:
    """A copy of the demo database for one test to change."""
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    return FileStore(tmp_path / "demo.duckdb")


def status(store, code: str, as_of: dt.date) -> str:
    with store.read() as con:
        (frame,) = queries.frames_at(con, "site_status", [as_of], region=None, cohort=None)
    return frame.set_index("site_code").status[code]


def test_a_register_change_does_not_move_the_past(demo):
    # The case found by a new user: Coventry's target × 5 turned its 30 Nov 2010 status from On track to Stalled.
    nov = D(2010, 11, 30)
    assert status(demo, "5MD", nov) == "On track"
    five_times = register_text(**{"5MD": {"recruitment_target": 300}})
    done = load_register(demo, "sites.csv", five_times, user="t", reason="re-baselined", today=TODAY)
    assert done.outcome == "accepted", done.problems
    assert status(demo, "5MD", nov) == "On track"  # the view of a past date stays what was known then
    # dated back on purpose, it does change that date (so the change itself is real)
    again = register_text(**{"5MD": {"recruitment_target": 300}})
    dated = load_register(demo, "sites.csv", again, user="t", reason="as agreed", effective_from=D(2010, 1, 1))
    assert dated.outcome == "accepted", dated.problems
    assert status(demo, "5MD", nov) == "Stalled"
    assert check(demo) == []


def test_a_withdrawal_loaded_late_leaves_the_past_as_known_then(demo):
    april = D(2011, 4, 30)
    before = status(demo, "5MD", april)
    late = register_text(**{"5MD": {"withdrawn_on": "2011-04-01"}})
    assert load_register(demo, "sites.csv", late, user="t", reason="merged", today=TODAY).outcome == "accepted"
    assert status(demo, "5MD", april) == before != "Withdrawn"
    assert status(demo, "5MD", D(2011, 5, 31)) == "Withdrawn"


def test_what_a_register_file_may_not_leave_unsaid(demo):
    full = register_text(**{"5MD": {"contact_name": "Someone New"}})
    header, *rows = full.decode().splitlines()
    short = "\n".join([header, *[r for r in rows if not r.startswith("5QM,")]]) + "\n"
    left_out = load_register(demo, "sites.csv", short.encode(), user="t", reason="x", today=TODAY)
    assert left_out.outcome == "refused"
    assert [(p.column, p.value) for p in left_out.problems] == [("site_code", "5QM")]
    assert "lists every site" in left_out.problems[0].message

    no_reason = load_register(demo, "sites.csv", full, user="t", today=TODAY)
    assert no_reason.outcome == "refused" and "needs a reason" in no_reason.problems[0].message

    both = load_register(demo, "sites.csv", full, user="t", reason="x", correction=True, effective_from=TODAY)
    assert both.outcome == "refused" and "not both" in both.problems[0].message

    with demo.read() as con:
        versions = con.execute("select count(*) from site_versions").fetchone()[0]
    same = load_register(demo, "sites.csv", (DEMO_DATA / "sites.csv").read_bytes(), user="t", today=TODAY)
    assert same.outcome == "already loaded"  # a file that changes nothing records nothing new
    with demo.read() as con:
        assert con.execute("select count(*) from site_versions").fetchone()[0] == versions
        refusals = con.execute(
            "select outcome, count(*) from load_log where kind = 'register' and load_id > 1 group by all order by 1"
        ).fetchall()
    assert refusals == [("already loaded", 1), ("refused", 3)]  # every attempt in the load log


def manifests(store, dates):
    return {d: pack_facts(store, d, d - dt.timedelta(days=7)) for d in dates}


def without_log_position(manifest: dict) -> dict:
    # the load log's position moves with every load: it is what the pack was made from, not a figure shown
    return {k: v for k, v in manifest.items() if k != "load_log"}


def test_old_packs_recreate_exactly_after_changes_effective_later(demo):
    dates = [D(2010, 6, 30), D(2010, 11, 30), D(2011, 3, 31)]
    first = manifests(demo, dates)
    later = D(2011, 4, 1)
    changed = register_text(
        **{
            "5MD": {"recruitment_target": 300},  # re-baselined
            "5QM": {"recruitment_target": 10},
            "5K7": {"go_live": "2011-06-01"},  # a go-live moved
            "5KM": {"withdrawn_on": "2011-04-15"},  # a site withdrawn
        }
    )
    assert load_register(demo, "sites.csv", changed, user="t", reason="re-baseline", effective_from=later).ok
    stricter = {"behind_target_amber_below": 0.8, "behind_target_red_below": 0.6, "no_recruits_after_months": 1}
    assert rules.record_change(demo, stricter, reason="board decision", effective_from=later, user="t").ok

    again = manifests(demo, dates)
    for d in dates:
        assert without_log_position(again[d]) == without_log_position(first[d]), d
    # ... while the changes do take effect from their day
    after = pack_facts(demo, D(2011, 4, 30), D(2011, 4, 23))
    assert after["rules"]["version"] != first[dates[-1]]["rules"]["version"]
    assert after["rules"]["values"]["behind_target_red_below"] == 0.6
    assert after["rebaselined_targets"]["5MD"] == "target 60 → 300 from 1 Apr 2011"
    assert after["site_statuses"]["5KM"] == "Withdrawn"
    assert check(demo) == []


def test_a_correction_changes_old_packs_exactly_where_it_says_and_they_list_it(demo):
    nov = D(2010, 11, 30)
    first = pack_facts(demo, nov, D(2010, 11, 23))
    target = first["headline"]["recruitment_target"]
    fixed = register_text(**{"5MD": {"recruitment_target": 70}})  # it was always 70: 60 was a typing mistake
    done = load_register(demo, "sites.csv", fixed, user="auditor", reason="typed 60 for 70", correction=True)
    assert done.outcome == "accepted", done.problems
    again = pack_facts(demo, nov, D(2010, 11, 23))
    assert again["headline"]["recruitment_target"] == target + 10
    # nothing else moves but what follows from Coventry's target: its status, and so the counts by status
    differ = {k for k in again["headline"] if again["headline"][k] != first["headline"][k]}
    assert differ <= {"recruitment_target", "sites_on_track", "sites_at_risk", "sites_stalled"}, differ
    moved = {c for c, s in again["site_statuses"].items() if first["site_statuses"][c] != s}
    assert moved <= {"5MD"}
    assert again["flagged_sites"] == first["flagged_sites"] or {f["site_code"] for f in again["flagged_sites"]} ^ {
        f["site_code"] for f in first["flagged_sites"]
    } <= {"5MD"}
    assert again["register_corrections"] == [
        {
            "site_code": "5MD",
            "effective_from": None,
            "changes": {"recruitment_target": [60, 70]},
            "reason": "typed 60 for 70",
            "recorded_at": again["register_corrections"][0]["recorded_at"],
            "recorded_by": "auditor",
        }
    ]
    assert first["register_corrections"] == []
    assert check(demo) == []


# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.both_backends
def test_a_rules_change_needs_a_reason_and_values_the_flags_can_use(store):
    for new, reason, message in [
        ({"plateau_returns": 4}, "", "needs a reason"),
        ({"behind_target_red_below": 0.7}, "x", "must not be above behind_target_amber_below"),
        ({"plateau_returns": 13}, "x", "between 1 and 12"),
        ({"return_due_day": 31}, "x", "from 1 to 28"),
    ]:
        done = rules.record_change(store, new, reason=reason, user="t")
        assert done.outcome == "refused" and message in done.problems[0].message, (new, done.problems)
    with store.read() as con:
        assert len(rules.history(con)) == 1  # only the first, seeded from tracker.toml
        logged = con.execute("select count(*) from load_log where kind = 'rules' and outcome = 'refused'").fetchone()
    assert logged == (4,)


@pytest.mark.both_backends
def test_the_command_line_records_and_shows_register_and_rule_changes(store, tmp_path):
    moved = (
        (DATA / "sites.csv")
        .read_text()
        .replace(
            "AAA,Alpha PCT,London,in-depth,continuing healthcare,2010-07-01,2010-01-01,40",
            "AAA,Alpha PCT,London,in-depth,continuing healthcare,2010-07-01,2010-01-01,55",
        )
    )
    path = tmp_path / "sites.csv"
    path.write_text(moved)
    done = run_tracker("sites", str(path), "--effective-from", "2010-06-01", "--reason", "re-baselined", store=store)
    assert done.returncode == 0, done.stderr
    assert "AAA from 1 Jun 2010: recruitment_target 40 → 55" in done.stdout
    shown = run_tracker("sites", "--site", "AAA", "--format", "csv", store=store)
    history = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert [(h["effective_from"], json.loads(h["changes"] or "{}"), h["reason"]) for h in history] == [
        ("2010-06-01", {"recruitment_target": [40, 55]}, "re-baselined"),
        ("", {}, ""),
    ]
    rule = run_tracker(
        "rules",
        "--set",
        "plateau_returns=4",
        "--effective-from",
        "2010-09-01",
        "--reason",
        "fewer false alarms",
        store=store,
    )
    assert rule.returncode == 0, rule.stderr
    shown = run_tracker("rules", "--as-of", "2010-09-30", store=store)
    assert "plateau_returns = 4" in shown.stdout and "from 1 Sep 2010" in shown.stdout
    shown = run_tracker("rules", "--as-of", "2010-08-31", store=store)
    assert "plateau_returns = 3" in shown.stdout
    refused = run_tracker("rules", "--set", "plateau_returns=4", store=store)
    assert refused.returncode != 0 and "needs a reason" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_backup_made_before_the_history_restores_with_each_site_from_the_start(store, tmp_path):
    import duckdb

    from tracker.backup import export, restore

    old = tmp_path / "old-backup"
    export(store, old)
    # as a backup made before the register was versioned: `sites` (with its load), no rule_versions
    manifest = json.loads((old / "backup.json").read_text())
    with duckdb.connect() as con:
        con.execute(
            "copy (select * exclude (version_id, effective_from, is_correction, changes, reason) "
            f"from read_parquet('{old / 'site_versions.parquet'}')) to '{old / 'sites.parquet'}' (format parquet)"
        )
    for table in ("site_versions", "rule_versions"):
        (old / f"{table}.parquet").unlink()
        manifest["tables"]["sites" if table == "site_versions" else table] = manifest["tables"].pop(table)
    manifest["tables"].pop("rule_versions")
    (old / "backup.json").write_text(json.dumps(manifest))

    restored = FileStore(tmp_path / "restored.duckdb")
    restore(old, restored)
    assert check(restored) == []
    with store.read() as a, restored.read() as b:
        query = "select * exclude (version_id) from site_versions order by site_code"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert b.execute("select count(*), min(reason) from rule_versions").fetchone() == (
            1,
            "the first rules, from tracker.toml when the database was made",
        )
    flags = "select * from flags_now(date '2010-03-31') order by all"
    with judging_afresh(store) as a, judging_afresh(restored) as b:
        assert a.execute(flags).fetchall() == b.execute(flags).fetchall()


def test_a_correction_from_the_browser_keeps_a_re_baseline(store):
    from tracker.register import edit_site

    rebased = (DATA / "sites.csv").read_text().replace(",2010-01-01,40,", ",2010-01-01,55,", 1)
    assert load_register(store, "sites.csv", rebased.encode(), user="t", reason="x", effective_from=D(2010, 6, 1)).ok
    fixed = edit_site(store, "AAA", {"contact_email": "ann@alpha.nhs.uk"}, reason="typo", correction=True, user="t")
    assert fixed.outcome == "accepted", fixed.problems
    with store.read() as con:
        spans = con.execute(
            "select nullif(valid_from, '-infinity'::date), recruitment_target, contact_email from register_spans() "
            "where site_code = 'AAA' order by valid_from"
        ).fetchall()
    assert spans == [(None, 40, "ann@alpha.nhs.uk"), (D(2010, 6, 1), 55, "ann@alpha.nhs.uk")]


def test_a_change_cannot_take_effect_before_the_site_was_registered(store):
    added = (DATA / "sites.csv").read_text() + "EEE,Epsilon PCT,London,wider,stroke,,2010-01-01,10,2011-03-31,1000,,,\n"
    assert load_register(store, "sites.csv", added.encode(), user="t", today=TODAY).ok  # a new site: from today
    early = added.replace(
        "EEE,Epsilon PCT,London,wider,stroke,,2010-01-01,10,", "EEE,Epsilon PCT,London,wider,stroke,,2010-01-01,12,"
    )
    refused = load_register(store, "sites.csv", early.encode(), user="t", reason="x", effective_from=D(2011, 1, 1))
    assert refused.outcome == "refused"
    assert refused.problems[0].value == "EEE"
    assert "registered only from 10 May 2011: a change cannot take effect before it" in refused.problems[0].message


def test_judging_many_days_in_one_pass_gives_each_day_what_judging_it_alone_gives(demo):
    # Pages ask for several days in one query (planning the flag rules is most of a query's cost).
    # The demo's days straddle go-lives, withdrawals and Coventry's re-baselined target (30 Nov 2010).
    days = [D(2009, 12, 31), D(2010, 11, 29), D(2010, 11, 30), D(2010, 12, 15), D(2011, 7, 4), D(2012, 3, 31)]
    with judging_afresh(demo) as con:  # each query judges its days itself, not reads them from a memo
        together = queries.frames_at(con, "site_status", days, region=None, cohort=None)
        for day, frame in zip(days, together, strict=True):
            (alone,) = queries.frames_at(con, "site_status", [day], region=None, cohort=None)
            pd.testing.assert_frame_equal(frame, alone)
            assert len(frame) == con.execute("select count(*) from sites_on($d)", {"d": day}).fetchone()[0]
        assert {s for f in together for s in f.status} >= {"Not live", "On track", "Stalled", "Withdrawn"}
        heads = queries.frame(con, "programme_headline", dates=[*days, days[0]], region="London", cohort=None)
        assert list(heads.as_of.dt.date) == [*days, days[0]]  # in the order asked, a repeat included
        for i, day in enumerate(days):
            alone = queries.frame(con, "programme_headline", dates=[day], region="London", cohort=None)
            pd.testing.assert_frame_equal(heads.iloc[[i]].reset_index(drop=True), alone)
        flags = "select * from {} order by all"
        assert con.execute(flags.format("flags_at($days)"), {"days": days}).fetchall() == [
            row for day in sorted(days) for row in con.execute(flags.format("flags_now($d)"), {"d": day}).fetchall()
        ]
