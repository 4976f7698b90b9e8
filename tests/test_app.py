"""Every page under AppTest: no exception, default and filtered views, and the figures shown are the SQL's."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import finish_prefetches, judging, open_page, serve_copy, sql
from streamlit.testing.v1 import AppTest

from tracker.store import Store

PAGES = ["pages/overview.py", "pages/compare.py", "pages/stalled.py", "pages/site.py", "pages/returns.py"]
NOV_2010 = dt.date(2010, 11, 30)


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path, monkeypatch) -> Store:
    return serve_copy(demo_db, tmp_path, monkeypatch)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "query", [{}, {"as_of": "2010-11-30", "region": "London", "cohort": "in-depth"}], ids=["default", "filtered"]
)
def test_every_page_runs_without_exception(demo_copy, page, query):
    at = open_page(page, **query)
    assert not at.exception, at.exception[0].message if at.exception else ""
    assert any("Synthetic demo data" in i.value for i in at.info)


def test_the_first_visit_after_a_load_judges_no_flags_itself(demo_copy, monkeypatch):
    # Every write judges the flags on the days the pages read when they open on the default date
    # (tracker.judged.first_visit_days) and keeps them, so the first visitor after a load (here the
    # demo build) waits for no judging on any page: a page that asked for another day would judge it.
    asked = judging(monkeypatch)
    demo_copy.close()  # a new opening of the file, as after a load
    for page in [*PAGES, "pages/board.py"]:
        at = open_page(page)
        assert not at.exception, at.exception[0].message
    assert asked == []
    open_page("pages/overview.py", as_of="2010-11-30")  # another day is judged as before
    assert asked == [[dt.date(2010, 10, 30), NOV_2010]]


def test_overview_headline_figures_are_the_sqls(demo_copy):
    at = open_page(as_of="2010-11-30")
    heads = sql(demo_copy, "programme_headline", dates=[NOV_2010, dt.date(2010, 10, 30)], region=None, cohort=None)
    head, before = heads.iloc[0], heads.iloc[1]
    shown = metrics(at)
    assert shown["Sites live"] == f"{head.sites_live} of 70"
    assert shown["People recruited"] == f"{head.people_recruited:,}"
    assert shown["People with a budget"] == f"{head.budgets_total:,}"
    assert shown["Direct payments"] == f"{head.budgets_direct_payment:,}"
    assert shown["Care spend since the start"] == f"£{head.spend_care_to_date_gbp:,.0f}"
    assert shown[":material/block: Stalled"] == f"{head.sites_stalled}"
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["People recruited"] == f"{head.people_recruited - before.people_recruited:+,}"
    # The returns received for October 2010, worked out from the completeness query.
    grid = sql(demo_copy, "returns_completeness", as_of=NOV_2010, region=None, cohort=None, site_codes=None)
    october = grid[grid.period_end == pd.Timestamp(2010, 10, 31)]
    received = october.status.isin(["on time", "late", "received"]).sum()
    assert shown["Returns received for October 2010"] == f"{received} of {len(october)}"


def test_overview_filtered_from_the_url(demo_copy):
    at = open_page(as_of="2010-11-30", region="London")
    head = sql(demo_copy, "programme_headline", dates=[NOV_2010], region="London", cohort=None).iloc[0]
    assert metrics(at)["People recruited"] == f"{head.people_recruited:,}"
    assert head.sites_registered == 7
    assert at.query_params["region"] == "London"
    assert at.query_params["as_of"] == "2010-11-30"


@pytest.mark.parametrize("ready", [True, False], ids=["got ready", "not"])
def test_a_new_servers_first_visitor_finds_the_overview_worked_out(demo_copy, monkeypatch, ready):
    # What `streamlit run dashboard.py` does as the server starts (dashboard.py's st.App), before anyone visits.
    from pages import _startup
    from tracker import queries

    if ready:
        _startup.work()
    asked = []
    real = queries.frame
    monkeypatch.setattr(queries, "frame", lambda con, name, **params: asked.append(name) or real(con, name, **params))
    at = open_page()  # the address alone: the Overview on the default date

    assert not at.exception
    assert at.title[0].value == "Personal health budget pilot programme"
    if ready:
        assert asked == []  # not one query: the settings, the figures, the charts and the rules all ready
    else:
        assert {"programme_headline", "returns_summary", "programme_trend", "rule_history"} <= set(asked)


@pytest.mark.parametrize("page", ["overview", "compare", "stalled", "site", "returns"])
def test_a_page_works_out_what_it_reads_further_down_beside_its_script_once_per_view(demo_copy, monkeypatch, page):
    # A page's queries at 70 sites are mostly DuckDB planning each in one thread: on a file, each page
    # starts the parts it reads further down in a thread beside its script (pages/_shared.py ``ahead``),
    # once for a view of one version of the data; what it shows is the same (the other tests check it).
    import threading

    from pages import _shared
    from tracker import queries

    ran = []
    real = queries.frame
    monkeypatch.setattr(
        queries,
        "frame",
        lambda con, name, **params: ran.append((name, threading.current_thread().name)) or real(con, name, **params),
    )
    at = open_page("pages/overview.py" if page == "overview" else f"pages/{page}.py", as_of="2010-11-30")
    _shared.finish_ahead()
    assert not at.exception
    beside = [name for name, thread in ran if thread.startswith(_shared.AHEAD_THREAD)]
    inside = [name for name, thread in ran if not thread.startswith(_shared.AHEAD_THREAD)]
    assert beside and inside, ran  # some of the page's queries ran beside it, some in it
    # and none twice: a part whose cache key differed from the script's call would run again in the script
    assert not [name for name, n in collections.Counter(beside + inside).items() if n > 1], ran

    started = []
    monkeypatch.setattr(_shared._ahead_pool, "submit", lambda *a: started.append(a) or _shared.Future())
    at.run()  # the same view again: its parts are in the caches already
    assert not at.exception
    assert started == []


def test_nothing_is_worked_out_beside_a_page_where_each_thread_would_open_a_connection_of_its_own(monkeypatch):
    from pages import _shared
    from tracker.store import FileStore
    from tracker.store.lake import LakeStore

    assert LakeStore.helpers == 0 and FileStore.helpers >= 1

    class Lake:  # as a lake: no thread may read beside a caller
        helpers = LakeStore.helpers

    monkeypatch.setattr(_shared, "store", Lake)
    asked = []
    _shared.ahead(("overview",), lambda: asked.append("part"))
    _shared.finish_ahead()
    assert asked == []


@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetched", "off"])
def test_overview_has_the_other_regions_ready_before_one_is_chosen(demo_copy, monkeypatch, prefetch):
    from pages import _prefetch, _shared
    from tracker import queries

    monkeypatch.setenv("TRACKER_PREFETCH", "1" if prefetch else "0")
    monkeypatch.setattr(_prefetch, "DELAY_S", 0)
    at = open_page(as_of="2010-11-30")
    finish_prefetches()
    head = sql(demo_copy, "programme_headline", dates=[NOV_2010], region="London", cohort=None).iloc[0]
    asked = []
    real = queries.frame
    monkeypatch.setattr(queries, "frame", lambda con, name, **params: asked.append(name) or real(con, name, **params))
    at.sidebar.selectbox(key="region").select("London").run()

    assert not at.exception
    assert metrics(at)[f"{_shared.STATUS_ICONS['Stalled']} Stalled"] == f"{head.sites_stalled:,}"
    assert metrics(at)["People recruited"] == f"{head.people_recruited:,}"
    overview_queries = {"programme_headline", "returns_summary", "programme_trend"}
    # prefetched, London's figures were in the cache already; otherwise choosing it asked the database
    assert (overview_queries & set(asked)) == (set() if prefetch else overview_queries)


@pytest.fixture
def bare_prefetch(monkeypatch):
    """pages/_prefetch.py on its own: a server's runtime, regions A, B and C, data version v1, no delay."""
    from types import SimpleNamespace

    from pages import _prefetch, _shared

    monkeypatch.setattr("streamlit.runtime.exists", lambda: True)
    monkeypatch.setenv("TRACKER_PREFETCH", "1")
    monkeypatch.setattr(_prefetch, "DELAY_S", 0)
    fake = SimpleNamespace(version=lambda: "v1", shared_reads=contextlib.nullcontext)
    monkeypatch.setattr(_shared, "store", lambda: fake)
    monkeypatch.setattr(_shared, "settings", lambda day=None: SimpleNamespace(regions=("A", "B", "C")))
    monkeypatch.setattr(_prefetch, "_done", collections.OrderedDict())
    monkeypatch.setattr(_prefetch, "_wanted", collections.OrderedDict())
    return _prefetch


