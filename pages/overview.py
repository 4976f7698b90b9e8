"""Overview: the programme as of a date, and what changed since the month before."""

import pandas as pd
import streamlit as st

from pages import _charts as charts
from pages import _prefetch as prefetch
from pages import _shared as ui
from pages import _views as views

ui.ensure_router()


f = ui.filters()
before = {**f, "as_of": ui.previous_month(f["as_of"])}
ui.ahead(("overview", *f.items()), lambda: views.overview_returns(f), lambda: views.overview_trend(f))
headlines = views.overview_headline(f)
now, then = headlines.iloc[0], headlines.iloc[1]

st.title(ui.settings().programme_name)
scope = " · ".join(x for x in (f["region"], f["cohort"] and f"{f['cohort']} sites") if x) or "All sites"
st.caption(
    f"{scope} · as of **{ui.uk_date(f['as_of'])}** · data received up to {ui.uk_date(now.data_received_up_to)} · "
    f"changes are since {ui.uk_date(before['as_of'])}"
)
ui.demo_banner()


def count_delta(name: str) -> str | None:
    change = int(now[name]) - int(then[name])
    return f"{change:+,}" if change else None


def money_delta(name: str) -> str | None:
    change = float(now[name]) - float(then[name])
    return f"+£{change:,.0f}" if change > 0 else (f"−£{-change:,.0f}" if change < 0 else None)


st.subheader("Sites by status")
cols = st.columns(5)
for col, (label, name) in zip(
    cols,
    [
        ("Stalled", "sites_stalled"),
        ("At risk", "sites_at_risk"),
        ("On track", "sites_on_track"),
        ("Not live", "sites_not_live"),
        ("Withdrawn", "sites_withdrawn"),
    ],
    strict=True,
):
    col.metric(
        f"{ui.STATUS_ICONS[label]} {label}",
        f"{int(now[name]):,}",
        count_delta(name),
        delta_color={"Stalled": "inverse", "At risk": "inverse", "On track": "normal"}.get(label, "off"),
        border=True,
    )

st.subheader("Headline figures")
cols = st.columns(4)
cols[0].metric(*ui.count_of("Sites live", int(now.sites_live), int(now.sites_registered)), count_delta("sites_live"))
share = now.people_recruited / now.recruitment_target if now.recruitment_target else 0
cols[1].metric(
    "People recruited",
    f"{int(now.people_recruited):,}",
    count_delta("people_recruited"),
    help=f"Against a programme target of {int(now.recruitment_target):,} (the live sites' targets): {share:.0%}.",
)
cols[2].metric("People with a budget", f"{int(now.budgets_total):,}", count_delta("budgets_total"))
cols[3].metric("Care plans agreed", f"{int(now.care_plans_agreed):,}", count_delta("care_plans_agreed"))
cols[1].caption(f"of a target of {int(now.recruitment_target):,} ({share:.0%})")

budget_cols = cols = st.columns(4)
cols[0].metric("Budgets held notionally", f"{int(now.budgets_notional):,}", count_delta("budgets_notional"))
cols[1].metric("Budgets held by a third party", f"{int(now.budgets_third_party):,}", count_delta("budgets_third_party"))
cols[2].metric("Direct payments", f"{int(now.budgets_direct_payment):,}", count_delta("budgets_direct_payment"))

fy = ui.uk_date(now.financial_year_start)
cols = st.columns(4)
cols[0].metric(
    "Care spend since the start", ui.gbp_figure(now.spend_care_to_date_gbp), money_delta("spend_care_to_date_gbp")
)
cols[1].metric(
    "Infrastructure spend since the start",
    ui.gbp_figure(now.spend_infrastructure_to_date_gbp),
    money_delta("spend_infrastructure_to_date_gbp"),
)
cols[2].metric("Care spend this financial year", ui.gbp_figure(now.spend_care_year_gbp), help=f"Since {fy}.")
cols[3].metric(
    "Infrastructure spend this year",
    ui.gbp_figure(now.spend_infrastructure_year_gbp),
    help=f"Financial year since {fy}.",
)

returns = views.overview_returns(f).iloc[0]
if pd.notna(returns.latest_due_month):
    budget_cols[3].metric(
        *ui.count_of(
            f"Returns received for {returns.latest_due_month:%B %Y}",
            int(returns.latest_received),
            int(returns.latest_owed),
        ),
        help=f"Due on {ui.uk_date(returns.latest_due_on)}. See the Returns page for who to chase.",
    )

trend = views.overview_trend(f)
if trend.empty:
    st.info("No returns are known as of this date yet.")
else:
    st.subheader("Programme over time")
    left, right = st.columns(2)
    charts.draw(charts.programme_lines(trend, title="People recruited against the programme target"), left)
    charts.draw(charts.budgets_by_type(trend, "month_end"), right)
    charts.draw(
        charts.spend_by_month(
            trend, "month_end", title="Spend reported each month (the latest fills as returns arrive)"
        )
    )

board_params = {
    "as_of": f["as_of"].isoformat(),
    **{k: v for k, v in (("region", f["region"]), ("cohort", f["cohort"])) if v},
}
st.page_link(
    "pages/board.py",
    label="Open the board slide for this date (1920×1080)",
    icon=":material/slideshow:",
    query_params=board_params,
)
ui.flag_rules(f["as_of"])
prefetch.regions("overview", views.overview, f)  # a region chosen next is ready
