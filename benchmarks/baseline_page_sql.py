"""Each page's SQL, and the ingest of one month, on the code of another commit (the file backend before the
shared store): a worker that bench_backends.py drives, so that its timings interleave with today's.

    python benchmarks/baseline_page_sql.py CODE --db PATH --as-of 2012-03-31 --site X [--sites 10000 --months 60]

Run with that commit's checkout as CODE, on the DuckDB installed here. It builds the commit's database at
--db if missing, records each page's queries, and prints one line of JSON (the build time, each page's
query count). Then, for each line read from stdin, it answers with one line: a page name replays that
page's queries once (each query in a read of its own, as the page's cache misses take them) and gives
the seconds; ``ingest FILE`` loads FILE into a fresh copy of the database and gives the seconds. The
commit's own API is used (``Store(path)``, ``demo.build(path, ...)``): nothing of today's code is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

PAGES = ("overview", "compare", "stalled", "site", "returns", "board")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("code", type=Path)
    parser.add_argument("--db", type=Path, required=True, help="the commit's database (built here if missing)")
    parser.add_argument("--sites", type=int, default=None, help="a scaled programme (default: the demo)")
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--site", required=True)
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path[:0] = [str(code), str(code / "benchmarks")]
    os.chdir(code)
    answer = sys.stdout
    sys.stdout = sys.stderr  # only the answers go to stdout
    import bench_scale  # the commit's own

    from tracker import demo, queries
    from tracker.ingest import ingest_bytes
    from tracker.store import DEMO_DATA, Store

    os.environ["TRACKER_DB"] = str(args.db)
    built = None
    if not args.db.exists():
        started = time.perf_counter()
        if args.sites is None:
            demo.build(args.db, DEMO_DATA)
        else:
            programme, meta = demo.generate_scaled(args.sites, args.months)
            demo.build_generated(args.db, programme, meta)
        built = time.perf_counter() - started
    store = Store(args.db)
    as_of = dt.date.fromisoformat(args.as_of)
    calls = {page: bench_scale.record_sql(f"pages/{page}.py", as_of, args.site)[0] for page in PAGES}

    def replay(page: str) -> float:
        started = time.perf_counter()
        for name, params in calls[page]:
            with store.read() as con:
                queries.execute(con, name, **params).df()  # as the pages take them
        return time.perf_counter() - started

    def ingest(file: str) -> float:
        copy = args.db.with_name(f"{args.db.stem}-ingest.duckdb")
        shutil.copy(args.db, copy)
        started = time.perf_counter()
        result = ingest_bytes(Store(copy), "latest_month_resubmitted.csv", Path(file).read_bytes(), user="benchmark")
        elapsed = time.perf_counter() - started
        assert result.outcome == "accepted", result.problems[:3]
        for leftover in copy.parent.glob(f"{copy.name}*"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        return elapsed

    for page in PAGES:
        replay(page)  # warm, as today's code is
    print(json.dumps({"build_s": built, "queries": {p: len(c) for p, c in calls.items()}}), file=answer, flush=True)
    for line in sys.stdin:
        request = line.split()
        seconds = ingest(request[1]) if request[0] == "ingest" else replay(request[0])
        print(seconds, file=answer, flush=True)


if __name__ == "__main__":
    main()
