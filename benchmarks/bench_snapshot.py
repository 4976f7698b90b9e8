"""Time the board-pack capture on the demo data: the board alone, and the three default pages.

Run: .venv/bin/python benchmarks/bench_snapshot.py [--repeat 3]
Each run is the whole command as a user runs it (new process, private server, Chromium, PDF).
Prints medians and writes benchmarks/results/snapshot.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import demo  # noqa: E402
from tracker.store import FileStore  # noqa: E402


def run(db: Path, pages: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tracker",
                "snapshot",
                "--as-of",
                "2010-11-30",
                "--pages",
                pages,
                "--out",
                out,
                "--db",
                str(db),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        demo.build(FileStore(db), demo.DEMO_DATA)
        rows = []
        for label, pages in (("board alone", "board"), ("board, compare, stalled", "board,compare,stalled")):
            times = [run(db, pages) for _ in range(args.repeat)]
            rows.append((label, statistics.median(times), min(times), max(times)))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"Board-pack capture on the demo data, as of 30 Nov 2010 ({args.repeat} runs each; {machine}):",
        "",
        "| pages | median | min | max |",
        "|---|---|---|---|",
        *(f"| {label} | {med:.1f} s | {lo:.1f} s | {hi:.1f} s |" for label, med, lo, hi in rows),
    ]
    text = "\n".join(lines)
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "snapshot.md").write_text(text + "\n")
    shutil.rmtree(Path(tmp), ignore_errors=True)


if __name__ == "__main__":
    main()
