"""Accessibility (issue 14): WCAG 2.2 AA by axe-core on every page, charts with text alternatives, keyboard only.

axe-core is the copy that the PyPI package axe-playwright-python ships (requirements-dev.txt); set
AXE_CORE_JS to another build's axe.min.js (e.g. npm's axe-core) to check with that one instead. The
real-browser tests share conftest's server and browser with tests/test_browser.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd
import pytest
from conftest import ask_for_sign_in, checkout_copy, sql

from pages import _charts as charts
from tracker.browser import EXCEPTION, streamlit_server, wait_rendered
from tracker.store import FileStore

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AS_OF = "2010-11-30"
# path, how many charts it draws, and its view (the board's is the pack's 1920 × 1080 slide)
PAGES = {
    "overview": ("/", 3, (1400, 900)),
    "compare": ("/compare", 4, (1400, 900)),
    "stalled": ("/stalled", 0, (1400, 900)),
    "site": ("/site?site=5QM", 4, (1400, 900)),
    "returns": ("/returns", 1, (1400, 900)),
    "board": ("/board", 1, (1920, 1080)),
}
CHART = '[data-testid="stVegaLiteChart"]'
TAB_PANEL = '[data-testid="stTabs"] [role="tabpanel"]'
EXPANDED = '[data-testid="stExpanderDetails"]'


def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe.from_file(os.environ["AXE_CORE_JS"]) if os.environ.get("AXE_CORE_JS") else Axe()


def assert_no_violations(page, where: str, context: str | None = None) -> None:
    """axe-core at the WCAG 2.2 AA tags, every rule, nothing excluded: zero violations."""
    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    results = axe().run(page, context=context, options=options)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def open_every_expander(page) -> bool:
    """Open the closed expanders (chart tables, forms, "How flags are decided"); False if there were none."""
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary').filter(visible=True)
    opened = closed.count()
    for _ in range(opened):
        closed.first.click()
    wait_rendered(page)
    return opened > 0


def url(server: str, path: str) -> str:
    return f"{server}{path}{'&' if '?' in path else '?'}as_of={AS_OF}"


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_and_tab_has_no_wcag_22_aa_violation_and_every_chart_a_text_alternative(server, browser, name):
    path, chart_count, (width, height) = PAGES[name]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url(server, path))
    wait_rendered(page)
    assert page.locator(EXCEPTION).count() == 0
    # Every chart is still drawn, and is labelled with its description (vega-embed's aria-label).
    drawn = page.locator(CHART)
    assert drawn.count() == chart_count
    for i in range(drawn.count()):
        label = drawn.nth(i).get_attribute("aria-label") or ""
        assert re.search(r"\d", label), f"chart {i} on {name} has no description with figures: {label!r}"
        assert drawn.nth(i).locator("svg.marks").count() == 1
    # ... and has its data as a table underneath (a slide keeps one too).
    tables = page.locator('[data-testid="stExpander"] summary', has_text="Chart data as a table")
    assert tables.count() == drawn.count()
    # The whole page as it opens (a click scrolls, and text scrolled under the header cannot be judged),
    # then what the expanders hold, then each other tab.
    assert_no_violations(page, name)
    if open_every_expander(page):
        assert_no_violations(page, f"{name}, in its expanders", EXPANDED)
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    for i in range(1, tabs.count()):
        tabs.nth(i).click()
        wait_rendered(page)
        open_every_expander(page)
        assert_no_violations(page, f"{name}, tab {tabs.nth(i).inner_text()!r}", TAB_PANEL)
    page.close()


def test_sign_in_page_has_no_wcag_22_aa_violation(demo_db, tmp_path, browser):
    app = checkout_copy(tmp_path / "app")
    ask_for_sign_in(app)
    env = {"TRACKER_DB": str(demo_db), "TRACKER_PRIVATE_CAPTURE": "0"}
    with streamlit_server(app / "dashboard.py", env, what="the signed-in server") as signed:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{signed}/stalled")
        wait_rendered(page)
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.get_by_text("Stalled sites").count() == 0
        assert_no_violations(page, "sign-in page")
        page.close()


def tab_until(page, focused_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element passes the check (as a keyboard user would, watching the focus)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return {focused_js}; }}"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {focused_js}")


def test_by_keyboard_alone_open_a_flagged_site_and_record_a_follow_up(server, server_db, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url(server, "/stalled"))
    wait_rendered(page)
    # Skip the menu and filters, then to "Open a flagged site": type part of the name, Enter picks it.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.innerText") == "Skip to main content"
    tab_until(page, "e.getAttribute('aria-label') === 'Open a flagged site'")
    page.keyboard.type("Dorset")
    page.keyboard.press("Enter")
    wait_rendered(page)
    tab_until(page, "e.tagName === 'A' && e.innerText.includes(\"Open NHS Dorset's detail\")")
    page.keyboard.press("Enter")
    page.wait_for_url("**/site?**site=5QM**", timeout=30_000)
    wait_rendered(page)
    assert page.get_by_text("NHS Dorset — Stalled").count() == 1
    tab_until(page, "e.tagName === 'SUMMARY' && e.innerText.includes('Record a follow-up')")
    page.keyboard.press("Enter")
    tab_until(page, "e.getAttribute('aria-label') === 'Flag'")  # Dorset's first flag is chosen already
    tab_until(page, "e.tagName === 'TEXTAREA'")
    page.keyboard.type("Rang the project lead 2 Dec; recruitment plan promised.")
    tab_until(page, "e.tagName === 'BUTTON' && e.innerText.includes('Save note')")
    page.keyboard.press("Enter")
    page.get_by_text("Note saved on NHS Dorset's BEHIND_TARGET flag.").wait_for(timeout=30_000)
    notes = sql(FileStore(server_db), "flag_notes", site_code="5QM")
    assert notes.note.tolist()[-1] == "Rang the project lead 2 Dec; recruitment plan promised."
    assert notes.flag.tolist()[-1] == "BEHIND_TARGET"
    page.close()


# The text alternatives, worked out by hand from small frames.

MONTHS = pd.to_datetime(["2010-09-30", "2010-10-31", "2010-11-30"])


def test_programme_lines_say_the_latest_and_first_figures():
    trend = pd.DataFrame(
        {
            "month_end": MONTHS,
            "people_recruited": [10, 40, 52],
            "recruitment_target": [100, 200, 208],
            "budgets_total": [0, 9, 30],
        }
    )
    fig = charts.programme_lines(trend, title="People recruited against the programme target")
    assert fig.description == (
        "Line chart of people recruited and people with a budget, against the recruitment target of the sites live, "
        "monthly from Sep 2010 to Nov 2010. In Nov 2010: 52 recruited against a target of 208 (25%), and 30 with a "
        "budget. In Sep 2010: 10 recruited."
    )
    assert fig.chart.to_dict()["description"] == fig.description
    assert fig.table.columns.tolist() == ["Month", "Recruited", "Target (live sites)", "With a budget"]
    assert fig.table["Recruited"].tolist() == [10, 40, 52]


def test_budgets_and_spend_say_their_totals():
    df = pd.DataFrame(
        {
            "period_end": MONTHS,
            "budgets_notional": [1, 3, 5],
            "budgets_third_party": [0, 1, 2],
            "budgets_direct_payment": [0, 0, 1],
            "spend_care_gbp": [100.0, 250.5, 400.0],
            "spend_infrastructure_gbp": [5000.0, 9000.0, 2000.0],
        }
    )
    assert charts.budgets_by_type(df, "period_end").description == (
        "Stacked area chart of people with a budget, by how the budget is held, monthly from Sep 2010 to Nov 2010. "
        "In Nov 2010: 8 in all, 5 notional, 2 held by a third party and 1 as direct payments."
    )
    # £750.50 care in all; the most in one month is October's £9,250.50
    assert charts.spend_by_month(df, "period_end", title="Spend by month", side_by_side=True).description == (
        "Bar chart of care and infrastructure spend reported for each month, side by side, monthly from Sep 2010 to "
        "Nov 2010: £750 on care and £16,000 on infrastructure in all. The most in one month: Oct 2010, £250 on care "
        "and £9,000 on infrastructure. In Nov 2010: £400 on care and £2,000 on infrastructure."
    )


def test_trajectory_bars_name_the_furthest_behind_and_count_those_under_the_lines():
    live = pd.DataFrame(
        {
            "site_code": ["A", "B", "C", "D"],
            "site_name": ["Ayr", "Bude", "Crewe", "Deal"],
            "status": ["Stalled", "At risk", "On track", "On track"],
            "trajectory_pct": [10.0, 40.0, 90.0, 180.0],
            "people_recruited": [1, 4, 9, 18],
            "recruitment_target": [10, 10, 10, 10],
        }
    )
    pick = charts.alt.selection_point(fields=["site_code"], name="pick")
    fig = charts.trajectory_bars(live, 25, 50, pick=pick, limit=3)
    assert fig.description == (
        "Bar chart of the 3 furthest behind of 4 live sites: people recruited as a share of the straight-line "
        "trajectory to each site's target (capped at 150%), lowest first, with dashed lines at 25% (red), 50% (amber) "
        "and 100%. 1 site is below 25% and 2 below 50%; the median is 40%. Lowest: Ayr 10%, Bude 40% and Crewe 90%."
    )
    assert fig.table["Site"].tolist() == ["Ayr", "Bude", "Crewe"]


def test_returns_grid_and_flag_history_count_what_they_show():
    grid = pd.DataFrame(
        {
            "site_name": ["Ayr", "Ayr", "Bude", "Bude"],
            "period_end": pd.to_datetime(["2010-09-30", "2010-10-31"] * 2),
            "due_on": pd.to_datetime(["2010-10-15", "2010-11-15"] * 2),
            "first_submitted_on": pd.to_datetime(["2010-10-10", None, "2010-10-20", "2010-11-01"]),
            "status": ["on time", "missing", "late", "on time"],
            "resubmitted": [True, False, False, False],
        }
    )
    assert charts.returns_grid(grid).description == (
        "Grid of monthly returns, one row per site (2 sites) and one column per month, monthly from Sep 2010 to "
        "Oct 2010: 2 on time, 1 late, 1 missing; 1 return resubmitted. Most missing: Ayr (1)."
    )
    history = pd.DataFrame(
        {
            "evaluated_on": pd.to_datetime(["2010-09-30", "2010-10-31", "2010-10-31"]),
            "flag": ["BEHIND_TARGET", "BEHIND_TARGET", "PLATEAU"],
            "severity": ["amber", "red", "amber"],
            "reason": ["x", "y", "z"],
        }
    )
    assert charts.flag_history(history).description == (
        "Grid of the flags raised at each month-end evaluation, monthly from Sep 2010 to Oct 2010: BEHIND_TARGET at "
        "2 evaluations (1 amber, 1 red); PLATEAU at 1 evaluation (1 amber). At the last, Oct 2010: BEHIND_TARGET "
        "red, PLATEAU amber."
    )


def test_demo_regions_description_is_the_sqls_counts(demo_db):
    rollup = sql(FileStore(demo_db), "region_rollup", as_of=dt.date(2010, 11, 30), cohort=None)
    text = charts.regions(rollup).description
    assert text.startswith(
        f"Stacked bar chart of sites by status in each of 10 regions (withdrawn sites left out): "
        f"{rollup.stalled.sum()} stalled, {rollup.at_risk.sum()} at risk, {rollup.on_track.sum()} on track, "
        f"{rollup.not_live.sum()} not live in all. Most stalled: "
    )
    worst = rollup.sort_values(["stalled", "region"], ascending=[False, True]).iloc[0]
    assert (
        f"Most stalled: {worst.region} {worst.stalled} stalled, {worst.at_risk} at risk, {worst.on_track} on track, "
        f"{worst.not_live} not live; " in text
    )
