"""Time the board-pack capture on the demo data: the board alone, and the three default pages.

Run: .venv/bin/python benchmarks/bench_snapshot.py [--repeat 3] [--db demo.duckdb] [--tabs]
Each run is the whole command as a user runs it (new process, private server, Chromium, PDF), timed
from start to exit. The runs of the two packs alternate, so a busy spell on the machine falls on
both. Prints medians against issue 13's targets and writes benchmarks/results/snapshot.md.
``--tabs`` also times the three-page pack with 1, 2 and 3 pages loading at once (PARALLEL_TABS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import machine  # noqa: E402

from tracker import demo  # noqa: E402
from tracker.store import FileStore  # noqa: E402

TARGETS = {"board alone": ("board", 5.0), "board, compare, stalled": ("board,compare,stalled", 10.0)}


def run(db: Path, pages: str, tabs: int | None = None) -> tuple[float, float, float]:
    """Seconds from start to exit, CPU seconds of the command and everything it started, load average."""
    args = ["snapshot", "--as-of", "2010-11-30", "--pages", pages, "--out", "OUT", "--db", str(db)]
    with tempfile.TemporaryDirectory() as out:
        args[args.index("OUT")] = out
        if tabs is None:
            command = [sys.executable, "-m", "tracker", *args]
        else:  # the same command with another number of tabs at once
            command = [
                sys.executable,
                "-c",
                f"import sys; from tracker import snapshot, cli; snapshot.PARALLEL_TABS = {tabs}; "
                f"sys.exit(cli.main({args!r}))",
            ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, os.getloadavg()[0]


def verdict(measured: float, target: float) -> str:
    met = "met" if measured <= target else "missed"
    return f"{met} ({measured / target:.2f}× the target)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="a demo database built already (default: build one)")
    parser.add_argument("--tabs", action="store_true", help="also time the pack with 1, 2 and 3 tabs at once")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be 3 or more: the figures are medians of at least three runs")
    speed_before = machine.probe()
    tmp = Path(tempfile.mkdtemp())
    try:
        db = args.db
        if db is None:
            db = tmp / "demo.duckdb"
            demo.build(FileStore(db), demo.DEMO_DATA)
        runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in TARGETS}
        tab_runs: dict[int, list[tuple[float, float, float]]] = {n: [] for n in (1, 2, 3)} if args.tabs else {}
        for _ in range(args.repeat):
            for label, (pages, _target) in TARGETS.items():
                runs[label].append(run(db, pages))
            for tabs, times in tab_runs.items():
                times.append(run(db, TARGETS["board, compare, stalled"][0], tabs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    speed_after = machine.probe()

    def row(label: str, times: list[tuple[float, float, float]], target: float | None) -> str:
        seconds = [t[0] for t in times]
        loads = [t[2] for t in times]
        cells = [
            label,
            f"{statistics.median(seconds):.1f} s",
            f"{min(seconds):.1f}–{max(seconds):.1f} s",
            f"{statistics.median(t[1] for t in times):.1f} s",
            f"{min(loads):.1f}–{max(loads):.1f}",
        ]
        if target is not None:
            cells += [f"≤ {target:.0f} s", verdict(statistics.median(seconds), target)]
        return "| " + " | ".join(cells) + " |"

    lines = [
        f"Board-pack capture on the demo data, as of 30 Nov 2010: the whole command, start to exit "
        f"({args.repeat} runs each, alternating; {dt.date.today():%-d %b %Y}).",
        "",
        f"Machine: {machine.describe()}.",
        "",
        machine.speed(speed_before, speed_after),
        "",
        "| pages | median | range | CPU (median) | load average | target | verdict (measured ÷ target) |",
        "|---|---|---|---|---|---|---|",
        *(row(label, runs[label], target) for label, (_pages, target) in TARGETS.items()),
        "",
        "CPU is the command's and everything it started (server, Chromium, Playwright): on 2 cores the",
        "run cannot be shorter than half of it. The load average is the machine's 1-minute figure at the",
        "end of each run; above 2 on 2 cores, other work was competing for them.",
    ]
    if tab_runs:
        lines += [
            "",
            "The three-page pack by pages loading at once (PARALLEL_TABS), same runs' spells:",
            "",
            "| tabs at once | median | range | CPU (median) | load average |",
            "|---|---|---|---|---|",
            *(row(str(tabs), times, None) for tabs, times in tab_runs.items()),
        ]
    text = "\n".join(lines)
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "snapshot.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
