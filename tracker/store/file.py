"""The default backend: one DuckDB file on this machine, shared safely by every process here.

DuckDB lets one process write a file, and while a process holds it read-write no other process
may open it at all. So no process holds it for long: every read and every write takes a file lock
beside the database for as long as it runs (many readers or one writer, across threads and
processes, with writers served first). A caller who cannot get the lock within a bounded time gets
StoreBusy with a plain message, never DuckDB's lock error.

Opening DuckDB costs about 20 ms, as much as a page's query, so a process's reads share one
read-only opening of the file (``_View``: a cursor each), with the flags judged on it so far. While
no read uses it, it stays open for ``LINGER_S`` at most, and closes as soon as a writer of any
process holds the lock (looked at every ``_IDLE_CHECK_S``); a writer in this process closes it
first. (DuckDB refuses a writer the file while any process has it open; the writer retries.)

Most of an opening's cost is DuckDB making the in-memory instance the file is attached to, which
depends on nothing in the file. A long-lived process (the dashboard server) asks for one to be made
ahead, while it is idle (``Store.keep_openings_ready``): the first read after a load then only
attaches the file (``_Spare``).
"""

from __future__ import annotations

import fcntl
import gc
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from tracker import judged, queries
from tracker.errors import StoreBusy, TrackerError
from tracker.store import base
from tracker.store.base import (
    SHARED_SEARCH,
    Decide,
    Fill,
    Store,
    T,
    Work,
    in_transaction,
    prepare,
    prepare_shared,
    ready_for_writing,
    unreadable,
)

_POLL_S = 0.02
# How long this process keeps the file open after its last read ends, for the next read to use (and
# the flags judged on it: tracker/judged.py), unless a writer comes first; and how often it looks.
LINGER_S = 60.0
_IDLE_CHECK_S = 0.1
# How many cursors an opening keeps for the reads to come: as many as this process's reads at once,
# mostly (a page's script, its helpers, the prefetch).
KEPT_CURSORS = 8


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
    return _retrying(path, wait_s, lambda: duckdb.connect(str(path), read_only=read_only), free_views=True)


