"""Generate the synthetic demo programme: a register and monthly return files.

Deterministic for a seed. The figures are illustrative, calibrated to the
public facts in ../shared/domain.md (slow, uneven starts; about £146,000 of
infrastructure spend a site over two years; 1,000-1,500 people with a budget
by mid-2011; the press stories of Nov 2010 reproduced as told).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tracker import contract
from tracker.config import ROOT
from tracker.demo_sites import SEEDS, SiteSeed
from tracker.errors import TrackerError
from tracker.values import add_months, month_end

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from tracker.store import Store

DEMO_DATA = ROOT / "data"  # the shipped demo programme's files
SEED = 2009
FIRST_MONTH = dt.date(2009, 9, 30)  # the first site went live in September 2009
LAST_MONTH = dt.date(2012, 10, 31)  # the pilot ended in October 2012
DUE_DAY = 15

D = dt.date

# What the press reported in Nov 2010, pinned so the demo tells the same story.
# recruited_by_oct2010 is the figure in the Oct and Nov 2010 returns.
STORIES = {
    "5A4": dict(
        go_live=D(2010, 2, 1),
        target=60,
        target_date=D(2012, 3, 31),
        first_recruit=D(2011, 1, 31),
        rate=4.0,
        note="No patients registered yet. Diabetes, COPD and stroke pathways agreed; clinicians slow to refer.",
    ),
    "5QK": dict(
        go_live=D(2010, 4, 1),
        target=40,
        target_date=D(2011, 9, 30),
        first_recruit=D(2010, 5, 31),
        rate=2.6,
        first_budget=D(2011, 2, 28),
        recruited_by_oct2010=17,
        note="People recruited and assessed; no budgets allocated and nothing yet spent on care while the "
        "resource allocation system is signed off.",
    ),
    "5QE": dict(
        go_live=D(2010, 3, 1),
        target=60,
        target_date=D(2011, 9, 30),
        first_recruit=D(2010, 4, 30),
        rate=2.6,
        recruited_by_oct2010=20,
        monthly_budget=740.0,
        note="20 people signed up; we expect to spend about £178,000 on budgets this year.",
    ),
    "5EM": dict(
        go_live=D(2010, 1, 1),
        target=50,
        target_date=D(2011, 6, 30),
        first_recruit=D(2010, 3, 31),
        rate=2.0,
        recruited_by_oct2010=14,
        monthly_budget=50.0,
        care_to_oct2010=8_140.0,
        note="14 people; just over £8,000 awarded so far, for hypnotherapy, gym membership and repairs to "
        "exercise bikes among other items agreed in care plans. Recruitment remains a struggle.",
    ),
    "5QM": dict(
        go_live=D(2010, 2, 1),
        target=75,
        target_date=D(2011, 3, 31),
        first_recruit=D(2010, 3, 31),
        rate=1.2,
        recruited_by_oct2010=9,
        note="9 people signed up since February; we plan to offer budgets to 75 by March 2011.",
    ),
    "5H1": dict(
        go_live=D(2010, 3, 1),
        target=50,
        target_date=D(2011, 12, 31),
        first_recruit=D(2010, 6, 30),
        rate=2.0,
        first_budget=D(2011, 2, 28),
        recruited_by_oct2010=8,
        note="Joint project: 8 people signed up; no budgets released yet.",
    ),
}

COMMENTS = (
    "Care co-ordinators' time taken up by the PCT reorganisation.",
    "Two brokers trained this month.",
    "Support planning taking longer than expected for people with complex needs.",
    "Market of providers still thin; working with the local authority.",
    "Clinician engagement sessions held in three practices.",
    "Finance systems for budgets now in place.",
    "Evaluation recruitment on track.",
    "Staff vacancy in the project team filled.",
    "Savings plans have delayed sign-off of the resource allocation system.",
)


@dataclass
class Site:
    """A site with its illustrative plan."""

    seed: SiteSeed
    go_live: dt.date
    target: int
    target_date: dt.date
    dh_funding: int
    withdrawn_on: dt.date | None
    contact: str
    email: str
    first_return: dt.date
    first_recruit: dt.date
    rate: float
    budget_lag: int
    monthly_budget: float
    infra_factor: float
    dp_share: float
    tp_share: float
    lateness: float  # chance a return is late
    story: dict = field(default_factory=dict)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], month_end(start)
    while day <= end:
        out.append(day)
        day = month_end(add_months(day.replace(day=1), 1))
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


FIRST_NAMES = (
    "Alison",
    "Brian",
    "Claire",
    "David",
    "Emma",
    "Fiona",
    "Gareth",
    "Helen",
    "Ian",
    "Janet",
    "Karen",
    "Liam",
    "Mark",
    "Nadia",
    "Owen",
    "Priya",
    "Rachel",
    "Simon",
    "Tariq",
    "Yvonne",
)
SURNAMES = (
    "Ahmed",
    "Baker",
    "Clarke",
    "Davies",
    "Evans",
    "Green",
    "Hughes",
    "Jones",
    "Khan",
    "Lewis",
    "Morris",
    "Patel",
    "Roberts",
    "Shaw",
    "Taylor",
    "Walker",
    "Wright",
    "Young",
)


def plan_sites(rng: random.Random) -> list[Site]:
    """Give every site its illustrative go-live, target, pace and costs."""
    sites = []
    withdrawn = {"5ET": D(2011, 3, 31), "5PV": D(2011, 9, 30)}
    for seed in SEEDS:
        story = STORIES.get(seed.code, {})
        roll = rng.random()
        if roll < 0.12:
            go_live = D(2009, rng.choice((9, 10, 11, 12)), 1)
        elif roll < 0.82:
            go_live = D(2010, rng.randint(1, 6), 1)
        else:
            go_live = D(2010, rng.randint(7, 12), 1)
        go_live = story.get("go_live", go_live)
        target = story.get("target", rng.choice((15, 20, 25, 30, 30, 40, 40, 50, 60, 75, 100)))
        target_date = story.get("target_date", rng.choice((D(2011, 3, 31), D(2011, 9, 30), D(2012, 3, 31))))
        if target_date <= add_months(go_live, 9):
            target_date = D(2012, 3, 31)
        delay = rng.choice((1, 1, 2, 2, 3, 4, 5, 7))
        first_recruit = story.get("first_recruit", month_end(add_months(go_live, delay)))
        months_to_target = max(
            6, (target_date.year - first_recruit.year) * 12 + target_date.month - first_recruit.month
        )
        speed = rng.choice((0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 1.0))
        rate = story.get("rate", target / months_to_target * speed)
        london = seed.region == "London"
        groups = seed.care_groups.count(";") + 1
        cond = {1: 0.95, 2: 1.09, 3: 0.92}.get(groups, 0.92)
        first_name, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        slug = "".join(ch for ch in seed.name.lower().replace("nhs ", "") if ch.isalnum())[:18]
        sites.append(
            Site(
                seed=seed,
                go_live=go_live,
                target=target,
                target_date=target_date,
                dh_funding=100_000 if seed.in_depth else rng.choice((50_000, 60_000, 70_000, 75_000, 80_000, 90_000)),
                withdrawn_on=withdrawn.get(seed.code),
                contact=f"{first_name} {surname}",
                email=f"{first_name.lower()}.{surname.lower()}@{slug}.nhs.uk",
                first_return=max(FIRST_MONTH, month_end(add_months(go_live, -rng.choice((0, 1, 2, 3))))),
                first_recruit=first_recruit,
                rate=rate,
                budget_lag=rng.choice((1, 1, 2, 2, 3, 4)),
                monthly_budget=story.get("monthly_budget", rng.choice((60, 120, 180, 250, 350, 450, 600, 740))),
                infra_factor=rng.uniform(0.7, 1.3) * cond * (1.2 if london else 1.0),
                dp_share=rng.uniform(0.12, 0.35),
                tp_share=rng.uniform(0.03, 0.1),
                lateness=rng.choice((0.03, 0.05, 0.08, 0.1, 0.25)),
                story=story,
            )
        )
    return sites


# Infrastructure spend per month by year since the site's first return: calibrated
# so the average site spends about £93,000 in year one and £146,000 over two.
INFRA_BY_YEAR = (7_300.0, 4_150.0, 2_600.0, 2_000.0)


def simulate(site: Site, rng: random.Random, last_month: dt.date = LAST_MONTH) -> list[dict]:
    """Monthly figures for one site, before lateness, gaps and slips are applied."""
    end = min(last_month, month_end(site.withdrawn_on) if site.withdrawn_on else last_month)
    recruited = plans = notional = third = direct = offered = 0
    first_budget = site.story.get("first_budget")
    rows = []
    for i, period in enumerate(_months(site.first_return, end)):
        if period >= site.first_recruit:
            k = (period.year - site.first_recruit.year) * 12 + period.month - site.first_recruit.month
            pace = site.rate * min(1.0, (k + 1) / 4)
            if recruited >= site.target:
                pace *= 0.15
            recruited += _poisson(rng, pace) + (1 if k == 0 else 0)
        story_count = site.story.get("recruited_by_oct2010")
        if story_count is not None and period in (D(2010, 10, 31), D(2010, 11, 30)):
            recruited = story_count
        elif story_count is not None and period < D(2010, 10, 31):
            recruited = min(recruited, story_count)
        plans += math.ceil((recruited - plans) * rng.uniform(0.3, 0.6))
        budget_open = (
            first_budget is None and period >= month_end(add_months(site.first_recruit, site.budget_lag))
        ) or (first_budget is not None and period >= first_budget)
        if budget_open:
            new = math.ceil((plans - (notional + third + direct)) * rng.uniform(0.25, 0.5))
            dp_ok = site.seed.direct_payments_from is not None and period >= site.seed.direct_payments_from
            for _ in range(new):
                r = rng.random()
                if dp_ok and r < site.dp_share:
                    direct += 1
                elif r < site.dp_share + site.tp_share:
                    third += 1
                else:
                    notional += 1
        offered = max(offered, math.ceil(recruited * 1.35) + (2 if recruited else rng.choice((0, 0, 3))))
        budgets = notional + third + direct
        care = budgets * site.monthly_budget * rng.uniform(0.8, 1.2)
        year = min(i // 12, len(INFRA_BY_YEAR) - 1)
        infra = INFRA_BY_YEAR[year] * site.infra_factor * rng.uniform(0.75, 1.25)
        rows.append(
            {
                "site_code": site.seed.code,
                "period_end": period,
                "people_offered": offered,
                "people_recruited": recruited,
                "care_plans_agreed": plans,
                "budgets_notional": notional,
                "budgets_third_party": third,
                "budgets_direct_payment": direct,
                "spend_care_gbp": round(care, 2),
                "spend_infrastructure_gbp": round(infra, 2),
                "commentary": "",
            }
        )
    pinned = site.story.get("care_to_oct2010")
    if pinned:  # scale the early months so care spend to Oct 2010 is what the press reported
        early = [r for r in rows if r["period_end"] <= D(2010, 10, 31)]
        total = sum(r["spend_care_gbp"] for r in early)
        for r in early:
            r["spend_care_gbp"] = round(r["spend_care_gbp"] * pinned / total, 2)
    return rows


def _submitted(period: dt.date, late: bool, rng: random.Random) -> dt.date:
    due = add_months(period.replace(day=1), 1).replace(day=DUE_DAY)
    if late:
        return due + dt.timedelta(days=rng.randint(3, 40))
    return due - dt.timedelta(days=rng.randint(0, 12))


@dataclass
class Programme:
    """The generated register and return files."""

    register: list[dict]
    files: dict[str, list[dict]]  # file name -> rows, in load order


def register_row(site: Site) -> dict:
    """A generated site as a row of the register file."""
    return {
        "site_code": site.seed.code,
        "site_name": site.seed.name,
        "region": site.seed.region,
        "cohort": "in-depth" if site.seed.in_depth else "wider",
        "care_groups": site.seed.care_groups,
        "direct_payments_from": site.seed.direct_payments_from,
        "go_live": site.go_live,
        "recruitment_target": site.target,
        "target_date": site.target_date,
        "dh_funding_gbp": site.dh_funding,
        "withdrawn_on": site.withdrawn_on,
        "contact_name": site.contact,
        "contact_email": site.email,
    }


def generate(seed: int = SEED) -> Programme:
    """The demo programme for a seed."""
    rng = random.Random(seed)
    sites = plan_sites(rng)
    monthly: dict[dt.date, list[dict]] = {}
    resubmissions: dict[str, list[dict]] = {}
    for site in sites:
        rows = simulate(site, rng)
        for row in rows:
            period = row["period_end"]
            story = site.story
            if story.get("note") and D(2010, 10, 31) <= period <= D(2010, 11, 30):
                row["commentary"] = story["note"]
            elif rng.random() < 0.18:
                row["commentary"] = rng.choice(COMMENTS)
            late = rng.random() < site.lateness and not (story and D(2010, 9, 30) <= period <= D(2010, 11, 30))
            row["submitted_on"] = _submitted(period, late, rng)
            # Story sites always send their returns on time: the press told their figures.
            missing = not story and rng.random() < 0.035 and period > site.first_return
            if missing:
                continue
            if not story and row["people_recruited"] >= 10 and rng.random() < 0.02:
                # A slip: a digit dropped from people recruited; the corrected return follows.
                slipped = dict(row, people_recruited=row["people_recruited"] // 10)
                monthly.setdefault(period, []).append(slipped)
                fixed = dict(
                    row,
                    submitted_on=row["submitted_on"] + dt.timedelta(days=rng.randint(5, 20)),
                    commentary="Resubmitted: people recruited corrected (a digit was dropped).",
                )
                if rng.random() < 0.75:
                    resubmissions.setdefault(f"returns_{period:%Y-%m}_resubmission_{site.seed.code}.csv", []).append(
                        fixed
                    )
                continue
            if not story and rng.random() < 0.01 and row["spend_care_gbp"] > 0:
                monthly.setdefault(period, []).append(row)
                fixed = dict(
                    row,
                    spend_care_gbp=round(row["spend_care_gbp"] * 1.1, 2),
                    submitted_on=row["submitted_on"] + dt.timedelta(days=rng.randint(10, 40)),
                    commentary="Resubmitted: late invoices for care added.",
                )
                resubmissions.setdefault(f"returns_{period:%Y-%m}_resubmission_{site.seed.code}.csv", []).append(fixed)
                continue
            monthly.setdefault(period, []).append(row)
    files: dict[str, list[dict]] = {}
    for period in sorted(monthly):
        files[f"returns_{period:%Y-%m}.csv"] = sorted(monthly[period], key=lambda r: r["site_code"])
    for name in sorted(resubmissions):
        files[name] = resubmissions[name]
    register = [register_row(s) for s in sorted(sites, key=lambda s: s.seed.code)]
    return Programme(register, files)


# A scaled programme (python -m tracker demo --sites N --months M) ends here, so that every
# month is in the past however many months it has, and the output is the same whenever it is made.
SCALED_LAST_MONTH = D(2025, 3, 31)
SCALED_REGION_LIMIT = 70  # above this many sites, a national roll-out's own regions


def scaled_regions(sites: int) -> tuple[str, ...]:
    """The ten SHA regions for a pilot-sized programme; 42 integrated care boards for a national one."""
    if sites <= SCALED_REGION_LIMIT:
        return tuple(sorted({s.region for s in SEEDS}))
    return tuple(f"Integrated care board {i:02d}" for i in range(1, 43))


def generate_scaled(sites: int, months: int, seed: int = SEED) -> tuple[Programme, dict[str, str]]:
    """A synthetic programme of any size, with its own window and regions; gives it and its meta settings."""
    import json

    if sites < 1 or months < 1:
        raise TrackerError("a scaled programme needs at least one site and one month")
    rng = random.Random(seed)
    start = add_months(SCALED_LAST_MONTH.replace(day=1), -(months - 1))
    regions = scaled_regions(sites)
    groups = ("continuing healthcare", "mental health", "long-term conditions", "end of life", "diabetes", "COPD")
    planned = []
    for i in range(1, sites + 1):
        go_live = add_months(start, rng.randint(0, max(0, min(18, months // 3))))
        seed_ = SiteSeed(
            code=f"S{i:05d}",
            name=f"Synthetic site {i:05d}",
            region=regions[(i - 1) % len(regions)],
            care_groups=";".join(sorted(rng.sample(groups, rng.choice((1, 1, 2, 3))))),
            in_depth=rng.random() < 0.3,
            direct_payments_from=add_months(go_live, rng.randint(3, 12)) if rng.random() < 0.4 else None,
            named=False,
        )
        target = rng.choice((15, 20, 25, 30, 40, 50, 60, 75, 100))
        delay = rng.choice((1, 1, 2, 2, 3, 4, 5, 7))
        first_recruit = month_end(add_months(go_live, delay))
        target_date = month_end(add_months(go_live, rng.choice((12, 18, 24))))
        months_to_target = max(
            6, (target_date.year - first_recruit.year) * 12 + target_date.month - first_recruit.month
        )
        planned.append(
            Site(
                seed=seed_,
                go_live=go_live,
                target=target,
                target_date=target_date,
                dh_funding=rng.choice((50_000, 75_000, 100_000)),
                withdrawn_on=None,
                contact=f"Contact {i:05d}",
                email=f"returns.{i:05d}@example.nhs.uk",
                first_return=month_end(start),  # every site reports from the start, set-up months too
                first_recruit=first_recruit,
                rate=target / months_to_target * rng.choice((0.35, 0.5, 0.7, 0.85, 1.0)),
                budget_lag=rng.choice((1, 2, 3)),
                monthly_budget=rng.choice((60, 180, 350, 600)),
                infra_factor=rng.uniform(0.7, 1.3),
                dp_share=rng.uniform(0.12, 0.35),
                tp_share=rng.uniform(0.03, 0.1),
                lateness=rng.choice((0.03, 0.05, 0.1)),
            )
        )
    monthly: dict[dt.date, list[dict]] = {}
    for site in planned:
        for row in simulate(site, rng, SCALED_LAST_MONTH):
            if row["period_end"] > site.first_return and rng.random() < 0.02:
                continue  # a missing return
            row["submitted_on"] = _submitted(row["period_end"], rng.random() < site.lateness, rng)
            monthly.setdefault(row["period_end"], []).append(row)
    files = {f"returns_{p:%Y-%m}.csv": monthly[p] for p in sorted(monthly)}
    register = [register_row(s) for s in planned]
    meta = {
        "programme_name": f"Synthetic programme of {sites:,} sites over {months} months",
        "programme_start": start.isoformat(),
        "programme_end": SCALED_LAST_MONTH.isoformat(),
        "regions": json.dumps(list(regions)),
    }
    return Programme(register, files), meta


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    """Rows in the canonical form: UTF-8, ISO dates, plain numbers."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row[c] for c in columns})
    return out.getvalue().encode("utf-8")


