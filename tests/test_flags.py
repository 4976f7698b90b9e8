"""Stall flags on a hand-made programme: one site per flag and a clean one; every figure worked out by hand.

Unless a test says otherwise a site's return for a month is sent on the 10th of the next month,
and the as-of date is 30 Nov 2010. Trajectory arithmetic is in the comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import HEADER

from tracker import flags
from tracker.ingest import ingest_bytes
from tracker.register import load_register
from tracker.store import Store

pytestmark = pytest.mark.both_backends

D = dt.date
AS_OF = D(2010, 11, 30)
TODAY = D(2011, 12, 31)
MONTHS_2010 = [
    D(2010, m, d) for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), strict=True)
]

REGISTER = """site_code,site_name,region,cohort,care_groups,direct_payments_from,go_live,recruitment_target,target_date,dh_funding_gbp,withdrawn_on
CLEAN,Clean PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
NORE,No Recruits PCT,London,wider,stroke,,2010-02-01,60,2012-03-31,50000,
NOBU,No Budgets PCT,London,wider,stroke,,2010-03-01,20,2011-03-31,50000,
NOCS,No Care Spend PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
BEHR,Behind PCT,London,wider,stroke,,2010-02-01,75,2011-03-31,50000,
PLAT,Plateau PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
SETU,Set-up PCT,London,wider,stroke,,2010-04-01,20,2011-03-31,50000,
LATE,Late PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
MISS,Missing PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
GAPS,Gaps PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,
NLIV,Not Live PCT,London,wider,stroke,,2011-01-01,20,2011-12-31,50000,
WDRN,Withdrawn PCT,London,wider,stroke,,2010-01-01,20,2010-12-31,50000,2010-09-01
"""


def row(site, period, recruited, budgets, care, infra, sent=None):
    sent = sent or (period + dt.timedelta(days=10))
    return f"{site},{period},{recruited + 5},{recruited},{budgets},{budgets},0,0,{care},{infra},{sent},"


def months(first, last):
    return [m for m in MONTHS_2010 if first <= m.month <= last]


def programme_rows():
    rows = []
    for i, m in enumerate(months(1, 10), start=1):  # recruited 2, 4, ... 20; budgets one behind
        rows.append(row("CLEAN", m, 2 * i, 2 * i - 1, 1000 if i > 1 else 0, 2000))
        rows.append(row("NOCS", m, 2 * i, 2 * i - 1 if i > 1 else 0, 1000 if 2 <= i <= 7 else 0, 2000))
        rows.append(row("PLAT", m, min(2 * i, 12), min(2 * i, 12) - 1, 1000, 2000))
        rows.append(row("LATE", m, 2 * i, 2 * i - 1, 1000, 2000, sent=D(2010, 11, 22) if i == 10 else None))
        if i <= 8:
            rows.append(row("MISS", m, 2 * i, 2 * i - 1, 1000, 2000))
        if i not in (6, 8):
            rows.append(row("GAPS", m, min(2 * i, 12), min(2 * i, 12) - 1, 1000, 2000))
    for m in months(2, 10):
        rows.append(row("NORE", m, 0, 0, 0, 1000))
        rows.append(row("BEHR", m, m.month - 1, m.month - 1 if m.month > 2 else 0, 500 if m.month > 2 else 0, 1000))
    for m, recruited in zip(months(3, 10), (0, 0, 5, 8, 10, 12, 14, 16), strict=True):
        rows.append(row("NOBU", m, recruited, 0, 0, 1000))
    for i, m in enumerate(months(4, 10), start=1):
        rows.append(row("SETU", m, 2 * i, 2 * i - 1, 300, 10000))
    return rows


def later_rows():
    # NOBU gets its first budgets in November 2010 and keeps going: recovered by March 2011.
    return [
        row("NOBU", D(2010, 11, 30), 18, 10, 2000, 1000),
        row("NOBU", D(2010, 12, 31), 20, 14, 2500, 1000),
        row("NOBU", D(2011, 1, 31), 20, 18, 3000, 1000),
        row("NOBU", D(2011, 2, 28), 20, 19, 3000, 1000),
    ]


def fill(store: Store, rows, register=REGISTER) -> Store:
    assert load_register(store, "sites.csv", register.encode(), user="t").ok
    result = ingest_bytes(store, "returns.csv", "\n".join([HEADER, *rows]).encode(), user="t", today=TODAY)
    assert result.outcome == "accepted", result.problems
    return store


def make_store(new_store, rows, register=REGISTER) -> Store:
    return fill(new_store("flags"), rows, register)


@pytest.fixture
def store(fixture_copy):
    """The programme above, built once per backend; each test gets a copy."""
    return fixture_copy("flags", lambda new: fill(new, programme_rows() + later_rows()))


def raised(store, as_of=AS_OF):
    df = flags.raised(store, as_of)
    return {(r.site_code, r.flag): (r.severity, r.since.date(), r.reason) for r in df.itertuples()}


def test_one_site_per_flag_with_severity_since_and_reason(store):
    assert raised(store) == {
        # Go-live 1 Feb + 3 months = 1 May: raised from the 31 May evaluation on.
        ("NORE", "NO_RECRUITS"): ("red", D(2010, 5, 31), "No one recruited 9 months after go-live (Feb 2010)"),
        # Expected 60 x 302 / 789 days = 22.97.
        ("NORE", "BEHIND_TARGET"): ("red", D(2010, 5, 31), "0 of 60 recruited; 23 expected by now (0%)"),
        # Feb, Mar, Apr returns all known by 31 May (Apr's sent 10 May).
        ("NORE", "PLATEAU"): (
            "amber",
            D(2010, 5, 31),
            "No rise in people recruited over the last 3 returns (Aug 2010 to Oct 2010: 0 to 0); target 60",
        ),
        # First recruits in May (known from 10 Jun); May 31 + 3 months = 31 Aug.
        ("NOBU", "NO_BUDGETS"): (
            "red",
            D(2010, 8, 31),
            "16 recruited (first in May 2010) but no budget of any kind in place",
        ),
        # First budgets in Feb; Aug, Sep, Oct report no care spend, all three known only from 10 Nov.
        ("NOCS", "NO_CARE_SPEND"): (
            "red",
            D(2010, 11, 30),
            "19 with a budget (first in Feb 2010) but nothing spent on care in the last 3 returns",
        ),
        # Expected 75 x 302 / 423 days = 53.55; 9 / 53.55 = 17%. Red at every evaluation from 31 May (3 / 21.1 = 14%).
        ("BEHR", "BEHIND_TARGET"): ("red", D(2010, 5, 31), "9 of 75 recruited; 54 expected by now (17%)"),
        # Aug, Sep, Oct all 12 (first seen flat at 30 Sep: Jun, Jul, Aug).
        ("PLAT", "PLATEAU"): (
            "amber",
            D(2010, 9, 30),
            "No rise in people recruited over the last 3 returns (Aug 2010 to Oct 2010: 12 to 12); target 20",
        ),
        # Jun and Aug missing: the 3 latest known are Jul, Sep, Oct.
        ("GAPS", "PLATEAU"): (
            "amber",
            D(2010, 11, 30),
            "No rise in people recruited over the last 3 returns (Jul 2010 to Oct 2010: 12 to 12); target 20",
        ),
        # 7 months x £10,000 infrastructure against 7 x £300 care; 6 months after go-live from 1 Oct.
        ("SETU", "SET_UP_ONLY"): ("amber", D(2010, 10, 31), "£70,000 spent on infrastructure but £2,100 (3%) on care"),
        # Sep and Oct missing. Late since 31 Oct (September due 15 Oct); both missing at 30 Nov.
        ("MISS", "LATE_RETURN"): ("amber", D(2010, 10, 31), "Return for October 2010 not received (due 15 Nov 2010)"),
        ("MISS", "MISSING_RETURNS"): (
            "red",
            D(2010, 11, 30),
            "Last 2 returns not received (Sep 2010, Oct 2010; the latest was due 15 Nov 2010)",
        ),
        # GAPS also missed June and August, but those are not the latest due returns.
    }


def test_status_of_every_site(store):
    status = flags.statuses(store, AS_OF).set_index("site_code").status.to_dict()
    assert status == {
        "BEHR": "Stalled",
        "CLEAN": "On track",
        "GAPS": "At risk",
        "LATE": "On track",
        "MISS": "Stalled",
        "NLIV": "Not live",
        "NOBU": "Stalled",
        "NOCS": "Stalled",
        "NORE": "Stalled",
        "PLAT": "At risk",
        "SETU": "At risk",
        "WDRN": "Withdrawn",
    }


def test_a_late_return_is_missing_on_its_due_date_and_present_a_week_later(store):
    # LATE's October return is due 15 Nov and was sent 22 Nov.
    assert ("LATE", "LATE_RETURN") not in raised(store, D(2010, 11, 14))  # latest due is still September
    assert raised(store, D(2010, 11, 15))[("LATE", "LATE_RETURN")] == (
        "amber",
        D(2010, 11, 15),
        "Return for October 2010 not received (due 15 Nov 2010)",
    )
    assert raised(store, D(2010, 11, 21))[("LATE", "LATE_RETURN")][1] == D(
        2010, 11, 21
    )  # since: the 31 Oct evaluation was clear
    assert ("LATE", "LATE_RETURN") not in raised(store, D(2010, 11, 22))


def test_time_travel_stalled_in_november_recovered_by_march(store):
    assert flags.statuses(store, AS_OF).set_index("site_code").status["NOBU"] == "Stalled"
    march = flags.statuses(store, D(2011, 3, 31)).set_index("site_code")
    assert march.status["NOBU"] == "On track"
    assert march.flag_names["NOBU"] == ""


def test_withdrawn_site_has_no_flags_from_its_withdrawal(store):
    # WDRN sent nothing: stalled while in the programme, withdrawn from 1 Sep 2010.
    august = raised(store, D(2010, 8, 31))
    assert august[("WDRN", "NO_RECRUITS")][:2] == ("red", D(2010, 4, 30))
    assert (
        august[("WDRN", "NO_RECRUITS")][2] == "No one recruited 7 months after go-live (Jan 2010); no return received"
    )
    assert not any(site == "WDRN" for site, _ in raised(store, D(2010, 9, 1)))
    assert flags.statuses(store, D(2010, 9, 1)).set_index("site_code").status["WDRN"] == "Withdrawn"


def test_not_live_site_is_never_flagged(store):
    assert flags.statuses(store, AS_OF).set_index("site_code").status["NLIV"] == "Not live"
    assert not any(site == "NLIV" for site, _ in raised(store))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(D(2010, 8, 30), False), (D(2010, 8, 31), True)],  # first recruits in May: May 31 + 3 months = Aug 31
)
def test_no_budgets_boundary(store, as_of, expected):
    assert (("NOBU", "NO_BUDGETS") in raised(store, as_of)) is expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(D(2010, 4, 30), False), (D(2010, 5, 1), True)],  # go-live 1 Feb + 3 months = 1 May
)
def test_no_recruits_boundary(store, as_of, expected):
    assert (("NORE", "NO_RECRUITS") in raised(store, as_of)) is expected


# The boundary tests below each build a programme of their own: they run on the file alone. A boundary is
# the rules' arithmetic, the same SQL on either store; that a lake judges as a file does is checked by every
# test above on the whole programme, and by tests/test_lake.py on the fixture data.

BEHB_REGISTER = "site_code,site_name,region,cohort,care_groups,direct_payments_from,go_live,recruitment_target,target_date,dh_funding_gbp\nBEHB,Boundary PCT,London,wider,stroke,,2010-02-01,75,2011-03-31,50000\n"


@pytest.mark.file_only
@pytest.mark.parametrize(
    ("recruited", "expected"),
    # Expected 53.55 by 30 Nov: 25% is 13.39 and 50% is 26.77.
    [(13, "red"), (14, "amber"), (26, "amber"), (27, None)],
)
def test_behind_target_thresholds(new_store, recruited, expected):
    store = make_store(new_store, [row("BEHB", D(2010, 10, 31), recruited, recruited, 500, 1000)], BEHB_REGISTER)
    got = raised(store).get(("BEHB", "BEHIND_TARGET"))
    assert (got[0] if got else None) == expected


@pytest.mark.file_only
@pytest.mark.parametrize(("care", "expected"), [(999, True), (1000, False)])  # 7 x £1,000 = exactly 10% of £70,000
def test_set_up_only_threshold(new_store, care, expected):
    register = (
        REGISTER.split("\n")[0] + "\n" + next(line for line in REGISTER.splitlines() if line.startswith("SETU")) + "\n"
    )
    rows = [row("SETU", m, 2 * i, 2 * i - 1, care, 10000) for i, m in enumerate(months(4, 10), start=1)]
    store = make_store(new_store, rows, register)
    assert (("SETU", "SET_UP_ONLY") in raised(store)) is expected


@pytest.mark.file_only
def test_plateau_needs_no_rise_and_to_be_below_target(new_store):
    register = (
        REGISTER.split("\n")[0] + "\n" + next(line for line in REGISTER.splitlines() if line.startswith("PLAT")) + "\n"
    )
    rising = [row("PLAT", m, 10 + (m.month == 10), 9, 1000, 2000) for m in months(8, 10)]
    assert ("PLAT", "PLATEAU") not in raised(make_store(new_store, rising, register))
    at_target = [row("PLAT", m, 20, 19, 1000, 2000) for m in months(8, 10)]
    assert ("PLAT", "PLATEAU") not in raised(make_store(new_store, at_target, register))


def test_status_changes_between_two_dates(store):
    before = flags.statuses(store, D(2010, 10, 31))
    after = flags.statuses(store, AS_OF)
    changes = flags.status_changes(before, after).set_index("site_code")
    # At 31 Oct: NOCS on track (Jul care spend still among its latest 3), GAPS on track (Jul, Sep? Sep not yet
    # known: May, Jul, ... rising), MISS at risk (September late).
    assert changes.change.to_dict() == {"GAPS": "Newly at risk", "MISS": "Newly stalled", "NOCS": "Newly stalled"}


def pairs(df):
    return sorted(zip(df.site_code, df.flag, strict=True))


def test_flag_changes(store):
    # At 31 Oct the returns sent on 10 Nov are not yet known, so these three are new by 30 Nov.
    new, cleared = flags.flag_changes(flags.raised(store, D(2010, 10, 31)), flags.raised(store, AS_OF))
    assert pairs(new) == [("GAPS", "PLATEAU"), ("MISS", "MISSING_RETURNS"), ("NOCS", "NO_CARE_SPEND")]
    assert pairs(cleared) == []
    # LATE's October return arrived on 22 Nov.
    new, cleared = flags.flag_changes(flags.raised(store, D(2010, 11, 15)), flags.raised(store, D(2010, 11, 22)))
    assert (pairs(new), pairs(cleared)) == ([], [("LATE", "LATE_RETURN")])


def test_since_is_a_date_column(store):
    df = flags.raised(store, AS_OF)
    assert pd.api.types.is_datetime64_any_dtype(df.since)


def test_rules_may_look_back_at_most_at_the_returns_the_facts_keep():
    from tracker import config

    flags = dict(config.current().flags)
    assert config._flag_settings({**flags, "plateau_returns": 12})["plateau_returns"] == 12
    with pytest.raises(ValueError, match="plateau_returns must be between 1 and 12"):
        config._flag_settings({**flags, "plateau_returns": 13})
    with pytest.raises(ValueError, match="no_care_spend_returns"):
        config._flag_settings({**flags, "no_care_spend_returns": 0})
