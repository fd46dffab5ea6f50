"""Pipeline: an immutable DAG of steps joined by dataset names, checked when it is built.

    training = Pipeline([prepare, split, train, evaluate], name="training", inputs=["bike_hours"])

``inputs`` declares the free inputs the caller (later, the data catalog) supplies at run
time. Building refuses two steps with one name, two producers of one dataset, cycles
and inputs that nothing provides. Filters (``only_steps``, ``from_steps``,
``to_outputs``, ``with_tags``) and ``+`` return new pipelines, as Kedro's do; a filtered
pipeline's free inputs are whatever its steps read that none of them produce.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from loopline.errors import NotFoundError, did_you_mean
from loopline.pipelines import dag
from loopline.pipelines.dag import DataEdge
from loopline.pipelines.errors import PipelineDefinitionError
from loopline.pipelines.steps import Step


class Pipeline:
    """Steps in dependency order, with what the pipeline reads from outside and what it produces."""

    __slots__ = ("_by_name", "_deps", "_edges", "_inputs", "_producers", "_steps", "name")

    def __init__(
        self, steps: Iterable[Step | Pipeline], *, name: str | None = None, inputs: Iterable[str] | str = ()
    ) -> None:
        flat, nested_inputs = _flatten(steps)
        declared = _declared(inputs)
        producers = _producers(flat)
        for dataset in declared:
            if dataset in producers:
                raise PipelineDefinitionError(
                    f"'{dataset}' is declared as a pipeline input but step '{producers[dataset]}' produces it",
                    hint=f"remove '{dataset}' from inputs=, or rename the step's output",
                )
        free = declared | (nested_inputs - producers.keys())
        _check_inputs_provided(flat, producers, free)
        read = {d for s in flat for d in s.data_inputs}
        unused = sorted(declared - read)
        if unused:
            many = len(unused) > 1
            raise PipelineDefinitionError(
                f"pipeline input{'s' if many else ''} {', '.join(map(repr, unused))} "
                f"{'are' if many else 'is'} declared but no step reads {'them' if many else 'it'}",
                hint="remove it from inputs=, or check the spelling against the steps' inputs",
            )
        self._build(flat, producers, free, name)

    @classmethod
    def _derived(cls, steps: Sequence[Step], name: str | None) -> Pipeline:
        """A pipeline of already-valid steps; its free inputs are what they read and do not produce."""
        producers = _producers(steps)
        free = {d for s in steps for d in s.data_inputs} - producers.keys()
        pipeline = cls.__new__(cls)
        pipeline._build(steps, producers, free, name)
        return pipeline

    def _build(self, steps: Sequence[Step], producers: dict[str, str], free: set[str], name: str | None) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise PipelineDefinitionError(f"a pipeline name must be a non-empty string or None, got {name!r}")
        by_name = {s.name: s for s in steps}
        deps = dag.dependencies(steps, producers)
        cycle = dag.find_cycle(deps)
        if cycle is not None:
            raise PipelineDefinitionError(
                f"the steps form a cycle: {' -> '.join(cycle)}",
                hint="a step cannot depend, directly or not, on its own output; rename one of the datasets",
            )
        order = dag.topological_order(deps)
        self.name = name
        self._steps = tuple(by_name[n] for n in order)
        self._by_name = by_name
        self._producers = producers
        self._deps = {n: deps[n] for n in order}
        self._inputs = tuple(sorted(free))
        self._edges = dag.data_edges(self._steps, producers)

    # -- what it is ---------------------------------------------------------------------------

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps in dependency order (ties in declaration order)."""
        return self._steps

    @property
    def inputs(self) -> tuple[str, ...]:
        """Datasets the pipeline reads from outside, sorted."""
        return self._inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        """Datasets produced by a step and read by none: the pipeline's results, in step order."""
        read = {e.dataset for e in self._edges}
        return tuple(d for s in self._steps for d in s.outputs if d not in read)

    @property
    def datasets(self) -> tuple[str, ...]:
        """Every dataset: the free inputs, then each step's outputs in step order."""
        return (*self._inputs, *(d for s in self._steps for d in s.outputs))

    @property
    def edges(self) -> tuple[DataEdge, ...]:
        """Every (dataset, producer, consumer): what a renderer draws."""
        return self._edges

    def producer(self, dataset: str) -> str | None:
        """The step producing ``dataset``, or None for a free input (NotFoundError if unknown)."""
        if dataset in self._producers:
            return self._producers[dataset]
        if dataset in self._inputs:
            return None
        raise self._unknown_dataset(dataset)

    def step(self, name: str) -> Step:
        """The step named ``name`` (NotFoundError with close matches)."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise self._unknown_step(name) from None

    def dependencies(self, step: Step | str) -> tuple[str, ...]:
        """Names of the steps that produce what ``step`` reads."""
        return self._deps[self._name_of(step)]

    def dependents(self, step: Step | str) -> tuple[str, ...]:
        """Names of the steps that read one of ``step``'s outputs, in pipeline order."""
        name = self._name_of(step)
        return tuple(n for n, upstream in self._deps.items() if name in upstream)

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __contains__(self, item: object) -> bool:
        name = item.name if isinstance(item, Step) else item
        return isinstance(name, str) and name in self._by_name

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Pipeline({label}{len(self._steps)} steps, inputs={list(self._inputs)!r})"

    # -- new pipelines ----------------------------------------------------------------------

    def __add__(self, other: Pipeline) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        name = self.name if other.name in (None, self.name) else other.name if self.name is None else None
        return Pipeline([self, other], name=name)

    def only_steps(self, *names: str) -> Pipeline:
        """The steps named, alone."""
        return self._subset(set(self._known(names)))

    def from_steps(self, *names: str) -> Pipeline:
        """The steps named and every step downstream of them (to resume a run)."""
        return self._subset(dag.downstream(self._deps, self._known(names)))

    def to_outputs(self, *datasets: str) -> Pipeline:
        """The steps needed to produce ``datasets``."""
        wanted = []
        for dataset in datasets:
            producer = self.producer(dataset)
            if producer is None:
                raise NotFoundError(
                    f"'{dataset}' is an input of pipeline '{self.name}', not produced by any step",
                    hint=f"datasets produced here: {', '.join(self._producers) or 'none'}",
                )
            wanted.append(producer)
        return self._subset(dag.upstream(self._deps, wanted))

    def with_tags(self, *tags: str) -> Pipeline:
        """The steps carrying at least one of ``tags``."""
        known = {t for s in self._steps for t in s.tags}
        for tag in tags:
            if tag not in known:
                hint = did_you_mean(tag, known) or (
                    f"tags here: {', '.join(sorted(known))}" if known else "no step has tags"
                )
                raise NotFoundError(f"no step of pipeline '{self.name}' has the tag '{tag}'", hint=hint)
        return self._subset({s.name for s in self._steps if s.tags & set(tags)})

    def _subset(self, names: set[str]) -> Pipeline:
        return Pipeline._derived([s for s in self._steps if s.name in names], self.name)

    def _known(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        if not names:
            raise PipelineDefinitionError("name at least one step", hint=f"steps: {', '.join(self._by_name)}")
        for name in names:
            self.step(name)
        return names

    def _name_of(self, step: Step | str) -> str:
        name = step.name if isinstance(step, Step) else step
        self.step(name)
        return name

    def _unknown_step(self, name: Any) -> NotFoundError:
        hint = did_you_mean(str(name), self._by_name) or f"steps here: {', '.join(self._by_name) or 'none'}"
        return NotFoundError(f"pipeline '{self.name}' has no step named '{name}'", hint=hint)

    def _unknown_dataset(self, name: str) -> NotFoundError:
        known = [*self._inputs, *self._producers]
        hint = did_you_mean(name, known) or f"datasets here: {', '.join(known) or 'none'}"
        return NotFoundError(f"pipeline '{self.name}' has no dataset named '{name}'", hint=hint)


def _flatten(items: Iterable[Step | Pipeline]) -> tuple[list[Step], set[str]]:
    if isinstance(items, Step | Pipeline) or not isinstance(items, Iterable):
        raise PipelineDefinitionError(
            f"Pipeline() takes a list of steps, got {type(items).__name__}", hint="write Pipeline([step_a, step_b])"
        )
    flat: dict[str, Step] = {}
    nested_inputs: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, Pipeline):
            nested_inputs.update(item.inputs)
            members: Iterable[Step] = item.steps
        elif isinstance(item, Step):
            members = (item,)
        else:
            what = f"the function '{item.__name__}'" if callable(item) and hasattr(item, "__name__") else repr(item)
            raise PipelineDefinitionError(
                f"item {index} of the pipeline's steps is {what}, not a Step",
                hint="wrap functions with step(func, outputs=...) or decorate them with @step",
            )
        for member in members:
            seen = flat.get(member.name)
            if seen is not None and seen != member:
                raise PipelineDefinitionError(
                    f"two different steps are named '{member.name}' "
                    f"(functions {_function_name(seen)} and {_function_name(member)})",
                    hint="step names must be unique in a pipeline: pass name=... to one of them",
                )
            flat[member.name] = member
    return list(flat.values()), nested_inputs