def write(programme: Programme, out_dir: Path) -> list[Path]:
    """Write sites.csv and returns/*.csv under ``out_dir``; stale return files are removed."""
    returns_dir = out_dir / "returns"
    returns_dir.mkdir(parents=True, exist_ok=True)
    for old in returns_dir.glob("returns_*.csv"):
        if old.name not in programme.files:
            old.unlink()
    written = [out_dir / "sites.csv"]
    written[0].write_bytes(to_csv(programme.register, contract.names(contract.REGISTER_COLUMNS)))
    for name, rows in programme.files.items():
        path = returns_dir / name
        path.write_bytes(to_csv(rows, contract.names(contract.RETURN_COLUMNS)))
        written.append(path)
    return written


def open_with_demo(db: str | os.PathLike | None = None) -> Store:
    """The store ``--db`` names (else TRACKER_DB), ready to use; the default database is built from the
    shipped demo files first if it is missing, or was written by a newer DuckDB (it is only demo data).

    A store named with ``--db`` or TRACKER_DB is never filled with demo data unasked.
    """
    from tracker.store import locate

    store = locate(db)
    if store.is_default:  # a file on this machine
        with _early_lock:
            early = _early_build
        if early is not None:
            early.join()
        _ensure_default(store)
    store.upgrade()
    return store


