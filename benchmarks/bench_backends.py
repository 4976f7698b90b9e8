"""The DuckDB file and the shared DuckLake side by side in one run, and the file against the code before the lake.

    .venv/bin/python benchmarks/bench_backends.py                       # 70 and 10,000 sites, about 25 minutes
    .venv/bin/python benchmarks/bench_backends.py --sizes 70 --no-baseline --no-browser

Per programme size and backend: building the store from scratch; ingesting one month (every site's latest
return resubmitted with a change, so each row is validated, supersedes and is derived again); each page's
SQL (the queries the page runs with empty caches, recorded under AppTest, each replayed in a read of its
own as a page's cache misses take them; the median of 15 replays, taken in three rounds in turn with the
other backend and the code before the lake); the Overview drawn in Chromium for a date the
server has not drawn before (median of 3). The lake's catalog is in a private PostgreSQL server on this
machine (default settings, fsync on, unix socket), its data folder on the local disk.

Baseline: the same page SQL on the code at BASE_COMMIT (the file backend before the lake) on the DuckDB
installed here, with the one-line join fix that DuckDB 1.5 needs to build 10,000 sites in minutes (the
flag-log fill's `valid_until is null or ...` join, planned as a nested loop; see sql/macros/flags.sql).

Results go to benchmarks/results/backends.md (and .json); the README quotes the latest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

import bench_scale  # noqa: E402
from private_postgres import PrivatePostgres  # noqa: E402

from tracker import demo, flags, queries  # noqa: E402
from tracker.browser import CHROMIUM_ARGS, chromium_path, dashboard_server  # noqa: E402
from tracker.store import FileStore, Store, locate  # noqa: E402

GIT = shutil.which("git") or "/usr/bin/git"
BASE_COMMIT = "81e5245"  # the last commit before the shared store
BASE_JOIN = "and (f.valid_until is null or f.valid_until > se.evaluated_on)"
BASE_JOIN_FIXED = "and coalesce(f.valid_until, 'infinity'::date) > se.evaluated_on"
SIZES = {"70": (None, 34), "10000": (10_000, 60)}
TARGET_LAKE = {"70": 2.0, "10000": 1.5}  # lake SQL at most this many times the file's
TARGET_FILE = 1.10  # the file backend at most 10% slower than the code before the lake
ROUNDS, REPEAT = 3, 5  # page SQL: rounds taken in turn on each backend and the code before, replays a round


def build(store: Store, sites: int | None, months: int) -> float:
    """Seconds to build the programme into an empty store (generating it included, as bench_scale does)."""
    started = time.perf_counter()
    if sites is None:
        demo.build(store, demo.DEMO_DATA)
    else:
        programme, meta = demo.generate_scaled(sites, months)
        demo.build_generated(store, programme, meta)
    store.upgrade()
    return time.perf_counter() - started


def page_sql_runs(store: Store, calls: list[tuple[str, dict]], repeat: int) -> list[float]:
    """Seconds for each of ``repeat`` replays of a page's queries, each query in a read of its own."""

    def replay() -> None:
        for name, params in calls:
            with store.read() as con:
                queries.execute(con, name, **params).fetchall()

    replay()  # warm: the connection's first query, the operating system's file cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        replay()
        runs.append(time.perf_counter() - started)
    return runs


def overview_drawn(store: Store, warm: dt.date, dates: list[dt.date]) -> float:
    """Median seconds to draw the Overview in Chromium for dates the server has not drawn yet."""
    from playwright.sync_api import sync_playwright

    with dashboard_server(store) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        bench_scale.load(context, f"{url}/?as_of={warm.isoformat()}")  # the store opened, Streamlit's scripts cached
        times = [bench_scale.load(context, f"{url}/?as_of={d.isoformat()}")[0] for d in dates]
        browser.close()
    return statistics.median(times)


