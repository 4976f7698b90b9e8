"""The rules the flags are decided by, kept as versions in the database (``rule_versions``).

tracker.toml seeds the first version when a database is made, and only then: after that an edit of
tracker.toml changes nothing in a database (several servers sharing one store must agree on the
rules, and a change must never rewrite the past). A change is recorded with ``python -m tracker
rules --set NAME=VALUE ... --reason TEXT [--effective-from DATE]`` or the dashboard's rule editor:
a new version that takes effect on a day (today unless dated), with the load-log line that says
when, by whom and why. Flags as of a day are decided by the rules in effect on that day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from tracker import derived, queries
from tracker.config import RULE_NAMES as NAMES
from tracker.config import RULE_THRESHOLDS as THRESHOLDS
from tracker.config import Config, with_rules
from tracker.errors import Problem, TrackerError
from tracker.history import Version, change
from tracker.ingest import FileResult, current_user, next_ids, record_load
from tracker.store import Store
from tracker.values import uk_date

SHARES = ("behind_target_amber_below", "behind_target_red_below", "set_up_only_max_care_share")


@dataclass(frozen=True)
class Rules:
    """One version of the rules, as in effect on some day."""

    version_id: int
    effective_from: dt.date | None  # None: from the start
    values: dict[str, object]
    reason: str | None
    recorded_at: dt.datetime | None  # None: seeded when the database was made
    recorded_by: str | None

    @property
    def thresholds(self) -> dict[str, float]:
        """The flag thresholds (as the SQL and "How flags are decided" read them)."""
        return {name: self.values[name] for name in THRESHOLDS}

    @property
    def label(self) -> str:
        """How a pack's manifest and the dashboard name this version."""
        start = "from the start" if self.effective_from is None else f"from {uk_date(self.effective_from)}"
        return f"rules version {self.version_id}, in effect {start}"

    def applied_to(self, cfg: Config) -> Config:
        """The settings with this version's window, due day and thresholds in place of tracker.toml's."""
        return with_rules(cfg, self.values)


