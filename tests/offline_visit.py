"""Start the dashboard and open its Overview in Chromium, all on this machine: run inside a network namespace
with loopback only (``unshare -n``) to show that a server needs nothing from the network.

Prints one line of JSON: what the Overview's "People recruited" figure said, and any error shown.
The store comes from TRACKER_DB (and TRACKER_DATA_PATH), as for any server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tracker.browser import CHROMIUM_ARGS, EXCEPTION, READY, chromium_path, dashboard_server
from tracker.store import locate

ERROR = f'{EXCEPTION}, [data-testid="stAlertContentError"]'


def main() -> None:
    with dashboard_server(locate()) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{url}/?as_of=2010-03-31", timeout=60_000)
        page.wait_for_selector(READY, timeout=60_000)
        metric = page.locator('[data-testid="stMetric"]', has_text="People recruited")
        # "Not running" can be seen before the first run has begun (a loaded machine showed it): wait for
        # the figure itself, or for an error in its place.
        page.locator(ERROR).or_(metric).first.wait_for(timeout=60_000)
        page.wait_for_timeout(200)
        errors = [page.locator(ERROR).nth(i).inner_text() for i in range(page.locator(ERROR).count())]
        print(json.dumps({"recruited": metric.first.inner_text() if metric.count() else None, "errors": errors}))
        browser.close()


if __name__ == "__main__":
    main()
