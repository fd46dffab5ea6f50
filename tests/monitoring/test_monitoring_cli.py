"""``loopline monitor run|status|history`` on a workspace with a trained model and a logged replay."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from monitoring_helpers import START, Stores, open_stores, replay, train_and_register
from typer.testing import CliRunner

from loopline.cli.main import _register, app
from loopline.errors import ConfigError
from loopline.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Workspace, Stores]]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "loopline.toml").write_text(f"""
[monitors.bikes-daily]
model = "bikes"
window = "daily"

[alerts.rules.drifting]
monitor = "bikes-daily"
metric = "drift.dataset_drift"
above = 0.5
channels = ["log", "file"]

[alerts.channels.file]
kind = "command"
command = [{json.dumps(sys.executable)}, "-c", "import sys; open('{root / 'alert.json'}', 'w').write(sys.stdin.read())"]
""")
    with Workspace.find(root) as ws:
        stores = open_stores(ws.metadata_url, Path(ws.artifact_root))
        try:
            yield ws, stores
        finally:
            stores.close()


def invoke(ws: Workspace, *args: str):
    _register()
    return runner.invoke(app, ["--workspace", str(ws.root), *args])


def test_run_status_and_history_from_the_command_line(workspace: tuple[Workspace, Stores]) -> None:
    ws, stores = workspace
    version = train_and_register(stores)
    replay(stores, days=2, version=version)
    replay(stores, days=1, version=version, drifted=True, start=START + timedelta(days=2), seed=12)
    done = invoke(ws, "monitor", "run", "bikes")
    assert done.exit_code == 0, done.output
    assert "Monitor bikes-daily (bikes)" in done.output
    assert "alert drifting firing at window 2011-03-03T00:00:00Z" in done.output
    event = json.loads((ws.root / "alert.json").read_text())
    assert event["rule"] == "drifting" and event["state"] == "firing"

    again = json.loads(invoke(ws, "monitor", "run", "bikes", "--json").output)
    assert again[0]["monitor"] == "bikes-daily" and again[0]["events"] == []

    status = json.loads(invoke(ws, "monitor", "status", "bikes", "--json").output)
    assert status[0]["alerts"] == [{"rule": "drifting", "state": "firing", "streak": 1,
                                    "as_of": "2011-03-03T00:00:00Z"}]
    assert "drift" in status[0]["latest"][-1]["verdicts"]

    history = json.loads(invoke(ws, "monitor", "history", "bikes", "--json").output)["bikes-daily"]
    assert [w["window"] for w in history[:3]] == ["2011-03-01T00:00:00Z", "2011-03-02T00:00:00Z",
                                                  "2011-03-03T00:00:00Z"]
    assert history[2]["metrics"]["drift.dataset_drift"] == 1.0 and history[0]["metrics"]["rows"] == 48.0
    assert history[0]["details"]["drift"]["columns"][0]["measure"] == "ks"
    shown = invoke(ws, "monitor", "history", "bikes", "--since", "2011-03-02")
    assert shown.exit_code == 0 and "Monitor bikes-daily: 2 window(s)" in shown.output  # 03-02 and 03-03


def test_cli_errors_say_what_to_do(workspace: tuple[Workspace, Stores]) -> None:
    ws, _ = workspace
    done = invoke(ws, "monitor", "status", "bikes")
    assert done.exit_code == 0 and "no windows yet; run 'loopline monitor run bikes'" in done.output
    done = invoke(ws, "monitor", "run", "bikes")
    assert done.exit_code == 0  # no traffic yet: nothing to measure, no reference needed
    (ws.root / "loopline.toml").write_text('[alerts.rules.r]\nmonitor = "bikes"\nmetric = "drift.shares"\nabove = 1\n')
    with Workspace.find(ws.root) as fresh:
        done = invoke(fresh, "monitor", "run", "bikes")
    assert isinstance(done.exception, ConfigError)
    assert "watches 'drift.shares', which no monitor measures" in done.exception.message
    assert "did you mean 'drift.share'" in (done.exception.hint or "")