def build_default_soon() -> None:
    """On a first start, begin building the default demo database now, in a thread of its own.

    A new dashboard server calls this as it starts (pages/_startup.py), and every page run before the
    page's own imports (dashboard.py ``main``), in case the server was started otherwise (AppTest): the
    heavy imports (pandas, Altair) follow while DuckDB's share of the build runs on the other core.
    ``open_with_demo`` waits for it. Does nothing when the database is there, or another one is named
    (TRACKER_DB).
    """
    global _early_build
    from tracker.store import locate

    store = locate()
    if not store.is_default or store.exists():
        return
    with _early_lock:
        if _early_build is None:
            _early_build = threading.Thread(target=_ensure_default_quietly, args=(store,), name="demo build")
            _early_build.start()


_early_build: threading.Thread | None = None
_early_lock = threading.Lock()


def _ensure_default(store: Store) -> None:
    """Build the default database from the shipped demo files if it is missing or unreadable here."""
    if store.exists() and not store.readable():
        store.remove()
    if not store.exists():  # if another process builds it meanwhile, keep theirs
        store.load_whole(lambda new: _fill_from_files(new, DEMO_DATA, "demo builder"), lambda con: False)


def _ensure_default_quietly(store: Store) -> None:
    # A failure here is not lost: open_with_demo, in the page's own run, builds again and says why.
    with contextlib.suppress(Exception):
        _ensure_default(store)


