"""The DuckDB file and the shared DuckLake side by side in one run, and the file against the code before the lake.

    .venv/bin/python benchmarks/bench_backends.py                       # 70 and 10,000 sites, about 25 minutes
    .venv/bin/python benchmarks/bench_backends.py --sizes 70 --no-baseline --no-browser

Per programme size and backend: building the store from scratch; ingesting one month (every site's latest
return resubmitted with a change, so each row is validated, supersedes and is derived again); each page's
SQL (the queries the page runs with empty caches, recorded under AppTest, each replayed in a read of its
own as a page's cache misses take them; the median of 25 replays, each page taken in turn on the file, the
lake and the code before the lake); the Overview drawn in Chromium for a date the
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
import machine  # noqa: E402
from private_postgres import PrivatePostgres  # noqa: E402

from tracker import demo, flags  # noqa: E402
from tracker.browser import CHROMIUM_ARGS, chromium_path, dashboard_server  # noqa: E402
from tracker.ingest import ingest_bytes  # noqa: E402
from tracker.store import FileStore, Store, locate  # noqa: E402

GIT = shutil.which("git") or "/usr/bin/git"
BASE_COMMIT = "81e5245"  # the last commit before the shared store
BASE_JOIN = "and (f.valid_until is null or f.valid_until > se.evaluated_on)"
BASE_JOIN_FIXED = "and coalesce(f.valid_until, 'infinity'::date) > se.evaluated_on"
SIZES = {"70": (None, 34), "10000": (10_000, 60)}
TARGET_LAKE = {"70": 2.0, "10000": 1.5}  # lake SQL at most this many times the file's
TARGET_FILE = 1.10  # the file backend at most 10% slower than the code before the lake
REPEAT = 25  # page SQL: replays of each page on each side, interleaved
INGESTS = 5  # ingests of one month on each side, interleaved


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


def replay(store: Store, calls: list[bench_scale.Call]) -> float:
    """Seconds to run a page's queries once, each in a read of its own, as the page runs them (bench_scale.replay)."""
    started = time.perf_counter()
    bench_scale.replay(store, calls)
    return time.perf_counter() - started


def ingest_once(store: Store, data: bytes) -> float:
    """Seconds to ingest ``data`` (every row a changed resubmission) into a fresh copy of the programme."""
    started = time.perf_counter()
    result = ingest_bytes(store, "latest_month_resubmitted.csv", data, user="benchmark")
    elapsed = time.perf_counter() - started
    assert result.outcome == "accepted" and len(result.superseded) == result.rows, result.problems[:3]
    store.close()
    return elapsed


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


