"""``run_pipeline``: one recorded run of a pipeline, on any runner.

Before the run record is created, everything that can be checked is: every parameter
resolves, every free input is supplied (or, when resuming, found in earlier runs). Then
the run starts, the free inputs are stored and recorded as artifacts, the runner runs
the steps, and the run finishes COMPLETE, or FAILED with an error that says how to
resume. A step failure does not raise: it is in the result. Anything else (an
interrupt, a store that stopped answering) finishes the run and is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loopline.errors import InvalidInputError, LooplineError, did_you_mean
from loopline.metadata.records import Artifact, NewArtifact, RunStatus
from loopline.pipelines.artifact_types import artifact_type_of
from loopline.pipelines.cache import canonical
from loopline.pipelines.errors import MissingInputError
from loopline.pipelines.events import RunEvent, RunFinished, RunStarted
from loopline.pipelines.fingerprint import code_fingerprint
from loopline.pipelines.parameters import resolve_all
from loopline.pipelines.pipeline import Pipeline
from loopline.pipelines.plan import RunPlan
from loopline.pipelines.results import RunResult, StepOutcome, StepStatus
from loopline.pipelines.resume import previous_artifacts
from loopline.pipelines.runners import Runner, resolve_runner

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

DEFAULT_PIPELINE_NAME = "pipeline"


def run_pipeline(
    pipeline: Pipeline,
    *,
    metadata: MetadataStore,
    artifacts: ArtifactStore,
    params: Mapping[str, Any] | None = None,
    runner: Runner | str = "local",
    use_cache: bool = True,
    inputs: Mapping[str, Any] | None = None,
    from_steps: Sequence[str] | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
) -> RunResult:
    """Run ``pipeline`` with the open stores; return the finished run and each step's outcome.

    ``params``: configuration values (``"step.param"`` or ``"param"``). ``inputs``: values of
    the pipeline's free inputs (stored and recorded as artifacts). ``use_cache=False`` runs
    every step (their results are still recorded for later runs). ``from_steps`` runs those
    steps and everything downstream, reusing the latest recorded outputs for the rest.
    ``on_event`` receives each ``loopline.pipelines.events`` event as it happens.
    """
    chosen = resolve_runner(runner)
    if not isinstance(pipeline, Pipeline):
        raise InvalidInputError(
            f"run_pipeline needs a Pipeline, got {type(pipeline).__name__}", hint="wrap the steps: Pipeline([...])"
        )
    values = dict(inputs or {})
    config = dict(params or {})
    resumed_from = list(from_steps or [])
    target = pipeline.from_steps(*resumed_from) if resumed_from else pipeline
    resolved = resolve_all(target.steps, config)
    name = pipeline.name or DEFAULT_PIPELINE_NAME
    needed_from_caller, needed_from_before = _split_inputs(pipeline, target, values, resumed=bool(resumed_from))
    resumed = previous_artifacts(
        metadata, artifacts, pipeline, needed_from_before, run_name=name, resumed_from=resumed_from
    )
    fingerprints = {s.name: code_fingerprint(s.func) for s in target.steps}
    properties: dict[str, Any] = {"runner": chosen.name}
    if resumed_from:
        properties["from_steps"] = resumed_from
    run = metadata.runs.start(name, params=canonical(config), properties=properties)
    emit = on_event or _ignore
    try:
        emit(RunStarted(run, tuple(s.name for s in target.steps)))
        available = {
            **resumed,
            **_record_inputs(metadata, artifacts, run.id, {d: values[d] for d in needed_from_caller}),
        }
        plan = RunPlan(
            pipeline=target,
            run=run,
            metadata=metadata,
            artifacts=artifacts,
            params=resolved,
            recorded_params={step: canonical(v) for step, v in resolved.items()},
            fingerprints=fingerprints,
            available=available,
            values={d: values[d] for d in needed_from_caller},
            use_cache=use_cache,
            emit=emit,
        )
        outcomes = chosen.run(plan)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
        reason = "interrupted" if interrupted else f"{type(exc).__name__}: {exc}"
        try:
            finished = metadata.runs.finish(run.id, status, error=reason)
        except LooplineError:
            raise exc from None  # the original problem matters more than this bookkeeping write
        emit(RunFinished(finished, reason))
        raise
    error = _failure_message(name, outcomes)
    finished = metadata.runs.finish(run.id, RunStatus.FAILED if error else RunStatus.COMPLETE, error=error)
    emit(RunFinished(finished, error))
    outputs = {dataset: a for outcome in outcomes.values() for dataset, a in outcome.outputs.items()}
    return RunResult(finished, outcomes, outputs, error)


def _ignore(event: RunEvent) -> None:
    return None


def _split_inputs(
    pipeline: Pipeline, target: Pipeline, values: Mapping[str, Any], *, resumed: bool
) -> tuple[list[str], list[str]]:
    """Which free inputs of ``target`` the caller supplies, and which come from earlier runs."""
    label = pipeline.name or DEFAULT_PIPELINE_NAME
    unknown = [d for d in values if d not in pipeline.inputs]
    if unknown:
        problems = []
        for dataset in unknown:
            producer = pipeline.producer(dataset) if dataset in pipeline.datasets else None
            if producer is not None:
                problems.append(f"'{dataset}' is produced by step '{producer}'")
            else:
                suggestion = did_you_mean(str(dataset), pipeline.inputs)
                problems.append(f"'{dataset}' is not read by any step" + (f" ({suggestion})" if suggestion else ""))
        raise MissingInputError(
            f"inputs= names datasets that are not inputs of pipeline '{label}': " + "; ".join(problems),
            hint=f"its inputs: {', '.join(pipeline.inputs) or 'none'}",
        )
    from_caller = [d for d in target.inputs if d in values]
    rest = [d for d in target.inputs if d not in values]
    if not resumed:
        if rest:
            plural = len(rest) > 1
            shown = ", ".join(f"'{d}': ..." for d in rest)
            raise MissingInputError(
                f"pipeline '{label}' needs the input{'s' if plural else ''} {', '.join(map(repr, rest))}, "
                f"which {'were' if plural else 'was'} not supplied",
                hint=f"pass inputs={{{shown}}} (a workspace loads them from its data catalog)",
            )
        return from_caller, []
    return from_caller, rest


def _record_inputs(
    metadata: MetadataStore, artifacts: ArtifactStore, run_id: int, values: Mapping[str, Any]
) -> dict[str, Artifact]:
    """Store each supplied input and record it (reusing the record of identical earlier content)."""
    from loopline.artifacts import store_value

    recorded: dict[str, Artifact] = {}
    for dataset, value in values.items():
        stored = store_value(artifacts, value)
        kind = artifact_type_of(value)
        earlier = metadata.artifacts.list(name=dataset, digest=stored.digest, type=kind, limit=1)
        if earlier and earlier[0].format == stored.format:
            recorded[dataset] = earlier[0]
            continue
        new = NewArtifact(dataset, kind, stored.uri, stored.digest, stored.size, stored.format, stored.properties)
        recorded[dataset] = metadata.artifacts.record(new, context_id=run_id)
    return recorded


def _failure_message(pipeline_name: str, outcomes: Mapping[str, StepOutcome]) -> str | None:
    failed = [o for o in outcomes.values() if o.status is StepStatus.FAILED]
    if not failed:
        return None
    skipped = [name for name, o in outcomes.items() if o.status is StepStatus.SKIPPED]
    lines = [f"step '{o.step}' failed: {o.error}" for o in failed]
    if skipped:
        lines.append(f"not run, because a step they depend on failed: {', '.join(skipped)}")
    names = ",".join(o.step for o in failed)
    lines.append(
        f"resume with: loopline run {pipeline_name} --from-steps {names} "
        f"(in Python: run_pipeline(..., from_steps={[o.step for o in failed]!r}))"
    )
    return "\n".join(lines)


__all__ = ["run_pipeline"]
