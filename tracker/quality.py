"""Data-quality checks: things a return may say that are stored, but shown as warnings."""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from tracker import contract
from tracker.config import Config
from tracker.validate import SiteInfo
from tracker.values import add_months, gbp, month_end, plural, uk_date

SPEND_HISTORY_MONTHS = 6


@dataclass(frozen=True)
class QualityWarning:
    """One data-quality warning on one return."""

    site_code: str
    period_end: dt.date
    check: str
    column: str | None
    message: str


def _figures(latest: list[dict], records: list[dict]) -> dict[tuple[str, dt.date], dict]:
    """The figures each site-month will have once the file is in: the file wins over the database."""
    merged: dict[tuple[str, dt.date], dict] = {}
    for row in latest:
        if not row["is_void"]:
            merged[(row["site_code"], row["period_end"])] = row
    for rec in records:
        merged[(rec["site_code"], rec["period_end"])] = rec
    return merged


def _add(found: list[QualityWarning], code: str, period: dt.date, check: str, column: str | None, message: str) -> None:
    found.append(QualityWarning(code, period, check, column, message))


def check_returns(
    records: list[dict], latest: list[dict], sites: Mapping[str, SiteInfo], cfg: Config
) -> list[QualityWarning]:
    """Every warning raised by the rows of a file, read against the site's other months.

    ``latest`` holds the latest stored version of (at least) the month before each row and the
    SPEND_HISTORY_MONTHS months with a return before it; more months of the same sites change nothing.
    """
    figures = _figures(latest, records)
    by_site: dict[str, list[dt.date]] = {}
    for code, period in figures:
        by_site.setdefault(code, []).append(period)
    for periods in by_site.values():
        periods.sort()
    warnings: list[QualityWarning] = []
    for rec in records:
        code, period = rec["site_code"], rec["period_end"]

        warn = functools.partial(_add, warnings, code, period)

        prev_period = month_end(add_months(period.replace(day=1), -1))
        prev = figures.get((code, prev_period))
        if prev is not None:
            for col in contract.RETURN_COUNT_COLUMNS:
                before, now = prev[col], rec[col]
                if before is not None and not pd.isna(before) and now < before:
                    warn("count_fell", col, f"{col} fell from {int(before):,} to {now:,} since {uk_date(prev_period)}")
        if rec["care_plans_agreed"] > rec["people_recruited"]:
            warn(
                "plans_exceed_recruits",
                "care_plans_agreed",
                f"{plural(rec['care_plans_agreed'], 'care plan', 'care plans')} agreed but only "
                f"{plural(rec['people_recruited'], 'person', 'people')} recruited",
            )
        budgets = rec["budgets_notional"] + rec["budgets_third_party"] + rec["budgets_direct_payment"]
        if budgets > rec["people_recruited"]:
            warn(
                "budgets_exceed_recruits",
                "people_recruited",
                f"{plural(budgets, 'budget', 'budgets')} in place but only "
                f"{plural(rec['people_recruited'], 'person', 'people')} recruited",
            )
        site = sites.get(code)
        if rec["budgets_direct_payment"] > 0 and site is not None:
            allowed = site.direct_payments_from
            if allowed is None:
                warn(
                    "direct_payment_not_authorised",
                    "budgets_direct_payment",
                    f"{plural(rec['budgets_direct_payment'], 'direct payment', 'direct payments')}, "
                    "but the site is not authorised to make them",
                )
            elif period < allowed:
                warn(
                    "direct_payment_not_authorised",
                    "budgets_direct_payment",
                    f"{plural(rec['budgets_direct_payment'], 'direct payment', 'direct payments')} "
                    f"before the site's authorisation from {uk_date(allowed)}",
                )
        if rec.get("submitted_on") is not None and rec["submitted_on"] < period:
            warn(
                "submitted_before_period_end",
                "submitted_on",
                f"submitted on {uk_date(rec['submitted_on'])}, before the month ended",
            )
        earlier = [p for p in by_site[code] if p < period][-SPEND_HISTORY_MONTHS:]
        for col in contract.RETURN_MONEY_COLUMNS:
            history = [float(figures[(code, p)][col]) for p in earlier]
            history = [h for h in history if h > 0]
            amount = float(rec[col])
            if len(history) < cfg.spend_outlier_min_history or amount < cfg.spend_outlier_min_amount_gbp:
                continue
            typical = statistics.median(history)
            if amount > cfg.spend_outlier_ratio * typical:
                warn(
                    "spend_out_of_line",
                    col,
                    f"{col} of {gbp(amount)} is {amount / typical:.0f}× the site's typical month ({gbp(typical)})",
                )
    return warnings
