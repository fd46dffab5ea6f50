import time

import pytest
from pipeline_helpers import Stores, states

from loopline.metadata import ExecutionState, RunStatus
from loopline.pipelines import (
    MissingInputError,
    Pipeline,
    RunFailedError,
    StepFailed,
    StepSkipped,
    step,
)

CALLS: dict[str, int] = {}
BROKEN = {"train": True}


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


def prepare(raw: list) -> list:
    _count("prepare")
    return [v * 2 for v in raw]


def train(clean: list) -> int:
    _count("train")
    if BROKEN["train"]:
        raise ValueError("the learning rate is negative")
    return sum(clean)


def evaluate(model: int) -> dict:
    _count("evaluate")
    return {"model": model}


def profile(clean: list) -> int:
    _count("profile")
    return len(clean)


def build() -> Pipeline:
    return Pipeline(
        [
            step(prepare, outputs="clean"),
            step(train, outputs="model"),
            step(evaluate, outputs="metrics"),
            step(profile, outputs="rows"),
        ],
        name="training",
        inputs=["raw"],
    )


def test_a_failure_keeps_finished_outputs_skips_what_depends_on_it_and_says_how_to_resume(stores: Stores) -> None:
    CALLS.clear()
    BROKEN["train"] = True
    events: list = []
    result = stores.run(build(), inputs={"raw": [1, 2]}, on_event=events.append)
    assert states(result) == {"prepare": "ran", "train": "failed", "profile": "ran", "evaluate": "skipped"}
    assert result.run.status is RunStatus.FAILED
    assert "step 'train' failed: ValueError: the learning rate is negative" in result.error
    assert "resume with: loopline run training --from-steps train" in result.error
    assert "not run, because a step they depend on failed: evaluate" in result.error
    assert any(isinstance(e, StepFailed) and e.step == "train" for e in events)
    assert any(isinstance(e, StepSkipped) and e.step == "evaluate" and "'train'" in e.reason for e in events)
    failed = stores.metadata.executions.get(result.steps["train"].execution_id)
    assert failed.state is ExecutionState.FAILED
    assert "ValueError: the learning rate is negative" in failed.traceback
    assert "clean" in result.outputs and "rows" in result.outputs
    with pytest.raises(RunFailedError, match="step 'train' failed"):
        result.raise_on_failure()

    BROKEN["train"] = False
    resumed = stores.run(build(), from_steps=["train"])
    assert states(resumed) == {"train": "ran", "evaluate": "ran"}
    assert CALLS["prepare"] == 1  # its recorded output was reused
    assert resumed.ok and resumed.load("metrics", stores.artifacts) == {"model": 6}
    assert resumed.run.properties["from_steps"] == ["train"]


def test_resuming_without_an_earlier_output_says_what_to_do(stores: Stores) -> None:
    with pytest.raises(
        MissingInputError,
        match=r"(?s)cannot resume pipeline 'training' from 'train': the last 20 runs recorded no usable 'clean' "
        r"\(made by step 'prepare'\).*--from-steps prepare,train",
    ):
        stores.run(build(), from_steps=["train"])


def test_a_missing_or_unknown_input_is_refused_before_the_run_starts(stores: Stores) -> None:
    with pytest.raises(
        MissingInputError,
        match=r"(?s)pipeline 'training' needs the input 'raw', which was not supplied.*inputs=\{'raw': \.\.\.\}",
    ):
        stores.run(build())
    with pytest.raises(MissingInputError, match=r"'rwa' is not read by any step \(did you mean 'raw'\?\)"):
        stores.run(build(), inputs={"raw": [1], "rwa": [2]})
    with pytest.raises(MissingInputError, match=r"'clean' is produced by step 'prepare'"):
        stores.run(build(), inputs={"raw": [1], "clean": [2]})
    assert stores.metadata.runs.list() == []


def test_retries_run_the_step_again_and_note_each_failed_attempt(stores: Stores) -> None:
    attempts = {"n": 0}

    def flaky(raw: list) -> int:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ConnectionError(f"try {attempts['n']} lost the connection")
        return len(raw)

    result = stores.run(
        Pipeline([step(flaky, outputs="n", retries=2)], name="flaky", inputs=["raw"]), inputs={"raw": [1]}
    )
    assert states(result) == {"flaky": "ran"}
    assert result.steps["flaky"].attempts == 3
    logs = stores.metadata.executions.get(result.steps["flaky"].execution_id).logs
    assert "attempt 1/3 failed: ConnectionError: try 1 lost the connection; retrying in 0.1 s" in logs
    assert "attempt 2/3 failed: ConnectionError: try 2 lost the connection; retrying in 0.2 s" in logs


def test_retries_that_run_out_fail_the_step(stores: Stores) -> None:
    def hopeless(raw: list) -> int:
        raise RuntimeError("still broken")

    result = stores.run(
        Pipeline([step(hopeless, outputs="n", retries=1)], name="p", inputs=["raw"]), inputs={"raw": [1]}
    )
    outcome = result.steps["hopeless"]
    assert outcome.status.value == "failed" and outcome.attempts == 2
    logs = stores.metadata.executions.get(outcome.execution_id).logs
    assert "attempt 2/2 failed: RuntimeError: still broken; no attempts left" in logs


def test_a_step_past_its_timeout_is_stopped_with_a_clear_error(stores: Stores) -> None:
    def slow(raw: list) -> int:
        time.sleep(3)
        return 1

    start = time.perf_counter()
    result = stores.run(
        Pipeline([step(slow, outputs="n", timeout=0.2, retries=3)], name="p", inputs=["raw"]), inputs={"raw": [1]}
    )
    assert time.perf_counter() - start < 2
    outcome = result.steps["slow"]
    assert outcome.status.value == "failed" and outcome.attempts == 1  # a timeout is not retried
    assert outcome.error.startswith(
        "StepTimeoutError: step 'slow' did not finish within its timeout of 0.2 s and was stopped"
    )
    assert stores.metadata.executions.get(outcome.execution_id).error == outcome.error


def test_a_step_within_its_timeout_runs_normally(stores: Stores) -> None:
    def quick(raw: list) -> int:
        return len(raw)

    result = stores.run(
        Pipeline([step(quick, outputs="n", timeout=5)], name="p", inputs=["raw"]), inputs={"raw": [1, 2]}
    )
    assert result.load("n", stores.artifacts) == 2


def test_a_wrong_return_shape_fails_the_step_with_the_expected_shape(stores: Stores) -> None:
    def split(raw: list):
        return raw, raw, raw

    result = stores.run(Pipeline([step(split, outputs=["a", "b"])], name="p", inputs=["raw"]), inputs={"raw": [1]})
    assert (
        "StepOutputError: step 'split' declares 2 outputs ('a', 'b') and must return a tuple of 2 values"
        in result.error
    )


def test_an_interrupt_ends_the_run_and_the_step_instead_of_leaving_them_running(stores: Stores) -> None:
    def interrupted(raw: list) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stores.run(Pipeline([step(interrupted, outputs="n")], name="p", inputs=["raw"]), inputs={"raw": [1]})
    run = stores.metadata.runs.list()[0]
    assert run.status is RunStatus.INTERRUPTED
    execution = stores.metadata.runs.executions(run.id)[0]
    assert execution.state is ExecutionState.FAILED and execution.error == "interrupted (KeyboardInterrupt)"
