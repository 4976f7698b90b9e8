"""The dashboard in a real browser (Debian's Chromium via Playwright): it runs, draws and shows no exception.

The server (and the kind of browser) are conftest's, shared with tests/test_accessibility.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracker.browser import EXCEPTION, NotDrawn, dashboard_server, full_height, wait_rendered
from tracker.store import FileStore

ARTIFACTS = Path(__file__).parent / "artifacts"
PAGES = [
    ("overview", "/", "Sites by status"),
    ("compare", "/compare", "Progress against trajectory"),
    ("stalled", "/stalled", "Flags raised"),
    ("site", "/site?site=5QM", "NHS Dorset"),
    ("returns", "/returns", "Chase list"),
]


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
    with dashboard_server(FileStore(path)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/site?site=5QM&as_of=2010-11-30")
        wait_rendered(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Compare sites" in nav and "shared" not in nav
        assert page.get_by_text("NHS Dorset — Stalled").count() == 1
        assert page.get_by_text("As of 30 Nov 2010", exact=False).count() >= 1
        page.close()


@pytest.mark.parametrize("address", ["site?site=5QM&as_of=2010-11-30", "board?as_of=2010-11-30"])
def test_a_page_opened_at_its_own_address_finds_the_server_at_once_and_asks_no_other(server, browser, address):
    # Streamlit's page looked for its server at the page's address first (a 404) and again from the root
    # 100 ms later (streamlit/streamlit#7074); the server now answers each page's address (pages/_address.py).
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/{address}")
    wait_rendered(page)
    asked = [url for url in requests if "/_stcore/" in url]
    assert asked and not [url for url in asked if "/site/_stcore/" in url or "/board/_stcore/" in url]
    # and nothing is asked of any other server (the tab's icon was a picture from Google's)
    assert [url for url in requests if not url.startswith((server, "data:", "blob:"))] == []
    assert page.locator(EXCEPTION).count() == 0
    if address.startswith("site"):
        assert page.get_by_text("NHS Dorset — Stalled").count() == 1
        # the menu's links still lead from the root, not from the page's address
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Compare sites").click()
        page.wait_for_url(f"{server}/compare**", timeout=30_000)
        wait_rendered(page)
        assert page.get_by_text("Progress against trajectory").count() >= 1
    else:
        assert page.get_by_text("ten sites furthest behind", exact=False).count() == 1
    page.close()


def test_a_server_below_a_path_of_its_own_answers_its_pages_there(demo_db, tmp_path, browser):
    # server.baseUrlPath (a proxy that serves the dashboard at https://host/tracker/): the pages' addresses
    # are below it, and so is the server the page is told about.
    from tracker.browser import start_dashboard

    path = tmp_path / "served.duckdb"
    shutil.copy(demo_db, path)
    with start_dashboard(FileStore(path), env={"STREAMLIT_SERVER_BASE_URL_PATH": "tracker"}) as server:
        base = server.ready("/tracker")
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        asked = []
        page.on("request", lambda r: asked.append(r.url) if "/_stcore/" in r.url else None)
        page.goto(f"{base}/board?as_of=2010-11-30")
        wait_rendered(page)
        assert asked and all(url.startswith(f"{base}/_stcore/") for url in asked), asked
        assert page.get_by_text("ten sites furthest behind", exact=False).count() == 1
        page.close()


def test_clicking_a_site_in_a_chart_opens_its_detail(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server}/compare?as_of=2010-11-30")
    wait_rendered(page)
    bar = page.locator('[data-testid="stVegaLiteChart"] .mark-rect path[aria-label*="NHS Dorset"]').first
    bar.scroll_into_view_if_needed()
    bar.click()
    page.wait_for_url("**/site?**site=5QM**", timeout=30_000)
    wait_rendered(page)
    assert page.get_by_text("NHS Dorset — Stalled").count() == 1
    assert "as_of=2010-11-30" in page.url
    page.close()


def test_upload_refuses_a_bad_file_with_the_full_report_and_loads_a_good_one(server, browser, tmp_path):
    from conftest import csv_bytes

    bad = tmp_path / "bad_return.csv"
    bad.write_bytes(csv_bytes("5QM,2010-11-30,20,seven,8,5,2,0,400,8000,2010-12-10,"))
    good = tmp_path / "dorset_november.csv"
    good.write_bytes(csv_bytes("5QM,2010-11-30,20,12,8,5,2,0,400,8000,2010-12-10,<b>bold?</b> =1+1"))
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server}/returns?as_of=2010-12-31")
    wait_rendered(page)
    page.get_by_role("tab", name="Upload returns").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(bad), str(good)])
    page.get_by_role("button", name="Check and load").click()
    page.get_by_text("bad_return.csv was refused: nothing was loaded.").wait_for(timeout=30_000)
    wait_rendered(page)
    # the problems are in a table grid, whose readable copy of its cells can come after its picture
    page.get_by_text("is not a number").first.wait_for(state="attached", timeout=30_000)
    # Dorset's November 2010 return is in the demo already: the upload supersedes it.
    assert page.get_by_text("dorset_november.csv: 1 row; added 0 new returns, superseded 1", exact=False).count() == 1
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
    page.close()


def test_downloads_are_made_when_clicked_and_open(server, browser, tmp_path):
    """The page makes no file until its button is pressed: the templates and the chase list still arrive whole."""
    import io

    import openpyxl

    from tracker import contract

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{server}/returns?as_of=2010-12-31")
    wait_rendered(page)

    def fetched(button: str) -> bytes:
        with page.expect_download(timeout=30_000) as got:
            page.get_by_role("button", name=button).click()
        target = tmp_path / got.value.suggested_filename
        got.value.save_as(target)
        return target.read_bytes()

    page.get_by_role("tab", name="Chase list").click()
    chase = fetched("Download the chase list (CSV)").decode("utf-8-sig").splitlines()
    assert chase[0].startswith("site_name,") and len(chase) > 1
    page.get_by_role("tab", name="Upload returns").click()
    header = fetched("Blank return (CSV)").decode("utf-8-sig").strip().split(",")
    assert header == contract.names(contract.RETURN_COLUMNS)
    book = openpyxl.load_workbook(io.BytesIO(fetched("Blank return (Excel)")))
    assert [c.value for c in book["Return"][1]] == contract.names(contract.RETURN_COLUMNS)
    assert page.locator(EXCEPTION).count() == 0
    page.close()


# What a finished Streamlit page looks like to wait_rendered, with pieces that are drawn or not.
APP_DONE = (
    '<div data-testid="stApp" data-test-script-state="notRunning" data-test-connection-state="CONNECTED">{}</div>'
)
CHART = '<div data-testid="stVegaLiteChart"><svg class="marks" width="300" height="100">{}</svg></div>'
CHART_DRAWN = CHART.format('<g><g class="mark-group role-frame root"><rect width="40" height="40"/></g></g>')
TABLE = '<div data-testid="stDataFrame"><canvas width="300" height="400"></canvas></div>'
PAINT = "<script>document.querySelector('canvas').getContext('2d').fillRect(0, 0, 300, {})</script>"


@pytest.mark.parametrize(
    ("html", "why"),
    [
        (APP_DONE.replace("notRunning", "running").format(CHART_DRAWN), "the script had not finished"),
        (APP_DONE.format('<div data-testid="stSkeleton"></div>' + CHART_DRAWN), "a placeholder was still shown"),
        (APP_DONE.format(CHART_DRAWN + CHART.format("<g></g>")), "chart 2 of 2 had not drawn"),  # svg, no marks yet
        (APP_DONE.format('<div data-testid="stVegaLiteChart"></div>'), "chart 1 of 1 had not drawn"),
        (APP_DONE.format(TABLE), "table 1 of 1 had not drawn"),  # a canvas never painted
        (APP_DONE.format(TABLE + PAINT.format(200)), "table 1 of 1 had not drawn"),  # only its top half
        (
            APP_DONE.format(CHART_DRAWN + "<p id=n>0</p><script>setInterval(() => n.textContent++, 50)</script>"),
            "the page was still changing",
        ),
        (
            "<style>@keyframes fade {from {opacity: 0} to {opacity: 1}}</style>"
            + APP_DONE.format('<p style="animation: fade 30s">x</p>'),
            "an animation was running",
        ),
    ],
    ids=[
        "script-running",
        "skeleton",
        "chart-half-drawn",
        "chart-missing",
        "table-blank",
        "table-half",
        "changing",
        "animating",
    ],
)
def test_a_page_not_fully_drawn_is_refused_with_the_reason(browser, html, why):
    page = browser.new_page()
    page.set_content(html)
    with pytest.raises(NotDrawn, match=why):
        wait_rendered(page, 700)
    page.close()


def test_a_drawn_page_is_accepted_and_hidden_charts_do_not_count(browser):
    page = browser.new_page()
    hidden = f'<div style="display: none">{CHART.format("")}</div>'  # in a closed expander: never drawn
    page.set_content(APP_DONE.format(CHART_DRAWN + hidden + TABLE + PAINT.format(400)))
    wait_rendered(page, 5_000)
    page.close()
