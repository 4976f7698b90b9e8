"""Check a table of cells against the data contract: typed records, or every problem found."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tracker import contract
from tracker.config import Config
from tracker.errors import FileRefused, Problem
from tracker.readers import Table
from tracker.values import cell_text, is_month_end, parse_count, parse_date, parse_money, uk_date

MAX_PROBLEMS = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COHORTS = ("in-depth", "wider")


@dataclass(frozen=True)
class SiteInfo:
    """What validation needs to know of a registered site."""

    site_code: str
    go_live: dt.date
    direct_payments_from: dt.date | None


def _check_header(table: Table, columns: tuple[contract.Column, ...]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in table.header:
        if name and name in seen:
            problems.append(Problem(table.file, "the column appears twice", row=1, column=name))
        seen.add(name)
    for name in contract.required(columns):
        if name not in seen:
            problems.append(Problem(table.file, "a required column is missing", row=1, column=name))
    return problems


def _parse_rows(
    table: Table, columns: tuple[contract.Column, ...], cfg: Config
) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """Parse every known column of every row by its kind."""
    parsers: dict[str, Callable[[object], object]] = {
        "date": parse_date,
        "count": parse_count,
        "money": lambda c: parse_money(c, cfg.max_monthly_spend_gbp),
    }
    index = {name: i for i, name in enumerate(table.header)}
    problems: list[Problem] = []
    records = []
    for row_no, cells in table.rows:
        record: dict[str, object] = {}
        for col in columns:
            i = index.get(col.name)
            cell = cells[i] if i is not None and i < len(cells) else None
            text = cell_text(cell)
            if not text:
                record[col.name] = None
                if col.required and i is not None:
                    problems.append(Problem(table.file, "is blank but required", row_no, col.name, ""))
                continue
            parse = parsers.get(col.kind)
            if parse is None:
                record[col.name] = text
                continue
            try:
                record[col.name] = parse(cell)
            except ValueError as exc:
                problems.append(Problem(table.file, str(exc), row_no, col.name, text))
                record[col.name] = None
        records.append((row_no, record))
    return records, problems


def _refuse_if(problems: list[Problem]) -> None:
    if problems:
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            problems = [
                *problems[:MAX_PROBLEMS],
                Problem(problems[0].file, f"… and {extra:,} more problems not listed"),
            ]
        raise FileRefused(problems)


def validate_returns(table: Table, sites: Mapping[str, SiteInfo], cfg: Config, today: dt.date) -> list[dict]:
    """Typed return rows of a file, or FileRefused with every hard error in it."""
    problems = _check_header(table, contract.RETURN_COLUMNS)
    _refuse_if(problems)
    records, problems = _parse_rows(table, contract.RETURN_COLUMNS, cfg)
    first_row: dict[tuple[str, dt.date], int] = {}
    for row_no, rec in records:
        code, period = rec["site_code"], rec["period_end"]
        if code is not None and code not in sites:
            problems.append(Problem(table.file, "is not a site in the register", row_no, "site_code", code))
        if period is not None:
            where = (table.file, row_no, "period_end", period.isoformat())
            if not is_month_end(period):
                problems.append(Problem(where[0], "is not the last day of a month", *where[1:]))
            elif period < cfg.start:
                problems.append(
                    Problem(where[0], f"is before the programme started ({uk_date(cfg.start)})", *where[1:])
                )
            elif period > cfg.end:
                problems.append(Problem(where[0], f"is after the programme ended ({uk_date(cfg.end)})", *where[1:]))
            elif period > today:
                problems.append(Problem(where[0], "is in the future", *where[1:]))
        submitted = rec.get("submitted_on")
        if submitted is not None and submitted > today:
            problems.append(Problem(table.file, "is in the future", row_no, "submitted_on", submitted.isoformat()))
        if code is not None and period is not None:
            key = (code, period)
            if key in first_row:
                problems.append(
                    Problem(
                        table.file,
                        f"the same site and month appear twice (also row {first_row[key]})",
                        row_no,
                        "period_end",
                        f"{code} {period.isoformat()}",
                    )
                )
            else:
                first_row[key] = row_no
    _refuse_if(problems)
    return [dict(rec, row=row_no) for row_no, rec in records]


def validate_register(table: Table, cfg: Config) -> list[dict]:
    """Typed site rows of a register file, or FileRefused with every problem in it."""
    problems = _check_header(table, contract.REGISTER_COLUMNS)
    _refuse_if(problems)
    records, problems = _parse_rows(table, contract.REGISTER_COLUMNS, cfg)
    groups = {g.lower(): g for g in cfg.care_groups}
    regions = {r.lower(): r for r in cfg.regions}
    seen: dict[str, int] = {}
    for row_no, rec in records:
        f = table.file
        code = rec["site_code"]
        if code is not None:
            if code in seen:
                problems.append(
                    Problem(f, f"the site code appears twice (also row {seen[code]})", row_no, "site_code", code)
                )
            seen.setdefault(code, row_no)
        if rec["region"] is not None:
            canon = regions.get(rec["region"].lower())
            if canon is None:
                problems.append(
                    Problem(
                        f, "is not one of the programme's regions (see tracker.toml)", row_no, "region", rec["region"]
                    )
                )
            rec["region"] = canon
        if rec["cohort"] is not None:
            cohort = rec["cohort"].lower()
            if cohort not in COHORTS:
                problems.append(Problem(f, "must be 'in-depth' or 'wider'", row_no, "cohort", rec["cohort"]))
            rec["cohort"] = cohort
        if rec["care_groups"] is not None:
            names = [g.strip() for g in rec["care_groups"].split(";") if g.strip()]
            unknown = [g for g in names if g.lower() not in groups]
            if unknown or not names:
                problems.append(
                    Problem(
                        f,
                        "holds a care group not in the programme's list (see tracker.toml)",
                        row_no,
                        "care_groups",
                        "; ".join(unknown) or rec["care_groups"],
                    )
                )
            rec["care_groups"] = ";".join(groups.get(g.lower(), g) for g in names)
        if rec["go_live"] and rec["target_date"] and rec["target_date"] <= rec["go_live"]:
            problems.append(Problem(f, "must be after go_live", row_no, "target_date", rec["target_date"].isoformat()))
        email = rec.get("contact_email")
        if email and not _EMAIL.match(email):
            problems.append(Problem(f, "is not an e-mail address", row_no, "contact_email", email))
    _refuse_if(problems)
    return [rec for _, rec in records]
