"""One small hand-made programme (tests/data) that the tests load and reason about by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracker.ingest import ingest_bytes, load_register
from tracker.store import Store

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2010, 12, 31)  # the fixture programme's "today"
HEADER = (
    "site_code,period_end,people_offered,people_recruited,care_plans_agreed,budgets_notional,"
    "budgets_third_party,budgets_direct_payment,spend_care_gbp,spend_infrastructure_gbp,submitted_on,commentary"
)
RETURN_FILES = (
    "returns_2010-01.csv",
    "returns_2010-02.csv",
    "returns_2010-03.csv",
    "returns_2010-02_resubmission_AAA.csv",
)


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    """A returns CSV from a header and data lines."""
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def ingest(store: Store, name: str, data: bytes, **kwargs):
    """Ingest with the fixture's today unless told otherwise."""
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("user", "tester")
    return ingest_bytes(store, name, data, **kwargs)


def table_rows(store: Store) -> dict[str, list[tuple]]:
    """Every row of every data table (not load_log), to show that nothing changed."""
    with store.read() as con:
        return {
            t: con.execute(f"select * from {t} order by all").fetchall()
            for t in ("sites", "returns", "return_warnings", "meta")
        }


def load_log(store: Store) -> list[dict]:
    """The load log, oldest first."""
    with store.read() as con:
        return con.execute("select * from load_log order by load_id").df().to_dict("records")


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    """A database with the fixture register and no returns."""
    store = Store(tmp_path / "fixture.duckdb")
    result = load_register(store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="tester")
    assert result.ok, result.problems
    return store


@pytest.fixture
def store(empty_store: Store) -> Store:
    """The fixture programme with its four return files loaded."""
    for name in RETURN_FILES:
        result = ingest(empty_store, name, (DATA / name).read_bytes())
        assert result.outcome == "accepted", result.problems
    return empty_store


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo programme built from the committed files in data/, once per test run."""
    from tracker import demo
    from tracker.store import DEMO_DATA

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(path, DEMO_DATA)
    return path


@pytest.fixture(scope="session")
def scaled_db(tmp_path_factory) -> Path:
    """A national-sized shape in small: 400 generated sites over 24 months (too many to draw one by one)."""
    from tracker import demo

    programme, meta = demo.generate_scaled(400, 24)
    path = tmp_path_factory.mktemp("scaled") / "scaled.duckdb"
    demo.build_generated(path, programme, meta)
    return path


def serve_copy(db: Path, tmp_path: Path, monkeypatch) -> Store:
    """A copy of a database that the dashboard (and AppTest) will use: TRACKER_DB points at it."""
    import shutil

    path = tmp_path / db.name
    shutil.copy(db, path)
    monkeypatch.setenv("TRACKER_DB", str(path))
    return Store(path)
