"""The loop every runner shares: start steps whose inputs are ready, collect their outcomes.

A runner supplies ``submit(job) -> Future[Executed]``: run it now in this process, in a
worker process, or as a Ray task. The loop (in the caller's process) checks the cache,
starts executions, emits events and decides what comes next. Among ready steps, the one
declared first goes first; at most ``max_in_flight`` jobs run at once.

After a failure, steps that do not depend on the failed one still run; the steps
downstream of it are not run and are reported as SKIPPED (``StepSkipped``; they get no
execution record), so resuming from the failed steps runs exactly what is missing.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait

from loopline.metadata.records import Artifact
from loopline.pipelines import dag
from loopline.pipelines.events import StepCached, StepFailed, StepFinished, StepSkipped, StepStarted
from loopline.pipelines.execution import Executed, begin, fail_unfinished
from loopline.pipelines.plan import RunPlan, StepJob
from loopline.pipelines.results import StepOutcome, StepStatus

Submit = Callable[[StepJob], "Future[Executed]"]


def drive(plan: RunPlan, submit: Submit, *, max_in_flight: int = 1) -> dict[str, StepOutcome]:
    """Run every step of ``plan`` through ``submit``; returns the outcomes in pipeline order."""
    steps = plan.pipeline.steps
    position = {s.name: i for i, s in enumerate(steps)}
    deps = {s.name: plan.pipeline.dependencies(s) for s in steps}
    children = dag.dependents(deps)
    waiting = {name: len(upstream) for name, upstream in deps.items()}
    blocked: dict[str, str] = {}  # step -> the failed or skipped step it depends on
    ready = [position[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    available: dict[str, Artifact] = dict(plan.available)
    outcomes: dict[str, StepOutcome] = {}
    pending: dict[Future[Executed], tuple[StepJob, float]] = {}

    def settle(outcome: StepOutcome) -> None:
        outcomes[outcome.step] = outcome
        if outcome.status.is_ok:
            available.update(outcome.outputs)
        for child in children[outcome.step]:
            if not outcome.status.is_ok:
                blocked.setdefault(child, outcome.step)
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, position[child])

    while ready or pending:
        while ready and len(pending) < max_in_flight:
            step = steps[heapq.heappop(ready)]
            if step.name in blocked:
                reason = f"'{blocked[step.name]}', which it depends on, did not complete"
                plan.emit(StepSkipped(step.name, plan.run_id, reason))
                settle(StepOutcome(step.name, StepStatus.SKIPPED, 0.0, error=f"not run: {reason}"))
                continue
            prepared = begin(plan, step, available)
            if isinstance(prepared, StepOutcome):
                plan.emit(_cached_event(plan, prepared))
                settle(prepared)
                continue
            plan.emit(StepStarted(step.name, plan.run_id))
            started = time.perf_counter()
            try:
                pending[submit(prepared)] = (prepared, started)
            except Exception as exc:  # e.g. a function that cannot be pickled for a worker
                reason = f"step '{step.name}' could not be sent to a worker: {type(exc).__name__}: {exc}"
                outcome = fail_unfinished(prepared, plan.metadata, reason, started)
                plan.emit(_ended_event(plan, prepared, outcome))
                settle(outcome)
        if not pending:
            continue
        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: position[pending[f][0].step.name]):
            job, started = pending.pop(future)
            outcome = _outcome_of(plan, future, job, started)
            plan.emit(_ended_event(plan, job, outcome))
            settle(outcome)
    return {s.name: outcomes[s.name] for s in steps if s.name in outcomes}


def _cached_event(plan: RunPlan, outcome: StepOutcome) -> StepCached:
    execution_id, cached_from = outcome.execution_id or 0, outcome.cached_from or 0
    return StepCached(outcome.step, plan.run_id, execution_id, cached_from, outcome.duration_s)


def _ended_event(plan: RunPlan, job: StepJob, outcome: StepOutcome) -> StepFinished | StepFailed:
    if outcome.status is StepStatus.RAN:
        return StepFinished(job.step.name, plan.run_id, job.execution_id, outcome.duration_s, outcome.attempts)
    return StepFailed(job.step.name, plan.run_id, job.execution_id, outcome.duration_s, outcome.error or "")


def _outcome_of(plan: RunPlan, future: Future[Executed], job: StepJob, started: float) -> StepOutcome:
    error = future.exception()
    if error is None:
        return future.result().outcome
    if not isinstance(error, Exception):
        raise error
    reason = f"the worker running step '{job.step.name}' failed: {type(error).__name__}: {error}"
    return fail_unfinished(job, plan.metadata, reason, started)


__all__ = ["Submit", "drive"]