def build(store: Store, data_dir: Path, *, user: str = "demo builder") -> None:
    """Fill ``store`` with the demo programme in ``data_dir``, all at once (replacing demo data only)."""
    store.load_whole(lambda new: _fill_from_files(new, data_dir, user), _empty_or_demo(store))


def build_generated(store: Store, programme: Programme, meta: dict[str, str], *, user: str = "demo builder") -> None:
    """Fill ``store`` with a scaled programme straight from the generator's rows (all at once, as ``build``).

    The register goes through the usual validated load. The returns are typed, valid rows
    already, so they skip the CSV round trip: each month is inserted as one load (its load-log
    line names the month's file and says it was generated) and the derived data is made once
    at the end. Loading real files goes through ``ingest`` and its validation, as always.
    """
    store.load_whole(lambda new: _fill_generated(new, programme, meta, user), _empty_or_demo(store))


def _empty_or_demo(store: Store) -> Callable:
    """Replace a store only when it holds demo data or nothing; refuse, plainly, one with real data."""
    from tracker.backup import holds_data
    from tracker.store import get_meta

    def decide(con) -> bool:
        if holds_data(con) and get_meta(con, "is_demo") != "true":
            raise TrackerError(
                f"{store.describe()} holds a programme's own data, not the demo: the demo replaces only demo "
                "data or an empty store. Choose another --db."
            )
        return True

    return decide