def test_a_newer_view_stops_the_prefetch_of_the_last_which_starts_again_when_asked(bare_prefetch):
    import threading

    loaded, on_first, go_on = [], threading.Event(), threading.Event()

    def load(view):
        loaded.append((view["as_of"], view["region"]))
        if view["as_of"] == 1 and not go_on.is_set():
            on_first.set()
            go_on.wait(10)  # the first view is working on its first region when the user moves on

    bare_prefetch.regions("overview", load, {"as_of": 1, "region": "B"})
    assert on_first.wait(10)
    bare_prefetch.regions("overview", load, {"as_of": 2, "region": "B"})
    go_on.set()
    finish_prefetches()
    assert [r for day, r in loaded if day == 1] == [None]  # it stopped after the region it was on
    assert [r for day, r in loaded if day == 2] == [None, "A", "B", "C"]
    bare_prefetch.regions("overview", load, {"as_of": 1, "region": "C"})  # back to the first date
    finish_prefetches()
    assert [r for day, r in loaded if day == 1] == [None, None, "A", "B", "C"]
    bare_prefetch.regions("overview", load, {"as_of": 1, "region": "A"})  # done, whatever the region: not again
    finish_prefetches()
    assert len(loaded) == 9


def test_a_view_asked_for_again_before_its_prefetch_began_is_still_prefetched(bare_prefetch, monkeypatch):
    loaded = []
    monkeypatch.setattr(bare_prefetch, "DELAY_S", 0.5)
    for day in (1, 2, 1):  # the user moves on and back within the delay
        bare_prefetch.regions("overview", lambda view: loaded.append((view["as_of"], view["region"])), {"as_of": day})
    finish_prefetches()
    assert loaded == [(1, None), (1, "A"), (1, "B"), (1, "C")]  # the second date's gave way before it began


