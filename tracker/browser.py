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
    # No GPU process compositing in software for nothing: the browser composites itself (about a tenth
    # less time and CPU for a board pack on 2 cores; the same pictures), and no software WebGL (no page
    # draws with WebGL: Vega draws SVG, the tables a 2D canvas).
    "--disable-gpu-compositing",
    "--disable-software-rasterizer",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# Why a page is not yet fit to photograph, or null once it is: the script has finished, no placeholder
# is left, fonts and images have loaded, every visible chart has drawn (Vega's root group in its SVG,
# or paint on its canvas), every visible table has painted its canvas from top to bottom (a canvas
# just sized or cleared is blank), no finite animation is running, and nothing in the page has
# changed for `quietMs` (Vega and React draw by changing the DOM; the watcher is installed on the
# first call, or earlier by SETTLE_WATCH as an init script). Charts and tables in a closed expander
# or another tab are not drawn until shown, so only visible ones count.
# A canvas's own children are fallback content, never drawn (the table grid adds its accessible copy
# there when it likes, even mid-picture), so changes to them do not count.
_WATCH = """window.__trackerQuiet = {last: performance.now()};
  new MutationObserver(records => {
    const drawn = r => {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      return !(el && ((r.type === 'childList' && el.tagName === 'CANVAS') || el.parentElement?.closest('canvas')));
    };
    if (records.some(drawn)) window.__trackerQuiet.last = performance.now();
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});"""
PENDING_JS = """(quietMs) => {
  if (!window.__trackerQuiet) { WATCH }
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning' || app.dataset.testConnectionState !== 'CONNECTED')
    return 'the script had not finished';
  if (document.querySelector('[data-testid="stStatusWidget"]')) return 'the page was still running';
  if (document.querySelector('[data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]'))
    return 'a placeholder was still shown';
  if (document.fonts.status !== 'loaded') return 'its fonts were still loading';
  if ([...document.images].some(img => !img.complete)) return 'an image was still loading';
  const visible = sel => [...document.querySelectorAll(sel)].filter(el => el.checkVisibility());
  // Rows of pixels across a canvas; a row is inked once anything was painted on it (a canvas just
  // sized or cleared is all zeros, or opaque black when it was made without transparency).
  const inkedRows = (c, ys) => {
    const ctx = c.width && c.height && c.getBoundingClientRect().height > 0 ? c.getContext('2d') : null;
    if (!ctx) return c.width && c.height ? ys.map(() => true) : ys.map(() => false);  // WebGL: trust its size
    const alpha = ctx.getContextAttributes().alpha;
    return ys.map(y => {
      const px = ctx.getImageData(0, Math.min(c.height - 1, Math.max(0, Math.round(y))), c.width, 1).data;
      return px.some((v, i) => (i % 4 === 3 ? alpha && v !== 0 : v !== 0));
    });
  };
  const charts = visible('[data-testid="stVegaLiteChart"]');
  for (let i = 0; i < charts.length; i++) {
    const svg = charts[i].querySelector('svg.marks');
    const canvas = charts[i].querySelector('canvas');
    const root = svg && svg.querySelector('.mark-group.root');  // Vega renders the whole scene at once
    const drawn = svg
      ? !!root && root.childElementCount > 0 && svg.getBoundingClientRect().height > 0
      : !!canvas && inkedRows(canvas, Array.from({length: 24}, (_, k) => (k + 0.5) * canvas.height / 24)).some(Boolean);
    if (!drawn) return `chart ${i + 1} of ${charts.length} had not drawn`;
  }
  const tables = visible('[data-testid="stDataFrame"]');
  for (let i = 0; i < tables.length; i++) {
    const canvas = tables[i].querySelector('canvas');
    const h = canvas ? canvas.height : 0;
    if (!canvas || !inkedRows(canvas, [1, h / 4, h / 2, 3 * h / 4, h - 2]).every(Boolean))
      return `table ${i + 1} of ${tables.length} had not drawn`;
  }
  const moving = document.getAnimations().filter(a => a.playState === 'running'
      && (a.effect?.getTiming().iterations ?? 1) !== Infinity);
  if (moving.length) return 'an animation was running';
  if (performance.now() - window.__trackerQuiet.last < quietMs) return 'the page was still changing';
  return null;
}""".replace("WATCH", _WATCH)
# Installed before the page's own scripts (BrowserContext.add_init_script) so that "nothing has
# changed for a while" counts from the first change the page made, not from the first check.
SETTLE_WATCH = f"(() => {{ {_WATCH} }})();"
QUIET_MS = 200  # no change in the page for this long
POLL_MS = 50  # how often a page is checked (each animation frame would keep the page drawing frames)
# Drawn, without waiting for a quiet spell: for timing how soon a page shows (benchmarks/).
DRAWN_JS = f"() => !({PENDING_JS})(0)"
EXCEPTION = '[data-testid="stException"]'


class NotDrawn(TrackerError):
    """A page did not finish drawing in time; no picture of it may be taken."""

    def __init__(self, why: str, seconds: float):
        super().__init__(f"the page was not fully drawn within {seconds:.0f} s: {why}")
        self.why, self.seconds = why, seconds


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


