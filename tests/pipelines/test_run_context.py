"""current_run(): a running step sees its run, execution, stores and input artifacts."""

from __future__ import annotations

import pytest
from pipeline_helpers import Stores

from loopline.errors import NotFoundError
from loopline.pipelines import NotInStepError, Pipeline, current_run, recording, step


def test_a_step_sees_its_run_execution_and_input_artifacts(stores: Stores) -> None:
    seen: dict = {}

    def look(rows: list, *, factor: int = 2) -> int:
        context = current_run()
        seen.update(run=context.run_id, execution=context.execution_id, step=context.step,
                    by_argument=context.input_artifact("rows").id, by_dataset=context.input_artifact("numbers").id,
                    runner=context.runner, same_store=context.metadata is stores.metadata)
        with pytest.raises(NotFoundError, match="step 'look' has no input named 'rowz'") as info:
            context.input_artifact("rowz")
        seen["hint"] = info.value.hint
        return len(rows) * factor

    result = stores.run(Pipeline([step(look, inputs={"rows": "numbers"}, outputs="n")], inputs=["numbers"]),
                        inputs={"numbers": [1, 2, 3]})
    assert result.ok, result.error
    outcome = result.steps["look"]
    numbers = stores.metadata.executions.events(outcome.execution_id)[0]
    assert seen["run"] == result.run.id and seen["execution"] == outcome.execution_id and seen["step"] == "look"
    assert seen["by_argument"] == seen["by_dataset"] == numbers.artifact_id
    assert seen["runner"] == "local" and seen["same_store"] and "did you mean 'rows'" in seen["hint"]


def test_outside_a_run_there_is_no_run_context() -> None:
    with pytest.raises(NotInStepError, match="outside a step run by a pipeline runner"):
        current_run()
    with recording(), pytest.raises(NotInStepError):  # unit-testing a step function: still no run
        current_run()
