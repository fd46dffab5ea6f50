"""Steps: plain Python functions with named inputs and outputs (Kedro's nodes, Hamilton's functions).

A function's positional parameters are its *data inputs*, matched to datasets by name
(or by ``inputs=``); its keyword-only parameters are *parameters*, whose values come from
configuration (see ``loopline.pipelines.parameters``). ``"params:key"`` in ``inputs``
passes a configured value positionally, as in Kedro. The return value is the step's
output (one name), its outputs (a tuple, or a dict keyed by the names) or nothing.

    @step(outputs=["train", "test"])
    def split(table, *, test_fraction=0.25): ...

    train = step(fit_model, inputs={"frame": "train"}, outputs="model", types={"model": "Model"})

A ``Step`` is callable exactly like its function, so it stays unit-testable as one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from loopline.errors import did_you_mean
from loopline.pipelines.errors import StepDefinitionError, StepOutputError

PARAMS_PREFIX = "params:"
MAX_RETRIES = 100
MAX_NAME_LENGTH = 255
_STEP_NAME = re.compile(r"^\w[\w\-]*$")

Returns = Literal["value", "sequence", "none"]


class _Unset:
    def __repr__(self) -> str:
        return "<the step's name>"


_UNSET: Any = _Unset()

OutputsSpec = str | Sequence[str] | None
InputsSpec = Sequence[str] | Mapping[str, str] | None


@dataclass(frozen=True)
class Step:
    """One function of a pipeline, with the names of what it reads and writes.

    ``inputs`` holds dataset names (and ``"params:key"`` references) in the order they are
    passed; ``input_args`` says, for each, the keyword it binds to (None: positionally).
    ``parameters`` are the keyword-only parameters filled from configuration, with
    ``parameter_defaults`` for those the function gives a default.
    """

    func: Callable[..., Any]
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    input_args: tuple[str | None, ...] = ()
    parameters: tuple[str, ...] = ()
    parameter_defaults: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    returns: Returns = "value"
    retries: int = 0
    timeout: float | None = None
    tags: frozenset[str] = frozenset()
    types: dict[str, str] = field(default_factory=dict, hash=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Step({self.name!r}, inputs={list(self.inputs)!r}, outputs={list(self.outputs)!r})"

    @property
    def data_inputs(self) -> tuple[str, ...]:
        """The dataset names this step reads (``params:`` references left out), without repeats."""
        return tuple(dict.fromkeys(n for n in self.inputs if not n.startswith(PARAMS_PREFIX)))

    @property
    def parameter_refs(self) -> tuple[str, ...]:
        """The configuration keys named by ``"params:key"`` inputs."""
        return tuple(n.removeprefix(PARAMS_PREFIX) for n in self.inputs if n.startswith(PARAMS_PREFIX))

    def call(self, data: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
        """Call the function with dataset values by name and resolved parameters.

        ``params`` is what ``resolve_parameters`` returns: keyword-only parameters by name,
        ``"params:key"`` references under that full reference.
        """
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for arg, source in zip(self.input_args, self.inputs, strict=True):
            value = params[source] if source.startswith(PARAMS_PREFIX) else data[source]
            if arg is None:
                args.append(value)
            else:
                kwargs[arg] = value
        for name in self.parameters:
            kwargs[name] = params[name]
        return self.func(*args, **kwargs)

    def outputs_from(self, result: Any) -> dict[str, Any]:
        """The return value split by output name; a shape that does not match is a StepOutputError."""
        if self.returns == "value":
            return {self.outputs[0]: result}
        if self.returns == "none":
            if result is not None:
                raise StepOutputError(
                    f"step '{self.name}' declares no outputs but returned a value of type {_type_name(result)}",
                    hint="declare outputs=... to keep the value, or return None",
                )
            return {}
        return self._split(result)

    def _split(self, result: Any) -> dict[str, Any]:
        names = self.outputs
        expected = (
            f"step '{self.name}' declares {len(names)} output{'s' if len(names) != 1 else ''} "
            f"({', '.join(repr(n) for n in names)}) and must return a tuple of {len(names)} "
            f"value{'s' if len(names) != 1 else ''} or a dict with those keys"
        )
        if isinstance(result, dict):
            missing = [n for n in names if n not in result]
            extra = [repr(k) for k in result if k not in names]
            if missing or extra:
                problems = []
                if missing:
                    problems.append(f"missing {', '.join(repr(n) for n in missing)}")
                if extra:
                    problems.append(f"unexpected {', '.join(extra)}")
                raise StepOutputError(
                    f"{expected}; it returned a dict with keys {sorted(map(str, result))} ({'; '.join(problems)})",
                    hint="return exactly the declared names, or change outputs=...",
                )
            return {n: result[n] for n in names}
        if isinstance(result, tuple | list):
            if len(result) != len(names):
                raise StepOutputError(
                    f"{expected}; it returned a {type(result).__name__} of {len(result)} values",
                    hint="return one value per declared output, or change outputs=...",
                )
            return dict(zip(names, result, strict=True))
        raise StepOutputError(
            f"{expected}; it returned a value of type {_type_name(result)}",
            hint="return a tuple, or declare a single output name instead of a list",
        )


@overload
def step(
    func: Callable[..., Any],
    /,
    *,
    inputs: InputsSpec = None,
    outputs: OutputsSpec = _UNSET,
    name: str | None = None,
    retries: int = 0,
    timeout: float | None = None,
    tags: str | Iterable[str] = (),
    types: Mapping[str, str] | None = None,
) -> Step: ...


@overload
def step(
    func: None = None,
    /,
    *,
    inputs: InputsSpec = None,
    outputs: OutputsSpec = _UNSET,
    name: str | None = None,
    retries: int = 0,
    timeout: float | None = None,
    tags: str | Iterable[str] = (),
    types: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    func: Callable[..., Any] | None = None,
    /,
    *,
    inputs: InputsSpec = None,
    outputs: OutputsSpec = _UNSET,
    name: str | None = None,
    retries: int = 0,
    timeout: float | None = None,
    tags: str | Iterable[str] = (),
    types: Mapping[str, str] | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a ``Step`` from a function: ``@step``, ``@step(outputs=...)`` or ``step(func, ...)``.

    ``outputs``: one name (the return value; the default is the step's name), a list or
    tuple of names (a tuple of that length, or a dict with those keys, is returned) or
    None (the function returns nothing). ``inputs``: a list (passed positionally) or a
    dict ``{argument: dataset}``; by default the function's positional parameter names.
    ``types`` gives output artifact types (``{"model": "Model"}``). ``retries`` extra
    attempts follow a failure; ``timeout`` (seconds) bounds each attempt.
    """

    def make(function: Callable[..., Any]) -> Step:
        return _make_step(function, inputs, outputs, name, retries, timeout, tags, types)

    if func is None:
        return make
    return make(func)


