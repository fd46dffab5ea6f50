import pytest

from loopline.pipelines import Step, StepDefinitionError, StepOutputError, step


def add(a, b):
    return a + b


def test_inputs_default_to_positional_parameters_and_keyword_only_ones_are_parameters() -> None:
    def train(features, labels=None, *, alpha: float = 1.0, seed):
        return features

    made = step(train, outputs="model")
    assert made.name == "train"
    assert made.inputs == ("features", "labels")
    assert made.parameters == ("alpha", "seed")
    assert made.parameter_defaults == {"alpha": 1.0}
    assert made.outputs == ("model",)


def test_the_three_spellings_make_the_same_kind_of_step() -> None:
    @step
    def bare(x):
        return x

    @step(outputs="doubled", name="double", tags="math")
    def configured(x):
        return 2 * x

    assert isinstance(bare, Step) and bare.outputs == ("bare",)
    assert configured.name == "double" and configured.tags == frozenset({"math"})
    assert step(add, outputs=None).returns == "none"


def test_a_step_is_callable_like_its_function() -> None:
    made = step(add, outputs="sum")
    assert made(2, 3) == 5
    assert made(a=1, b=1) == 2


def test_list_inputs_bind_positionally_and_dict_inputs_by_keyword() -> None:
    positional = step(add, inputs=["left", "right"], outputs="sum")
    assert positional.call({"left": 1, "right": 10}, {}) == 11
    keyword = step(add, inputs={"b": "right", "a": "left"}, outputs="sum")
    assert keyword.inputs == ("right", "left")
    assert keyword.call({"left": "x", "right": "y"}, {}) == "xy"


def test_params_references_are_passed_positionally() -> None:
    made = step(add, inputs=["table", "params:offset"], outputs="sum")
    assert made.data_inputs == ("table",)
    assert made.parameter_refs == ("offset",)
    assert made.call({"table": 1}, {"params:offset": 41}) == 42


def test_varargs_take_extra_list_inputs() -> None:
    def total(*parts):
        return sum(parts)

    made = step(total, inputs=["a", "b", "c"], outputs="total")
    assert made.call({"a": 1, "b": 2, "c": 3}, {}) == 6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"inputs": ["only_one"]}, r"step 'add' takes 2 positional arguments \(a, b\) but inputs= names 1"),
        ({"inputs": ["a", "b", "c"]}, r"takes 2 positional arguments .* but inputs= names 3"),
        ({"inputs": {"a": "x", "bb": "y"}}, r"(?s)step 'add' has no parameter 'bb'.*did you mean 'b'\?"),
        ({"inputs": {"a": "x"}}, r"step 'add': parameter 'b' get no input"),
        ({"outputs": []}, r"(?s)declares an empty list of outputs.*use outputs=None"),
        ({"outputs": ["x", "x"]}, r"declares the output 'x' twice"),
        ({"outputs": "params:x"}, r"cannot write 'params:x'"),
        ({"outputs": 3}, r"outputs of step 'add' must be a name, a list of names or None, got int"),
        ({"inputs": ["a", "same"], "outputs": "same"}, r"step 'add' both reads and writes the dataset 'same'"),
        ({"retries": -1}, r"retries of step 'add' must be an integer from 0 to 100, got -1"),
        ({"timeout": 0}, r"timeout of step 'add' must be a number of seconds > 0 or None, got 0"),
        ({"name": "has space"}, r"step name 'has space' is not valid"),
        ({"tags": ["ok", ""]}, r"tags of step 'add' must be non-empty strings"),
        ({"outputs": "sum", "types": {"summ": "Model"}}, r"(?s)types of step 'add' names 'summ'.*did you mean 'sum'\?"),
        ({"inputs": [" padded"]}, r"names the input ' padded'"),
    ],
)
def test_bad_definitions_are_refused_with_a_message(options: dict, message: str) -> None:
    with pytest.raises(StepDefinitionError, match=message):
        step(add, **options)


def test_a_lambda_needs_a_name_and_a_non_function_is_refused() -> None:
    with pytest.raises(StepDefinitionError, match=r"(?s)<lambda> has no usable name for a step.*name='clean'"):
        step(lambda x: x)
    assert step(lambda x: x, name="identity").name == "identity"
    with pytest.raises(StepDefinitionError, match=r"step\(\) needs a function, got int"):
        step(3)


def test_return_shapes_are_checked_against_the_declared_outputs() -> None:
    pair = step(add, outputs=["train", "test"])
    assert pair.outputs_from((1, 2)) == {"train": 1, "test": 2}
    assert pair.outputs_from({"test": 2, "train": 1}) == {"train": 1, "test": 2}
    with pytest.raises(
        StepOutputError,
        match=r"declares 2 outputs \('train', 'test'\) and must return a tuple of 2 values or a dict with those keys; "
        r"it returned a tuple of 3 values",
    ):
        pair.outputs_from((1, 2, 3))
    with pytest.raises(
        StepOutputError,
        match=r"it returned a dict with keys \['train', 'valid'\] \(missing 'test'; unexpected 'valid'\)",
    ):
        pair.outputs_from({"train": 1, "valid": 2})
    with pytest.raises(StepOutputError, match=r"it returned a value of type int"):
        pair.outputs_from(5)
    single_list = step(add, outputs=["model"])
    assert single_list.outputs_from([7]) == {"model": 7}
    nothing = step(add, outputs=None)
    with pytest.raises(StepOutputError, match=r"step 'add' declares no outputs but returned a value of type int"):
        nothing.outputs_from(4)
    assert step(add, outputs="whole").outputs_from((1, 2)) == {"whole": (1, 2)}
