"""Profiling files larger than the memory it may use: DuckDB streams them under a memory limit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

_PROFILE_IN_A_CHILD = """
import json, resource, sys, time
from loopline.validation import profile
baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
stats = profile(sys.argv[1], memory_limit=sys.argv[2])
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": stats.rows, "dupes": stats.duplicate_rows, "seconds": seconds,
                  "growth_mb": peak_mb - baseline_mb,
                  "a_mean": stats.column("a").numeric.mean, "u_distinct": stats.column("u").distinct,
                  "c_top": stats.column("c").categories.top, "ts_max": stats.column("ts").datetime.max}))
"""


def _write_csv(path: Path, rows: int) -> None:
    duckdb.connect().execute(f"""
        COPY (SELECT i AS id, (i % 1000) / 10.0 AS a, (i * 7919) % 1000 AS b,
                     CASE WHEN i % 4 = 0 THEN 'x' ELSE 'y' END AS c,
                     'user_' || (i % 250000)::VARCHAR AS u,
                     TIMESTAMP '2020-01-01' + to_seconds(i) AS ts, sin(i) AS d
              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")


def _profile_in_child(path: Path, memory_limit: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-c", _PROFILE_IN_A_CHILD, str(path), memory_limit],
                         check=True, capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout)


def _check(result: dict, rows: int) -> None:  # type: ignore[type-arg]
    assert result["rows"] == rows and result["dupes"] == 0
    assert result["a_mean"] == pytest.approx(49.95, abs=0.01)
    assert result["c_top"] == [["y", rows - (rows + 3) // 4], ["x", (rows + 3) // 4]]
    assert 0.9 * min(rows, 250_000) <= result["u_distinct"] <= 1.1 * min(rows, 250_000)


def test_profile_half_a_million_rows_streams(tmp_path: Path) -> None:
    path = tmp_path / "medium.csv"
    _write_csv(path, 500_000)
    result = _profile_in_child(path, "200MB")
    _check(result, 500_000)
    assert result["ts_max"] == "2020-01-06T18:53:19"
    assert result["growth_mb"] < 400


@pytest.mark.slow
def test_profile_five_million_rows_within_a_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _write_csv(path, 5_000_000)
    size_mb = path.stat().st_size / 2**20
    result = _profile_in_child(path, "256MB")
    _check(result, 5_000_000)
    print(f"5M rows, {size_mb:.0f} MB CSV: {result['seconds']:.1f} s, memory grew {result['growth_mb']:.0f} MB")
    assert result["growth_mb"] < 400  # the same bound as for 500,000 rows: memory does not grow with the file
