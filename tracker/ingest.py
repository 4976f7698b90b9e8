"""Validated, atomic loading of return files (site registers: tracker/register.py).

One file is one transaction: a file is loaded whole or not at all, and every
attempt (accepted, refused or already loaded) leaves exactly one row in
``load_log``. The same functions serve the command line and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from tracker import contract, derived, queries
from tracker.config import Config, current
from tracker.errors import FileRefused, Problem, TrackerError
from tracker.quality import SPEND_HISTORY_MONTHS, QualityWarning, check_returns
from tracker.readers import read_table
from tracker.store import Store, get_meta, programme_config
from tracker.validate import SiteInfo, validate_returns
from tracker.values import uk_date

RETURN_FIELDS = (*contract.RETURN_COUNT_COLUMNS, *contract.RETURN_MONEY_COLUMNS, "submitted_on", "commentary")


@dataclass
class Change:
    """A return that a file adds or replaces."""

    site_code: str
    period_end: dt.date
    row: int
    differences: dict[str, tuple[object, object]] = field(default_factory=dict)  # field -> (old, new)


@dataclass
class FileResult:
    """What loading one file did, or would do in a dry run."""

    file: str
    sha256: str
    outcome: str  # accepted | refused | already loaded
    dry_run: bool = False
    rows: int = 0
    new: list[Change] = field(default_factory=list)
    superseded: list[Change] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[QualityWarning] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    load_id: int | None = None

    @property
    def ok(self) -> bool:
        """Accepted or already loaded."""
        return self.outcome != "refused"


def current_user() -> str:
    """The operating-system user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def sha256(data: bytes) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def read_file(path: Path) -> bytes:
    """A file's bytes, with a plain message if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrackerError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def next_ids(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The next free id of each numbered table (only the writer asks, while it alone may write)."""
    row = queries.frame(con, "next_ids").iloc[0]
    return {name: int(value) for name, value in row.items()}


def record_load(con: duckdb.DuckDBPyConnection, kind: str, result: FileResult, user: str, **counts: object) -> int:
    """Add the load-log line for one file or command (inside the caller's transaction); gives its id."""
    summary = None
    if result.problems:
        summary = "\n".join(str(p) for p in result.problems)
    params = dict(
        load_id=next_ids(con)["load_id"],
        kind=kind,
        file_name=result.file,
        sha256=result.sha256,
        row_count=result.rows,
        outcome=result.outcome,
        loaded_by=user,
        loaded_at=_now(),
        new_returns=0,
        superseded_returns=0,
        unchanged_returns=0,
        warning_count=0,
        error_summary=summary,
        note=None,
    )
    params.update(counts)
    queries.execute(con, "insert_load_log", **params)
    return params["load_id"]


def _sites(con: duckdb.DuckDBPyConnection, today: dt.date) -> dict[str, SiteInfo]:
    """The register as in effect on the day of the load (what the returns are checked against)."""
    df = queries.frame(con, "register_sites", as_of=today)
    return {
        r.site_code: SiteInfo(r.site_code, _date(r.go_live), _date(r.direct_payments_from)) for r in df.itertuples()
    }


def _date(value: object) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _same(a: object, b: object) -> bool:
    if a is None or (not isinstance(a, str) and pd.isna(a)):
        return b is None
    if isinstance(b, Decimal) or isinstance(a, Decimal | float):
        return b is not None and Decimal(str(a)) == Decimal(str(b))
    if isinstance(b, dt.date):
        return _date(a) == b
    return a == b


def _plan(con: duckdb.DuckDBPyConnection, records: list[dict], result: FileResult) -> pd.DataFrame:
    """Sort rows into new, superseding and unchanged; return the previous versions seen."""
    keys = pd.DataFrame(
        {"site_code": [r["site_code"] for r in records], "period_end": [r["period_end"] for r in records]}
    )
    keys["period_end"] = pd.to_datetime(keys["period_end"]).astype("datetime64[s]")
    con.register("incoming_keys", keys)
    try:
        # the previous month and the months the spend check reads, however gappy the site's history
        latest = queries.frame(con, "latest_versions_for_incoming", history=SPEND_HISTORY_MONTHS + 1)
    finally:
        con.unregister("incoming_keys")
    by_key = {(r.site_code, _date(r.period_end)): r for r in latest.itertuples(index=False)}
    for rec in records:
        old = by_key.get((rec["site_code"], rec["period_end"]))
        change = Change(rec["site_code"], rec["period_end"], rec["row"])
        if old is None or old.is_void:
            result.new.append(change)
            continue
        diffs = {f: (getattr(old, f), rec[f]) for f in RETURN_FIELDS if not _same(getattr(old, f), rec[f])}
        if diffs:
            change.differences = diffs
            result.superseded.append(change)
        else:
            result.unchanged += 1
    return latest


