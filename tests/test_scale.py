"""Pages at scale: long tables come a page at a time, charts draw the spread rather than every site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import open_page, serve_copy, sql

from tracker.store import Store


@pytest.fixture
def scaled_copy(scaled_db: Path, tmp_path: Path, monkeypatch) -> Store:
    return serve_copy(scaled_db, tmp_path, monkeypatch)


def chart_specs(at) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


@pytest.mark.parametrize(
    "page", ["pages/overview.py", "pages/compare.py", "pages/stalled.py", "pages/site.py", "pages/returns.py"]
)
def test_every_page_runs_at_400_sites(scaled_copy, page):
    at = open_page(page)
    assert not at.exception, at.exception[0].message if at.exception else ""
    # a generated programme says so, and does not claim real PCTs
    assert any("generated programme" in i.value and "primary care trusts" not in i.value for i in at.info)


def test_compare_pages_the_table_and_draws_bands_not_400_lines(scaled_copy):
    at = open_page("pages/compare.py")
    table = at.dataframe[0].value
    assert len(table) == 200  # the first page of 400
    assert at.number_input(key="compare_page").max == 2
    at.number_input(key="compare_page").set_value(2).run()
    second = at.dataframe[0].value
    assert len(second) == 200 and set(second.site_name).isdisjoint(table.site_name)
    specs = chart_specs(at)
    assert len(specs) == 4
    assert any("p25" in s and "p75" in s for s in specs)  # the curve bands
    assert not any('"detail"' in s and "site_code" in s for s in specs)  # no line per site
    assert any("The 50 furthest behind of" in c.value for c in at.caption)  # not a bar for each of 400
    # each still says what it shows, with figures (issue 14): the heat map its fullest cell, the bands the median
    descriptions = [json.loads(s)["description"] for s in specs]
    assert any("The fullest cell holds" in d for d in descriptions)
    assert any("The median site: " in d for d in descriptions)


def test_compare_search_finds_one_site(scaled_copy):
    at = open_page("pages/compare.py")
    at.text_input(key="compare_find").input("S00123").run()
    assert at.dataframe[0].value.site_name.tolist() == ["Synthetic site 00123"]


def test_returns_grid_shows_one_page_of_sites_and_the_chase_list_pages(scaled_copy):
    at = open_page("pages/returns.py")
    pager = at.number_input(key="returns_grid_page")
    assert pager.max == -(-400 // 75)
    assert any("Sites 1–75 of 400." in c.value for c in at.caption)
    pager.set_value(6).run()
    assert any("Sites 376–400 of 400." in c.value for c in at.caption)
    missing = sql(scaled_copy, "returns_missing", as_of=_as_of(scaled_copy), region=None, cohort=None)
    assert any(f"**{len(missing):,}** missing returns" in m.value for m in at.markdown)


def _as_of(store: Store):
    from tracker.flags import default_as_of

    return default_as_of(store)


def test_headline_figures_fit_at_national_scale():
    from pages._shared import count_of, gbp_figure

    assert count_of("Sites live", 59, 64) == ("Sites live", "59 of 64")
    assert count_of("Sites live", 10_000, 10_000) == ("Sites live (of 10,000)", "10,000")
    assert gbp_figure(12_500) == "£12,500"
    assert gbp_figure(99_999_999) == "£99,999,999"
    assert gbp_figure(504_300_000) == "£504m"
    assert gbp_figure(5_041_636_100) == "£5.04bn"
