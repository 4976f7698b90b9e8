"""The board page under AppTest, and the capture command in a real browser (Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, ask_for_sign_in, break_register, checkout_copy, open_page
from PIL import Image, ImageStat
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from tracker import board, snapshot
from tracker.browser import free_port
from tracker.store import FileStore

APP = str(ROOT / "dashboard.py")


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "board.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("TRACKER_DB", str(path))
    return path


def board_app(**query) -> AppTest:
    return open_page("pages/board.py", **query)


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "2009-06-15"},  # before any site went live
        {"as_of": "2010-11-30"},
        {"as_of": "2011-06-30", "region": "London"},
        {"as_of": "2012-10-31"},  # the last month of the programme
        {"as_of": "2010-11-30", "compare_to": "2010-11-01", "cohort": "in-depth"},
    ],
    ids=["before-go-live", "nov-2010", "london-2011", "last-month", "in-depth"],
)
def test_board_renders_for_any_date(demo_copy, query):
    at = board_app(**query)
    assert not at.exception, at.exception[0].message if at.exception else ""
    assert len(at.metric) == 8


def test_board_figures_are_what_the_page_shows(demo_copy):
    at = board_app(as_of="2010-11-30")
    fig = board.figures(FileStore(demo_copy), dt.date(2010, 11, 30))
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown[":material/block: Stalled"] == (
        str(fig.now.sites_stalled),
        f"{fig.now.sites_stalled - fig.last_pack.sites_stalled:+,}",
    )
    assert shown["People recruited"][0] == f"{fig.now.people_recruited:,}"
    assert fig.compare_to == dt.date(2010, 11, 23) and fig.month_before == dt.date(2010, 10, 30)
    table = next(d.value for d in at.dataframe if "why" in d.value.columns)  # not the chart's own table
    assert list(table.site_name) == list(fig.behind.site_name)
    assert len(table) == 10
    # Havering's most telling flag is its red NO_RECRUITS, not the BEHIND_TARGET the share already shows.
    assert (
        table.set_index("site_name")
        .why["NHS Havering"]
        .startswith("No one recruited 9 months after go-live (Feb 2010)")
    )


def test_the_board_leaves_its_figures_for_the_capture_only_when_asked(demo_copy, tmp_path, monkeypatch):
    import streamlit as st

    st.cache_data.clear()  # a board drawn from the cache leaves nothing (the capture then works them out)
    store = FileStore(demo_copy)
    nov, week = dt.date(2010, 11, 30), dt.date(2010, 11, 23)
    folder = tmp_path / "drawn"
    folder.mkdir()
    assert not board_app(as_of="2010-11-30", compare_to="2010-11-23", region="London").exception
    assert list(folder.iterdir()) == []  # not asked
    st.cache_data.clear()
    monkeypatch.setenv(board.DRAWN_ENV, str(folder))
    assert not board_app(as_of="2010-11-30", compare_to="2010-11-23", region="London").exception
    left = board.drawn(folder, nov, week, "London", None)
    assert left == board.manifest_figures(board.figures(store, nov, week, "London", None))
    assert board.drawn(folder, nov, week, None, None) is None  # another pack's board is not this one
    assert board.drawn(folder, nov, dt.date(2010, 11, 1), "London", None) is None
    # what the capture makes of them is what pack_facts gives
    assert snapshot._facts(week, left, snapshot._stored_facts(store, nov)) == snapshot.pack_facts(
        store, nov, week, "London"
    )


def run_snapshot(*args: str, db: Path, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tracker", "snapshot", *args, "--db", str(db)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_snapshot_writes_the_pack(demo_db, tmp_path):
    db = tmp_path / "pack.duckdb"
    shutil.copy(demo_db, db)
    out = tmp_path / "packs"
    done = run_snapshot("--as-of", "2010-11-30", "--out", str(out), db=db)
    assert done.returncode == 0, done.stderr
    assert "page 1 of 3: board" in done.stderr and "page 3 of 3: stalled" in done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "2010-11-30_board.png",
        "2010-11-30_compare.png",
        "2010-11-30_stalled.png",
        "board-pack_2010-11-30.json",
        "board-pack_2010-11-30.pdf",
    ]
    board_png = Image.open(out / "2010-11-30_board.png")
    assert board_png.size == (1920, 1080)
    blank = ImageStat.Stat(Image.new("L", (1920, 1080), 255)).stddev[0]
    for name in ("board", "compare", "stalled"):
        image = Image.open(out / f"2010-11-30_{name}.png")
        assert ImageStat.Stat(image.convert("L")).stddev[0] > blank + 20, name
        if name != "board":
            assert image.size[1] > 1080  # full length, not cut at the window
    assert len(PdfReader(out / "board-pack_2010-11-30.pdf").pages) == 3
    manifest = json.loads((out / "board-pack_2010-11-30.json").read_text())
    assert manifest["as_of"] == "2010-11-30"
    assert manifest["compared_with"] == {"last_pack": "2010-11-23", "last_month": "2010-10-30"}
    assert [p["page"] for p in manifest["pages"]] == ["board", "compare", "stalled"]
    assert manifest["rules"]["values"]["no_recruits_after_months"] == 3 and manifest["rules"]["version"] == 1
    assert manifest["register_corrections"] == []
    assert manifest["synthetic_demo_data"] is True
    assert manifest["load_log"]["accepted_loads"] > 60
    # the board's figures, left by the server that drew them, are those pack_facts works out
    facts = snapshot.pack_facts(FileStore(db), dt.date(2010, 11, 30), dt.date(2010, 11, 23))
    assert {k: manifest[k] for k in facts} == facts
    dorset = [f for f in manifest["flagged_sites"] if f["site_code"] == "5QM" and f["flag"] == "BEHIND_TARGET"]
    assert dorset[0]["reason"] == "9 of 75 recruited; 54 expected by now (17%)"
    # Re-creating the same week's pack from the same database gives the same figures.
    again = run_snapshot("--as-of", "2010-11-30", "--pages", "board", "--out", str(tmp_path / "again"), db=db)
    assert again.returncode == 0, again.stderr
    second = json.loads((tmp_path / "again" / "board-pack_2010-11-30.json").read_text())
    assert second["headline"] == manifest["headline"] and second["flagged_sites"] == manifest["flagged_sites"]


def test_regional_pack_is_named_for_its_region(demo_db, tmp_path):
    db = tmp_path / "pack.duckdb"
    shutil.copy(demo_db, db)
    done = run_snapshot(
        "--as-of", "2010-11-30", "--pages", "board", "--region", "London", "--out", str(tmp_path), db=db
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "2010-11-30_london_board.png").exists()
    manifest = json.loads((tmp_path / "board-pack_2010-11-30_london.json").read_text())
    assert manifest["region"] == "London" and manifest["headline"]["sites_registered"] == 7


def test_snapshot_refuses_a_broken_database_with_a_plain_message(demo_db, tmp_path):
    db = tmp_path / "broken.duckdb"
    shutil.copy(demo_db, db)
    break_register(db)
    out = tmp_path / "packs"
    done = run_snapshot("--as-of", "2010-11-30", "--out", str(out), db=db)
    assert done.returncode == 1
    assert "could not answer a query" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_snapshot_refuses_loudly_when_a_page_shows_an_exception(demo_db, tmp_path):
    # A copy of the app whose Compare page is broken, served on loopback; the capture must fail, writing nothing.
    app = checkout_copy(tmp_path / "app")
    compare = app / "pages" / "compare.py"
    compare.write_text(
        compare.read_text().replace(
            "sites = ui.frame(", "raise RuntimeError('deliberately broken page')\nsites = ui.frame("
        )
    )
    db = tmp_path / "pack.duckdb"
    shutil.copy(demo_db, db)
    server, url = start_shared_server(app, db)
    try:
        out = tmp_path / "packs"
        done = run_snapshot("--as-of", "2010-11-30", "--url", url, "--out", str(out), db=db)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 1
    assert "the compare page shows an error, so no picture was taken: " in done.stderr
    assert "deliberately broken page" in done.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_capture_refuses_a_server_that_asks_for_sign_in_but_its_private_server_needs_none(demo_db, tmp_path):
    app = checkout_copy(tmp_path / "app")
    ask_for_sign_in(app)
    db = tmp_path / "pack.duckdb"
    shutil.copy(demo_db, db)
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_PRIVATE_CAPTURE"}
    server, url = start_shared_server(app, db)
    try:
        refused = run_snapshot(
            "--as-of",
            "2010-11-30",
            "--pages",
            "board",
            "--url",
            url,
            "--out",
            str(tmp_path / "refused"),
            db=db,
            cwd=app,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert refused.returncode == 1
    assert "asks for sign-in; leave out --url" in refused.stderr
    assert not (tmp_path / "refused").exists() or list((tmp_path / "refused").iterdir()) == []
    private = run_snapshot(
        "--as-of", "2010-11-30", "--pages", "board", "--out", str(tmp_path / "private"), db=db, cwd=app, env=env
    )
    assert private.returncode == 0, private.stderr
    assert Image.open(tmp_path / "private" / "2010-11-30_board.png").size == (1920, 1080)


def start_shared_server(app: Path, db: Path) -> tuple[subprocess.Popen, str]:
    """A dashboard server as a programme office would run it (not the capture's private one)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_PRIVATE_CAPTURE"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=app,
        env={**env, "TRACKER_DB": str(db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url)
    return server, url


def wait_for_health(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:  # noqa: S310 - loopback
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the test server did not start")


def test_a_blank_picture_is_refused():
    from tracker.snapshot import SnapshotError, _not_blank

    def png(image: Image.Image) -> bytes:
        data = io.BytesIO()
        image.save(data, "PNG")
        return data.getvalue()

    with pytest.raises(SnapshotError, match="the stalled picture is blank"):
        _not_blank(png(Image.new("RGB", (1600, 900), "white")), "stalled")
    drawn = Image.new("RGB", (1600, 900), "white")
    drawn.paste((0, 0, 0), (0, 0, 800, 900))
    assert _not_blank(png(drawn), "stalled").size == (1600, 900)


def test_unknown_page_is_a_plain_error(demo_db, tmp_path):
    done = run_snapshot("--as-of", "2010-11-30", "--pages", "board,nonsense", "--out", str(tmp_path), db=demo_db)
    assert done.returncode == 1
    assert "unknown page(s) nonsense" in done.stderr