def _make_step(
    func: Callable[..., Any],
    inputs: InputsSpec,
    outputs: OutputsSpec,
    name: str | None,
    retries: int,
    timeout: float | None,
    tags: str | Iterable[str],
    types: Mapping[str, str] | None,
) -> Step:
    if isinstance(func, Step):
        func = func.func
    if not callable(func):
        raise StepDefinitionError(
            f"step() needs a function, got {_type_name(func)}", hint="pass the function itself: step(train, ...)"
        )
    step_name = _step_name(func, name)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise StepDefinitionError(f"cannot read the parameters of step '{step_name}': {exc}") from None
    names, args = _bind_inputs(step_name, signature, inputs)
    bound_keywords = {a for a in args if a is not None}
    keyword_only = [
        p for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY and p.name not in bound_keywords
    ]
    out_names, returns = _outputs(step_name, step_name if outputs is _UNSET else outputs)
    for dataset in names:
        if dataset in out_names:
            raise StepDefinitionError(
                f"step '{step_name}' both reads and writes the dataset '{dataset}'",
                hint="give the output another name: datasets are immutable within a run",
            )
    return Step(
        func=func,
        name=step_name,
        inputs=names,
        outputs=out_names,
        input_args=args,
        parameters=tuple(p.name for p in keyword_only),
        parameter_defaults={p.name: p.default for p in keyword_only if p.default is not p.empty},
        returns=returns,
        retries=_retries(step_name, retries),
        timeout=_timeout(step_name, timeout),
        tags=_tags(step_name, tags),
        types=_types(step_name, types, out_names),
    )


