"""What every page shares: the store, cached queries, the filters in the URL, and UK formats.

Not a page: dashboard.py lists the pages explicitly, so this file is never routed to.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import runpy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from pages._quiet import quiet
from tracker import queries
from tracker.config import Config, current, with_programme
from tracker.errors import TrackerError
from tracker.store import Store, read_meta

ALL = "All"
log = logging.getLogger(__name__)

# Altair checks every part of a chart against the Vega-Lite schema as it is made, and the whole
# chart again when it is drawn. The first is for tracebacks while writing a chart; it was a third
# of some pages' run time. The whole-chart check still runs, so a bad chart still fails loudly.
alt.utils.schemapi.disable_debug_mode()
ENTRY = Path(__file__).resolve().parent.parent / "dashboard.py"


def ensure_router() -> None:
    """Make sure the page runs inside dashboard.py's navigation, whatever URL the first visitor opened.

    Streamlit treats an app with a pages/ folder as a v1 multipage app until some session has
    called st.navigation: a fresh server's first visitor to /site would get pages/site.py alone,
    with no sidebar filters and the folder's files listed as pages. Run the entry point instead,
    in this same run (a rerun would drop the click that started it), and stop.
    """
    if not getattr(routing, "active", False):
        runpy.run_path(str(ENTRY), run_name="__main__")
        st.stop()


# Set by dashboard.py while it runs the chosen page (each script run has its own thread).
routing = threading.local()


@st.cache_resource(show_spinner="Preparing the database…")
def _store(tracker_db: str) -> Store:
    from tracker.demo import open_with_demo

    opened = open_with_demo(tracker_db or None)
    opened.keep_openings_ready()  # a server: the first read after each load finds its opening half made
    return opened


def store() -> Store:
    """The store for this server process (the demo database is built on first use if missing)."""
    return _store(os.environ.get("TRACKER_DB", ""))


@contextmanager
def one_connection() -> Iterator[None]:
    """Let every query of this script run share one connection on a lake, opened by the first cache miss
    (``Store.shared_reads``): a page whose data is not cached pays for one connection, not one a query.
    (A file's reads share one opening of it in any case: tracker/store/file.py.)"""
    with store().shared_reads():
        yield


# Parts of a page worked out beside its script (``ahead``): as many threads as the store has helpers.
AHEAD_THREAD = "page ahead"
_ahead_pool: ThreadPoolExecutor | None = None
_ahead_started: set[Future] = set()
_ahead_done: OrderedDict[tuple, None] = OrderedDict()  # the views worked out ahead, by version of the data
_ahead_lock = threading.Lock()
quiet(AHEAD_THREAD)


def ahead(view: tuple, *parts: Callable[[], object]) -> None:
    """Start working out ``parts`` of a page (each a call of a cached loader its script makes further down,
    in the order it makes them) beside the script, into the same caches: when the script gets to one, it
    finds it done, or waits for the thread working it out (Streamlit works a cached value out once), or
    works it out itself if no thread has begun it. Once per ``view`` (the page and what it shows) and
    version of the data: a rerun of the same view finds its parts cached.

    A query at 70 sites is mostly DuckDB's fixed cost of planning and starting it, much of it in one
    thread, so two at once overlap part of it. Only on a store with ``helpers`` (a file, whose reads share
    one opening): on a lake each thread would open a connection of its own, dearer than the queries it
    would overlap. A part that fails here is left to the script, whose own call says what is wrong. Parts
    of a view its user has left still run (a few queries; the view is cached if they come back).
    """
    global _ahead_pool
    helpers = store().helpers
    if not helpers:
        return
    key = (view, store().version())
    with _ahead_lock:
        if key in _ahead_done:
            _ahead_done.move_to_end(key)
            return
        remember(_ahead_done, key, None)
        if _ahead_pool is None:
            _ahead_pool = ThreadPoolExecutor(max_workers=helpers, thread_name_prefix=AHEAD_THREAD)
        pool = _ahead_pool
    for part in parts:
        future = pool.submit(_quietly, part)
        with _ahead_lock:
            _ahead_started.add(future)
        future.add_done_callback(_forget_started)


KEPT = 1024  # views a bounded record remembers (``remember``)


def remember(kept: OrderedDict, key: tuple, value) -> None:
    """Record ``key`` as the most recent in a bounded record of views, the least recent forgotten first."""
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > KEPT:
        kept.popitem(last=False)


def _quietly(part: Callable[[], object]) -> None:
    try:
        part()
    except Exception:  # the script's own call of the part raises it again, on the page
        log.debug("working out part of a page ahead failed", exc_info=True)


def _forget_started(future: Future) -> None:
    with _ahead_lock:
        _ahead_started.discard(future)


def finish_ahead(timeout_s: float = 60.0) -> None:
    """Wait for the parts of pages being worked out ahead (tests: none outlives the test that began it)."""
    with _ahead_lock:
        started = list(_ahead_started)
    wait(started, timeout=timeout_s)


@st.cache_data(show_spinner=False, max_entries=512)
def _frame(name: str, version: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    # `version` is part of the cache key: a load changes it, so no page shows stale data.
    with store().read() as con:
        return queries.frame(con, name, **dict(params))


def frame(name: str, **params: object) -> pd.DataFrame:
    """Rows of the named query in sql/, cached until the database changes."""
    return _frame(name, store().version(), tuple(sorted(params.items())))


def frames_at(name: str, days: list[dt.date], **params: object) -> list[pd.DataFrame]:
    """A query that judges several days in one pass (``$dates``): one frame per day, cached as one."""
    return queries.by_day(frame(name, dates=list(days), **params), days)


@st.cache_data(show_spinner=False, max_entries=64)
def _board(version: str, as_of: dt.date, compare_to: dt.date | None, region: str | None, cohort: str | None):
    from tracker import board

    figures = board.figures(store(), as_of, compare_to, region, cohort)
    board.leave_drawn(figures)  # for the capture's manifest, when it asked (its private server only)
    return figures


def board_figures(as_of: dt.date, compare_to: dt.date | None, region: str | None, cohort: str | None):
    """The board's figures (tracker.board.figures), cached until the database changes."""
    return _board(store().version(), as_of, compare_to, region, cohort)


@st.cache_data(show_spinner=False, max_entries=64)
def _changes(version: str, now: tuple, before: tuple):
    from tracker import flags as flag_rules

    now, before = dict(now), dict(before)
    scope = {"region": now["region"], "cohort": now["cohort"]}
    status_now, status_before = frames_at("site_status", [now["as_of"], before["as_of"]], **scope)
    status = flag_rules.status_changes(status_before, status_now)
    (flags_before,) = frames_at("flags_on", [before["as_of"]], **scope)  # no "since": a cheaper query
    raised, cleared = flag_rules.flag_changes(flags_before, frame("site_flags", **now))
    return status, raised, cleared


def changes(now: dict, before: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sites whose status changed, flags newly raised and flags cleared between two views (cached)."""
    return _changes(store().version(), tuple(sorted(now.items())), tuple(sorted(before.items())))


@st.cache_data(show_spinner=False)
def _meta(version: str) -> dict:
    with store().read() as con:
        stored = read_meta(con) or {}
        return {
            "stored": stored,
            "is_demo": stored.get("is_demo") == "true",
            "is_scaled": stored.get("programme_name") is not None,
            "default_as_of": queries.execute(con, "default_as_of").fetchone()[0],
        }


@st.cache_data(show_spinner=False, max_entries=64)
def _settings(version: str, day: dt.date | None) -> Config:
    # as tracker.store.programme_config, from what every page has read already (no query of its own)
    cfg = with_programme(current(), _meta(version)["stored"])
    return cfg if _rule_history(version).empty else _rules(version, day or dt.date.today()).applied_to(cfg)


def settings(day: dt.date | None = None) -> Config:
    """The settings in force on ``day`` (today by default): tracker.toml's lists and limits, with this
    database's own programme where it has one, and the window, due day and flag rules in effect then."""
    return _settings(store().version(), day)


@st.cache_data(show_spinner=False, max_entries=64)
def _rules(version: str, day: dt.date):
    from tracker import rules

    return rules.in_force_on(_rule_history(version), day)


def rules_in_force(day: dt.date):
    """The version of the rules in effect on a day (tracker.rules.Rules), picked from the rule history:
    one read serves every date."""
    return _rules(store().version(), day)


def meta() -> dict:
    """Facts about the database: whether it is the demo, and the default as-of date."""
    return _meta(store().version())


def default_as_of() -> dt.date:
    """The date a page shows when the address names none: the latest day a return was sent, or the end of
    the programme's window before any was."""
    return meta()["default_as_of"] or settings().end


def stop_with(error: TrackerError) -> None:
    """Show a plain message instead of a traceback, and stop the page."""
    st.error(inert(str(error)))
    st.stop()


def demo_banner() -> None:
    """Say so on every page when the data is the synthetic demo programme (or a scaled synthetic one)."""
    if meta()["is_demo"] and meta()["is_scaled"]:
        st.info(
            "**Synthetic demo data.** A generated programme for trying the tracker at scale "
            "(`python -m tracker demo --sites N`): its sites, regions and figures are all made up.",
            icon=":material/science:",
        )
    elif meta()["is_demo"]:
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


def url_filters() -> dict:
    """The as-of date and filters the address asks for (defaults where it says nothing usable)."""
    cfg = settings()
    region = st.query_params.get("region")
    cohort = st.query_params.get("cohort")
    return {
        "as_of": _url_date(st.query_params.get("as_of")) or default_as_of(),
        "region": region if region in cfg.regions else None,
        "cohort": cohort if cohort in ("in-depth", "wider") else None,
    }


def sidebar_filters() -> None:
    """Draw the shared filters; their values live in the URL so a link reopens the same view."""
    cfg = settings()
    default = default_as_of()
    if "as_of" not in st.session_state:
        wanted = url_filters()
        st.session_state["as_of"] = wanted["as_of"]
        st.session_state["region"] = wanted["region"] or ALL
        st.session_state["cohort"] = wanted["cohort"] or ALL
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
        if auth_configured():
            me = identity()
            st.caption(f"Signed in as {inert(me.label)} ({me.role}).")
        else:
            st.caption('Served to this machine only, without sign-in (see README, "A shared server").')
    st.query_params["as_of"] = st.session_state["as_of"].isoformat()
    for key in ("region", "cohort"):
        if st.session_state[key] == ALL:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = st.session_state[key]


def filters() -> dict:
    """The as-of date and filters in force, as query parameters (None means all)."""
    return {
        "as_of": st.session_state.get("as_of") or default_as_of(),
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


def gbp_figure(amount: float | None) -> str:
    """Money for a headline figure: ``£12,500`` up to £100m, then ``£504m`` or ``£5.04bn`` (it must fit)."""
    if amount is None or pd.isna(amount) or abs(amount) < 100_000_000:
        return gbp(amount)
    return f"£{amount / 1e9:,.2f}bn" if abs(amount) >= 1e9 else f"£{amount / 1e6:,.0f}m"


def count_of(label: str, part: int, whole: int) -> tuple[str, str]:
    """A metric's label and value for "part of whole": ``59 of 64``, or ``(of 10,000)`` in the label if too long."""
    both = f"{part:,} of {whole:,}"
    return (label, both) if len(both) <= 10 else (f"{label} (of {whole:,})", f"{part:,}")


MONEY = "£%,.0f"
DATE = "D MMM YYYY"
MONTH = "MMM YYYY"


# Okabe-Ito colours (safe for the common colour-vision deficiencies); status is always
# written beside its colour too, never told by colour alone.
STATUS_COLOURS = {
    "Stalled": "#D55E00",
    "At risk": "#E69F00",
    "On track": "#0072B2",
    "Not live": "#999999",
    "Withdrawn": "#CCCCCC",
}
STATUS_ICONS = {
    "Stalled": ":material/block:",
    "At risk": ":material/warning:",
    "On track": ":material/check_circle:",
    "Not live": ":material/schedule:",
    "Withdrawn": ":material/do_not_disturb_on:",
}
SEVERITY_TEXT = {"red": "Red", "amber": "Amber"}


def status_scale():
    """The Altair colour scale for status, in the order Stalled → Withdrawn."""
    import altair as alt

    return alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))


def previous_month(as_of: dt.date) -> dt.date:
    """The same day a month before: what "change since the previous month" compares with."""
    from tracker.values import previous_month as prev

    return prev(as_of)


def rule_history() -> pd.DataFrame:
    """Every version of the flag rules, newest recorded first (the "How flags are decided" section)."""
    return _rule_history(store().version())


def _rule_history(version: str) -> pd.DataFrame:
    """The rule history of one version of the data (the settings and rules of a day read it for theirs)."""
    return _frame("rule_history", version, ())


def flag_rules(as_of: dt.date) -> None:
    """The "How flags are decided" section, with the rules in effect on the date in view."""
    from tracker.flags import rules_text
    from tracker.values import uk_date

    rules = rules_in_force(as_of)
    values = rules.values
    with st.expander("How flags are decided", icon=":material/rule:"):
        st.markdown(
            f"Everything is judged **as of a date**: a return counts once its month has ended and it has been "
            f"sent. A month's return is due on day {values['return_due_day']} of the next month, from the go-live "
            f"month on. A site is **Stalled** with any red flag, **At risk** with any amber one, otherwise "
            f"**On track**; **Not live** before go-live; **Withdrawn** from its withdrawal date (no flags). "
            f"*Since* is the first month end from which the flag has been raised at every month end since."
        )
        rows = [
            {"Flag": flag, "Severity": severity, "Raised when": text}
            for flag, (severity, text) in rules_text(rules.values).items()
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        recorded = (
            f"recorded {rules.recorded_at:%-d %b %Y %H:%M} by {rules.recorded_by}"
            if rules.recorded_at is not None
            else "seeded from tracker.toml when the database was made"
        )
        st.caption(
            f"The rules in effect on {uk_date(as_of)}: {rules.label}; {recorded}"
            + (f" ({rules.reason})" if rules.reason and rules.recorded_at is not None else "")
            + ". Each date is judged by the rules in effect on it: a change never moves an earlier date's flags."
        )
        versions = rule_history()
        if len(versions) > 1:
            st.markdown("**Every version of the rules**, newest recorded first")
            st.dataframe(
                pd.DataFrame(
                    {
                        "Version": versions.version_id,
                        "Effective from": ["the start" if pd.isna(d) else uk_date(d) for d in versions.effective_from],
                        "What changed": [_changed_text(c, "the first rules") for c in versions.changes],
                        "Why": versions.reason.fillna(""),
                        "Recorded": versions.recorded_at,
                        "By": versions.recorded_by.fillna("tracker.toml"),
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config={"Recorded": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")},
                key="rule_versions",
            )
        if identity().can_upload and not printing():
            rules_editor()


def rules_editor() -> None:
    """An editor's form to change one rule from a date, with a reason (recorded as a new version)."""
    from tracker.access import change_rules
    from tracker.config import RULE_THRESHOLDS, RULE_WINDOW
    from tracker.rules import parse_value

    done = st.session_state.pop("rules_edit_done", None)
    if done:
        (st.success if done[0] else st.error)(done[1])
    with st.form("rules_edit"):
        st.markdown("**Change a rule** (editors): recorded as a new version that takes effect from its date.")
        left, middle, right = st.columns(3)
        name = left.selectbox("Rule", (*RULE_THRESHOLDS, *RULE_WINDOW), key="rules_edit_name")
        value = middle.text_input("New value", help="A number (a share as 0.25), or a date as YYYY-MM-DD.")
        effective = right.date_input("Takes effect from", value=dt.date.today(), format="DD/MM/YYYY", **EDIT_RANGE)
        reason = st.text_input("Why (recorded with the change)", max_chars=500, key="rules_edit_reason")
        if st.form_submit_button("Record the change", type="primary"):
            try:
                new = {name: parse_value(name, value.strip())}
            except TrackerError as exc:
                st.session_state["rules_edit_done"] = (False, f"Not recorded: {exc}")
            else:
                result = change_rules(store(), identity(), new, reason=reason, effective_from=effective)
                if result.outcome == "accepted":
                    st.session_state["rules_edit_done"] = (True, "Recorded: " + "; ".join(result.notices))
                elif result.ok:
                    st.session_state["rules_edit_done"] = (True, "Nothing changed: " + "; ".join(result.notices))
                else:
                    st.session_state["rules_edit_done"] = (
                        False,
                        "Not recorded: " + "; ".join(inert(p.message) for p in result.problems),
                    )
            st.rerun()


def download(
    table: pd.DataFrame | Callable[[], pd.DataFrame],
    file_name: str,
    label: str = "Download CSV",
    key: str | None = None,
) -> None:
    """A CSV download of a table (or of what a function returns), safe to open in a spreadsheet.

    The file is made when the button is pressed, not on every run: at 10,000 sites a table's
    CSV runs to megabytes, and a page should not build (or send) it for nobody.
    """
    from tracker.exports import csv_bytes

    def data() -> bytes:
        return csv_bytes(table() if callable(table) else table)

    download_file(label, data, file_name, "text/csv", key=key)


def download_file(label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str | None = None, where=st):
    """A download whose file ``make()`` makes when the button is pressed (not on every run), which reruns
    nothing."""
    where.download_button(
        label, make, file_name=file_name, mime=mime, icon=":material/download:", key=key, on_click="ignore"
    )


PAGE_ROWS = 200  # rows of a long table sent to the browser at a time (the pilot's tables fit on one)


def find(df: pd.DataFrame, key: str, columns: tuple[str, ...] = ("site_name", "site_code")) -> pd.DataFrame:
    """A search box over a long table's site names and codes; gives the rows that match."""
    text = st.text_input(
        "Find a site", key=key, placeholder="Part of a name or code", icon=":material/search:", width=320
    )
    if not text.strip():
        return df
    wanted = text.strip().casefold()
    hit = pd.Series(False, index=df.index)
    for col in columns:
        hit |= df[col].astype(str).str.casefold().str.contains(wanted, regex=False)
    return df[hit]


def paginate(df: pd.DataFrame, key: str, rows: int = PAGE_ROWS, noun: str = "rows") -> pd.DataFrame:
    """One page of a long table, with a pager; the whole table when it fits on one page.

    A printed page (the board pack's capture) shows the first page and says how many there are.
    """
    if len(df) <= rows:
        return df
    pages = -(-len(df) // rows)
    if printing():
        page = 1
    else:
        page = st.number_input(f"Page, of {pages:,}", min_value=1, max_value=pages, value=1, step=1, key=key, width=160)
    start = (int(page) - 1) * rows
    st.caption(f"{noun.capitalize()} {start + 1:,}–{min(start + rows, len(df)):,} of {len(df):,}.")
    return df.iloc[start : start + rows]


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml sets up sign-in ([auth]), for a shared deployment."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def private_capture() -> bool:
    """The capture's own server: on loopback only, it needs no sign-in (see tracker.snapshot)."""
    loopback = str(st.get_option("server.address") or "") in ("127.0.0.1", "localhost", "::1")
    return os.environ.get("TRACKER_PRIVATE_CAPTURE") == "1" and loopback


def needs_sign_in() -> bool:
    """True when this visitor must sign in before seeing anything."""
    return auth_configured() and not private_capture() and not st.user.is_logged_in


def identity():
    """Who is using the dashboard; stops the page with a plain message if they are not allowed in."""
    from tracker.access import LOCAL, Identity, role_for
    from tracker.ingest import current_user

    if not auth_configured() or private_capture():
        return Identity(f"dashboard ({current_user()})", None, LOCAL)
    email = st.user.get("email")
    role = role_for(email, st.secrets.get("access", {}))
    if role is None:
        st.error(
            f"{inert(email or 'This account')} is not on the tracker's list of users. "
            "Ask the programme office to add you.",
            icon=":material/lock:",
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return Identity(st.user.get("name") or email, email, role)


def sign_in_page() -> None:
    """All an anonymous visitor sees when sign-in is configured."""
    st.title("Pilot-site tracker")
    st.write("Sign in with your organisation's account to see the programme's sites and returns.")
    if st.button("Sign in", icon=":material/login:", type="primary"):
        st.login()
    st.stop()


def user_name() -> str:
    """Who is using the dashboard, for the load log and notes."""
    return identity().label


def site_params(site_code: str) -> dict[str, str]:
    """The address of a site's detail page, keeping the as-of date and filters."""
    f = filters()
    params = {"site": site_code, "as_of": f["as_of"].isoformat()}
    params.update({k: v for k, v in (("region", f["region"]), ("cohort", f["cohort"])) if v})
    return params


def go_to_site(site_code: str) -> None:
    """Open a site's detail page, keeping the as-of date and filters."""
    st.switch_page("pages/site.py", query_params=site_params(site_code))


_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~>$"})


def inert(text: object) -> str:
    """Text from a return or the register, made safe to place inside HTML or Markdown: shown, never run."""
    return html.escape(str(text)).translate(_MARKDOWN_SPECIALS)


def printing() -> bool:
    """True when the page is captured for the board pack (``?print=1``): tables show every row."""
    return st.query_params.get("print") == "1"


def table_height(rows: int, max_rows: int = 15, row_px: int = 35):
    """A table's height: every row when printing, else at most ``max_rows`` before it scrolls."""
    if printing():
        return "content"
    return 38 + row_px * max(1, min(rows, max_rows))


def target_notes(as_of: dt.date) -> dict[str, str]:
    """Sites whose target in effect on a date was re-baselined: ``{code: "target 60 → 80 from 1 Mar 2011"}``."""
    from tracker.board import target_notes as notes

    return notes(frame("target_rebaselines", as_of=as_of))


def _changed_text(changes: object, first: str = "first entry") -> str:
    import json

    if not isinstance(changes, str) or not changes:
        return first
    return "; ".join(f"{name.replace('_', ' ')} {old} → {new}" for name, (old, new) in json.loads(changes).items())


def register_history(site_code: str) -> pd.DataFrame:
    """A site's register history, in words, for the site page."""
    rows = frame("register_changes", site_code=site_code)
    return pd.DataFrame(
        {
            "Recorded": rows.recorded_at,
            "By": rows.recorded_by,
            "Effective from": ["the start" if pd.isna(d) else uk_date(d) for d in rows.effective_from],
            "What changed": [
                ("Correction: " if c else "") + _changed_text(x)
                for c, x in zip(rows.is_correction, rows.changes, strict=True)
            ],
            "Why": rows.reason.fillna(""),
            "Counts": rows.counts,
        }
    )


# Dates an editor may give (Streamlit's default is ten years either side of the value shown, which
# would keep a change to a 2010 programme from being dated in 2010).
EDIT_RANGE = {"min_value": dt.date(1990, 1, 1), "max_value": dt.date(2100, 12, 31)}


def register_today() -> pd.DataFrame:
    """Every site's register entry in effect today: what the register editor starts from."""
    return frame("register_sites", as_of=dt.date.today())


def register_editor(site_code: str) -> None:
    """An editor's form to change a site's target, dates and contact, with a reason and an effective date.

    It starts from the entry in effect today and sends only the fields the editor changed, so an
    entry planned or corrected meanwhile keeps everything else.
    """
    from tracker.access import edit_site

    today = register_today().set_index("site_code")
    if site_code not in today.index:
        st.caption("This site's entry is not in effect today, so it cannot be changed here: use a register file.")
        return
    site = today.loc[site_code]

    done = st.session_state.pop("register_edit_done", None)
    if done:
        (st.success if done[0] else st.error)(done[1])
    with (
        st.expander("Change this site's register entry (editors)", icon=":material/edit:"),
        st.form(f"register_edit_{site_code}", clear_on_submit=False),
    ):
        left, right = st.columns(2)
        target = left.number_input(
            "Recruitment target (people)", min_value=1, value=int(site.recruitment_target), step=1
        )
        target_date = right.date_input("Target date", value=_day(site.target_date), format="DD/MM/YYYY", **EDIT_RANGE)
        go_live = left.date_input("Go-live", value=_day(site.go_live), format="DD/MM/YYYY", **EDIT_RANGE)
        withdrawn = right.date_input(
            "Withdrawal date (empty: takes part)", value=_day(site.withdrawn_on), format="DD/MM/YYYY", **EDIT_RANGE
        )
        contact_name = left.text_input(
            "Contact name", value=site.contact_name if isinstance(site.contact_name, str) else ""
        )
        contact_email = right.text_input(
            "Contact e-mail", value=site.contact_email if isinstance(site.contact_email, str) else ""
        )
        effective = left.date_input(
            "Takes effect from",
            value=dt.date.today(),
            format="DD/MM/YYYY",
            help="Views of earlier dates stay as they were. Ignored for a correction.",
            **EDIT_RANGE,
        )
        correction = right.checkbox(
            "This corrects a mistake (applies to every date)",
            help="Use for a value that was always wrong, not for a change of plan.",
        )
        reason = st.text_input("Why (recorded with the change)", max_chars=500)
        if st.form_submit_button("Record the change", type="primary"):
            given = {
                "recruitment_target": int(target),
                "target_date": target_date,
                "go_live": go_live,
                "withdrawn_on": withdrawn,
                "contact_name": contact_name.strip() or None,
                "contact_email": contact_email.strip() or None,
            }
            was = {name: _day(site[name]) for name in ("target_date", "go_live", "withdrawn_on")}
            was |= {"recruitment_target": int(site.recruitment_target)}
            was |= {
                n: (site[n].strip() or None if isinstance(site[n], str) else None)
                for n in ("contact_name", "contact_email")
            }
            new = {name: value for name, value in given.items() if value != was[name]}
            result = edit_site(
                store(), identity(), site_code, new, reason=reason, effective_from=effective, correction=correction
            )
            if result.outcome == "accepted":
                st.session_state["register_edit_done"] = (True, "Recorded: " + "; ".join(result.notices))
            elif result.ok:
                st.session_state["register_edit_done"] = (True, "Nothing changed: the entry already says so.")
            else:
                st.session_state["register_edit_done"] = (
                    False,
                    "Not recorded: " + "; ".join(inert(str(p)) for p in result.problems),
                )
            st.rerun()


def _day(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()
