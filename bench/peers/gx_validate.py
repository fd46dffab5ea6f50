"""Great Expectations side of bench/validation_vs_peers.py; runs inside bench/.venvs/gx.

The rules arrive as JSON (``--rules``: column -> kind, nullable, min, max, domain), the same
rules Loopline's schema is built from. GX 1.x API: an ephemeral context, a pandas data
source with a DataFrame asset and a whole-DataFrame batch definition, and one expectation
suite holding, per column, ``ExpectColumnValuesToBeInTypeList`` (float64, int64, or the
string dtypes), ``ExpectColumnValuesToNotBeNull`` unless the column is nullable, and
``ExpectColumnValuesToBeBetween`` or ``ExpectColumnValuesToBeInSet``; plus
``ExpectTableColumnsToMatchSet``. Analytics are off (``GX_ANALYTICS_ENABLED=false``).

Timed (wall and process CPU time), after one warm-up, ``--repeat`` times: ``read_s``
(``pandas.read_parquet``) and ``validate_s`` (``ValidationDefinition.run`` with the DataFrame
as batch parameter and GX's default result format, SUMMARY). Creating the context and the
suite is outside the clock (``setup_s``).

Writes JSON: {"gx_version", "pandas_version", "setup_s", "read_s", "validate_s", "read_cpu_s",
"validate_cpu_s", "failed_columns", "failures": {column: [expectation, ...]}, "exceptions": n}.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

TYPE_LISTS = {"float": ["float64"], "int": ["int64"], "str": ["object", "str", "string", "StringDtype"]}


def expectations(rules: dict) -> list:
    import great_expectations as gx

    found = [gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(rules), exact_match=True)]
    for name, rule in rules.items():
        found.append(gx.expectations.ExpectColumnValuesToBeInTypeList(column=name, type_list=TYPE_LISTS[rule["kind"]]))
        if not rule["nullable"]:
            found.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=name))
        if rule["min"] is not None or rule["max"] is not None:
            found.append(gx.expectations.ExpectColumnValuesToBeBetween(
                column=name, min_value=rule["min"], max_value=rule["max"]))
        if rule["domain"] is not None:
            found.append(gx.expectations.ExpectColumnValuesToBeInSet(column=name, value_set=rule["domain"]))
    return found


def build(rules: dict):
    """The validation definition, in an ephemeral context."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("bench").add_dataframe_asset(name="frame")
    batch = asset.add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name="rules"))
    for expectation in expectations(rules):
        suite.add_expectation(expectation)
    return context.validation_definitions.add(gx.ValidationDefinition(name="bench", data=batch, suite=suite))


def failures(result) -> tuple[dict[str, list[str]], int]:
    """Column -> failed expectation types; how many expectations raised instead of answering."""
    failed: dict[str, list[str]] = {}
    raised = 0
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        column = config.kwargs.get("column")
        if column is None:
            failed.setdefault("(table)", []).append(config.type)
            continue
        failed.setdefault(str(column), []).append(config.type)
        raised += bool((outcome.exception_info or {}).get("raised_exception"))
    return failed, raised


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ["GX_ANALYTICS_ENABLED"] = "false"

    import great_expectations as gx
    import pandas as pd

    start = time.perf_counter()
    definition = build(json.loads(Path(args.rules).read_text()))
    setup = time.perf_counter() - start
    samples: dict[str, list[float]] = {"read_s": [], "validate_s": [], "read_cpu_s": [], "validate_cpu_s": []}
    for index in range(args.repeat + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        frame = pd.read_parquet(args.data)
        read, read_cpu = time.perf_counter(), time.process_time()
        result = definition.run(batch_parameters={"dataframe": frame})
        done, done_cpu = time.perf_counter(), time.process_time()
        if index:
            samples["read_s"].append(read - start)
            samples["validate_s"].append(done - read)
            samples["read_cpu_s"].append(read_cpu - start_cpu)
            samples["validate_cpu_s"].append(done_cpu - read_cpu)
    failed, raised = failures(result)
    Path(args.out).write_text(json.dumps({
        "gx_version": gx.__version__, "pandas_version": pd.__version__, "setup_s": setup, **samples,
        "failed_columns": sorted(failed), "failures": failed, "exceptions": raised,
    }))


if __name__ == "__main__":
    main()
