"""The site register, kept as history: a register file or an edit in the browser adds versions.

What a register file means:

* It lists **every site** in the programme, each as it should stand from the day the change takes
  effect. A file that leaves out a registered site is refused, naming the sites: leaving a site
  out could mean "unchanged" or "gone", and the tracker does not guess. A site leaves the
  programme by its ``withdrawn_on``, never by deletion (its returns and history stay).
* A change takes effect **on the day it is loaded** unless ``effective_from`` dates it (past or
  future), even when a date inside the entry is earlier: a withdrawal loaded on 10 May with
  ``withdrawn_on`` 30 April leaves the view of 30 April as it was known then.
* A **correction** (``correction=True``) fixes a mistake on every date: each changed field takes
  the new value wherever the mistaken one was in effect (``tracker.history.correct``).
* A site new to the register counts from the start when it comes with the store's first register
  (setting up a programme), and otherwise from the day the change takes effect.
* A change needs a reason; a file that changes nothing records nothing new (its load-log line says
  "already loaded").

Every accepted load adds versions (``site_versions``) tied to its load-log line (when, by whom);
the derived data is brought up to date from the earliest day the change touches.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal

import duckdb
import pandas as pd

from tracker import contract, derived, queries
from tracker.config import Config
from tracker.errors import FileRefused, Problem
from tracker.history import Version, change, correct, in_effect
from tracker.ingest import FileResult, Incoming, current_user, next_ids, read_incoming, record_load
from tracker.readers import Table
from tracker.store import Store, programme_config
from tracker.validate import validate_register
from tracker.values import uk_date

FIELDS: tuple[str, ...] = tuple(contract.names(contract.REGISTER_COLUMNS))
# What an editor may change from the browser (the rest come with a register file).
EDITABLE: tuple[str, ...] = (
    "recruitment_target",
    "target_date",
    "go_live",
    "withdrawn_on",
    "contact_name",
    "contact_email",
)
DATES = tuple(c.name for c in contract.REGISTER_COLUMNS if c.kind == "date")


def _normal(name: str, value: object) -> object:
    """One comparable form for a value, from a file or from the database."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if name == "dh_funding_gbp":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if name in DATES:
        return value.date() if isinstance(value, dt.datetime | pd.Timestamp) else value
    if name == "recruitment_target":
        return int(value)
    return value


def entry(record: Mapping[str, object]) -> dict[str, object]:
    """A site's values in comparable form (site_code left out: it names the site)."""
    return {name: _normal(name, record.get(name)) for name in FIELDS if name != "site_code"}


def histories(con: duckdb.DuckDBPyConnection) -> dict[str, list[Version]]:
    """Every site's versions in effect on some day (the latest recorded for each effective day)."""
    frame = queries.frame(con, "register_versions")
    found: dict[str, list[Version]] = {}
    for row in frame.to_dict("records"):
        start = row["effective_from"]
        start = None if start is None or pd.isna(start) else _normal("go_live", start)
        found.setdefault(row["site_code"], []).append(Version(start, entry(row)))
    return found


