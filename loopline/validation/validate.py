"""Validate a dataset (or its profile) against a schema: schema anomalies, quality, data-centric checks.

Everything is reported; nothing is raised for bad data. ``passed`` is False when any
anomaly is an ERROR, and the caller decides what that means (Hamilton's results, then policy).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from loopline.validation.anomalies import Anomaly, Severity, ValidationResult
from loopline.validation.checks import run_data_checks, with_examples
from loopline.validation.kinds import ColumnKind
from loopline.validation.profile import Profile
from loopline.validation.profiling import profile_opened
from loopline.validation.quality_checks import check_quality
from loopline.validation.reading import DataInput, open_data
from loopline.validation.schema import TRAINING, Schema
from loopline.validation.schema_checks import check_against_schema


def validate(
    data: DataInput | Profile,
    schema: Schema,
    *,
    environment: str | None = TRAINING,
    order_by: Sequence[str] = (),
    data_checks: bool = True,
) -> ValidationResult:
    """Check ``data`` against ``schema`` as it applies in ``environment`` (None: every column).

    With raw data, anomalies carry exact counts and example values, and with
    ``data_checks`` the data-centric checks run (duplicate rows, duplicate keys, conflicting
    labels, target leakage, stuck values in ``order_by`` order); ``data_checks=False`` runs
    the schema's checks (columns, types, missing values, ranges, domains) and the per-column
    quality checks (all-null, constant, mixed types, NaN and infinities) only, and skips the
    work only the data-centric ones need. With a Profile only what the statistics show is
    reported.
    """
    narrowed = schema.for_environment(environment) if environment is not None else schema
    if isinstance(data, Profile):
        return ValidationResult.from_anomalies(profile_anomalies(data, narrowed))
    with open_data(data) as opened:
        counted = None if data_checks else _counted_columns(narrowed)
        stats = profile_opened(opened, distributions=False, duplicates=data_checks, counted=counted)
        anomalies = profile_anomalies(stats, narrowed)
        if stats.rows:
            anomalies = with_examples(opened, anomalies, narrowed, stats)
            if data_checks:
                label = narrowed.label if narrowed.label in narrowed and narrowed.label in stats else None
                key = [k for k in narrowed.key if k in stats]
                order = [c for c in order_by if c in stats]
                anomalies += run_data_checks(opened, stats, label=label, key=key, order_by=order)
    return ValidationResult.from_anomalies(_ordered(anomalies))


def _counted_columns(schema: Schema) -> list[str]:
    """Columns whose values the schema's checks count: boolean columns (numbers must be 0 or 1) and domains."""
    return [c.name for c in schema.columns if c.kind == ColumnKind.BOOLEAN or c.domain is not None]


def profile_anomalies(stats: Profile, schema: Schema) -> list[Anomaly]:
    """Schema and quality anomalies visible in a profile, one per code and column."""
    return _unique([*check_against_schema(stats, schema), *check_quality(stats)])


def _unique(anomalies: Iterable[Anomaly]) -> list[Anomaly]:
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for anomaly in anomalies:
        if (anomaly.code, anomaly.column) not in seen:
            seen.add((anomaly.code, anomaly.column))
            kept.append(anomaly)
    return kept


def _ordered(anomalies: list[Anomaly]) -> list[Anomaly]:
    return sorted(_unique(anomalies), key=lambda a: a.severity != Severity.ERROR)


__all__ = ["profile_anomalies", "validate"]
