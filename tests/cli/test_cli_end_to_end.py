"""The first slice as a user runs it: init the bike workspace, run, re-run from cache, inspect."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def loopline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopline.cli.main", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def bikes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "bikes"
    result = loopline("init", str(root), "--example", "bikes", cwd=root.parent)
    assert result.returncode == 0, result.stderr
    return root


def test_run_records_metrics_and_a_second_run_is_fully_cached(bikes: Path) -> None:
    first = loopline("run", "training", "--json", cwd=bikes)
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    assert run["run"]["status"] == "complete"

    second = json.loads(loopline("run", "training", "--json", cwd=bikes).stdout)
    states = {s["execution"]["step"]: s["execution"]["state"] for s in _details(bikes, second["run"]["id"])["steps"]}
    assert states == {
        "prepare": "cached", "validate": "cached", "build_training_frame": "cached", "split": "cached", "train": "cached", "evaluate": "cached",
        "package": "cached", "bless": "cached", "register": "cached", "promote": "cached",
    }

    details = _details(bikes, run["run"]["id"])
    metrics = {s["execution"]["step"]: s["metrics"] for s in details["steps"]}
    assert 0 < metrics["evaluate"]["mae"] < 150
    assert metrics["evaluate"]["r2"] > 0.5


def test_changing_a_parameter_reruns_only_what_depends_on_it(bikes: Path) -> None:
    loopline("run", "training", cwd=bikes)
    result = loopline("run", "training", "--param", "train.seed=1", "--json", cwd=bikes)
    assert result.returncode == 0, result.stderr
    states = {s["execution"]["step"]: s["execution"]["state"] for s in _details(bikes, json.loads(result.stdout)["run"]["id"])["steps"]}
    assert states["prepare"] == states["split"] == "cached"
    assert states["train"] == states["evaluate"] == "complete"


def test_listing_lineage_and_graph(bikes: Path) -> None:
    loopline("run", "training", cwd=bikes)
    runs = json.loads(loopline("runs", "list", "--json", cwd=bikes).stdout)
    assert runs and all(r["pipeline"] == "training" for r in runs)
    details = _details(bikes, runs[-1]["id"])
    model = next(s["outputs"]["model"] for s in details["steps"] if "model" in s["outputs"])
    assert model["type"] == "Model"

    graph = json.loads(loopline("lineage", f"artifact/{model['id']}", "--direction", "up", "--json", cwd=bikes).stdout)
    steps = {e["step"] for e in graph["executions"].values()}
    assert {"prepare", "split", "train"} <= steps
    tree = loopline("lineage", f"a{model['id']}", cwd=bikes)
    assert tree.returncode == 0 and "upstream" in tree.stdout and "bike_hours" in tree.stdout

    text = loopline("pipeline", "show", "training", cwd=bikes).stdout
    assert "train" in text and "→" in text
    mermaid = loopline("pipeline", "show", "training", "--mermaid", cwd=bikes).stdout
    assert mermaid.startswith("flowchart TD") and "-->" in mermaid


def test_unknown_pipeline_suggests_the_close_name(bikes: Path) -> None:
    result = loopline("run", "trainin", cwd=bikes)
    assert result.returncode == 1
    assert "no pipeline named 'trainin'" in result.stderr and "did you mean 'training'?" in result.stderr


def _details(root: Path, run_id: int) -> dict:
    result = loopline("runs", "show", str(run_id), "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
