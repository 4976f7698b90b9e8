"""Reliability figures for the README: kill points tried, fuzzed files loaded, with their outcomes.

Run: .venv/bin/python benchmarks/reliability.py [--kills 40] [--files 2000]
Writes benchmarks/results/reliability.md. (Concurrent readers: tests/test_concurrency.py prints its own.)
"""

from __future__ import annotations

import argparse
import calendar
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import openpyxl  # noqa: E402
from conftest import DATA, HEADER  # noqa: E402
from test_fuzz import NASTY_CELLS  # noqa: E402

from tracker.ingest import ingest_bytes  # noqa: E402
from tracker.integrity import check  # noqa: E402
from tracker.register import load_register  # noqa: E402
from tracker.store import FileStore, Store  # noqa: E402


def fresh_store(folder: Path) -> Store:
    store = FileStore(folder / "r.duckdb")
    load_register(store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="bench")
    return store


def kills(folder: Path, count: int) -> tuple[int, int]:
    store = fresh_store(folder)
    files = []
    for i in range(34):  # Jan 2010 to Oct 2012, the programme's last month
        year, month = 2010 + i // 12, i % 12 + 1
        day = calendar.monthrange(year, month)[1]
        path = folder / f"m{i:02d}.csv"
        path.write_text(
            f"{HEADER}\nAAA,{year}-{month:02d}-{day},{i + 2},{i},{i},{i},0,0,{i},500,,\n"
            f"BBB,{year}-{month:02d}-{day},{i + 1},{i},0,0,0,0,0,300,,\n"
        )
        files.append(str(path))
    rng = random.Random(1)
    corrupt = 0
    command = [sys.executable, "-m", "tracker", "ingest", *files, "--db", store.locator]
    for _ in range(count):
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.0))
        child.kill()
        child.wait()
        corrupt += bool(check(store))
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    corrupt += bool(check(store))
    with store.read() as con:
        assert con.execute("select count(*) from returns").fetchone()[0] == 68
    return count, corrupt


def mutant(rng: random.Random) -> tuple[str, bytes]:
    """A good return with 0-2 cells replaced by nasty ones (a nasty commentary is still accepted)."""
    year, month = rng.choice([2010, 2011]), rng.randint(1, 12)
    day = calendar.monthrange(year, month)[1]
    cells = [
        rng.choice(["AAA", "BBB"]),
        f"{year}-{month:02d}-{day:02d}",
        "12",
        "7",
        "5",
        "3",
        "1",
        "0",
        str(rng.randint(0, 5000)),
        "6000",
        "",
        rng.choice(NASTY_CELLS),
    ]
    for _ in range(rng.randint(0, 2)):
        cells[rng.randrange(len(cells))] = rng.choice(NASTY_CELLS)
    line = ",".join(f'"{c}"' if ("," in c or '"' in c) else c for c in (c.replace('"', '""') for c in cells))
    return "mutant.csv", f"{HEADER}\n{line}\n".encode("utf-8", errors="replace")


def nasty_file(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["bytes", "csv", "xlsx", "mutant", "mutant"])
    if kind == "mutant":
        return mutant(rng)
    if kind == "bytes":
        return "random.csv", rng.randbytes(rng.randint(0, 3000))
    rows = [
        [rng.choice(NASTY_CELLS) if rng.random() < 0.5 else str(rng.randint(-5, 50)) for _ in range(rng.randint(0, 14))]
        for _ in range(rng.randint(0, 5))
    ]
    if kind == "csv":
        text = "\n".join([HEADER, *(",".join(r) for r in rows)])
        data = text.encode(rng.choice(["utf-8", "cp1252", "utf-16"]), errors="replace")
        return "nasty.csv", data[: rng.randint(0, len(data))] if rng.random() < 0.3 else data
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for r in rows:
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in r])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    return "nasty.xlsx", data[: rng.randint(0, len(data))] if rng.random() < 0.3 else data


def fuzz(folder: Path, count: int) -> dict:
    store = fresh_store(folder)
    rng = random.Random(2)
    tally = {"files": count, "accepted": 0, "refused": 0, "already loaded": 0, "tracebacks": 0, "integrity": 0}
    for _ in range(count):
        name, data = nasty_file(rng)
        try:
            result = ingest_bytes(store, name, data, user="fuzz")
            tally[result.outcome] += 1
        except Exception:  # noqa: BLE001 - counting exactly these
            tally["tracebacks"] += 1
    tally["integrity"] = len(check(store))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        tried, corrupt = kills(Path(a), args.kills)
        tally = fuzz(Path(b), args.files)
    text = "\n".join(
        [
            f"- Crash safety: **{tried}** SIGKILLs of `ingest` at random points while it loaded 34 files; "
            f"**{corrupt}** left the database failing `check`; the rerun then loaded every file exactly once.",
            f"- Hostile files: **{tally['files']:,}** generated files (random bytes; CSV with NaN, inf, 1e400, "
            f"0000-00-00, formulas, HTML, 10,000-character cells, in UTF-8, Windows-1252 and UTF-16, "
            f"some truncated; .xlsx, some corrupt): {tally['accepted']:,} accepted, "
            f"{tally['refused']:,} refused with a message, "
            f"{tally['already loaded']:,} already loaded; **{tally['tracebacks']}** tracebacks, "
            f"**{tally['integrity']}** integrity problems (no partial writes).",
        ]
    )
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "reliability.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
