"""The weekly board pack: capture dashboard pages in headless Chromium as PNGs, one PDF and a manifest.

Nothing half-drawn is ever written: every page is checked (script finished, every chart and table
drawn, the page still, no error shown, the board fits its slide, the picture not blank) and the
files are moved into place only when all pass.

Where the time goes (issue 13): the private server starts while Chromium launches and the pack's
other facts are read; the board's figures are worked out once, by the server drawing the board, which
leaves them for the manifest (board.DRAWN_ENV); the pages load in tabs of one browser, PARALLEL_TABS
at a time, so one page's script runs while another is photographed; each page is taken once its own
signals say it is done (browser.PENDING_JS), not after two identical pictures; a long page opens in a
viewport already taller than most pages, so it is drawn once.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracker import __version__, board, queries, rules
from tracker.browser import (
    CHROMIUM_ARGS,
    EXCEPTION,
    SETTLE_WATCH,
    NotDrawn,
    chromium_path,
    full_height,
    start_dashboard,
    wait_rendered,
)
from tracker.config import ROOT
from tracker.errors import TrackerError
from tracker.store import Store, programme_config
from tracker.values import last_pack_day

BOARD_SIZE = (1920, 1080)
PAGE_WIDTH = 1600
# A long page opens this tall, so that most are drawn once; one taller still is drawn again at its
# full height (Streamlit scrolls inside its main area: a picture shows only what the viewport holds).
LONG_PAGE_HEIGHT = 8000
# Tabs loading at once in the one browser (benchmarks/bench_snapshot.py measured 1, 2 and 3).
PARALLEL_TABS = 2
PAGES = {
    "board": ("/board", None),
    "overview": ("/", "Sites by status"),
    "compare": ("/compare", "Compare sites"),
    "stalled": ("/stalled", "Stalled sites"),
    "returns": ("/returns", "Returns"),
}
DEFAULT_PAGES = ("board", "compare", "stalled")
# Pictures for a board: no sidebar, no header or toolbar (the pages say their as-of date themselves).
CLEAN_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] {display: none !important;}
"""
# Before the page's own scripts: the style above, and the watcher PENDING_JS reads for stillness.
PAGE_SETUP = f"""(() => {{
  const add = () => {{
    if (!document.documentElement) return false;
    const style = document.createElement('style');
    style.textContent = {json.dumps(CLEAN_CSS)};
    document.documentElement.appendChild(style);
    return true;
  }};
  if (!add()) new MutationObserver((_, seen) => {{ if (add()) seen.disconnect(); }})
    .observe(document, {{childList: true}});
}})();
{SETTLE_WATCH}"""
BLANK_STDDEV = 8.0  # a blank or nearly blank page has almost no spread in pixel values
RETAKES = 3  # pictures of a page that changed while it was being taken, before giving up


class SnapshotError(TrackerError):
    """The pack could not be made; nothing was written."""


@dataclass
class Shot:
    """One captured page."""

    page: str
    file: str
    width: int
    height: int
    seconds: float


def pack_prefix(as_of: dt.date, region: str | None, cohort: str | None) -> str:
    """``2010-11-30``, or ``2010-11-30_london`` for a regional pack: files sort by date."""
    parts = [as_of.isoformat(), *(re.sub(r"[^a-z0-9]+", "-", x.lower()).strip("-") for x in (region, cohort) if x)]
    return "_".join(parts)


