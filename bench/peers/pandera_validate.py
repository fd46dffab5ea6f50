"""pandera side of bench/validation_vs_peers.py; runs inside bench/.venvs/pandera.

The rules arrive as JSON (``--rules``: column -> kind, nullable, min, max, domain), the same
rules Loopline's schema is built from. Each becomes a ``pandera.Column`` with the dtype
(float64, int64 or str), ``nullable``, ``Check.in_range(min, max)`` or ``Check.isin(domain)``;
the schema is strict about columns and does not coerce.

Timed (wall and process CPU time), after one warm-up, ``--repeat`` times: ``read_s``
(``pandas.read_parquet``) and ``validate_s`` (``schema.validate(frame, lazy=True)``, which
collects every failure instead of stopping at the first; the ``SchemaErrors`` it raises is
caught and its failure cases read). Building the schema is outside the clock.

Writes JSON: {"pandera_version", "pandas_version", "read_s", "validate_s", "read_cpu_s",
"validate_cpu_s", "failed_columns", "failures": {column: [check, ...]}}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def build_schema(rules: dict):
    import pandera.pandas as pa

    dtypes = {"float": "float64", "int": "int64", "str": str}
    columns = {}
    for name, rule in rules.items():
        checks = []
        if rule["min"] is not None or rule["max"] is not None:
            checks.append(pa.Check.in_range(rule["min"], rule["max"]))
        if rule["domain"] is not None:
            checks.append(pa.Check.isin(rule["domain"]))
        columns[name] = pa.Column(dtypes[rule["kind"]], checks=checks, nullable=rule["nullable"])
    return pa.DataFrameSchema(columns, strict=True, coerce=False)


def validate(schema, frame) -> dict[str, list[str]]:
    """Column -> the checks it failed (empty when the frame is valid)."""
    import pandera.errors

    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failed: dict[str, list[str]] = {}
        for column, check in zip(cases["column"], cases["check"], strict=True):
            checks = failed.setdefault(str(column), [])
            if str(check) not in checks:
                checks.append(str(check))
        return failed
    return {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd
    import pandera

    schema = build_schema(json.loads(Path(args.rules).read_text()))
    samples: dict[str, list[float]] = {"read_s": [], "validate_s": [], "read_cpu_s": [], "validate_cpu_s": []}
    for index in range(args.repeat + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        frame = pd.read_parquet(args.data)
        read, read_cpu = time.perf_counter(), time.process_time()
        failures = validate(schema, frame)
        done, done_cpu = time.perf_counter(), time.process_time()
        if index:
            samples["read_s"].append(read - start)
            samples["validate_s"].append(done - read)
            samples["read_cpu_s"].append(read_cpu - start_cpu)
            samples["validate_cpu_s"].append(done_cpu - read_cpu)
    Path(args.out).write_text(json.dumps({
        "pandera_version": pandera.__version__, "pandas_version": pd.__version__, **samples,
        "failed_columns": sorted(failures), "failures": failures,
    }))


if __name__ == "__main__":
    main()
