"""The server gets ready for its first visitor as soon as it starts (README, "What makes it hold").

A new server's first visitor waited, once their browser had loaded Streamlit's own scripts (about 1.5 s on
2 cores), for the app's first script run to import pandas and Altair (about 1.5 s), open the database
(building the demo one on a first start, about 1 s) and work out the page. `streamlit run dashboard.py`
serves dashboard.py's ``st.App``, whose start-up calls ``get_ready``: one background thread does that
meanwhile, for the Overview on the default date (what a visitor opening the address sees), filling the
caches the page reads. The first run finds them filled, or waits for the part under way (Streamlit's
caches work a value out once). A board-pack capture's private server only imports: its first page is
another, and Chromium is starting beside it.

Best effort: anything that fails here is logged and left to the page's own run, which says what is wrong.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from pages._quiet import quiet

THREAD = "getting ready"  # the thread's name (its log filter keys on it)
log = logging.getLogger(__name__)


quiet(THREAD)


@contextlib.asynccontextmanager
async def get_ready(_app: object) -> AsyncIterator[None]:
    """The app's lifespan: start getting ready, without holding up the server's start.

    Not a daemon thread: stopped mid-query, a DuckDB connection could take the interpreter down with it;
    the work is bounded (seconds), and a server asked to stop waits for it."""
    threading.Thread(target=work, name=THREAD).start()
    yield


def work() -> None:
    """Import what the pages need, open the store and work out the Overview on the default date."""
    try:
        from tracker.demo import build_default_soon

        build_default_soon()  # a first start: the demo database builds in its own thread while the modules import
        from pages import _charts, _prefetch, _widgets  # noqa: F401 - imported now, not in the first run
        from pages import _shared as ui
        from pages import _views as views

        if ui.private_capture():
            return
        with ui.store().shared_reads():  # one connection for all of it, on a lake
            views.overview({"as_of": ui.default_as_of(), "region": None, "cohort": None})  # as ui.filters()
    except Exception:  # best effort: the page's own run asks again and says what is wrong
        log.warning("getting the server ready for its first visitor stopped", exc_info=True)
