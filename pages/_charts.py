"""The pages' charts, each with what it shows in words and its data as a table (issue 14).

A chart's ``description`` is its text alternative: vega-embed makes it the chart's ``aria-label``, so a
screen reader announces what the chart shows and its key figures, worked out here from the chart's own
data. ``draw`` puts every chart on a page with its data as a table underneath, for anyone who cannot
read the picture. Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from pages import _shared as ui
from tracker.values import gbp, plural

LINES = {"people_recruited": "Recruited", "recruitment_target": "Target (live sites)", "budgets_total": "With a budget"}
BUDGET_TYPES = {
    "budgets_notional": "Notional",
    "budgets_third_party": "Third party",
    "budgets_direct_payment": "Direct payment",
}
SPEND = {"spend_care_gbp": "Care", "spend_infrastructure_gbp": "Infrastructure"}
RETURN_COLOURS = {
    "on time": "#0072B2",
    "late": "#E69F00",
    "missing": "#D55E00",
    "void": "#000000",
    "received": "#56B4E9",
    "not yet due": "#E5E5E5",
}
RETURN_LETTERS = {"late": "L", "missing": "M", "void": "V"}
RETURN_INK = {"on time": "white", "void": "white"}  # the letters' colour, 4.5:1 or more on the cell (else black)
LISTED = 5  # sites or months named in a description; the table has them all

# st.altair_chart converts each chart under Altair's "none" theme (the default theme only adds a
# 300 × 300 view size that Streamlit does not want); draw() converts charts itself, so the same theme is
# set once here. Nothing in the dashboard sets another.
alt.theme.enable("none")

# How the table under a chart shows each kind of column.
_COLUMN_KINDS = {
    "month": lambda: st.column_config.DateColumn(format=ui.MONTH),
    "date": lambda: st.column_config.DateColumn(format=ui.DATE),
    "count": lambda: st.column_config.NumberColumn(format="%,d"),
    "number": lambda: st.column_config.NumberColumn(format="%,.1f"),
    "money": lambda: st.column_config.NumberColumn(format=ui.MONEY),
    "percent": lambda: st.column_config.NumberColumn(format="%.0f%%"),
}


@dataclass(frozen=True)
class Figure:
    """A chart, its text alternative (also set as the chart's ``description``) and its data as a table."""

    name: str
    chart: alt.TopLevelMixin
    description: str
    table: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)  # table column -> a key of _COLUMN_KINDS


def _figure(name: str, chart, description: str, table: pd.DataFrame, **kinds: str) -> Figure:
    # Streamlit draws axis and legend text in a fixed grey (#808495, 3.7:1 on white): the theme's text
    # colour instead, so chart text reads at the 4.5:1 that WCAG asks of text.
    ink = st.get_option("theme.textColor") or "black"
    chart = (
        chart.properties(description=description)
        .configure_axis(labelColor=ink, titleColor=ink)
        .configure_legend(labelColor=ink, titleColor=ink)
    )
    return Figure(name, chart, description, table.reset_index(drop=True), kinds)


def draw(fig: Figure, where=None, *, key: str | None = None, on_select: str = "ignore", table_rows: int = 10):
    """Draw a chart and, under it, its data as a table in an expander; gives the chart's selection event."""
    with where if where is not None else contextlib.nullcontext():
        event = st.vega_lite_chart(spec=vega_lite(fig.chart), width="stretch", key=key, on_select=on_select)
        if not ui.printing():  # a captured picture has no use for a closed expander
            with st.expander(f"Chart data as a table: {fig.name}", icon=":material/table:"):
                st.dataframe(
                    fig.table,
                    hide_index=True,
                    width="stretch",
                    height=ui.table_height(len(fig.table), table_rows),
                    column_config={col: _COLUMN_KINDS[kind]() for col, kind in fig.kinds.items()},
                    key=f"{key}_table" if key else None,
                )
    return event


