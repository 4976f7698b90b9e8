"""Site detail: one site's progress, spend, flags, commentary, return versions and warnings."""

import pandas as pd
import streamlit as st

from pages import _charts as charts
from pages import _shared as ui
from pages import _widgets as widgets
from tracker.notes import notes_beside

ui.ensure_router()

f = ui.filters()
register = ui.frame("site_latest", as_of=f["as_of"], region=None, cohort=None)
# .tolist(): a column of text is held in Arrow, and walking it item by item costs eight times as much
codes = register.site_code.tolist()
labels = dict(zip(codes, (register.site_name + " (" + register.site_code + ")").tolist(), strict=True))

if not codes:
    st.info("The register holds no sites yet: load one with `python -m tracker sites FILE`.")
    st.stop()

# The URL names the site when it changed outside this page (a link, a click on another page);
# otherwise the picker's own state wins.
wanted = st.query_params.get("site")
if wanted in labels and wanted != st.session_state.get("site_url"):
    st.session_state["site_code"] = wanted
elif st.session_state.get("site_code") not in labels:
    st.session_state["site_code"] = codes[0]

st.title("Site detail")
code = st.selectbox("Site", codes, format_func=labels.get, key="site_code", help="Type to search by name or code.")
st.query_params["site"] = st.session_state["site_url"] = code
site = register.set_index("site_code").loc[code]
ui.demo_banner()

# What the page reads for this site further down, in that order, worked out beside the script (ui.ahead)
# while it reads the re-baselined targets and the statuses it needs first.
everywhere = {"as_of": f["as_of"], "region": None, "cohort": None}
parts = {
    "flags": lambda: ui.frame("site_flags", **everywhere),
    "notes": lambda: ui.frame("flag_notes", site_code=code),
    "series": lambda: ui.frame("site_series", as_of=f["as_of"], site_code=code),
    "trajectory": lambda: ui.frame("site_trajectory", as_of=f["as_of"], site_code=code),
    "history": lambda: ui.frame("site_flag_history", as_of=f["as_of"], site_code=code),
    "versions": lambda: ui.frame("return_versions", as_of=f["as_of"], site_code=code),
    "warnings": lambda: ui.frame("data_quality_warnings", **everywhere, site_code=code),
    "register": lambda: ui.register_history(code),
}
editing = ui.identity().can_upload
if editing:  # the register editor starts from today's entry (ui.register_editor)
    parts["today"] = ui.register_today
ui.ahead(("site", code, f["as_of"], editing), *parts.values())
rebaselined = ui.target_notes(f["as_of"])
status = ui.frames_at("site_status", [f["as_of"]], region=None, cohort=None)[0].set_index("site_code").loc[code]
icon = ui.STATUS_ICONS[status.status]
st.markdown(
    f"### {icon} {ui.inert(site.site_name)} — {status.status}\n"
    f"{ui.inert(site.region)} · {site.cohort} cohort · {ui.inert(site.care_groups.replace(';', ', '))} · went live "
    f"{ui.uk_date(site.go_live)} · target {int(site.recruitment_target):,} people by {ui.uk_date(site.target_date)}"
    + (
        f" · direct payments from {ui.uk_date(site.direct_payments_from)}"
        if pd.notna(site.direct_payments_from)
        else ""
    )
    + (f" · **withdrew {ui.uk_date(site.withdrawn_on)}**" if pd.notna(site.withdrawn_on) else "")
    + (f" · re-baselined: {rebaselined[code]}" if code in rebaselined else "")
    # the contact is not in the caption below: a caption's faint text makes a link in it too faint to read
    + f"  \nContact: {ui.inert(site.contact_name or '—')} {ui.inert(site.contact_email or '')}"
)
st.caption(f"As of **{ui.uk_date(f['as_of'])}**.")

cols = st.columns(5)
cols[0].metric("Recruited", f"{int(site.people_recruited):,}")
cols[1].metric(
    "Expected by now",
    "—" if pd.isna(site.expected_by_now) else f"{site.expected_by_now:,.0f}",
    help="On a straight line from go-live to the target on the target date.",
)
cols[2].metric("With a budget", f"{int(site.budgets_total):,}")
cols[3].metric("Care spend to date", ui.gbp(site.spend_care_to_date_gbp))
cols[4].metric("Infrastructure spend to date", ui.gbp(site.spend_infrastructure_to_date_gbp))

raised = parts["flags"]()
raised = raised[raised.site_code == code]
notes = parts["notes"]()
if raised.empty:
    st.success(f"No flags as of {ui.uk_date(f['as_of'])}.", icon=":material/check_circle:")
for row, note in zip(raised.itertuples(), notes_beside(raised, notes), strict=True):
    box = st.error if row.severity == "red" else st.warning
    box(
        f"**{row.flag}** ({ui.SEVERITY_TEXT[row.severity].lower()}, since {ui.uk_date(row.since)}): {row.reason}"
        + (f"  \nFollow-up: {ui.inert(note)}" if note else ""),
        icon=":material/block:" if row.severity == "red" else ":material/warning:",
    )

