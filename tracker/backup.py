"""Back up every table as Parquet and CSV, and rebuild an equivalent store from such a backup.

A restored store continues exactly where the original stood: the same rows in every table, so the
next ids (the highest stored plus one) are the same and loading goes on as it would have. A backup
taken from a DuckDB file restores into a shared DuckLake and back: this is how a programme moves
between the two (``export`` from one, ``restore`` into the other).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from tracker import __version__, derived
from tracker.errors import TrackerError
from tracker.exports import csv_bytes
from tracker.store import Store, get_meta, latest_schema, set_meta
from tracker.store.schema import MACROS_KEY, seed_rules

# Every table a backup holds; the derived tables are made afresh on restore.
TABLES = (
    "meta",
    "site_versions",
    "rule_versions",
    "load_log",
    "returns",
    "return_warnings",
    "flag_notes",
    "deliveries",
)
# Tables whose rows mean the store is in use (a restore refuses to mix a backup into them; a new
# database's first rules, seeded from tracker.toml, do not count).
DATA_TABLES = ("site_versions", "load_log", "returns", "flag_notes")
# A backup made before the register and the rules were kept as history (schema 3) has the register
# as `sites`: it restores as each site's first version, with the rules seeded from tracker.toml
# (and no deliveries, which were not kept then).
BEFORE_HISTORY = {"site_versions": "sites", "rule_versions": None, "deliveries": None}
MANIFEST = "backup.json"


def export(store: Store, out_dir: Path) -> dict:
    """Write every table to ``out_dir`` as TABLE.parquet and TABLE.csv, with a manifest; gives the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict = {
        "exported_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "software_version": __version__,
        "duckdb_version": duckdb.__version__,
        "schema_version": latest_schema(),
        "tables": {},
    }
    with store.read() as con:  # one read: a consistent view of every table
        for table in TABLES:
            relation = con.table(table)
            relation.write_parquet(str(out_dir / f"{table}.parquet"))
            # The CSV is for people: formula-like text is neutralised. Parquet is the faithful copy.
            (out_dir / f"{table}.csv").write_bytes(csv_bytes(relation.df()))
            manifest["tables"][table] = {"rows": relation.count("*").fetchall()[0][0]}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(backup_dir: Path, store: Store) -> dict:
    """Fill a new store from a backup: a file that does not exist yet, or a store that holds no data."""
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise TrackerError(f"{backup_dir} does not hold a tracker backup ({MANIFEST}): {exc}") from None
    sources = {t: _source(backup_dir, t) for t in TABLES}
    missing = [t for t, source in sources.items() if source is False]
    if missing:
        raise TrackerError(f"the backup in {backup_dir} lacks {', '.join(f'{t}.parquet' for t in missing)}")
    expected = {t: manifest["tables"][source]["rows"] for t, source in sources.items() if source}

    def only_if_empty(con: duckdb.DuckDBPyConnection) -> bool:
        if holds_data(con):
            raise TrackerError(
                f"{store.describe()} already holds data: restore fills only a new database or an empty store; "
                "choose another or move it away"
            )
        return True

    store.load_whole(lambda staging: staging.write(lambda con: _insert_backup(con, backup_dir, sources)), only_if_empty)
    with store.read() as con:
        counts = {t: con.table(t).count("*").fetchall()[0][0] for t in TABLES if sources[t]}
    if counts != expected:
        raise TrackerError(f"the restored row counts {counts} differ from the backup's {expected}")
    return {"tables": counts, "from": str(backup_dir), "to": store.describe()}


def holds_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a store has a register, returns, loads or notes (a new or empty one has none)."""
    return any(con.table(t).count("*").fetchall()[0][0] for t in DATA_TABLES)


def _source(backup_dir: Path, table: str) -> str | bool | None:
    """The backup's file for a table: its own, an older backup's equivalent, None (seeded), or False (lacking)."""
    if (backup_dir / f"{table}.parquet").exists():
        return table
    if table in BEFORE_HISTORY:
        older = BEFORE_HISTORY[table]
        if older is None or (backup_dir / f"{older}.parquet").exists():
            return older
    return False


def _insert_backup(con: duckdb.DuckDBPyConnection, backup_dir: Path, sources: dict[str, str | None]) -> None:
    """Put every table of the backup into a new database (one transaction), then derive afresh."""
    macros = get_meta(con, MACROS_KEY)  # the macros this write installed, whatever the backup says
    for table, source in sources.items():
        if source is None:  # kept as seeded
            continue
        con.execute(f"delete from {table}")
        parquet = str(backup_dir / f"{source}.parquet")
        if source != table:  # an older backup's register: each site's entry becomes its first version
            con.execute(
                "insert into site_versions by name select s.* exclude (load_id), "
                "row_number() over (order by s.site_code) as version_id, null::date as effective_from, "
                "false as is_correction, s.load_id from read_parquet($p) as s",
                {"p": parquet},
            )
            continue
        # By name: a backup from before a column was added still restores.
        con.execute(f"insert into {table} by name select * from read_parquet($p)", {"p": parquet})
    if macros is not None:
        set_meta(con, MACROS_KEY, macros)
    set_meta(con, "schema_version", str(latest_schema()))  # the tables are this code's, whatever the backup was
    if not sources["rule_versions"]:
        seed_rules(con, replace=True)
    derived.refresh(con)
