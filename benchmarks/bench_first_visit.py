"""The first visit after install: `streamlit run dashboard.py` on a fresh clone until the Overview is drawn.

    .venv/bin/python benchmarks/bench_first_visit.py             # 5 runs, about a minute
    .venv/bin/python benchmarks/bench_first_visit.py --runs 3

Each run copies the repository's tracked files (as a fresh clone has them: the demo's text files in
data/, no database, no __pycache__) to a new folder, starts `streamlit run dashboard.py` there as the
README says, and as soon as the server answers, opens http://127.0.0.1:PORT/ in headless Chromium (a
new browser profile: nothing cached) and waits until the Overview is drawn (tracker.browser: the
script finished, no skeleton left, every chart and table painted). Timed from the command's start.
The first visit builds data/tracker.duckdb from the shipped files; the demo build alone is timed too,
in this process, into a new file each run. Then the server is started again on the database it built and
its first visitor (a new profile) comes 10 s later, as after a restart overnight. By then a server of this
code has worked out the Overview (pages/_startup.py) and only runs the page's script from its caches, so
that visit is nearly all the browser's own share of a first visit (fetching, compiling and running
Streamlit's frontend, drawing the page), which no change to the server can take away. (Not timed just
after the first visit: the server is prefetching other regions then.)

Target (issue 13): the Overview drawn within 5 s, the median of the runs. Results go to
benchmarks/results/first_visit.md (and .json); the README quotes the latest.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import machine  # noqa: E402

from tracker import demo  # noqa: E402
from tracker.browser import CHROMIUM_ARGS, EXCEPTION, LocalServer, chromium_path, end, free_port, wait_rendered  # noqa: E402
from tracker.store import FileStore  # noqa: E402

TARGET_S = 5.0
RESTARTED_IDLE_S = 10.0  # a restarted server is up this long before its first visitor arrives
GIT = shutil.which("git") or "/usr/bin/git"


def fresh_clone(dest: Path, commit: str | None = None) -> Path:
    """The repository's tracked files as they are in the working tree (a clone of this code), nothing else;
    or, given ``commit``, as they were at that commit."""
    if commit:
        archive = subprocess.run([GIT, "-C", str(ROOT), "archive", commit], capture_output=True, check=True).stdout
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
        return dest
    listed = subprocess.run([GIT, "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree is not in the clone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    assert not (dest / "data" / "tracker.duckdb").exists()
    return dest


@contextlib.contextmanager
def serving(clone: Path):
    """`streamlit run dashboard.py` in ``clone`` (the default database); yields the server, its URL and the
    moment the command started (time.perf_counter) once it answers, and always stops it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}  # the default database
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        LocalServer(server, port, "the server", timeout_s=120).ready()
        yield server, url, started
    finally:
        end(server)


def first_visit(clone: Path, browser) -> dict:
    """Seconds from `streamlit run dashboard.py` to the server answering, and to the Overview drawn; then
    the Overview drawn for a new profile by the same server restarted, once it has been up a while."""
    with serving(clone) as (server, url, started):
        answered = time.perf_counter() - started
        context = browser.new_context(viewport={"width": 1400, "height": 900})  # a first visit: nothing cached
        page = context.new_page()
        page.goto(url)
        wait_rendered(page, timeout_ms=120_000)
        drawn = time.perf_counter() - started
        title = page.locator("h1").first.inner_text()
        failed = page.locator(EXCEPTION).count()
        context.close()
        cpu = server_cpu_s(server.pid)
    if failed or not (clone / "data" / "tracker.duckdb").exists():
        raise RuntimeError(f"the Overview was not drawn from a new demo database (exceptions: {failed})")
    with serving(clone) as (server, url, started):  # restarted, say overnight; the first visitor comes later
        time.sleep(RESTARTED_IDLE_S)
        after_restart = visit_drawn(browser, url)
    return {
        "server_answers_s": answered,
        "overview_drawn_s": drawn,
        "server_cpu_s": cpu,
        "after_restart_s": after_restart,
        "title": title,
    }


