"""Every chart the pages draw is valid Vega-Lite, and draw() sends exactly Altair's validated spec (issue 13).

draw() skips Altair's JSON-schema validation on each draw (a sixth of a page's script time), so it is done
here instead: every chart of every page, drawn on real data (the demo programme, and a generated one of
400 sites for the charts that replace one mark per site at scale), must pass ``to_dict(validate=True)``
and give the very spec and data frames that draw() sent to Streamlit.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from conftest import open_page, serve_copy, sql

from pages import _charts as charts

# page, its address's query, and the charts it draws there
DEMO_PAGES = [
    ("pages/overview.py", {"as_of": "2010-11-30"}, 3),
    ("pages/overview.py", {"as_of": "2012-12-21", "region": "London"}, 3),
    ("pages/compare.py", {"as_of": "2010-11-30"}, 4),
    ("pages/site.py", {"as_of": "2010-11-30", "site": "5QM"}, 4),
    ("pages/returns.py", {"as_of": "2010-11-30"}, 1),
    ("pages/board.py", {"as_of": "2010-11-30"}, 1),
]
SCALED_PAGES = [("pages/compare.py", {}, 4)]
EVERY_CHART = {
    "People recruited against the programme target",
    "People with a budget, by type",
    "Spend reported each month (the latest fills as returns arrive)",
    "Spend by month",
    "Progress against trajectory",
    "Infrastructure spend and people with a budget",  # the scatter plot, and the heat map at scale
    "Regions",
    "Recruitment curves, aligned by months since go-live",  # the lines, and the bands at scale
    "Recruitment against trajectory",
    "Flag history",
    "Returns by site and month",
}


def drawn(monkeypatch, page: str, query: dict[str, str]) -> list[tuple[charts.Figure, dict]]:
    """Each figure a page drew, with the spec draw() sent for it (each wrapper records only its own page)."""
    seen = []
    vega_lite = charts.vega_lite

    def recording(chart):
        spec = vega_lite(chart)
        seen.append({**copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"}), "datasets": spec["datasets"]})
        return spec

    figures = []
    draw = charts.draw

    def recording_draw(fig, *args, **kwargs):
        figures.append(fig)
        return draw(fig, *args, **kwargs)

    monkeypatch.setattr(charts, "vega_lite", recording)
    monkeypatch.setattr(charts, "draw", recording_draw)
    at = open_page(page, **query)
    figures.clear(), seen.clear()  # the entry point drew the Overview first: only this page's run counts
    at.run()
    assert not at.exception, at.exception[0].message if at.exception else ""
    assert len(at.get("vega_lite_chart")) == len(figures) == len(seen)
    return list(zip(figures, seen, strict=True))


def validated(chart) -> tuple[dict, dict[str, bytes]]:
    """Altair's own spec of the chart, validated against Vega-Lite's schema (SchemaValidationError if not),
    with each data frame as a named dataset, as st.altair_chart converts it."""
    frames: dict[str, bytes] = {}

    def named(data):  # as st.altair_chart's own data transformer does
        name, arrow = charts.arrow_dataset(data)
        frames.setdefault(name, arrow)
        return {"name": name}

    alt.data_transformers.register("test_named", named)
    with alt.data_transformers.enable("test_named"):
        spec = chart.to_dict(validate=True)
    return spec, frames


def check(pairs: list[tuple[charts.Figure, dict]]) -> set[str]:
    for fig, sent in pairs:
        spec, frames = validated(fig.chart)
        sent = dict(sent)
        datasets = sent.pop("datasets")
        assert sent == {k: v for k, v in spec.items() if k != "datasets"}, fig.name
        assert datasets == frames, fig.name
        assert list(datasets) == list(frames), fig.name  # in the same order
        assert spec["description"] == fig.description
    return {fig.name for fig, _ in pairs}


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path, monkeypatch):
    return serve_copy(demo_db, tmp_path, monkeypatch)


def test_every_chart_is_valid_vega_lite_and_drawn_as_altair_would(demo_copy, scaled_db, tmp_path, monkeypatch):
    names = set()
    for page, query, count in DEMO_PAGES:
        pairs = drawn(monkeypatch, page, query)
        assert len(pairs) == count, page
        names |= check(pairs)
    serve_copy(scaled_db, tmp_path, monkeypatch)
    for page, query, count in SCALED_PAGES:
        pairs = drawn(monkeypatch, page, query)
        assert len(pairs) == count, page
        kinds = {spec.get("mark", {}).get("type") for _, spec in pairs}
        assert "rect" in kinds, "the heat map is drawn at scale"
        names |= check(pairs)
    assert names == EVERY_CHART


def test_a_chart_that_breaks_the_schema_is_caught():
    bad = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x=alt.X("x:Q", title=3))  # a title is text
    charts.vega_lite(bad)  # draw() does not validate ...
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        validated(bad)  # ... the test above does


@pytest.mark.parametrize(
    ("query", "id_column", "values"),
    [
        ("programme_trend", "month_end", charts.LINES),
        ("programme_trend", "month_end", charts.BUDGET_TYPES),
        ("programme_trend", "month_end", charts.SPEND),
        ("region_rollup", "region", charts.REGION_STATUSES),
    ],
)
@pytest.mark.parametrize("as_of", [dt.date(2010, 11, 30), dt.date(2009, 1, 31)], ids=["nov-2010", "before-start"])
def test_long_is_melt(demo_copy, query, id_column, values, as_of):
    params = {"as_of": as_of, "cohort": None} | ({"region": None} if query == "programme_trend" else {})
    df = sql(demo_copy, query, **params)
    melted = df.melt(id_vars=id_column, value_vars=list(values), var_name="var", value_name="value")
    melted["var"] = melted["var"].map(values)
    pd.testing.assert_frame_equal(charts._long(df, id_column, values, "var", "value"), melted)
