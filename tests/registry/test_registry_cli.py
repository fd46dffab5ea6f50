"""The registry as a user drives it from the command line (each command a fresh process)."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from registry_helpers import Doubler, make_model_artifact, record_blessing

from loopline.workspace import Workspace

HERE = Path(__file__).parent
CONFIG = """
[metadata]
url = "sqlite:///.loopline/metadata.db"

[registry.policies.production]
require_blessing = true
approvals = 1

[scoping]
intended_use = "Forecast hourly rentals."
"""


def loopline(workspace: Path, *args: str, user: str = "dev") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOOPLINE_USER": user, "PYTHONPATH": str(HERE), "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "loopline.cli.main", *args], capture_output=True, text=True,
                          cwd=workspace, env=env, timeout=120)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace where 'dev' registered bikes/1 and bikes/2; bikes/1 is blessed."""
    root = tmp_path_factory.mktemp("registry-cli")
    (root / "loopline.toml").write_text(CONFIG)
    with Workspace.find(root) as ws:
        artifact = make_model_artifact(ws.metadata, ws.artifacts)
        ws.registry.register("bikes", artifact.id, user="dev")
        ws.registry.register("bikes", artifact.id, user="dev")
        record_blessing(ws.metadata, artifact.id)
    return root


def test_promotion_refusal_approval_and_rollback(workspace: Path) -> None:
    refused = loopline(workspace, "models", "promote", "bikes", "1", "--alias", "production")
    assert refused.returncode == 1
    assert "the policy of 'production' refuses bikes/1 (promoted by dev); 1 condition(s) unmet" in refused.stderr
    assert "approvals: 0 of 1 approvals by approver or above" in refused.stderr

    mine = loopline(workspace, "models", "approve", "bikes", "1", user="dev")
    assert mine.returncode == 1 and "'dev' registered bikes/1 and so may not approve it" in mine.stderr
    assert loopline(workspace, "models", "approve", "bikes", "1", "-m", "ok", user="ann").returncode == 0
    check = loopline(workspace, "models", "check", "bikes", "1", "--alias", "production", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["allowed"] is True

    for version in ("1", "2"):
        done = loopline(workspace, "models", "promote", "bikes", version, "--alias", "staging", "--json")
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["from_version"] == 1
    assert loopline(workspace, "models", "promote", "bikes", "1", "--alias", "production").returncode == 0

    back = loopline(workspace, "models", "rollback", "bikes", "--alias", "staging", "--json")
    assert json.loads(back.stdout)["to_version"] == 1
    held = loopline(workspace, "models", "archive", "bikes", "1")
    assert held.returncode == 1 and "bikes/1 is behind production, staging" in held.stderr

    shown = json.loads(loopline(workspace, "models", "show", "bikes", "--json").stdout)
    assert shown["model"]["aliases"] == {"production": 1, "staging": 1}
    assert [m["action"] for m in shown["alias_history"]][:2] == ["rollback", "promote"]
    assert [v["version"] for v in shown["versions"]] == [2, 1]


def test_card_audit_users_tokens_and_import(workspace: Path) -> None:
    card = loopline(workspace, "models", "card", "bikes", "-o", "card.html")
    assert card.returncode == 0, card.stderr
    page = (workspace / "card.html").read_text()
    assert "<h1>Model card: bikes version 2</h1>" in page and "Forecast hourly rentals." in page

    assert loopline(workspace, "users", "add", "root", "--role", "admin", user="root").returncode == 0
    assert loopline(workspace, "users", "add", "ann", "--role", "approver", user="root").returncode == 0
    token = json.loads(loopline(workspace, "tokens", "create", "--name", "ci", "--json", user="ann").stdout)
    assert token["token"].startswith("ll_") and token["user"] == "ann"

    pickled = workspace / "outside.pkl"
    pickled.write_bytes(pickle.dumps(Doubler()))
    untrusted = loopline(workspace, "models", "import", str(pickled), "--name", "outside", user="root")
    assert untrusted.returncode == 1 and "only when told to trust them" in untrusted.stderr
    imported = loopline(workspace, "models", "import", str(pickled), "--name", "outside", "--trust", user="root")
    assert imported.returncode == 0, imported.stderr

    events = json.loads(loopline(workspace, "audit", "list", "--json", "-n", "500").stdout)
    actions = {e["action"] for e in events}
    assert {"model.import", "token.create", "user.add", "model.promote", "policy.refuse"} <= actions
    assert loopline(workspace, "audit", "verify").returncode == 0
    import sqlite3

    with sqlite3.connect(workspace / ".loopline" / "metadata.db") as conn:
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    broken = loopline(workspace, "audit", "verify")
    assert broken.returncode == 1
    assert "audit log broken at event 2: event 2 was edited" in broken.stderr
