"""MLflow side of bench/tracking_writes.py; runs inside bench/.venvs/mlflow.

Every repetition uses a fresh SQLite tracking database (``sqlite:///<tmp>/mlflow.db``)
in a temporary folder; creating the database (MLflow's migrations) and the experiment
happens before the clock starts.

Workloads (each timed from the run's creation to its end, like Loopline's):
- ``metrics_fluent``: ``mlflow.log_metric`` one value at a time inside ``start_run``;
  only ``--metric-sample`` values are logged, the caller extrapolates to ``--metrics``;
- ``metrics_batch``: ``MlflowClient.log_batch``, 1,000 values per call (MLflow's limit);
- ``runs_fluent``: ``--runs`` runs, each ``log_param`` x10 and ``log_metric`` x10;
- ``runs_batch``: ``--runs`` runs, each one ``log_batch`` with 10 params and 10 metrics.

Writes JSON: {"mlflow_version", "sqlalchemy_version", "<workload>": {"count": n, "seconds": [...]}}.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BATCH_LIMIT = 1000  # mlflow.utils.validation.MAX_METRICS_PER_BATCH
PER_RUN = 10


def fresh_tracking(folder: Path):
    """Point MLflow at a new SQLite database in ``folder``; create it and an experiment."""
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    experiment_id = mlflow.create_experiment("bench", artifact_location=(folder / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    return mlflow.MlflowClient(), experiment_id


def metrics_fluent(n: int, folder: Path) -> float:
    import mlflow

    fresh_tracking(folder)
    start = time.perf_counter()
    with mlflow.start_run():
        for i in range(n):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    return time.perf_counter() - start


def metrics_batch(n: int, folder: Path) -> float:
    from mlflow.entities import Metric

    client, experiment_id = fresh_tracking(folder)
    now = int(time.time() * 1000)
    points = [Metric("loss", 1.0 / (i + 1), now, i) for i in range(n)]
    start = time.perf_counter()
    run = client.create_run(experiment_id)
    for offset in range(0, n, BATCH_LIMIT):
        client.log_batch(run.info.run_id, metrics=points[offset : offset + BATCH_LIMIT])
    client.set_terminated(run.info.run_id)
    return time.perf_counter() - start


def runs_fluent(n: int, folder: Path) -> float:
    import mlflow

    fresh_tracking(folder)
    start = time.perf_counter()
    for _ in range(n):
        with mlflow.start_run():
            for k in range(PER_RUN):
                mlflow.log_param(f"param_{k}", k)
            for k in range(PER_RUN):
                mlflow.log_metric(f"metric_{k}", k * 0.5)
    return time.perf_counter() - start


def runs_batch(n: int, folder: Path) -> float:
    from mlflow.entities import Metric, Param

    client, experiment_id = fresh_tracking(folder)
    start = time.perf_counter()
    for _ in range(n):
        run = client.create_run(experiment_id)
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            params=[Param(f"param_{k}", str(k)) for k in range(PER_RUN)],
            metrics=[Metric(f"metric_{k}", k * 0.5, now, 0) for k in range(PER_RUN)],
        )
        client.set_terminated(run.info.run_id)
    return time.perf_counter() - start


WORKLOADS: dict[str, Callable[[int, Path], float]] = {
    "metrics_fluent": metrics_fluent,
    "metrics_batch": metrics_batch,
    "runs_fluent": runs_fluent,
    "runs_batch": runs_batch,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", type=int, default=10_000)
    parser.add_argument("--metric-sample", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    args = parser.parse_args()

    import mlflow
    import sqlalchemy

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # keep migration chatter out of the log
    counts = {
        "metrics_fluent": args.metric_sample,
        "metrics_batch": args.metrics,
        "runs_fluent": args.runs,
        "runs_batch": args.runs,
    }
    result: dict[str, object] = {"mlflow_version": mlflow.__version__, "sqlalchemy_version": sqlalchemy.__version__}
    for name in args.workloads.split(","):
        workload = WORKLOADS[name]
        with tempfile.TemporaryDirectory(prefix="mlflow-warmup-") as tmp:
            workload(min(counts[name], 50), Path(tmp))  # imports, caches, first-call costs
        seconds = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="mlflow-bench-") as tmp:
                seconds.append(workload(counts[name], Path(tmp)))
        result[name] = {"count": counts[name], "seconds": seconds}
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
