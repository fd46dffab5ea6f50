"""Executing one step, the same way under every runner.

1. ``begin``: compute the cache key (format version, step name, code fingerprint, resolved
   parameters, input digests, output names); unless caching is off, reuse a COMPLETE
   execution with that key whose output objects are all still in the artifact store
   (``record_cached``, no call). Otherwise start a RUNNING execution: a ``StepJob``.
2. ``execute_job`` (in this process or in a worker): load the inputs (values passed in
   memory when given, else decoded from the artifact store, their digests checked), call
   the function with tracking and output capture active, with retries (each failed
   attempt noted in the logs; a timeout is not retried) and a timeout per attempt (see
   ``loopline.pipelines.timeout``), store each output, and ``complete`` the execution in
   one transaction with its outputs, events, metrics, logged parameters and logs.
3. On failure: ``fail`` the execution with the traceback, what it read, its metrics and logs,
   and, when the step raised a ``CheckFailedError``, its evidence as output artifacts (in the
   same transaction), so a run stopped by a check keeps what the check found.
"""

from __future__ import annotations

import time
import traceback as tb
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopline.errors import CheckFailedError, ConflictError, LooplineError
from loopline.metadata.records import Artifact, EventKind, ExecutionState, NewArtifact
from loopline.pipelines.artifact_types import artifact_type_of
from loopline.pipelines.cache import cache_key
from loopline.pipelines.capture import LogBuffer, capture_output
from loopline.pipelines.context import RunContext, arguments_of, running
from loopline.pipelines.errors import StepTimeoutError
from loopline.pipelines.plan import RunPlan, StepJob
from loopline.pipelines.results import StepOutcome, StepStatus
from loopline.pipelines.steps import MAX_NAME_LENGTH, Step
from loopline.pipelines.timeout import call_with_timeout
from loopline.pipelines.tracking import StepTracker, tracking

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

RETRY_DELAY_S = 0.1
MAX_RETRY_DELAY_S = 5.0
MAX_TRACEBACK_CHARS = 32 * 1024


@dataclass(frozen=True, slots=True)
class Executed:
    """An execution's outcome, and its output values when they may be passed on in memory."""

    outcome: StepOutcome
    values: dict[str, Any] = field(default_factory=dict)


def begin(plan: RunPlan, step: Step, available: Mapping[str, Artifact]) -> StepOutcome | StepJob:
    """The cached outcome of ``step``, or a started ``StepJob`` to execute."""
    started = time.perf_counter()
    inputs = {dataset: available[dataset] for dataset in step.data_inputs}
    key = cache_key(
        step,
        code=plan.fingerprints[step.name],
        params=plan.recorded_params[step.name],
        input_digests={dataset: a.digest for dataset, a in inputs.items()},
    )
    recorded = plan.recorded_params[step.name]
    if plan.use_cache:
        cached = _reuse(plan, step, key, inputs, recorded, started)
        if cached is not None:
            return cached
    execution = plan.metadata.executions.start(plan.run_id, step.name, cache_key=key, params=recorded)
    return StepJob(step, plan.run_id, execution.id, key, dict(plan.params[step.name]), recorded, inputs)


def _reuse(
    plan: RunPlan,
    step: Step,
    key: str,
    inputs: Mapping[str, Artifact],
    recorded: Mapping[str, Any],
    started: float,
) -> StepOutcome | None:
    found = plan.metadata.executions.find_cached(key)
    if found is None:
        return None
    source, outputs = found
    if any(name not in outputs for name in step.outputs):
        return None
    if not all(plan.artifacts.exists(a.uri) for a in outputs.values()):
        return None  # deleted since (gc, by hand): run the step again
    execution = plan.metadata.executions.record_cached(
        plan.run_id,
        step.name,
        cache_key=key,
        params=recorded,
        inputs={dataset: a.id for dataset, a in inputs.items()},
        outputs={name: a.id for name, a in outputs.items()},
        cached_from=source.id,
    )
    return StepOutcome(
        step.name,
        StepStatus.CACHED,
        time.perf_counter() - started,
        outputs=outputs,
        execution_id=execution.id,
        cached_from=source.id,
    )


