"""The tracker's tables on either backend: numbered migrations, stored macros, the meta table, the settings.

Everything here is plain SQL that a DuckDB file and a DuckLake catalog both accept: no sequences,
no primary keys or CHECK constraints (DuckLake has none), no ``insert or replace``, no
``returning``. Ids are allocated by the writer (``sql/next_ids.sql``) while it alone may write,
and what constraints would have enforced is proven by ``python -m tracker check`` (``sql/checks``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path

import duckdb

from tracker.config import ROOT, RULE_NAMES, Config, current, rule_values, with_programme, with_rules

SCHEMA_DIR = ROOT / "sql" / "schema"
MACRO_DIR = ROOT / "sql" / "macros"
MACROS_KEY = "macros_version"


def latest_schema() -> int:
    """The number of the newest migration in sql/schema."""
    return max(int(f.name[:3]) for f in SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The migrations this database has had, or None when it holds no tracker tables yet."""
    try:
        value = get_meta(con, "schema_version")
    except duckdb.CatalogException:
        return None
    return int(value) if value is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the numbered files in sql/schema that this database has not had (in the caller's transaction)."""
    con.execute("create table if not exists meta (key varchar not null, value varchar not null)")
    have = schema_version(con) or 0
    for file in sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        number = int(file.name[:3])
        if number > have:
            con.execute(file.read_text())
            set_meta(con, "schema_version", str(number))
    seed_rules(con)
    refresh_spans(con)
    refresh_months(con)  # in this transaction: no reader sees the new table before it is filled


def refresh_months(con: duckdb.DuckDBPyConnection, first_return_id: int = 0) -> None:
    """Derive again the month states (``return_months``) of every site-month with a version numbered
    ``first_return_id`` or later (0: all of them), after their spans (``superseded_from``) are up to date."""
    from tracker import queries

    queries.execute(con, "derive/months_clear", first_return_id=first_return_id)
    queries.execute(con, "derive/months_fill", first_return_id=first_return_id)


FIRST_RULES_REASON = "the first rules, from tracker.toml when the database was made"


def seed_rules(con: duckdb.DuckDBPyConnection, *, replace: bool = False) -> None:
    """Give a database its first rules from tracker.toml (and its own programme window), unless it has some.

    Only a new database is seeded: after that its rules change only as recorded versions
    (``tracker.rules``), whatever tracker.toml says. ``replace`` swaps the first rules of a store
    that holds nothing else yet (a generated programme records its own window first).
    """
    if replace:
        con.execute("delete from rule_versions")
    elif con.execute("select count(*) from rule_versions").fetchone()[0]:
        return
    values = rule_values(rules(con))
    columns = ", ".join(f"${name} as {name}" for name in RULE_NAMES)
    con.execute(
        f"insert into rule_versions by name select 1 as version_id, null::date as effective_from, {columns}, "
        "null as changes, $reason as reason, null::bigint as load_id",
        {**values, "reason": FIRST_RULES_REASON},
    )
    refresh_spans(con)


def refresh_spans(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the spans in which the register's and the rules' versions count (after any of them is written)."""
    from tracker import queries

    queries.execute(con, "derive/spans_fill")


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value from the meta table, or None."""
    row = con.execute("select value from meta where key = $k", {"k": key}).fetchone()
    return row[0] if row else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set a value in the meta table (one row per key)."""
    con.execute("delete from meta where key = $k", {"k": key})
    con.execute("insert into meta values ($k, $v)", {"k": key, "v": value})


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str] | None:
    """Every setting in the meta table, or None when there is no meta table yet (one read: a lake's cost a query)."""
    try:
        return dict(con.execute("select key, value from meta").fetchall())
    except duckdb.CatalogException:
        return None


def rules(con: duckdb.DuckDBPyConnection, meta: dict[str, str] | None = None) -> Config:
    """The settings the SQL works to on this connection: programme_config, or tracker.toml's before a schema.

    ``meta`` is the meta table already read (``read_meta``), to save reading it again.
    """
    meta = read_meta(con) if meta is None else meta
    return current() if meta is None else with_programme(current(), meta)


def programme_config(con: duckdb.DuckDBPyConnection, day: dt.date | None = None) -> Config:
    """The settings in force for this database on ``day`` (today by default).

    tracker.toml gives the lists and limits (with the database's own programme name and regions where
    it has them); the programme window, the due day and the flag thresholds are the rules in effect
    on the day, from the database (``rule_versions``).
    """
    cfg = with_programme(current(), dict(con.execute("select key, value from meta").fetchall()))
    row = con.execute(f"select {', '.join(RULE_NAMES)} from rules_on($day)", {"day": day or dt.date.today()}).fetchone()
    if row is None:
        return cfg
    return with_rules(cfg, dict(zip(RULE_NAMES, row, strict=True)))


def macros_version() -> str:
    """A digest of the macro files: what the database must hold for readers to use its stored macros."""
    digest = hashlib.sha256()
    for file in sorted(MACRO_DIR.glob("*.sql")):
        digest.update(file.name.encode() + b"\0" + macro_text(file).encode())
    return digest.hexdigest()[:16]


def macros_installed(con: duckdb.DuckDBPyConnection, meta: dict[str, str] | None = None) -> bool:
    """Whether the database holds this code's macros (``meta``: the meta table already read)."""
    meta = read_meta(con) if meta is None else meta
    return meta is not None and meta.get(MACROS_KEY) == macros_version()


def create_temp_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Give this connection its own copy of the macros (for a database whose stored ones are stale)."""
    for file in sorted(MACRO_DIR.glob("*.sql")):
        con.execute(macro_text(file))


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Store this code's macros in the database (the writer does this once per change of sql/macros)."""
    if macros_installed(con):
        return
    for file in sorted(MACRO_DIR.glob("*.sql")):
        con.execute(macro_text(file).replace("create or replace temp macro", "create or replace macro"))
    set_meta(con, MACROS_KEY, macros_version())


@cache
def macro_text(file: Path) -> str:
    """The text of one macro file (read once per process)."""
    return file.read_text()