def _step_name(func: Callable[..., Any], name: str | None) -> str:
    if name is None:
        name = getattr(func, "__name__", None)
        if not isinstance(name, str) or not _STEP_NAME.match(name):
            raise StepDefinitionError(
                f"the function {getattr(func, '__qualname__', None) or repr(func)} has no usable name for a step",
                hint="give the step a name: step(func, name='clean', ...)",
            )
    if not isinstance(name, str) or not _STEP_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise StepDefinitionError(
            f"step name {name!r} is not valid: use letters, digits, '_' and '-' (at most {MAX_NAME_LENGTH})",
            hint="names appear in parameter keys ('train.alpha') and in --from-steps, so keep them plain",
        )
    return name


def _bind_inputs(
    step_name: str, signature: inspect.Signature, inputs: InputsSpec
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if inputs is None:
        names = tuple(p.name for p in positional)
        return _dataset_names(step_name, names), (None,) * len(names)
    if isinstance(inputs, str):
        inputs = [inputs]
    if isinstance(inputs, Mapping):
        return _bind_by_keyword(step_name, params, inputs)
    if not isinstance(inputs, Sequence):
        raise StepDefinitionError(
            f"inputs of step '{step_name}' must be a list of dataset names or a dict {{argument: dataset}}, "
            f"got {_type_name(inputs)}"
        )
    names = _dataset_names(step_name, tuple(inputs))
    required = [p for p in positional if p.default is p.empty]
    if len(names) < len(required) or (len(names) > len(positional) and not has_varargs):
        span = f"{len(required)}" if len(required) == len(positional) else f"{len(required)} to {len(positional)}"
        if has_varargs:
            span = f"at least {len(required)}"
        raise StepDefinitionError(
            f"step '{step_name}' takes {span} positional argument{'s' if len(positional) != 1 else ''} "
            f"({', '.join(p.name for p in positional) or 'none'}) but inputs= names {len(names)}: {list(names)}",
            hint="name one dataset per positional parameter, or pass a dict {argument: dataset}",
        )
    return names, (None,) * len(names)


def _bind_by_keyword(
    step_name: str, params: list[inspect.Parameter], inputs: Mapping[str, str]
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    by_name = {p.name: p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    for arg in inputs:
        param = by_name.get(arg)
        if param is None and not accepts_kwargs:
            hint = did_you_mean(str(arg), by_name) or f"its parameters: {', '.join(by_name) or 'none'}"
            raise StepDefinitionError(f"step '{step_name}' has no parameter '{arg}' to bind an input to", hint=hint)
        if param is not None and param.kind is param.POSITIONAL_ONLY:
            raise StepDefinitionError(
                f"step '{step_name}': parameter '{arg}' is positional-only and cannot be bound by name",
                hint="pass inputs as a list, in parameter order",
            )
    unbound = [
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty and p.name not in inputs
    ]
    if unbound:
        raise StepDefinitionError(
            f"step '{step_name}': parameter{'s' if len(unbound) > 1 else ''} {', '.join(repr(n) for n in unbound)} "
            "get no input",
            hint="add them to inputs={argument: dataset}",
        )
    names = _dataset_names(step_name, tuple(inputs.values()))
    return names, tuple(inputs)


def _dataset_names(step_name: str, names: tuple[Any, ...]) -> tuple[str, ...]:
    for value in names:
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            raise StepDefinitionError(
                f"step '{step_name}' names the input {value!r}; dataset names are non-empty strings "
                "without surrounding spaces"
            )
        if len(value) > MAX_NAME_LENGTH:
            raise StepDefinitionError(
                f"step '{step_name}': input name {value[:40]!r}... is longer than {MAX_NAME_LENGTH}"
            )
        if value.startswith(PARAMS_PREFIX) and not value.removeprefix(PARAMS_PREFIX):
            raise StepDefinitionError(f"step '{step_name}': '{value}' names no parameter", hint="write 'params:alpha'")
    return names


def _outputs(step_name: str, outputs: OutputsSpec) -> tuple[tuple[str, ...], Returns]:
    if outputs is None:
        return (), "none"
    if isinstance(outputs, str):
        names: tuple[Any, ...] = (outputs,)
        returns: Returns = "value"
    elif isinstance(outputs, Sequence):
        names = tuple(outputs)
        returns = "sequence"
        if not names:
            raise StepDefinitionError(
                f"step '{step_name}' declares an empty list of outputs",
                hint="use outputs=None for a step without outputs",
            )
    else:
        raise StepDefinitionError(
            f"outputs of step '{step_name}' must be a name, a list of names or None, got {_type_name(outputs)}"
        )
    for value in names:
        if not isinstance(value, str) or not value.strip() or value != value.strip() or len(value) > MAX_NAME_LENGTH:
            raise StepDefinitionError(
                f"step '{step_name}' names the output {value!r}; dataset names are non-empty strings "
                f"without surrounding spaces (at most {MAX_NAME_LENGTH} characters)"
            )
        if value.startswith(PARAMS_PREFIX):
            raise StepDefinitionError(
                f"step '{step_name}' cannot write '{value}': names starting with '{PARAMS_PREFIX}' refer to parameters"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise StepDefinitionError(f"step '{step_name}' declares the output {', '.join(map(repr, repeated))} twice")
    return names, returns


def _retries(step_name: str, retries: int) -> int:
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise StepDefinitionError(
            f"retries of step '{step_name}' must be an integer from 0 to {MAX_RETRIES}, got {retries!r}"
        )
    return retries


def _timeout(step_name: str, timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise StepDefinitionError(
            f"timeout of step '{step_name}' must be a number of seconds > 0 or None, got {timeout!r}"
        )
    return float(timeout)


def _tags(step_name: str, tags: str | Iterable[str]) -> frozenset[str]:
    values = [tags] if isinstance(tags, str) else list(tags)
    for tag in values:
        if not isinstance(tag, str) or not tag.strip():
            raise StepDefinitionError(f"tags of step '{step_name}' must be non-empty strings, got {tag!r}")
    return frozenset(values)


def _types(step_name: str, types: Mapping[str, str] | None, outputs: tuple[str, ...]) -> dict[str, str]:
    if types is None:
        return {}
    if not isinstance(types, Mapping):
        raise StepDefinitionError(
            f"types of step '{step_name}' must be a dict {{output: artifact type}}, got {_type_name(types)}"
        )
    result: dict[str, str] = {}
    for output, kind in types.items():
        if output not in outputs:
            hint = did_you_mean(str(output), outputs) or f"its outputs: {', '.join(outputs) or 'none'}"
            raise StepDefinitionError(
                f"types of step '{step_name}' names '{output}', which is not an output", hint=hint
            )
        value = getattr(kind, "value", kind)
        if not isinstance(value, str) or not value.strip():
            raise StepDefinitionError(
                f"the artifact type of '{output}' in step '{step_name}' must be a non-empty string, got {kind!r}"
            )
        result[output] = value
    return result


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


__all__ = ["PARAMS_PREFIX", "Step", "step"]