def _start(con: DuckDBPyConnection, register: bytes, meta: dict[str, str], user: str, today: dt.date) -> None:
    """Mark a new database as demo data, record its programme and load its register (the caller's write)."""
    from tracker.ingest import read_incoming
    from tracker.register import record_file
    from tracker.store import set_meta
    from tracker.store.schema import seed_rules

    set_meta(con, "is_demo", "true")
    for key, value in meta.items():
        set_meta(con, key, value)
    seed_rules(con, replace=True)  # the new programme's own window (the store holds nothing yet)
    result = record_file(con, read_incoming("sites.csv", register), user=user, today=today)
    if not result.ok:
        raise TrackerError(f"the demo register does not load: {result.problems[0]}")


def _fill_from_files(store: Store, data_dir: Path, user: str) -> None:
    """The register and every return file in one write: each file validated and judged as ``ingest``
    would judge it after the ones before it, with its own load-log line; the derived data made once."""
    from tracker.config import current
    from tracker.ingest import load_files, read_incoming

    register = (data_dir / "sites.csv").read_bytes()
    limit = current().max_upload_bytes
    files = [read_incoming(path.name, path.read_bytes(), limit) for path in demo_files(data_dir)]
    today = dt.date.today()

    def fill(con: DuckDBPyConnection) -> None:
        _start(con, register, {}, user, today)
        refused = [r for r in load_files(con, files, user=user, today=today) if not r.ok]
        if refused:
            raise TrackerError(f"a demo return file does not load: {refused[0].problems[0]}")

    store.write(fill)


def _fill_generated(store: Store, programme: Programme, meta: dict[str, str], user: str) -> None:
    from tracker.ingest import FileResult, Writes

    register = to_csv(programme.register, contract.names(contract.REGISTER_COLUMNS))
    today = dt.date.today()

    def fill(con: DuckDBPyConnection) -> None:
        _start(con, register, meta, user, today)
        writes = Writes(con, user)
        for name, rows in programme.files.items():
            done = FileResult(file=f"{name} (generated)", sha256=None, outcome="accepted", rows=len(rows))
            writes.add(done, [{**r, "row": i} for i, r in enumerate(rows, start=2)], new_returns=len(rows))
        writes.store()

    store.write(fill)


def demo_files(data_dir: Path) -> list[Path]:
    """The demo return files in load order: each month, then the resubmissions."""
    files = sorted((data_dir / "returns").glob("returns_*.csv"))
    return [p for p in files if "resubmission" not in p.name] + [p for p in files if "resubmission" in p.name]