def baseline(tmp: Path, size: str, as_of: dt.date, site: str) -> dict:
    """Page SQL on the code at BASE_COMMIT, in a worktree of its own, on this DuckDB (its database kept)."""
    sites, months = SIZES[size]
    code = tmp / "base"
    if not code.exists():
        subprocess.run([GIT, "-C", str(ROOT), "worktree", "add", "--detach", str(code), BASE_COMMIT], check=True)
        flags_sql = code / "sql" / "macros" / "flags.sql"
        text = flags_sql.read_text()
        assert BASE_JOIN in text
        flags_sql.write_text(text.replace(BASE_JOIN, BASE_JOIN_FIXED))
    command = [sys.executable, str(ROOT / "benchmarks" / "baseline_page_sql.py"), str(code)]
    command += ["--db", str(tmp / f"base-{size}.duckdb"), "--repeat", str(REPEAT)]
    command += ["--as-of", as_of.isoformat(), "--site", site, "--months", str(months)]
    command += ["--sites", str(sites)] if sites else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    done = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(size: str, tmp: Path, postgres: PrivatePostgres, *, browser: bool, with_baseline: bool) -> dict:
    sites, months = SIZES[size]
    label = "demo 70 × 34" if sites is None else f"{sites:,} × {months}"
    print(f"measuring {label} …", file=sys.stderr, flush=True)
    file_store = FileStore(tmp / f"file-{size}.duckdb")
    lake_name, lake_data = f"lake_{size}", tmp / f"lake-{size}"
    lake_data.mkdir()
    os.environ["TRACKER_DATA_PATH"] = str(lake_data)
    lake = locate(postgres.lake(lake_name))
    result: dict = {"label": label, "file": {"build_s": build(file_store, sites, months)}}
    result["lake"] = {"build_s": build(lake, sites, months)}
    with file_store.read() as con:
        result["sites"], result["returns"] = con.execute(
            "select (select count(*) from sites), (select count(*) from returns)"
        ).fetchone()
        site = con.execute("select min(site_code) from sites").fetchone()[0]
    as_of = flags.default_as_of(file_store)
    os.environ["TRACKER_DB"] = file_store.locator  # record the SQL the pages run (the same on both backends)
    calls = {name: bench_scale.record_sql(page, as_of, site)[0] for name, (page, _) in bench_scale.PAGES.items()}
    # Rounds in turn (file, lake, the code before), so that the machine's ups and downs fall on all three.
    runs: dict[str, dict[str, list[float]]] = {name: {"file": [], "lake": [], "baseline": []} for name in calls}
    for _ in range(ROUNDS):
        for name, page_calls in calls.items():
            runs[name]["file"] += page_sql_runs(file_store, page_calls, REPEAT)
            runs[name]["lake"] += page_sql_runs(lake, page_calls, REPEAT)
        if with_baseline:
            base = baseline(tmp, size, as_of, site)
            result["baseline_build_s"] = result.get("baseline_build_s") or base["build_s"]
            for name, entry in base["pages"].items():
                runs[name]["baseline"] += entry["runs"]
                runs[name]["baseline_queries"] = entry["queries"]
    result["pages"] = {
        name: {
            "queries": len(calls[name]),
            "file_s": statistics.median(r["file"]),
            "lake_s": statistics.median(r["lake"]),
            **(
                {"baseline_s": statistics.median(r["baseline"]), "baseline_queries": r["baseline_queries"]}
                if r["baseline"]
                else {}
            ),
        }
        for name, r in runs.items()
    }
    if browser:
        warm, dates = as_of, [as_of - dt.timedelta(days=30 * k) for k in (1, 2, 3)]
        result["file"]["overview_s"] = overview_drawn(file_store, warm, dates)
        result["lake"]["overview_s"] = overview_drawn(lake, warm, dates)
    data = bench_scale.latest_month_file(file_store)
    result["ingest_rows"] = data.count(b"\n") - 1

    def file_copy(i: int) -> Store:
        copy = tmp / f"file-{size}-ingest-{i}.duckdb"
        shutil.copy(file_store.path, copy)
        return FileStore(copy)

    def lake_copy(i: int) -> Store:
        copy_data = tmp / f"lake-{size}-ingest-{i}"
        locator = postgres.clone_lake(lake_name, lake_data, f"{lake_name}_ingest_{i}", copy_data)
        os.environ["TRACKER_DATA_PATH"] = str(copy_data)
        return locate(locator)

    result["file"]["ingest_s"] = bench_scale.ingest_time(file_copy, data)
    lake.close()  # a template database may have no sessions
    result["lake"]["ingest_s"] = bench_scale.ingest_time(lake_copy, data)
    return result


def ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:,.0f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(results: list[dict], machine: str) -> str:
    lines = [
        f"Measured {dt.date.today():%-d %B %Y} on {machine}. Medians. The lake's catalog: PostgreSQL "
        f"{results[0].get('postgres', '')} on this machine (unix socket, default settings); its data folder on "
        "the local disk.",
        "",
        "| programme | backend | build from scratch | ingest one month (rows) | Overview drawn in Chromium |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        for backend in ("file", "lake"):
            b = r[backend]
            lines.append(
                f"| {r['label']} | {backend} | {b['build_s']:.1f} s | {b['ingest_s']:.2f} s ({r['ingest_rows']:,}) "
                f"| {ms(b.get('overview_s'))} |"
            )
    lines += [
        "",
        f"Each page's SQL, each query in a read of its own. *Before* is the code at {BASE_COMMIT}, the file "
        "backend before the lake, on the same DuckDB.",
        "",
        "| programme | page | queries | file before | file | ÷ before | lake | lake ÷ file |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for name, p in r["pages"].items():
            before = p.get("baseline_s")
            lines.append(
                f"| {r['label']} | {name} | {p['queries']} | {ms(before)} | {ms(p['file_s'])} | "
                f"{'–' if before is None else format(p['file_s'] / before, '.2f') + '×'} | {ms(p['lake_s'])} | "
                f"{p['lake_s'] / p['file_s']:.2f}× |"
            )
    lines += ["", "| target | result | |", "|---|---|---|"]
    for r in results:
        size = "70" if r["sites"] <= 70 else "10000"
        worst = max(r["pages"].items(), key=lambda kv: kv[1]["lake_s"] / kv[1]["file_s"])
        ratio = worst[1]["lake_s"] / worst[1]["file_s"]
        lines.append(
            f"| {r['label']}: each page's SQL on the lake within {TARGET_LAKE[size]:g}× the file's | "
            f"worst {worst[0]} {ratio:.2f}× | {verdict(ratio <= TARGET_LAKE[size])} |"
        )
        if all("baseline_s" in p for p in r["pages"].values()):
            worst = max(r["pages"].items(), key=lambda kv: kv[1]["file_s"] / kv[1]["baseline_s"])
            ratio = worst[1]["file_s"] / worst[1]["baseline_s"]
            lines.append(
                f"| {r['label']}: the file backend no slower than before the lake (10% at most) | "
                f"worst {worst[0]} {ratio:.2f}× | {verdict(ratio <= TARGET_FILE)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="70,10000", help="comma-separated: 70 (the demo), 10000")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    parser.add_argument("--no-baseline", action="store_true", help="skip the code before the lake")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "backends.md")
    args = parser.parse_args()
    machine = bench_scale.describe_machine()
    results = []
    postgres = PrivatePostgres(durable=True).start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    try:
        for size in args.sizes.split(","):
            result = measure(
                size.strip(), tmp, postgres, browser=not args.no_browser, with_baseline=not args.no_baseline
            )
            result["postgres"] = postgres.bin.parent.name
            results.append(result)
            text = report(results, machine)
            print(text)
            args.out.parent.mkdir(exist_ok=True)
            args.out.write_text(text + "\n")
            args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    finally:
        postgres.remove()
        if (tmp / "base").exists():
            subprocess.run([GIT, "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "base")], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
