"""The machine a benchmark ran on: what it is, and how fast it was while the benchmark ran.

The machines these benchmarks run on are shared, and the same code has measured twice as slow from one
hour to the next (the CPU time of the same board capture doubled). A results file that records this probe
beside its figures says whether they were taken on a quiet spell or a busy one: compare a run's probe
with another run's before comparing their figures. The work never changes: a pure-Python loop and a
DuckDB aggregate over generated rows (no file, no cache), each the median of seven.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import duckdb

RUNS = 7
SQL = "select i % 1000 as k, sum(i), count(*) from range(3000000) as t(i) group by k order by k"


def describe() -> str:
    """The machine and the versions that matter, for a results table."""
    import streamlit

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Streamlit {streamlit.__version__}"
    )


def _python() -> None:
    total = 0
    for i in range(400_000):
        total += i * i % 7


def _median_ms(work) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def probe() -> dict:
    """The fixed work's times now (ms; lower is faster), and the 1-minute load average."""
    con = duckdb.connect()
    try:
        duck = _median_ms(lambda: con.execute(SQL).fetchall())
    finally:
        con.close()
    return {"python_ms": _median_ms(_python), "duckdb_ms": duck, "load": os.getloadavg()[0]}


def speed(before: dict, after: dict | None = None) -> str:
    """One sentence for a results file: the probe at the start of the run, and at its end once it has one."""
    probes = [before] if after is None else [before, after]
    when = "start" if after is None else "start and end"

    def each(key: str, form: str) -> str:
        return " and ".join(format(p[key], form) for p in probes)

    return (
        f"Machine speed at the {when} of this run (`benchmarks/machine.py`, a fixed piece of work; "
        f"lower is faster): Python {each('python_ms', '.0f')} ms, DuckDB {each('duckdb_ms', '.0f')} ms; "
        f"load average {each('load', '.1f')}."
    )


if __name__ == "__main__":
    print(probe())