def visit_drawn(browser, url: str) -> float:
    """Seconds a new browser profile takes to draw the Overview from the server at ``url``, from the
    address opened."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    wait_rendered(page, timeout_ms=120_000)
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def server_cpu_s(pid: int) -> float:
    """CPU seconds the server process has used (user and system): its own work, whatever else the machine does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def load_average() -> str:
    """The machine's load averages over 1, 5 and 15 minutes (2 cores: above 2, work is queueing)."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def build_alone(tmp: Path, run: int) -> float:
    """Seconds to build the demo database from the shipped files into a new file (this process)."""
    started = time.perf_counter()
    demo.build(FileStore(tmp / f"build-{run}.duckdb"), demo.DEMO_DATA)
    return time.perf_counter() - started


def report(result: dict) -> str:
    drawn, build = result["overview_drawn_s"], result["build_s"]
    median = statistics.median(drawn)
    ratio = median / TARGET_S
    verdict = "met" if median <= TARGET_S else "**missed**"
    row = lambda label, xs: (  # noqa: E731
        f"| {label} | {statistics.median(xs):.2f} s | {min(xs):.2f} s | {max(xs):.2f} s |"
    )
    return "\n".join(
        [
            f"Measured {result['date']} on {result['machine']}; {len(drawn)} runs, each a fresh copy of the "
            "repository's files (no database), `streamlit run dashboard.py` to the Overview drawn in headless "
            "Chromium (a new profile each run). The machine is shared: load average "
            f"{result['load_before']} before the runs, {result['load_after']} after.",
            "",
            machine.speed(result["speed_before"], result["speed_after"]),
            "",
            "| from the command's start | median | min | max |",
            "|---|---:|---:|---:|",
            row("server answers (/_stcore/health)", result["server_answers_s"]),
            row("**Overview drawn** (demo database built on the way)", drawn),
            row("CPU time of the server process until then (user + system)", result["server_cpu_s"]),
            "",
            f"| the server restarted (database there), its first visitor {RESTARTED_IDLE_S:g} s later (a new "
            "profile): the server only runs the page from its caches | median | min | max |",
            "|---|---:|---:|---:|",
            row("address opened to the Overview drawn", result["after_restart_s"]),
            "",
            "| the demo build alone (in-process, a new file each run) | median | min | max |",
            "|---|---:|---:|---:|",
            row("`demo.build` from data/sites.csv and data/returns/*.csv", build),
            "",
            "| target | result | ratio | |",
            "|---|---:|---:|---|",
            f"| Overview drawn ≤ {TARGET_S:g} s after `streamlit run dashboard.py` starts | {median:.2f} s "
            f"| {ratio:.2f}× | {verdict} |",
            "",
            "A first visit here takes at least the server answering and that visit to a server with nothing left "
            f"to work out, together: {statistics.median(result['server_answers_s']):.2f} s + "
            f"{statistics.median(result['after_restart_s']):.2f} s (medians).",
            *baseline_lines(result),
        ]
    )


def baseline_lines(result: dict) -> list[str]:
    """The same first visit on the code at the baseline commit, measured in the same runs, if asked for."""
    before = result.get("baseline_drawn_s")
    if not before:
        return []
    paired = statistics.median(a / b for a, b in zip(result["overview_drawn_s"], before, strict=True))
    cpu = statistics.median(result["baseline_cpu_s"])
    restarted = statistics.median(
        a / b for a, b in zip(result["after_restart_s"], result["baseline_after_restart_s"], strict=True)
    )
    return [
        "",
        f"The same first visit on the code at {result['baseline']}, in the same runs (alternating): Overview drawn "
        f"after {statistics.median(before):.2f} s median (min {min(before):.2f}, max {max(before):.2f}), the server "
        f"using {cpu:.2f} s of CPU; now ÷ then, run by run: {paired:.2f}×.",
        "",
        f"After a restart, at {result['baseline']}: Overview drawn "
        f"{statistics.median(result['baseline_after_restart_s']):.2f} s after the address was opened (median); "
        f"now ÷ then, run by run: {restarted:.2f}×.",
    ]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="COMMIT", help="also time the first visit on the code at COMMIT")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "first_visit.md")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("take at least 3 runs: the median of fewer says little on a shared machine")
    result: dict = {
        "date": f"{dt.date.today():%-d %B %Y}",
        "machine": machine.describe(),
        "load_before": load_average(),
        "speed_before": machine.probe(),
        "server_answers_s": [],
        "overview_drawn_s": [],
        "server_cpu_s": [],
        "after_restart_s": [],
        "build_s": [],
        "baseline": args.baseline,
        "baseline_drawn_s": [],
        "baseline_cpu_s": [],
        "baseline_after_restart_s": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-first-visit-"))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for run in range(args.runs):  # each run: a first visit, then the build alone
                visit = first_visit(fresh_clone(tmp / f"clone-{run}"), browser)
                result["server_answers_s"].append(visit["server_answers_s"])
                result["overview_drawn_s"].append(visit["overview_drawn_s"])
                result["server_cpu_s"].append(visit["server_cpu_s"])
                result["after_restart_s"].append(visit["after_restart_s"])
                result["build_s"].append(build_alone(tmp, run))
                if args.baseline:
                    before = first_visit(fresh_clone(tmp / f"base-{run}", args.baseline), browser)
                    result["baseline_drawn_s"].append(before["overview_drawn_s"])
                    result["baseline_cpu_s"].append(before["server_cpu_s"])
                    result["baseline_after_restart_s"].append(before["after_restart_s"])
                    drawn, cpu = before["overview_drawn_s"], before["server_cpu_s"]
                    print(f"run {run + 1} at {args.baseline}: {drawn:.2f} s, CPU {cpu:.2f} s", file=sys.stderr)
                print(
                    f"run {run + 1}: server {visit['server_answers_s']:.2f} s, Overview drawn "
                    f"{visit['overview_drawn_s']:.2f} s ({visit['title']}), server CPU {visit['server_cpu_s']:.2f} s, "
                    f"after a restart {visit['after_restart_s']:.2f} s; "
                    f"build alone {result['build_s'][-1]:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["load_after"] = load_average()
    result["speed_after"] = machine.probe()
    text = report(result)
    print(text)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
