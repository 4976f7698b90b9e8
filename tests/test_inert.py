"""Names and commentary full of SQL, HTML and Markdown come back unchanged, and are shown as text, never run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import DATA, HEADER, ROOT, ingest
from streamlit.testing.v1 import AppTest

from tracker import queries
from tracker.register import load_register
from tracker.store import FileStore, Store

EVIL_NAME = "<img src=x onerror=alert(1)> **Evil** [PCT](http://evil); drop table sites; --"
EVIL_NOTE = "<script>alert('x')</script> ![pic](http://evil/p.png) '); delete from returns; --"


def evil_store(tmp_path: Path) -> Store:
    store = FileStore(tmp_path / "evil.duckdb")
    register = (DATA / "sites.csv").read_text().replace("Alpha PCT", f'"{EVIL_NAME}"')
    assert load_register(store, "sites.csv", register.encode(), user="t").ok
    line = f'AAA,2010-01-31,5,2,0,0,0,0,0,10000,2010-02-10,"{EVIL_NOTE}"'
    assert ingest(store, "jan.csv", f"{HEADER}\n{line}\n".encode()).outcome == "accepted"
    return store


def test_hostile_text_round_trips_unchanged(tmp_path):
    store = evil_store(tmp_path)
    with store.read() as con:
        names = queries.frame(con, "register_sites", as_of=dt.date.today()).set_index("site_code").site_name
        series = queries.frame(con, "site_series", as_of=dt.date(2010, 12, 31), site_code="AAA")
        assert con.execute("select count(distinct site_code) from site_versions").fetchone()[0] == 4
    assert names["AAA"] == EVIL_NAME
    assert series.commentary.tolist() == [EVIL_NOTE]


def test_hostile_text_is_shown_inert_on_the_site_page(tmp_path, monkeypatch):
    store = evil_store(tmp_path)
    monkeypatch.setenv("TRACKER_DB", str(store.path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["as_of"] = "2010-12-31"
    at.query_params["site"] = "AAA"
    at.run()
    at.switch_page("pages/site.py").run()
    assert not at.exception
    heading = next(m.value for m in at.markdown if m.value.startswith("###"))
    assert "<img" not in heading and "&lt;img src=x onerror=alert\\(1\\)&gt;" in heading
    assert "\\*\\*Evil\\*\\*" in heading and "\\[PCT\\]\\(http://evil\\)" in heading
    assert [t.value for t in at.text] == [EVIL_NOTE]  # commentary as plain text, exactly as sent
    assert all("<script>" not in m.value for m in at.markdown)
