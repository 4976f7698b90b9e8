"""What every store backend offers, and the steps both take on a new connection."""

from __future__ import annotations

import abc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from typing import TypeVar

import duckdb

from tracker import derived
from tracker.errors import TrackerError
from tracker.store import schema

# How long a reader or a writer waits for the store before the user is told it is busy.
READ_WAIT_S = 20.0
WRITE_WAIT_S = 60.0

T = TypeVar("T")
Work = Callable[[duckdb.DuckDBPyConnection], T]
Fill = Callable[["Store"], None]  # fills a new, empty store
Decide = Callable[[duckdb.DuckDBPyConnection], bool]  # looks at a store and says yes or no

# The connections this thread's reads share inside ``Store.shared_reads`` (none outside one).
_shared = threading.local()


class Store(abc.ABC):
    """Where the tracker's tables live. Above this module nothing knows which backend it is."""

    #: What ``--db`` or TRACKER_DB would say to reach this store again (a file path or an attach string).
    locator: str
    #: Whether this is the default database (data/tracker.duckdb), the only one filled with demo data unasked.
    is_default: bool = False
    #: Whether reads inside ``shared_reads`` share one connection (a store whose readers hold no lock).
    shares_reads: bool = True
    #: How many threads of this process may read beside a caller (``read_each``; a page's parts worked out
    #: ahead): none where each thread would open a connection of its own, dearer than the queries it overlaps.
    helpers: int = 0

    @abc.abstractmethod
    def describe(self) -> str:
        """The store in plain words, for messages."""

    @abc.abstractmethod
    def exists(self) -> bool:
        """Whether the store holds tracker tables (a new file or an empty catalog does not)."""

    def readable(self) -> bool:
        """Whether this DuckDB can open the store at all (a file written by a newer DuckDB cannot)."""
        return True

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that sees one consistent state of every table while it is open.

        Inside ``shared_reads`` this thread's reads share one connection, opened by the first of them. A
        read leaves the connection as it found it (no transaction, relation or setting of its own left
        behind): the next read may be given it (a file keeps the cursor of a read that ended well).
        """
        held = getattr(_shared, "held", None)
        if held is None or not self.shares_reads:
            with self._read() as con:
                yield con
            return
        if self not in held:
            stack = ExitStack()
            held[self] = (stack, stack.enter_context(self._read()))
        try:
            yield held[self][1]
        except BaseException:
            self._release_shared()  # a failed query may leave the connection unusable (a lake's transaction)
            raise

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Let this thread's reads of any store that ``shares_reads`` share one connection each until the
        block ends.

        Opening a connection and preparing it costs about as much as a page's query (on a lake, several
        queries of the catalog), so a page run inside one pays for one connection instead of one per
        query. A write in the block first closes the shared connection, and the next read opens another
        that sees it. Blocks nest: the outermost one closes.
        """
        if getattr(_shared, "held", None) is not None:
            yield
            return
        _shared.held = {}
        try:
            yield
        finally:
            held, _shared.held = _shared.held, None
            for stack, _ in held.values():
                with suppress(Exception):
                    stack.close()

    def _release_shared(self) -> None:
        """Close this thread's shared connection to this store, if it has one (before a write)."""
        held = getattr(_shared, "held", None)
        if held and self in held:
            stack, _ = held.pop(self)
            stack.close()

    def read_each(self, works: Sequence[Work[T]]) -> list[T]:
        """What each ``work(con)`` gives, in order, all of them reading one state of the store.

        Here one after another on one connection; a backend with ``helpers`` runs them side by side
        (``FileStore``). Not to be called inside a read of the same store: a writer waiting between the
        two would wait for the one while the other waits for it. A work must only query its connection.
        """
        with self.read() as con:
            return [work(con) for work in works]

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A new connection that sees one consistent state of every table while it is open."""

    @abc.abstractmethod
    def write(self, work: Work[T]) -> T:
        """Run ``work(con)`` as one transaction while no other process writes; gives what it returns.

        The schema is brought up to date first. ``work`` commits whole or not at all; it may be
        run again after a commit conflict, so it must do nothing outside the database.
        """

    @abc.abstractmethod
    def load_whole(self, fill: Fill, may_replace: Decide) -> bool:
        """Make the store's whole contents at once: ``fill`` builds them in a new staging database, then they
        take the place of this store's in one step (readers see the old or the new, never a mix).

        If the store already holds tracker tables, ``may_replace(con)`` decides first: True replaces them,
        False keeps them (and gives False, changing nothing), and an error it raises refuses.
        """

    @abc.abstractmethod
    def version(self) -> str:
        """A value that changes whenever the data changes (for cache keys)."""

    @abc.abstractmethod
    def maintain(self) -> list[str]:
        """Compact the store and drop what nothing refers to; says what was done."""

    def environment(self) -> dict[str, str]:
        """The environment a child process needs to reach this same store."""
        return {"TRACKER_DB": self.locator}

    @abc.abstractmethod
    def close(self) -> None:
        """Release what this process holds open of the store (reads under way finish first)."""

    def keep_openings_ready(self) -> None:  # noqa: B027 - a hook: only a backend that can do it overrides it
        """For a long-lived process (a server): prepare what the next opening of the store needs ahead,
        while the process is idle, where the backend can. Nothing by default."""

    def upgrade(self) -> None:
        """Bring the schema, stored macros and derived data up to date, if this code is newer."""
        if not self.exists():
            return
        with self.read() as con:
            have = schema.schema_version(con)
            stale = have is not None and (derived.is_stale(con) or not schema.macros_installed(con))
        if have is None or have < schema.latest_schema() or stale:
            self.write(lambda con: None)  # write() migrates and derives first


def in_transaction(con: duckdb.DuckDBPyConnection, work: Work[T]) -> T:
    """Run ``work`` between begin and commit; roll back on any error (a failed commit is rolled back already)."""
    con.execute("begin")
    try:
        result = work(con)
        con.execute("commit")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("rollback")
        raise
    return result


def prepare(con: duckdb.DuckDBPyConnection) -> bool:
    """Give a connection what the queries read besides the tables: how far the flag log may be used, and
    the macros if the store lacks them.

    The macros in sql/macros are stored by the writer (``ready_for_writing``): creating them takes
    tens of milliseconds, too long to repeat for every read. A store whose stored macros are not
    this code's (an upgrade not yet written) gets temporary ones, which come first. Gives whether the
    macros are there to use (not before an upgrade).
    """
    meta = schema.read_meta(con)  # once: on a lake each read of it is a query of the catalog
    derived.publish_state(con, meta)
    if meta is not None and int(meta.get("schema_version", 0)) < schema.latest_schema():
        return False  # tables this code's macros read are not there yet: the writer migrates first (Store.upgrade)
    if not schema.macros_installed(con, meta):
        schema.create_temp_macros(con)
    return True


def prepare_shared(con: duckdb.DuckDBPyConnection) -> bool:
    """``prepare`` once for every connection to an opening whose data cannot change while it is open: the
    flag log's state goes into the in-memory DuckDB's own catalog (``memory.main``), which each
    connection then searches first (``SHARED_SEARCH``). Gives False, doing nothing, for a store whose
    stored macros are not this code's: its connections need ``prepare`` each.
    """
    meta = schema.read_meta(con)
    if meta is None or int(meta.get("schema_version", 0)) < schema.latest_schema():
        return False
    if not schema.macros_installed(con, meta):
        return False
    derived.publish_state(con, meta, shared=True)
    return True


# What a connection to an opening prepared by ``prepare_shared`` runs first (DATABASE: the opening's name).
SHARED_SEARCH = "use {database}; set search_path = 'memory.main,{database}.main'"


def ready_for_writing(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate, store the macros and re-derive if the rules changed: each step its own transaction.

    The macros are stored before the connection is prepared, so that a new or upgraded store (the demo's
    first build among them) is not given temporary copies as well; they read the flag log's state,
    published first.
    """
    if schema.schema_version(con) != schema.latest_schema():
        in_transaction(con, schema.migrate)
    if not schema.macros_installed(con):
        derived.publish_state(con)
        in_transaction(con, schema.install_macros)
    prepare(con)
    if derived.is_stale(con):  # new schema or new flag rules: derive afresh first
        in_transaction(con, derived.refresh)


def unreadable(what: str, exc: duckdb.Error) -> Exception:
    """A plain error for a store that does not hold what the tracker expects (or the bug itself: TRACKER_DEBUG)."""
    if os.environ.get("TRACKER_DEBUG"):
        return exc
    if "were not judged before a query read them" in str(exc):  # tracker/judged.py: the code's fault, not the data's
        return TrackerError(f"A query read flags it had not judged first, a fault in the tracker: {first_line(exc)}")
    return TrackerError(f"{what} could not answer a query ({first_line(exc)}). Is it a tracker database?")


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (DuckDB's carry hints and context below it)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
