"""Validation as pipeline steps: plain functions that any pipeline wraps with ``step(...)``.

They know nothing of the pipeline engine. The runner records their results with the
artifact types ``Statistics`` (a Profile), ``Schema``, ``Anomalies`` (a ValidationResult)
and ``Drift`` (a DriftReport). A check that must stop the run raises a
``CheckFailedError`` carrying what it found, so the failed execution keeps it as an
artifact: ``validate_data`` on any ERROR anomaly, ``detect_data_drift`` on dataset drift
when asked to.

    from loopline.validation import steps as checks

    Pipeline([
        step(checks.compute_statistics, inputs=["reference"], outputs="statistics"),
        step(checks.infer_data_schema, inputs=["reference"], outputs="schema"),
        step(checks.validate_data, inputs=["batch", "schema"], outputs="anomalies"),
        step(checks.detect_data_drift, inputs=["statistics", "batch"], outputs="drift"),
    ])

A schema kept in a file is bound with ``functools.partial(checks.validate_data,
schema=path.read_text())``: the YAML text is then a parameter of the step, so editing the
file changes the step's cache key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loopline.errors import CheckFailedError
from loopline.validation.anomalies import Anomaly, ValidationResult
from loopline.validation.drift import DriftOptions, detect_drift
from loopline.validation.drift_report import DriftReport
from loopline.validation.errors import SchemaFormatError
from loopline.validation.profile import Profile
from loopline.validation.profiling import profile
from loopline.validation.reading import DataInput
from loopline.validation.schema import TRAINING, Schema
from loopline.validation.schema_inference import infer_schema
from loopline.validation.storage import read_schema_file
from loopline.validation.validate import validate

#: ERROR anomalies named in a DataValidationError's message; the evidence holds them all.
ANOMALIES_NAMED = 3
SchemaInput = Schema | Mapping[str, Any] | str | Path


class DataValidationError(CheckFailedError):
    """The data has ERROR anomalies; ``evidence["anomalies"]`` is the whole ValidationResult."""


class DataDriftError(CheckFailedError):
    """The data drifted from its reference; ``evidence["drift"]`` is the DriftReport."""


def compute_statistics(data: DataInput) -> Profile:
    """The data's profile (recorded as a ``Statistics`` artifact)."""
    return profile(data)


def infer_data_schema(
    data: DataInput | Profile, *, label: str | None = None, key: str | Sequence[str] | None = None
) -> Schema:
    """A schema the data satisfies, with ``label`` in TRAINING only: a starting point to review."""
    return infer_schema(data, label=label, key=key)


def validate_data(
    data: DataInput | Profile,
    schema: SchemaInput,
    *,
    environment: str | None = TRAINING,
    order_by: Sequence[str] = (),
) -> ValidationResult:
    """Validate ``data`` against ``schema``; raise ``DataValidationError`` on any ERROR anomaly.

    Warnings do not stop anything: the result (recorded as ``Anomalies``) keeps them.
    ``schema`` is a Schema, its dict form, its YAML text or the path of a YAML file.
    """
    result = validate(data, as_schema(schema), environment=environment, order_by=tuple(order_by))
    if not result.passed:
        raise DataValidationError(
            _failure_message(result),
            hint="the failed execution keeps every anomaly as its 'anomalies' artifact; fix the data, or edit the "
            "schema if the data is right ('loopline validate DATA --schema FILE' lists them all)",
            evidence={"anomalies": result},
        )
    return result


def detect_data_drift(
    reference: DataInput | Profile,
    current: DataInput | Profile,
    *,
    schema: SchemaInput | None = None,
    numeric_measure: str | None = None,
    categorical_measure: str | None = None,
    threshold: float | None = None,
    fail_on_drift: bool = False,
) -> DriftReport:
    """Drift of ``current`` from ``reference`` (each data or a stored profile), column by column.

    With ``fail_on_drift`` the step raises ``DataDriftError`` when the dataset drifted.
    """
    options = DriftOptions(numeric_measure=numeric_measure, categorical_measure=categorical_measure,
                           threshold=threshold)
    report = detect_drift(reference, current, schema=None if schema is None else as_schema(schema), options=options)
    if fail_on_drift and report.dataset_drift:
        drifted = ", ".join(report.drifted_columns)
        raise DataDriftError(
            f"the data drifted: {len(report.drifted_columns)} of {len(report.columns)} columns "
            f"({report.drift_share:.0%}, threshold {report.share_threshold:.0%}): {drifted}",
            hint="the failed execution keeps the report as its 'drift' artifact",
            evidence={"drift": report},
        )
    return report


def as_schema(value: SchemaInput) -> Schema:
    """A Schema from a Schema, its dict form, its YAML text or a YAML file's path."""
    if isinstance(value, Schema):
        return value
    if isinstance(value, Path):
        return read_schema_file(value)
    if isinstance(value, str):
        if "\n" not in value and value.strip().endswith((".yaml", ".yml")):
            raise SchemaFormatError(
                f"the schema {value!r} looks like a file name, but text is read as the schema's YAML itself",
                hint=f"pass pathlib.Path({value!r}) to read the file",
            )
        return Schema.from_yaml(value)
    if isinstance(value, Mapping):
        return Schema.from_dict(value)
    raise SchemaFormatError(
        f"cannot use a {type(value).__name__} as a schema",
        hint="pass a Schema, its YAML text, its dict form or a pathlib.Path to a YAML file",
    )


def _failure_message(result: ValidationResult) -> str:
    errors = result.errors
    named = "; ".join(_describe(a) for a in errors[:ANOMALIES_NAMED])
    more = f"; and {len(errors) - ANOMALIES_NAMED} more" if len(errors) > ANOMALIES_NAMED else ""
    plural = "y" if len(errors) == 1 else "ies"
    return f"the data failed validation with {len(errors)} ERROR anomal{plural}: {named}{more}"


def _describe(anomaly: Anomaly) -> str:
    where = f" in column '{anomaly.column}'" if anomaly.column is not None else ""
    return f"{anomaly.code.value}{where} ({anomaly.message})"


__all__ = [
    "ANOMALIES_NAMED",
    "DataDriftError",
    "DataValidationError",
    "as_schema",
    "compute_statistics",
    "detect_data_drift",
    "infer_data_schema",
    "validate_data",
]