def _attach_read_only(path: Path, wait_s: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB of its own with the file attached read-only as its default database.

    Attached to an in-memory DuckDB rather than opened by path, so that DuckDB's per-path instance
    cache never hands a later read this opening after the file was replaced (a restore, a demo build).
    """

    def attach() -> duckdb.DuckDBPyConnection:
        con = _SPARE.take()
        try:
            con.execute(f"attach {_literal(str(path))} as {_VIEW_DB} (read_only)")
        except BaseException:
            con.close()
            raise
        return con

    return _retrying(path, wait_s, attach)


def _literal(text: str) -> str:
    """A SQL string literal (ATTACH takes no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _retrying(
    path: Path, wait_s: float, open_: Callable[[], duckdb.DuckDBPyConnection], *, free_views: bool = False
) -> duckdb.DuckDBPyConnection:
    """``open_()``, retried while the file is locked; ``free_views``: this process's openings are let go."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return open_()
        except (duckdb.IOException, duckdb.ConnectionException, duckdb.BinderException) as exc:
            if _newer(exc):
                raise NewerFormat(
                    f"The database {path} was written by a newer DuckDB than this tracker's "
                    f"({duckdb.__version__}), which cannot read it. Move it across: run "
                    "`python -m tracker export --out DIR --db FILE` with the tracker version that wrote it, "
                    "then `python -m tracker restore DIR --db NEW_FILE` with this one."
                ) from None
            if "file handle conflict" in str(exc):
                # This process still has the file open read-only: an opening some result of a read may
                # still hold on to (DuckDB keeps one alive while any of its Arrow results is).
                if free_views:
                    _readers(path).close()
                    gc.collect()
            elif "lock" not in str(exc).lower() and "different configuration" not in str(exc):
                raise TrackerError(f"The database {path} cannot be opened: {exc}") from None
            if time.monotonic() > deadline:
                raise StoreBusy(
                    f"The database {path.name} is held open by another program; tried for {wait_s:.0f} s."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


_VIEW_DB = "tracker"


class _View:
    """One read-only opening of the file, shared by this process's reads (a cursor each).

    The file cannot change while it is open, so what every read needs is made once, in the opening's
    in-memory catalog (``prepare_shared``): the flag log's state, and the flags judged so far
    (``tracker.judged``). A file whose stored macros are not this code's has each cursor prepared.
    A cursor whose read ended well is kept for the next read (``idle``, at most ``KEPT_CURSORS``): making
    and preparing one costs about half a millisecond, and a page makes a dozen reads.
    """

    def __init__(self, path: Path, identity: tuple):
        self.identity = identity
        self.users = 0
        self.idle: list[duckdb.DuckDBPyConnection] = []  # cursors ready for a read (guarded by _Readers._lock)
        self.con = _attach_read_only(path, base.READ_WAIT_S)
        try:
            self.con.execute(f"use {_VIEW_DB}")
            self.shared = prepare_shared(self.con)
            self.judged = judged.Memo(self.con) if self.shared else None
        except BaseException:
            self.con.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own on the opening, ready for queries: a kept one, or a new one."""
        if self.idle:
            cur = self.idle.pop()
        else:
            cur = self.con.cursor()
            try:
                if self.shared:
                    cur.execute(SHARED_SEARCH.format(database=_VIEW_DB))
                else:
                    cur.execute(f"use {_VIEW_DB}")
                    prepare(cur)
            except BaseException:
                cur.close()
                raise
        if self.shared:
            self.judged.attach(cur)
        return cur

    def close(self) -> None:
        for cur in self.idle:
            cur.close()
        self.idle.clear()
        self.con.close()
        _SPARE.refill()  # the next read needs a new opening: its instance is made now, while nothing waits


class _Spare:
    """An in-memory DuckDB made ahead for this process's next opening of a file, once the process has
    asked for it (``keep``): made in a thread of its own (DuckDB lets go of Python's lock while it
    makes one) whenever an opening closes, not when asked, since a server asks just before its first
    read, which would then make two at once. An empty instance never goes stale: the file is attached
    when it is taken. A process that never asks (a command) makes none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._making: threading.Thread | None = None
        self._wanted = False

    def keep(self) -> None:
        """From now on, make one whenever an opening closes."""
        self._wanted = True

    def take(self) -> duckdb.DuckDBPyConnection:
        """The one made ahead if it is ready, else a new one made now."""
        with self._lock:
            con, self._con = self._con, None
        return con or duckdb.connect(":memory:")

    def refill(self) -> None:
        """Start making one, if the process keeps one and none is ready or being made."""
        with self._lock:
            if not self._wanted or self._con is not None or self._making is not None:
                return
            # Not a daemon (said outright: a thread started from the idle watch's timer, a daemon, would
            # otherwise be one too): a thread cut off while DuckDB holds it could take the exit down.
            self._making = threading.Thread(target=self._make, name="tracker-spare-opening", daemon=False)
            self._making.start()

    def _make(self) -> None:
        con = None
        try:
            con = duckdb.connect(":memory:")
        except duckdb.Error:
            pass  # the next opening makes its own, and says what is wrong
        finally:
            with self._lock:
                self._making = None
                if self._con is None:
                    self._con, con = con, None
        if con is not None:
            con.close()

    def wait(self, timeout_s: float = 5.0) -> bool:
        """Whether one is ready, waiting up to ``timeout_s`` for one being made."""
        making = self._making
        if making is not None:
            making.join(timeout_s)
        return self._con is not None


_SPARE = _Spare()


def spare_ready(timeout_s: float = 5.0) -> bool:
    """Whether the instance of this process's next opening is made ahead, waiting up to ``timeout_s``
    for one being made (for benchmarks and tests: the first read after a load comes later than that)."""
    return _SPARE.wait(timeout_s)


class _Readers:
    """This process's reads of one file: the view they share, opened by the first and kept while idle
    for up to LINGER_S, or until a writer of any process holds the lock; a view of a file since
    replaced is closed when its last read ends."""

    def __init__(self, path: Path):
        self.path = path
        self._lock_file = path.with_name(path.name + ".lock")
        self._lock = threading.Lock()
        self._view: _View | None = None
        self._timer: threading.Timer | None = None

    def _identity(self) -> tuple:
        """What changes when the file is written or replaced (the change time too: a copy over it in place)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise TrackerError(f"There is no database at {self.path}.") from None
        wal = self.path.with_name(self.path.name + ".wal")
        return (
            st.st_dev,
            st.st_ino,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_size,
            wal.exists() and wal.stat().st_mtime_ns,
        )

    def acquire(self) -> tuple[_View, duckdb.DuckDBPyConnection]:
        """A view of the file as it is now and a cursor on it (the caller holds the shared lock)."""
        with self._lock:
            self._cancel_timer()
            try:
                identity = self._identity()
                if self._view is not None and self._view.identity != identity:
                    stale, self._view = self._view, None
                    if stale.users == 0:
                        stale.close()
                if self._view is None:
                    self._view = _View(self.path, identity)
            except BaseException:
                self._watch_if_idle()
                raise
            view = self._view
            view.users += 1
            try:
                return view, view.cursor()
            except BaseException:
                view.users -= 1
                self._watch_if_idle()
                raise

    def release(self, view: _View, cur: duckdb.DuckDBPyConnection, keep: bool = False) -> None:
        """End one read, keeping its cursor for the next read of the current view if ``keep`` (the read
        ended well); the last read closes a stale view now, and leaves the current one idle."""
        with self._lock:
            if keep and view is self._view and len(view.idle) < KEPT_CURSORS:
                view.idle.append(cur)
            else:
                cur.close()
            view.users -= 1
            if view.users:
                return
            if view is not self._view:
                view.close()
            else:
                self._watch(view, time.monotonic() + LINGER_S)

    def _watch(self, view: _View, until: float) -> None:
        """Look again at an idle view in a moment (the caller holds ``_lock``): one watch at a time."""
        self._cancel_timer()
        self._timer = threading.Timer(_IDLE_CHECK_S, self._check_idle, (view, until))
        self._timer.daemon = True
        self._timer.start()

    def _watch_if_idle(self) -> None:
        """Watch the current view if no read uses it (after a read that failed to start; holds ``_lock``)."""
        if self._view is not None and self._view.users == 0:
            self._watch(self._view, time.monotonic() + LINGER_S)

    def _check_idle(self, view: _View, until: float) -> None:
        """Close an idle view once LINGER_S has passed or a writer holds the lock, else look again."""
        with self._lock:
            if threading.current_thread() is not self._timer:
                return  # a later watch took over (this one fired while a read ended and started another)
            self._timer = None
            if view is not self._view or view.users:
                return
            if time.monotonic() >= until or self._writer_waiting():
                self._view = None
                view.close()
            else:
                self._watch(view, until)

    def _writer_waiting(self) -> bool:
        """Whether a writer holds the file's lock (exclusive: it is trying to open the file, or has)."""
        try:
            fd = os.open(self._lock_file, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def close(self) -> None:
        """Let the view go: closed now if no read is using it, else when the last one ends."""
        with self._lock:
            self._cancel_timer()
            view, self._view = self._view, None
            if view is not None and view.users == 0:
                view.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


# The threads that help ``FileStore.read_each`` (besides the caller's own): one fewer than the cores this
# process may use, as each query's own work also runs on DuckDB's threads; at most three.
HELPERS = max(1, min(3, len(os.sched_getaffinity(0)) - 1))
HELPER_THREAD = "tracker-read"
_HELPER_POOL = ThreadPoolExecutor(max_workers=HELPERS, thread_name_prefix=HELPER_THREAD)

_READERS: dict[Path, _Readers] = {}
_READERS_LOCK = threading.Lock()


def close_all() -> None:
    """Let go of this process's openings of every file (reads under way keep theirs until they end)."""
    with _READERS_LOCK:
        readers = list(_READERS.values())
    for r in readers:
        r.close()


def _readers(path: Path) -> _Readers:
    """The one ``_Readers`` of this process for the file at ``path``."""
    key = path.resolve()
    with _READERS_LOCK:
        if key not in _READERS:
            _READERS[key] = _Readers(key)
        return _READERS[key]


class FileStore(Store):
    """One DuckDB file and the locks that guard it."""

    # A file's reader holds a shared lock while its cursor is open. Held for a whole page run it
    # deadlocks: a writer in another process waits for it, holding the gate; a second session of the
    # same server, computing a cached query, waits at the gate; and the first run then waits for
    # Streamlit's lock on that same cached query. So every read takes the lock and a cursor of its
    # own; what the reads share is the opening of the file (``_Readers``), which holds no lock.
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
    def _shared_lock(self) -> Iterator[_Readers]:
        """Hold the file's shared lock (no writer of any process while it is held) and give this process's
        readers of it. The gate is passed first, so that a waiting writer is not starved by a stream of
        readers."""
        if not self.path.exists():
            raise TrackerError(f"There is no database at {self.path}.")
        with flock(self._gate, fcntl.LOCK_EX, base.READ_WAIT_S, "writing"):
            pass
        with flock(self._lock, fcntl.LOCK_SH, base.READ_WAIT_S, "writing"):
            yield _readers(self.path)

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on this process's read-only view of the file: no write can happen while it is open."""
        with self._shared_lock() as readers:
            try:
                view, con = readers.acquire()
            except duckdb.Error as exc:
                raise unreadable(f"The database {self.path.name}", exc) from exc
            ended_well = False
            try:
                yield con
                ended_well = True
            except duckdb.Error as exc:
                raise unreadable(f"The database {self.path.name}", exc) from exc
            finally:
                queries.forget(con)
                # before the lock: a writer holding it finds no read of ours open
                readers.release(view, con, keep=ended_well)

    helpers = HELPERS

    def read_each(self, works: Sequence[Work[T]]) -> list[T]:
        """What each ``work(con)`` gives, in order: side by side on cursors of one opening of the file,
        under one shared lock, so that all of them read one state of it.

        A query at 70 sites is mostly DuckDB's fixed cost of planning and starting it, much of it in one
        thread, so two at once overlap part of it. The calling thread takes works in turn with ``helpers`` threads
        of this process; a helper busy with another caller's works is not waited for (the caller does
        them itself). The first error, in the order of ``works``, is raised once every work begun has
        ended; an interrupt (or any other non-``Exception``) stops the works not begun, and is raised
        first. A work must only query its connection: one that waited for Streamlit's lock on a cached
        value while this holds the file's lock could deadlock with a writer (the class's note).
        """
        works = list(works)
        if len(works) < 2:
            return super().read_each(works)
        todo = deque(enumerate(works))
        results: list = [None] * len(works)
        errors: dict[int, Exception] = {}

        def take_turns(con: duckdb.DuckDBPyConnection) -> None:
            while True:
                try:
                    i, work = todo.popleft()
                except IndexError:
                    return
                try:
                    results[i] = work(con)
                except Exception as exc:  # noqa: BLE001 - raised below, once every work begun has ended
                    errors[i] = exc

        with self._shared_lock() as readers:
            held: list[tuple[_View, duckdb.DuckDBPyConnection]] = []
            helping: list[Future] = []
            ended = False  # not cut off (an interrupt): each cursor then ran its works to the end
            try:
                try:
                    for _ in range(1 + min(self.helpers, len(works) - 1)):
                        held.append(readers.acquire())  # one view: the lock keeps every writer out
                except duckdb.Error as exc:
                    raise unreadable(f"The database {self.path.name}", exc) from exc
                helping = [_HELPER_POOL.submit(take_turns, con) for _, con in held[1:]]
                take_turns(held[0][1])
                ended = True
            finally:
                todo.clear()  # an interrupt: no work not begun starts
                for helper in helping:
                    if not helper.cancel():  # begun: it is doing one of these works on a cursor held here
                        wait([helper])
                        if helper.exception() is not None:  # cut off (an interrupt in it): its cursor is not kept
                            ended = False
                for view, con in held:
                    queries.forget(con)
                    readers.release(view, con, keep=ended and not errors)
        if errors:
            first = errors[min(errors)]
            if isinstance(first, duckdb.Error):
                raise unreadable(f"The database {self.path.name}", first) from first
            raise first
        return results

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
            self.close()  # this process's view must not outlive what is written now (none of our reads is open)
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

    def close(self) -> None:
        """Close this process's opening of the file (reads under way keep it until they end)."""
        _readers(self.path).close()

    def keep_openings_ready(self) -> None:
        """Make the instance of this process's next opening of a file ahead, while it is idle (``_Spare``)."""
        _SPARE.keep()

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
