"""Stall flags and site status as of a date (the rules are SQL: sql/macros/flags.sql)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tracker import queries
from tracker.store import Store

SEVERITY_ORDER = {"red": 0, "amber": 1}
STATUS_ORDER = ("Stalled", "At risk", "On track", "Not live", "Withdrawn")

# What each flag means, in the words the dashboard shows under "How flags are decided".
FLAG_RULES = {
    "NO_RECRUITS": (
        "red",
        "{no_recruits_after_months}+ months after go-live and nobody recruited (or no return known)",
    ),
    "NO_BUDGETS": (
        "red",
        "the first return with anyone recruited is for a month ending {no_budgets_after_months}+ months ago, "
        "yet no budget of any kind is in place",
    ),
    "NO_CARE_SPEND": (
        "red",
        "the first return with a budget in place is for a month ending {no_care_spend_after_months}+ months ago, "
        "and the {no_care_spend_returns} latest returns report nothing spent on care",
    ),
    "BEHIND_TARGET": (
        "amber / red",
        "{behind_target_after_months}+ months after go-live, people recruited are below {behind_target_amber_pct}% "
        "(amber) or {behind_target_red_pct}% (red) of the straight-line trajectory: target × the share of the time "
        "from go-live to the target date that has passed",
    ),
    "PLATEAU": (
        "amber",
        "the {plateau_returns} latest returns since go-live show no rise in people recruited, and the site is below "
        "its target",
    ),
    "SET_UP_ONLY": (
        "amber",
        "{set_up_only_after_months}+ months after go-live, infrastructure spend to date is at least "
        "£{set_up_only_min_infrastructure_gbp:,.0f} and care spend to date is under {set_up_only_max_care_pct}% of it",
    ),
    "LATE_RETURN": ("amber", "the latest due return is missing (due on day {return_due_day} of the next month)"),
    "MISSING_RETURNS": ("red", "the {missing_returns_count} latest due returns are all missing"),
}


def default_as_of(store: Store) -> dt.date | None:
    """The latest date a return was sent (or the latest month end loaded)."""
    with store.read() as con:
        value = queries.execute(con, "default_as_of").fetchone()[0]
    return None if value is None else pd.Timestamp(value).date()


def raised(store: Store, as_of: dt.date, region: str | None = None, cohort: str | None = None) -> pd.DataFrame:
    """One row per flag raised as of a date, worst first."""
    with store.read() as con:
        return queries.frame(con, "site_flags", as_of=as_of, region=region, cohort=cohort)


def statuses(store: Store, as_of: dt.date, region: str | None = None, cohort: str | None = None) -> pd.DataFrame:
    """One row per site in the register with its status."""
    with store.read() as con:
        return queries.frames_at(con, "site_status", [as_of], region=region, cohort=cohort)[0]


def rules_text(thresholds: dict[str, float]) -> dict[str, tuple[str, str]]:
    """Each flag's severity and rule with the thresholds in force filled in."""
    settings = thresholds
    values = {
        **settings,
        "behind_target_amber_pct": round(100 * settings["behind_target_amber_below"]),
        "behind_target_red_pct": round(100 * settings["behind_target_red_below"]),
        "set_up_only_max_care_pct": round(100 * settings["set_up_only_max_care_share"]),
    }
    return {flag: (severity, text.format(**values)) for flag, (severity, text) in FLAG_RULES.items()}


_RANK = {"On track": 0, "At risk": 1, "Stalled": 2}


def _change(before: str, after: str) -> str | None:
    if after not in _RANK:
        return None
    was = _RANK.get(before, -1)  # Not live (or new) counts as below On track
    now = _RANK[after]
    if now > was:
        return "Newly stalled" if after == "Stalled" else ("Newly at risk" if after == "At risk" else None)
    if now < was:
        return "Recovered" if after == "On track" else "Improved"
    return None


def status_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Sites whose status moved between two evaluations: newly stalled or at risk, improved, recovered."""
    merged = after.merge(before[["site_code", "status"]], on="site_code", how="left", suffixes=("", "_before"))
    merged["status_before"] = merged["status_before"].fillna("Not live")
    pairs = zip(merged.status_before.tolist(), merged.status.tolist(), strict=True)
    merged["change"] = [_change(b, a) for b, a in pairs]
    return merged[merged.change.notna()].reset_index(drop=True)


def flag_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flags raised now that were not raised before, and flags raised before that have cleared."""
    key = ["site_code", "flag"]
    new = after.merge(before[key], on=key, how="left", indicator=True)
    cleared = before.merge(after[key], on=key, how="left", indicator=True)
    return (
        new[new._merge == "left_only"].drop(columns="_merge").reset_index(drop=True),
        cleared[cleared._merge == "left_only"].drop(columns="_merge").reset_index(drop=True),
    )
