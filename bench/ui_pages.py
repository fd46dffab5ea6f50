"""How fast the dashboard's pages answer on a large workspace: 10,000 runs and 100,000 artifacts.

Builds the workspace with SQLAlchemy Core bulk inserts (contexts, runs, executions,
artifacts, events, metrics, a registered model with versions and an audit trail), then
requests each main page through the ASGI app in-process (no network) and reports the
median of several requests. Goal: every page under one second.

    .venv/bin/python bench/ui_pages.py [--runs 10000] [--artifacts 100000] [--repeat 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def build(root: Path, runs: int, artifacts: int) -> dict[str, int]:
    from sqlalchemy import insert

    from loopline.examples import write_workspace
    from loopline.metadata import tables
    from loopline.workspace import Workspace

    write_workspace(root, example="bikes", force=True)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    per_run = max(artifacts // runs, 1)
    steps = ("prepare", "validate", "split", "train", "evaluate", "package", "bless", "register", "report", "publish")
    with Workspace.find(root) as ws:
        engine = ws.registry.db

        def work(conn):  # one transaction for the whole build
            conn.execute(insert(tables.contexts), [{"id": 1, "kind": "pipeline", "name": "training", "properties": {},
                                                     "created_at": started}])
            contexts, run_rows, executions, artifact_rows, events, metrics = [], [], [], [], [], []
            execution_id = artifact_id = 0
            for r in range(runs):
                run_id = r + 2
                at = started + timedelta(minutes=r)
                contexts.append({"id": run_id, "kind": "run", "name": f"run-{r}", "properties": {}, "created_at": at})
                run_rows.append({"id": run_id, "pipeline_id": 1, "status": "failed" if r % 50 == 0 else "complete",
                                 "params": {"train.max_iter": 100 + r % 7, "split.train_end": "2011-06-01"},
                                 "started_at": at, "ended_at": at + timedelta(seconds=30),
                                 "error": "boom" if r % 50 == 0 else None, "owner": "bench:1"})
                previous = None
                for s in range(per_run):
                    execution_id += 1
                    artifact_id += 1
                    executions.append({"id": execution_id, "run_id": run_id, "step": steps[s % len(steps)],
                                       "state": "cached" if r % 3 == 0 and s < 2 else "complete", "cache_key": None,
                                       "params": {}, "started_at": at, "ended_at": at + timedelta(seconds=3),
                                       "input_count": int(previous is not None), "output_count": 1})
                    artifact_rows.append({"id": artifact_id, "type": "Dataset" if s < per_run - 1 else "Model",
                                          "name": f"out{s}", "uri": f"sha256:{artifact_id:064x}",
                                          "digest": f"{artifact_id:064x}", "size": 1000, "format": "parquet",
                                          "properties": {}, "created_at": at,
                                          "producer_execution_id": execution_id})
                    events.append({"execution_id": execution_id, "artifact_id": artifact_id, "kind": "output",
                                   "name": f"out{s}"})
                    if previous is not None:
                        events.append({"execution_id": execution_id, "artifact_id": previous, "kind": "input",
                                       "name": f"in{s}"})
                    previous = artifact_id
                    if s == 3:
                        metrics += [{"execution_id": execution_id, "key": "loss", "value": 1.0 / (i + 1), "step": i,
                                     "timestamp_us": i} for i in range(20)]
            for table, rows in ((tables.contexts, contexts), (tables.runs, run_rows), (tables.executions, executions),
                                (tables.artifacts, artifact_rows), (tables.events, events), (tables.metrics, metrics)):
                for chunk in range(0, len(rows), 20_000):
                    conn.execute(insert(table), rows[chunk:chunk + 20_000])
            return artifact_id

        last_artifact = engine.write(work)
        return {"run": runs // 2 + 2, "artifact": last_artifact // 2, "last_run": runs + 1}


def measure(root: Path, ids: dict[str, int], repeat: int) -> list[tuple[str, float]]:
    from fastapi.testclient import TestClient

    from loopline.ui import create_app
    from loopline.workspace import Workspace

    pages = ["/", "/runs", "/runs?status=failed", "/runs?name=train", f"/runs?before={ids['run']}",
             f"/runs/{ids['run']}", f"/runs/compare?ids={ids['run']}&ids={ids['run'] + 1}", "/pipelines/training",
             f"/lineage/run/{ids['run']}", f"/lineage/artifact/{ids['artifact']}", "/artifacts",
             f"/artifacts?before={ids['artifact']}", f"/artifacts/{ids['artifact']}", "/api/runs",
             f"/api/runs/{ids['run']}", "/models", "/audit", "/data", "/monitoring", "/deployments"]
    results = []
    with Workspace.find(root) as ws:
        client = TestClient(create_app(ws))
        for path in pages:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - began)
            results.append((path, statistics.median(times)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="build the workspace here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="loopline-ui-bench-")) / "ws"
    began = time.perf_counter()
    ids = build(root, args.runs, args.artifacts)
    print(f"built {args.runs} runs and {args.artifacts} artifacts in {time.perf_counter() - began:.1f} s at {root}")
    results = measure(root, ids, args.repeat)
    print(f"{'page':58} median")
    for path, seconds in results:
        print(f"{path:58} {seconds * 1000:8.1f} ms{'' if seconds < 1 else '  OVER 1 s'}")
    slowest = max(results, key=lambda item: item[1])
    print(f"slowest: {slowest[0]} {slowest[1] * 1000:.1f} ms; goal < 1000 ms: {'met' if slowest[1] < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
