"""Drift against a stored reference profile at 1,000,000 x 20 rows: time and peak memory.

    .venv/bin/python bench/drift_profile_scale.py [--rows 1000000] [--repeat 3] [--json PATH]

The data of bench/drift_vs_evidently.py at ``--rows`` rows (bench/tabular_data.py, seed 7:
15 numeric and 5 categorical columns, 5 of them shifted in the current window), written to
Parquet in a temporary folder. The reference is profiled once (``profile(reference.parquet)``,
outside the clock) and stored as JSON, as a model's training profile would be. No peer:
Evidently has no stored-profile mode (bench/drift_vs_evidently.py compares it at 100,000 rows).

Two ways to compare the current window with the stored profile, each run ``--repeat`` times,
every run in a fresh subprocess so that its peak memory is its own:

- ``raw``: ``detect_drift(stored_profile, current.parquet)``. The current file is read into
  Arrow (pyarrow), each numeric column binned on the reference's grid and categories counted.
- ``profiled``: ``profile(current.parquet, reference=stored_profile)`` (DuckDB, bounded by its
  1 GB ``memory_limit``, histograms on the reference's grids), then
  ``detect_drift(stored_profile, current_profile)``: the way for data larger than memory.

Time: wall and process CPU time (all threads) from loading the stored profile JSON to the
report. Memory: the subprocess's peak resident set size (``VmHWM`` in /proc/self/status,
which counts the Arrow and DuckDB buffers that ``tracemalloc`` cannot see; ``ru_maxrss``
would not do here, as Linux carries the parent's peak into a child across fork and exec),
and its resident set size just before the clock starts (interpreter, imports): the
difference is what loading the profile and the comparison needed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _harness
import tabular_data

SEED = 7
MODES = {
    "raw": "detect_drift(stored profile, current.parquet)",
    "profiled": "profile(current.parquet, reference=stored) + detect_drift(stored, current profile)",
}


def memory_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in MiB (Linux reports KiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}; this benchmark needs Linux")


def child(mode: str, profile_path: str, current: str) -> dict:
    """One measured comparison, run in its own process (see ``main --child``)."""
    from loopline.validation import Profile, detect_drift, profile

    before = memory_mb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    stored = Profile.from_dict(json.loads(Path(profile_path).read_text()))
    if mode == "raw":
        report = detect_drift(stored, current)
    else:
        report = detect_drift(stored, profile(current, reference=stored))
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    drifted = sorted(c.column for c in report.columns if c.drifted)
    return {"mode": mode, "wall_s": wall, "cpu_s": used, "rss_before_mb": before, "peak_rss_mb": memory_mb("VmHWM"),
            "drifted": drifted, "rows": report.rows.current}


def run_child(mode: str, paths: dict[str, Path]) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--profile-path", str(paths["profile"]),
               "--current", str(paths["current"])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["drifted"] != sorted(tabular_data.DRIFT_SHIFTED):
        raise RuntimeError(f"{mode}: drifted columns {result['drifted']}, "
                           f"expected {sorted(tabular_data.DRIFT_SHIFTED)}")
    return result


def write_data(folder: Path, rows: int) -> dict[str, Path]:
    from loopline.validation import profile

    reference, current = tabular_data.drift_frames(rows, seed=SEED)
    paths = {
        "reference": tabular_data.write_parquet(reference, folder / "reference.parquet"),
        "current": tabular_data.write_parquet(current, folder / "current.parquet"),
        "profile": folder / "reference_profile.json",
    }
    del reference, current
    start = time.perf_counter()
    paths["profile"].write_text(json.dumps(profile(paths["reference"]).to_dict()))
    print(f"reference profiled in {time.perf_counter() - start:.2f} s (outside the clock); profile JSON "
          f"{paths['profile'].stat().st_size / 1024:.0f} KiB; current Parquet "
          f"{paths['current'].stat().st_size / 2**20:.0f} MiB", flush=True)
    return paths


def report(samples: dict[str, list[dict]], rows: int) -> str:
    table_rows = []
    for mode, runs in samples.items():
        wall = _harness.median([r["wall_s"] for r in runs])
        cpu = _harness.median([r["cpu_s"] for r in runs])
        peak = _harness.median([r["peak_rss_mb"] for r in runs])
        base = _harness.median([r["rss_before_mb"] for r in runs])
        table_rows.append([MODES[mode], f"{wall:.2f}", f"{cpu:.2f}", f"{rows / wall / 1e6:.1f}", f"{peak:.0f}",
                           f"{base:.0f}", f"{peak - base:.0f}", len(runs)])
    return _harness.markdown_table(
        ["", "median wall s", "median CPU s", "M rows/s", "peak RSS MiB", "RSS before MiB", "added MiB", "runs"],
        table_rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write every sample to this file")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--profile-path", help=argparse.SUPPRESS)
    parser.add_argument("--current", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.profile_path, args.current)))
        return

    print(_harness.describe_setting(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-drift-scale-") as tmp:
        paths = write_data(Path(tmp), args.rows)
        samples: dict[str, list[dict]] = {mode: [] for mode in MODES}
        for index in range(args.repeat):
            for mode in MODES:
                samples[mode].append(run_child(mode, paths))
            print(f"  repetition {index + 1}/{args.repeat} done", flush=True)
    print(f"\n{args.rows:,} current rows x 20 columns against a stored profile of {args.rows:,} reference rows; "
          f"every run found exactly the 5 shifted columns\n")
    print(report(samples, args.rows))
    print(f"\nat the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "rows": args.rows, "samples": samples})


if __name__ == "__main__":
    main()
