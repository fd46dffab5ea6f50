"""Registry operations under concurrency: Loopline's registry vs MLflow's model registry.

    .venv/bin/python bench/registry_ops.py [--backends sqlite,postgresql] [--processes 4]
        [--registrations 50] [--promotions 50] [--lookups 500] [--rounds 2] [--repeat 1]
        [--postgres-admin URL] [--json PATH] [--report-from PATH]

Both sides run the same four phases with ``--processes`` worker processes each, released
together by a barrier; a phase's clock runs from the barrier to the last worker's end,
and its rate is (successful operations) / (that time):

- ``register``: register a new version of one model, ``--registrations`` per process
  (Loopline ``Registry.register``, with its audit event; MLflow ``create_model_version``);
- ``promote``: move the process's own alias, ``--promotions`` times (Loopline
  ``Registry.promote``: policy check, compare-and-set, alias history and audit event in one
  transaction; MLflow ``set_registered_model_alias``);
- ``contend``: the same, all processes on one shared alias. Loopline lets exactly one of
  two simultaneous moves win and answers the other with ConflictError (counted as a
  conflict, not an error); MLflow's last write silently wins;
- ``lookup``: resolve the process's alias to its version (Loopline ``Registry.resolve``,
  MLflow ``get_model_version_by_alias``), ``--lookups`` per process.

After ``register`` both sides list the versions: the count must equal what was registered,
with no duplicate and no gap ("zero lost or duplicated versions"). Loopline then checks
every alias's history chain and the audit log's hash chain.

Stores are fresh for every repetition: a SQLite file in a temporary folder (Loopline with
``synchronous=FULL`` for the registry, as shipped), or on PostgreSQL the databases
``bench_loopline`` and ``bench_mlflow``, dropped and created again through
``--postgres-admin``. Creating them (migrations), the registered model and, for Loopline,
the Model artifact that every version registers happen before the clock starts.
Loopline's workers are forked; MLflow's are spawned (it caches engines per process).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import _harness

MODEL = "bench"
PHASES = ("register", "promote", "contend", "lookup")


class Constant:
    """The benchmark's model: predicts a constant."""

    def predict(self, frame: Any) -> list[float]:
        return [0.0] * len(frame)


def _fresh_url(backend: str, admin: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'metadata.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "bench_loopline" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "bench_loopline"'))
    engine.dispose()
    return make_url(admin).set(database="bench_loopline").render_as_string(hide_password=False)


def _open(url: str, root: str):
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore
    from loopline.registry import Registry

    metadata = MetadataStore(url).open()
    return metadata, Registry(metadata, ArtifactStore(root).open()).open()


def _model_artifact(url: str, root: str) -> int:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore
    from loopline.pipelines import Pipeline, run_pipeline, step
    from loopline.registry import ModelPackage

    @step(outputs="model")
    def package() -> ModelPackage:
        return ModelPackage(Constant())

    with MetadataStore(url) as metadata:
        result = run_pipeline(Pipeline([package], name="bench_model"), metadata=metadata,
                              artifacts=ArtifactStore(root).open())
        return int(result.steps["package"].outputs["model"].id)


def _operation(registry: Any, phase: str, who: int, i: int, args: argparse.Namespace, artifact_id: int,
               total: int) -> None:
    if phase == "register":
        registry.register(MODEL, artifact_id, user="bench")
    elif phase == "promote":
        registry.promote(MODEL, (i % total) + 1, f"p{who}", user="bench")
    elif phase == "contend":
        registry.promote(MODEL, who * args.promotions + (i % args.promotions) + 1, "production", user="bench")
    else:
        registry.resolve(f"{MODEL}@p{who}")