def test_prefetch_spends_at_most_its_budget_on_a_view(bare_prefetch, monkeypatch):
    import time

    loaded = []
    monkeypatch.setattr(bare_prefetch, "BUDGET_S", 1.0)
    bare_prefetch.regions("overview", lambda view: loaded.append(view["region"]) or time.sleep(0.1), {"as_of": 1})
    finish_prefetches()
    assert loaded == [None, "A", "B", "C"]  # 4 regions at 0.1 s: all within the budget
    loaded.clear()
    bare_prefetch.regions("overview", lambda view: loaded.append(view["region"]) or time.sleep(0.3), {"as_of": 2})
    finish_prefetches()
    assert loaded == [None]  # 4 regions at 0.3 s would not fit in 1 s: no half-filled view


def test_compare_table_is_the_sql_and_filters_narrow_it(demo_copy):
    at = open_page("pages/compare.py", as_of="2010-11-30")
    table = at.dataframe[0].value
    expected = sql(demo_copy, "site_comparison", as_of=NOV_2010, region=None, cohort=None)
    assert len(table) == 70
    dorset = table.set_index("site_name").loc["NHS Dorset"]
    row = expected.set_index("site_name").loc["NHS Dorset"]
    assert (dorset.status, dorset.people_recruited) == (row.status, row.people_recruited)
    assert dorset.trajectory_pct == pytest.approx(100 * row.share_of_trajectory)
    at.multiselect(key="compare_status").set_value(["Stalled"]).run()
    assert set(at.dataframe[0].value.status) == {"Stalled"}
    assert len(at.dataframe[0].value) == (expected.status == "Stalled").sum()