def returns_frame(records: list[dict], first_return_id: int) -> pd.DataFrame:
    """Typed return rows as the frame that sql/insert_returns.sql reads as `incoming`, numbered in order."""
    columns = ["return_id", "source_row", "site_code", "period_end", *RETURN_FIELDS, "is_void", "void_reason"]
    rows = [
        {
            **{f: rec[f] for f in RETURN_FIELDS},
            "return_id": first_return_id + i,
            "source_row": rec["row"],
            "site_code": rec["site_code"],
            "period_end": rec["period_end"],
            "is_void": False,
            "void_reason": None,
        }
        for i, rec in enumerate(records)
    ]
    df = pd.DataFrame(rows, columns=columns)
    for col in contract.RETURN_COUNT_COLUMNS:
        df[col] = df[col].astype("Int64")
    for col in contract.RETURN_MONEY_COLUMNS:
        df[col] = df[col].astype("float64")  # Decimal pennies; DuckDB casts back to decimal(14,2)
    for col in ("period_end", "submitted_on"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[s]")
    df["commentary"] = df["commentary"].astype("object")
    return df


def ingest_bytes(
    store: Store,
    name: str,
    data: bytes,
    *,
    user: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    cfg: Config | None = None,
) -> FileResult:
    """Validate one returns file and load it in one transaction (or, in a dry run, only report)."""
    limits = cfg or current()
    today = today or dt.date.today()
    user = user or current_user()
    table, rows, unreadable, digest = None, 0, [], sha256(data)
    if len(data) > limits.max_upload_bytes:
        unreadable = [Problem(name, f"the file is {len(data):,} bytes; the limit is {limits.max_upload_bytes:,} bytes")]
    else:
        try:
            table = read_table(name, data)
            rows = len(table.rows)
        except FileRefused as exc:
            unreadable = exc.problems

    def check_and_load(con: duckdb.DuckDBPyConnection) -> FileResult:
        # Inside the write (or the dry run's read): what is stored cannot change meanwhile, and a
        # rerun after a commit conflict starts again from here.
        result = FileResult(file=name, sha256=digest, outcome="refused", dry_run=dry_run, rows=rows)
        result.problems = list(unreadable)
        settings = cfg or programme_config(con)
        if get_meta(con, "is_demo") == "true":
            result.notices.append(
                "This database holds the synthetic demo programme; loading real returns into it mixes the two. "
                "Use --db or TRACKER_DB for a database of your own."
            )
        earlier = queries.execute(con, "accepted_file", sha256=result.sha256, kind="returns").fetchone()
        if earlier is not None:
            result.outcome = "already loaded"
            result.problems = []
            result.notices.append(
                f"{name}: the same file was loaded on {uk_date(earlier[2].date())} as {earlier[1]}; nothing changed"
            )
        elif table is not None:
            sites = _sites(con, today)
            try:
                records = validate_returns(table, sites, settings, today)
            except FileRefused as exc:
                result.problems = exc.problems
            else:
                result.outcome = "accepted"
                latest = _plan(con, records, result)
                changed = {(c.site_code, c.period_end) for c in (*result.new, *result.superseded)}
                result.warnings = check_returns(records, latest, sites, settings)
                result.warnings = [w for w in result.warnings if (w.site_code, w.period_end) in changed]
                if not dry_run:
                    _write_returns(
                        con, result, [r for r in records if (r["site_code"], r["period_end"]) in changed], user
                    )
                return result
        if not dry_run:
            result.load_id = record_load(con, "returns", result, user)
        return result

    if dry_run:
        with store.read() as con:
            return check_and_load(con)
    return store.write(check_and_load)


def _write_returns(con: duckdb.DuckDBPyConnection, result: FileResult, records: list[dict], user: str) -> None:
    """Store an accepted file's new and changed returns, its warnings and its load-log line (caller's transaction)."""
    result.load_id = record_load(
        con,
        "returns",
        result,
        user,
        new_returns=len(result.new),
        superseded_returns=len(result.superseded),
        unchanged_returns=result.unchanged,
        warning_count=len(result.warnings),
    )
    if not records:
        return
    ids = next_ids(con)
    incoming = returns_frame(sorted(records, key=lambda r: r["row"]), ids["return_id"])
    con.register("incoming", incoming)
    queries.execute(con, "insert_returns", load_id=result.load_id)
    con.unregister("incoming")
    numbered = {
        (code, _date(period)): rid
        for rid, code, period in incoming[["return_id", "site_code", "period_end"]].itertuples(index=False)
    }
    derived.refresh(con, first_return_id=ids["return_id"])
    if result.warnings:
        warnings = pd.DataFrame(
            [
                {
                    "position": position,
                    "return_id": numbered[(w.site_code, w.period_end)],
                    "site_code": w.site_code,
                    "period_end": w.period_end,
                    "check_name": w.check,
                    "column_name": w.column,
                    "message": w.message,
                }
                for position, w in enumerate(result.warnings)
            ]
        )
        con.register("incoming_warnings", warnings)
        queries.execute(con, "insert_warnings", first_warning_id=ids["warning_id"])
        con.unregister("incoming_warnings")


def refuse(
    store: Store, name: str, message: str, *, sha: str = "", user: str | None = None, dry_run: bool = False
) -> FileResult:
    """Refuse a file without reading it (further): its one load-log line, none in a dry run."""
    result = FileResult(file=name, sha256=sha, outcome="refused", dry_run=dry_run, problems=[Problem(name, message)])
    if not dry_run:
        result.load_id = store.write(lambda con: record_load(con, "returns", result, user or current_user()))
    return result


def ingest_paths(store: Store, paths: list[Path], **kwargs: object) -> list[FileResult]:
    """Load several files, each in its own transaction, in the order given."""
    limit = (kwargs.get("cfg") or current()).max_upload_bytes
    results = []
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError as exc:  # nothing to log: there is no file
            message = f"{path}: cannot be read ({exc.strerror or exc})"
            results.append(
                FileResult(file=path.name, sha256="", outcome="refused", problems=[Problem(path.name, message)])
            )
            continue
        if size > limit:  # refused before it is read, so memory stays bounded whatever the file
            message = f"the file is {size:,} bytes; the limit is {limit:,} bytes"
            results.append(
                refuse(store, path.name, message, user=kwargs.get("user"), dry_run=bool(kwargs.get("dry_run")))
            )
            continue
        results.append(ingest_bytes(store, path.name, read_file(path), **kwargs))
    return results
