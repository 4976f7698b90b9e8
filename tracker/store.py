"""The DuckDB store: where the file is, and how every process shares it safely.

DuckDB lets one process write a file, and while a process holds it read-write
no other process may open it at all. So no process keeps it open: every read
and every write is a short-lived connection, taken under a file lock beside
the database (many readers or one writer, across threads and processes, with
writers served first). A caller who cannot get the lock within a bounded time
gets StoreBusy with a plain message, never DuckDB's lock error.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

import duckdb

from tracker import derived
from tracker.config import ROOT, current
from tracker.errors import StoreBusy, TrackerError

DEFAULT_DB = ROOT / "data" / "tracker.duckdb"
SCHEMA_DIR = ROOT / "sql" / "schema"
READ_WAIT_S = 20.0
WRITE_WAIT_S = 60.0
_POLL_S = 0.02


def resolve_path(db: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The database to use and whether it is the default: ``--db``, else TRACKER_DB, else data/."""
    chosen = db or os.environ.get("TRACKER_DB")
    if chosen:
        return Path(chosen).expanduser().resolve(), False
    return DEFAULT_DB, True


@contextmanager
def _flock(path: Path, mode: int, wait_s: float, what: str) -> Iterator[None]:
    """Hold ``flock(mode)`` on ``path`` (a fresh descriptor, so threads exclude each other too)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"The database {path.with_suffix('').name} is busy: another program has been "
                        f"{what} it for over {wait_s:.0f} s. Try again in a minute."
                    ) from None
                time.sleep(_POLL_S)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _unreadable(path: Path, exc: duckdb.Error) -> Exception:
    """A plain error for a database that does not hold what the tracker expects (or a bug: TRACKER_DEBUG)."""
    if os.environ.get("TRACKER_DEBUG"):
        return exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TrackerError(f"The database {path.name} could not answer a query ({first}). Is it a tracker database?")


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while a program outside our locking (a DuckDB shell, say) holds the file."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if "lock" not in str(exc).lower() and "different configuration" not in str(exc):
                raise TrackerError(f"The database {path} cannot be opened: {exc}") from None
            if time.monotonic() > deadline:
                raise StoreBusy(
                    f"The database {path.name} is held open by another program; tried for {wait_s:.0f} s."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class Store:
    """One DuckDB file and the locks that guard it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = self.path.with_name(self.path.name + ".lock")
        self._gate = self.path.with_name(self.path.name + ".gate")

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection: a consistent view, no write can happen while it is open."""
        if not self.path.exists():
            raise TrackerError(f"There is no database at {self.path}.")
        # Pass the gate so that a waiting writer is not starved by a stream of readers.
        with _flock(self._gate, fcntl.LOCK_EX, READ_WAIT_S, "writing"):
            pass
        with _flock(self._lock, fcntl.LOCK_SH, READ_WAIT_S, "writing"):
            con = _connect(self.path, True, READ_WAIT_S)
            try:
                prepare(con)
                yield con
            except duckdb.Error as exc:
                raise _unreadable(self.path, exc) from exc
            finally:
                con.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one read-write connection, with the schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with ExitStack() as held:
            # Hold the gate only while waiting: new readers queue behind this writer.
            with _flock(self._gate, fcntl.LOCK_EX, WRITE_WAIT_S, "reading or writing"):
                held.enter_context(_flock(self._lock, fcntl.LOCK_EX, WRITE_WAIT_S, "reading or writing"))
            con = _connect(self.path, False, WRITE_WAIT_S)
            held.callback(con.close)
            try:
                migrate(con)
                prepare(con)
                install_macros(con)
                if derived.is_stale(con):  # new schema or new flag rules: derive afresh first
                    con.execute("begin")
                    derived.refresh(con)
                    con.execute("commit")
                yield con
            except duckdb.Error as exc:
                raise _unreadable(self.path, exc) from exc

    def upgrade(self) -> None:
        """Bring an existing database's schema up to date (readers cannot, so do it once on open)."""
        if not self.path.exists():
            return
        with self.read() as con:
            try:
                have = get_meta(con, "schema_version")
            except duckdb.CatalogException:  # a DuckDB file that is not (yet) a tracker database
                have = None
            stale = have is not None and (derived.is_stale(con) or not _macros_installed(con))
        if have is None or int(have) < latest_schema() or stale:
            with self.write():
                pass  # write() migrates and derives

    def version(self) -> str:
        """Changes whenever the data changes (file size and time), without opening the file."""
        parts = []
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = p.stat()
                parts.append(f"{st.st_mtime_ns}:{st.st_size}")
            except FileNotFoundError:
                parts.append("-")
        return "/".join(parts)


