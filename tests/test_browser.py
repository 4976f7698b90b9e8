"""The dashboard in a real browser (Debian's Chromium via Playwright): it runs, draws and shows no exception."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tracker.browser import CHROMIUM_ARGS, EXCEPTION, chromium_path, dashboard_server, full_height, wait_rendered

ARTIFACTS = Path(__file__).parent / "artifacts"
PAGES = [
    ("overview", "/", "Sites by status"),
    ("compare", "/compare", "Progress against trajectory"),
    ("stalled", "/stalled", "Flags raised"),
    ("site", "/site?site=5QM", "NHS Dorset"),
    ("returns", "/returns", "Chase list"),
]


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    shutil.copy(demo_db, path)
    with dashboard_server(path) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_page_draws_without_exception(server, browser, name, path, heading):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server}{path}{'&' if '?' in path else '?'}as_of=2010-11-30")
    wait_rendered(page)
    assert page.locator(EXCEPTION).count() == 0
    assert page.get_by_text(heading).count() >= 1
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    for i in range(charts.count()):  # every visible chart drew marks
        if charts.nth(i).is_visible():
            assert charts.nth(i).locator("svg.marks, canvas").count() >= 1
    assert page.get_by_text("Synthetic demo data").count() == 1
    page.set_viewport_size({"width": 1400, "height": full_height(page)})
    wait_rendered(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.close()


def test_first_visit_to_a_fresh_server_is_routed_through_the_entry_point(demo_db, tmp_path, browser):
    # Regression: with a pages/ folder, Streamlit ran pages/site.py alone for a fresh server's
    # first visitor (no sidebar filters, the folder's files listed as pages, the URL's as_of ignored).
    path = tmp_path / "fresh.duckdb"
    shutil.copy(demo_db, path)
    with dashboard_server(path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/site?site=5QM&as_of=2010-11-30")
        wait_rendered(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Compare sites" in nav and "shared" not in nav
        assert page.get_by_text("NHS Dorset — Stalled").count() == 1
        assert page.get_by_text("As of 30 Nov 2010", exact=False).count() >= 1
        page.close()
