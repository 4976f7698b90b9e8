"""Every page under AppTest: no exception, and the figures shown are the figures the SQL returns."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tracker import queries
from tracker.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path, monkeypatch) -> Store:
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("TRACKER_DB", str(path))
    return Store(path)


def app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def sql(store: Store, name: str, **params):
    with store.read() as con:
        return queries.frame(con, name, **params)


def test_overview_default_view_shows_the_sql_figures(demo_copy):
    at = app()
    assert not at.exception
    as_of = sql(demo_copy, "default_as_of").as_of[0].date()
    assert at.caption[0].value.startswith(f"As of {as_of.day} {as_of:%b %Y}")
    sites = sql(demo_copy, "site_latest", as_of=as_of, region=None, cohort=None)
    live = sites[sites.phase == "Live"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sites live"] == f"{len(live)} of 70"
    assert metrics["People recruited"] == f"{int(live.people_recruited.sum()):,}"
    assert metrics["People with a budget"] == f"{int(live.budgets_total.sum()):,}"
    assert metrics["Care spend to date"] == f"£{live.spend_care_to_date_gbp.sum():,.0f}"
    assert len(at.dataframe[0].value) == 70
    assert any("Synthetic demo data" in i.value for i in at.info)


def test_overview_filtered_from_the_url(demo_copy):
    at = app(as_of="2010-11-30", region="London")
    assert not at.exception
    shown = at.dataframe[0].value
    assert set(shown.region) == {"London"} and len(shown) == 7
    havering = shown.set_index("site_name").loc["NHS Havering"]
    assert havering.people_recruited == 0
    sites = sql(demo_copy, "site_latest", as_of=dt.date(2010, 11, 30), region="London", cohort=None)
    live = sites[sites.phase == "Live"]
    assert {m.label: m.value for m in at.metric}["People recruited"] == f"{int(live.people_recruited.sum()):,}"
    assert at.query_params["region"] == "London"
    assert at.query_params["as_of"] == "2010-11-30"


def test_a_bad_date_in_the_url_falls_back_to_the_default(demo_copy):
    at = app(as_of="30/11/2010x")
    assert not at.exception
    assert at.session_state["as_of"] == sql(demo_copy, "default_as_of").as_of[0].date()


def test_a_named_database_that_does_not_exist_gives_a_plain_message(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "nowhere.duckdb"))
    at = app()
    assert not at.exception
    assert "There is no database at" in at.error[0].value