MACRO_DIR = ROOT / "sql" / "macros"


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Give a new connection the settings table the queries read, and the macros if the file lacks them.

    The settings are temporary (per connection, so read-only works). The macros in sql/macros are
    stored in the database by the writer (``install_macros``): creating them takes tens of
    milliseconds, too long to repeat for every short read. A database whose stored macros are not
    this code's (an upgrade not yet written) gets temporary ones, which come first.
    """
    settings = rules(con).settings_row()
    columns = ", ".join(f"${name} as {name}" for name in settings)
    con.execute(f"create or replace temp table settings as select {columns}", settings)
    derived.publish_state(con)
    if not _macros_installed(con):
        for file in sorted(MACRO_DIR.glob("*.sql")):
            con.execute(_macro_text(file))


def macros_version() -> str:
    """A digest of the macro files: what the database must hold for readers to use its stored macros."""
    digest = hashlib.sha256()
    for file in sorted(MACRO_DIR.glob("*.sql")):
        digest.update(file.name.encode() + b"\0" + _macro_text(file).encode())
    return digest.hexdigest()[:16]


def _macros_installed(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        return get_meta(con, MACROS_KEY) == macros_version()
    except duckdb.CatalogException:  # no meta table yet
        return False


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Store this code's macros in the database (the writer does this once per change of sql/macros)."""
    if _macros_installed(con):
        return
    for file in sorted(MACRO_DIR.glob("*.sql")):
        con.execute(_macro_text(file).replace("create or replace temp macro", "create or replace macro"))
    set_meta(con, MACROS_KEY, macros_version())


MACROS_KEY = "macros_version"


@cache
def _macro_text(file: Path) -> str:
    return file.read_text()


def latest_schema() -> int:
    """The number of the newest migration in sql/schema."""
    return max(int(f.name[:3]) for f in SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the numbered files in sql/schema that this database has not had yet."""
    con.execute("create table if not exists meta (key varchar primary key, value varchar not null)")
    row = con.execute("select value from meta where key = 'schema_version'").fetchone()
    have = int(row[0]) if row else 0
    for file in sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        number = int(file.name[:3])
        if number <= have:
            continue
        con.execute("begin")
        con.execute(file.read_text())
        con.execute("insert or replace into meta values ('schema_version', $v)", {"v": str(number)})
        con.execute("commit")


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value from the meta table, or None."""
    row = con.execute("select value from meta where key = $k", {"k": key}).fetchone()
    return row[0] if row else None


def rules(con: duckdb.DuckDBPyConnection):
    """The settings the SQL works to on this connection: programme_config, or tracker.toml's before a schema."""
    try:
        return programme_config(con)
    except duckdb.CatalogException:  # no meta table yet
        return current()


def programme_config(con: duckdb.DuckDBPyConnection):
    """The settings in force for this database (tracker.toml, with the database's own programme if it has one)."""
    from tracker.config import with_programme

    rows = dict(con.execute("select key, value from meta").fetchall())
    return with_programme(current(), rows)


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set a value in the meta table."""
    con.execute("insert or replace into meta values ($k, $v)", {"k": key, "v": value})


DEMO_DATA = ROOT / "data"


def open_store(db: str | os.PathLike | None = None) -> Store:
    """The store to use; the default database is built from the shipped demo data if missing.

    A database named with ``--db`` or TRACKER_DB is never filled with demo data unasked.
    """
    path, is_default = resolve_path(db)
    store = Store(path)
    if is_default and not path.exists():
        from tracker import demo  # the demo imports the ingest, which imports this module

        path.parent.mkdir(parents=True, exist_ok=True)
        with _flock(store._lock, fcntl.LOCK_EX, WRITE_WAIT_S * 3, "building"):
            if not path.exists():  # another process may have built it while we waited
                demo.build(path, DEMO_DATA)
    store.upgrade()
    return store
