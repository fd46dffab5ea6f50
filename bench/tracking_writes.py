"""Tracking writes: Loopline's log_metric/log_param inside a step vs MLflow on SQLite.

    .venv/bin/python bench/tracking_writes.py [--metrics 10000] [--metric-sample 1000]
                                              [--runs 100] [--rounds 3] [--repeat 2] [--json PATH]

Two workloads, both sides on a fresh SQLite database in a temporary folder each repetition
(database creation and migrations outside the clock):

1. ``--metrics`` metric values logged one at a time into one run.
   - Loopline: a one-step pipeline whose step calls ``log_metric("loss", v, step=i)``
     ``--metrics`` times; the clock covers the whole ``run_pipeline`` call (run start, the
     step, its completion transaction that makes every value durable, run finish).
   - MLflow fluent: ``mlflow.log_metric`` one at a time inside ``start_run``. It is slow,
     so only ``--metric-sample`` values are logged and the rate is extrapolated.
   - MLflow batch: ``MlflowClient.log_batch`` with 1,000 values per call (MLflow's limit),
     run creation and termination included.
2. ``--runs`` runs with 10 params and 10 metrics each.
   - Loopline: ``run_pipeline`` of a one-step pipeline ``--runs`` times (``use_cache=False``,
     since every run is identical); the step calls ``log_param`` x10 and ``log_metric`` x10.
   - MLflow fluent: ``start_run`` + ``log_param`` x10 + ``log_metric`` x10 per run.
   - MLflow batch: ``create_run`` + one ``log_batch`` + ``set_terminated`` per run.

Rounds interleave MLflow (a subprocess in bench/.venvs/mlflow) and Loopline (this process);
each side warms up once per round, then times ``--repeat`` repetitions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _harness

PER_RUN = 10


def metric_pipeline():
    from loopline.pipelines import Pipeline, log_metric, step

    @step(outputs=None)
    def log_series(*, n_values: int) -> None:
        for i in range(n_values):
            log_metric("loss", 1.0 / (i + 1), step=i)

    return Pipeline([log_series], name="tracking_series")


def params_pipeline():
    from loopline.pipelines import Pipeline, log_metric, log_param, step

    @step(outputs=None)
    def log_run() -> None:
        for k in range(PER_RUN):
            log_param(f"param_{k}", k)
        for k in range(PER_RUN):
            log_metric(f"metric_{k}", k * 0.5)

    return Pipeline([log_run], name="tracking_run")


def time_metrics(n_values: int, folder: Path) -> float:
    from loopline.pipelines import run_pipeline

    pipeline = metric_pipeline()
    with _harness.FreshStores(folder) as (metadata, artifacts):
        start = time.perf_counter()
        result = run_pipeline(pipeline, metadata=metadata, artifacts=artifacts, params={"n_values": n_values})
        elapsed = time.perf_counter() - start
        _harness.expect_outcomes(result, {"ran": 1})
        execution = metadata.runs.executions(result.run.id)[0]
        stored = len(metadata.tracking.metric_history(execution.id, "loss"))
    if stored != n_values:
        raise RuntimeError(f"{stored} metric values stored, expected {n_values}")
    return elapsed


def time_runs(n_runs: int, folder: Path) -> float:
    from loopline.pipelines import run_pipeline

    pipeline = params_pipeline()
    with _harness.FreshStores(folder) as (metadata, artifacts):
        start = time.perf_counter()
        for _ in range(n_runs):
            result = run_pipeline(pipeline, metadata=metadata, artifacts=artifacts, use_cache=False)
        elapsed = time.perf_counter() - start
        _harness.expect_outcomes(result, {"ran": 1})
        stored = len(metadata.runs.list(limit=n_runs + 1))
    if stored != n_runs:
        raise RuntimeError(f"{stored} runs stored, expected {n_runs}")
    return elapsed


def time_loopline(args: argparse.Namespace) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"metrics": [], "runs": []}
    for index in range(args.repeat + 1):
        for key, workload, count in (("metrics", time_metrics, args.metrics), ("runs", time_runs, args.runs)):
            with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
                seconds = workload(count if index else min(count, 50), Path(tmp))
            if index:  # the first pass is a small warm-up
                samples[key].append(seconds)
    return samples


def report(samples: dict[str, list[float]], args: argparse.Namespace, versions: str) -> str:
    med = {key: _harness.median(values) for key, values in samples.items()}
    # rates: values (or runs) per second; MLflow fluent metrics from its sample
    metric_rate = {
        "loopline": args.metrics / med["loopline_metrics"],
        "mlflow_fluent": args.metric_sample / med["mlflow_metrics_fluent"],
        "mlflow_batch": args.metrics / med["mlflow_metrics_batch"],
    }
    run_rate = {
        "loopline": args.runs / med["loopline_runs"],
        "mlflow_fluent": args.runs / med["mlflow_runs_fluent"],
        "mlflow_batch": args.runs / med["mlflow_runs_batch"],
    }
    metric_rows = [
        ["Loopline `log_metric` in a step, one at a time", f"{med['loopline_metrics']:.3f}", "measured"],
        [
            "MLflow `log_metric`, one at a time",
            f"{args.metrics / metric_rate['mlflow_fluent']:.2f}",
            f"extrapolated from {args.metric_sample:,} values ({med['mlflow_metrics_fluent']:.2f} s)",
        ],
        ["MLflow `log_batch`, 1,000 per call", f"{med['mlflow_metrics_batch']:.3f}", "measured"],
    ]
    for row, key in zip(metric_rows, metric_rate):
        row[2:2] = [f"{metric_rate[key]:,.0f}", f"{metric_rate['loopline'] / metric_rate[key]:.1f}"]
    run_rows = [
        ["Loopline `run_pipeline`, one step logging 10 params + 10 metrics", f"{med['loopline_runs']:.2f}"],
        ["MLflow `start_run` + `log_param` x10 + `log_metric` x10", f"{med['mlflow_runs_fluent']:.2f}"],
        ["MLflow `create_run` + one `log_batch` + `set_terminated`", f"{med['mlflow_runs_batch']:.2f}"],
    ]
    for row, key in zip(run_rows, run_rate):
        row += [f"{run_rate[key]:,.1f}", f"{run_rate['loopline'] / run_rate[key]:.1f}"]
    ten_x = metric_rate["loopline"] >= 10 * metric_rate["mlflow_fluent"]
    vs_batch = metric_rate["loopline"] >= metric_rate["mlflow_batch"]
    return (
        f"{versions}\n\n### {args.metrics:,} metric values, one at a time\n\n"
        + _harness.markdown_table(
            ["", f"median s for {args.metrics:,}", "values/s", "Loopline ÷ this (throughput)", "how"], metric_rows
        )
        + f"\n\n### {args.runs} runs x (10 params + 10 metrics)\n\n"
        + _harness.markdown_table(["", f"median s for {args.runs} runs", "runs/s", "Loopline ÷ this"], run_rows)
        + "\n\nGoal: one at a time >= 10x MLflow one at a time: "
        + ("met" if ten_x else "NOT met")
        + f" ({metric_rate['loopline'] / metric_rate['mlflow_fluent']:.1f}x); no slower than MLflow log_batch: "
        + ("met" if vs_batch else "NOT met")
        + f" ({metric_rate['loopline'] / metric_rate['mlflow_batch']:.2f}x).\n"
        + f"Samples per row: Loopline {len(samples['loopline_metrics'])}, "
        + f"MLflow {len(samples['mlflow_metrics_batch'])}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics", type=int, default=10_000)
    parser.add_argument("--metric-sample", type=int, default=1_000, help="values MLflow logs one at a time")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()

    print(_harness.describe_setting(), flush=True)
    samples: dict[str, list[float]] = {}
    versions = ""
    for round_index in range(args.rounds):
        peer = _harness.run_peer(
            "mlflow",
            "mlflow_tracking.py",
            [
                "--metrics", str(args.metrics),
                "--metric-sample", str(args.metric_sample),
                "--runs", str(args.runs),
                "--repeat", str(args.repeat),
            ],
        )  # fmt: skip
        versions = f"MLflow {peer['mlflow_version']} (SQLAlchemy {peer['sqlalchemy_version']}, SQLite backend)"
        for workload in ("metrics_fluent", "metrics_batch", "runs_fluent", "runs_batch"):
            samples.setdefault(f"mlflow_{workload}", []).extend(peer[workload]["seconds"])
        for key, values in time_loopline(args).items():
            samples.setdefault(f"loopline_{key}", []).extend(values)
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    print(report(samples, args, versions), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "args": vars(args), "samples": samples})


if __name__ == "__main__":
    main()
