"""Runners: where and how a run's steps execute, behind one small interface, chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from loopline.errors import did_you_mean
from loopline.pipelines.errors import UnknownRunnerError
from loopline.pipelines.plan import RunPlan
from loopline.pipelines.results import StepOutcome


@runtime_checkable
class Runner(Protocol):
    """Runs every step of a plan (each through ``loopline.pipelines.execution``).

    Returns the outcomes by step name, in pipeline order. ``name`` is recorded with the run.
    """

    name: str

    def run(self, plan: RunPlan) -> dict[str, StepOutcome]: ...


RunnerFactory = Callable[..., Runner]


def _local(*, parallel: bool = False, max_workers: int | None = None, address: str | None = None) -> Runner:
    from loopline.pipelines.runners.local import LocalRunner

    return LocalRunner(parallel=parallel, max_workers=max_workers)


def _ray(*, parallel: bool = True, max_workers: int | None = None, address: str | None = None) -> Runner:
    from loopline.pipelines.runners.ray import RayRunner

    return RayRunner(address=address or None, max_in_flight=max_workers)


RUNNERS: dict[str, RunnerFactory] = {"local": _local, "ray": _ray}


def register_runner(name: str, factory: RunnerFactory) -> None:
    """Make ``make_runner(name, parallel=..., max_workers=..., address=...)`` call ``factory``."""
    RUNNERS[name] = factory


def make_runner(
    kind: str, *, parallel: bool = False, max_workers: int | None = None, address: str | None = None
) -> Runner:
    """The runner registered as ``kind``; each takes the options it uses (``address`` is Ray's)."""
    factory = RUNNERS.get(kind)
    if factory is None:
        known = ", ".join(sorted(RUNNERS))
        hint = did_you_mean(str(kind), RUNNERS)
        raise UnknownRunnerError(
            f"no runner named '{kind}'", hint=f"{hint} known runners: {known}" if hint else f"known runners: {known}"
        )
    return factory(parallel=parallel, max_workers=max_workers, address=address)


def resolve_runner(runner: Runner | str) -> Runner:
    """A runner given by name (default options) or as an object."""
    if isinstance(runner, str):
        return make_runner(runner)
    if not isinstance(runner, Runner):
        raise UnknownRunnerError(
            f"runner must be a name or a Runner, got {type(runner).__name__}",
            hint=f"pass one of: {', '.join(sorted(RUNNERS))}, or an object with name and run(plan)",
        )
    return runner


__all__ = ["RUNNERS", "Runner", "RunnerFactory", "make_runner", "register_runner", "resolve_runner"]