def software_version() -> str:
    """The tracker's version, with the git commit when run from a checkout."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, output only labels the pack
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        if commit:
            return f"{__version__}+{commit}"
    return __version__


def _url(base: str, page: str, params: dict[str, str]) -> str:
    path, _ = PAGES[page]
    return f"{base.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"


def _check(page, name: str, url: str) -> None:
    """Refuse a page that shows an error or a sign-in screen instead of the tracker."""
    if page.locator(EXCEPTION).count():
        text = page.locator(EXCEPTION).first.inner_text()[:300].strip()
        raise SnapshotError(f"the {name} page shows an error, so no picture was taken: {text}")
    alert = page.locator('[data-testid="stAlertContentError"]')
    if alert.count():
        raise SnapshotError(f"the {name} page shows an error message: {alert.first.inner_text()[:300].strip()}")
    if page.locator('[data-testid="stApp"]').count() == 0 or (
        page.get_by_text("Sign in", exact=False).count() and page.locator('[data-testid="stMetric"]').count() == 0
    ):
        raise SnapshotError(
            f"the dashboard at {url} asks for sign-in; leave out --url so the capture starts its own private server"
        )


def _not_blank(png: bytes, name: str):
    """The picture as an RGB image (for the PDF), or SnapshotError if it is blank."""
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    stddev = max(ImageStat.Stat(image.convert("L")).stddev)
    if stddev < BLANK_STDDEV:
        raise SnapshotError(f"the {name} picture is blank (pixel spread {stddev:.1f}); nothing was written")
    return image


def _pdf(images: list, target: Path) -> None:
    images[0].save(target, "PDF", save_all=True, append_images=images[1:], resolution=144)


def _photograph(tab, name: str, base: str, timeout_ms: int) -> tuple[bytes, int, int]:
    """A checked picture of an open page, with its width and height; SnapshotError if it is not right."""
    width = tab.viewport_size["width"]
    for _ in range(RETAKES):
        wait_rendered(tab, timeout_ms)
        _check(tab, name, base)
        height = full_height(tab)
        if name == "board":
            if height > BOARD_SIZE[1]:
                raise SnapshotError(f"the board does not fit its 1920×1080 slide ({height} px tall)")
            height = BOARD_SIZE[1]
        elif height > tab.viewport_size["height"]:  # taller than the viewport: drawn again at its full height
            tab.set_viewport_size({"width": width, "height": height})
            wait_rendered(tab, timeout_ms)
            _check(tab, name, base)
            height = full_height(tab)
        changed = tab.evaluate("() => window.__trackerQuiet.last")
        # caret="initial": hiding the caret would add a style to the page, a change of its own.
        png = tab.screenshot(clip={"x": 0, "y": 0, "width": width, "height": height}, caret="initial")
        if tab.evaluate("() => window.__trackerQuiet.last") == changed:  # still while it was taken
            return png, width, height
    raise SnapshotError(f"the {name} page kept changing while its picture was taken, so none was kept")


def capture(
    store: Store,
    as_of: dt.date,
    out_dir: Path,
    *,
    pages: tuple[str, ...] = DEFAULT_PAGES,
    region: str | None = None,
    cohort: str | None = None,
    compare_to: dt.date | None = None,
    url: str | None = None,
    timeout_s: float = 60,
    progress: Callable[[str], None] = lambda _: None,
    pptx: bool = False,
) -> dict:
    """Capture the pack; gives the manifest. Raises SnapshotError, writing nothing, if any page is not right."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    unknown = [p for p in pages if p not in PAGES]
    if unknown or not pages:
        raise SnapshotError(f"unknown page(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(PAGES)}")
    started = time.perf_counter()
    with store.read() as con:
        cfg = programme_config(con)
    regions = cfg.regions
    if region is not None and region not in regions:
        raise SnapshotError(f"{region!r} is not one of the programme's regions ({', '.join(regions)})")
    compare_to = compare_to or last_pack_day(as_of)
    params = {"as_of": as_of.isoformat(), **{k: v for k, v in (("region", region), ("cohort", cohort)) if v}}
    prefix = pack_prefix(as_of, region, cohort)
    suffix = prefix[len(as_of.isoformat()) :]
    timeout_ms = int(timeout_s * 1000)
    shots: list[Shot] = []
    pictures: list[concurrent.futures.Future] = []  # each checked not blank, and decoded for the PDF
    staging = Path(tempfile.mkdtemp(prefix=".board-pack-", dir=out_dir if out_dir.exists() else None))
    try:
        with contextlib.ExitStack() as stack:
            # Started first, in this order, so that they overlap: the server starts up in its own
            # process while the pack's facts are read in a thread and Chromium launches here.
            # The board's figures are worked out once, by the private server drawing the board, which
            # leaves them in `drawn_dir` for the manifest (so the manifest says what the picture shows);
            # a pack without the board, or of another server (--url), works them out here.
            drawn_dir = None if url or "board" not in pages else stack.enter_context(_drawn_folder())
            server = (
                None
                if url
                else stack.enter_context(
                    start_dashboard(store, timeout_s=timeout_s, env={board.DRAWN_ENV: drawn_dir} if drawn_dir else None)
                )
            )
            if server:
                progress("starting a private dashboard server on this machine …")
            helpers = stack.enter_context(concurrent.futures.ThreadPoolExecutor(2))
            if drawn_dir:
                stored_read = helpers.submit(_stored_facts, store, as_of)
            else:
                stored_read = helpers.submit(pack_facts, store, as_of, compare_to, region, cohort)
            pw = stack.enter_context(sync_playwright())
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            base = url or server.ready()
            context = browser.new_context()
            context.add_init_script(PAGE_SETUP)

            waiting: collections.deque = collections.deque()

            def open_tab(number: int, name: str) -> None:
                progress(f"page {number} of {len(pages)}: {name} …")
                tab = context.new_page()
                width, height = BOARD_SIZE if name == "board" else (PAGE_WIDTH, LONG_PAGE_HEIGHT)
                tab.set_viewport_size({"width": width, "height": height})
                tab.mouse.move(0, 0)  # no tooltip or chart menu in the picture
                page_params = (
                    {**params, "compare_to": compare_to.isoformat()} if name == "board" else {**params, "print": "1"}
                )
                tab.goto(_url(base, name, page_params), wait_until="commit", timeout=timeout_ms)
                waiting.append((name, tab, time.perf_counter()))

            to_open = collections.deque(enumerate(pages, start=1))
            while to_open and len(waiting) < PARALLEL_TABS:
                open_tab(*to_open.popleft())
            stored = stored_read.result()  # its error, if any, before the pages' (a broken store breaks both)
            while waiting:
                name, tab, opened = waiting.popleft()
                try:
                    wait_rendered(tab, timeout_ms)
                    if to_open:  # the next page loads while this one is checked and photographed
                        open_tab(*to_open.popleft())
                    png, width, height = _photograph(tab, name, base, timeout_ms)
                except NotDrawn as exc:
                    raise SnapshotError(
                        f"the {name} page did not finish drawing within {exc.seconds:.0f} s ({exc.why}),"
                        " so no picture was taken"
                    ) from None
                finally:
                    tab.close()
                pictures.append(helpers.submit(_not_blank, png, name))  # while the next page is taken
                file = f"{prefix}_{name}.png"
                (staging / file).write_bytes(png)
                shots.append(Shot(name, file, width, height, round(time.perf_counter() - opened, 2)))
            if drawn_dir:
                # Left by the board just photographed; worked out here only if it left none (not expected).
                figures = board.drawn(drawn_dir, as_of, compare_to, region, cohort) or board.manifest_figures(
                    board.figures(store, as_of, compare_to, region, cohort)
                )
                facts = _facts(compare_to, figures, stored)
            else:
                facts = stored
            if server:
                server.stop()  # it shuts down while the PDF is written
            pdf_name = f"board-pack_{as_of.isoformat()}{suffix}.pdf"
            _pdf([picture.result() for picture in pictures], staging / pdf_name)
            pictures.clear()
        manifest = {
            "as_of": as_of.isoformat(),
            "compared_with": facts.pop("compared_with"),
            "region": region,
            "cohort": cohort,
            "pages": [s.__dict__ for s in shots],
            "pdf": pdf_name,
            "software_version": software_version(),
            "captured_at": dt.datetime.now().replace(microsecond=0).isoformat(),
            "seconds": round(time.perf_counter() - started, 2),
            **facts,
        }
        if pptx:
            from tracker import deck

            manifest["pptx"] = deck.write(manifest, staging, cfg.programme_name).name
        manifest["programme"] = cfg.programme_name
        manifest_name = f"board-pack_{as_of.isoformat()}{suffix}.json"
        (staging / manifest_name).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        out_dir.mkdir(parents=True, exist_ok=True)
        for file in staging.iterdir():
            file.replace(out_dir / file.name)
        manifest["seconds"] = round(time.perf_counter() - started, 2)
        return manifest
    except PlaywrightTimeout:
        raise SnapshotError(
            f"a page did not finish drawing within {timeout_s:.0f} s, so no picture was taken"
        ) from None
    except PlaywrightError as exc:
        raise SnapshotError(f"the browser failed: {str(exc).splitlines()[0]}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def pack_facts(
    store: Store, as_of: dt.date, compare_to: dt.date, region: str | None = None, cohort: str | None = None
) -> dict:
    """What a pack's manifest says about the data: every figure, status and flagged site shown, the
    rules version they were judged by, the register corrections they include, and the load log's
    position. Re-made for an old date it is the same, unless a correction or a change dated back
    to it was recorded since (and then the corrections it lists say so)."""
    figures = board.manifest_figures(board.figures(store, as_of, compare_to, region, cohort))
    return _facts(compare_to, figures, _stored_facts(store, as_of))


