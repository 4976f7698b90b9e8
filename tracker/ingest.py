"""Validated, atomic loading of return files (site registers: tracker/register.py).

One file is one transaction: a file is loaded whole or not at all, and every
attempt (accepted, refused or already loaded) leaves exactly one row in
``load_log``. The same functions serve the command line and the dashboard.

Several files can also go in one transaction (``ingest_files``; the demo build): each is read,
validated and judged by the same code, against the store as the files before it leave it, and
gets its own load-log line; the rows are inserted together and the derived data made once.
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
from tracker.readers import Table, read_table
from tracker.store import Store, get_meta, programme_config
from tracker.validate import SiteInfo, validate_returns
from tracker.values import uk_date

RETURN_FIELDS = (*contract.RETURN_COUNT_COLUMNS, *contract.RETURN_MONEY_COLUMNS, "submitted_on", "commentary")
LOAD_LOG_COLUMNS = (
    "load_id",
    "kind",
    "file_name",
    "sha256",
    "row_count",
    "outcome",
    "loaded_by",
    "loaded_at",
    "new_returns",
    "superseded_returns",
    "unchanged_returns",
    "warning_count",
    "error_summary",
    "note",
)


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


def load_line(kind: str, result: FileResult, user: str, load_id: int, **counts: object) -> dict:
    """The load-log line for one file or command, under the id the writer allocated."""
    line = dict(
        load_id=load_id,
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
        error_summary="\n".join(str(p) for p in result.problems) if result.problems else None,
        note=None,
    )
    line.update(counts)
    return line


def insert_load_lines(con: duckdb.DuckDBPyConnection, lines: list[dict]) -> None:
    """Add load-log lines (inside the caller's transaction)."""
    frame = pd.DataFrame(lines, columns=LOAD_LOG_COLUMNS)
    for col in ("sha256", "error_summary", "note"):
        frame[col] = frame[col].astype("object")  # a column of blanks is still text
    frame["loaded_at"] = pd.to_datetime(frame["loaded_at"]).astype("datetime64[s]")
    con.register("incoming_loads", frame)
    queries.execute(con, "insert_load_log")
    con.unregister("incoming_loads")


def record_load(con: duckdb.DuckDBPyConnection, kind: str, result: FileResult, user: str, **counts: object) -> int:
    """Add the load-log line for one file or command (inside the caller's transaction); gives its id."""
    line = load_line(kind, result, user, next_ids(con)["load_id"], **counts)
    insert_load_lines(con, [line])
    return line["load_id"]


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


@dataclass
class Incoming:
    """A returns file as read, before it is checked against the store: its cells, or why it cannot be read."""

    name: str
    sha256: str
    table: Table | None
    problems: list[Problem]

    @property
    def rows(self) -> int:
        """How many data rows it has (none when it cannot be read)."""
        return len(self.table.rows) if self.table is not None else 0


def read_incoming(name: str, data: bytes, max_bytes: int | None = None) -> Incoming:
    """Read a file's cells (outside any write: reading needs no lock), refusing one over ``max_bytes``."""
    digest = sha256(data)
    if max_bytes is not None and len(data) > max_bytes:
        too_big = f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes"
        return Incoming(name, digest, None, [Problem(name, too_big)])
    try:
        return Incoming(name, digest, read_table(name, data), [])
    except FileRefused as exc:
        return Incoming(name, digest, None, exc.problems)


class Latest:
    """The latest loaded version (void or not) of each return the files of one write touch, and of the
    months before them that the data-quality checks read: read from the store once, then kept up to
    date with what each file adds, so that every file is judged as if the files before it were committed.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, records: list[dict]):
        self.by_site: dict[str, dict[dt.date, dict]] = {}
        if not records:
            return
        keys = pd.DataFrame(
            {"site_code": [r["site_code"] for r in records], "period_end": [r["period_end"] for r in records]}
        )
        keys["period_end"] = pd.to_datetime(keys["period_end"]).astype("datetime64[s]")
        con.register("incoming_keys", keys)
        try:
            # the previous month and the months the spend check reads, however gappy the site's history
            cur = queries.execute(con, "latest_versions_for_incoming", history=SPEND_HISTORY_MONTHS + 1)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
        finally:
            con.unregister("incoming_keys")
        for row in rows:
            self.by_site.setdefault(row["site_code"], {})[row["period_end"]] = row

    def of_sites(self, records: list[dict]) -> list[dict]:
        """Every version held for the sites in ``records`` (a superset of what checking them reads)."""
        codes = dict.fromkeys(r["site_code"] for r in records)
        return [row for code in codes for row in self.by_site.get(code, {}).values()]

    def add(self, records: list[dict]) -> None:
        """Records just accepted are now the latest versions of their months."""
        for rec in records:
            self.by_site.setdefault(rec["site_code"], {})[rec["period_end"]] = {**rec, "is_void": False}


def _plan(records: list[dict], latest: list[dict], result: FileResult) -> None:
    """Sort rows into new, superseding and unchanged against the latest versions."""
    by_key = {(r["site_code"], r["period_end"]): r for r in latest}
    for rec in records:
        old = by_key.get((rec["site_code"], rec["period_end"]))
        change = Change(rec["site_code"], rec["period_end"], rec["row"])
        if old is None or old["is_void"]:
            result.new.append(change)
            continue
        diffs = {f: (old[f], rec[f]) for f in RETURN_FIELDS if not _same(old[f], rec[f])}
        if diffs:
            change.differences = diffs
            result.superseded.append(change)
        else:
            result.unchanged += 1


def returns_frame(records: list[dict], first_return_id: int, load_ids: list[int]) -> pd.DataFrame:
    """Typed return rows as the frame that sql/insert_returns.sql reads as `incoming`, numbered in order,
    each with the load it came in (``load_ids``, one per record)."""
    columns = ["return_id", "load_id", "source_row", "site_code", "period_end", *RETURN_FIELDS]
    columns += ["is_void", "void_reason"]
    rows = [
        {
            **{f: rec[f] for f in RETURN_FIELDS},
            "return_id": first_return_id + i,
            "load_id": load_id,
            "source_row": rec["row"],
            "site_code": rec["site_code"],
            "period_end": rec["period_end"],
            "is_void": False,
            "void_reason": None,
        }
        for i, (rec, load_id) in enumerate(zip(records, load_ids, strict=True))
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


class Writes:
    """What one write stores for the files it loads, numbered as it goes and inserted in bulk: each
    file's load-log line, the returns it adds or changes and their warnings; the derived data once."""

    ROWS_PER_INSERT = 50_000  # returns held before they are inserted (memory stays bounded at any size)

    def __init__(self, con: duckdb.DuckDBPyConnection, user: str):
        ids = next_ids(con)
        self.con, self.user = con, user
        self.next_load, self.next_return = ids["load_id"], ids["return_id"]
        self.first_return, self.first_warning = ids["return_id"], ids["warning_id"]
        self.loads: list[dict] = []
        self.returns: list[dict] = []
        self.return_loads: list[int] = []
        self.warnings: list[dict] = []

    def add(
        self,
        result: FileResult,
        records: list[dict] = (),
        warnings: list[QualityWarning] = (),
        **counts: object,
    ) -> int:
        """Number one returns file's load-log line, its returns (in the order given) and its warnings; gives its
        load id. ``counts`` are the line's counts of returns (new, superseded...)."""
        load_id = self.next_load
        self.next_load += 1
        self.loads.append(load_line("returns", result, self.user, load_id, **counts))
        numbered = {}
        for rec in records:
            numbered[(rec["site_code"], rec["period_end"])] = self.next_return + len(self.returns)
            self.returns.append(rec)
            self.return_loads.append(load_id)
        for w in warnings:
            self.warnings.append(
                {
                    "position": len(self.warnings),
                    "return_id": numbered[(w.site_code, w.period_end)],
                    "site_code": w.site_code,
                    "period_end": w.period_end,
                    "check_name": w.check,
                    "column_name": w.column,
                    "message": w.message,
                }
            )
        if len(self.returns) >= self.ROWS_PER_INSERT:
            self._insert_returns()
        return load_id

    def _insert_returns(self) -> None:
        self.con.register("incoming", returns_frame(self.returns, self.next_return, self.return_loads))
        queries.execute(self.con, "insert_returns")
        self.con.unregister("incoming")
        self.next_return += len(self.returns)
        self.returns, self.return_loads = [], []

    def store(self) -> None:
        """Insert everything added, then bring the derived data up to date once (the caller's transaction)."""
        if self.loads:
            insert_load_lines(self.con, self.loads)
        if self.returns:
            self._insert_returns()
        if self.warnings:
            self.con.register("incoming_warnings", pd.DataFrame(self.warnings))
            queries.execute(self.con, "insert_warnings", first_warning_id=self.first_warning)
            self.con.unregister("incoming_warnings")
        if self.next_return > self.first_return:  # returns were added
            derived.refresh(self.con, first_return_id=self.first_return)


def load_files(
    con: duckdb.DuckDBPyConnection,
    files: list[Incoming],
    *,
    user: str,
    today: dt.date,
    cfg: Config | None = None,
    dry_run: bool = False,
) -> list[FileResult]:
    """Check each file in turn against the store as the files before it leave it and, unless a dry run,
    store them (inside the caller's transaction): each its own load-log line, the returns it adds or
    changes, its warnings; then the derived data, once.
    """
    # Inside the write (or the dry run's read): what is stored cannot change meanwhile, and a
    # rerun after a commit conflict starts again from here.
    settings = cfg or programme_config(con)
    sites = _sites(con, today)
    demo_notice = get_meta(con, "is_demo") == "true"
    checked: list[tuple[list[dict] | None, list[Problem]]] = []  # each file's typed rows, else its problems
    for file in files:
        try:
            records = validate_returns(file.table, sites, settings, today) if file.table is not None else None
            checked.append((records, file.problems))
        except FileRefused as exc:
            checked.append((None, exc.problems))
    earlier = {
        sha: (name, loaded_at)
        for sha, name, loaded_at in queries.execute(
            con, "accepted_files", sha256s=sorted({f.sha256 for f in files}), kind="returns"
        ).fetchall()
    }
    latest = Latest(con, [rec for records, _ in checked for rec in records or ()])
    writes = None if dry_run else Writes(con, user)
    results = []
    for file, (records, problems) in zip(files, checked, strict=True):
        result = FileResult(file=file.name, sha256=file.sha256, outcome="refused", dry_run=dry_run, rows=file.rows)
        if demo_notice:
            result.notices.append(
                "This database holds the synthetic demo programme; loading real returns into it mixes the two. "
                "Use --db or TRACKER_DB for a database of your own."
            )
        changed: list[dict] = []
        if file.sha256 in earlier:
            name, loaded_at = earlier[file.sha256]
            result.outcome = "already loaded"
            result.notices.append(
                f"{file.name}: the same file was loaded on {uk_date(loaded_at.date())} as {name}; nothing changed"
            )
        elif records is None:
            result.problems = list(problems)
        else:
            result.outcome = "accepted"
            held = latest.of_sites(records)
            _plan(records, held, result)
            keys = {(c.site_code, c.period_end) for c in (*result.new, *result.superseded)}
            warnings = check_returns(records, held, sites, settings)
            result.warnings = [w for w in warnings if (w.site_code, w.period_end) in keys]
            changed = sorted((r for r in records if (r["site_code"], r["period_end"]) in keys), key=lambda r: r["row"])
            latest.add(changed)
            earlier[file.sha256] = (file.name, _now())
        if writes is not None:
            counts = {}
            if result.outcome == "accepted":
                counts = dict(
                    new_returns=len(result.new),
                    superseded_returns=len(result.superseded),
                    unchanged_returns=result.unchanged,
                    warning_count=len(result.warnings),
                )
            result.load_id = writes.add(result, changed, result.warnings, **counts)
        results.append(result)
    if writes is not None:
        writes.store()
    return results


def ingest_files(
    store: Store,
    files: list[tuple[str, bytes]],
    *,
    user: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    cfg: Config | None = None,
) -> list[FileResult]:
    """Validate several returns files and load them in ONE transaction, in the order given (or, in a dry
    run, only report): each is judged exactly as ``ingest_bytes`` would judge it after the ones before it."""
    limits = cfg or current()
    incoming = [read_incoming(name, data, limits.max_upload_bytes) for name, data in files]
    today = today or dt.date.today()
    user = user or current_user()

    def check_and_load(con: duckdb.DuckDBPyConnection) -> list[FileResult]:
        return load_files(con, incoming, user=user, today=today, cfg=cfg, dry_run=dry_run)

    if dry_run:
        with store.read() as con:
            return check_and_load(con)
    return store.write(check_and_load)


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
    return ingest_files(store, [(name, data)], user=user, dry_run=dry_run, today=today, cfg=cfg)[0]


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
