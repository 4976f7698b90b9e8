"""The weekly board pack: capture dashboard pages in headless Chromium as PNGs, one PDF and a manifest.

Nothing half-drawn is ever written: every page is checked (script finished, every chart drawn,
no error shown, the board fits its slide) and the files are moved into place only when all pass.
"""

from __future__ import annotations

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
from tracker.browser import CHROMIUM_ARGS, EXCEPTION, chromium_path, dashboard_server, full_height, wait_rendered
from tracker.config import ROOT
from tracker.errors import TrackerError
from tracker.store import Store, programme_config

BOARD_SIZE = (1920, 1080)
PAGE_WIDTH = 1600
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
BLANK_STDDEV = 8.0  # a blank or nearly blank page has almost no spread in pixel values


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


def _not_blank(png: bytes, name: str) -> None:
    from PIL import Image, ImageStat

    stddev = max(ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).stddev)
    if stddev < BLANK_STDDEV:
        raise SnapshotError(f"the {name} picture is blank (pixel spread {stddev:.1f}); nothing was written")


def _pdf(pngs: list[Path], target: Path) -> None:
    from PIL import Image

    images = [Image.open(p).convert("RGB") for p in pngs]
    images[0].save(target, "PDF", save_all=True, append_images=images[1:], resolution=144)


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
    compare_to = compare_to or as_of - dt.timedelta(days=7)
    facts = pack_facts(store, as_of, compare_to, region, cohort)
    params = {"as_of": as_of.isoformat(), **{k: v for k, v in (("region", region), ("cohort", cohort)) if v}}
    prefix = pack_prefix(as_of, region, cohort)
    suffix = prefix[len(as_of.isoformat()) :]
    shots: list[Shot] = []
    staging = Path(tempfile.mkdtemp(prefix=".board-pack-", dir=out_dir if out_dir.exists() else None))
    try:
        server = contextlib.nullcontext(url) if url else dashboard_server(store)
        if not url:
            progress("starting a private dashboard server on this machine …")
        with server as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                for number, name in enumerate(pages, start=1):
                    t0 = time.perf_counter()
                    progress(f"page {number} of {len(pages)}: {name} …")
                    page_params = (
                        {**params, "compare_to": compare_to.isoformat()}
                        if name == "board"
                        else {**params, "print": "1"}
                    )
                    target = _url(base, name, page_params)
                    width, height = BOARD_SIZE if name == "board" else (PAGE_WIDTH, 900)
                    page = browser.new_page(viewport={"width": width, "height": height})
                    try:
                        page.goto(target, timeout=timeout_s * 1000)
                        page.add_style_tag(content=CLEAN_CSS)
                        # A long page is measured first, then drawn again at its full height and checked still.
                        wait_rendered(page, int(timeout_s * 1000), still=name == "board")
                        _check(page, name, base)
                        if name == "board":
                            if full_height(page) > BOARD_SIZE[1]:
                                raise SnapshotError(
                                    f"the board does not fit its 1920×1080 slide ({full_height(page)} px tall)"
                                )
                        else:
                            height = full_height(page)
                            page.set_viewport_size({"width": width, "height": height})
                            wait_rendered(page, int(timeout_s * 1000))
                            _check(page, name, base)
                        page.mouse.move(0, 0)  # no tooltip or chart menu in the picture
                        png = page.screenshot(full_page=name != "board")
                    finally:
                        page.close()
                    _not_blank(png, name)
                    file = f"{prefix}_{name}.png"
                    (staging / file).write_bytes(png)
                    shots.append(
                        Shot(
                            name,
                            file,
                            width,
                            height if name != "board" else BOARD_SIZE[1],
                            round(time.perf_counter() - t0, 2),
                        )
                    )
            finally:
                browser.close()
        pdf_name = f"board-pack_{as_of.isoformat()}{suffix}.pdf"
        _pdf([staging / s.file for s in shots], staging / pdf_name)
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
    figures = board.figures(store, as_of, compare_to, region, cohort)
    with store.read() as con:
        position = queries.frame(con, "load_log_position").iloc[0]
        rules_then = rules.in_force(con, as_of)
        corrections = queries.frame(con, "corrections_in_effect", as_of=as_of)
    return {
        "compared_with": {"last_pack": compare_to.isoformat(), "last_month": figures.month_before.isoformat()},
        "data_received_up_to": board._plain(figures.now.data_received_up_to),
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
        **figures.manifest(),
    }


def _is_demo(store: Store) -> bool:
    from tracker.store import get_meta

    with store.read() as con:
        return get_meta(con, "is_demo") == "true"
