"""The derived data (tracker/derived.py) always equals what the returns say, however it got there."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from conftest import csv_bytes, ingest, judging_afresh

from tracker import config, derived, integrity, queries, rules
from tracker.register import load_register
from tracker.store.schema import set_meta
from tracker.voids import void_return

# A plain, slow statement of a site's position as of a day, straight from the versions that count:
# the fast path (site_facts) must agree with it on every day.
REFERENCE_POSITIONS = """
select
    site_code,
    count(*) as returns_known,
    max(period_end) as latest_period_end,
    arg_max(people_recruited, period_end) as people_recruited,
    arg_max(budgets_total, period_end) as budgets_total,
    sum(spend_care_gbp) as spend_care_to_date_gbp,
    sum(spend_infrastructure_gbp) as spend_infrastructure_to_date_gbp,
    coalesce(sum(spend_care_gbp) filter (where period_end >= financial_year_start($d::date)), 0) as spend_care_year_gbp,
    max(submitted_on) as last_submitted_on
from current_returns($d)
group by site_code
order by site_code
"""
FAST_POSITIONS = """
select
    site_code, returns_known, latest_period_end, people_recruited, budgets_total,
    spend_care_to_date_gbp, spend_infrastructure_to_date_gbp, spend_care_year_gbp, last_submitted_on
from site_positions($d)
where returns_known > 0
order by site_code
"""
# What the versions of each month known on a day add up to, grouped afresh from every version: the month
# states (return_months) valid on the day must agree with it.
REFERENCE_MONTHS = """
select
    site_code,
    period_end,
    count(*) as versions_known,
    min(submitted_on) as first_submitted_on,
    bool_or(submitted_on is null) as any_undated,
    bool_or(not is_void and (superseded_from is null or superseded_from > $d)) as counts
