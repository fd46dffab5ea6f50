import pytest
from pipeline_helpers import Stores, states

from loopline.pipelines import MissingParameterError, Pipeline, resolve_parameters, step


def fit(train, *, alpha=1.0, seed):
    return {"alpha": alpha, "seed": seed}


def test_scoped_key_wins_over_plain_key_which_wins_over_the_default() -> None:
    made = step(fit, outputs="model", name="train")
    assert resolve_parameters(made, {"seed": 1}) == {"alpha": 1.0, "seed": 1}
    assert resolve_parameters(made, {"seed": 1, "alpha": 2.0}) == {"alpha": 2.0, "seed": 1}
    assert resolve_parameters(made, {"seed": 1, "alpha": 2.0, "train.alpha": 3.0}) == {"alpha": 3.0, "seed": 1}
    assert resolve_parameters(made, {"seed": 1, "other.alpha": 9.0}) == {"alpha": 1.0, "seed": 1}


def test_params_references_read_the_plain_key() -> None:
    made = step(lambda table, k: k, inputs=["table", "params:split.k"], outputs="k", name="pick")
    assert resolve_parameters(made, {"split.k": 3}) == {"params:split.k": 3}
    with pytest.raises(MissingParameterError, match=r"step 'pick' needs 'split.k'"):
        resolve_parameters(made, {})


def test_a_missing_value_names_the_step_and_the_key_to_set(stores: Stores) -> None:
    pipeline = Pipeline([step(fit, outputs="model", name="train")], name="p", inputs=["train"])
    with pytest.raises(
        MissingParameterError,
        match=r"(?s)no value for step 'train' needs 'train.seed' \(or 'seed' for every step\).*"
        r"params=\{'train.seed': \.\.\.\}.*\[parameters.train\] seed = \.\.\..*--param train.seed=",
    ):
        stores.run(pipeline, inputs={"train": [1]})
    assert stores.metadata.runs.list() == []  # refused before a run was recorded


def test_parameters_reach_the_function_and_are_recorded(stores: Stores) -> None:
    pipeline = Pipeline([step(fit, outputs="model", name="train")], name="p", inputs=["train"])
    result = stores.run(pipeline, inputs={"train": [1]}, params={"train.seed": 7, "alpha": 0.5})
    assert states(result) == {"train": "ran"}
    assert result.load("model", stores.artifacts) == {"alpha": 0.5, "seed": 7}
    execution = stores.metadata.executions.get(result.steps["train"].execution_id)
    assert execution.params == {"alpha": 0.5, "seed": 7}
    assert result.run.params == {"train.seed": 7, "alpha": 0.5}
