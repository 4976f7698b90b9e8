"""Kill the ingest at random points: the database stays sound and a rerun finishes the work exactly once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, csv_bytes

from tracker.integrity import check

pytestmark = pytest.mark.both_backends

MONTH_ENDS = [
    "01-31",
    "02-28",
    "03-31",
    "04-30",
    "05-31",
    "06-30",
    "07-31",
    "08-31",
    "09-30",
    "10-31",
    "11-30",
    "12-31",
]


def month_files(folder: Path) -> list[Path]:
    files = []
    for year in (2010, 2011):
        for i, day in enumerate(MONTH_ENDS, start=1):
            n = (year - 2010) * 12 + i
            path = folder / f"returns_{year}-{i:02d}.csv"
            path.write_bytes(
                csv_bytes(
                    f"AAA,{year}-{day},{n + 2},{n},{n},{n},0,0,{100 * n},5000,,",
                    f"BBB,{year}-{day},{n + 1},{n},0,0,0,0,0,3000,,",
                )
            )
            files.append(path)
    return files


def test_sigkill_at_random_points_never_half_loads_a_file(empty_store, tmp_path):
    files = month_files(tmp_path)
    rng = random.Random(2010)
    command = [sys.executable, "-m", "tracker", "ingest", *map(str, files), "--db", empty_store.locator]
    env = {**os.environ, **empty_store.environment()}
    kills, loaded_at_kills, wait_from = 0, [], 0.5
    while kills < 8:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(wait_from, wait_from + 3.5))
        if child.poll() is not None:  # it finished first: nothing was killed
            break
        child.kill()
        child.wait()
        kills += 1
        assert check(empty_store) == []
        with empty_store.read() as con:
            loaded = con.execute("select count(*) from returns").fetchone()[0]
        if loaded == (loaded_at_kills[-1] if loaded_at_kills else 0):
            wait_from += 1.0  # killed before it got going (a slow start on a busy machine): let the next run go longer
        loaded_at_kills.append(loaded)
    assert len(set(loaded_at_kills)) > 2, loaded_at_kills  # the kills fell at different points of the stream
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert check(empty_store) == []
    with empty_store.read() as con:
        assert con.execute("select count(*) from returns").fetchone()[0] == 48
        accepted = con.execute(
            "select count(distinct sha256), count(*) from load_log where kind = 'returns' and outcome = 'accepted'"
        ).fetchone()
    assert accepted == (24, 24)
