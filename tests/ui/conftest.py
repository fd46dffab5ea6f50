"""A demo-like workspace for the dashboard's tests, built once per session.

The bike example trained twice (version 1 promoted to production, version 2 blessed and
registered but not promoted, most of its steps reused from cache), a run, an artifact
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
        first = ws.run("training")
        v1 = first.load("registration", ws.artifacts)["version"]
        ws.registry.promote("bikes", v1, "production", reason="the first blessed model")
        second = ws.run("training", params={"split.train_end": "2011-06-01"})
        v2 = second.load("registration", ws.artifacts)["version"]
        xss_run, drift_id, xss_id = _record_checks_run(ws)
        package = ws.registry.get_version("bikes", v1).artifact_id
        ws.registry.register("html-described", package, description=XSS)
        users = ws.registry.users
        users.add("ada", "admin", actor="ada")
        users.add("ann", "approver", actor="ada")
        users.add("vic", "viewer", actor="ada")
        tokens = {name: ws.registry.tokens.create(name, actor="ada").secret for name in ("ada", "ann", "vic")}
        yield DemoWorkspace(root, v1, v2, xss_run, drift_id, xss_id, first.run.id, tokens)


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