def _worker(url: str, root: str, phase: str, who: int, count: int, args: argparse.Namespace, artifact_id: int,
            total: int, barrier: Any, out: Any) -> None:
    from loopline.errors import ConflictError

    metadata, registry = _open(url, root)
    registry.models()  # connect before the clock
    barrier.wait(120)
    ops = errors = conflicts = 0
    sample = ""
    start = time.perf_counter()
    for i in range(count):
        try:
            _operation(registry, phase, who, i, args, artifact_id, total)
            ops += 1
        except ConflictError:
            conflicts += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors += 1
            sample = sample or f"{type(exc).__name__}: {str(exc)[:200]}"
    out.put((ops, errors, conflicts, time.perf_counter() - start, sample))
    out.close()
    out.join_thread()
    registry.close()
    metadata.close()
    os._exit(0)


def _phase(url: str, root: str, phase: str, count: int, args: argparse.Namespace, artifact_id: int,
           total: int) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(args.processes), context.Queue()
    workers = [context.Process(target=_worker, args=(url, root, phase, who, count, args, artifact_id, total,
                                                     barrier, out)) for who in range(args.processes)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(60)
    return {
        "ops": sum(r[0] for r in results),
        "errors": sum(r[1] for r in results),
        "conflicts": sum(r[2] for r in results),
        "seconds": max(r[3] for r in results),
        "error_sample": next((r[4] for r in results if r[4]), ""),
    }


def _check(url: str, root: str, phases: dict[str, Any]) -> dict[str, Any]:
    """Versions registered vs listed; every alias's history a chain; the audit chain intact."""
    metadata, registry = _open(url, root)
    try:
        numbers = sorted(v.version for v in registry.versions(MODEL, limit=1_000_000))
        chains_ok = True
        moves_total = 0
        for alias, version in registry.aliases(MODEL).items():
            moves = list(reversed(registry.alias_history(MODEL, alias, limit=1_000_000)))
            moves_total += len(moves)
            chained = all(b.from_version == a.to_version for a, b in zip(moves, moves[1:]))
            chains_ok = chains_ok and chained and moves[-1].to_version == version
        return {
            "count": len(numbers),
            "duplicates": len(numbers) - len(set(numbers)),
            "contiguous": numbers == list(range(1, len(numbers) + 1)),
            "alias_chains_ok": chains_ok,
            "moves_match_promotions": moves_total == phases["promote"]["ops"] + phases["contend"]["ops"],
            "audit_ok": registry.audit.verify().ok,
        }
    finally:
        registry.close()
        metadata.close()


def loopline_repetition(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    total = args.processes * args.registrations
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        root = str(Path(tmp) / "artifacts")
        url = _fresh_url(backend, args.postgres_admin, Path(tmp))
        artifact_id = _model_artifact(url, root)
        result: dict[str, Any] = {}
        for phase, count in (("register", args.registrations), ("promote", args.promotions),
                             ("contend", args.promotions), ("lookup", args.lookups)):
            result[phase] = _phase(url, root, phase, count, args, artifact_id, total)
        result["versions"] = _check(url, root, result)
    return result


def _rate(phase: dict[str, Any]) -> float:
    return phase["ops"] / phase["seconds"] if phase["seconds"] else 0.0


def _answered(phase: dict[str, Any]) -> float:
    """Requests answered per second: moves, conflicts and errors alike."""
    answers = phase["ops"] + phase.get("conflicts", 0) + phase["errors"]
    return answers / phase["seconds"] if phase["seconds"] else 0.0


def report(samples: dict[str, list[dict[str, Any]]], args: argparse.Namespace, versions: str) -> str:
    lines = [versions, ""]
    rows = []
    integrity = []
    for backend in args.backends.split(","):
        ours, theirs = samples[f"loopline_{backend}"], samples[f"mlflow_{backend}"]
        for phase in PHASES:
            ours_rate = _harness.median([_rate(r[phase]) for r in ours])
            theirs_rate = _harness.median([_rate(r[phase]) for r in theirs])
            conflicts = sum(r[phase].get("conflicts", 0) for r in ours)
            attempts = sum(r[phase]["ops"] + r[phase]["errors"] + r[phase].get("conflicts", 0) for r in ours)
            ours_cell, ratio = f"{ours_rate:,.0f}", ours_rate / theirs_rate if theirs_rate else 0.0
            if phase == "contend":  # a conflict is an answer too: compare answers, show the moves
                answered = _harness.median([_answered(r[phase]) for r in ours])
                ours_cell = f"{answered:,.0f} answered, {ours_rate:,.0f} moved"
                theirs_answered = _harness.median([_answered(r[phase]) for r in theirs])
                ratio = answered / theirs_answered if theirs_answered else 0.0
            rows.append([
                backend, phase, ours_cell, f"{theirs_rate:,.0f}", f"{ratio:.1f}" if ratio else "n/a",
                f"{sum(r[phase]['errors'] for r in ours)} / {sum(r[phase]['errors'] for r in theirs)}",
                f"{conflicts} of {attempts}" if phase == "contend" else "",
            ])
        expected = args.processes * args.registrations
        for side, reps in (("Loopline", ours), ("MLflow", theirs)):
            for rep in reps:
                check = rep["versions"]
                lost = expected - rep["register"]["errors"] - check["count"]
                integrity.append([backend, side, expected, rep["register"]["ops"], check["count"], lost,
                                  check["duplicates"], "yes" if check["contiguous"] else "NO",
                                  _extra(check)])
    lines.append(_harness.markdown_table(
        ["backend", "phase", "Loopline ops/s", "MLflow ops/s", "Loopline ÷ MLflow", "errors (Loopline / MLflow)",
         "Loopline conflicts"], rows))
    lines += ["", "Versions after the register phase (per repetition):", ""]
    lines.append(_harness.markdown_table(
        ["backend", "side", "attempted", "succeeded", "listed", "lost", "duplicated", "1..n without gaps",
         "other checks"], integrity))
    samples_per_row = len(next(iter(samples.values())))
    lines.append(f"\n{args.processes} processes; medians of {samples_per_row} repetitions per side and backend.")
    for key, reps in samples.items():
        for rep in reps:
            for phase in PHASES:
                if rep[phase].get("error_sample"):
                    lines.append(f"first error, {key} {phase}: {rep[phase]['error_sample']}")
                    break
    return "\n".join(lines) + "\n"


def _extra(check: dict[str, Any]) -> str:
    if "audit_ok" not in check:
        return ""
    flags = [("alias chains", check["alias_chains_ok"]), ("moves = promotions", check["moves_match_promotions"]),
             ("audit chain", check["audit_ok"])]
    return ", ".join(f"{name} {'ok' if good else 'BROKEN'}" for name, good in flags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--registrations", type=int, default=50)
    parser.add_argument("--promotions", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--postgres-admin", default=os.environ.get(
        "LOOPLINE_BENCH_POSTGRES_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--json", help="write every sample to this file")
    parser.add_argument("--report-from", help="print the report of samples written earlier with --json, and stop")
    args = parser.parse_args()

    if args.report_from:
        import json

        saved = json.loads(Path(args.report_from).read_text())
        print(report(saved["samples"], argparse.Namespace(**saved["args"]), saved.get("versions", "")))
        return
    print(_harness.describe_setting(), flush=True)
    samples: dict[str, list[dict[str, Any]]] = {}
    versions = ""
    peer_admin = args.postgres_admin.replace("postgresql+psycopg://", "postgresql://", 1)
    for round_index in range(args.rounds):
        for backend in args.backends.split(","):
            peer = _harness.run_peer("mlflow", "mlflow_registry.py", [
                "--backend", backend, "--postgres-admin", peer_admin,
                "--processes", str(args.processes), "--registrations", str(args.registrations),
                "--promotions", str(args.promotions), "--lookups", str(args.lookups), "--repeat", str(args.repeat),
            ])  # fmt: skip
            versions = f"MLflow {peer['mlflow_version']} (SQLAlchemy {peer['sqlalchemy_version']})"
            samples.setdefault(f"mlflow_{backend}", []).extend(peer["repetitions"])
            for _ in range(args.repeat):
                samples.setdefault(f"loopline_{backend}", []).append(loopline_repetition(backend, args))
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    print(report(samples, args, versions), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "args": vars(args), "versions": versions,
                                    "samples": samples})


if __name__ == "__main__":
    main()
