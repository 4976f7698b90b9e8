"""The shared backend: DuckLake, its catalog in PostgreSQL and its rows as Parquet files in a shared folder.

Several dashboard servers on several machines, and the command line on any of them, use one store:

* **One long-lived DuckDB connection per process** holds the extensions and the attached lake; each
  read or write takes a cursor of it. Every DuckLake transaction reads its own snapshot of the
  catalog, so readers never wait for a writer and need no lock.
* **Writes are serialised across machines** by a PostgreSQL advisory lock, held on a session of its
  own for the whole of each write. DuckLake's concurrent commits on a PostgreSQL catalog have open
  correctness bugs (duckdb/ducklake#1094: catalog ids taken as max + 1 collide; PR #1341: under
  PostgreSQL's default isolation a conflict can go unseen); one writer at a time sidesteps them, and
  loads are rare. A process that dies mid-write loses its session, and PostgreSQL frees the lock.
* **Ids and uniqueness**: DuckLake has no sequences and enforces no primary key or unique
  constraint. Under the lock the writer allocates ids as the highest stored plus one
  (``sql/next_ids.sql``) and looks for an earlier accepted load of the same file before loading it,
  so two loads at once (of the same file or not) run one after the other and cannot number alike or
  load a file twice; ``python -m tracker check`` proves both (``sql/checks``).
* **A commit that conflicts anyway** (another program writing the lake by hand, say) is run again
  from the start with a growing pause, for up to the write wait, then the user gets the plain
  "busy" message; nothing of it is stored.
* **No download at run time**: the ``ducklake`` and ``postgres_scanner`` extensions are loaded by
  path from their PyPI wheels, with DuckDB's signature check on; auto-install is off, so anything
  missing fails loudly instead of reaching for the network.
* **Passwords** never appear in ``--db`` or TRACKER_DB: PostgreSQL's own PGPASSWORD, ~/.pgpass or a
  service file (PGSERVICE) supply them (on the dashboard, a root-level ``PGPASSWORD`` in
  ``.streamlit/secrets.toml`` becomes the environment variable).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import psycopg
from psycopg.conninfo import conninfo_to_dict

from tracker.config import current
from tracker.errors import StoreBusy, StoreUnreachable, TrackerError
from tracker.store import base
from tracker.store.base import Decide, Fill, Store, Work, first_line, in_transaction, prepare, ready_for_writing
from tracker.store.file import FileStore

PREFIX = "ducklake:postgres:"
VERSION_TTL_S = 0.5  # how long a process trusts its last look at the catalog's latest snapshot
ALIAS = "lake"
EXTENSIONS = ("postgres_scanner", "ducklake")
# One advisory lock for every tracker writer of a PostgreSQL database (advisory locks are per database).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"pilot-site-tracker: one writer at a time").digest()[:8], "big", signed=True)
_UNREACHABLE = (
    "unable to connect",
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "connection to server",
)


def extension_file(name: str) -> Path:
    """The extension's file inside its installed PyPI wheel (duckdb-extension-<name>), for this DuckDB."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise TrackerError(
            f"The DuckDB extension {name} is not installed: run `pip install -r requirements.txt` "
            f"(it comes from the wheel duckdb-extension-{name.replace('_', '-')})."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise TrackerError(
            f"The installed DuckDB extension {name} is not built for DuckDB {duckdb.__version__} "
            f"(looked for {path}): install the versions pinned in requirements.txt."
        )
    return path


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load the lake's extensions by path (signature checked by DuckDB; nothing fetched)."""
    for name in EXTENSIONS:
        path = extension_file(name)
        try:
            con.execute(f"load {_literal(str(path))}")
        except duckdb.Error as exc:
            raise TrackerError(
                f"The DuckDB extension {path} would not load ({first_line(exc)}). Reinstall the pinned wheels: "
                "`pip install --force-reinstall -r requirements.txt`."
            ) from None


