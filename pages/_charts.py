"""Altair charts that several pages draw: the programme's lines, budgets by type, spend by month.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

LINES = {"people_recruited": "Recruited", "recruitment_target": "Target (live sites)", "budgets_total": "With a budget"}
BUDGET_TYPES = {
    "budgets_notional": "Notional",
    "budgets_third_party": "Third party",
    "budgets_direct_payment": "Direct payment",
}
SPEND = {"spend_care_gbp": "Care", "spend_infrastructure_gbp": "Infrastructure"}


def programme_lines(trend: pd.DataFrame, *, title: str | None = None, height: int = 320, projected: bool = False):
    """People recruited and with a budget against the live sites' target, month by month."""
    lines = trend.melt(id_vars="month_end", value_vars=list(LINES), var_name="measure", value_name="people")
    lines["measure"] = lines["measure"].map(LINES)
    size = 14 if projected else 11  # larger on a projected slide
    chart = alt.Chart(lines, title=title) if title else alt.Chart(lines)
    mark = chart.mark_line(strokeWidth=3) if projected else chart.mark_line(point=alt.OverlayMarkDef(size=18))
    return mark.encode(
        x=alt.X("month_end:T", title=None, axis=alt.Axis(format="%b %Y", labelFontSize=size, tickCount=6)),
        y=alt.Y("people:Q", title="People", axis=alt.Axis(labelFontSize=size, titleFontSize=size)),
        color=alt.Color(
            "measure:N",
            title=None,
            sort=list(LINES.values()),
            scale=alt.Scale(range=["#0072B2", "#999999", "#009E73"]),
            legend=alt.Legend(orient="top", labelFontSize=size),
        ),
        strokeDash=alt.StrokeDash(
            "measure:N", sort=list(LINES.values()), legend=None, scale=alt.Scale(range=[[1, 0], [5, 3], [1, 0]])
        ),
        tooltip=[
            alt.Tooltip("month_end:T", title="Month", format="%b %Y"),
            alt.Tooltip("measure:N"),
            alt.Tooltip("people:Q", format=","),
        ],
    ).properties(height=height)


def budgets_by_type(df: pd.DataFrame, date_column: str, *, title: str = "People with a budget, by type"):
    """A stacked area of budgets in place, notional, third party and direct payment."""
    types = df.melt(id_vars=date_column, value_vars=list(BUDGET_TYPES), var_name="type", value_name="people")
    types["type"] = types["type"].map(BUDGET_TYPES)
    return (
        alt.Chart(types, title=title)
        .mark_area()
        .encode(
            x=alt.X(f"{date_column}:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("people:Q", title="People", stack=True),
            color=alt.Color(
                "type:N",
                title=None,
                sort=list(BUDGET_TYPES.values()),
                scale=alt.Scale(range=["#56B4E9", "#E69F00", "#CC79A7"]),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("type_order:Q"),
            tooltip=[
                alt.Tooltip(f"{date_column}:T", title="Month", format="%b %Y"),
                alt.Tooltip("type:N"),
                alt.Tooltip("people:Q", format=","),
            ],
        )
        .transform_calculate(type_order="indexof(['Notional','Third party','Direct payment'], datum.type)")
        .properties(height=320)
    )


def spend_by_month(df: pd.DataFrame, date_column: str, *, title: str, side_by_side: bool = False):
    """Care and infrastructure spend reported for each month (stacked, or side by side)."""
    spend = df.melt(id_vars=date_column, value_vars=list(SPEND), var_name="kind", value_name="gbp")
    spend["kind"] = spend["kind"].map(SPEND)
    spend["gbp"] = spend["gbp"].astype(float)
    return (
        alt.Chart(spend, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"yearmonth({date_column}):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45)),
            y=alt.Y("gbp:Q", title="£ in the month", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "kind:N", title=None, scale=alt.Scale(range=["#009E73", "#999999"]), legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip(f"{date_column}:T", title="Month", format="%b %Y"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("gbp:Q", title="£", format=",.0f"),
            ],
            **({"xOffset": alt.XOffset("kind:N")} if side_by_side else {}),
        )
        .properties(height=260)
    )


def binned_counts(df: pd.DataFrame, x: str, y: str, bins: int = 24) -> pd.DataFrame:
    """Sites counted in a grid of x and y ranges: a scatter plot's shape when there are too many dots to draw."""
    values = df[[x, y]].astype(float).fillna(0)
    counts, x_edges, y_edges = np.histogram2d(values[x], values[y], bins=bins)
    rows = [
        {"x_from": x_edges[i], "x_to": x_edges[i + 1], "y_from": y_edges[j], "y_to": y_edges[j + 1], "sites": int(n)}
        for i, j in zip(*np.nonzero(counts), strict=True)
        for n in [counts[i, j]]
    ]
    return pd.DataFrame(rows, columns=["x_from", "x_to", "y_from", "y_to", "sites"])


def curve_bands(bands: pd.DataFrame) -> alt.VConcatChart:
    """Share of target by months since go-live: median line, middle-half and middle-80% bands, sites reporting."""
    base = alt.Chart(bands).encode(
        x=alt.X(
            "months_since_go_live:Q",
            title="Months since go-live",
            axis=alt.Axis(format="d", tickMinStep=1),
            scale=alt.Scale(domainMin=0, nice=False),
        )
    )
    share = alt.Axis(format="%")
    outer = base.mark_area(opacity=0.18, color="#0072B2").encode(
        y=alt.Y("p10:Q", title="Share of recruitment target", axis=share), y2=alt.Y2("p90:Q")
    )
    inner = base.mark_area(opacity=0.35, color="#0072B2").encode(y=alt.Y("p25:Q"), y2=alt.Y2("p75:Q"))
    median = base.mark_line(color="#0072B2", strokeWidth=2.5).encode(
        y=alt.Y("median:Q"),
        tooltip=[
            alt.Tooltip("months_since_go_live:Q", title="Months since go-live"),
            alt.Tooltip("sites:Q", title="Sites reporting", format=","),
            alt.Tooltip("p10:Q", title="10th percentile", format=".0%"),
            alt.Tooltip("p25:Q", title="25th percentile", format=".0%"),
            alt.Tooltip("median:Q", title="Median", format=".0%"),
            alt.Tooltip("p75:Q", title="75th percentile", format=".0%"),
            alt.Tooltip("p90:Q", title="90th percentile", format=".0%"),
        ],
    )
    bands_chart = (outer + inner + median).properties(height=340)
    reporting = (
        base.mark_bar(color="#999999", opacity=0.6)
        .encode(y=alt.Y("sites:Q", title="Sites", axis=alt.Axis(format="~s")))
        .properties(height=80)
    )
    return alt.vconcat(bands_chart, reporting).resolve_scale(x="shared")
