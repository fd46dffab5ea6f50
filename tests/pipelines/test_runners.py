import time
from pathlib import Path

import pytest
from pipeline_helpers import Stores, states

from loopline.errors import ConfigError
from loopline.metadata import MetadataStore
from loopline.pipelines import Pipeline, UnknownRunnerError, log_metric, make_runner, step
from loopline.pipelines.runners.local import LocalRunner


def _sleepers(seconds: float) -> Pipeline:
    def make(name: str):
        def sleeper(raw: list) -> str:
            time.sleep(seconds)
            log_metric("slept", seconds)
            return name

        return step(sleeper, name=name, outputs=f"{name}_out")

    def join(left_out: str, right_out: str) -> str:
        return left_out + right_out

    return Pipeline([make("left"), make("right"), step(join, outputs="joined")], name="sleepers", inputs=["raw"])


def test_independent_steps_run_at_the_same_time_in_worker_processes(stores: Stores) -> None:
    pipeline = _sleepers(1.0)
    start = time.perf_counter()
    result = stores.run(
        pipeline, inputs={"raw": [1]}, runner=LocalRunner(parallel=True, max_workers=2), use_cache=False
    )
    elapsed = time.perf_counter() - start
    assert states(result) == {"left": "ran", "right": "ran", "join": "ran"}
    assert elapsed < 1.8, f"two 1 s steps took {elapsed:.2f} s in parallel"
    assert result.load("joined", stores.artifacts) == "leftright"
    execution = result.steps["left"].execution_id
    assert [p.value for p in stores.metadata.tracking.metric_history(execution, "slept")] == [1.0]
    again = stores.run(pipeline, inputs={"raw": [1]}, runner=LocalRunner(parallel=True))
    assert set(states(again).values()) == {"cached"}


def test_a_failure_in_a_worker_is_recorded_like_any_other(stores: Stores) -> None:
    def broken(raw: list) -> int:
        raise KeyError("column 'price'")

    def fine(raw: list) -> int:
        return 1

    pipeline = Pipeline([step(broken, outputs="a"), step(fine, outputs="b")], name="mixed", inputs=["raw"])
    result = stores.run(pipeline, inputs={"raw": [1]}, runner=LocalRunner(parallel=True))
    assert states(result) == {"broken": "failed", "fine": "ran"}
    assert "KeyError: \"column 'price'\"" in result.error
    assert "--from-steps broken" in result.error


def test_the_parallel_runner_refuses_stores_other_processes_cannot_open(tmp_path: Path) -> None:
    from loopline.artifacts import ArtifactStore

    metadata = MetadataStore("sqlite:///:memory:").open()
    try:
        with pytest.raises(ConfigError, match=r"cannot open the in-memory database sqlite:///:memory:"):
            Stores(metadata, ArtifactStore(str(tmp_path / "a")).open()).run(
                _sleepers(0), inputs={"raw": [1]}, runner=LocalRunner(parallel=True)
            )
        run = metadata.runs.list()[0]
        assert run.status.value == "failed" and "in-memory database" in run.error
    finally:
        metadata.close()


def test_runners_are_chosen_by_name_and_unknown_names_list_the_known_ones() -> None:
    assert make_runner("local", parallel=True, max_workers=3).max_workers == 3  # type: ignore[attr-defined]
    with pytest.raises(
        UnknownRunnerError, match=r"(?s)no runner named 'lcoal'.*did you mean 'local'\?.*known runners: local, ray"
    ):
        make_runner("lcoal")
    with pytest.raises(UnknownRunnerError, match=r"(?s)no runner named 'spark'.*known runners: local, ray"):
        make_runner("spark")


def test_a_worker_that_dies_is_reported_in_words_a_user_can_act_on(stores: Stores) -> None:
    import os

    def die(raw: list) -> int:
        os._exit(3)

    result = stores.run(
        Pipeline([step(die, outputs="a")], name="dies", inputs=["raw"]),
        inputs={"raw": [1]},
        runner=LocalRunner(parallel=True, max_workers=1),
    )
    assert states(result) == {"die": "failed"}
    assert "the worker process running step 'die' died" in result.error
    assert stores.metadata.executions.get(result.steps["die"].execution_id).state.value == "failed"


def test_decorated_steps_of_a_workspace_pipelines_file_run_in_worker_processes(tmp_path: Path) -> None:
    from loopline.workspace import Workspace

    (tmp_path / "loopline.toml").write_text("[workspace]\nname = 'parallel'\n")
    (tmp_path / "pipelines.py").write_text(
        "from loopline import Pipeline, step\n"
        "from loopline.pipelines import log_metric\n\n"
        "SCALE = 10\n\n"
        "@step(outputs='a')\n"
        "def first(*, n: int = 3):\n"
        "    log_metric('n', n)\n"
        "    return list(range(n))\n\n"
        "@step(outputs='b')\n"
        "def second(*, n: int = 4):\n"
        "    return [SCALE] * n\n\n"
        "@step(outputs='total')\n"
        "def combine(a, b):\n"
        "    return sum(a) + sum(b)\n\n"
        "work = Pipeline([first, second, combine], name='work')\n"
    )
    with Workspace.find(tmp_path) as workspace:
        result = workspace.run("work", parallel=True)
        assert states(result) == {"first": "ran", "second": "ran", "combine": "ran"}, result.error
        assert result.load("total", workspace.artifacts) == 43


def test_a_step_that_cannot_be_sent_to_a_worker_fails_alone(stores: Stores) -> None:
    import threading

    lock = threading.Lock()

    def holds_a_lock(raw: list) -> bool:
        return lock.locked()

    def fine(raw: list) -> int:
        return 1

    pipeline = Pipeline([step(holds_a_lock, outputs="a"), step(fine, outputs="b")], name="unsendable", inputs=["raw"])
    result = stores.run(pipeline, inputs={"raw": [1]}, runner=LocalRunner(parallel=True))
    assert states(result) == {"holds_a_lock": "failed", "fine": "ran"}
    assert "step 'holds_a_lock' could not be sent to a worker: TypeError: cannot pickle '_thread.lock' object" in (
        result.error or ""
    )


def test_relative_store_paths_reach_workers_as_absolute_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from loopline.artifacts import ArtifactStore
    from loopline.pipelines.plan import StoreAddress

    monkeypatch.chdir(tmp_path)
    metadata = MetadataStore("sqlite:///relative/metadata.db").open()
    try:
        address = StoreAddress.of(metadata, ArtifactStore("relative/artifacts").open())
    finally:
        metadata.close()
    assert address.metadata_url == f"sqlite:///{tmp_path}/relative/metadata.db"
    assert address.artifact_root == str(tmp_path / "relative" / "artifacts")


def test_the_ray_runner_says_how_to_install_ray_when_it_is_missing(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(ConfigError, match=r"(?s)needs the 'ray' package.*pip install 'loopline\[ray\]'"):
        stores.run(_sleepers(0), inputs={"raw": [1]}, runner="ray")
    assert stores.metadata.runs.list()[0].status.value == "failed"
