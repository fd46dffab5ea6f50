"""Pipeline steps of evaluation: plain functions to wrap with ``loopline.step``.

    step(evaluate_model, inputs=["model", "test"], outputs="evaluation")
    step(bless_model, inputs={"package": "model_package", "test": "test"}, outputs="blessing")

Their keyword-only parameters come from configuration: ``[evaluation]`` in
loopline.toml sets ``task``, ``slices``, ``buckets``, ``min_slice_rows``,
``baseline_alias`` and ``rules``; ``[training]`` sets ``target``, ``features`` and
``model_name``; ``[parameters]`` may set any of them per step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopline.errors import NotFoundError
from loopline.evaluation.blessing import DEFAULT_MIN_SLICE_ROWS, bless
from loopline.evaluation.evaluate import evaluate, model_features
from loopline.evaluation.records import Blessing, Evaluation
from loopline.pipelines import NotInStepError, current_run, log_metric, log_param

if TYPE_CHECKING:
    from loopline.pipelines import RunContext


def evaluate_model(
    model: Any,
    test: Any,
    *,
    target: str,
    features: Sequence[str] | None = None,
    task: str = "auto",
    slices: Sequence[str] = (),
    buckets: Sequence[Mapping[str, Any]] = (),
) -> Evaluation:
    """Metrics of ``model`` on ``test``, overall and per slice, with plot data; each metric is logged."""
    context = _context()
    model = _loaded(model, context, "model")
    evaluation = evaluate(model, test, target=target, features=features, task=task, slices=slices, buckets=buckets)
    if context is not None:
        evaluation = _naming_model(evaluation, context, "model")
    for name, value in evaluation.metrics.items():
        log_metric(name, value)
    return evaluation


def bless_model(
    package: Any,
    test: Any,
    *,
    target: str,
    model_name: str,
    rules: Sequence[Mapping[str, Any]] = (),
    features: Sequence[str] | None = None,
    task: str = "auto",
    slices: Sequence[str] = (),
    buckets: Sequence[Mapping[str, Any]] = (),
    min_slice_rows: int = DEFAULT_MIN_SLICE_ROWS,
    baseline_alias: str = "production",
) -> Blessing:
    """Evaluate the candidate ``package`` and the model behind ``model_name@baseline_alias`` on ``test``;
    apply ``rules``; return the Blessing (its ``candidate`` is the package's Model artifact id).

    No baseline (nothing registered under that alias yet, or ``baseline_alias`` empty): only the
    absolute rules apply. A run is needed to know the candidate's artifact id and to reach the registry.
    """
    context = _context()
    package = _loaded(package, context, "package")
    options = {"target": target, "task": task, "slices": slices, "buckets": buckets}
    candidate = evaluate(package, test, features=features or model_features(package), **options)
    candidate_id = context.input_artifact("package").id if context is not None else None
    baseline_evaluation, baseline_id, baseline_ref = None, None, None
    found = _baseline(context, model_name, baseline_alias) if context is not None and baseline_alias else None
    if found is not None:
        baseline_package, baseline_id, baseline_ref = found
        baseline_features = model_features(baseline_package) or features
        baseline_evaluation = evaluate(baseline_package, test, features=baseline_features, **options)
    blessing = bless(
        candidate, baseline_evaluation, rules, candidate_id=candidate_id, baseline_id=baseline_id,
        baseline_ref=baseline_ref, min_slice_rows=min_slice_rows,
    )
    log_param("baseline", baseline_ref or "none")
    log_metric("blessed", 1.0 if blessing.blessed else 0.0)
    for name, value in candidate.metrics.items():
        log_metric(f"candidate_{name}", value)
    for name, value in (baseline_evaluation.metrics if baseline_evaluation else {}).items():
        log_metric(f"baseline_{name}", value)
    print(blessing.summary)  # kept in the step's logs
    return blessing


def _baseline(context: RunContext, name: str, alias: str) -> tuple[Any, int, str] | None:
    """The package behind ``name@alias``, its artifact id and a readable reference; None when there is none."""
    from loopline.registry import Registry

    with Registry(context.metadata, context.artifacts).open() as registry:
        try:
            version = registry.resolve(f"{name}@{alias}")
        except NotFoundError:
            return None
        return registry.load(version.ref), version.artifact_id, f"{version.ref} ({alias})"


def _loaded(value: Any, context: RunContext | None, argument: str) -> Any:
    """The model itself; a model package read back from the store arrives as its folder, opened here
    after its files are checked against the digest this run recorded."""
    if not isinstance(value, Path) or context is None:
        return value
    from loopline.registry import read_package

    return read_package(value, recorded_digest=context.input_artifact(argument).digest)


def _naming_model(evaluation: Evaluation, context: RunContext, argument: str) -> Evaluation:
    try:
        artifact_id = context.input_artifact(argument).id
    except NotFoundError:
        return evaluation
    return replace(evaluation, model_artifact_id=artifact_id)


def _context() -> RunContext | None:
    try:
        return current_run()
    except NotInStepError:
        return None


__all__ = ["bless_model", "evaluate_model"]
