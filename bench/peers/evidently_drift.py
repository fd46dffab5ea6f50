"""Evidently side of bench/drift_vs_evidently.py; runs inside bench/.venvs/evidently.

For each configuration, one warm-up run then ``--repeat`` timed runs of Evidently's
``DataDriftPreset`` on the reference and current Parquet files:

- ``read_reference_s`` / ``read_current_s``: ``pandas.read_parquet`` of each file;
- ``compute_s``: ``Dataset.from_pandas`` of both frames (numeric and categorical columns
  declared, so nothing is guessed) + ``Report([DataDriftPreset(...)]).run(current, reference)``
  + ``snapshot.dict()`` (the results as values).

Configurations (``--configs``): ``defaults`` (Evidently chooses by size and type; for
100,000 rows that is Wasserstein (normed) for numeric and Jensen-Shannon for categorical
columns), ``ks_chisquare``, ``psi``, ``jensenshannon`` (the method for every column).

Each part is timed in wall and process CPU time (``*_cpu_s``). Writes JSON:
{"evidently_version", "pandas_version", "configs": {name: {"read_reference_s", "read_current_s",
"compute_s", "read_reference_cpu_s", "read_current_cpu_s", "compute_cpu_s", "drifted_count",
"columns": {column: {"method", "value", "threshold", "drift"}}}}}. ``drift`` applies
Evidently's own rule to its value (K-S: p <= threshold, chi-squared: p < threshold,
distances: value >= threshold) and is checked against Evidently's ``DriftedColumnsCount``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path

CONFIGS = {
    "defaults": {},
    "ks_chisquare": {"num_method": "ks", "cat_method": "chisquare"},
    "psi": {"method": "psi"},
    "jensenshannon": {"method": "jensenshannon"},
}
P_VALUE_AT_OR_BELOW = {"ks", "K-S p_value"}
P_VALUE_BELOW = {"chisquare", "chi-square p_value"}
_METRIC = re.compile(r"ValueDrift\(column=(?P<column>[^,]+),method=(?P<method>[^,]+),threshold=(?P<threshold>[^)]+)\)")


def read(path: str):
    import pandas as pd

    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_parquet(path)
    return frame, (time.perf_counter() - start, time.process_time() - cpu)


def run_report(reference, current, config: str) -> tuple[dict, tuple[float, float]]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    start, cpu = time.perf_counter(), time.process_time()
    definition = DataDefinition(
        numerical_columns=[c for c in reference.columns if c.startswith("num_")],
        categorical_columns=[c for c in reference.columns if c.startswith("cat_")],
    )
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    snapshot = Report([DataDriftPreset(**CONFIGS[config])]).run(cur, ref)
    result = snapshot.dict()
    return result, (time.perf_counter() - start, time.process_time() - cpu)


def column_results(result: dict, config: str) -> tuple[dict, int]:
    """Per-column method, value, threshold and verdict; Evidently's own count of drifted columns."""
    columns: dict[str, dict] = {}
    drifted_count = None
    for metric in result["metrics"]:
        config_fields = metric.get("config", {})
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            drifted_count = int(metric["value"]["count"])
            continue
        match = _METRIC.match(metric["metric_name"])
        if match is None:
            continue
        method = str(config_fields.get("method") or match["method"])
        value, threshold = float(metric["value"]), float(match["threshold"])
        if method in P_VALUE_AT_OR_BELOW:
            drift = value <= threshold
        elif method in P_VALUE_BELOW:
            drift = value < threshold
        else:
            drift = value >= threshold
        columns[match["column"]] = {"method": method, "value": value, "threshold": threshold, "drift": drift}
    flagged = sum(c["drift"] for c in columns.values())
    if drifted_count is None or flagged != drifted_count:
        raise RuntimeError(f"{config}: {flagged} columns judged drifted here, Evidently counted {drifted_count}")
    return columns, drifted_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--current", required=True)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # scipy warns about an infinite chi-squared for new categories

    import evidently
    import pandas as pd

    out: dict = {"evidently_version": evidently.__version__, "pandas_version": pd.__version__, "configs": {}}
    for config in args.configs.split(","):
        samples: dict = {f"{part}_{unit}": [] for part in ("read_reference", "read_current", "compute")
                         for unit in ("s", "cpu_s")}
        for index in range(args.repeat + 1):
            reference, read_reference = read(args.reference)
            current, read_current = read(args.current)
            result, compute = run_report(reference, current, config)
            if index == 0:
                continue  # warm-up: imports, first-call caches
            for part, (wall, cpu) in (("read_reference", read_reference), ("read_current", read_current),
                                      ("compute", compute)):
                samples[f"{part}_s"].append(wall)
                samples[f"{part}_cpu_s"].append(cpu)
        columns, drifted_count = column_results(result, config)
        out["configs"][config] = {**samples, "columns": columns, "drifted_count": drifted_count}
    Path(args.out).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