def execute_job(
    job: StepJob,
    metadata: MetadataStore,
    artifacts: ArtifactStore,
    values: Mapping[str, Any] | None = None,
) -> Executed:
    """Run a started job to COMPLETE or FAILED; ``values`` are inputs already in memory by dataset."""
    started = time.perf_counter()
    step = job.step
    logs = LogBuffer()
    tracker = StepTracker(
        step.name,
        execution_id=job.execution_id,
        metadata=metadata,
        artifacts=artifacts,
        params=job.recorded_params,
        reserved_names=step.outputs,
    )
    input_ids = {dataset: a.id for dataset, a in job.inputs.items()}
    attempts = [0]
    try:
        context = RunContext(
            job.run_id, job.execution_id, step.name, metadata, artifacts, job.inputs, arguments_of(step)
        )
        with capture_output(logs), tracking(tracker), running(context):
            data = _load_inputs(job, artifacts, values or {})
            result = _call_with_retries(job, data, tracker, logs, attempts)
        tracker.close("it returned")
        produced = step.outputs_from(result)
        new_outputs = _store_outputs(step, produced, artifacts)
        for name, logged in tracker.artifacts.items():
            if logged.record is not None:
                new_outputs[name] = logged.record
        recorded = metadata.executions.complete(
            job.execution_id,
            inputs=input_ids,
            outputs=new_outputs,
            metrics=tracker.take_metrics(),
            params=tracker.params,
            logs=logs.getvalue() or None,
        )
    except BaseException as exc:
        tracker.close("it failed")
        outcome = _record_failure(job, exc, tracker, logs, input_ids, metadata, artifacts, started, attempts[0])
        if not isinstance(exc, Exception):
            raise
        return Executed(outcome)
    outcome = StepOutcome(
        step.name,
        StepStatus.RAN,
        time.perf_counter() - started,
        outputs=recorded,
        execution_id=job.execution_id,
        attempts=attempts[0],
    )
    return Executed(outcome, produced)


def _load_inputs(job: StepJob, artifacts: ArtifactStore, values: Mapping[str, Any]) -> dict[str, Any]:
    from loopline.artifacts import decode

    data: dict[str, Any] = {}
    for dataset, artifact in job.inputs.items():
        if dataset in values:
            data[dataset] = values[dataset]
        else:
            data[dataset] = decode(artifacts, artifact.uri, artifact.format)
    return data


def _call_with_retries(
    job: StepJob, data: Mapping[str, Any], tracker: StepTracker, logs: LogBuffer, attempts: list[int]
) -> Any:
    step = job.step
    total = step.retries + 1
    what = f"step '{step.name}'"
    for attempt in range(1, total + 1):
        attempts[0] = attempt
        tracker.start_attempt()
        try:
            return call_with_timeout(lambda: step.call(data, job.params), step.timeout, what=what)
        except StepTimeoutError:
            raise
        except Exception as exc:
            if total == 1:
                raise
            if attempt == total:
                logs.write(f"[loopline] attempt {attempt}/{total} failed: {_describe(exc)}; no attempts left\n")
                raise
            delay = min(RETRY_DELAY_S * 2 ** (attempt - 1), MAX_RETRY_DELAY_S)
            logs.write(f"[loopline] attempt {attempt}/{total} failed: {_describe(exc)}; retrying in {delay:g} s\n")
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _store_outputs(step: Step, produced: Mapping[str, Any], artifacts: ArtifactStore) -> dict[str, NewArtifact]:
    from loopline.artifacts import store_value

    outputs: dict[str, NewArtifact] = {}
    for name, value in produced.items():
        stored = store_value(artifacts, value)
        kind = artifact_type_of(value, step.types.get(name))
        outputs[name] = NewArtifact(
            name, kind, stored.uri, stored.digest, stored.size, stored.format, stored.properties
        )
    return outputs