def _insert(
    con: duckdb.DuckDBPyConnection, made: list[Version], *, reason: str | None, load_id: int | None, first_id: int
) -> None:
    rows = []
    for offset, version in enumerate(made):
        changes = {n: [_plain(a), _plain(b)] for n, (a, b) in version.changes.items()}
        rows.append(
            {
                "version_id": first_id + offset,
                "effective_from": version.effective_from,
                **{name: version.values[name] for name in NAMES},
                "changes": json.dumps(changes) if changes else None,
                "reason": reason,
                "load_id": load_id,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("effective_from", "programme_start", "programme_end"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    con.register("incoming_rules", frame)
    queries.execute(con, "insert_rule_versions")
    con.unregister("incoming_rules")


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _values(row: Mapping[str, object]) -> dict[str, object]:
    values = {}
    for name in NAMES:
        value = row[name]
        if isinstance(value, pd.Timestamp | dt.datetime):
            value = value.date()
        elif hasattr(value, "item"):  # numpy scalar
            value = value.item()
        values[name] = value
    return values


def _rules(row: Mapping[str, object]) -> Rules:
    start = row["effective_from"]
    recorded = row.get("recorded_at")
    return Rules(
        version_id=int(row["version_id"]),
        effective_from=None if start is None or pd.isna(start) else pd.Timestamp(start).date(),
        values=_values(row),
        reason=row["reason"],
        recorded_at=None if recorded is None or pd.isna(recorded) else pd.Timestamp(recorded).to_pydatetime(),
        recorded_by=None if row.get("recorded_by") is None or pd.isna(row.get("recorded_by")) else row["recorded_by"],
    )


def in_force(con: duckdb.DuckDBPyConnection, day: dt.date) -> Rules:
    """The rules in effect on ``day``."""
    return in_force_on(history(con), day)


def in_force_on(versions: pd.DataFrame, day: dt.date) -> Rules:
    """The rules in effect on ``day``, from every version of them (``history``): the one whose span holds
    the day. One read of the history serves every day a page or a pack shows."""
    day = pd.Timestamp(day)
    starts, ends = pd.to_datetime(versions.in_effect_from), pd.to_datetime(versions.in_effect_until)
    holding = versions[versions.counts & (starts.isna() | (starts <= day)) & (ends.isna() | (ends > day))]
    if holding.empty:
        raise TrackerError("this database has no rules: run `python -m tracker check`")
    return _rules(holding.iloc[0].to_dict())


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every version of the rules, newest recorded first, with the days each counts on (sql/rule_history.sql)."""
    return queries.frame(con, "rule_history")


def parse_value(name: str, text: str) -> object:
    """A rule's value from text (``--set name=value``), or TrackerError saying what is wrong."""
    if name not in NAMES:
        raise TrackerError(f"{name!r} is not a rule; the rules are {', '.join(NAMES)}")
    try:
        if name in ("programme_start", "programme_end"):
            return dt.date.fromisoformat(text)
        if name in SHARES or name == "set_up_only_min_infrastructure_gbp":
            return float(text)
        return int(text)
    except ValueError:
        kind = "a date (YYYY-MM-DD)" if name.startswith("programme_") else "a number"
        raise TrackerError(f"{name}={text!r}: must be {kind}") from None


def problems_with(values: Mapping[str, object]) -> list[str]:
    """What is wrong with a complete set of rule values (empty: they may be recorded)."""
    found = []
    if values["programme_end"] <= values["programme_start"]:
        found.append("programme_end must be after programme_start")
    if not 1 <= int(values["return_due_day"]) <= 28:
        found.append("return_due_day must be a day from 1 to 28 (every month has it)")
    for name in SHARES:
        if not 0 <= float(values[name]) <= 1:
            found.append(f"{name} is a share: between 0 and 1")
    if float(values["behind_target_red_below"]) > float(values["behind_target_amber_below"]):
        found.append("behind_target_red_below must not be above behind_target_amber_below")
    for name in ("plateau_returns", "no_care_spend_returns"):
        if not 1 <= int(values[name]) <= 12:
            found.append(f"{name} must be between 1 and 12 (the latest 12 returns are kept per site)")
    for name in THRESHOLDS:
        if name not in SHARES and float(values[name]) < 0:
            found.append(f"{name} must not be negative")
    return found


def record_change(
    store: Store,
    new: Mapping[str, object],
    *,
    reason: str,
    effective_from: dt.date | None = None,
    user: str | None = None,
    today: dt.date | None = None,
) -> FileResult:
    """Record a change of rules (the values given; the rest as in effect then), in one transaction.

    Refused, with the refusal in the load log, without a reason or with values the flags cannot use.
    """
    user = user or current_user()
    today = today or dt.date.today()
    start = effective_from or today
    what = ", ".join(f"{n}={_plain(v)}" for n, v in new.items())

    def write(con: duckdb.DuckDBPyConnection) -> FileResult:
        result = FileResult(file=f"rules: {what}", sha256=None, outcome="refused")
        frame = queries.frame(con, "rule_versions_in_effect")
        versions = [
            Version(None if pd.isna(r["effective_from"]) else pd.Timestamp(r["effective_from"]).date(), _values(r))
            for r in frame.to_dict("records")
        ]
        made = change(versions, dict(new), start)
        problems = [] if (reason or "").strip() else ["a change of the rules needs a reason"]
        for version in made:
            problems += problems_with(version.values)
        if problems:
            result.problems = [Problem(result.file, p) for p in dict.fromkeys(problems)]
            result.load_id = record_load(con, "rules", result, user)
            return result
        if not made:
            result.outcome = "already loaded"
            result.notices.append(f"the rules in effect on {uk_date(start)} already say so: nothing new recorded")
            result.load_id = record_load(con, "rules", result, user, note="changes nothing in the rules")
            return result
        result.outcome = "accepted"
        result.load_id = record_load(con, "rules", result, user, note=reason.strip())
        _insert(con, made, reason=reason.strip(), load_id=result.load_id, first_id=next_ids(con)["rule_version_id"])
        result.notices += [
            f"from {uk_date(v.effective_from)}: "
            + "; ".join(f"{n} {_plain(a)} → {_plain(b)}" for n, (a, b) in v.changes.items())
            for v in made
        ]
        derived.refresh(con, from_day=start)
        return result

    return store.write(write)
