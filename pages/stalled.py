"""Stalled sites: every flag raised, worst first, with reasons, since when, changes and follow-up notes."""

import pandas as pd
import streamlit as st

from pages import _shared as ui
from pages import _widgets as widgets
from tracker.notes import notes_beside

ui.ensure_router()

f = ui.filters()
before = {**f, "as_of": ui.previous_month(f["as_of"])}
st.title("Stalled sites")
st.caption(f"As of **{ui.uk_date(f['as_of'])}**; changes since {ui.uk_date(before['as_of'])}.")
ui.demo_banner()


def load_notes() -> pd.DataFrame:
    return ui.frame("flag_notes", site_code=None)


def load_changes() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The changes since the month before: the statuses on both days (the counts below read today's) and the
    flags a month before."""
    return ui.changes(f, before)


ui.ahead(("stalled", *f.items()), load_notes, load_changes)  # in the order read below
raised = ui.frame("site_flags", **f)
notes = load_notes()
status_now = ui.frames_at("site_status", [f["as_of"], before["as_of"]], region=f["region"], cohort=f["cohort"])[0]

counts = status_now.status.value_counts()
cols = st.columns(3)
for col, label in zip(cols, ["Stalled", "At risk", "On track"], strict=True):
    col.metric(f"{ui.STATUS_ICONS[label]} {label}", f"{int(counts.get(label, 0))} sites", border=True)

st.subheader("Flags raised")
if raised.empty:
    st.success("No site is flagged as of this date.", icon=":material/check_circle:")
else:
    st.write(f"**{len(raised):,}** flags on **{raised.site_code.nunique():,}** sites.")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        page = ui.paginate(ui.find(raised, key="stalled_find"), key="stalled_page", noun="flags")
        if not ui.printing():
            widgets.open_a_site(page.drop_duplicates("site_code"), key="stalled_open", label="Open a flagged site")
    table = page.assign(
        severity=page.severity.map(ui.SEVERITY_TEXT),
        follow_up=notes_beside(page, notes),
    )
    st.dataframe(
        table[["site_name", "flag", "severity", "since", "reason", "follow_up", "region"]],
        hide_index=True,
        width="stretch",
        height=ui.table_height(len(table), 18),
        column_config={
            "site_name": st.column_config.TextColumn("Site", pinned=True),
            "flag": "Flag",
            "severity": st.column_config.TextColumn("Severity", help="Red makes a site Stalled; amber At risk."),
            "since": st.column_config.DateColumn("Since", format=ui.DATE),
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "follow_up": st.column_config.TextColumn("Latest follow-up", width="medium"),
            "region": "Region",
        },
        key="stalled_flags",
    )
    if not ui.printing():
        ui.download(
            lambda: raised.assign(
                severity=raised.severity.map(ui.SEVERITY_TEXT), follow_up=notes_beside(raised, notes)
            ).drop(columns=["cohort"]),
            f"flags_{f['as_of']}.csv",
            key="stalled_download",
        )

st.subheader(f"What changed since {ui.uk_date(before['as_of'])}")
changes, new_flags, cleared = load_changes()
left, right = st.columns(2)
with left:
    st.markdown("**Sites whose status changed**")
    if changes.empty:
        st.write("No site changed status.")
    else:
        changes = ui.paginate(changes, key="stalled_changes_page", noun="sites")
        st.dataframe(
            changes[["site_name", "change", "status_before", "status"]],
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(changes), 10),
            column_config={"site_name": "Site", "change": "Change", "status_before": "Was", "status": "Now"},
            key="stalled_changes",
        )
with right:
    st.markdown("**Flags newly raised, and flags cleared**")
    both = pd.concat([new_flags.assign(change="Raised"), cleared.assign(change="Cleared")], ignore_index=True)
    if both.empty:
        st.write("No flag was raised or cleared.")
    else:
        both = ui.paginate(both, key="stalled_flag_changes_page", noun="flags")
        st.dataframe(
            both[["site_name", "change", "flag", "reason"]],
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(both), 10),
            column_config={
                "site_name": "Site",
                "change": "",
                "flag": "Flag",
                "reason": st.column_config.TextColumn("Reason (when last raised)", width="large"),
            },
            key="stalled_flag_changes",
        )

if not raised.empty and not ui.printing():
    st.subheader("Record a follow-up")
    # the flags in the table above (its page, after any search): a short list at any scale
    widgets.follow_up_form(page, f["as_of"], key="stalled_note")

ui.flag_rules(f["as_of"])
