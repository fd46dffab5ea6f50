"""``loopline trigger NAME``, ``loopline triggers list|history`` and ``loopline agent --once`` on a small workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopline.cli.main import run

TOML = """
[datasets.rides]
path = "data/rides.csv"

[triggers.retrain]
kind = "manual"
pipeline = "summary"
cooldown_s = 3600

[triggers.arrivals]
kind = "new_data"
path = "incoming"
glob = "*.csv"
pipeline = "summary"
"""

PIPELINES = '''
from loopline import Pipeline, step


def total(rides):
    return {"total": int(rides["n"].sum())}


summary = Pipeline([step(total, outputs="summary")], name="summary", inputs=["rides"])
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "data").mkdir(parents=True)
    (root / "incoming").mkdir()
    (root / "loopline.toml").write_text(TOML)
    (root / "pipelines.py").write_text(PIPELINES)
    (root / "data" / "rides.csv").write_text("station,n\n1,5\n2,7\n")
    return root


def invoke(capsys: pytest.CaptureFixture[str], workspace: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        run(["--workspace", str(workspace), *args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out = capsys.readouterr()
    return code, out.out, " ".join(out.err.split())  # unwrapped: the console wraps long lines


def test_manual_trigger_runs_the_pipeline_and_respects_its_cooldown(capsys, workspace: Path) -> None:
    code, out, _ = invoke(capsys, workspace, "trigger", "retrain", "--json")
    firing = json.loads(out)
    assert code == 0 and (firing["status"], firing["kind"], firing["pipeline"]) == ("succeeded", "manual", "summary")
    assert isinstance(firing["run_id"], int)
    code, _, err = invoke(capsys, workspace, "trigger", "retrain")
    assert code == 1 and "its cooldown of 3600 s ends at" in err
    code, out, _ = invoke(capsys, workspace, "trigger", "retrain", "--force", "--json")
    assert code == 0 and json.loads(out)["details"] == {"forced": True}
    code, _, err = invoke(capsys, workspace, "trigger", "retrian")
    assert code == 1 and "no trigger named 'retrian'" in err and "did you mean 'retrain'" in err
    code, out, _ = invoke(capsys, workspace, "triggers", "history", "retrain", "--json")
    assert [f["details"].get("forced") for f in json.loads(out)] == [True, False]


def test_agent_once_checks_triggers_and_list_shows_the_last_firing(capsys, workspace: Path) -> None:
    assert invoke(capsys, workspace, "agent", "--once")[0] == 0  # first look: incoming/ is empty
    (workspace / "incoming" / "2011-02.csv").write_text("x")
    code, out, _ = invoke(capsys, workspace, "agent", "--once")
    assert code == 0 and "trigger arrivals fired (1 new file(s)" in out and "succeeded" in out
    code, out, _ = invoke(capsys, workspace, "triggers", "list", "--json")
    listed = {t["name"]: t for t in json.loads(out)}
    assert listed["arrivals"]["when"] == "new files incoming/*.csv"
    assert listed["arrivals"]["last_firing"]["reason"].endswith("2011-02.csv") and listed["retrain"]["last_firing"] is None
    code, out, _ = invoke(capsys, workspace, "triggers", "list")
    assert code == 0 and "arrivals" in out and "never" in out


def test_a_trigger_missing_what_its_kind_needs_is_a_config_error(capsys, workspace: Path) -> None:
    (workspace / "loopline.toml").write_text('[triggers.nightly]\nkind = "schedule"\npipeline = "summary"\n')
    code, _, err = invoke(capsys, workspace, "triggers", "list")
    assert code == 1 and "a schedule trigger needs cron" in err
