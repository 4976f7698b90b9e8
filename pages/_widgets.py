"""Widgets that several pages share: open a site from a list by keyboard, record a follow-up on a flag.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pages import _shared as ui
from tracker.errors import TrackerError
from tracker.notes import MAX_NOTE_CHARS, add_note


def open_a_site(sites: pd.DataFrame, key: str, label: str = "Open a site") -> None:
    """Choose a site by typing its name or code, then follow the link to its detail page.

    The tables are drawn on a canvas whose row selection needs a mouse; this is the way in by keyboard
    (Tab, type, Enter, Tab, Enter) and for screen readers, and it is a real link (it opens in a new tab too).
    """
    names = dict(zip(sites.site_code.tolist(), sites.site_name.tolist(), strict=True))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        code = st.selectbox(
            label,
            list(names),
            index=None,
            format_func=lambda c: f"{names[c]} ({c})",
            placeholder="Type a site's name or code",
            key=key,
            width=420,
        )
        if code is not None:
            st.page_link(
                "pages/site.py",
                label=f"Open {ui.inert(names[code])}'s detail",
                icon=":material/arrow_forward:",
                query_params=ui.site_params(code),
            )


def follow_up_form(flags: pd.DataFrame, as_of: dt.date, key: str, *, name_sites: bool = True) -> None:
    """A form to record a follow-up note (what was chased or agreed) on one of these raised flags."""
    if saved := st.session_state.pop(f"{key}_saved", None):
        st.success(saved, icon=":material/check:")
    with st.form(f"{key}_form", clear_on_submit=True):
        options = [f"{r.site_name} — {r.flag}" if name_sites else r.flag for r in flags.itertuples()]
        choice = st.selectbox("Flag", options, key=f"{key}_flag")
        text = st.text_area(
            "Note",
            key=f"{key}_text",
            max_chars=MAX_NOTE_CHARS,
            placeholder="Chased 12 Nov; first budgets expected December.",
        )
        if st.form_submit_button("Save note", icon=":material/save:"):
            row = flags.iloc[options.index(choice)]
            try:
                add_note(ui.store(), row.site_code, row.flag, row.since.date(), as_of, text, ui.user_name())
            except TrackerError as exc:
                st.error(str(exc))
            else:
                st.session_state[f"{key}_saved"] = f"Note saved on {ui.inert(row.site_name)}'s {row.flag} flag."
                st.rerun()
