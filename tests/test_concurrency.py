"""A real dashboard server with several browser sessions reading while another process loads a stream of returns."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA, csv_bytes
from playwright.sync_api import sync_playwright

from tracker import queries
from tracker.browser import CHROMIUM_ARGS, EXCEPTION, READY, chromium_path, dashboard_server
from tracker.ingest import load_register
from tracker.integrity import check
from tracker.store import Store

ROOT = Path(__file__).resolve().parent.parent
READERS = 4
MONTHS = [(2010, m, d) for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), strict=True)]


def test_readers_see_no_error_while_returns_stream_in(tmp_path):
    store = Store(tmp_path / "live.duckdb")
    assert load_register(store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="t").ok
    files = []
    for i, (year, month, day) in enumerate(MONTHS, start=1):
        path = tmp_path / f"returns_{year}-{month:02d}.csv"
        path.write_bytes(
            csv_bytes(
                f"AAA,{year}-{month:02d}-{day},{i + 2},{i},{i},{i},0,0,{100 * i},5000,,",
                f"BBB,{year}-{month:02d}-{day},{i + 1},{i},0,0,0,0,0,3000,,",
            )
        )
        files.append(path)
    errors: list[str] = []
    renders = 0
    with dashboard_server(store.path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pages = [browser.new_page(viewport={"width": 1200, "height": 900}) for _ in range(READERS)]
        paths = [
            "/?as_of=2011-06-30",
            "/stalled?as_of=2011-06-30",
            "/compare?as_of=2011-06-30",
            "/returns?as_of=2011-06-30",
        ]
        for page, path in zip(pages, paths, strict=True):
            page.goto(url + path)
        # One process per file, as a scheduled job would load them, one after another.
        writer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import subprocess, sys; [subprocess.run([sys.executable, '-m', 'tracker', 'ingest', f, "
                f"'--db', {str(store.path)!r}], check=True) for f in sys.argv[1:]]",
                *map(str, files),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        while writer.poll() is None or renders < READERS * 3:
            for page in pages:
                page.reload()
            for page in pages:
                page.wait_for_selector(READY, timeout=60_000)
                page.wait_for_timeout(100)
                if page.locator(EXCEPTION).count() or page.locator('[data-testid="stAlertContentError"]').count():
                    errors.append(
                        page.url
                        + ": "
                        + page.locator(f'{EXCEPTION}, [data-testid="stAlertContentError"]').first.inner_text()
                    )
                renders += 1
        assert writer.returncode == 0, writer.stderr.read()
        # After the last load every session shows the new data (no stale cache).
        pages[0].goto(url + "/?as_of=2011-06-30")
        pages[0].wait_for_selector(READY, timeout=60_000)
        with store.read() as con:
            head = queries.frame(con, "programme_headline", as_of=dt.date(2011, 6, 30), region=None, cohort=None).iloc[
                0
            ]
        recruited = pages[0].locator('[data-testid="stMetric"]', has_text="People recruited").first.inner_text()
        browser.close()
    assert errors == []
    assert renders >= READERS * 3
    assert f"{head.people_recruited:,}" in recruited
    assert check(store) == []
    with store.read() as con:
        assert con.execute("select count(*), count(distinct (site_code, period_end)) from returns").fetchone() == (
            24,
            24,
        )
    print(f"\n{renders} page renders by {READERS} concurrent sessions, {len(files)} files loaded meanwhile, 0 errors")
    shutil.rmtree(tmp_path, ignore_errors=True)
