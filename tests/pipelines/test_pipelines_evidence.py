"""A step that fails a check keeps its evidence: the failed execution records it as output artifacts."""

from pipeline_helpers import Stores, states

from loopline.artifacts import decode
from loopline.errors import CheckFailedError
from loopline.metadata import EventKind, ExecutionState
from loopline.pipelines import Pipeline, step
from loopline.pipelines.runners.local import LocalRunner


def load(rows: list) -> list:
    return [r * 2 for r in rows]


def gate(clean: list) -> list:
    bad = [r for r in clean if r < 0]
    if bad:
        raise CheckFailedError(
            f"{len(bad)} negative rows", hint="drop them", evidence={"bad_rows": {"rows": bad}, "count": len(bad)}
        )
    return clean


def train(checked: list) -> int:
    return sum(checked)


def plain_failure(clean: list) -> list:
    raise ValueError("not a check")


def unstorable_evidence(clean: list) -> list:
    raise CheckFailedError("the check failed", evidence={"fine": [1, 2], "": "no name", "handle": lambda: None})


def _pipeline(middle=gate) -> Pipeline:  # type: ignore[no-untyped-def]
    return Pipeline(
        [step(load, outputs="clean"), step(middle, name="gate", outputs="checked"), step(train, outputs="model")],
        name="gated",
        inputs=["rows"],
    )


def _evidence(stores: Stores, execution_id: int) -> dict[str, object]:
    events = stores.metadata.executions.events(execution_id)
    found = {}
    for event in events:
        if event.kind is EventKind.OUTPUT:
            artifact = stores.metadata.artifacts.get(event.artifact_id)
            found[event.name] = decode(stores.artifacts, artifact.uri, artifact.format)
    return found


def test_the_failed_execution_records_the_evidence_and_the_run_fails(stores: Stores) -> None:
    result = stores.run(_pipeline(), inputs={"rows": [1, -2, -3]})
    assert states(result) == {"load": "ran", "gate": "failed", "train": "skipped"}
    assert result.run.status.value == "failed"
    assert "step 'gate' failed: CheckFailedError: 2 negative rows" in (result.error or "")
    outcome = result.steps["gate"]
    assert set(outcome.outputs) == {"bad_rows", "count"}
    assert stores.metadata.executions.get(outcome.execution_id).state is ExecutionState.FAILED
    assert _evidence(stores, outcome.execution_id) == {"bad_rows": {"rows": [-4, -6]}, "count": 2}
    assert result.load("bad_rows", stores.artifacts) == {"rows": [-4, -6]}
    assert stores.metadata.check_integrity() == []


def test_a_failed_gate_is_not_reused_from_cache_and_a_passing_one_runs_on(stores: Stores) -> None:
    stores.run(_pipeline(), inputs={"rows": [-1]})
    again = stores.run(_pipeline(), inputs={"rows": [-1]})
    assert states(again)["gate"] == "failed"
    fixed = stores.run(_pipeline(), inputs={"rows": [1, 2]})
    assert states(fixed) == {"load": "ran", "gate": "ran", "train": "ran"}


def test_other_errors_record_no_outputs(stores: Stores) -> None:
    result = stores.run(_pipeline(plain_failure), inputs={"rows": [1]})
    assert result.steps["gate"].outputs == {}
    assert _evidence(stores, result.steps["gate"].execution_id) == {}


def test_evidence_that_cannot_be_stored_is_logged_and_the_failure_still_recorded(stores: Stores) -> None:
    result = stores.run(_pipeline(unstorable_evidence), inputs={"rows": [1]})
    outcome = result.steps["gate"]
    assert _evidence(stores, outcome.execution_id) == {"fine": [1, 2]}
    logs = stores.metadata.executions.get(outcome.execution_id).logs or ""
    assert "evidence named '' was not stored" in logs
    assert "evidence 'handle' was not stored" in logs
    assert "CheckFailedError: the check failed" in (outcome.error or "")


def test_evidence_is_recorded_by_a_worker_process_too(stores: Stores) -> None:
    result = stores.run(_pipeline(), inputs={"rows": [-1]}, runner=LocalRunner(parallel=True, max_workers=1))
    outcome = result.steps["gate"]
    assert outcome.status.value == "failed"
    assert _evidence(stores, outcome.execution_id) == {"bad_rows": {"rows": [-2]}, "count": 1}
