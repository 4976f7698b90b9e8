"""The benchmark's own parts measure what they say: the floor page draws what a page drew, the month file supersedes."""

from __future__ import annotations

import json
import sys

from conftest import ROOT
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_scale
import machine


def test_the_floor_page_draws_the_census_of_a_page(tmp_path, monkeypatch):
    spec = {
        "p": [
            ["metric"],
            ["metric"],
            ["selectbox", 1200],
            ["multiselect", 7],
            ["number_input"],
            ["download_button"],
            ["chart", 250],
            ["table", 120, 6],
            ["text"],
        ]
    }
    path = tmp_path / "floor.json"
    path.write_text(json.dumps(spec))
    monkeypatch.setenv("FLOOR_SPEC", str(path))
    at = AppTest.from_file(str(ROOT / "benchmarks" / "floor_page.py"))
    at.query_params["page"] = "p"
    at.run()
    assert not at.exception
    drawn = bench_scale.census(at)
    assert sorted(map(tuple, drawn)) == sorted(map(tuple, spec["p"]))
    # Without ?page= it is a multipage app, each page at its own address as the dashboard's: the first at the root.
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps({"first": [["metric"], ["text"]], **spec}))
    monkeypatch.setenv("FLOOR_SPEC", str(pages))
    at = AppTest.from_file(str(ROOT / "benchmarks" / "floor_page.py"))
    at.run()
    assert not at.exception
    assert sorted(map(tuple, bench_scale.census(at))) == [("metric",), ("text",)]


def test_the_month_file_changes_every_sites_latest_return(store, tmp_path):
    data = bench_scale.latest_month_file(store)
    lines = data.decode().splitlines()
    # The fixture's latest month is March 2010: AAA, BBB and DDD sent one.
    assert [line.split(",")[0] for line in lines[1:]] == ["AAA", "BBB", "DDD"]
    result = bench_scale.ingest_bytes(store, "march.csv", data, user="tester", today=bench_scale.dt.date(2010, 12, 31))
    assert result.outcome == "accepted", result.problems
    assert len(result.superseded) == 3 and not result.new


def test_the_machine_probe_times_its_work_and_a_result_says_both_ends():
    before = machine.probe()
    assert before["python_ms"] > 0 and before["duckdb_ms"] > 0
    after = {**before, "duckdb_ms": before["duckdb_ms"] * 2}
    text = machine.speed(before, after)
    assert f"DuckDB {before['duckdb_ms']:.0f} and {after['duckdb_ms']:.0f} ms" in text
    assert "start and end" in text and "start of this run" in machine.speed(before)
