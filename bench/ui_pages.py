"""How fast the dashboard's pages answer on a large workspace: 10,000 runs and 100,000 artifacts.

Builds the workspace with SQLAlchemy Core bulk inserts (contexts, runs, executions,
artifacts, events, metrics; two years of daily monitor windows over 30 features, alert
events, trigger firings and delivery decisions), stores a profile, a drift report and a
validation result of 60 columns as JSON, and records 50 applied versions of 20 feature
views with 1,000 materializations; then
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
        ids = {"run": runs // 2 + 2, "artifact": last_artifact // 2, "last_run": runs + 1}
        ids.update(build_the_loop(ws, runs, started))
        ids.update(build_reports(ws))
        build_features(ws)
        return ids


FEATURES = 30
WINDOWS = 730
VIEWS = 20
VERSIONS = 50


def build_the_loop(ws, runs: int, started: datetime) -> dict[str, int]:
    """Two years of daily monitor windows (30 features each), alert events, firings and delivery decisions."""
    from sqlalchemy import insert

    from loopline.metadata import tables

    windows, events, firings = [], [], []
    for day in range(WINDOWS):
        at = started + timedelta(days=day)
        columns = [{"column": f"f{i:02d}", "kind": "numeric", "measure": "ks", "statistic": 0.1, "p_value": (day + i) % 7 / 7,
                    "threshold": 0.05, "verdict": "drift" if (day + i) % 7 == 0 else "no drift"} for i in range(FEATURES)]
        quality = [{"column": f"f{i:02d}", "missing_share": 0.0, "out_of_domain_share": 0.01} for i in range(FEATURES)]
        metrics = {"rows": 24.0, "labelled": 24.0, "drift.share": sum(c["verdict"] == "drift" for c in columns) / FEATURES,
                   "performance.value": 30 + day % 10, "performance.relative": 0.2 + day % 5 / 20,
                   "operations.latency_p50_ms": 5.0, "operations.latency_p95_ms": 12.0,
                   "operations.latency_p99_ms": 30.0, "operations.error_rate": 0.0, "quality.missing_max": 0.0}
        windows.append({"monitor": "bench_daily", "model": "bench", "window_key": at.isoformat(), "window_start": at,
                        "window_end": at + timedelta(days=1), "rows": 24, "labelled": 24, "complete": 1,
                        "metrics": metrics, "details": {"drift": {"verdict": "drift", "columns": columns},
                                                        "quality": {"columns": quality}, "versions": {"1": 24}},
                        "computed_at": at})
        if day % 7 == 0:
            events.append({"rule": "drift", "monitor": "bench_daily", "model": "bench", "state": "firing",
                           "window_key": at.isoformat(), "window_start": at, "metric": "drift.share", "value": 0.6,
                           "threshold": 0.5, "evidence": {"windows": [at.isoformat()]}, "deliveries": None,
                           "created_at": at})
            firings.append({"trigger": "retrain", "kind": "alert", "dedup_key": f"alert:{day}", "reason": "drift",
                            "details": {}, "pipeline": "training", "params": {}, "status": "succeeded",
                            "run_id": 2 + day % runs, "error": None, "fired_by": "bench", "fired_at": at,
                            "finished_at": at})

    def work(conn):
        for table, rows in ((tables.monitor_windows, windows), (tables.alert_events, events),
                            (tables.trigger_firings, firings)):
            conn.execute(insert(table), rows)

    ws.registry.db.write(work)
    for day in range(0, WINDOWS, 7):
        ws.registry.audit.append(actor="bench", action="model.promote", target="model:bench@production",
                                 reason=f"continuous delivery, run {2 + day % runs}: blessed", details={"to": day})
    return {}


def build_reports(ws) -> dict[str, int]:
    """A profile and a drift report of 60 columns, and a validation result with 60 anomalies, stored as JSON."""
    import numpy as np
    import pandas as pd

    from loopline.artifacts.formats import store_value
    from loopline.metadata.records import NewArtifact
    from loopline.validation import detect_drift, infer_schema, profile, validate

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i:02d}": rng.normal(i, 1, 20_000) if i % 3 else rng.choice(list("abcdefgh"), 20_000)
                          for i in range(60)})
    shifted = frame.apply(lambda c: c + 0.5 if c.dtype.kind == "f" else c)
    broken = frame.astype(str)
    ids = {}
    for name, kind, value in (("profile", "Statistics", profile(frame)), ("drift", "Drift", detect_drift(frame, shifted)),
                              ("anomalies", "Anomalies", validate(broken, infer_schema(frame)))):
        stored = store_value(ws.artifacts, value)
        ids[name] = ws.metadata.artifacts.record(NewArtifact(name, kind, stored.uri, stored.digest, stored.size,
                                                             stored.format, stored.properties)).id
    return ids


def build_features(ws) -> None:
    """Fifty applied versions of twenty feature views (one view changed in each), each view materialized 50 times."""
    import json

    from loopline.features.description import canonical_json
    from loopline.metadata.records import NewArtifact

    def view(v: int, version: int) -> dict:
        return {"name": f"view_{v:02d}", "entities": ["city"], "source": {"kind": "file", "path": f"data/{v}.parquet"},
                "timestamp_field": "ts", "created_timestamp_field": None, "ttl_seconds": 86400.0,
                "features": [{"name": f"x{f}", "dtype": "float64"} for f in range(10)], "transformation": None,
                "description": f"view {v}, revision {version if v == version % VIEWS else 0}"}

    for version in range(1, VERSIONS + 1):
        description = {"format": 1, "entities": [{"name": "city", "join_keys": ["city"], "description": ""}],
                       "feature_views": [view(v, version) for v in range(VIEWS)], "on_demand_feature_views": []}
        stored = ws.artifacts.put_bytes(canonical_json(description).encode())
        ws.metadata.artifacts.record(NewArtifact("feature_definitions", "FeatureDefinitions", stored.uri, stored.digest,
                                                 stored.size, "json", {"changes": [f"~ feature view 'view_{version % VIEWS:02d}'"]}))
        for v in range(VIEWS):
            summary = {"view": f"view_{v:02d}", "start": None, "end": f"2026-01-{1 + version % 28:02d}T00:00:00",
                       "entities": 1, "written": 1, "seconds": 0.01}
            stored = ws.artifacts.put_bytes(json.dumps(summary).encode())
            ws.metadata.artifacts.record(NewArtifact(f"materialization/view_{v:02d}", "Materialization", stored.uri,
                                                     stored.digest, stored.size, "json", summary))


def measure(root: Path, ids: dict[str, int], repeat: int) -> list[tuple[str, float]]:
    from fastapi.testclient import TestClient

    from loopline.ui import create_app
    from loopline.workspace import Workspace

    pages = ["/", "/runs", "/runs?status=failed", "/runs?name=train", f"/runs?before={ids['run']}",
             f"/runs/{ids['run']}", f"/runs/compare?ids={ids['run']}&ids={ids['run'] + 1}", "/pipelines/training",
             f"/lineage/run/{ids['run']}", f"/lineage/artifact/{ids['artifact']}", "/artifacts",
             f"/artifacts?before={ids['artifact']}", f"/artifacts/{ids['artifact']}", "/api/runs",
             f"/api/runs/{ids['run']}", "/models", "/audit", "/data", "/monitoring", "/monitoring?feature=f07",
             "/api/monitoring", "/deployments", f"/data/profile/{ids['profile']}", f"/data/drift/{ids['drift']}",
             f"/data/anomalies/{ids['anomalies']}", "/features", "/features/views/view_07",
             f"/features/diff?from=1&to={VERSIONS}"]
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