def _shown(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _store_versions(
    con: duckdb.DuckDBPyConnection,
    made: list[tuple[str, Version]],
    *,
    correction: bool,
    reason: str | None,
    load_id: int,
) -> None:
    first = next_ids(con)["site_version_id"]
    rows = []
    for offset, (code, version) in enumerate(made):
        changes = {name: [_shown(a), _shown(b)] for name, (a, b) in version.changes.items()}
        rows.append(
            {
                "version_id": first + offset,
                "site_code": code,
                **version.values,
                "effective_from": version.effective_from,
                "is_correction": correction,
                "changes": json.dumps(changes, ensure_ascii=False) if changes else None,
                "reason": reason,
                "load_id": load_id,
            }
        )
    frame = pd.DataFrame(rows)
    for col in (*DATES, "effective_from"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    frame["dh_funding_gbp"] = frame["dh_funding_gbp"].astype("float64")
    con.register("incoming_versions", frame)
    queries.execute(con, "insert_site_versions")
    con.unregister("incoming_versions")


def plan(
    history: Mapping[str, list[Version]],
    records: list[dict],
    *,
    effective_from: dt.date | None,
    correction: bool,
    today: dt.date,
) -> list[tuple[str, Version]]:
    """The versions a set of entries adds to the register's history (pure: see tracker.history)."""
    first_register = not history
    made: list[tuple[str, Version]] = []
    for record in records:
        code, values = record["site_code"], entry(record)
        versions = history.get(code, [])
        if not versions:  # new to the register
            start = None if (first_register or correction) and effective_from is None else effective_from or today
            made += [(code, Version(start, values))]
        elif correction:
            made += [(code, v) for v in correct(versions, values, today)]
        else:
            made += [(code, v) for v in change(versions, values, effective_from or today)]
    return made


def _registered_from(history: Mapping[str, list[Version]], records: list[dict]) -> dict[str, dt.date]:
    """The sites in ``records`` whose first entry takes effect on a day (not from the start)."""
    found = {}
    for record in records:
        versions = history.get(record["site_code"], [])
        starts = [v.effective_from for v in versions]
        if versions and None not in starts:
            found[record["site_code"]] = min(starts)
    return found


def _describe(made: list[tuple[str, Version]]) -> list[str]:
    lines = []
    for code, version in made:
        when = "from the start" if version.effective_from is None else f"from {uk_date(version.effective_from)}"
        what = "; ".join(f"{n} {_shown(a)} → {_shown(b)}" for n, (a, b) in version.changes.items()) or "registered"
        lines.append(f"{code} {when}: {what}")
    return lines


def record(
    con: duckdb.DuckDBPyConnection,
    result: FileResult,
    records: list[dict],
    *,
    whole: bool,
    effective_from: dt.date | None,
    correction: bool,
    reason: str | None,
    user: str,
    today: dt.date,
) -> FileResult:
    """Check and record a set of validated entries inside the caller's write (refusals logged too)."""
    history = histories(con)
    problems: list[Problem] = []
    if correction and effective_from is not None:
        problems.append(
            Problem(result.file, "a correction applies to every date: give --correction or --effective-from, not both")
        )
    if whole and history:
        missing = sorted(set(history) - {r["site_code"] for r in records})
        problems += [
            Problem(
                result.file,
                "the site is in the register but not in this file: a register file lists every site "
                "(to take a site out of the programme, give its withdrawn_on)",
                column="site_code",
                value=code,
            )
            for code in missing
        ]
    if not correction:
        start = effective_from or today
        problems += [
            Problem(
                result.file,
                f"the site is registered only from {uk_date(first)}: a change cannot take effect before it "
                "(to register it from an earlier date, use --correction)",
                column="site_code",
                value=code,
            )
            for code, first in _registered_from(history, records).items()
            if start < first
        ]
    made = [] if problems else plan(history, records, effective_from=effective_from, correction=correction, today=today)
    if made and history and not (reason or "").strip() and any(code in history for code, _ in made):
        problems.append(Problem(result.file, "a change to a registered site needs a reason (--reason)"))
    result.problems = problems
    if problems:
        result.load_id = record_load(con, "register", result, user)
        return result
    if not made:
        result.outcome = "already loaded"
        result.notices.append("the register already holds every entry in it: nothing new recorded")
        result.load_id = record_load(con, "register", result, user, note="changes nothing in the register")
        return result
    result.outcome = "accepted"
    result.notices += _describe(made)
    note = ("correction: " if correction else "") + (reason or "").strip() or None
    result.load_id = record_load(con, "register", result, user, note=note)
    _store_versions(con, made, correction=correction, reason=(reason or "").strip() or None, load_id=result.load_id)
    earliest = min((v.effective_from or derived.NEVER for _, v in made), default=None)
    derived.refresh(con, from_day=earliest)  # the flags and positions from the first day it touches
    return result


def load_register(
    store: Store,
    name: str,
    data: bytes,
    *,
    user: str | None = None,
    cfg: Config | None = None,
    effective_from: dt.date | None = None,
    correction: bool = False,
    reason: str | None = None,
    today: dt.date | None = None,
) -> FileResult:
    """Record a validated register file as a change to the register's history, in one transaction."""
    incoming = read_incoming(name, data)
    options = dict(
        user=user or current_user(),
        cfg=cfg,
        effective_from=effective_from,
        correction=correction,
        reason=reason,
        today=today or dt.date.today(),
    )
    return store.write(lambda con: record_file(con, incoming, **options))


def record_file(
    con: duckdb.DuckDBPyConnection,
    incoming: Incoming,
    *,
    user: str,
    today: dt.date,
    cfg: Config | None = None,
    effective_from: dt.date | None = None,
    correction: bool = False,
    reason: str | None = None,
) -> FileResult:
    """Check a register file (already read) and record it inside the caller's write (refusals logged too)."""
    result = FileResult(file=incoming.name, sha256=incoming.sha256, outcome="refused", problems=list(incoming.problems))
    records = None
    if incoming.table is not None:
        result.rows = incoming.rows
        try:  # validated against this database's own regions where it has them
            records = validate_register(incoming.table, cfg or programme_config(con))
        except FileRefused as exc:
            result.problems = exc.problems
    if records is None:
        result.load_id = record_load(con, "register", result, user)
        return result
    return record(
        con,
        result,
        records,
        whole=True,
        effective_from=effective_from,
        correction=correction,
        reason=reason,
        user=user,
        today=today,
    )


def edit_site(
    store: Store,
    site_code: str,
    new: Mapping[str, object],
    *,
    reason: str,
    effective_from: dt.date | None = None,
    correction: bool = False,
    user: str | None = None,
    today: dt.date | None = None,
) -> FileResult:
    """Change one site's entry (the fields in EDITABLE), checked as a register file's row would be.

    The entry in effect on the day the change takes effect, with ``new`` in place, goes through the
    same validation as a register file and is recorded the same way; the load log names it
    "register edit: CODE".
    """
    user = user or current_user()
    today = today or dt.date.today()
    name = f"register edit: {site_code}"
    odd = sorted(set(new) - set(EDITABLE))
    if odd:
        raise ValueError(f"not editable here: {', '.join(odd)}")

    def write(con: duckdb.DuckDBPyConnection) -> FileResult:
        result = FileResult(file=name, sha256=None, outcome="refused", rows=1)
        history = histories(con).get(site_code)
        if not history:
            result.problems = [Problem(name, "is not a site in the register", column="site_code", value=site_code)]
            result.load_id = record_load(con, "register", result, user)
            return result
        # a correction is judged against today's entry (tracker.history.correct), a change against the day's
        base = in_effect(history, today if correction else effective_from or today)
        values = {**base.values, **new, "site_code": site_code}
        header = list(FIELDS)
        cells = ["" if values[n] is None else _shown(values[n]) for n in header]
        table = Table(name, header, [(2, [str(c) if not isinstance(c, str) else c for c in cells])])
        try:
            records = validate_register(table, programme_config(con))
        except FileRefused as exc:
            result.problems = exc.problems
            result.load_id = record_load(con, "register", result, user)
            return result
        return record(
            con,
            result,
            records,
            whole=False,
            effective_from=None if correction else effective_from,
            correction=correction,
            reason=reason,
            user=user,
            today=today,
        )

    return store.write(write)
