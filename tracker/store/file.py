"""The default backend: one DuckDB file on this machine, shared safely by every process here.

DuckDB lets one process write a file, and while a process holds it read-write no other process
may open it at all. So no process keeps it open: every read and every write is a short-lived
connection, taken under a file lock beside the database (many readers or one writer, across
threads and processes, with writers served first). A caller who cannot get the lock within a
bounded time gets StoreBusy with a plain message, never DuckDB's lock error.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from tracker.errors import StoreBusy, TrackerError
from tracker.store import base
from tracker.store.base import Decide, Fill, Store, Work, in_transaction, prepare, ready_for_writing, unreadable

_POLL_S = 0.02


class NewerFormat(TrackerError):
    """The file was written by a newer DuckDB than this one (see README, "Moving a database")."""


@contextmanager
def flock(path: Path, mode: int, wait_s: float, what: str) -> Iterator[None]:
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


def _newer(exc: duckdb.Error) -> bool:
    """Whether DuckDB refused a file because a newer DuckDB wrote it."""
    return "version number" in str(exc) and "newer version" in str(exc)


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while a program outside our locking (a DuckDB shell, say) holds the file."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if _newer(exc):
                raise NewerFormat(
                    f"The database {path} was written by a newer DuckDB than this tracker's "
                    f"({duckdb.__version__}), which cannot read it. Move it across: run "
                    "`python -m tracker export --out DIR --db FILE` with the tracker version that wrote it, "
                    "then `python -m tracker restore DIR --db NEW_FILE` with this one."
                ) from None
            if "lock" not in str(exc).lower() and "different configuration" not in str(exc):
                raise TrackerError(f"The database {path} cannot be opened: {exc}") from None
            if time.monotonic() > deadline:
                raise StoreBusy(
                    f"The database {path.name} is held open by another program; tried for {wait_s:.0f} s."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class FileStore(Store):
    """One DuckDB file and the locks that guard it."""

    # A file's reader holds a shared lock while its connection is open. Held for a whole page run it
    # deadlocks: a writer in another process waits for it, holding the gate; a second session of the
    # same server, computing a cached query, waits at the gate; and the first run then waits for
    # Streamlit's lock on that same cached query. So every read takes a connection of its own.
    shares_reads = False

    def __init__(self, path: str | os.PathLike, *, is_default: bool = False):
        self.path = Path(path)
        self.locator = str(self.path)
        self.is_default = is_default
        self._lock = self.path.with_name(self.path.name + ".lock")
        self._gate = self.path.with_name(self.path.name + ".gate")

    def describe(self) -> str:
        """The file's name."""
        return f"the database {self.path.name}"

    def exists(self) -> bool:
        """Whether the file is there (a tracker database or not: reading says which)."""
        return self.path.exists()

    def readable(self) -> bool:
        """Whether this DuckDB can open the file (one written by a newer DuckDB cannot)."""
        try:
            duckdb.connect(str(self.path), read_only=True).close()
        except duckdb.Error as exc:
            return not _newer(exc)
        return True

    def remove(self) -> None:
        """Delete the file and its write-ahead log (the caller holds ``exclusive``)."""
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            path.unlink(missing_ok=True)

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection: a consistent view, no write can happen while it is open."""
        if not self.path.exists():
            raise TrackerError(f"There is no database at {self.path}.")
        # Pass the gate so that a waiting writer is not starved by a stream of readers.
        with flock(self._gate, fcntl.LOCK_EX, base.READ_WAIT_S, "writing"):
            pass
        with flock(self._lock, fcntl.LOCK_SH, base.READ_WAIT_S, "writing"):
            con = _connect(self.path, True, base.READ_WAIT_S)
            try:
                prepare(con)
                yield con
            except duckdb.Error as exc:
                raise unreadable(f"The database {self.path.name}", exc) from exc
            finally:
                con.close()

    @contextmanager
    def exclusive(self, wait_s: float | None = None) -> Iterator[None]:
        """Hold the file's write lock (no reader or writer in any process) without opening it."""
        wait_s = base.WRITE_WAIT_S if wait_s is None else wait_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Hold the gate only while waiting: new readers queue behind this writer.
        with flock(self._gate, fcntl.LOCK_EX, wait_s, "reading or writing"):
            held = ExitStack()
            held.enter_context(flock(self._lock, fcntl.LOCK_EX, wait_s, "reading or writing"))
        with held:
            yield

    def write(self, work: Work) -> object:
        """One transaction on the one read-write connection, the schema brought up to date first."""
        with self.exclusive():
            con = _connect(self.path, False, base.WRITE_WAIT_S)
            try:
                ready_for_writing(con)
                return in_transaction(con, work)
            except duckdb.Error as exc:
                raise unreadable(f"The database {self.path.name}", exc) from exc
            finally:
                con.close()

    def load_whole(self, fill: Fill, may_replace: Decide) -> bool:
        """Build the new database beside the file and move it into place, holding the file's lock throughout."""
        tmp = self.path.with_name(f"{self.path.name}.building-{os.getpid()}")
        with self.exclusive():
            if self.path.exists():
                con = _connect(self.path, True, base.WRITE_WAIT_S)
                try:
                    if not may_replace(con):
                        return False
                except duckdb.CatalogException:
                    raise TrackerError(f"{self.path} is not a tracker database; move it away first") from None
                finally:
                    con.close()
            try:
                fill(FileStore(tmp))
                self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)  # the old file's, if any
                os.replace(tmp, self.path)
            finally:
                for leftover in self.path.parent.glob(f"{tmp.name}*"):
                    leftover.unlink(missing_ok=True)
        return True

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

    def maintain(self) -> list[str]:
        """Write everything into the file proper (a checkpoint); a file needs nothing else."""
        before = self.path.stat().st_size
        self.write(lambda con: None)  # migrates if due
        with self.exclusive():
            con = _connect(self.path, False, base.WRITE_WAIT_S)
            try:
                con.execute("checkpoint")
            finally:
                con.close()
        return [f"checkpointed {self.path.name}: {before:,} bytes before, {self.path.stat().st_size:,} after"]