def _literal(text: str) -> str:
    """A SQL string literal (ATTACH and LOAD take no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def is_conflict(exc: BaseException) -> bool:
    """Whether a DuckLake commit failed because another transaction changed the same data first."""
    text = str(exc)
    return isinstance(exc, duckdb.TransactionException) and (
        "conflict" in text.lower() or "Failed to commit DuckLake transaction" in text
    )


class LakeStore(Store):
    """A DuckLake catalog in PostgreSQL with its data folder: one long-lived connection per process."""

    def __init__(self, locator: str, data_path: str | None = None):
        if not locator.startswith(PREFIX):
            raise TrackerError(
                f"{locator.split(' ')[0]!r} is not a store the tracker knows: give a file path, or "
                "a DuckLake catalog in PostgreSQL as 'ducklake:postgres:dbname=... host=... user=...'."
            )
        self.locator = locator
        self.conninfo = locator[len(PREFIX) :]
        try:
            params = conninfo_to_dict(self.conninfo)
        except psycopg.ProgrammingError as exc:
            raise TrackerError(f"The PostgreSQL connection string in {locator!r} is not valid: {exc}") from None
        if "password" in params:
            raise TrackerError(
                "Do not put the password in --db or TRACKER_DB (it would show in process lists and logs): "
                "give it in PGPASSWORD, ~/.pgpass or a PostgreSQL service file, or as PGPASSWORD in "
                ".streamlit/secrets.toml for the dashboard."
            )
        self.params = params
        self.data_path = data_path
        self._root: duckdb.DuckDBPyConnection | None = None
        self._root_lock = threading.Lock()
        self._version: tuple[float, str] | None = None  # (when asked, the answer)

    def describe(self) -> str:
        """Which PostgreSQL database holds the catalog."""
        where = self.params.get("host") or "this machine"
        if self.params.get("port"):
            where += f", port {self.params['port']}"
        name = self.params.get("dbname") or self.params.get("service") or "(default)"
        return f"the shared store (PostgreSQL database {name} on {where})"

    def environment(self) -> dict[str, str]:
        """TRACKER_DB, and TRACKER_DATA_PATH where one was given."""
        env = {"TRACKER_DB": self.locator}
        if self.data_path:
            env["TRACKER_DATA_PATH"] = self.data_path
        return env

    # -- connections -------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The process's connection to the lake, opened on first use (and again after a failed open)."""
        with self._root_lock:
            if self._root is None:
                self._root = self._open()
            return self._root

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            load_extensions(con)
            options = f" (data_path {_literal(self.data_path)})" if self.data_path else ""
            attach = f"attach {_literal('ducklake:postgres:' + self.conninfo)} as {ALIAS}{options}"
            if self._catalog_exists():
                con.execute(attach)
            else:
                if not self.data_path:
                    raise TrackerError(
                        f"{self.describe()} holds no tracker data yet, and a new one needs its data folder: set "
                        "TRACKER_DATA_PATH to a folder that every server mounts at the same path."
                    )
                with self._lock(time.monotonic() + base.WRITE_WAIT_S):  # two first starts create it once
                    con.execute(attach)
        except duckdb.Error as exc:
            con.close()
            raise self._plain(exc) from None
        except BaseException:
            con.close()
            raise
        return con

    def _catalog_exists(self) -> bool:
        with self._session() as session:
            return session.execute("select to_regclass('ducklake_metadata') is not null").fetchone()[0]

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection]:
        """A PostgreSQL session of our own (for the advisory lock), with a plain message if there is none."""
        try:
            session = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise StoreUnreachable(self._unreachable(first_line(exc))) from None
        with session:
            yield session

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._connection().cursor()
        try:
            cur.execute(f"use {ALIAS}")
            yield cur
        finally:
            cur.close()

    @contextmanager
    def _lock(self, deadline: float) -> Iterator[None]:
        """Hold the writers' advisory lock until the block ends (or the session does)."""
        with self._session() as session:
            delay = 0.02
            while not session.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"{self.describe()} is busy: another program has been writing to it for over "
                        f"{base.WRITE_WAIT_S:.0f} s. Try again in a minute."
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
            yield  # closing the session at the end releases the lock

    def _subject(self) -> str:
        """``describe()`` to begin a sentence."""
        text = self.describe()
        return text[0].upper() + text[1:]

    def _unreachable(self, detail: str) -> str:
        return (
            f"{self._subject()} cannot be reached ({detail}). "
            "Nothing was changed; the dashboard carries on by itself once the database is back."
        )

    def _plain(self, exc: duckdb.Error) -> Exception:
        if any(phrase in str(exc).lower() for phrase in _UNREACHABLE):
            return StoreUnreachable(self._unreachable(first_line(exc)))
        if "Cannot open file" in str(exc) or "No such file or directory" in str(exc):
            return TrackerError(
                f"{self._subject()} is missing data files ({first_line(exc)}). "
                "Is the shared data folder mounted here, at the same path as on every other server?"
            )
        if "does not match existing data path" in str(exc):
            return TrackerError(
                f"TRACKER_DATA_PATH ({self.data_path}) is not the data folder {self.describe()} was created with: "
                "mount the shared folder at the same path on every server, or leave TRACKER_DATA_PATH unset."
            )
        return base.unreadable(self._subject(), exc)

    # -- the Store interface -----------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the lake holds the tracker's tables."""
        try:
            with self._cursor() as cur:
                found = cur.execute(
                    "select count(*) from duckdb_tables() where database_name = $db and table_name = 'meta'",
                    {"db": ALIAS},
                ).fetchone()[0]
        except duckdb.Error as exc:
            raise self._plain(exc) from None
        return found > 0

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor in one transaction: every query sees the same snapshot, whatever is committed meanwhile."""
        if not self.exists():
            raise TrackerError(f"{self.describe()} holds no tracker data yet: load a register (`sites`) or `restore`.")
        with self._cursor() as cur:
            try:
                cur.execute("begin")
                prepare(cur)
                yield cur
            except duckdb.Error as exc:
                raise self._plain(exc) from exc
            finally:
                with suppress(duckdb.Error):
                    cur.execute("rollback")

    def write(self, work: Work) -> object:
        """One transaction under the writers' lock; run again from the start if its commit conflicts."""
        deadline = time.monotonic() + base.WRITE_WAIT_S
        self._release_shared()  # a shared read's snapshot would not see this write
        self._connection()  # opened (and the catalog created, under the lock) before this write takes the lock
        with self._lock(deadline):
            delay = 0.05
            while True:
                try:
                    with self._cursor() as cur:
                        ready_for_writing(cur)
                        try:
                            return in_transaction(cur, work)
                        finally:
                            self._version = None  # this process sees its own write at once
                except duckdb.Error as exc:
                    if not is_conflict(exc):
                        raise self._plain(exc) from exc
                    if time.monotonic() + delay > deadline:
                        raise StoreBusy(
                            f"{self.describe()} is busy: another program kept changing the same data "
                            f"for {base.WRITE_WAIT_S:.0f} s, so nothing was saved. Try again in a minute."
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)

    def load_whole(self, fill: Fill, may_replace: Decide) -> bool:
        """Build the contents in a local DuckDB file first, then copy every table into the lake in one transaction."""
        with tempfile.TemporaryDirectory(prefix="tracker-staging-") as tmp:
            staged = Path(tmp) / "staged.duckdb"
            fill(FileStore(staged))
            alias = f"staged_{os.getpid()}_{threading.get_ident()}"

            def copy(con: duckdb.DuckDBPyConnection) -> bool:
                if not may_replace(con):
                    return False
                tables = [
                    name
                    for (name,) in con.execute(
                        "select table_name from duckdb_tables() where database_name = $db order by table_name",
                        {"db": alias},
                    ).fetchall()
                ]
                for table in tables:
                    con.execute(f"delete from {ALIAS}.{table}")
                    con.execute(f"insert into {ALIAS}.{table} by name select * from {alias}.{table}")
                return True

            with self._connection().cursor() as cur:  # attached for the whole process while it copies
                cur.execute(f"attach {_literal(str(staged))} as {alias} (read_only)")
                try:
                    return self.write(copy)
                finally:
                    cur.execute(f"detach {alias}")

    def version(self) -> str:
        """The catalog's latest snapshot: every commit, from any machine, makes a new one.

        A page asks once per query, so the answer is kept for VERSION_TTL_S (this process's own writes
        forget it at once): another machine's load shows at most that much later.
        """
        held = self._version
        if held is not None and time.monotonic() - held[0] < VERSION_TTL_S:
            return held[1]
        asked = time.monotonic()
        try:
            with self._cursor() as cur:
                snapshot = cur.execute(f"select * from {ALIAS}.current_snapshot()").fetchone()[0]
        except duckdb.Error as exc:
            raise self._plain(exc) from None
        self._version = (asked, f"snapshot {snapshot}")
        return self._version[1]

    def maintain(self) -> list[str]:
        """Merge small files, expire old snapshots and delete files nothing refers to; safe while servers read.

        Files that expiry or merging stop referring to are deleted only once they have been unreferenced
        for ``[maintenance] delete_unused_files_after_hours``, so a reader still on an older snapshot
        keeps its files.
        """
        keep = current().maintenance
        self.write(lambda con: None)  # migrates if due
        before = self._footprint()
        cutoff_snapshots = f"now() - to_days({int(keep.keep_snapshots_days)})"
        cutoff_files = f"now() - to_hours({int(keep.delete_unused_files_after_hours)})"
        steps = [
            f"call ducklake_flush_inlined_data('{ALIAS}')",
            f"call ducklake_merge_adjacent_files('{ALIAS}')",
            f"call ducklake_rewrite_data_files('{ALIAS}')",
            f"call ducklake_expire_snapshots('{ALIAS}', older_than => {cutoff_snapshots})",
            f"call ducklake_cleanup_old_files('{ALIAS}', older_than => {cutoff_files})",
            f"call ducklake_delete_orphaned_files('{ALIAS}', older_than => {cutoff_files})",
        ]
        self._connection()
        with self._lock(time.monotonic() + base.WRITE_WAIT_S):
            try:
                with self._cursor() as cur:
                    for step in steps:
                        cur.execute(step)
            except duckdb.Error as exc:
                raise self._plain(exc) from None
        after = self._footprint()
        return [
            f"files in use (data and deletions): {before['files']:,} before, {after['files']:,} after",
            f"snapshots kept: {before['snapshots']:,} before, {after['snapshots']:,} after "
            f"(older than {keep.keep_snapshots_days} days expired)",
            f"rows held in the catalog: {before['inlined']:,} before, {after['inlined']:,} after",
        ]

    def _footprint(self) -> dict[str, int]:
        meta = f"__ducklake_metadata_{ALIAS}"
        try:
            with self._cursor() as cur:
                files = cur.execute(
                    f"select (select count(*) from {meta}.ducklake_data_file where end_snapshot is null)"
                    f" + (select count(*) from {meta}.ducklake_delete_file where end_snapshot is null)"
                ).fetchone()[0]
                snapshots = cur.execute(f"select count(*) from {meta}.ducklake_snapshot").fetchone()[0]
                tables = cur.execute(f"select table_name from {meta}.ducklake_inlined_data_tables").fetchall()
                inlined = sum(
                    cur.execute(f'select count(*) from {meta}."{name}" where end_snapshot is null').fetchone()[0]
                    for (name,) in tables
                )
        except duckdb.Error as exc:
            raise self._plain(exc) from None
        return {"files": files, "snapshots": snapshots, "inlined": inlined}

    def close(self) -> None:
        """Close the process's connection (the next use opens a new one)."""
        with self._root_lock:
            if self._root is not None:
                self._root.close()
                self._root = None


def data_path_from_environment() -> str | None:
    """TRACKER_DATA_PATH, if set."""
    return os.environ.get("TRACKER_DATA_PATH") or None
