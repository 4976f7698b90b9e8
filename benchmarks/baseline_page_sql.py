"""Each page's SQL on the code of another commit (the file backend before the shared store), for
bench_backends.py to compare with today's: run with that commit's checkout as CODE, on the DuckDB installed here.

    python benchmarks/baseline_page_sql.py CODE --sites 10000 --months 60 --as-of 2012-03-31 --site X

Prints one line of JSON: the build time (when it built the database at --db) and, for each page, its
queries and the seconds each of --repeat replays took, each query in a read of its own as the page's
cache misses take them. The commit's own API is used (``Store(path)``, ``demo.build(path, ...)``), so
nothing of today's code is imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

PAGES = ("overview", "compare", "stalled", "site", "returns", "board")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("code", type=Path)
    parser.add_argument("--sites", type=int, default=None, help="a scaled programme (default: the demo)")
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, required=True, help="the commit's database (built here if missing)")
    args = parser.parse_args()
    code = args.code.resolve()
    sys.path[:0] = [str(code), str(code / "benchmarks")]
    os.chdir(code)
    import bench_scale  # the commit's own

    from tracker import demo, queries
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
    pages = {}
    for page in PAGES:
        calls, _ = bench_scale.record_sql(f"pages/{page}.py", as_of, args.site)

        def replay(calls=calls):
            for name, params in calls:
                with store.read() as con:
                    queries.execute(con, name, **params).fetchall()

        replay()
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            replay()
            runs.append(time.perf_counter() - t0)
        pages[page] = {"queries": len(calls), "runs": runs}
    print(json.dumps({"build_s": built, "pages": pages}))


if __name__ == "__main__":
    main()
