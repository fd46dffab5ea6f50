"""A demo-like workspace for the dashboard's tests, built once per session.

The bike example trained twice without continuous delivery (version 1 promoted to staging
and production, version 2 blessed and registered but not promoted, most of its steps reused from cache), a run, an artifact
and a model whose names or descriptions are HTML, a recorded drift report, and three
users with tokens: an admin, an approver and a viewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("jinja2", reason="the dashboard needs the 'ui' extra: pip install 'loopline[ui]'")

XSS = "<script>alert(1)</script>"


@dataclass(frozen=True)
class DemoWorkspace:
    root: Path
    v1: int
    v2: int
    xss_run: int
    drift_artifact: int
    xss_artifact: int
    first_run: int
    tokens: dict[str, str]
    reports: dict[str, int]
    second_run: int


def _record_reports_run(ws: Any) -> dict[str, int]:
    """A run that recorded a profile and anomalies as JSON, and a drift report the old way (a pickle)."""
    import numpy as np
    import pandas as pd

    from loopline.artifacts.formats import encode_pickle, store_value
    from loopline.metadata.records import NewArtifact, RunStatus
    from loopline.validation import detect_drift, infer_schema, profile, validate

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"temp": rng.normal(15, 5, 400), XSS: rng.choice(["a", "b"], 400)})
    broken = frame.assign(temp=frame["temp"].astype(str))
    values = {"statistics": ("Statistics", store_value(ws.artifacts, profile(frame))),
              "anomalies": ("Anomalies", store_value(ws.artifacts, validate(broken, infer_schema(frame))))}
    old = encode_pickle(detect_drift(frame, frame))
    stored = ws.artifacts.put_bytes(old.data)
    run = ws.metadata.runs.start("reports", params={})
    execution = ws.metadata.executions.start(run.id, "check", cache_key=None, params={})
    outputs = {name: NewArtifact(name, kind, v.uri, v.digest, v.size, v.format, v.properties)
               for name, (kind, v) in values.items()}
    outputs["old_drift"] = NewArtifact("old_drift", "Drift", stored.uri, stored.digest, stored.size, "pickle", {})
    recorded = ws.metadata.executions.complete(execution.id, inputs={}, outputs=outputs)
    ws.metadata.runs.finish(run.id, RunStatus.COMPLETE)
    return {name: artifact.id for name, artifact in recorded.items()}


def _apply_two_feature_versions(ws: Any) -> None:
    """Definitions applied twice (the second changes a view's description), materialized in between."""
    import dataclasses

    from loopline.features import FeatureRepository, FeatureStore, FeatureView
    from loopline.features.configured import workspace_feature_store

    store = workspace_feature_store(ws.root, ws.settings.features, objects=ws.artifacts, records=ws.metadata.artifacts)
    with store:
        store.apply()
        store.materialize(None, None, "2011-02-01")
        changed = FeatureRepository([
            dataclasses.replace(d, description="hourly weather, as observed") if isinstance(d, FeatureView)
            and d.name == "weather_by_hour" else d for d in store.repository.definitions])
    with FeatureStore(changed, store.online_url, history=store.history) as second:
        second.apply()
        second.materialize_incremental(["weather_by_hour"], end="2011-03-01")


def _record_the_loop(ws: Any, run_id: int, v1: int, v2: int) -> None:
    """Monitor windows with per-feature drift, an alert firing that started ``run_id``, automatic moves."""
    from datetime import timedelta

    from loopline.monitoring.results import WindowResult
    from loopline.monitoring.store import MonitorStore
    from loopline.triggers.records import Candidate, RunOutcome
    from loopline.triggers.store import TriggerStore

    start = datetime(2011, 3, 1, tzinfo=UTC)
    windows = []
    for day in range(3):
        drifted = day > 0
        columns = [{"column": "temp", "verdict": "drift" if drifted else "no drift", "p_value": 0.01 if drifted
                    else 0.6, "statistic": 0.4, "threshold": 0.05},
                   {"column": "hum", "verdict": "no drift", "p_value": 0.5, "statistic": 0.1, "threshold": 0.05}]
        windows.append(WindowResult(
            monitor="bikes_daily", model="bikes", key=f"w{day}", start=start + timedelta(days=day),
            end=start + timedelta(days=day + 1), rows=24, labelled=24, complete=True, versions={str(v1): 24},
            details={"drift": {"verdict": "drift" if drifted else "no drift", "columns": columns},
                     "quality": {"columns": [{"column": "temp", "missing_share": 0.0, "out_of_domain_share": 0.1}]}},
            metrics={"drift.share": 0.5 if drifted else 0.0, "performance.value": 30.0 + day,
                     "performance.relative": 0.2 + day / 10, "operations.latency_p95_ms": 12.0}))
    with MonitorStore(ws.metadata_url) as monitors:
        monitors.save_windows(windows)
    with TriggerStore(ws.metadata_url) as triggers:
        firing = triggers.record("retrain_on_alert", kind="alert", fired_by="test",
                                 candidate=Candidate(cursor={}, dedup_key="alert:1", reason="alert demand_drift fired"),
                                 pipeline="training", params={})
        triggers.finish(firing.id, RunOutcome(run_id=run_id, ok=True))
    ws.registry.promote("bikes", v1, "challenger", reason="the first candidate")
    ws.registry.promote("bikes", v2, "challenger", reason=f"continuous delivery, run {run_id}: blessed")
    ws.registry.rollback("bikes", "challenger", reason="automatic rollback: version 2 did worse once live")


def _record_checks_run(ws: Any) -> tuple[int, int, int]:
    """A finished run of a pipeline named like a script tag, with a drift report and an HTML-named artifact."""
    import numpy as np
    import pandas as pd

    from loopline.artifacts.formats import store_value
    from loopline.metadata.records import MetricPoint, NewArtifact, RunStatus
    from loopline.validation import detect_drift

    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"temp": rng.normal(15, 5, 600), "season": rng.choice(["spring", "summer"], 600)})
    current = pd.DataFrame({"temp": rng.normal(24, 5, 600), "season": rng.choice(["summer", "fall"], 600)})
    report = store_value(ws.artifacts, detect_drift(reference, current).to_dict())
    frame = store_value(ws.artifacts, {"note": XSS})
    run = ws.metadata.runs.start(XSS, params={"note": XSS})
    execution = ws.metadata.executions.start(run.id, "check_drift", cache_key=None, params={})
    now = datetime.now(UTC)
    recorded = ws.metadata.executions.complete(execution.id, inputs={}, outputs={
        "drift": NewArtifact("drift", "Drift", report.uri, report.digest, report.size, report.format, report.properties),
        XSS: NewArtifact(XSS, "Value", frame.uri, frame.digest, frame.size, frame.format, frame.properties),
    }, metrics=[MetricPoint("share", float(i) / 10, i, now) for i in range(5)], logs=f"log line {XSS}")
    ws.metadata.runs.finish(run.id, RunStatus.COMPLETE)
    return run.id, recorded["drift"].id, recorded[XSS].id


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorkspace]:
    from loopline.examples import write_workspace
    from loopline.workspace import Workspace

    root = write_workspace(tmp_path_factory.mktemp("ui") / "bikes", example="bikes", force=True)
    with Workspace.find(root) as ws:
        held = {"promote.promote_to": []}  # no continuous delivery: the tests move the aliases themselves
        first = ws.run("training", params=held)
        v1 = first.load("registration", ws.artifacts)["version"]
        for alias in ("staging", "production"):
            ws.registry.promote("bikes", v1, alias, reason="the first blessed model")
        second = ws.run("training", params={**held, "split.train_end": "2011-06-01"})
        v2 = second.load("registration", ws.artifacts)["version"]
        xss_run, drift_id, xss_id = _record_checks_run(ws)
        reports = _record_reports_run(ws)
        _apply_two_feature_versions(ws)
        _record_the_loop(ws, second.run.id, v1, v2)
        package = ws.registry.get_version("bikes", v1).artifact_id
        ws.registry.register("html-described", package, description=XSS)
        users = ws.registry.users
        users.add("ada", "admin", actor="ada")
        users.add("ann", "approver", actor="ada")
        users.add("vic", "viewer", actor="ada")
        tokens = {name: ws.registry.tokens.create(name, actor="ada").secret for name in ("ada", "ann", "vic")}
        yield DemoWorkspace(root, v1, v2, xss_run, drift_id, xss_id, first.run.id, tokens, reports, second.run.id)


@pytest.fixture(scope="session")
def ui_workspace(demo_workspace: DemoWorkspace) -> Iterator[Any]:
    from loopline.workspace import Workspace

    with Workspace.find(demo_workspace.root) as ws:
        yield ws


@pytest.fixture(scope="session")
def secured_app(ui_workspace: Any) -> Any:
    """The dashboard as served on a non-loopback address: every request needs a token."""
    from loopline.ui import create_app

    return create_app(ui_workspace, tokens_required=True)


def client_for(app: Any, token: str | None = None, *, login: bool = True) -> Any:
    """A TestClient logged in with ``token`` through the login form (cookie session)."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://127.0.0.1:8090")
    if token is not None and login:
        page = client.get("/login")
        response = client.post("/login", data={"token": token, "next": "/", "csrf_token": csrf_of(page.text)},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)
