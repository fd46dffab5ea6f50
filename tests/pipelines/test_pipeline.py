import pytest

from loopline.errors import NotFoundError
from loopline.pipelines import DataEdge, Pipeline, PipelineDefinitionError, step


def one(x):
    return x


def two(a, b):
    return a, b


def test_steps_come_in_dependency_order_with_ties_in_declaration_order() -> None:
    evaluate = step(two, inputs=["model", "test"], outputs="metrics", name="evaluate")
    train = step(one, inputs=["train"], outputs="model", name="train")
    split = step(one, inputs=["table"], outputs=["train", "test"], name="split")
    report = step(one, inputs=["table"], outputs="profile", name="report")
    pipeline = Pipeline([evaluate, train, split, report], name="training", inputs=["table"])
    # among ready steps the one declared first goes first: train and evaluate were declared before report
    assert [s.name for s in pipeline.steps] == ["split", "train", "evaluate", "report"]
    assert pipeline.inputs == ("table",)
    assert pipeline.outputs == ("metrics", "profile")
    assert pipeline.dependencies("evaluate") == ("train", "split")
    assert pipeline.dependents(split) == ("train", "evaluate")
    assert pipeline.step("train") is train
    assert pipeline.producer("model") == "train" and pipeline.producer("table") is None
    assert DataEdge("model", "train", "evaluate") in pipeline.edges
    assert DataEdge("table", None, "split") in pipeline.edges
    assert len(pipeline) == 4 and "report" in pipeline and report in pipeline


def test_duplicate_outputs_name_both_producers() -> None:
    with pytest.raises(
        PipelineDefinitionError, match=r"dataset 'model' is produced by two steps: 'train' and 'train_v2'"
    ):
        Pipeline([step(one, name="train", outputs="model"), step(one, name="train_v2", outputs="model")], inputs=["x"])


def test_duplicate_step_names_are_refused_but_the_same_step_twice_is_one_step() -> None:
    first = step(one, name="clean", inputs=["raw"], outputs="a")
    other = step(two, name="clean", inputs=["raw", "raw"], outputs="b")
    with pytest.raises(
        PipelineDefinitionError, match=r"two different steps are named 'clean' \(functions one and two\)"
    ):
        Pipeline([first, other], inputs=["raw"])
    assert len(Pipeline([first, first], inputs=["raw"])) == 1


def test_a_cycle_is_printed() -> None:
    a = step(one, name="a", inputs=["from_c"], outputs="from_a")
    b = step(one, name="b", inputs=["from_a"], outputs="from_b")
    c = step(one, name="c", inputs=["from_b"], outputs="from_c")
    with pytest.raises(PipelineDefinitionError, match=r"the steps form a cycle: a -> b -> c -> a"):
        Pipeline([a, b, c])


def test_an_input_nobody_provides_suggests_close_names() -> None:
    split = step(one, name="split", inputs=["table"], outputs="train")
    train = step(one, name="train", inputs=["trian"], outputs="model")
    with pytest.raises(
        PipelineDefinitionError,
        match=r"(?s)step 'train' reads 'trian' \(did you mean 'train'\?\).*inputs=\['trian'\]",
    ):
        Pipeline([split, train], inputs=["table"])
    with pytest.raises(PipelineDefinitionError, match=r"step 'split' reads 'table' \(did you mean 'tables'\?\)"):
        Pipeline([split], inputs=["tables"])


def test_declared_inputs_must_be_read_and_not_produced() -> None:
    split = step(one, name="split", inputs=["table"], outputs="train")
    with pytest.raises(
        PipelineDefinitionError, match=r"'train' is declared as a pipeline input but step 'split' produces it"
    ):
        Pipeline([split], inputs=["table", "train"])
    with pytest.raises(PipelineDefinitionError, match=r"pipeline input 'extra' is declared but no step reads it"):
        Pipeline([split], inputs=["table", "extra"])


def test_only_steps_are_accepted() -> None:
    with pytest.raises(
        PipelineDefinitionError,
        match=r"(?s)item 1 of the pipeline's steps is the function 'one', not a Step.*step\(func",
    ):
        Pipeline([step(two, inputs=["a", "b"], outputs="c"), one], inputs=["a", "b"])
    with pytest.raises(PipelineDefinitionError, match=r"Pipeline\(\) takes a list of steps, got Step"):
        Pipeline(step(one, outputs="y"))  # type: ignore[arg-type]


def _chain() -> Pipeline:
    return Pipeline(
        [
            step(one, name="prepare", inputs=["raw"], outputs="clean", tags=["data"]),
            step(one, name="features", inputs=["clean"], outputs="features", tags=["data"]),
            step(one, name="train", inputs=["features"], outputs="model", tags=["ml"]),
            step(two, name="evaluate", inputs=["model", "features"], outputs="metrics", tags=["ml"]),
            step(one, name="profile", inputs=["clean"], outputs="stats"),
        ],
        name="chain",
        inputs=["raw"],
    )


def test_filters_return_new_pipelines_with_their_own_free_inputs() -> None:
    chain = _chain()
    resumed = chain.from_steps("train")
    assert [s.name for s in resumed.steps] == ["train", "evaluate"]
    assert resumed.inputs == ("features",)
    assert resumed.name == "chain"
    assert [s.name for s in chain.to_outputs("model").steps] == ["prepare", "features", "train"]
    assert [s.name for s in chain.only_steps("profile", "prepare").steps] == ["prepare", "profile"]
    assert [s.name for s in chain.with_tags("ml").steps] == ["train", "evaluate"]
    assert len(chain) == 5  # unchanged


def test_filters_name_unknown_steps_datasets_and_tags() -> None:
    chain = _chain()
    with pytest.raises(NotFoundError, match=r"(?s)pipeline 'chain' has no step named 'trian'.*did you mean 'train'\?"):
        chain.from_steps("trian")
    with pytest.raises(NotFoundError, match=r"(?s)has no dataset named 'modle'.*did you mean 'model'\?"):
        chain.to_outputs("modle")
    with pytest.raises(NotFoundError, match=r"'raw' is an input of pipeline 'chain', not produced by any step"):
        chain.to_outputs("raw")
    with pytest.raises(NotFoundError, match=r"(?s)no step of pipeline 'chain' has the tag 'mll'.*did you mean 'ml'\?"):
        chain.with_tags("mll")


def test_adding_pipelines_joins_them() -> None:
    data = Pipeline([step(one, name="prepare", inputs=["raw"], outputs="clean")], name="data", inputs=["raw"])
    model = Pipeline([step(one, name="train", inputs=["clean"], outputs="model")], name="model", inputs=["clean"])
    joined = data + model
    assert [s.name for s in joined.steps] == ["prepare", "train"]
    assert joined.inputs == ("raw",)
    nested = Pipeline([data, model], name="all")
    assert nested.inputs == ("raw",) and nested.outputs == ("model",)
