"""Back up every table as Parquet and CSV, and rebuild an equivalent database from such a backup.

A restored database continues exactly where the original stood: the same rows in every table and
its id sequences carrying on from the same numbers, so loading goes on as it would have.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from tracker import __version__, derived, queries
from tracker.errors import TrackerError
from tracker.exports import csv_bytes
from tracker.store import Store, latest_schema

# Every table, and the id column and sequence that number it (None: keyed otherwise).
TABLES = {
    "meta": (None, None),
    "sites": (None, None),
    "load_log": ("load_id", "load_id_seq"),
    "returns": ("return_id", "return_id_seq"),
    "return_warnings": ("warning_id", "warning_id_seq"),
    "flag_notes": ("note_id", "note_id_seq"),
}
MANIFEST = "backup.json"


def export(store: Store, out_dir: Path) -> dict:
    """Write every table to ``out_dir`` as TABLE.parquet and TABLE.csv, with a manifest; gives the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict = {
        "exported_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "software_version": __version__,
        "schema_version": latest_schema(),
        "tables": {},
    }
    with store.read() as con:  # one read: a consistent view of every table
        next_ids = dict(queries.execute(con, "sequence_positions").fetchall())
        for table, (_, sequence) in TABLES.items():
            relation = con.table(table)
            relation.write_parquet(str(out_dir / f"{table}.parquet"))
            # The CSV is for people: formula-like text is neutralised. Parquet is the faithful copy.
            (out_dir / f"{table}.csv").write_bytes(csv_bytes(relation.df()))
            entry = {"rows": relation.count("*").fetchall()[0][0]}
            if sequence:
                # The next value the sequence would give: not always max(id) + 1.
                entry["next_id"] = int(next_ids[sequence])
            manifest["tables"][table] = entry
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(backup_dir: Path, db_path: Path) -> dict:
    """Build a new database at ``db_path`` from a backup (refuses to overwrite one that exists)."""
    if db_path.exists():
        raise TrackerError(f"{db_path} exists: restore builds a new database; choose another path or move it away")
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise TrackerError(f"{backup_dir} does not hold a tracker backup ({MANIFEST}): {exc}") from None
    missing = [t for t in TABLES if not (backup_dir / f"{t}.parquet").exists()]
    if missing:
        raise TrackerError(f"the backup in {backup_dir} lacks {', '.join(f'{t}.parquet' for t in missing)}")
    tmp = db_path.with_name(f"{db_path.name}.restoring-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    store = Store(tmp)
    try:
        import duckdb

        # Sequences first, starting where the original's would go on; the migrations then leave them be.
        con = duckdb.connect(str(tmp))
        try:
            for table, (_, sequence) in TABLES.items():
                if sequence:
                    start = int(manifest["tables"][table]["next_id"])
                    con.execute(f"create sequence {sequence} start {start}")
        finally:
            con.close()
        with store.write() as con:
            con.execute("begin")
            con.execute("delete from meta")
            for table in TABLES:  # by name: a backup from before a column was added still restores
                con.execute(
                    f"insert into {table} by name select * from read_parquet($p)",
                    {"p": str(backup_dir / f"{table}.parquet")},
                )
            derived.refresh(con)
            con.execute("commit")
            counts = {t: con.table(t).count("*").fetchall()[0][0] for t in TABLES}
        expected = {t: manifest["tables"][t]["rows"] for t in TABLES}
        if counts != expected:
            raise TrackerError(f"the restored row counts {counts} differ from the backup's {expected}")
        os.replace(tmp, db_path)
    finally:
        for leftover in tmp.parent.glob(f"{tmp.name}*"):
            leftover.unlink(missing_ok=True)
    return {"tables": counts, "from": str(backup_dir), "to": str(db_path)}
