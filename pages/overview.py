"""Overview: the programme as of a date, and every site's latest position."""

import streamlit as st

from pages import _shared as ui
from tracker.config import current as settings

f = ui.filters()
st.title(settings().programme_name)
st.caption(f"As of {ui.uk_date(f['as_of'])}: returns known on that date.")
ui.demo_banner()

sites = ui.frame("site_latest", **f)
live = sites[sites["phase"] == "Live"]

cols = st.columns(5)
cols[0].metric("Sites live", f"{len(live)} of {len(sites)}")
cols[1].metric(
    "People recruited",
    f"{int(live['people_recruited'].sum()):,}",
    help=f"Against a target of {int(live['recruitment_target'].sum()):,} across the live sites.",
)
cols[2].metric("People with a budget", f"{int(live['budgets_total'].sum()):,}")
cols[3].metric("Care spend to date", ui.gbp(live["spend_care_to_date_gbp"].sum()))
cols[4].metric("Infrastructure spend to date", ui.gbp(live["spend_infrastructure_to_date_gbp"].sum()))

st.subheader("Every site's latest position")
st.dataframe(
    sites[
        [
            "site_name",
            "region",
            "cohort",
            "phase",
            "latest_period_end",
            "people_recruited",
            "recruitment_target",
            "budgets_total",
            "spend_care_to_date_gbp",
            "spend_infrastructure_to_date_gbp",
            "last_submitted_on",
        ]
    ],
    hide_index=True,
    width="stretch",
    height=38 + 35 * min(len(sites), 20),
    column_config={
        "site_name": st.column_config.TextColumn("Site", width="medium"),
        "region": "Region",
        "cohort": "Cohort",
        "phase": "Phase",
        "latest_period_end": st.column_config.DateColumn("Latest return", format=ui.MONTH),
        "people_recruited": st.column_config.NumberColumn("Recruited", format="%,d"),
        "recruitment_target": st.column_config.NumberColumn("Target", format="%,d"),
        "budgets_total": st.column_config.NumberColumn("With a budget", format="%,d"),
        "spend_care_to_date_gbp": st.column_config.NumberColumn("Care spend", format=ui.MONEY),
        "spend_infrastructure_to_date_gbp": st.column_config.NumberColumn("Infrastructure spend", format=ui.MONEY),
        "last_submitted_on": st.column_config.DateColumn("Last sent", format=ui.DATE),
    },
)
