"""Continuous delivery in the bike-sharing workspace: a blessed candidate is promoted as far as the
policies allow, a worse one is held with its reason, and a policy that wants a person gets a request.

Every decision is in the run's ``delivery`` output and in the audit log.
"""

from pathlib import Path

import pytest

from loopline.examples import write_workspace
from loopline.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workspace(tmp_path_factory.mktemp("bikes") / "ws", example="bikes")


def run(root: Path, **params: object) -> dict:
    with Workspace.find(root) as ws:
        result = ws.run("training", params=params)
        assert result.ok, result.error
        return result.load("delivery", ws.artifacts)


def audit(root: Path, action: str) -> list:
    with Workspace.find(root) as ws:
        return ws.registry.audit.list(action=action, limit=100)


def test_first_blessed_model_goes_through_staging_to_production(workspace: Path) -> None:
    delivery = run(workspace, **{"split.data_end": "2011-03-01"})
    assert delivery["version"] == 1
    assert [(d["alias"], d["action"]) for d in delivery["decisions"]] == [
        ("staging", "promoted"), ("production", "promoted")]
    with Workspace.find(workspace) as ws:
        assert ws.registry.aliases("bikes") == {"staging": 1, "production": 1}
    promotions = audit(workspace, "model.promote")
    assert {e.target for e in promotions} == {"model:bikes@staging", "model:bikes@production"}
    assert all("continuous delivery" in e.reason for e in promotions)


def test_a_candidate_worse_than_production_is_held_with_the_reason(workspace: Path) -> None:
    delivery = run(workspace, **{"split.data_end": "2011-03-15", "estimator": "sklearn.dummy.DummyRegressor()"})
    assert delivery["version"] is None
    [decision] = delivery["decisions"]
    assert decision["action"] == "held"
    assert "not blessed" in decision["reason"] and "rmse" in decision["reason"]
    [held] = audit(workspace, "delivery.hold")
    assert "against bikes/1 (production)" in held.reason and "rmse" in held.reason
    with Workspace.find(workspace) as ws:
        assert ws.registry.aliases("bikes") == {"staging": 1, "production": 1}
        assert [v.version for v in ws.registry.versions("bikes")] == [1]


def test_a_policy_that_wants_a_person_gets_an_approval_request(workspace: Path) -> None:
    config = workspace / "loopline.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("auto_promote = true           #", "auto_promote = false          #"),
                      encoding="utf-8")
    try:
        delivery = run(workspace, **{"split.data_end": "2011-04-15"})
    finally:
        config.write_text(text, encoding="utf-8")
    version = delivery["version"]
    assert version == 2
    staging, production = delivery["decisions"]
    assert (staging["alias"], staging["action"]) == ("staging", "promoted")
    assert (production["alias"], production["action"]) == ("production", "awaiting approval")
    [request] = audit(workspace, "delivery.request")
    assert request.target == "model:bikes@production" and request.details["version"] == version
    with Workspace.find(workspace) as ws:
        assert ws.registry.aliases("bikes") == {"staging": version, "production": 1}
