"""The dashboard in a real browser (Debian's Chromium via Playwright): it runs, draws and shows no exception."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tracker.browser import CHROMIUM_ARGS, EXCEPTION, chromium_path, dashboard_server, full_height, wait_rendered

ARTIFACTS = Path(__file__).parent / "artifacts"
PAGES = [("overview", "/", "Every site's latest position")]


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
    page.goto(f"{server}{path}?as_of=2010-11-30")
    wait_rendered(page)
    assert page.locator(EXCEPTION).count() == 0
    assert page.get_by_text(heading).count() >= 1
    assert page.get_by_text("Synthetic demo data").count() == 1
    page.set_viewport_size({"width": 1400, "height": full_height(page)})
    wait_rendered(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.close()
