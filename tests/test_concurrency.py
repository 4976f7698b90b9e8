"""Two dashboard servers, each run from its own copy of the checkout, with browser sessions reading while
another process loads a stream of returns: on a shared file, and on a shared DuckLake (as two machines)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, checkout_copy, csv_bytes
from playwright.sync_api import sync_playwright

from tracker import queries
from tracker.browser import CHROMIUM_ARGS, EXCEPTION, READY, chromium_path, streamlit_server
from tracker.integrity import check
from tracker.store.lake import VERSION_TTL_S

pytestmark = pytest.mark.both_backends

SERVERS = 2
SESSIONS_PER_SERVER = 2
MONTHS = [(2010, m, d) for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), strict=True)]
PATHS = ["/?as_of=2011-06-30", "/stalled?as_of=2011-06-30", "/compare?as_of=2011-06-30", "/returns?as_of=2011-06-30"]
ERROR = f'{EXCEPTION}, [data-testid="stAlertContentError"]'


def month_files(folder: Path) -> list[Path]:
    files = []
    for i, (year, month, day) in enumerate(MONTHS, start=1):
        path = folder / f"returns_{year}-{month:02d}.csv"
        path.write_bytes(
            csv_bytes(
                f"AAA,{year}-{month:02d}-{day},{i + 2},{i},{i},{i},0,0,{100 * i},5000,,",
                f"BBB,{year}-{month:02d}-{day},{i + 1},{i},0,0,0,0,0,3000,,",
            )
        )
        files.append(path)
    return files


def test_readers_on_two_servers_see_no_error_while_returns_stream_in(empty_store, tmp_path):
    files = month_files(tmp_path)
    env = {**empty_store.environment(), "TRACKER_PRIVATE_CAPTURE": "1"}
    errors: list[str] = []
    renders = 0
    with (
        streamlit_server(checkout_copy(tmp_path / "server-a") / "dashboard.py", env) as url_a,
        streamlit_server(checkout_copy(tmp_path / "server-b") / "dashboard.py", env) as url_b,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        sessions = [
            (browser.new_page(viewport={"width": 1200, "height": 900}), url + path)
            for url, paths in ((url_a, PATHS[:SESSIONS_PER_SERVER]), (url_b, PATHS[SESSIONS_PER_SERVER:]))
            for path in paths
        ]
        for page, target in sessions:
            page.goto(target)
        # A third process loads the files one by one (each its own transaction), as a scheduled job would.
        writer = subprocess.Popen(
            [sys.executable, "-m", "tracker", "ingest", *map(str, files), "--db", empty_store.locator],
            cwd=ROOT,
            env={**os.environ, **empty_store.environment()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        while writer.poll() is None or renders < len(sessions) * 3:
            for page, _ in sessions:
                page.reload()
            for page, _ in sessions:
                page.wait_for_selector(READY, timeout=60_000)
                page.wait_for_timeout(100)
                if page.locator(ERROR).count():
                    errors.append(page.url + ": " + page.locator(ERROR).first.inner_text())
                renders += 1
        assert writer.returncode == 0, writer.stderr.read()
        # After the last load both servers show the new totals (no stale cache on either), once a server of a
        # lake may have looked at the catalog again: it trusts its last look for VERSION_TTL_S.
        time.sleep(VERSION_TTL_S)
        with empty_store.read() as con:
            head = queries.frame(con, "programme_headline", dates=[dt.date(2011, 6, 30)], region=None, cohort=None)
        shown = []
        for url in (url_a, url_b):
            page = sessions[0][0]
            page.goto(url + "/?as_of=2011-06-30")
            page.wait_for_selector(READY, timeout=60_000)
            shown.append(page.locator('[data-testid="stMetric"]', has_text="People recruited").first.inner_text())
        browser.close()
    assert errors == []
    assert renders >= len(sessions) * 3
    assert all(f"{head.iloc[0].people_recruited:,}" in text for text in shown), shown
    assert check(empty_store) == []
    with empty_store.read() as con:
        assert con.execute("select count(*), count(distinct (site_code, period_end)) from returns").fetchone() == (
            24,
            24,
        )
    print(
        f"\n{renders} page renders by {len(sessions)} sessions on {SERVERS} servers, {len(files)} files loaded, 0 errors"
    )


def test_two_processes_loading_different_files_at_the_same_moment_both_land(empty_store, tmp_path):
    jan, feb = month_files(tmp_path)[:2]
    env = {**os.environ, **empty_store.environment()}
    command = [sys.executable, "-m", "tracker", "ingest", "--format", "json", "--db", empty_store.locator]
    children = [
        subprocess.Popen(
            [*command, str(f)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for f in (jan, feb)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    assert all('"outcome": "accepted"' in out for out, _ in outputs)
    assert check(empty_store) == []
    with empty_store.read() as con:
        assert con.execute("select count(*) from returns").fetchone()[0] == 4
        assert sorted(
            r[0] for r in con.execute("select file_name from load_log where kind = 'returns'").fetchall()
        ) == [
            jan.name,
            feb.name,
        ]
