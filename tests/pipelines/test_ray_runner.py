"""The Ray runner on a real local Ray instance (start-up costs seconds: keep these few)."""

import time

import pytest
from pipeline_helpers import Stores, states

from loopline.pipelines import Pipeline, log_metric, step

pytest.importorskip("ray")
pytestmark = pytest.mark.ray


def test_steps_run_as_ray_tasks_with_outputs_through_the_artifact_store(ray_instance: None, stores: Stores) -> None:
    def make(name: str, seconds: float):
        def sleeper(raw: list) -> list:  # a closure from a test module: shipped by value
            log_metric("started", time.time())
            time.sleep(seconds)
            log_metric("ended", time.time())
            log_metric("slept", seconds)
            return [*raw, name]

        return step(sleeper, name=name, outputs=f"{name}_out")

    def join(left_out: list, right_out: list) -> list:
        return left_out + right_out

    pipeline = Pipeline(
        [make("left", 1.0), make("right", 1.0), step(join, outputs="joined")], name="ray", inputs=["raw"]
    )
    def pause(raw: list) -> list:
        time.sleep(0.5)
        return raw

    warm = Pipeline(
        [step(pause, name="a", outputs="a_out"), step(pause, name="b", outputs="b_out")], name="warm", inputs=["raw"]
    )
    stores.run(warm, inputs={"raw": []}, runner="ray", use_cache=False)  # two workers started, stores opened
    result = stores.run(pipeline, inputs={"raw": [0]}, runner="ray", use_cache=False)
    assert states(result) == {"left": "ran", "right": "ran", "join": "ran"}, result.error
    assert result.load("joined", stores.artifacts) == [0, "left", 0, "right"]
    tracking = stores.metadata.tracking

    def interval(name: str) -> tuple[float, float]:
        execution = result.steps[name].execution_id
        return (
            tracking.metric_history(execution, "started")[0].value,
            tracking.metric_history(execution, "ended")[0].value,
        )

    (left_start, left_end), (right_start, right_end) = interval("left"), interval("right")
    assert left_start < right_end and right_start < left_end, "the two independent steps did not overlap"
    history = stores.metadata.tracking.metric_history(result.steps["right"].execution_id, "slept")
    assert [p.value for p in history] == [1.0]


def test_a_failing_ray_task_is_recorded_and_the_run_says_how_to_resume(ray_instance: None, stores: Stores) -> None:
    def explode(raw: list) -> int:
        raise ValueError("bad batch")

    def after(boom: int) -> int:
        return boom

    pipeline = Pipeline([step(explode, outputs="boom"), step(after, outputs="done")], name="ray_fail", inputs=["raw"])
    result = stores.run(pipeline, inputs={"raw": [1]}, runner="ray")
    assert states(result) == {"explode": "failed", "after": "skipped"}
    assert "ValueError: bad batch" in result.error and "--from-steps explode" in result.error