def holds_port(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the listening TCP socket on ``port`` (None where /proc cannot say)."""
    try:
        listening = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()  # local address as HEX:PORT, state (0A: listening), ..., inode
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    listening.add(f"socket:[{fields[9]}]")
        fds = os.listdir(f"/proc/{pid}/fd")
    except (OSError, IndexError, ValueError):
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in listening:
                return True
        except OSError:
            continue  # closed meanwhile
    return False


@contextlib.contextmanager
def dashboard_server(
    store: Store, port: int | None = None, timeout_s: float = 60, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run the dashboard on loopback for ``store`` (with extra environment); yields its URL and always stops it."""
    with start_dashboard(store, port, timeout_s, env) as server:
        yield server.ready()


@contextlib.contextmanager
def start_dashboard(
    store: Store, port: int | None = None, timeout_s: float = 60, env: dict[str, str] | None = None
) -> Iterator[LocalServer]:
    """Start the dashboard on loopback for ``store`` (with extra environment) without waiting for it (see
    LocalServer.ready)."""
    # A private server for this machine: it needs no sign-in even where the shared one does.
    env = {**store.environment(), "TRACKER_PRIVATE_CAPTURE": "1", **(env or {})}
    with start_streamlit(ROOT / "dashboard.py", env, port, timeout_s, "the dashboard server") as server:
        yield server


@contextlib.contextmanager
def streamlit_server(
    script: Path,
    env: dict[str, str],
    port: int | None = None,
    timeout_s: float = 60,
    what: str = "the server",
    cwd: Path | None = None,
) -> Iterator[str]:
    """Run a Streamlit script on loopback with extra environment; yields its URL once healthy, always stops it.
    ``cwd`` is where it runs, and so whose .streamlit/config.toml it reads (by default, the script's folder)."""
    with start_streamlit(script, env, port, timeout_s, what, cwd) as server:
        yield server.ready()


class LocalServer:
    """A Streamlit server this process started: it starts up while the caller does other work."""

    def __init__(self, proc: subprocess.Popen, port: int, what: str, timeout_s: float):
        self.proc, self.port, self.what, self.timeout_s = proc, port, what, timeout_s
        self.url = f"http://127.0.0.1:{port}"
        self.deadline = time.monotonic() + timeout_s

    def ready(self, base: str = "") -> str:
        """Its URL (with ``base``, the server's own path, if it has one: ``/tracker``), once it answers its
        health check there; a plain error if it stopped or is too slow.

        The port was free when chosen but is not held until the server binds it, so another program may
        take it first: the answer counts only when this server holds the port (it then stops, saying so).
        """
        while True:
            if self.proc.poll() is not None:
                raise TrackerError(f"{self.what} stopped at start-up: {self.proc.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(f"{self.url}{base}/_stcore/health", timeout=2) as reply:  # noqa: S310
                    if reply.read() == b"ok" and holds_port(self.proc.pid, self.port) is not False:
                        return self.url + base
            except OSError:
                pass
            if time.monotonic() > self.deadline:
                raise TrackerError(f"{self.what} did not start within {self.timeout_s:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Ask it to stop, without waiting (leaving start_streamlit waits)."""
        if self.proc.poll() is None:
            self.proc.terminate()


@contextlib.contextmanager
def start_streamlit(
    script: Path,
    env: dict[str, str],
    port: int | None = None,
    timeout_s: float = 60,
    what: str = "the server",
    cwd: Path | None = None,
) -> Iterator[LocalServer]:
    """Start a Streamlit script on loopback with extra environment; always stops it."""
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
        command, cwd=cwd or script.parent, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield LocalServer(proc, port, what, timeout_s)
    finally:
        end(proc)


def end(proc: subprocess.Popen, timeout_s: float = 10) -> None:
    """Stop a process this one started: asked first, killed if it has not stopped within ``timeout_s``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_rendered(page, timeout_ms: int = 30_000, *, quiet_ms: int = QUIET_MS) -> None:
    """Wait until the page is fit to photograph (see PENDING_JS); raises TrackerError saying what it
    was still waiting for if that takes longer than ``timeout_ms``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(READY, timeout=timeout_ms)
        page.wait_for_function(f"() => !({PENDING_JS})({quiet_ms})", timeout=timeout_ms, polling=POLL_MS)
    except PlaywrightTimeout:
        why = page.evaluate(PENDING_JS, quiet_ms) or "it did not finish"
        raise NotDrawn(why, timeout_ms / 1000) from None


def full_height(page) -> int:
    """Height of the page's content, which Streamlit scrolls inside its main area (in a viewport taller
    than the content, the main area's own height is the viewport's, so its content block is measured)."""
    return page.evaluate(
        """() => {
          const main = document.querySelector('[data-testid="stMain"]');
          const block = document.querySelector('[data-testid="stMainBlockContainer"]');
          const scrolled = main && main.scrollHeight > main.clientHeight ? main.scrollHeight : 0;
          const content = block ? block.getBoundingClientRect().bottom + (main ? main.scrollTop : 0) : 0;
          return Math.round(Math.max(scrolled, content) || document.documentElement.scrollHeight);
        }"""
    )
