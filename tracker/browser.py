"""A private dashboard server and headless Chromium: for the real-browser tests and the board pack.

Uses Debian's Chromium through Playwright's ``executable_path``: nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tracker.config import ROOT
from tracker.errors import TrackerError
from tracker.store import Store

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# True once no skeleton is left and every visible chart and table has drawn something
# (those in a closed expander or another tab are not drawn until shown).
DRAWN_JS = """() => {
  if (document.querySelector('[data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]')) return false;
  const ok = (sel, inner) => [...document.querySelectorAll(sel)].filter(el => el.checkVisibility()).every(el => {
      const g = el.querySelector(inner); return g && g.getBoundingClientRect().height > 0; });
  return ok('[data-testid="stVegaLiteChart"]', 'canvas, svg.marks')
      && ok('[data-testid="stDataFrame"]', 'canvas');
}"""
EXCEPTION = '[data-testid="stException"]'


def chromium_path() -> str:
    """Debian's Chromium, or a plain message saying how to install it."""
    for candidate in (os.environ.get("TRACKER_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise TrackerError("Chromium is not installed: run `apt-get install -y chromium` (Debian's package).")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(store: Store, port: int | None = None, timeout_s: float = 60) -> Iterator[str]:
    """Run the dashboard on loopback for ``store``; yields its URL and always stops it."""
    # A private server for this machine: it needs no sign-in even where the shared one does.
    env = {**store.environment(), "TRACKER_PRIVATE_CAPTURE": "1"}
    with streamlit_server(ROOT / "dashboard.py", env, port, timeout_s, "the dashboard server") as url:
        yield url


@contextlib.contextmanager
def streamlit_server(
    script: Path, env: dict[str, str], port: int | None = None, timeout_s: float = 60, what: str = "the server"
) -> Iterator[str]:
    """Run a Streamlit script on loopback with extra environment; yields its URL once healthy, always stops it."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        command, cwd=script.parent, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise TrackerError(f"{what} stopped at start-up: {proc.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:  # noqa: S310 - loopback
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TrackerError(f"{what} did not start within {timeout_s:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_rendered(page, timeout_ms: int = 30_000, *, still: bool = True) -> None:
    """Wait until the script has finished, every chart and table has drawn, and (``still``) the picture is still."""
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout_ms)
    page.wait_for_function(DRAWN_JS, timeout=timeout_ms)
    if not still:
        return
    # Still means two identical pictures 250 ms apart (JPEG: cheaper to make than PNG on a long page).
    previous = page.screenshot(type="jpeg", quality=40)
    for _ in range(40):
        page.wait_for_timeout(250)
        current = page.screenshot(type="jpeg", quality=40)
        if current == previous:
            return
        previous = current
    raise TrackerError("the page did not settle (it kept changing for 10 s)")


def full_height(page) -> int:
    """Height of the page's content, which Streamlit scrolls inside its main area."""
    return page.evaluate(
        "() => Math.max(document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0,"
        " document.documentElement.scrollHeight)"
    )