class Baseline:
    """The code at BASE_COMMIT in a worktree of its own, on this DuckDB: a worker answering one timing at a time."""

    def __init__(self, tmp: Path, size: str, as_of: dt.date, site: str):
        sites, months = SIZES[size]
        code = tmp / "base"
        if not code.exists():
            subprocess.run([GIT, "-C", str(ROOT), "worktree", "add", "--detach", str(code), BASE_COMMIT], check=True)
            flags_sql = code / "sql" / "macros" / "flags.sql"
            text = flags_sql.read_text()
            assert BASE_JOIN in text
            flags_sql.write_text(text.replace(BASE_JOIN, BASE_JOIN_FIXED))
        command = [sys.executable, str(ROOT / "benchmarks" / "baseline_page_sql.py"), str(code)]
        command += ["--db", str(tmp / f"base-{size}.duckdb"), "--as-of", as_of.isoformat(), "--site", site]
        command += ["--months", str(months)] + (["--sites", str(sites)] if sites else [])
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        self.worker = subprocess.Popen(
            command,
            cwd=code,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.ready = json.loads(self.worker.stdout.readline())

    def ask(self, request: str) -> float:
        self.worker.stdin.write(request + "\n")
        self.worker.stdin.flush()
        return float(self.worker.stdout.readline())

    def close(self) -> None:
        self.worker.stdin.close()
        self.worker.wait(timeout=60)


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
            "select (select count(distinct site_code) from site_versions), (select count(*) from returns)"
        ).fetchone()
        site = con.execute("select min(site_code) from site_versions").fetchone()[0]
    as_of = flags.default_as_of(file_store)
    os.environ["TRACKER_DB"] = file_store.locator  # record the SQL the pages run (the same on both backends)
    calls = {name: bench_scale.record_sql(page, as_of, site)[0] for name, (page, _) in bench_scale.PAGES.items()}
    base = Baseline(tmp, size, as_of, site) if with_baseline else None
    if base:
        result["baseline"] = {"build_s": base.ready["build_s"]}
    timers = {"file": lambda name: replay(file_store, calls[name]), "lake": lambda name: replay(lake, calls[name])}
    if base:
        timers["baseline"] = base.ask
    for name in calls:  # warm: each connection's first query, the operating system's file cache
        for timer in timers.values():
            timer(name)
    # Interleaved, each page in turn on each side (the order rotating), so that the machine's ups and
    # downs fall on all of them alike.
    runs = {name: {side: [] for side in timers} for name in calls}
    for rep in range(REPEAT):
        for name in calls:
            sides = list(timers)
            for side in sides[rep % len(sides) :] + sides[: rep % len(sides)]:
                runs[name][side].append(timers[side](name))
    result["pages"] = {
        name: {
            "queries": len(calls[name]),
            **{f"{side}_s": statistics.median(r[side]) for side in timers},
            # Each replay's ratio to its neighbour in time on the other side: robust to the machine's drift.
            **{
                f"{side}_paired": statistics.median(a / b for a, b in zip(r[side], r[other], strict=True))
                for side, other in (("lake", "file"), ("file", "baseline"))
                if other in r
            },
        }
        for name, r in runs.items()
    }
    if base:
        for name, count in base.ready["queries"].items():
            result["pages"][name]["baseline_queries"] = count
    if browser:
        warm, dates = as_of, [as_of - dt.timedelta(days=30 * k) for k in (1, 2, 3)]
        result["file"]["overview_s"] = overview_drawn(file_store, warm, dates)
        result["lake"]["overview_s"] = overview_drawn(lake, warm, dates)
    data = bench_scale.latest_month_file(file_store)
    result["ingest_rows"] = data.count(b"\n") - 1
    (tmp / "month.csv").write_bytes(data)
    lake.close()  # a template database may have no sessions
    ingests: dict[str, list[float]] = {"file": [], "lake": [], "baseline": []}
    for i in range(INGESTS):
        shutil.copy(file_store.path, tmp / f"file-{size}-ingest-{i}.duckdb")
        ingests["file"].append(ingest_once(FileStore(tmp / f"file-{size}-ingest-{i}.duckdb"), data))
        copy_data = tmp / f"lake-{size}-ingest-{i}"
        locator = postgres.clone_lake(lake_name, lake_data, f"{lake_name}_ingest_{i}", copy_data)
        os.environ["TRACKER_DATA_PATH"] = str(copy_data)
        ingests["lake"].append(ingest_once(locate(locator), data))
        if base:
            ingests["baseline"].append(base.ask(f"ingest {tmp / 'month.csv'}"))
    for side, times in ingests.items():
        if times:
            result.setdefault(side, {})["ingest_s"] = statistics.median(times)
    if ingests["baseline"]:
        pairs = zip(ingests["file"], ingests["baseline"], strict=True)
        result["file"]["ingest_paired"] = statistics.median(a / b for a, b in pairs)
    if base:
        base.close()
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
        for backend, name in (("baseline", "file, before the lake"), ("file", "file"), ("lake", "lake")):
            b = r.get(backend)
            if not b:
                continue
            build = "–" if b.get("build_s") is None else f"{b['build_s']:.1f} s"
            lines.append(
                f"| {r['label']} | {name} | {build} | {b['ingest_s']:.2f} s ({r['ingest_rows']:,}) "
                f"| {ms(b.get('overview_s'))} |"
            )
    lines += [
        "",
        f"Each page's SQL, each query in a read of its own: medians of {REPEAT} replays. *Before* is the code "
        f"at {BASE_COMMIT}, the file backend before the lake, on the same DuckDB. Ratios are the median of each "
        "replay's ratio to the one beside it in time (the machine's load drifts; neighbours share it).",
        "",
        "| programme | page | queries | file before | file | ÷ before | lake | lake ÷ file |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for name, p in r["pages"].items():
            before = p.get("baseline_s")
            lines.append(
                f"| {r['label']} | {name} | {p['queries']} | {ms(before)} | {ms(p['file_s'])} | "
                f"{'–' if before is None else format(p['file_paired'], '.2f') + '×'} | {ms(p['lake_s'])} | "
                f"{p['lake_paired']:.2f}× |"
            )
    lines += ["", "| target | result | |", "|---|---|---|"]
    for r in results:
        size = "70" if r["sites"] <= 70 else "10000"
        worst = max(r["pages"].items(), key=lambda kv: kv[1]["lake_paired"])
        ratio = worst[1]["lake_paired"]
        lines.append(
            f"| {r['label']}: each page's SQL on the lake within {TARGET_LAKE[size]:g}× the file's | "
            f"worst {worst[0]} {ratio:.2f}× | {verdict(ratio <= TARGET_LAKE[size])} |"
        )
        if r.get("baseline"):
            ratio = r["file"]["ingest_paired"]
            lines.append(
                f"| {r['label']}: ingest of one month on the file no slower than before the lake (10% at most) | "
                f"{ratio:.2f}× | {verdict(ratio <= TARGET_FILE)} |"
            )
        if all("baseline_s" in p for p in r["pages"].values()):
            worst = max(r["pages"].items(), key=lambda kv: kv[1]["file_paired"])
            ratio = worst[1]["file_paired"]
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
    machine_name = machine.describe()
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
            text = report(results, machine_name)
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