from returns
where known_from <= $d
group by site_code, period_end
order by site_code, period_end
"""
FAST_MONTHS = """
select site_code, period_end, versions_known, first_submitted_on, any_undated, counts
from return_months
where valid_from <= $d and coalesce(valid_until, 'infinity'::date) > $d
order by site_code, period_end
"""


def days(first: dt.date, last: dt.date):
    d = first
    while d <= last:
        yield d
        d += dt.timedelta(days=1)


def busy_store(store):
    """The fixture after the awkward cases: a late back-dated resubmission, a void, a register change."""
    late = csv_bytes(
        # sent in December but dated 20 Feb, so it counted from 20 Feb: every derived row from then changes
        "AAA,2010-01-31,30,11,8,5,1,0,900.00,1500.00,2010-02-20,back-dated",
    )
    assert ingest(store, "late.csv", late).outcome == "accepted"
    void_return(store, "BBB", dt.date(2010, 3, 31), "sent twice", user="tester")
    return store


def test_fixture_derived_data_matches_a_fresh_derivation(store):
    assert integrity.check(busy_store(store)) == []


def test_positions_from_facts_equal_a_plain_aggregate_on_every_day(store):
    busy_store(store)
    seen = set()
    with store.read() as con:
        for d in days(dt.date(2010, 1, 1), dt.date(2010, 12, 31)):
            fast = con.execute(FAST_POSITIONS, {"d": d}).fetchall()
            slow = con.execute(REFERENCE_POSITIONS, {"d": d}).fetchall()
            assert fast == slow, d
            seen.update(fast)
    assert len(seen) >= 8  # positions changed as each file, the late resubmission and the void arrived


def test_month_states_equal_a_plain_grouping_of_the_versions_on_every_day(store):
    busy_store(store)
    seen = set()
    with store.read() as con:
        for d in days(dt.date(2010, 1, 1), dt.date(2010, 12, 31)):
            fast = con.execute(FAST_MONTHS, {"d": d}).fetchall()
            assert fast == con.execute(REFERENCE_MONTHS, {"d": d}).fetchall(), d
            seen.update(fast)
    # the fixture's months as first sent, then the back-dated resubmission (two versions) and the void
    assert any(row[2] == 2 for row in seen)
    assert any(not row[5] for row in seen)


def test_a_store_from_before_the_month_states_has_them_derived_when_upgraded(store):
    busy_store(store)

    def as_schema_7(con):  # what the code before sql/schema/008 left
        con.execute("drop table return_months")
        con.execute("update meta set value = '7' where key = 'schema_version'")

    store.write(as_schema_7)
    store.upgrade()
    with store.read() as con:
        assert con.execute("select value from meta where key = 'schema_version'").fetchone()[0] == "8"
        months = con.execute("select count(*) from return_months").fetchone()[0]
        assert (
            months
            == con.execute("select count(distinct (site_code, period_end, known_from)) from returns").fetchone()[0]
        )
    assert integrity.check(store) == []


def test_a_store_last_written_by_other_code_has_its_owed_returns_grouped_afresh(store):
    busy_store(store)

    def owed():
        with store.read() as con:
            query = "select * from owed_returns($d) order by site_code, period_end"
            return con.execute(query, {"d": dt.date(2010, 12, 31)}).fetchall()

    before = owed()

    def older_writer(con):  # code that keeps no month states wrote last: they are out of date
        con.execute("delete from return_months where rowid % 2 = 0")
        set_meta(con, derived.SETTINGS_KEY, "other code")

    store.write(older_writer)
    assert owed() == before


def test_a_full_rederivation_leaves_no_month_state_behind(store):
    busy_store(store)
    store.write(
        lambda con: con.execute(
            "insert into return_months select site_code, date '1999-12-31', valid_from, null, 1, null, false, true "
            "from return_months limit 1"
        )
    )
    store.write(lambda con: derived.refresh(con))
    with store.read() as con:
        assert con.execute("select count(*) from return_months where period_end < '2000-01-01'").fetchone() == (0,)
    assert integrity.check(store) == []


def test_check_notices_a_month_state_stored_twice(store):
    busy_store(store)
    store.write(lambda con: con.execute("insert into return_months select * from return_months limit 1"))
    assert any("month states" in p for p in integrity.check(store))


def test_the_flag_log_gives_the_same_history_as_evaluating_afresh(store):
    busy_store(store)
    as_of = dt.date(2010, 12, 31)
    history_sql = "select * from flag_history($d, date '1900-01-01') order by all"
    with store.read() as con:
        assert derived.usable_through(con) >= dt.date(2010, 3, 31)
        logged = queries.frame(con, "site_flags", as_of=as_of, region=None, cohort=None)
        history = con.execute(history_sql, {"d": as_of}).fetchall()
    # What a reader does when the log was filled under other rules: evaluate every month end afresh.
    store.write(lambda con: set_meta(con, derived.SETTINGS_KEY, "other rules"))
    store.close()
    with store.read() as con:
        assert derived.usable_through(con) == derived.NEVER
        live = queries.frame(con, "site_flags", as_of=as_of, region=None, cohort=None)
        live_history = con.execute(history_sql, {"d": as_of}).fetchall()
    assert len(history) > 10 and not logged.empty
    assert live_history == history
    assert live.equals(logged)


def test_an_edit_of_tracker_toml_changes_nothing_in_a_database(store, monkeypatch):
    # tracker.toml seeds a new database's rules only: servers sharing a store must agree, and the past must not move.
    busy_store(store)
    as_of = dt.date(2010, 12, 31)
    with store.read() as con:
        before = queries.frame(con, "site_flags", as_of=as_of, region=None, cohort=None)
    original = config.current()
    stricter = dataclasses.replace(original, flags={**original.flags, "no_recruits_after_months": 1})
    monkeypatch.setattr(config, "current", lambda: stricter)
    monkeypatch.setattr("tracker.store.schema.current", lambda: stricter)
    store.upgrade()  # what the dashboard and every command do on opening
    with store.read() as con:
        assert not derived.is_stale(con)
        assert rules.in_force(con, as_of).values["no_recruits_after_months"] == 3
        assert queries.frame(con, "site_flags", as_of=as_of, region=None, cohort=None).equals(before)


def test_a_rules_change_rederives_the_log_from_the_day_it_takes_effect(store):
    busy_store(store)
    before_day, after_day = dt.date(2010, 6, 30), dt.date(2010, 12, 31)
    history_sql = "select * from flag_history($d, date '1900-01-01') order by all"
    with judging_afresh(store) as con:
        old_history = con.execute(history_sql, {"d": after_day}).fetchall()
    done = rules.record_change(
        store, {"plateau_returns": 2}, reason="tighter", effective_from=dt.date(2010, 7, 1), user="t"
    )
    assert done.outcome == "accepted", done.problems
    with judging_afresh(store) as con:
        new_history = con.execute(history_sql, {"d": after_day}).fetchall()
        assert rules.in_force(con, before_day).values["plateau_returns"] == 3
        assert rules.in_force(con, after_day).values["plateau_returns"] == 2
    # month ends before the change are judged as before; after it, by the new rule (more plateaus)
    assert [r for r in new_history if r[0] <= before_day] == [r for r in old_history if r[0] <= before_day]
    assert new_history != old_history
    assert integrity.check(store) == []  # the log equals the versioned rules applied afresh


@pytest.mark.parametrize(
    ("table", "change", "meaning"),
    [
        (
            "returns",
            "set superseded_from = null where return_id = (select min(return_id) from returns)",
            "known/superseded",
        ),
        (
            "return_months",
            "set counts = not counts where rowid = (select min(rowid) from return_months)",
            "month states",
        ),
        ("site_facts", "set people_recruited = people_recruited + 1 where valid_until is null", "site facts"),
        ("flag_log", "set reason = 'tampered' where rowid = (select min(rowid) from flag_log)", "flag"),
        (
            "first_visit_flags",
            "set reason = 'tampered' where rowid = (select min(rowid) from first_visit_flags where site_code is not null)",
            "kept for the first visit",
        ),
    ],
)
def test_check_notices_derived_data_that_has_drifted(store, table, change, meaning):
    busy_store(store)
    store.write(lambda con: con.execute(f"update {table} {change}"))
    problems = integrity.check(store)
    assert any(meaning in p for p in problems), problems


def test_a_register_change_rederives_everything(store, tmp_path):
    from conftest import DATA

    text = (DATA / "sites.csv").read_text()
    header, *rows = text.splitlines()
    moved = [header, *[r.replace("2010-01-01,40", "2010-03-01,40") if r.startswith("AAA") else r for r in rows]]
    assert moved[1:] != rows
    result = load_register(
        store, "sites.csv", ("\n".join(moved) + "\n").encode(), user="tester", reason="go-live moved", correction=True
    )
    assert result.ok, result.problems
    assert integrity.check(store) == []


def test_the_rules_picked_from_the_history_are_those_the_flag_macros_read_on_every_boundary_day(store):
    # The pages pick the rules in force on a day from the rule history (tracker.rules.in_force_on); the flag
    # macros read them through rules_on. They must agree on each side of every change, including a change
    # recorded later for a day another already took effect on (the later one counts from that day).
    first, second = dt.date(2010, 7, 1), dt.date(2010, 10, 1)
    for values, day in (
        ({"plateau_returns": 2}, first),
        ({"plateau_returns": 4}, second),
        ({"plateau_returns": 5}, first),
    ):
        assert rules.record_change(store, values, reason="board decision", effective_from=day, user="t").ok
    one_day = dt.timedelta(days=1)
    days = [dt.date(1900, 1, 1), first - one_day, first, first + one_day, second - one_day, second, dt.date(2100, 1, 1)]
    with store.read() as con:
        versions = rules.history(con)
        for day in days:
            by_sql = con.execute("select version_id from rules_on($d)", {"d": day}).fetchone()[0]
            assert rules.in_force_on(versions, day).version_id == by_sql, day
        assert rules.in_force_on(versions, first).values["plateau_returns"] == 5  # recorded last for that day
        assert rules.in_force_on(versions, second).values["plateau_returns"] == 4
