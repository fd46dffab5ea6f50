"""MLflow side of bench/registry_ops.py; runs inside bench/.venvs/mlflow.

MLflow's model registry (``MlflowClient`` on its SQLAlchemy store) under the same four
phases as Loopline, each with ``--processes`` worker processes released together by a
barrier (started with ``spawn``: MLflow caches engines per process, so a forked child
would share its parent's connections). Every repetition uses a fresh store: a new SQLite
file, or the PostgreSQL database ``--postgres-db`` dropped and created again; creating
it (MLflow's migrations) and the registered model happens before the clock starts.

Phases (the clock of each runs from the barrier to the last worker's end):
- ``register``: ``create_model_version`` x ``--registrations`` per process;
- ``promote``: ``set_registered_model_alias`` to the process's own alias, x ``--promotions``;
- ``contend``: the same on one alias shared by all processes, x ``--promotions``;
- ``lookup``: ``get_model_version_by_alias`` of the process's alias, x ``--lookups``.

Afterwards the registered versions are listed: how many exist, duplicates, gaps.

Writes JSON: {"mlflow_version", "sqlalchemy_version", "repetitions": [{phase: {"ops", "errors",
"seconds", "error_sample"}, "versions": {...}}]}.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import tempfile
import time
from pathlib import Path

MODEL = "bench"


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _operation(client, phase: str, who: int, i: int, args: argparse.Namespace, total: int) -> None:
    if phase == "register":
        client.create_model_version(MODEL, source=f"{args.source}/model-{who}-{i}", run_id=None)
    elif phase == "promote":
        client.set_registered_model_alias(MODEL, f"p{who}", (i % total) + 1)
    elif phase == "contend":
        client.set_registered_model_alias(MODEL, "production", who * args.promotions + (i % args.promotions) + 1)
    else:
        client.get_model_version_by_alias(MODEL, f"p{who}")


def _worker(uri: str, phase: str, who: int, count: int, args: argparse.Namespace, total: int, barrier, out) -> None:
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    client = _client(uri)
    client.get_registered_model(MODEL)  # connect before the clock
    barrier.wait(120)
    ops = errors = 0
    sample = ""
    start = time.perf_counter()
    for i in range(count):
        try:
            _operation(client, phase, who, i, args, total)
            ops += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported, like a user would see it
            errors += 1
            sample = sample or f"{type(exc).__name__}: {str(exc)[:200]}"
    out.put((ops, errors, time.perf_counter() - start, sample))


def _phase(uri: str, phase: str, count: int, args: argparse.Namespace, total: int) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(args.processes), context.Queue()
    workers = [context.Process(target=_worker, args=(uri, phase, who, count, args, total, barrier, out))
               for who in range(args.processes)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(60)
    return {
        "ops": sum(r[0] for r in results),
        "errors": sum(r[1] for r in results),
        "seconds": max(r[2] for r in results),
        "error_sample": next((r[3] for r in results if r[3]), ""),
    }


def _fresh_uri(args: argparse.Namespace, folder: Path) -> str:
    if args.backend == "sqlite":
        return f"sqlite:///{folder / 'mlflow.db'}"
    import psycopg

    with psycopg.connect(args.postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.postgres_db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.postgres_db}"')
    base = args.postgres_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{args.postgres_db}"


def _versions(uri: str) -> dict:
    numbers = sorted(int(v.version) for v in _client(uri).search_model_versions(f"name='{MODEL}'",
                                                                                 max_results=100_000))
    return {"count": len(numbers), "duplicates": len(numbers) - len(set(numbers)),
            "contiguous": numbers == list(range(1, len(numbers) + 1))}


def repetition(args: argparse.Namespace) -> dict:
    total = args.processes * args.registrations
    with tempfile.TemporaryDirectory(prefix="mlflow-registry-") as tmp:
        args.source = tmp
        uri = _fresh_uri(args, Path(tmp))
        _client(uri).create_registered_model(MODEL)
        result = {"register": _phase(uri, "register", args.registrations, args, total)}
        result["versions"] = _versions(uri)
        total = max(result["versions"]["count"], 1)
        result["promote"] = _phase(uri, "promote", args.promotions, args, total)
        result["contend"] = _phase(uri, "contend", args.promotions, args, total)
        result["lookup"] = _phase(uri, "lookup", args.lookups, args, total)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres-db", default="bench_mlflow")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--registrations", type=int, default=50)
    parser.add_argument("--promotions", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    import mlflow
    import sqlalchemy

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    repetitions = [repetition(args) for _ in range(args.repeat)]
    Path(args.out).write_text(json.dumps({
        "mlflow_version": mlflow.__version__, "sqlalchemy_version": sqlalchemy.__version__,
        "repetitions": repetitions,
    }))


if __name__ == "__main__":
    main()
