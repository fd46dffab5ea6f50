"""The bike-sharing training pipeline validates its data before training.

The real data's warnings (casual + registered = cnt, humidity stuck at 0 on 2011-03-10) are
recorded and the run goes on; an ERROR stops it, names the anomaly, and the failed
execution keeps the anomalies as an artifact.
"""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from loopline.artifacts import decode
from loopline.examples import write_workspace
from loopline.metadata import EventKind, ExecutionState
from loopline.pipelines import RunResult, StepStatus
from loopline.validation import AnomalyCode, Severity, ValidationResult
from loopline.workspace import Workspace

DATA = Path("data") / "bike_sharing_hour.csv"


def run_training(root: Path) -> tuple[RunResult, Workspace]:
    workspace = Workspace.find(root)
    return workspace.run("training"), workspace


def edit_data(root: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(root / DATA)).to_csv(root / DATA, index=False)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult, ValidationResult]:
    root = write_workspace(tmp_path_factory.mktemp("bikes") / "ws", example="bikes")
    result, workspace = run_training(root)
    with workspace:
        anomalies = result.load("anomalies", workspace.artifacts)
    return root, result, anomalies


def test_the_real_data_warns_and_the_run_completes(clean_run: tuple[Path, RunResult, ValidationResult]) -> None:
    _, result, anomalies = clean_run
    assert result.ok, result.error
    assert list(result.steps) == ["prepare", "validate", "build_training_frame", "split", "train", "evaluate", "package", "bless", "register", "promote"]
    assert result.outputs["anomalies"].type == "Anomalies"
    assert anomalies.passed and all(a.severity is Severity.WARNING for a in anomalies.anomalies)
    leak = anomalies.for_column("casual + registered")
    assert [a.code for a in leak] == [AnomalyCode.TARGET_LEAKAGE]
    humidity = [a for a in anomalies.for_column("hum") if a.code is AnomalyCode.STUCK_VALUES]
    runs = [(e["value"], e["from"]["timestamp"][:10], e["length"]) for e in humidity[0].examples]
    assert (0.0, "2011-03-10", 22) in runs


def test_editing_the_schema_validates_again(clean_run: tuple[Path, RunResult, ValidationResult]) -> None:
    root = clean_run[0]
    with (root / "schema.yaml").open("a", encoding="utf-8") as schema:
        schema.write("# reviewed\n")
    result, workspace = run_training(root)
    workspace.close()
    states = {name: outcome.status for name, outcome in result.steps.items()}
    assert states["prepare"] is StepStatus.CACHED and states["validate"] is StepStatus.RAN
    assert states["split"] is states["train"] is StepStatus.CACHED  # the hours passed on are the same


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda frame: frame.assign(hum=frame["hum"].where(frame.index != 100, 5.0)), "OUT_OF_RANGE in column 'hum'"),
        (lambda frame: frame.drop(columns=["casual"]), "MISSING_COLUMN in column 'casual'"),
    ],
    ids=["value out of range", "column removed"],
)
def test_an_error_stops_the_run_and_the_failed_execution_keeps_the_anomalies(
    tmp_path: Path, change: Callable[[pd.DataFrame], pd.DataFrame], named: str
) -> None:
    root = write_workspace(tmp_path / "ws", example="bikes")
    edit_data(root, change)
    result, workspace = run_training(root)
    with workspace:
        assert not result.ok
        expected = f"step 'validate' failed: DataValidationError: the data failed validation with 1 ERROR anomaly: "
        assert expected + named in (result.error or "")
        assert [n for n, o in result.steps.items() if o.status is StepStatus.SKIPPED] == ["build_training_frame", "split", "train", "evaluate", "package", "bless", "register", "promote"]
        execution = workspace.metadata.executions.get(result.steps["validate"].execution_id)
        assert execution.state is ExecutionState.FAILED
        outputs = [e for e in workspace.metadata.executions.events(execution.id) if e.kind is EventKind.OUTPUT]
        assert [e.name for e in outputs] == ["anomalies"]
        artifact = workspace.metadata.artifacts.get(outputs[0].artifact_id)
        assert artifact.type == "Anomalies"
        kept = decode(workspace.artifacts, artifact.uri, artifact.format)
        assert not kept.passed and [e.code.value for e in kept.errors] == [named.split()[0]]
