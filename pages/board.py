"""Board: one 16:9 view for the weekly board pack (1920×1080), opened from a URL.

?as_of=2010-11-30&compare_to=2010-11-23&region=London. No sidebar, no menu, nothing that scrolls.
"""

import datetime as dt

import streamlit as st

from pages import _charts as charts
from pages import _shared as ui

ui.ensure_router()

# The picture is the product: no sidebar, header, toolbar or decoration, and tight margins.
st.markdown(
    """<style>
    [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
    [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] {display: none !important;}
    [data-testid="stMainBlockContainer"] {padding: 1.6rem 2.6rem 0 2.6rem !important; max-width: 100% !important;}
    [data-testid="stMetricValue"] {font-size: 2.3rem !important;}
    [data-testid="stMetricLabel"] p {font-size: 1.05rem !important;}
    [data-testid="stMetricDelta"] {font-size: 1rem !important;}
    h1 {font-size: 2.3rem !important; padding: 0 !important;}
    .board-note {font-size: 1.15rem; color: #31333F; line-height: 1.5;}
    [data-testid="stMarkdownContainer"] p strong {font-size: 1.1rem;}
    </style>""",
    unsafe_allow_html=True,
)

f = ui.url_filters()
raw = st.query_params.get("compare_to")
try:
    compare_to = dt.date.fromisoformat(raw) if raw else None
except ValueError:
    compare_to = None
fig = ui.board_figures(f["as_of"], compare_to, f["region"], f["cohort"])
now, week, month = fig.now, fig.last_pack, fig.last_month

scope = " · ".join(x for x in (f["region"], f["cohort"] and f"{f['cohort']} cohort") if x)
left, right = st.columns([3, 2], vertical_alignment="bottom")
left.title(f"{ui.settings().programme_name}{' — ' + scope if scope else ''}")
right.markdown(
    f"<div class='board-note' style='text-align:right'><b>As of {ui.uk_date(fig.as_of)}</b> · data received up to "
    f"{ui.uk_date(now.data_received_up_to)}<br>Changes since the last pack ({ui.uk_date(fig.compare_to)}) and "
    f"last month ({ui.uk_date(fig.month_before)})<br>{fig.returns_note}"
    + ("<br><b>Synthetic demo data</b>: illustrative figures" if ui.meta()["is_demo"] else "")
    + "</div>",
    unsafe_allow_html=True,
)


def change(name: str, money: bool = False) -> tuple[str | None, str]:
    """The change since the last pack (for the metric) and since last month (for its caption)."""

    def text(delta: float) -> str:
        if money:
            return ("+" if delta >= 0 else "−") + f"£{abs(delta):,.0f}"
        return f"{delta:+,.0f}"

    weekly = float(now[name]) - float(week[name])
    monthly = float(now[name]) - float(month[name])
    return (text(weekly) if weekly else "no change"), f"{text(monthly)} since last month"


METRIC_HEIGHT = 150
cols = st.columns(8)
for col, (label, name) in zip(
    cols[:4],
    [
        ("Stalled", "sites_stalled"),
        ("At risk", "sites_at_risk"),
        ("On track", "sites_on_track"),
        ("Not live", "sites_not_live"),
    ],
    strict=True,
):
    delta, monthly = change(name)
    col.metric(
        f"{ui.STATUS_ICONS[label]} {label}",
        f"{int(now[name])}",
        delta,
        border=True,
        height=METRIC_HEIGHT,
        delta_description="since last pack",
        delta_arrow="auto" if delta != "no change" else "off",
        delta_color="off"
        if delta == "no change"
        else {"Stalled": "inverse", "At risk": "inverse", "On track": "normal"}.get(label, "off"),
    )
    col.caption(monthly)
for col, (label, name, money) in zip(
    cols[4:],
    [
        ("People recruited", "people_recruited", False),
        ("With a budget", "budgets_total", False),
        ("Care spend to date", "spend_care_to_date_gbp", True),
        ("Infrastructure to date", "spend_infrastructure_to_date_gbp", True),
    ],
    strict=True,
):
    delta, monthly = change(name, money)
    value = ui.gbp_figure(now[name]) if money else f"{int(now[name]):,}"
    col.metric(
        label,
        value,
        delta,
        border=True,
        height=METRIC_HEIGHT,
        delta_description="since last pack",
        delta_arrow="auto" if delta != "no change" else "off",
        delta_color="normal" if delta != "no change" else "off",
    )
    col.caption(monthly + (f" · target {int(now.recruitment_target):,}" if name == "people_recruited" else ""))

chart_col, table_col = st.columns([5, 7])
with chart_col:
    st.markdown("**Recruitment against the programme target**")
    if fig.trend.empty:
        st.info("No returns are known as of this date.")
    else:
        charts.draw(charts.programme_lines(fig.trend, height=420, projected=True), table_rows=6)
with table_col:
    st.markdown("**The ten sites furthest behind their trajectory**")
    behind = fig.behind.assign(
        trajectory_pct=fig.behind.share_of_trajectory * 100,
        why=[
            (f"Re-baselined: {fig.rebaselined[c]}. " if c in fig.rebaselined else "")
            + r
            + (f" (+{n - 1} more)" if n > 1 else "")
            for c, r, n in zip(fig.behind.site_code, fig.behind.reason, fig.behind.flag_count, strict=True)
        ],
    )
    st.dataframe(
        behind[["site_name", "status", "people_recruited", "recruitment_target", "trajectory_pct", "why"]],
        hide_index=True,
        width="stretch",
        height="content",
        row_height=46,
        column_config={
            "site_name": st.column_config.TextColumn("Site", width=220),
            "status": st.column_config.TextColumn("Status", width=80),
            "people_recruited": st.column_config.NumberColumn("Recruited", format="%,d", width=80),
            "recruitment_target": st.column_config.NumberColumn("Target", format="%,d", width=60),
            "trajectory_pct": st.column_config.NumberColumn("% of trajectory", format="%.0f%%", width=100),
            "why": st.column_config.TextColumn("Most telling flag", width=490),
        },
    )

moved = fig.changes
newly = moved[moved.change == "Newly stalled"]
recovered = moved[moved.change.isin(["Recovered", "Improved"])]
a, b = st.columns(2)


def listing(col, title: str, rows, empty: str) -> None:
    names = ", ".join(f"{ui.inert(r.site_name)} ({r.status_before} → {r.status})" for r in rows.itertuples())
    col.markdown(f"<div class='board-note'><b>{title}:</b> {names or empty}</div>", unsafe_allow_html=True)


listing(a, f"Newly stalled since {ui.uk_date(fig.compare_to)}", newly, "none")
listing(b, f"Recovered or improved since {ui.uk_date(fig.compare_to)}", recovered, "none")