def _facts(compare_to: dt.date, figures: dict, stored: dict) -> dict:
    """pack_facts from the board's figures (board.manifest_figures) and the rest (_stored_facts)."""
    figures = dict(figures)
    return {
        "compared_with": {"last_pack": compare_to.isoformat(), "last_month": figures.pop("last_month")},
        "data_received_up_to": figures.pop("data_received_up_to"),
        **stored,
        **figures,
    }


def _stored_facts(store: Store, as_of: dt.date) -> dict:
    """The manifest's facts that are not the board's figures: the load log's position, the rules in
    force and the register corrections included."""
    with store.read() as con:
        position = queries.frame(con, "load_log_position").iloc[0]
        rules_then = rules.in_force(con, as_of)
        corrections = queries.frame(con, "corrections_in_effect", as_of=as_of)
    return {
        "load_log": {
            "last_load_id": board._plain(position.last_load_id),
            "last_loaded_at": None if position.last_loaded_at is None else str(position.last_loaded_at),
            "accepted_loads": int(position.accepted_loads),
        },
        "rules": {
            "version": rules_then.version_id,
            "label": rules_then.label,
            "effective_from": board._plain(rules_then.effective_from),
            "reason": rules_then.reason,
            "values": {k: board._plain(v) for k, v in rules_then.values.items()},
        },
        "register_corrections": [
            {
                "site_code": c.site_code,
                "effective_from": board._plain(c.effective_from),
                "changes": json.loads(c.changes) if c.changes else {},
                "reason": c.reason,
                "recorded_at": str(c.recorded_at),
                "recorded_by": c.recorded_by,
            }
            for c in corrections.itertuples()
        ],
        "synthetic_demo_data": _is_demo(store),
    }


@contextlib.contextmanager
def _drawn_folder():
    """A private folder for the figures the capture's own server draws (board.DRAWN_ENV)."""
    with tempfile.TemporaryDirectory(prefix="tracker-board-drawn-") as folder:
        yield folder


def _is_demo(store: Store) -> bool:
    from tracker.store import get_meta

    with store.read() as con:
        return get_meta(con, "is_demo") == "true"