if not raised.empty and not ui.printing():
    with st.expander("Record a follow-up on a flag", icon=":material/edit_note:"):
        widgets.follow_up_form(raised, f["as_of"], key="site_note", name_sites=False)

series = parts["series"]()
if series.empty:
    st.info("No return from this site is known as of this date.")
else:
    left, right = st.columns(2)
    # month by month with the target in effect then: a re-baselined target bends the line where it took effect
    trajectory = parts["trajectory"]()
    charts.draw(charts.site_recruitment(series, trajectory, site.site_name), left)
    charts.draw(charts.budgets_by_type(series, "period_end"), right)
    charts.draw(charts.spend_by_month(series, "period_end", title="Spend by month", side_by_side=True))

history = parts["history"]()
st.subheader("Flag history")
if history.empty:
    st.write("This site has never been flagged up to this date.")
else:
    st.caption(
        "Each cell is a flag raised at a month-end evaluation (R red, A amber); the last column is the as-of date."
    )
    charts.draw(charts.flag_history(history))

tabs = st.tabs(["Commentary", "Returns and versions", "Data-quality warnings", "Follow-up notes", "Register history"])
with tabs[0]:
    said = (
        series[series.commentary.notna() & (series.commentary.astype(str).str.strip() != "")]
        if not series.empty
        else series
    )
    if said.empty:
        st.write("No commentary in the returns known as of this date.")
    for row in said.sort_values("period_end", ascending=False).itertuples():
        st.markdown(f"**{row.period_end:%B %Y}** (sent {ui.uk_date(row.submitted_on)})")
        st.text(row.commentary)  # plain text: never rendered as markup
with tabs[1]:
    versions = parts["versions"]()
    st.dataframe(
        versions,
        hide_index=True,
        width="stretch",
        height=ui.table_height(len(versions)),
        column_config={
            "period_end": st.column_config.DateColumn("Month", format=ui.MONTH),
            "return_id": None,
            "version": "Version",
            "is_void": st.column_config.CheckboxColumn("Void"),
            "void_reason": "Why void",
            "people_recruited": st.column_config.NumberColumn("Recruited", format="%,d"),
            "budgets_total": st.column_config.NumberColumn("With a budget", format="%,d"),
            "spend_care_gbp": st.column_config.NumberColumn("Care", format=ui.MONEY),
            "spend_infrastructure_gbp": st.column_config.NumberColumn("Infrastructure", format=ui.MONEY),
            "submitted_on": st.column_config.DateColumn("Sent", format=ui.DATE),
            "file_name": "File",
            "loaded_by": "Loaded by",
            "loaded_at": st.column_config.DatetimeColumn("Loaded", format="D MMM YYYY HH:mm"),
            "counts_as_of": st.column_config.CheckboxColumn("Counts", help="The version that counts as of this date."),
            "known_as_of": st.column_config.CheckboxColumn("Known", help="Sent by the as-of date."),
        },
        key="site_versions",
    )
with tabs[2]:
    warnings = parts["warnings"]()
    if warnings.empty:
        st.write("No data-quality warnings on the returns that count.")
    else:
        st.dataframe(
            warnings[["period_end", "check_name", "message"]],
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(warnings)),
            column_config={
                "period_end": st.column_config.DateColumn("Month", format=ui.MONTH),
                "check_name": "Check",
                "message": st.column_config.TextColumn("Warning", width="large"),
            },
            key="site_warnings",
        )
with tabs[3]:
    if notes.empty:
        st.write("No follow-up notes on this site.")
    else:
        st.dataframe(
            notes[["written_at", "flag", "note", "written_by"]],
            hide_index=True,
            width="stretch",
            height=ui.table_height(len(notes)),
            column_config={
                "written_at": st.column_config.DatetimeColumn("Written", format="D MMM YYYY HH:mm"),
                "flag": "Flag",
                "note": st.column_config.TextColumn("Note", width="large"),
                "written_by": "By",
            },
            key="site_notes",
        )
with tabs[4]:
    changes = parts["register"]()
    st.caption(
        "Every version of this site's register entry, newest recorded first. A change takes effect from its "
        "date and never moves an earlier date's view; a correction fixes a mistake on every date."
    )
    st.dataframe(
        changes,
        hide_index=True,
        width="stretch",
        height=ui.table_height(len(changes)),
        column_config={
            "What changed": st.column_config.TextColumn(width="large"),
            "Effective from": st.column_config.TextColumn(),
            "Recorded": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm"),
            "Counts": st.column_config.CheckboxColumn(help="Still in effect for some day (not replaced)."),
        },
        key="site_register_history",
    )
    me = ui.identity()
    if me.can_upload:
        ui.register_editor(code)
