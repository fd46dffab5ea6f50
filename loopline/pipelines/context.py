"""``current_run()``: what a running step may know about the run it belongs to.

Most steps need nothing but their inputs and parameters. A few built-in ones reach
further: a tuning step records each trial as an execution of the run, a blessing step
names the artifact id of the model it judged, a registering step registers the stored
package. They ask ``current_run()`` for the run and execution ids, the open stores and
the artifact records of their inputs. Set by the runner around the step's call, in
whichever process runs it; outside a running step it raises ``NotInStepError``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopline.errors import NotFoundError, did_you_mean
from loopline.metadata.records import Artifact
from loopline.pipelines.errors import NotInStepError
from loopline.pipelines.steps import PARAMS_PREFIX, Step

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

_active: ContextVar[RunContext | None] = ContextVar("loopline_run_context", default=None)


@dataclass(frozen=True)
class RunContext:
    """The running step's run, execution, stores and input artifacts.

    ``inputs`` holds the input artifacts by dataset name; ``arguments`` maps each function
    argument that receives a dataset to that dataset's name.
    """

    run_id: int
    execution_id: int
    step: str
    metadata: MetadataStore
    artifacts: ArtifactStore
    inputs: Mapping[str, Artifact]
    arguments: Mapping[str, str]

    def input_artifact(self, name: str) -> Artifact:
        """The artifact passed to the argument ``name`` (or read as the dataset ``name``)."""
        dataset = self.arguments.get(name, name)
        found = self.inputs.get(dataset)
        if found is None:
            known = sorted({*self.arguments, *self.inputs})
            hint = did_you_mean(name, known) or f"its inputs: {', '.join(known) or 'none'}"
            raise NotFoundError(f"step '{self.step}' has no input named '{name}'", hint=hint)
        return found

    @property
    def runner(self) -> str | None:
        """The name of the runner executing the run (``local``, ``ray``), as recorded with the run."""
        value = self.metadata.runs.get(self.run_id).properties.get("runner")
        return None if value is None else str(value)


def current_run() -> RunContext:
    """The running step's ``RunContext``, or NotInStepError outside a step run by a runner."""
    context = _active.get()
    if context is None:
        raise NotInStepError(
            "current_run() was called outside a step run by a pipeline runner",
            hint="run the step with run_pipeline or Workspace.run; a plain call has no run to belong to",
        )
    return context


def arguments_of(step: Step) -> dict[str, str]:
    """Each function argument of ``step`` that receives a dataset, with that dataset's name."""
    try:
        parameters = inspect.signature(step.func).parameters.values()
    except (TypeError, ValueError):
        return {}
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    bound: dict[str, str] = {}
    position = 0
    for argument, dataset in zip(step.input_args, step.inputs, strict=True):
        if argument is None:
            argument = positional[position] if position < len(positional) else None
            position += 1
        if argument is not None and not dataset.startswith(PARAMS_PREFIX):
            bound[argument] = dataset
    return bound


@contextmanager
def running(context: RunContext) -> Iterator[RunContext]:
    """Make ``context`` the current run context for the block (used by the runners)."""
    token = _active.set(context)
    try:
        yield context
    finally:
        _active.reset(token)


__all__ = ["RunContext", "arguments_of", "current_run", "running"]
