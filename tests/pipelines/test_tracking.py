import logging
from pathlib import Path

import pytest
from pipeline_helpers import Stores, states

from loopline.errors import ConflictError
from loopline.pipelines import NotInStepError, Pipeline, log_artifact, log_metric, log_param, recording, step, tracking


def test_metrics_params_and_artifacts_are_recorded_with_the_execution(stores: Stores, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("all good")

    @step(outputs="model")
    def train(raw: list, *, epochs: int = 3):
        for epoch in range(epochs):
            log_metric("loss", 1.0 / (epoch + 1))
        log_metric("accuracy", 0.9, step=10)
        log_metric("accuracy", 0.95)
        log_param("optimizer", "adam")
        log_param("epochs", 3)  # the same value as the resolved parameter: fine
        log_artifact(report, "report", type="Report")
        log_artifact({"weights": [1, 2]}, "weights")
        return "model"

    result = stores.run(Pipeline([train], name="p", inputs=["raw"]), inputs={"raw": [1]})
    assert states(result) == {"train": "ran"}
    execution_id = result.steps["train"].execution_id
    loss = stores.metadata.tracking.metric_history(execution_id, "loss")
    assert [(p.step, p.value) for p in loss] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    accuracy = stores.metadata.tracking.metric_history(execution_id, "accuracy")
    assert [(p.step, p.value) for p in accuracy] == [(10, 0.9), (11, 0.95)]
    assert stores.metadata.executions.get(execution_id).params == {"epochs": 3, "optimizer": "adam"}
    assert result.outputs["report"].type == "Report" and result.outputs["report"].format == "file"
    assert result.load("weights", stores.artifacts) == {"weights": [1, 2]}
    assert result.outputs["model"].type == "Value"


def test_a_parameter_cannot_change_once_set() -> None:
    with recording() as record:
        log_param("alpha", 1)
        log_param("alpha", 1)
        with pytest.raises(ConflictError, match=r"already has the parameter 'alpha' = 1; cannot log 2"):
            log_param("alpha", 2)
    assert record.params == {"alpha": 1}


def test_a_logged_artifact_cannot_reuse_an_output_name(stores: Stores) -> None:
    @step(outputs="model")
    def train(raw: list):
        log_artifact([1], "model")
        return 1

    result = stores.run(Pipeline([train], name="p", inputs=["raw"]), inputs={"raw": [1]})
    assert "step 'train' already has an output named 'model'" in result.error


def test_values_logged_before_a_failure_are_kept(stores: Stores) -> None:
    @step(outputs="model")
    def train(raw: list):
        for i in range(5):
            log_metric("loss", float(i))
        log_param("seen", 5)
        raise RuntimeError("diverged")

    result = stores.run(Pipeline([train], name="p", inputs=["raw"]), inputs={"raw": [1]})
    execution_id = result.steps["train"].execution_id
    assert len(stores.metadata.tracking.metric_history(execution_id, "loss")) == 5
    assert stores.metadata.executions.get(execution_id).params == {"seen": 5}


def test_a_long_series_is_flushed_while_the_step_runs(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracking, "FLUSH_POINTS", 10)
    seen: dict[str, int] = {}

    @step(outputs=None)
    def long_step(raw: list):
        for i in range(25):
            log_metric("loss", float(i))
        execution_id = tracking.current_tracker().execution_id
        seen["durable"] = len(stores.metadata.tracking.metric_history(execution_id, "loss"))

    result = stores.run(Pipeline([long_step], name="p", inputs=["raw"]), inputs={"raw": [1]})
    assert seen["durable"] == 20  # two flushes of 10 before the step ended
    history = stores.metadata.tracking.metric_history(result.steps["long_step"].execution_id, "loss")
    assert [p.step for p in history] == list(range(25))


def test_ten_thousand_metric_values_are_all_recorded_by_the_end_of_the_run(stores: Stores) -> None:
    @step(outputs=None)
    def log_series(*, n_values: int):
        for i in range(n_values):
            log_metric("loss", 1.0 / (i + 1), step=i)

    pipeline = Pipeline([log_series], name="series")
    stores.run(pipeline, params={"n_values": 10}, use_cache=False)  # warm up
    result = stores.run(pipeline, params={"n_values": 10_000}, use_cache=False)  # speed: bench/tracking_writes.py
    assert len(stores.metadata.tracking.metric_history(result.steps["log_series"].execution_id, "loss")) == 10_000


def test_tracking_outside_a_step_says_how_to_test_step_code() -> None:
    with pytest.raises(
        NotInStepError, match=r"(?s)log_metric\(\) was called outside a running pipeline step.*recording\(\)"
    ):
        log_metric("loss", 1.0)
    with pytest.raises(NotInStepError, match=r"log_param\(\) was called outside"):
        log_param("a", 1)
    with pytest.raises(NotInStepError, match=r"log_artifact\(\) was called outside"):
        log_artifact(1, "x")


def test_recording_collects_what_a_step_function_logs_in_memory() -> None:
    def train(values):
        for v in values:
            log_metric("loss", v)
        log_artifact({"a": 1}, "extra")
        return sum(values)

    with recording() as record:
        assert train([3.0, 2.0]) == 5.0
    assert record.metric_series("loss") == [3.0, 2.0]
    assert record.artifacts["extra"].value == {"a": 1}


def test_metric_values_must_be_numbers() -> None:
    with recording(), pytest.raises(Exception, match=r"metric 'loss' got 'high'; expected a number"):
        log_metric("loss", "high")  # type: ignore[arg-type]


def test_output_and_logs_of_a_step_are_captured_within_a_bound(stores: Stores, capsys: pytest.CaptureFixture) -> None:
    @step(outputs=None)
    def chatty(raw: list):
        print("hello from the step")
        logging.getLogger("user.code").warning("careful: %s", "disk almost full")
        print("x" * 200_000)

    result = stores.run(Pipeline([chatty], name="p", inputs=["raw"]), inputs={"raw": [1]})
    logs = stores.metadata.executions.get(result.steps["chatty"].execution_id).logs
    assert logs.startswith("hello from the step")
    assert "WARNING user.code: careful: disk almost full" in logs
    assert "characters dropped" in logs and len(logs) < 70_000
    assert "hello from the step" not in capsys.readouterr().out
    print("after the step")
    assert "after the step" in capsys.readouterr().out
