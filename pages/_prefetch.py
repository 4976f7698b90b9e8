"""The next region ready before it is chosen: a page's figures for the other regions, worked out in the
background of the server while its user reads the page (README, "What makes it hold").

Choosing a region was a new query each time (about a fifth of a second at 70 sites before the page could
redraw). After a page asks (``regions``), one thread of this server fills Streamlit's cache with the same
view in every region, one at a time, starting a few seconds later, when the page is drawn. (Not at a lower
CPU priority: threads inherit it on Linux, and DuckDB's workers or the store's idle watch started from
this thread would keep it for everyone.) Bounded: once per page, view and version of the data; only
where every region fits in ``BUDGET_S`` of work (judged from the regions done so far, so a large
programme stops after its first few); it stops when the data
changes (what it filled would be out of date), when no session is on that view any more (its users
moved on to another date, say), or when the server's database is another one. A query the user asks
for while the thread works on it is worked out once: Streamlit's cache makes the second caller wait.
``TRACKER_PREFETCH=0`` turns it off.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pages import _shared as ui
from pages._quiet import quiet

# After the run that asked: its page is drawn by then, and its user reading it. A first visit's browser
# (on the server's own machine, in the default set-up) was still drawing 1 s after the run ended, and the
# prefetch beside it made the first visit 1.15x as long (benchmarks/bench_first_visit.py).
DELAY_S = 3.0
BUDGET_S = 5.0  # of work per view at most (at 10,000 sites a region's three queries take about 0.4 s)
THREAD = "prefetch {page}"  # the thread's name (tests wait for it)
quiet(THREAD.format(page=""))

_lock = threading.Lock()
_done: OrderedDict[tuple, None] = OrderedDict()  # views prefetched, or being prefetched
_wanted: OrderedDict[tuple, tuple] = OrderedDict()  # (page, session) -> the view that session is on now
log = logging.getLogger(__name__)


def enabled() -> bool:
    from streamlit import runtime

    return runtime.exists() and os.environ.get("TRACKER_PREFETCH", "1") != "0"


def regions(page: str, load: Callable[[dict], object], view: dict) -> None:
    """Fill the cache with ``load(view)`` in every region (and all regions), in the background."""
    if not enabled():
        return
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx else ""
    database = os.environ.get("TRACKER_DB", "")
    version = ui.store().version()
    scope = {name: value for name, value in view.items() if name != "region"}
    key = (page, database, version, tuple(sorted(scope.items())))
    mine = (page, session)
    with _lock:
        ui.remember(_wanted, mine, key)
        if key in _done:
            _done.move_to_end(key)
            return
        ui.remember(_done, key, None)
    everywhere = [None, *ui.settings().regions]

    def still_wanted() -> bool:
        with _lock:
            if key in _wanted.values():  # some session is on this view still
                return True
            _done.pop(key, None)  # its users moved on: a later request of this view starts it again
            return False

    def work() -> None:
        started = time.monotonic()
        for done, region in enumerate(everywhere):
            spent = time.monotonic() - started
            # It stops once the regions so far say the rest would not fit in the budget: at 10,000 sites a
            # dozen of 42 regions filled would cost the server 5 s and seldom hold the one chosen next.
            if not still_wanted() or (done and spent / done * len(everywhere) > BUDGET_S):
                return
            try:
                if os.environ.get("TRACKER_DB", "") != database or ui.store().version() != version:
                    return
                with ui.store().shared_reads():  # one connection for the region's queries, on a lake
                    load({**scope, "region": region})
            except Exception:  # best effort: the user's own run asks again, and says what is wrong
                log.warning("prefetching the %s page for %s stopped", page, region or "all regions", exc_info=True)
                return

    timer = threading.Timer(DELAY_S, work)
    timer.name, timer.daemon = THREAD.format(page=page), True
    timer.start()
