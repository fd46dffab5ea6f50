"""Validation: Loopline's validate vs pandera and Great Expectations on 1,000,000 x 20 rows.

    .venv/bin/python bench/validation_vs_peers.py [--rows 1000000] [--rounds 3] [--repeat 2]
                                                  [--gx-repeat 1] [--profile] [--json PATH]

The data (bench/tabular_data.py, seed 11) is generated once and written to Parquet in a
temporary folder: 10 float columns (a range each, three of them nullable), 5 integer
columns (a range each) and 5 string columns (an allowed set each, one nullable). Five
columns are broken, one rule each (``tabular_data.VALIDATION_BROKEN``): numbers stored as
text, values above a maximum, values below a minimum, nulls in a column that allows none,
values outside the allowed set. The same rules (written as JSON for the peers) become:

- Loopline: a ``Schema`` (numeric or categorical kind, ``max_missing_fraction`` 0, or 1
  for nullable columns, ``min``/``max``, ``domain``); ``validate(path, schema)`` with its
  data-centric checks (duplicate rows, stuck values) and with ``data_checks=False`` (the
  same checks as the peers); and ``validate(frame, schema, data_checks=False)`` on a
  DataFrame already in memory.
- pandera (bench/.venvs/pandera): a ``DataFrameSchema`` (dtype, nullable, ``in_range`` or
  ``isin``), ``validate(frame, lazy=True)``.
- Great Expectations 1.x (bench/.venvs/gx): an ephemeral context, a pandas DataFrame asset,
  one suite with type, not-null, between and in-set expectations, ``ValidationDefinition.run``.

Each peer reads the Parquet file with ``pandas.read_parquet`` inside the clock ("from
file"); "in memory" is the validation alone. Loopline reads the file itself (DuckDB).
Wall time and process CPU time (all threads) are both recorded: the CPU figures are
steadier when other work shares the machine. Goals: from file, Loopline no slower than
pandera and at least 50x faster than Great Expectations; all three must report exactly the
broken columns (checked; the benchmark stops otherwise).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

import _harness
import tabular_data

SEED = 11
LOOPLINE_MODES = {
    "all_checks": "Loopline validate, from file, with data-centric checks",
    "schema_checks": "Loopline validate, from file, data_checks=False",
    "frame": "Loopline validate, DataFrame in memory, data_checks=False",
}


def loopline_schema():
    from loopline.validation import ColumnKind, ColumnSchema, Schema

    columns = []
    for name, rule in tabular_data.VALIDATION_RULES.items():
        kind = ColumnKind.CATEGORICAL if rule.kind == "str" else ColumnKind.NUMERIC
        columns.append(ColumnSchema(name=name, kind=kind, max_missing_fraction=1.0 if rule.nullable else 0.0,
                                    min=rule.min, max=rule.max, domain=rule.domain))
    return Schema(columns=tuple(columns))


def write_data(folder: Path, rows: int) -> dict[str, Path]:
    frame = tabular_data.validation_frame(rows, broken=True, seed=SEED)
    rules = folder / "rules.json"
    rules.write_text(json.dumps({name: dataclasses.asdict(rule)
                                 for name, rule in tabular_data.VALIDATION_RULES.items()}))
    return {"data": tabular_data.write_parquet(frame, folder / "data.parquet"), "rules": rules}


def error_columns(result) -> list[str]:
    return sorted({a.column for a in result.anomalies if a.severity == "ERROR" and a.column is not None})


def time_loopline(paths: dict[str, Path], repeat: int) -> dict:
    import pandas as pd

    from loopline.validation import validate

    schema = loopline_schema()
    frame = pd.read_parquet(paths["data"])
    runs = {
        "all_checks": lambda: validate(paths["data"], schema),
        "schema_checks": lambda: validate(paths["data"], schema, data_checks=False),
        "frame": lambda: validate(frame, schema, data_checks=False),
    }
    samples: dict[str, list[float]] = {f"{mode}_{unit}": [] for mode in runs for unit in ("s", "cpu_s")}
    caught: dict[str, list[str]] = {}
    for index in range(repeat + 1):
        for mode, run in runs.items():
            start, cpu = time.perf_counter(), time.process_time()
            result = run()
            wall, used = time.perf_counter() - start, time.process_time() - cpu
            caught[mode] = error_columns(result)
            if index:
                samples[f"{mode}_s"].append(wall)
                samples[f"{mode}_cpu_s"].append(used)
    return {"samples": samples, "caught": caught}


def profile_loopline(paths: dict[str, Path], top: int = 25) -> str:
    from loopline.validation import validate

    schema = loopline_schema()
    validate(paths["data"], schema, data_checks=False)
    out = io.StringIO()
    for label, checks in (("data_checks=False", False), ("with data-centric checks", True)):
        profiler = cProfile.Profile()
        profiler.enable()
        validate(paths["data"], schema, data_checks=checks)
        profiler.disable()
        print(f"--- cProfile, Loopline validate from file, {label} ---", file=out)
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _median_of(samples: dict, key: str) -> float:
    return _harness.median(samples[key])


def report(loopline: dict, peers: dict[str, dict]) -> tuple[str, dict]:
    rows, medians = [], {}
    for peer, result in peers.items():
        version = result.get("pandera_version") or result.get("gx_version")
        name = "pandera" if peer == "pandera" else "Great Expectations"
        for mode, label in (("file", "from file"), ("memory", "in memory")):
            wall = result[f"{mode}_s"]
            cpu = result[f"{mode}_cpu_s"]
            medians[f"{peer}_{mode}"] = (_harness.median(wall), _harness.median(cpu))
            rows.append((f"{name} {version}, {label}", *medians[f"{peer}_{mode}"], len(wall)))
    for mode, label in LOOPLINE_MODES.items():
        medians[mode] = (_median_of(loopline, f"{mode}_s"), _median_of(loopline, f"{mode}_cpu_s"))
        rows.append((label, *medians[mode], len(loopline[f"{mode}_s"])))
    reference = medians["schema_checks"]
    table = _harness.markdown_table(
        ["", "median wall s", "median CPU s", "wall ÷ Loopline (data_checks=False)", "samples"],
        [[label, f"{wall:.3f}", f"{cpu:.3f}", f"{wall / reference[0]:.1f}", n] for label, wall, cpu, n in rows],
    )
    verdicts = []
    for mode in ("schema_checks", "all_checks"):
        ours = medians[mode][0]
        pandera, gx = medians["pandera_file"][0], medians["gx_file"][0]
        verdicts.append(
            f"- {LOOPLINE_MODES[mode]}: vs pandera {pandera / ours:.2f}x "
            f"({'met' if ours <= pandera else 'NOT met'}: goal >= 1x), vs Great Expectations {gx / ours:.1f}x "
            f"({'met' if gx / ours >= 50 else 'NOT met'}: goal >= 50x); by CPU time "
            f"{medians['pandera_file'][1] / medians[mode][1]:.2f}x and {medians['gx_file'][1] / medians[mode][1]:.1f}x"
        )
    return f"{table}\n\nGoals (from file, wall time):\n" + "\n".join(verdicts) + "\n", medians


def check_caught(caught: dict[str, list[str]]) -> str:
    """Stop unless every side reports exactly the broken columns."""
    expected = sorted(tabular_data.VALIDATION_BROKEN)
    wrong = {side: columns for side, columns in caught.items() if columns != expected}
    if wrong:
        raise RuntimeError(f"expected exactly the broken columns {expected}; got {wrong}")
    return f"Every side reports exactly the broken columns: {', '.join(expected)}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per side per round (after one warm-up)")
    parser.add_argument("--gx-repeat", type=int, default=1, help="timed Great Expectations runs per round")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of Loopline's validate")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()

    print(_harness.describe_setting(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        paths = write_data(Path(tmp), args.rows)
        peer_args = ["--data", str(paths["data"]), "--rules", str(paths["rules"])]
        peers: dict[str, dict] = {}
        loopline: dict[str, list[float]] = {}
        caught: dict[str, list[str]] = {}
        for round_index in range(args.rounds):
            for peer, script, repeat in (("pandera", "pandera_validate.py", args.repeat),
                                         ("gx", "gx_validate.py", args.gx_repeat)):
                result = _harness.run_peer(peer, script, [*peer_args, "--repeat", str(repeat)])
                merged = peers.setdefault(peer, {**result, "file_s": [], "memory_s": [], "file_cpu_s": [],
                                                 "memory_cpu_s": []})
                merged["file_s"] += [r + v for r, v in zip(result["read_s"], result["validate_s"], strict=True)]
                merged["memory_s"] += result["validate_s"]
                merged["file_cpu_s"] += [r + v for r, v in zip(result["read_cpu_s"], result["validate_cpu_s"],
                                                                strict=True)]
                merged["memory_cpu_s"] += result["validate_cpu_s"]
                caught[peer] = result["failed_columns"]
            timing = time_loopline(paths, args.repeat)
            for key, values in timing["samples"].items():
                loopline.setdefault(key, []).extend(values)
            caught.update({f"loopline {mode}": columns for mode, columns in timing["caught"].items()})
            print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
        print(f"\n{args.rows:,} rows x 20 columns; pandas {peers['pandera']['pandas_version']} (pandera), "
              f"{peers['gx']['pandas_version']} (Great Expectations); Great Expectations set-up outside the clock: "
              f"{peers['gx']['setup_s']:.2f} s\n")
        text, medians = report(loopline, peers)
        print(text)
        print(check_caught(caught))
        print("pandera failures: " + json.dumps(peers["pandera"]["failures"]))
        print("Great Expectations failures: " + json.dumps(peers["gx"]["failures"]))
        if args.profile:
            print(profile_loopline(paths), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "rows": args.rows, "peers": peers,
                                    "loopline": loopline, "medians": medians, "caught": caught})


if __name__ == "__main__":
    main()
