"""Pipeline steps of training: plain functions to wrap with ``loopline.step``.

    step(train_model, inputs=["train"], outputs="model", name="train", types={"model": "Model"})
    step(tune_model, inputs=["train"], outputs=["model", "tuning"], name="tune")
    step(package_model, inputs=["model", "train"], outputs="model_package", name="package")
    step(register_model, inputs=["model_package", "blessing"], outputs="registration", name="register")

Their keyword-only parameters come from configuration: ``[training]`` in loopline.toml
sets ``model_name``, ``target``, ``features``, ``estimator`` and ``seed``;
``[training.tuning]`` sets ``n_trials``, ``timeout_s``, ``n_jobs``, ``objective``,
``validation_fraction`` and ``search_space``; ``[parameters]`` may set any of them per step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loopline.errors import InvalidInputError
from loopline.pipelines import NotInStepError, current_run, log_metric, log_param
from loopline.training import fitting
from loopline.training.columns import FeatureColumns, feature_list
from loopline.training.provenance import code_version, frame_digest, package_versions
from loopline.training.trial_records import MetadataTrialRecorder
from loopline.training.tuning import tune

if TYPE_CHECKING:
    from loopline.pipelines import RunContext
    from loopline.registry import ModelPackage

SAMPLE_ROWS = 5


def train_model(
    train: Any, *, target: str, estimator: str, features: Sequence[str] | None = None, seed: int | None = 0,
    threads: int | None = None,
) -> Any:
    """Fit ``estimator`` (a class path with literal arguments, or ``module:function``) on ``train``.

    Records the estimator's full parameters, the feature list, the rows, the training data's
    hash, the code version and the package versions as parameters of the execution, and the
    in-sample scores as metrics.
    """
    model, record = fitting.train(train, estimator=estimator, target=target, features=features, seed=seed,
                                  threads=threads)
    _log_record(record)
    return model


def tune_model(
    train: Any,
    *,
    target: str,
    estimator: str,
    search_space: Sequence[Mapping[str, Any]],
    features: Sequence[str] | None = None,
    objective: str = "rmse",
    n_trials: int = 20,
    timeout_s: float = 0.0,
    n_jobs: int = 1,
    validation_fraction: float = 0.2,
    seed: int | None = 0,
    backend: str = "auto",
) -> tuple[Any, dict[str, Any]]:
    """Tune ``estimator`` over ``search_space`` with Optuna; return the best model (refitted on all of
    ``train``) and the study's summary. Each trial is recorded as an execution of the run.

    ``backend``: ``local`` (processes when ``n_jobs`` > 1), ``ray``, or ``auto``: Ray when the run
    itself runs on the Ray runner, else local.
    """
    context = _context()
    recorder = None
    chosen = backend
    if context is not None:
        inputs = {name: artifact.id for name, artifact in context.inputs.items()}
        recorder = MetadataTrialRecorder(context.metadata, context.run_id, context.step, objective=objective,
                                         inputs=inputs)
        if backend == "auto":
            chosen = "ray" if context.runner == "ray" else "local"
    elif backend == "auto":
        chosen = "local"
    model, result, record = tune(
        train, estimator=estimator, search_space=search_space, target=target, features=features,
        objective=objective, n_trials=n_trials, timeout_s=timeout_s, n_jobs=n_jobs,
        validation_fraction=validation_fraction, seed=seed, backend=chosen, recorder=recorder,
    )
    _log_record(record)
    log_param("best_params", result.best_params)
    log_metric(f"best_{objective}", result.best_value)
    for trial in result.trials:
        if trial.value is not None:
            log_metric(f"trial_{objective}", trial.value, step=trial.number)
    return model, result.to_dict()


def package_model(
    model: Any,
    train: Any,
    schema: Any = None,
    *,
    target: str,
    features: Sequence[str] | None = None,
    online_features: Sequence[str] = (),
) -> ModelPackage:
    """The deployable package: the model, its signature (the SERVING columns of ``schema``, or of a
    schema inferred from ``train``, restricted to the features), a sample input and lineage info.

    ``schema``: a validation Schema, its dict form or its YAML text (a dataset input, or bound with
    ``functools.partial``); None infers one from the training rows. ``online_features``: the
    ``"view:feature"`` references the server fills in from the online store when a request
    carries only the entity keys.
    """
    from loopline.registry import ModelPackage, signature_from_schema

    names = list(features) if features else _fitted_features(model) or feature_list(train, target, None)
    columns = feature_list(train, target, names)
    declared = _with_derived_columns(_schema(schema, train[[*columns, target]], target), train, columns, target)
    signature = signature_from_schema(declared, features=columns)
    info: dict[str, Any] = {
        "features": columns,
        "target": target,
        "training_data_hash": frame_digest(train[[*columns, target]]),
        "training_rows": len(train),
        "code_version": code_version(),
        "packages": package_versions([type(model).__module__]),
    }
    if online_features:
        info["online_features"] = {"refs": list(online_features), "full_feature_names": False}
    context = _context()
    if context is not None:
        info.update(_lineage(context))
    return ModelPackage(model, signature=signature, preprocessing=FeatureColumns(tuple(columns)),
                        sample_input=_sample(train[columns]), info=info)


def register_model(
    package: Any,
    blessing: Any = None,
    *,
    model_name: str,
    description: str = "",
    only_blessed: bool = True,
) -> dict[str, Any]:
    """Register the stored package as the next version of ``model_name``; return what happened.

    A candidate whose ``blessing`` is negative is not registered unless ``only_blessed`` is
    false. Moving an alias (staging, production) is left to a governed promotion
    (``loopline models promote``), which checks the workspace's policies.
    """
    context = current_run()
    artifact = context.input_artifact("package")
    blessed = _blessed(blessing)
    outcome: dict[str, Any] = {"model_name": model_name, "artifact_id": artifact.id, "blessed": blessed,
                               "registered": False, "version": None}
    if blessed is False and only_blessed:
        outcome["reason"] = "the candidate is not blessed"
        print(f"not registered: the candidate (artifact/{artifact.id}) is not blessed")
        return outcome
    from loopline.registry import Registry

    with Registry(context.metadata, context.artifacts).open() as registry:
        version = registry.register(model_name, artifact.id, description=description or f"run {context.run_id}")
    outcome.update(registered=True, version=version.version)
    log_param("registered_version", version.ref)
    print(f"registered {version.ref} (artifact/{artifact.id})")
    return outcome


def _sample(frame: Any) -> Any:
    """The first rows with every input present (the first rows, if too few are): what the server and the
    pre-deployment check send as typical requests."""
    complete = frame.dropna()
    return (complete if len(complete) >= SAMPLE_ROWS else frame).head(SAMPLE_ROWS)


def _log_record(record: fitting.TrainingRecord) -> None:
    log_param("model_class", record.estimator)
    log_param("estimator_params", record.params)
    log_param("feature_list", list(record.features))
    log_param("training_rows", record.rows)
    log_param("training_data_hash", record.data_hash)
    log_param("code_version", record.code_version)
    log_param("package_versions", record.packages)
    for name, value in record.metrics.items():
        log_metric(name, value)


def _schema(schema: Any, frame: Any, target: str) -> Any:
    from loopline.validation import Schema, infer_schema

    if schema is None:
        return infer_schema(frame, label=target)
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    if isinstance(schema, str):
        return Schema.from_yaml(schema)
    raise InvalidInputError(
        f"package_model's schema must be a validation Schema, its dict form or its YAML text, "
        f"got {type(schema).__name__}"
    )


def _with_derived_columns(schema: Any, train: Any, columns: Sequence[str], target: str) -> Any:
    """``schema`` plus the features it does not declare (made by later steps), as inferred from ``train``."""
    import dataclasses

    from loopline.validation import infer_schema

    derived = [c for c in columns if c not in schema]
    if not derived:
        return schema
    inferred = infer_schema(train[derived], label=None)
    # Derived values (lags, rolling means) move with the world: keep their type and sign, not
    # the training window's upper bound, or growing demand would be refused at serving time.
    # One the model learnt with gaps in (no history yet) may be missing in a request too.
    opened = tuple(
        dataclasses.replace(c, max=None, min=0.0 if c.min is not None and c.min >= 0 else None,
                            max_missing_fraction=1.0 if bool(train[c.name].isna().any()) else c.max_missing_fraction)
        for c in inferred.columns
    )
    return dataclasses.replace(schema, columns=(*schema.columns, *opened))


def _fitted_features(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _lineage(context: RunContext) -> dict[str, Any]:
    """Run, artifact and execution ids behind the model, and the training execution's params and metrics."""
    lineage: dict[str, Any] = {"run_id": context.run_id, "package_execution_id": context.execution_id}
    model = context.inputs.get(context.arguments.get("model", "model"))
    data = context.inputs.get(context.arguments.get("train", "train"))
    if data is not None:
        lineage["training_data_artifact_id"] = data.id
    found: dict[str, Any] = {"lineage": lineage}
    if model is None:
        return found
    lineage["model_artifact_id"] = model.id
    producer = model.producer_execution_id
    if producer is not None:
        lineage["training_execution_id"] = producer
        execution = context.metadata.executions.get(producer)
        lineage["training_run_id"] = execution.run_id
        found["params"] = execution.params
        found["metrics"] = context.metadata.tracking.latest_metrics(execution_id=producer).get(execution.step, {})
    return found


def _blessed(blessing: Any) -> bool | None:
    if blessing is None:
        return None
    value = blessing.get("blessed") if isinstance(blessing, Mapping) else getattr(blessing, "blessed", None)
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"register_model's blessing must be a Blessing (or its stored dict), got {type(blessing).__name__}"
        )
    return value


def _context() -> RunContext | None:
    try:
        return current_run()
    except NotInStepError:
        return None


__all__ = ["package_model", "register_model", "train_model", "tune_model"]
