"""Where the tracker's tables live: a DuckDB file on this machine (the default), or a shared DuckLake.

``--db`` and TRACKER_DB name either a file path or DuckLake's own attach string for a catalog in
PostgreSQL (``ducklake:postgres:dbname=tracker host=db.example user=tracker``, its data folder in
TRACKER_DATA_PATH). Everything above this package talks to a ``Store`` and runs the same SQL on both.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tracker.config import ROOT
from tracker.store.base import Store
from tracker.store.file import FileStore
from tracker.store.schema import get_meta, latest_schema, programme_config, read_meta, rules, set_meta

DEFAULT_DB = ROOT / "data" / "tracker.duckdb"
LAKE_PREFIX = "ducklake:"

_lakes: dict[tuple[str, str | None], Store] = {}
_lakes_lock = threading.Lock()


def is_lake(locator: str | os.PathLike | None) -> bool:
    """Whether ``--db`` names a DuckLake (an attach string) rather than a file."""
    return str(locator or "").startswith(LAKE_PREFIX)


def locate(db: str | os.PathLike | None = None) -> Store:
    """The store ``--db`` names, else TRACKER_DB, else the default file; nothing is opened or built.

    A process keeps one store per lake (one long-lived connection), however often it asks.
    """
    chosen = str(db) if db else os.environ.get("TRACKER_DB")
    if is_lake(chosen):
        from tracker.store.lake import LakeStore, data_path_from_environment  # psycopg only when needed

        key = (chosen, data_path_from_environment())
        with _lakes_lock:
            if key not in _lakes:
                _lakes[key] = LakeStore(*key)
            return _lakes[key]
    if chosen:
        return FileStore(Path(chosen).expanduser().resolve())
    return FileStore(DEFAULT_DB, is_default=True)


def open_store(db: str | os.PathLike | None = None) -> Store:
    """The store to use, its schema brought up to date. A missing store is not created here."""
    store = locate(db)
    store.upgrade()
    return store


__all__ = [
    "DEFAULT_DB",
    "FileStore",
    "Store",
    "get_meta",
    "is_lake",
    "latest_schema",
    "locate",
    "open_store",
    "programme_config",
    "read_meta",
    "rules",
    "set_meta",
]
