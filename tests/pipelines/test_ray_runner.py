"""The Ray runner on a real local Ray instance (start-up costs seconds: keep these few)."""

import time
from collections.abc import Iterator

import pytest
from pipeline_helpers import Stores, states

from loopline.pipelines import Pipeline, log_metric, step

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_steps_run_as_ray_tasks_with_outputs_through_the_artifact_store(ray_instance: None, stores: Stores) -> None:
    def make(name: str, seconds: float):
        def sleeper(raw: list) -> list:  # a closure from a test module: shipped by value
            time.sleep(seconds)
            log_metric("slept", seconds)
            return [*raw, name]

        return step(sleeper, name=name, outputs=f"{name}_out")

    def join(left_out: list, right_out: list) -> list:
        return left_out + right_out

    pipeline = Pipeline(
        [make("left", 1.0), make("right", 1.0), step(join, outputs="joined")], name="ray", inputs=["raw"]
    )
    stores.run(
        Pipeline([step(join, outputs="joined")], name="warm", inputs=["left_out", "right_out"]),
        inputs={"left_out": [], "right_out": []},
        runner="ray",
    )  # workers started and stores opened
    start = time.perf_counter()
    result = stores.run(pipeline, inputs={"raw": [0]}, runner="ray", use_cache=False)
    elapsed = time.perf_counter() - start
    assert states(result) == {"left": "ran", "right": "ran", "join": "ran"}, result.error
    assert result.load("joined", stores.artifacts) == [0, "left", 0, "right"]
    assert elapsed < 1.9, f"two 1 s steps took {elapsed:.2f} s on 2 CPUs"
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