def vega_lite(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec as st.altair_chart would send it, each data frame a named dataset in
    Arrow, but without validating it against Vega-Lite's JSON schema on every draw.

    That validation was about a sixth of a page's script time. Each chart the pages draw is validated in
    tests/test_charts.py instead, on real data, which also checks that this spec and its datasets are
    exactly those of Altair's validated ``to_dict()`` (so Streamlit draws the same chart).
    """
    datasets: dict[str, bytes] = {}

    def by_name(part):
        part = part.copy(deep=False)
        if isinstance(part.data, pd.DataFrame):
            name, data = arrow_dataset(part.data)
            datasets.setdefault(name, data)
            part.data = alt.NamedData(name=name)
        for key in ("layer", "hconcat", "vconcat", "concat"):
            parts = getattr(part, key, alt.Undefined)
            if isinstance(parts, list):
                part[key] = [by_name(p) for p in parts]
        return part

    spec = by_name(chart).to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def arrow_dataset(df: pd.DataFrame) -> tuple[str, bytes]:
    """A chart's data frame as Streamlit sends it (Arrow IPC, made by the function st.altair_chart uses), and a
    name that is a hash of those bytes, as st.altair_chart names it: the name changes with the data."""
    data = dataframe_util.convert_anything_to_arrow_bytes(df)
    return f"data-{hashlib.blake2b(data, digest_size=16).hexdigest()}", data


def _long(df: pd.DataFrame, id_column: str, values: dict[str, str], var_name: str, value_name: str) -> pd.DataFrame:
    """``df.melt(id_column, list(values), var_name, value_name)`` with the column names mapped through
    ``values``: the same rows, order and types (tests/test_charts.py compares them), for a fraction of
    melt's time, which was a tenth of a page's script."""
    n = len(df)
    return pd.DataFrame(
        {
            id_column: pd.concat([df[id_column]] * len(values), ignore_index=True),
            var_name: pd.Series(np.repeat(list(values.values()), n), dtype="str"),
            value_name: np.concatenate([df[c].to_numpy() for c in values]),
        }
    )


def _month(day) -> str:
    return f"{pd.Timestamp(day):%b %Y}"


def _span(days: pd.Series) -> str:
    first, last = days.min(), days.max()
    return f"in {_month(first)}" if first == last else f"monthly from {_month(first)} to {_month(last)}"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def programme_lines(trend: pd.DataFrame, *, title: str | None = None, height: int = 320, projected: bool = False):
    """People recruited and with a budget against the live sites' target, month by month."""
    lines = _long(trend, "month_end", LINES, "measure", "people")
    size = 14 if projected else 11  # larger on a projected slide
    chart = alt.Chart(lines, title=title) if title else alt.Chart(lines)
    mark = chart.mark_line(strokeWidth=3) if projected else chart.mark_line(point=alt.OverlayMarkDef(size=18))
    chart = mark.encode(
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
    what = "Line chart of people recruited and people with a budget, against the recruitment target of the sites live"
    if trend.empty:
        return _figure(title or "Recruitment", chart, f"{what}: no month to show yet.", trend)
    first, last = trend.iloc[0], trend.iloc[-1]
    share = f" ({last.people_recruited / last.recruitment_target:.0%})" if last.recruitment_target else ""
    text = (
        f"{what}, {_span(trend.month_end)}. In {_month(last.month_end)}: {last.people_recruited:,} recruited against "
        f"a target of {last.recruitment_target:,}{share}, and {last.budgets_total:,} with a budget."
    )
    if len(trend) > 1:
        text += f" In {_month(first.month_end)}: {first.people_recruited:,} recruited."
    table = trend[["month_end", *LINES]].rename(columns={"month_end": "Month", **LINES})
    return _figure(
        title or "People recruited against the programme target",
        chart,
        text,
        table,
        Month="month",
        **dict.fromkeys(LINES.values(), "count"),
    )


def budgets_by_type(df: pd.DataFrame, date_column: str, *, title: str = "People with a budget, by type"):
    """A stacked area of budgets in place, notional, third party and direct payment."""
    types = _long(df, date_column, BUDGET_TYPES, "type", "people")
    chart = (
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
    table = df[[date_column, *BUDGET_TYPES]].rename(columns={date_column: "Month", **BUDGET_TYPES})
    table["In all"] = table[list(BUDGET_TYPES.values())].sum(axis=1)
    what = "Stacked area chart of people with a budget, by how the budget is held"
    if df.empty:
        text = f"{what}: no month to show yet."
    else:
        last = table.iloc[-1]
        text = (
            f"{what}, {_span(table.Month)}. In {_month(last.Month)}: {last['In all']:,} in all, "
            f"{last.Notional:,} notional, {last['Third party']:,} held by a third party and "
            f"{last['Direct payment']:,} as direct payments."
        )
    return _figure(title, chart, text, table, Month="month", **dict.fromkeys(table.columns[1:], "count"))


def spend_by_month(df: pd.DataFrame, date_column: str, *, title: str, side_by_side: bool = False):
    """Care and infrastructure spend reported for each month (stacked, or side by side)."""
    spend = _long(df, date_column, SPEND, "kind", "gbp")
    spend["gbp"] = spend["gbp"].astype(float)
    chart = (
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
    table = (
        df[[date_column, *SPEND]]
        .rename(columns={date_column: "Month", **SPEND})
        .astype(dict.fromkeys(SPEND.values(), float))
    )
    how = "side by side" if side_by_side else "stacked"
    what = f"Bar chart of care and infrastructure spend reported for each month, {how}"
    if df.empty:
        text = f"{what}: no month to show yet."
    else:
        both = table.Care + table.Infrastructure
        top = table.loc[both.idxmax()]
        last = table.iloc[-1]
        text = (
            f"{what}, {_span(table.Month)}: {gbp(table.Care.sum())} on care and "
            f"{gbp(table.Infrastructure.sum())} on infrastructure in all. The most in one month: "
            f"{_month(top.Month)}, {gbp(top.Care)} on care and {gbp(top.Infrastructure)} on infrastructure. "
            f"In {_month(last.Month)}: {gbp(last.Care)} on care and {gbp(last.Infrastructure)} on infrastructure."
        )
    return _figure(title, chart, text, table, Month="month", Care="money", Infrastructure="money")


def site_recruitment(recruited: pd.DataFrame, trajectory: pd.DataFrame, site_name: str):
    """One site's people recruited each month against its trajectory (the target in effect then)."""
    both = pd.concat(
        [
            recruited[["period_end", "people_recruited"]]
            .rename(columns={"people_recruited": "people"})
            .assign(line="Recruited"),
            trajectory[["period_end", "people"]].assign(line="Trajectory to target"),
        ],
        ignore_index=True,
    )
    title = "Recruitment against trajectory"
    chart = (
        alt.Chart(both, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("period_end:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("people:Q", title="People"),
            color=alt.Color(
                "line:N", title=None, scale=alt.Scale(range=["#0072B2", "#999999"]), legend=alt.Legend(orient="top")
            ),
            strokeDash=alt.StrokeDash("line:N", legend=None, scale=alt.Scale(range=[[1, 0], [5, 3]])),
            tooltip=[
                alt.Tooltip("period_end:T", title="Month", format="%b %Y"),
                alt.Tooltip("line:N"),
                alt.Tooltip("people:Q"),
            ],
        )
        .properties(height=300)
    )
    table = (
        both.pivot_table(index="period_end", columns="line", values="people", aggfunc="first")
        .reindex(columns=["Recruited", "Trajectory to target"])
        .reset_index()
        .rename(columns={"period_end": "Month"})
        .rename_axis(columns=None)
    )
    what = f"Line chart of people recruited each month at {site_name}, against its straight-line trajectory to target"
    if recruited.empty:
        return _figure(title, chart, f"{what}: no return yet.", table, Month="month")
    last = recruited.iloc[-1]
    on_line = trajectory[trajectory.period_end == last.period_end].people
    text = f"{what}, {_span(both.period_end)}. In {_month(last.period_end)}: {int(last.people_recruited):,} recruited"
    text += f" against {on_line.iloc[0]:,.0f} on the trajectory." if len(on_line) else "."
    if not trajectory.empty:
        end = trajectory.iloc[-1]
        text += f" The trajectory reaches {end.people:,.0f} in {_month(end.period_end)}."
    return _figure(title, chart, text, table, Month="month", Recruited="count", **{"Trajectory to target": "number"})


def flag_history(history: pd.DataFrame):
    """A grid of the flags raised at each month-end evaluation (R red, A amber)."""
    marks = history.assign(
        severity=history.severity.map(ui.SEVERITY_TEXT), letter=history.severity.map({"red": "R", "amber": "A"})
    )
    base = alt.Chart(marks).encode(
        x=alt.X("yearmonth(evaluated_on):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45)),
        y=alt.Y("flag:N", title=None, axis=alt.Axis(labelLimit=200)),
    )
    # The cells are many and say no more than the table: screen readers get the description and the table.
    chart = (
        base.mark_rect(stroke="white", aria=False).encode(
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(domain=["Red", "Amber"], range=["#D55E00", "#E69F00"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("evaluated_on:T", title="Evaluated", format="%-d %b %Y"),
                alt.Tooltip("flag:N"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("reason:N"),
            ],
        )
        # black letters: white would be under 4.5:1 on both the red and the amber
        + base.mark_text(fontSize=10, color="black", fontWeight="bold", aria=False).encode(text=alt.Text("letter:N"))
    ).properties(height=80 + 36 * history.flag.nunique())
    counts = [
        f"{flag} at {plural(len(rows), 'evaluation', 'evaluations')}"
        + f" ({', '.join(f'{n} {s.lower()}' for s, n in rows.severity.value_counts().items())})"
        for flag, rows in marks.groupby("flag", sort=True)
    ]
    latest = marks[marks.evaluated_on == marks.evaluated_on.max()]
    text = (
        f"Grid of the flags raised at each month-end evaluation, {_span(marks.evaluated_on)}: {'; '.join(counts)}. "
        f"At the last, {_month(latest.evaluated_on.iloc[0])}: "
        + ", ".join(f"{r.flag} {r.severity.lower()}" for r in latest.itertuples())
        + "."
    )
    table = marks[["evaluated_on", "flag", "severity", "reason"]].rename(
        columns={"evaluated_on": "Evaluated", "flag": "Flag", "severity": "Severity", "reason": "Reason"}
    )
    return _figure("Flag history", chart, text, table, Evaluated="date")


def trajectory_bars(live: pd.DataFrame, red_pct: int, amber_pct: int, *, pick, limit: int | None = None):
    """Each live site's recruitment as a share of its trajectory, lowest first, with the red and amber lines.

    ``live`` has ``trajectory_pct`` (recruited as a % of the trajectory); with ``limit``, only that many
    of the furthest behind are drawn.
    """
    of_live = len(live)
    live = live.assign(trajectory_pct_capped=live.trajectory_pct.clip(upper=150).fillna(0))
    if limit is not None and len(live) > limit:
        live = live.nsmallest(limit, "trajectory_pct_capped")
    bars = (
        alt.Chart(live)
        .mark_bar()
        .encode(
            y=alt.Y(
                "site_name:N",
                title=None,
                sort=alt.EncodingSortField("trajectory_pct_capped", order="ascending"),
                axis=alt.Axis(labelLimit=260),
            ),
            x=alt.X("trajectory_pct_capped:Q", title="% of trajectory (capped at 150%)"),
            color=alt.Color("status:N", title="Status", scale=ui.status_scale(), legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("site_name:N"),
                alt.Tooltip("status:N"),
                alt.Tooltip("trajectory_pct:Q", title="% of trajectory", format=".0f"),
                alt.Tooltip("people_recruited:Q", title="Recruited"),
                alt.Tooltip("recruitment_target:Q", title="Target"),
            ],
        )
        .add_params(pick)
    )
    rules = (
        alt.Chart(pd.DataFrame({"x": [red_pct, amber_pct, 100]}))
        .mark_rule(strokeDash=[4, 3], color="#555")
        .encode(x=alt.X("x:Q"))
    )
    chart = (bars + rules).properties(height=max(200, 14 * len(live)))
    ordered = live.sort_values(["trajectory_pct_capped", "site_name"])
    shown = (
        f"the {len(live):,} furthest behind of {of_live:,} live sites"
        if len(live) < of_live
        else f"{len(live):,} live sites"
    )
    text = (
        f"Bar chart of {shown}: people recruited as a share of the straight-line trajectory to each site's target "
        f"(capped at 150%), lowest first, with dashed lines at {red_pct}% (red), {amber_pct}% (amber) and 100%."
    )
    if not live.empty:
        text += (
            f" {plural(int((live.trajectory_pct < red_pct).sum()), 'site is', 'sites are')} below {red_pct}% and "
            f"{int((live.trajectory_pct < amber_pct).sum()):,} below {amber_pct}%; the median is "
            f"{live.trajectory_pct.median():.0f}%. Lowest: "
            + _names([f"{r.site_name} {r.trajectory_pct:.0f}%" for r in ordered.head(LISTED).itertuples()])
            + "."
        )
    table = ordered[["site_name", "status", "trajectory_pct", "people_recruited", "recruitment_target"]].rename(
        columns={
            "site_name": "Site",
            "status": "Status",
            "trajectory_pct": "% of trajectory",
            "people_recruited": "Recruited",
            "recruitment_target": "Target",
        }
    )
    return _figure(
        "Progress against trajectory",
        chart,
        text,
        table,
        **{"% of trajectory": "percent", "Recruited": "count", "Target": "count"},
    )


SPEND_AXIS = "Infrastructure spend to date (£)"


def infrastructure_scatter(sites: pd.DataFrame, *, pick):
    """Each site's infrastructure spend to date against its people with a budget (a dot per site)."""
    data = sites.assign(spend=sites.spend_infrastructure_to_date_gbp.astype(float))
    chart = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("budgets_total:Q", title="People with a budget"),
            y=alt.Y("spend:Q", title=SPEND_AXIS, axis=alt.Axis(format="~s")),
            color=alt.Color("status:N", title="Status", scale=ui.status_scale(), legend=alt.Legend(orient="top")),
            shape=alt.Shape("status:N", scale=alt.Scale(domain=list(ui.STATUS_COLOURS)), legend=None),
            tooltip=[
                alt.Tooltip("site_name:N"),
                alt.Tooltip("status:N"),
                alt.Tooltip("budgets_total:Q", title="With a budget"),
                alt.Tooltip("spend:Q", title="Infrastructure £", format=",.0f"),
                alt.Tooltip("infrastructure_per_budget_gbp:Q", title="£ per budget", format=",.0f"),
            ],
        )
        .add_params(pick)
        .properties(height=380)
    )
    costly = data[data.budgets_total > 0].sort_values("infrastructure_per_budget_gbp", ascending=False)
    none = data[data.budgets_total == 0]
    text = (
        f"Scatter plot of {plural(len(data), 'site', 'sites')}: infrastructure spend to date (up) against people "
        f"with a budget (across)."
    )
    if not costly.empty:
        text += (
            " The most spent per person with a budget: "
            + _names(
                [
                    f"{r.site_name} {gbp(r.infrastructure_per_budget_gbp)} "
                    f"({plural(int(r.budgets_total), 'budget', 'budgets')})"
                    for r in costly.head(LISTED).itertuples()
                ]
            )
            + f"; the median site {gbp(costly.infrastructure_per_budget_gbp.median())}."
        )
    if not none.empty:
        text += (
            f" {plural(len(none), 'site has', 'sites have')} no one with a budget yet, after "
            f"{gbp(none.spend.sum())} of infrastructure spend between them."
        )
    table = pd.concat([costly, none])[
        ["site_name", "status", "budgets_total", "spend", "infrastructure_per_budget_gbp"]
    ].rename(
        columns={
            "site_name": "Site",
            "status": "Status",
            "budgets_total": "With a budget",
            "spend": "Infrastructure spend",
            "infrastructure_per_budget_gbp": "Per budget",
        }
    )
    return _figure(
        "Infrastructure spend and people with a budget",
        chart,
        text,
        table,
        **{"With a budget": "count", "Infrastructure spend": "money", "Per budget": "money"},
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


def infrastructure_heat_map(sites: pd.DataFrame, bins: int = 24):
    """Too many sites for a dot each: how many sites fall in each range of budgets and infrastructure spend."""
    cells = binned_counts(sites, "budgets_total", "spend_infrastructure_to_date_gbp", bins)
    chart = (
        alt.Chart(cells)
        .mark_rect(aria=False)  # hundreds of cells: the description and the table say it better
        .encode(
            x=alt.X("x_from:Q", bin="binned", title="People with a budget"),
            x2=alt.X2("x_to:Q"),
            y=alt.Y("y_from:Q", bin="binned", title=SPEND_AXIS, axis=alt.Axis(format="~s")),
            y2=alt.Y2("y_to:Q"),
            color=alt.Color("sites:Q", title="Sites", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("x_from:Q", title="People with a budget, from"),
                alt.Tooltip("x_to:Q", title="... to under"),
                alt.Tooltip("y_from:Q", title="Infrastructure £, from", format=",.0f"),
                alt.Tooltip("y_to:Q", title="... to under", format=",.0f"),
                alt.Tooltip("sites:Q", title="Sites"),
            ],
        )
        .properties(height=380)
    )
    text = (
        f"Heat map of {plural(len(sites), 'site', 'sites')} in a {bins} × {bins} grid of people with a budget "
        f"(across) against infrastructure spend to date (up); the darker a cell, the more sites in it."
    )
    if not cells.empty:
        top = cells.loc[cells.sites.idxmax()]
        text += (
            f" People with a budget run from {cells.x_from.min():,.0f} to {cells.x_to.max():,.0f} and spend from "
            f"{gbp(cells.y_from.min())} to {gbp(cells.y_to.max())}. The fullest cell holds "
            f"{plural(int(top.sites), 'site', 'sites')}: {top.x_from:,.0f} to under {top.x_to:,.0f} people with a "
            f"budget and {gbp(top.y_from)} to under {gbp(top.y_to)}."
        )
    table = cells.sort_values("sites", ascending=False).rename(
        columns={
            "x_from": "With a budget, from",
            "x_to": "… to under",
            "y_from": "Infrastructure £, from",
            "y_to": "… to under £",
            "sites": "Sites",
        }
    )
    return _figure(
        "Infrastructure spend and people with a budget",
        chart,
        text,
        table,
        **{
            "With a budget, from": "number",
            "… to under": "number",
            "Infrastructure £, from": "money",
            "… to under £": "money",
            "Sites": "count",
        },
    )


REGION_STATUSES = {"stalled": "Stalled", "at_risk": "At risk", "on_track": "On track", "not_live": "Not live"}


def regions(rollup: pd.DataFrame):
    """Sites in each region by status (withdrawn sites left out), one stacked bar per region."""
    melted = _long(rollup, "region", REGION_STATUSES, "status", "site_count")
    chart = (
        alt.Chart(melted)
        .mark_bar()
        .encode(
            y=alt.Y("region:N", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("site_count:Q", title="Sites", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color("status:N", title="Status", scale=ui.status_scale(), legend=alt.Legend(orient="top")),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("region:N"), alt.Tooltip("status:N"), alt.Tooltip("site_count:Q", title="Sites")],
        )
        .transform_calculate(order="indexof(['Stalled','At risk','On track','Not live'], datum.status)")
        .properties(height=380)
    )
    table = rollup[["region", *REGION_STATUSES]].rename(columns={"region": "Region", **REGION_STATUSES})
    totals = ", ".join(f"{int(table[s].sum()):,} {s.lower()}" for s in REGION_STATUSES.values())
    text = (
        f"Stacked bar chart of sites by status in each of {plural(len(table), 'region', 'regions')} "
        f"(withdrawn sites left out): {totals} in all."
    )
    many = len(table) > LISTED
    listed = table.sort_values(["Stalled", "Region"], ascending=[False, True]).head(LISTED) if many else table
    each = [
        f"{r.Region} {', '.join(f'{int(r[s]):,} {s.lower()}' for s in REGION_STATUSES.values())}"
        for _, r in listed.iterrows()
    ]
    text += (" Most stalled: " if many else " ") + "; ".join(each) + "."
    return _figure("Regions", chart, text, table, **dict.fromkeys(REGION_STATUSES.values(), "count"))


def recruitment_curves(curves: pd.DataFrame, *, pick):
    """One line per site: people recruited by months since go-live (month 0 is the go-live month)."""
    chart = (
        alt.Chart(curves)
        .mark_line(point=False, strokeWidth=1.6)
        .encode(
            x=alt.X("months_since_go_live:Q", title="Months since go-live", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("people_recruited:Q", title="People recruited"),
            detail=alt.Detail("site_code:N"),
            color=alt.Color("status:N", title="Status", scale=ui.status_scale(), legend=alt.Legend(orient="top")),
            opacity=alt.condition(pick, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("site_name:N"),
                alt.Tooltip("status:N"),
                alt.Tooltip("months_since_go_live:Q"),
                alt.Tooltip("people_recruited:Q", title="Recruited"),
                alt.Tooltip("period_end:T", title="Month", format="%b %Y"),
            ],
        )
        .add_params(pick)
        .properties(height=420)
    )
    latest = curves.sort_values("months_since_go_live").drop_duplicates("site_code", keep="last")
    text = (
        f"Line chart, one line per site ({plural(len(latest), 'site', 'sites')}), of people recruited by months "
        "since go-live; month 0 is each site's go-live month."
    )
    if not latest.empty:
        most = latest.sort_values(["people_recruited", "site_name"], ascending=[False, True]).head(LISTED)
        text += (
            f" The longest-running has reached month {int(latest.months_since_go_live.max())}. Most recruited: "
            + _names(
                [
                    f"{r.site_name} {int(r.people_recruited):,} after {int(r.months_since_go_live)} months"
                    for r in most.itertuples()
                ]
            )
            + f". {plural(int((latest.people_recruited == 0).sum()), 'site has', 'sites have')} recruited nobody yet."
        )
    table = curves.sort_values(["site_name", "months_since_go_live"])[
        ["site_name", "status", "months_since_go_live", "people_recruited", "period_end"]
    ].rename(
        columns={
            "site_name": "Site",
            "status": "Status",
            "months_since_go_live": "Months since go-live",
            "people_recruited": "Recruited",
            "period_end": "Month",
        }
    )
    return _figure(
        "Recruitment curves, aligned by months since go-live",
        chart,
        text,
        table,
        **{"Months since go-live": "count", "Recruited": "count", "Month": "month"},
    )


def curve_bands(bands: pd.DataFrame):
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
        base.mark_bar(color="#999999", opacity=0.6, aria=False)
        .encode(y=alt.Y("sites:Q", title="Sites", axis=alt.Axis(format="~s")))
        .properties(height=80)
    )
    chart = alt.vconcat(bands_chart, reporting).resolve_scale(x="shared")
    text = (
        "Line chart of the median site's share of its recruitment target by months since go-live, with bands for "
        "the middle half and the middle 80% of sites, and bars below for how many sites had reached each month."
    )
    if not bands.empty:
        milestones = [m for m in (6, 12, 24, 36) if m in set(bands.months_since_go_live)] or [
            int(bands.months_since_go_live.max())
        ]
        at = bands.set_index("months_since_go_live")
        text += (
            " The median site: "
            + _names(
                [
                    f"{at.loc[m, 'median']:.0%} after {m} months "
                    f"(middle half {at.loc[m, 'p25']:.0%} to {at.loc[m, 'p75']:.0%})"
                    for m in milestones
                ]
            )
            + f". Sites reporting: {int(bands.sites.iloc[0]):,} at month {int(bands.months_since_go_live.iloc[0])}, "
            f"{int(bands.sites.iloc[-1]):,} at month {int(bands.months_since_go_live.iloc[-1])}."
        )
    table = bands.rename(
        columns={
            "months_since_go_live": "Months since go-live",
            "sites": "Sites reporting",
            "p10": "10th percentile",
            "p25": "25th percentile",
            "median": "Median",
            "p75": "75th percentile",
            "p90": "90th percentile",
        }
    )
    shares = ["10th percentile", "25th percentile", "Median", "75th percentile", "90th percentile"]
    table[shares] = table[shares] * 100
    return _figure(
        "Recruitment curves, aligned by months since go-live",
        chart,
        text,
        table,
        **{"Months since go-live": "count", "Sites reporting": "count", **dict.fromkeys(shares, "percent")},
    )


def returns_grid(grid: pd.DataFrame):
    """One row per site and one column per month: each return on time, late, missing, void or not yet due."""
    grid = grid.assign(
        letter=[
            ("R" if r else "") if s == "on time" else RETURN_LETTERS.get(s, "")
            for s, r in zip(grid.status.tolist(), grid.resubmitted.tolist(), strict=True)
        ],
        label=grid.status + grid.resubmitted.map({True: ", resubmitted", False: ""}),
        ink=grid.status.map(RETURN_INK).fillna("black"),
    )
    base = alt.Chart(grid).encode(
        x=alt.X("yearmonth(period_end):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=-60)),
        y=alt.Y(
            "site_name:N",
            title=None,
            sort="ascending",
            axis=alt.Axis(labelLimit=240, labelOverlap=False, labelFontSize=11),
        ),
    )
    # A cell per site and month is thousands of marks: screen readers get the description and the table.
    cells = base.mark_rect(stroke="white", strokeWidth=1, aria=False).encode(
        color=alt.Color(
            "status:N",
            title="Return",
            scale=alt.Scale(domain=list(RETURN_COLOURS), range=list(RETURN_COLOURS.values())),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("site_name:N"),
            alt.Tooltip("period_end:T", title="Month", format="%B %Y"),
            alt.Tooltip("due_on:T", title="Due", format="%-d %b %Y"),
            alt.Tooltip("label:N", title="Status"),
            alt.Tooltip("first_submitted_on:T", title="Sent", format="%-d %b %Y"),
        ],
    )
    letters = base.mark_text(fontSize=9, fontWeight="bold", aria=False).encode(
        text=alt.Text("letter:N"), color=alt.Color("ink:N", scale=None, legend=None)
    )
    chart = (cells + letters).properties(height=20 * grid.site_name.nunique() + 60)
    counts = grid.status.value_counts()
    missing = grid[grid.status == "missing"].site_name.value_counts().sort_index(kind="stable")
    missing = missing.sort_values(ascending=False, kind="stable")
    text = (
        f"Grid of monthly returns, one row per site ({plural(grid.site_name.nunique(), 'site', 'sites')}) and one "
        f"column per month, {_span(grid.period_end)}: "
        + ", ".join(f"{int(counts[s]):,} {s}" for s in RETURN_COLOURS if s in counts)
        + f"; {plural(int(grid.resubmitted.sum()), 'return', 'returns')} resubmitted."
    )
    if not missing.empty:
        text += " Most missing: " + _names([f"{name} ({n})" for name, n in missing.head(LISTED).items()]) + "."
    table = grid.sort_values(["site_name", "period_end"])[
        ["site_name", "period_end", "label", "due_on", "first_submitted_on"]
    ].rename(
        columns={
            "site_name": "Site",
            "period_end": "Month",
            "label": "Return",
            "due_on": "Due",
            "first_submitted_on": "Sent",
        }
    )
    return _figure("Returns by site and month", chart, text, table, Month="month", Due="date", Sent="date")
