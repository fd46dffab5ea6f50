"""The whole chain on the bike data, through Workspace.run: train, evaluate with slices, package,
bless against production, register; then a worse candidate is refused and a rerun is identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopline.evaluation import Blessing, Evaluation
from loopline.examples.bikes import data_path
from loopline.metadata import ArtifactType, RunStatus
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import ModelPackage
from loopline.training.steps import tune_model
from loopline.workspace import Workspace

PIPELINES = '''
from loopline import Pipeline, step
from loopline.evaluation.steps import bless_model, evaluate_model
from loopline.examples.bikes import steps as bikes
from loopline.training.steps import package_model, register_model, train_model

training = Pipeline(
    [
        step(bikes.prepare, outputs="hours"),
        step(bikes.split_by_time, outputs=["train", "test"], name="split"),
        step(train_model, inputs=["train"], outputs="model", name="train", types={"model": "Model"}),
        step(evaluate_model, inputs=["model", "test"], outputs="evaluation", name="evaluate"),
        step(package_model, inputs=["model", "train"], outputs="model_package", name="package"),
        step(bless_model, inputs={"package": "model_package", "test": "test"}, outputs="blessing", name="bless"),
        step(register_model, inputs={"package": "model_package", "blessing": "blessing"}, outputs="registration",
             name="register"),
    ],
    name="training",
    inputs=["bike_hours"],
)
'''

CONFIG = '''
[datasets.bike_hours]
path = "{data}"

[training]
model_name = "bikes"
target = "cnt"
features = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum",
            "windspeed"]
estimator = "sklearn.ensemble.HistGradientBoostingRegressor(max_iter=30)"
seed = 0

[evaluation]
slices = ["season", "workingday", "hour_bucket"]
buckets = [{{ name = "hour_bucket", column = "hr", edges = [0, 6, 10, 16, 20, 24] }}]
min_slice_rows = 30
rules = [
  {{ metric = "rmse", max = 150 }},
  {{ metric = "rmse", max_worsening = 0.02, max_slice_worsening = 0.25 }},
]

[registry.policies.staging]
require_blessing = true

[parameters]
split.train_end = "2011-03-01"
split.eval_weeks = 2
'''


@pytest.fixture
def workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    root.mkdir()
    (root / "loopline.toml").write_text(CONFIG.format(data=data_path()), encoding="utf-8")
    (root / "pipelines.py").write_text(PIPELINES, encoding="utf-8")
    with Workspace.find(root) as opened:
        yield opened


def _artifact(workspace: Workspace, result, name: str):  # type: ignore[no-untyped-def]
    return workspace.metadata.artifacts.get(result.outputs[name].id)


def test_train_evaluate_bless_and_register_against_production(workspace: Workspace) -> None:
    first = workspace.run("training")
    assert first.ok, first.error
    evaluation = Evaluation.from_dict(first.load("evaluation", workspace.artifacts))
    assert evaluation.task == "regression" and evaluation.rows == len(first.load("test", workspace.artifacts))
    assert {"season", "workingday", "hour_bucket"} == set(evaluation.slice_columns())
    assert [s.value for s in evaluation.slices if s.column == "hour_bucket"] == [
        "[0, 6)", "[6, 10)", "[10, 16)", "[16, 20)", "[20, 24)"]
    record = _artifact(workspace, first, "evaluation")
    assert record.type == ArtifactType.EVALUATION.value and record.properties["metrics"] == evaluation.metrics

    package_record = _artifact(workspace, first, "model_package")
    blessing_record = _artifact(workspace, first, "blessing")
    assert package_record.type == ArtifactType.MODEL.value
    assert blessing_record.type == ArtifactType.BLESSING.value
    assert blessing_record.properties["blessed"] is True
    assert blessing_record.properties["candidate"] == package_record.id
    assert blessing_record.properties["baseline"] is None
    blessing = Blessing.from_dict(first.load("blessing", workspace.artifacts))
    assert [(c.rule, c.passed) for c in blessing.checks] == [
        ("rmse <= 150", True),
        ("rmse at most 2.0% worse than the baseline", None),
        ("rmse at most 25.0% worse than the baseline in every slice", None),
    ]
    assert first.load("registration", workspace.artifacts)["version"] == 1

    package = workspace.registry.load("bikes/1")
    assert isinstance(package, ModelPackage)
    assert [i["name"] for i in package.signature["inputs"]] == package.info["features"]
    assert "cnt" not in package.input_names and package.sample_input is not None
    lineage = package.info["lineage"]
    assert lineage["run_id"] == first.run.id and lineage["model_artifact_id"] == first.outputs["model"].id
    assert package.info["params"]["training_data_hash"] == package.info["training_data_hash"]
    assert package.info["metrics"]["train_rmse"] > 0
    workspace.registry.promote("bikes", 1, "production", reason="first model")

    worse = workspace.run("training", params={"train.estimator": "sklearn.linear_model.Ridge"})
    assert worse.ok, worse.error
    verdict = Blessing.from_dict(worse.load("blessing", workspace.artifacts))
    assert verdict.blessed is False and verdict.baseline == package_record.id
    assert verdict.baseline_ref == "bikes/1 (production)"
    change = next(c for c in verdict.checks if c.kind == "change")
    assert change.passed is False and change.baseline == pytest.approx(evaluation.metrics["rmse"])
    assert change.change == pytest.approx((change.value - change.baseline) / change.baseline)
    sliced = next(c for c in verdict.checks if c.kind == "slice_change")
    assert sliced.details and all({"column", "value", "rows", "candidate", "baseline", "change"} <= set(d)
                                  for d in sliced.details)
    registration = worse.load("registration", workspace.artifacts)
    assert registration["registered"] is False and registration["version"] is None
    assert [v.version for v in workspace.registry.versions("bikes")] == [1]

    again = workspace.run("training", use_cache=False)
    assert again.ok, again.error
    assert again.outputs["model"].digest == first.outputs["model"].digest  # same seed, same data: same model
    rerun = Blessing.from_dict(again.load("blessing", workspace.artifacts))
    assert rerun.blessed is True
    assert next(c for c in rerun.checks if c.kind == "change").change == pytest.approx(0.0)
    assert again.load("registration", workspace.artifacts)["version"] == 2
    workspace.registry.promote("bikes", 2, "staging", reason="blessed")  # the policy needs the blessing
    assert workspace.registry.aliases("bikes") == {"production": 1, "staging": 2}


def test_tuning_trials_are_executions_of_the_pipeline_run(workspace: Workspace, bikes_train) -> None:  # type: ignore[no-untyped-def]
    space = [{"name": "alpha", "low": 0.1, "high": 10.0}]
    pipeline = Pipeline([step(tune_model, outputs=["model", "tuning"], name="tune")], name="tuning", inputs=["train"])
    result = run_pipeline(
        pipeline, metadata=workspace.metadata, artifacts=workspace.artifacts, inputs={"train": bikes_train},
        params={"estimator": "training_helpers:fragile_ridge", "search_space": space, "target": "cnt",
                "n_trials": 6, "seed": 1, "features": ["temp", "hum", "hr"]},
    )
    assert result.ok and result.run.status is RunStatus.COMPLETE, result.error
    tuning = result.load("tuning", workspace.artifacts)
    executions = {e.step: e for e in workspace.metadata.runs.executions(result.run.id)}
    trials = sorted(name for name in executions if name.startswith("tune/trial-"))
    assert len(trials) == 6 == len(tuning["trials"])
    tune_inputs = [e for e in workspace.metadata.executions.events(executions["tune"].id) if e.kind.value == "input"]
    for trial in tuning["trials"]:
        execution = executions[f"tune/trial-{trial['number']}"]
        assert execution.run_id == result.run.id and execution.params["alpha"] == trial["params"]["alpha"]
        events = workspace.metadata.executions.events(execution.id)
        assert [(e.kind.value, e.name, e.artifact_id) for e in events] == [
            ("input", "train", tune_inputs[0].artifact_id)]
    assert json.loads(json.dumps(tuning))["best_params"]["alpha"] <= 5