def _record_failure(
    job: StepJob,
    exc: BaseException,
    tracker: StepTracker,
    logs: LogBuffer,
    input_ids: Mapping[str, int],
    metadata: MetadataStore,
    artifacts: ArtifactStore,
    started: float,
    attempts: int,
) -> StepOutcome:
    error = _describe(exc) if isinstance(exc, Exception) else f"interrupted ({type(exc).__name__})"
    trace = "".join(tb.format_exception(exc))[-MAX_TRACEBACK_CHARS:]
    recorded: dict[str, Artifact] = {}
    try:
        evidence = _store_evidence(exc, artifacts, logs) if isinstance(exc, CheckFailedError) else {}
        if tracker.params:
            metadata.tracking.log_params(job.execution_id, tracker.params)
        metadata.executions.fail(
            job.execution_id,
            error=error,
            traceback=trace,
            inputs=input_ids,
            metrics=tracker.take_metrics(),
            logs=logs.getvalue() or None,
            outputs=evidence,
        )
        if evidence:
            recorded = _outputs_of(metadata, job.execution_id)
    except ConflictError:
        pass  # already ended (the run was finished around it)
    except LooplineError as problem:
        error = f"{error} (and recording the failure failed: {problem.message})"
    return StepOutcome(
        job.step.name,
        StepStatus.FAILED,
        time.perf_counter() - started,
        outputs=recorded,
        execution_id=job.execution_id,
        attempts=attempts,
        error=error,
        traceback=trace,
    )


def _store_evidence(exc: CheckFailedError, artifacts: ArtifactStore, logs: LogBuffer) -> dict[str, NewArtifact]:
    """The error's evidence, stored and ready to record with the failure.

    Evidence that cannot be stored (a bad name, a value that cannot be encoded, a store
    error) is noted in the logs and left out: the failure itself must be recorded.
    """
    from loopline.artifacts import store_value

    stored: dict[str, NewArtifact] = {}
    for name, value in exc.evidence.items():
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            logs.write(f"[loopline] evidence named {name!r} was not stored: names are non-empty strings\n")
            continue
        try:
            kept = store_value(artifacts, value)
        except Exception as problem:  # noqa: BLE001 - recording the failure matters more
            logs.write(f"[loopline] evidence '{name}' was not stored: {_describe(problem)}\n")
            continue
        kind = artifact_type_of(value)
        stored[name] = NewArtifact(name, kind, kept.uri, kept.digest, kept.size, kept.format, kept.properties)
    return stored


def _outputs_of(metadata: MetadataStore, execution_id: int) -> dict[str, Artifact]:
    return {
        e.name: metadata.artifacts.get(e.artifact_id)
        for e in metadata.executions.events(execution_id)
        if e.kind is EventKind.OUTPUT
    }


def fail_unfinished(job: StepJob, metadata: MetadataStore, error: str, started: float) -> StepOutcome:
    """Record a job whose worker died or vanished as FAILED, unless its execution had already ended.

    A worker can die after completing the execution (or be reported dead when it was
    not): then the recorded outcome stands and its outputs are used.
    """
    try:
        metadata.executions.fail(
            job.execution_id, error=error, traceback=None, inputs={d: a.id for d, a in job.inputs.items()}
        )
    except ConflictError:
        execution = metadata.executions.get(job.execution_id)
        if execution.state is ExecutionState.COMPLETE:
            outputs = _outputs_of(metadata, job.execution_id)
            return StepOutcome(
                job.step.name, StepStatus.RAN, time.perf_counter() - started, outputs, execution_id=job.execution_id
            )
        error = execution.error or error
    return StepOutcome(
        job.step.name, StepStatus.FAILED, time.perf_counter() - started, execution_id=job.execution_id, error=error
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LooplineError):
        return f"{type(exc).__name__}: {exc}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["Executed", "begin", "execute_job", "fail_unfinished"]
