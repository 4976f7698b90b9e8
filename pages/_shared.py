"""What every page shares: the store, cached queries, the filters in the URL, and UK formats.

Not a page: dashboard.py lists the pages explicitly, so this file is never routed to.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import streamlit as st

from tracker import queries
from tracker.config import current as settings
from tracker.errors import TrackerError
from tracker.store import Store, get_meta, open_store

ALL = "All"


@st.cache_resource(show_spinner="Preparing the database…")
def _store(tracker_db: str) -> Store:
    return open_store(tracker_db or None)


def store() -> Store:
    """The store for this server process (the demo database is built on first use if missing)."""
    return _store(os.environ.get("TRACKER_DB", ""))


@st.cache_data(show_spinner=False, max_entries=512)
def _frame(name: str, version: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    # `version` is part of the cache key: a load changes it, so no page shows stale data.
    with store().read() as con:
        return queries.frame(con, name, **dict(params))


def frame(name: str, **params: object) -> pd.DataFrame:
    """Rows of the named query in sql/, cached until the database changes."""
    return _frame(name, store().version(), tuple(sorted(params.items())))


@st.cache_data(show_spinner=False)
def _meta(version: str) -> dict:
    with store().read() as con:
        return {
            "is_demo": get_meta(con, "is_demo") == "true",
            "default_as_of": queries.execute(con, "default_as_of").fetchone()[0],
        }


def meta() -> dict:
    """Facts about the database: whether it is the demo, and the default as-of date."""
    return _meta(store().version())


def stop_with(error: TrackerError) -> None:
    """Show a plain message instead of a traceback, and stop the page."""
    st.error(str(error))
    st.stop()


def demo_banner() -> None:
    """Say so on every page when the data is the synthetic demo programme."""
    if meta()["is_demo"]:
        st.info(
            "**Synthetic demo data.** The sites are real primary care trusts, but every figure is "
            "illustrative, generated to resemble the 2009–2012 personal health budget pilots "
            "(see data/README.md).",
            icon=":material/science:",
        )


def _url_date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        st.toast(f"Ignored as_of={raw!r} in the address: not a date (use 2010-11-30).")
        return None


def sidebar_filters() -> None:
    """Draw the shared filters; their values live in the URL so a link reopens the same view."""
    cfg = settings()
    default = meta()["default_as_of"] or cfg.end
    if "as_of" not in st.session_state:
        st.session_state["as_of"] = _url_date(st.query_params.get("as_of")) or default
        region = st.query_params.get("region")
        st.session_state["region"] = region if region in cfg.regions else ALL
        cohort = st.query_params.get("cohort")
        st.session_state["cohort"] = cohort if cohort in ("in-depth", "wider") else ALL
    with st.sidebar:
        st.date_input(
            "As of",
            key="as_of",
            format="DD/MM/YYYY",
            min_value=cfg.start,
            max_value=max(cfg.end, default),
            help="Everything is shown as it was known on this date: returns sent after it are left out.",
        )
        st.selectbox("Region", [ALL, *cfg.regions], key="region")
        st.selectbox("Cohort", [ALL, "in-depth", "wider"], key="cohort")
    st.query_params["as_of"] = st.session_state["as_of"].isoformat()
    for key in ("region", "cohort"):
        if st.session_state[key] == ALL:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = st.session_state[key]


def filters() -> dict:
    """The as-of date and filters in force, as query parameters (None means all)."""
    return {
        "as_of": st.session_state.get("as_of") or meta()["default_as_of"],
        "region": None if st.session_state.get("region", ALL) == ALL else st.session_state["region"],
        "cohort": None if st.session_state.get("cohort", ALL) == ALL else st.session_state["cohort"],
    }


def uk_date(day: dt.date | pd.Timestamp | None) -> str:
    """``1 Nov 2010``."""
    if day is None or pd.isna(day):
        return "—"
    day = pd.Timestamp(day)
    return f"{day.day} {day:%b %Y}"


def gbp(amount: float | None) -> str:
    """``£12,500``."""
    return "—" if amount is None or pd.isna(amount) else f"£{amount:,.0f}"


MONEY = "£%,.0f"
DATE = "D MMM YYYY"
MONTH = "MMM YYYY"
