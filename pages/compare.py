"""Compare sites: every site side by side, with trajectory, cost per budget, regions and aligned curves."""

import altair as alt
import streamlit as st

from pages import _charts as charts
from pages import _shared as ui
from pages import _widgets as widgets

ui.ensure_router()

CHART_SITES = 150  # above this many sites, charts show the spread (and the furthest behind), not every site
BEHIND_BARS = 50

f = ui.filters()
st.title("Compare sites")
st.caption(
    f'As of **{ui.uk_date(f["as_of"])}**. To open a site\'s detail, choose it in "Open a site" above the '
    "table, or click it in the table or a chart."
)
ui.demo_banner()


def load_regions():
    return ui.frame("region_rollup", as_of=f["as_of"], cohort=f["cohort"])


ui.ahead(("compare", *f.items()), lambda: ui.target_notes(f["as_of"]), load_regions)  # in the order read below
sites = ui.frame("site_comparison", **f)

with st.container(horizontal=True):
    groups = st.multiselect("Care group", ui.settings().care_groups, key="compare_care_groups", placeholder="Any")
    dp = st.selectbox("Direct payments", ["Any", "Authorised", "Not authorised"], key="compare_dp")
    statuses = st.multiselect("Status", list(ui.STATUS_COLOURS), key="compare_status", placeholder="Any")

shown = sites
if groups:
    shown = shown[shown.care_groups.map(lambda text: any(g in text.split(";") for g in groups))]
if dp != "Any":
    shown = shown[shown.direct_payments_authorised == (dp == "Authorised")]
if statuses:
    shown = shown[shown.status.isin(statuses)]
rebaselined = ui.target_notes(f["as_of"])
shown = shown.assign(
    target_note=shown.site_code.map(lambda code: rebaselined.get(code, "")),
    trajectory_pct=shown.share_of_trajectory * 100,
    funding_pct=shown.spend_to_funding_ratio * 100,
    status_order=shown.status.map({s: i for i, s in enumerate(ui.STATUS_COLOURS)}),
).sort_values(["status_order", "share_of_trajectory", "site_name"])

st.write(f"**{len(shown):,}** of {len(sites):,} sites.")
if shown.empty:
    st.info("No site matches these filters.")
    st.stop()
many = len(shown) > CHART_SITES

TABLE_COLUMNS = {
    "site_name": st.column_config.TextColumn("Site", width="medium", pinned=True),
    "status": st.column_config.TextColumn("Status", help="Stalled: a red flag. At risk: an amber flag."),
    "flag_names": st.column_config.TextColumn("Flags"),
    "region": "Region",
    "people_recruited": st.column_config.NumberColumn("Recruited", format="%,d"),
    "recruitment_target": st.column_config.NumberColumn("Target", format="%,d"),
    "target_note": st.column_config.TextColumn(
        "Re-baselined", help="The target in effect was changed: from what, and from when."
    ),
    "trajectory_pct": st.column_config.NumberColumn(
        "% of trajectory", format="%.0f%%", help="Recruited as a share of the straight line from go-live to target."
    ),
    "budgets_notional": st.column_config.NumberColumn("Notional", format="%,d"),
    "budgets_third_party": st.column_config.NumberColumn("Third party", format="%,d"),
    "budgets_direct_payment": st.column_config.NumberColumn("Direct payment", format="%,d"),
    "spend_care_to_date_gbp": st.column_config.NumberColumn("Care spend", format=ui.MONEY),
    "spend_infrastructure_to_date_gbp": st.column_config.NumberColumn("Infrastructure spend", format=ui.MONEY),
    "infrastructure_per_budget_gbp": st.column_config.NumberColumn(
        "Infrastructure per budget", format=ui.MONEY, help="Infrastructure spend to date per person with a budget."
    ),
    "funding_pct": st.column_config.NumberColumn(
        "Spend / DH funding", format="%.0f%%", help="Care and infrastructure spend to date against DH funding."
    ),
    "latest_period_end": st.column_config.DateColumn("Last return", format=ui.MONTH),
}
with st.container(horizontal=True, vertical_alignment="bottom"):
    table_rows = ui.paginate(ui.find(shown, key="compare_find"), key="compare_page", noun="sites")
    if not ui.printing():
        widgets.open_a_site(table_rows, key="compare_open")
