"""Threads that work out a page's data outside a page run (the server's start-up, a page's parts worked out
ahead, the prefetch of other regions), and the warning Streamlit logs for each of their cached calls.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import logging


class _NoPageToShowOn(logging.Filter):
    """Streamlit warns when a cached function's spinner ("Preparing the database…") has no page run to show
    on, which is the point of a thread that works out a page's data beside it or before it; the warning is
    dropped for the threads whose names start with ``prefix`` alone."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.threadName.startswith(self.prefix)


def quiet(prefix: str) -> None:
    """Drop Streamlit's "missing ScriptRunContext" warning for the threads whose names start with ``prefix``."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoPageToShowOn(prefix))