def test_stalled_page_lists_the_sql_flags_and_saves_a_note(demo_copy):
    at = open_page("pages/stalled.py", as_of="2010-11-30")
    table = at.dataframe[0].value
    expected = sql(demo_copy, "site_flags", as_of=NOV_2010, region=None, cohort=None)
    assert len(table) == len(expected)
    assert "9 of 75 recruited; 54 expected by now (17%)" in set(table.reason)
    option = "NHS Dorset — BEHIND_TARGET"
    at.selectbox(key="stalled_note_flag").select(option)
    at.text_area(key="stalled_note_text").input("Chased 12 Nov; recruitment plan due December.")
    at.button[0].click().run()
    assert not at.exception
    notes = sql(demo_copy, "flag_notes", site_code="5QM")
    assert notes.note.tolist() == ["Chased 12 Nov; recruitment plan due December."]
    assert notes.flag_since.iloc[0] == pd.Timestamp(2010, 5, 31)
    follow = at.dataframe[0].value.set_index(["site_name", "flag"]).follow_up
    assert follow[("NHS Dorset", "BEHIND_TARGET")].startswith(
        "Chased 12 Nov; recruitment plan due December. — dashboard"
    )


def test_site_detail_shows_the_chosen_site(demo_copy):
    at = open_page("pages/site.py", as_of="2010-11-30", site="5EM")
    assert not at.exception
    shown = metrics(at)
    pos = sql(demo_copy, "site_latest", as_of=NOV_2010, region=None, cohort=None).set_index("site_code").loc["5EM"]
    assert shown["Recruited"] == "14"
    assert shown["Care spend to date"] == f"£{pos.spend_care_to_date_gbp:,.0f}"
    texts = [t.value for t in at.text]
    assert any("hypnotherapy" in t for t in texts)  # commentary shown as plain text
    at.selectbox(key="site_code").select("5QM").run()
    assert metrics(at)["Recruited"] == "9"
    assert at.query_params["site"] == "5QM"


def test_returns_chase_list_is_the_missing_returns(demo_copy):
    at = open_page("pages/returns.py", as_of="2010-11-30")
    grid = sql(demo_copy, "returns_completeness", as_of=NOV_2010, region=None, cohort=None, site_codes=None)
    chase = next(df.value for df in at.dataframe if "days_overdue" in df.value.columns)
    assert len(chase) == (grid.status == "missing").sum()
    assert set(chase.columns) >= {"contact_name", "contact_email"}


def test_every_page_but_the_overview_has_its_address_answered_with_the_server_s_address_set_first(monkeypatch):
    # pages/_address.py; the browser tests (test_browser) show that the page then asks the server at once.
    from streamlit import config

    from pages import _address, _menu

    html = _address.page_html().decode()
    assert html.count(_address.SCRIPT) == 1
    assert html.index(_address.SCRIPT) < html.index('<script type="module"')  # before Streamlit's scripts
    answers = _address.PageAddresses(None, _menu.addresses())
    pages = ["/compare", "/stalled", "/site", "/returns", "/board"]
    assert [
        path for path in [*pages, "/", "/board/", "/boardroom", "/x/board", "/_stcore/health"] if answers._is_page(path)
    ] == pages
    real_option = config.get_option
    monkeypatch.setattr(
        config, "get_option", lambda key: "tracker" if key == "server.baseUrlPath" else real_option(key)
    )
    assert answers._is_page("/tracker/board") and not answers._is_page("/board")
