"""The SQL in sql/ on the fixture programme; every expected figure is worked out by hand from tests/data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tracker import queries

D = dt.date
ALL = {"region": None, "cohort": None}


def run(store, name, **params):
    with store.read() as con:
        return queries.frame(con, name, **params)


def latest(store, as_of, **filters):
    df = run(store, "site_latest", as_of=as_of, **{**ALL, **filters})
    return df.set_index("site_code")


# AAA's returns: Jan (sent 10 Feb): 2 recruited; Feb (sent 20 Mar): 4, care £500, resubmitted 25 Mar
# with care £600; Mar (sent 14 Apr): 6 recruited, budgets 2+1+0. Infrastructure: 10,000; 8,000; 7,000.
@pytest.mark.parametrize(
    ("as_of", "period", "recruited", "budgets", "care", "infra"),
    [
        (D(2010, 1, 31), None, 0, 0, 0, 0),  # January's return not sent yet
        (D(2010, 3, 19), D(2010, 1, 31), 2, 0, 0, 10_000),  # February's not sent until 20 Mar
        (D(2010, 3, 20), D(2010, 2, 28), 4, 1, 500, 18_000),
        (D(2010, 3, 25), D(2010, 2, 28), 4, 1, 600, 18_000),  # the resubmission is known from 25 Mar
        (D(2010, 4, 13), D(2010, 2, 28), 4, 1, 600, 18_000),
        (D(2010, 4, 14), D(2010, 3, 31), 6, 3, 2_100, 25_000),
    ],
)
def test_site_latest_follows_the_as_of_rules(store, as_of, period, recruited, budgets, care, infra):
    aaa = latest(store, as_of).loc["AAA"]
    if period is None:
        assert pd.isna(aaa.latest_period_end)
    else:
        assert aaa.latest_period_end == pd.Timestamp(period)
    assert (aaa.people_recruited, aaa.budgets_total) == (recruited, budgets)
    assert (float(aaa.spend_care_to_date_gbp), float(aaa.spend_infrastructure_to_date_gbp)) == (care, infra)


def test_site_latest_has_every_site_with_its_phase_and_filters(store):
    df = latest(store, D(2010, 12, 31))
    assert df["phase"].to_dict() == {"AAA": "Live", "BBB": "Live", "CCC": "Not live", "DDD": "Withdrawn"}
    assert list(latest(store, D(2010, 12, 31), region="London").index) == ["AAA", "DDD"]
    assert list(latest(store, D(2010, 12, 31), cohort="in-depth").index) == ["AAA"]


def test_financial_year_spend_starts_in_april(store):
    # As of 31 Dec 2010 the year began 1 Apr 2010: AAA's January-March spend is last year's.
    aaa = latest(store, D(2010, 12, 31)).loc["AAA"]
    assert (float(aaa.spend_care_year_gbp), float(aaa.spend_infrastructure_year_gbp)) == (0, 0)
    assert float(latest(store, D(2010, 3, 31)).loc["AAA"].spend_infrastructure_year_gbp) == 18_000


def test_programme_trend_carries_positions_forward_and_drops_withdrawn_sites(store):
    trend = run(store, "programme_trend", as_of=D(2010, 4, 16), **ALL).set_index("month_end")
    assert list(trend.index) == [
        pd.Timestamp(D(2010, 1, 31)),
        pd.Timestamp(D(2010, 2, 28)),
        pd.Timestamp(D(2010, 3, 31)),
    ]
    # Jan: AAA 2 + DDD 0; Feb: AAA 4, DDD carried at 0; Mar: AAA 6 + BBB 1 + DDD 1.
    assert trend["people_recruited"].tolist() == [2, 4, 8]
    assert trend["budgets_total"].tolist() == [0, 1, 3]
    # Live: AAA and DDD from January, BBB from March; targets 40 + 30, then + 20.
    assert trend["sites_live"].tolist() == [2, 2, 3]
    assert trend["recruitment_target"].tolist() == [70, 70, 90]
    assert trend["spend_care_gbp"].astype(float).tolist() == [0, 600, 1_500]
    assert trend["spend_infrastructure_to_date_gbp"].astype(float).tolist() == [15_000, 23_000, 46_000]
    assert trend["returns_received"].tolist() == [2, 1, 3]
    # By December DDD has withdrawn (1 Oct 2010): it no longer counts.
    dec = (
        run(store, "programme_trend", as_of=D(2010, 12, 31), **ALL)
        .set_index("month_end")
        .loc[pd.Timestamp(D(2010, 12, 31))]
    )
    assert (dec.people_recruited, dec.sites_live, dec.recruitment_target) == (7, 2, 60)


def test_returns_completeness_on_time_late_missing_and_resubmitted(store):
    grid = run(store, "returns_completeness", as_of=D(2010, 4, 16), **ALL, site_codes=None)
    got = {(r.site_code, r.period_end.date()): (r.status, r.resubmitted) for r in grid.itertuples()}
    assert got == {
        ("AAA", D(2010, 1, 31)): ("on time", False),  # sent 10 Feb, due 15 Feb
        ("AAA", D(2010, 2, 28)): ("late", True),  # sent 20 Mar, due 15 Mar; resubmitted 25 Mar
        ("AAA", D(2010, 3, 31)): ("on time", False),  # sent 14 Apr
        ("BBB", D(2010, 3, 31)): ("on time", False),  # sent 15 Apr, the due day itself
        ("DDD", D(2010, 1, 31)): ("on time", False),
        ("DDD", D(2010, 2, 28)): ("missing", False),
        ("DDD", D(2010, 3, 31)): ("late", False),  # sent 16 Apr
    }
    # A day earlier DDD's March return is not yet known: due 15 Apr, so missing.
    earlier = run(store, "returns_completeness", as_of=D(2010, 4, 15), **ALL, site_codes=None)
    ddd_march = earlier[(earlier.site_code == "DDD") & (earlier.period_end == pd.Timestamp(D(2010, 3, 31)))]
    assert ddd_march.status.tolist() == ["missing"]
    # Before its due date a return not yet sent is "not yet due".
    april = run(store, "returns_completeness", as_of=D(2010, 4, 30), **ALL, site_codes=None)
    assert set(april[april.period_end == pd.Timestamp(D(2010, 4, 30))].status) == {"not yet due"}


def test_returns_summary_counts_the_grid_by_hand(store):
    # The grid above on 16 Apr 2010: 4 on time, 2 late (1 resubmitted), 1 missing (DDD, Feb).
    summary = run(store, "returns_summary", as_of=D(2010, 4, 16), **ALL).iloc[0]
    assert (summary.on_time, summary.late, summary.missing, summary.not_yet_due) == (4, 2, 1, 0)
    assert (summary.resubmitted, summary.sites_missing) == (1, 1)
    # March is the latest month due (15 Apr): AAA, BBB and DDD owe it and all three sent it.
    assert summary.latest_due_month.date() == D(2010, 3, 31)
    assert (summary.latest_owed, summary.latest_received) == (3, 3)
    assert summary.latest_due_on.date() == D(2010, 4, 15)


def test_chase_list_is_the_missing_returns_with_days_overdue(store):
    chase = run(store, "returns_missing", as_of=D(2010, 4, 16), **ALL)
    assert chase[["site_code", "days_overdue"]].values.tolist() == [["DDD", 32]]  # due 15 Mar
    assert chase.period_end.tolist() == [pd.Timestamp(D(2010, 2, 28))]


def test_grid_for_one_page_of_sites(store):
    page = run(store, "returns_completeness", as_of=D(2010, 4, 16), **ALL, site_codes=["BBB", "DDD"])
    assert sorted(set(page.site_code)) == ["BBB", "DDD"] and len(page) == 4


def test_no_return_is_owed_for_months_after_the_programme_window(store):
    from tracker.config import current

    after = current().end + dt.timedelta(days=60)  # two months after the window closed
    grid = run(store, "returns_completeness", as_of=after, **ALL, site_codes=None)
    assert grid.period_end.max() == pd.Timestamp(current().end)


def test_withdrawn_site_owes_no_returns_after_it_left(store):
    grid = run(store, "returns_completeness", as_of=D(2010, 12, 31), **ALL, site_codes=None)
    assert grid[grid.site_code == "DDD"].period_end.max() == pd.Timestamp(D(2010, 9, 30))
    assert "CCC" not in set(grid.site_code)  # goes live in 2011


def test_cost_ratios_by_hand(store):
    ratios = run(store, "cost_ratios", as_of=D(2010, 4, 30), **ALL).set_index("site_code")
    aaa = ratios.loc["AAA"]  # 6 recruited, 3 budgets, care 600 + 1,500, infra 25,000, funding 100,000
    assert float(aaa.spend_care_to_date_gbp) == 2_100
    assert float(aaa.care_per_budget_gbp) == pytest.approx(700)
    assert float(aaa.infrastructure_per_budget_gbp) == pytest.approx(25_000 / 3)
    assert float(aaa.infrastructure_per_recruit_gbp) == pytest.approx(25_000 / 6)
    assert float(aaa.spend_to_funding_ratio) == pytest.approx(27_100 / 100_000)
    bbb = ratios.loc["BBB"]  # 1 recruited, no budget: per-budget ratios are unknown, not zero
    assert pd.isna(bbb.infrastructure_per_budget_gbp)
    assert float(bbb.infrastructure_per_recruit_gbp) == 12_000


def test_site_series_shows_versions_and_running_totals(store):
    series = run(store, "site_series", as_of=D(2010, 4, 30), site_code="AAA")
    assert series["versions_known"].tolist() == [1, 2, 1]
    assert series["spend_care_to_date_gbp"].astype(float).tolist() == [0, 600, 2_100]


def test_default_as_of_is_the_latest_date_a_return_was_sent(store):
    assert run(store, "default_as_of").as_of[0] == pd.Timestamp(D(2010, 4, 16))


def test_every_query_binds_its_values(store):
    # No query text contains a value: every sql/*.sql runs only with named parameters.
    for path in sorted(queries.SQL_DIR.glob("*.sql")):
        assert "{" not in path.read_text(), f"{path.name} looks like a template"