event = st.dataframe(
    table_rows[list(TABLE_COLUMNS)],
    column_config=TABLE_COLUMNS,
    hide_index=True,
    width="stretch",
    height=ui.table_height(len(table_rows)),
    on_select="rerun",
    selection_mode="single-row",
    key="compare_table",
)
if not ui.printing():
    ui.download(shown[list(TABLE_COLUMNS)], f"sites_{f['as_of']}.csv", key="compare_download")
if event and event["selection"]["rows"]:
    ui.go_to_site(table_rows.iloc[event["selection"]["rows"][0]].site_code)

pick = alt.selection_point(fields=["site_code"], name="pick")


def clicked(chart_event) -> None:
    points = (chart_event or {}).get("selection", {}).get("pick") or []
    if points:
        ui.go_to_site(points[0]["site_code"])


live = shown[shown.expected_by_now.notna()]
thresholds = ui.rules_in_force(f["as_of"]).thresholds
amber_pct, red_pct = (round(100 * thresholds[k]) for k in ("behind_target_amber_below", "behind_target_red_below"))
st.subheader("Progress against trajectory")
st.caption(
    f"Recruited as a share of the straight-line trajectory to each site's target. {amber_pct}% and {red_pct}% "
    "mark amber and red (the rules in effect on the date)."
    + (f" The {BEHIND_BARS} furthest behind of {len(live):,} live sites; the table lists them all." if many else "")
)
clicked(
    charts.draw(
        charts.trajectory_bars(live, red_pct, amber_pct, pick=pick, limit=BEHIND_BARS if many else None),
        key="compare_trajectory",
        on_select="rerun",
    )
)

left, right = st.columns(2)
with left:
    st.subheader("Infrastructure spend and people with a budget")
    if many:
        st.caption(f"{len(shown):,} sites: the darker a cell, the more sites in it.")
        charts.draw(charts.infrastructure_heat_map(shown), key="compare_scatter_binned")
    else:
        st.caption("Each dot a site; the further up and left, the more each budget has cost in set-up.")
        clicked(charts.draw(charts.infrastructure_scatter(shown, pick=pick), key="compare_scatter", on_select="rerun"))
with right:
    st.subheader("Regions")
    regions = load_regions()
    st.caption("Sites in each region by status (withdrawn sites left out).")
    charts.draw(charts.regions(regions))

st.dataframe(
    regions.drop(columns=["stalled", "at_risk", "on_track", "not_live"]),
    hide_index=True,
    height=ui.table_height(len(regions)),
    width="stretch",
    column_config={
        "region": "Region",
        "sites": "Sites",
        "people_recruited": st.column_config.NumberColumn("Recruited", format="%,d"),
        "recruitment_target": st.column_config.NumberColumn("Target (live sites)", format="%,d"),
        "budgets_total": st.column_config.NumberColumn("With a budget", format="%,d"),
        "spend_care_to_date_gbp": st.column_config.NumberColumn("Care spend", format=ui.MONEY),
        "spend_infrastructure_to_date_gbp": st.column_config.NumberColumn("Infrastructure spend", format=ui.MONEY),
        "infrastructure_per_budget_gbp": st.column_config.NumberColumn("Infrastructure per budget", format=ui.MONEY),
    },
    key="compare_regions",
)

st.subheader("Recruitment curves, aligned by months since go-live")
st.caption(
    "Month 0 is each site's go-live month: sites started at different times, so calendar time hides who is slow."
)
codes = None if len(shown) == len(sites) else shown.site_code.tolist()
if many:
    bands = ui.frame("recruitment_curve_bands", **f, site_codes=codes)
    st.caption(
        f"{len(shown):,} sites: the line is the median site's share of its target, the bands the middle half "
        "and the middle 80% of sites; the grey bars how many sites had reached each month."
    )
    charts.draw(charts.curve_bands(bands), key="compare_curve_bands")
else:
    curves = ui.frame("recruitment_curves", **f, site_codes=codes)
    clicked(charts.draw(charts.recruitment_curves(curves, pick=pick), key="compare_curves", on_select="rerun"))
