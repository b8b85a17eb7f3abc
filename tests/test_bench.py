"""The benchmarks stay runnable: each runs at a toy size and its own cross-checks hold.

No time is asserted here (timings belong to the benchmarks, on a quiet machine); what is
asserted is that every method of the whole-job benchmark gives the scipy script's shares.
"""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"

#: A row of the whole-job table: method, seconds, peak MB, ratio, runs, max |share diff|.
_ROW = re.compile(r"^(\w+)\s+[\d.]+\s+\d+\s+[\d.]+\s+\d+\s+(\S+)$", re.MULTILINE)


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_whole_job_bench_methods_agree_with_the_scipy_script():
    out = _run("whole_job_bench.py", "--smoke")
    diffs = {m: float(d) for m, d in _ROW.findall(out)}
    measured = {"scipy", "tianhe", "tianhe_gdf", "tianhe_loop", "networkx", "dask4", "dask16"}
    assert measured <= set(diffs), out
    assert all(diffs[m] <= 1e-12 for m in measured), out
    assert out.count("shares equal: True") == 2, out
    assert "per million from" in out, out  # the scaling part ran at two sizes


def test_siting_bench_runs_its_cases():
    out = _run("siting_bench.py", "--spacing", "900", "--time-limit", "20", "--skip-lscp")
    assert out.count("MCLP") >= 2, out
    assert "greedy" in out, out