def _declared(inputs: Iterable[str] | str) -> set[str]:
    values = [inputs] if isinstance(inputs, str) else list(inputs)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise PipelineDefinitionError(f"pipeline inputs must be dataset names, got {value!r}")
    return set(values)


def _producers(steps: Sequence[Step]) -> dict[str, str]:
    producers: dict[str, str] = {}
    for s in steps:
        for dataset in s.outputs:
            other = producers.get(dataset)
            if other is not None:
                raise PipelineDefinitionError(
                    f"dataset '{dataset}' is produced by two steps: '{other}' and '{s.name}'",
                    hint="each dataset has one producer: rename one of the outputs",
                )
            producers[dataset] = s.name
    return producers


def _check_inputs_provided(steps: Sequence[Step], producers: dict[str, str], free: set[str]) -> None:
    known = [*producers, *sorted(free)]
    problems = []
    missing: set[str] = set()
    for s in steps:
        for dataset in s.data_inputs:
            if dataset not in producers and dataset not in free:
                suggestion = did_you_mean(dataset, known)
                problems.append(f"step '{s.name}' reads '{dataset}'" + (f" ({suggestion})" if suggestion else ""))
                missing.add(dataset)
    if problems:
        raise PipelineDefinitionError(
            "no step produces what these steps read, and it is not a declared pipeline input: " + "; ".join(problems),
            hint="fix the name, add the step that produces it, or declare it: "
            f"Pipeline(..., inputs={sorted(missing)!r})",
        )


def _function_name(s: Step) -> str:
    return getattr(s.func, "__qualname__", repr(s.func))


__all__ = ["Pipeline"]
