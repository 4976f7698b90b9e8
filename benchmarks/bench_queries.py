"""Time the SQL each page runs (warm, median of repeated runs) on one or more databases.

Run: .venv/bin/python benchmarks/bench_queries.py [DB ...]   (default: the demo programme, built afresh)
A scaled database: .venv/bin/python -m tracker demo --sites 1000 --months 60 --db /tmp/1k.duckdb
Prints one table and writes benchmarks/results/queries.md. A first step of issue 6: it measures, it
does not yet cover page scripts, the floor page or the browser.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import demo, flags, queries  # noqa: E402
from tracker.store import DEMO_DATA, Store  # noqa: E402


def page_queries(as_of: dt.date, site: str) -> dict[str, list[tuple[str, dict]]]:
    """The queries each page runs for a default view, as the pages call them."""
    scope = {"as_of": as_of, "region": None, "cohort": None}
    before = {**scope, "as_of": flags.previous_month(as_of)}
    week = {**scope, "as_of": as_of - dt.timedelta(days=7)}
    return {
        "overview": [
            ("programme_headline", scope),
            ("programme_headline", before),
            ("returns_completeness", scope),
            ("programme_trend", scope),
        ],
        "compare": [
            ("site_comparison", scope),
            ("region_rollup", {"as_of": as_of, "cohort": None}),
            ("recruitment_curves", scope),
        ],
        "stalled": [
            ("site_flags", scope),
            ("site_flags", before),
            ("flag_notes", {"site_code": None}),
            ("site_status", scope),
            ("site_status", before),
        ],
        "site": [
            ("site_latest", scope),
            ("site_status", scope),
            ("site_flags", scope),
            ("flag_notes", {"site_code": site}),
            ("site_series", {"as_of": as_of, "site_code": site}),
            ("site_flag_history", {"as_of": as_of, "site_code": site}),
            ("return_versions", {"as_of": as_of, "site_code": site}),
            ("data_quality_warnings", {**scope, "site_code": site}),
        ],
        "returns": [
            ("returns_completeness", scope),
            ("data_quality_warnings", {**scope, "site_code": None}),
            ("load_log_recent", {"limit": 500}),
        ],
        "board": [
            ("programme_headline", scope),
            ("programme_headline", week),
            ("programme_headline", before),
            ("programme_trend", scope),
            ("behind_trajectory", {**scope, "limit": 10}),
            ("site_status", scope),
            ("site_status", week),
            ("site_flags", scope),
            ("returns_completeness", scope),
        ],
    }


def time_page(store: Store, calls: list[tuple[str, dict]], repeat: int = 5) -> float:
    with store.read() as con:
        for name, params in calls:  # warm
            queries.frame(con, name, **params)
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            for name, params in calls:
                queries.frame(con, name, **params)
            runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        if not paths:
            paths = [Path(tmp) / "demo.duckdb"]
            demo.build(paths[0], DEMO_DATA)
        header = "| database | sites | returns | " + " | ".join(page_queries(dt.date.today(), "x")) + " |"
        lines = [header, "|" + "---|" * (header.count("|") - 1)]
        for path in paths:
            store = Store(path)
            as_of = flags.default_as_of(store)
            with store.read() as con:
                sites, returns = con.execute(
                    "select (select count(*) from sites), (select count(*) from returns)"
                ).fetchone()
                site = con.execute("select min(site_code) from sites").fetchone()[0]
            cells = [f"{time_page(store, calls) * 1000:,.0f} ms" for calls in page_queries(as_of, site).values()]
            lines.append(f"| {path.name} | {sites:,} | {returns:,} | " + " | ".join(cells) + " |")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = "\n".join([f"Each page's SQL, all its queries together, warm, median of 5 runs ({machine}):", "", *lines])
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "queries.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
