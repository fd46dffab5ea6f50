"""Compare a profile with a schema: missing and unexpected columns, types, ranges, domains, missing values.

These checks read only the profile, so they also run on stored statistics. ``validate``
adds exact counts and example values from the data when it has the data.
"""

from __future__ import annotations

from typing import Any

from loopline.validation.anomalies import Anomaly, AnomalyCode
from loopline.validation.kinds import ColumnKind
from loopline.validation.profile import ColumnProfile, Profile
from loopline.validation.schema import ColumnSchema, Schema

#: Shares of missing values are judged on batches of at least this many rows; a column that
#: may have no missing value at all is checked on any batch.
MIN_ROWS_FOR_FRACTIONS = 20
_STRINGS = (ColumnKind.CATEGORICAL, ColumnKind.TEXT)


def check_against_schema(stats: Profile, schema: Schema) -> list[Anomaly]:
    """Anomalies of ``stats`` with respect to ``schema`` (already narrowed to one environment)."""
    found: list[Anomaly] = []
    for expected in schema.columns:
        if expected.name not in stats:
            if expected.required:
                found.append(_missing_column(expected, schema.environment))
            continue
        found.extend(check_column(expected, stats.column(expected.name)))
    environment = f" in {schema.environment}" if schema.environment else ""
    for col in stats.columns:
        if col.name not in schema:
            found.append(Anomaly.of(
                AnomalyCode.UNEXPECTED_COLUMN, col.name,
                f"column '{col.name}' is not in the schema{environment}; add it to the schema or drop it",
                expected=None, observed=col.kind.value,
            ))
    return found


def check_column(expected: ColumnSchema, col: ColumnProfile) -> list[Anomaly]:
    """Type, missing values, range and domain of one column."""
    found = list(_missing_values(expected, col))
    type_problem = _type_anomaly(expected, col)
    if type_problem is not None:
        return [type_problem, *found]
    return [*found, *_range_anomalies(expected, col), *_domain_anomalies(expected, col)]


def _missing_column(expected: ColumnSchema, environment: str | None) -> Anomaly:
    where = f" (environment {environment})" if environment else ""
    return Anomaly.of(
        AnomalyCode.MISSING_COLUMN, expected.name,
        f"required column '{expected.name}' is missing{where}; expected a {expected.kind.value} column",
        expected=expected.kind.value, observed=None,
    )


def _type_anomaly(expected: ColumnSchema, col: ColumnProfile) -> Anomaly | None:
    if not col.count or _kind_accepted(expected, col):
        if col.mixed_types and col.count:
            return _mixed(expected, col, list(col.mixed_types))
        return None
    if expected.kind == ColumnKind.NUMERIC and col.kind in _STRINGS and col.categories is not None:
        numeric_like = col.categories.numeric_like
        if 0 < numeric_like < col.count:
            return _mixed(expected, col, ["number", "text"])
        if numeric_like == col.count:
            return Anomaly.of(
                AnomalyCode.TYPE_MISMATCH, col.name,
                f"column '{col.name}' holds numbers stored as text; expected numeric values",
                expected=expected.kind.value, observed=col.kind.value, examples=_top_values(col),
            )
    return Anomaly.of(
        AnomalyCode.TYPE_MISMATCH, col.name,
        f"column '{col.name}' is {col.kind.value} ({col.sql_type}); expected {expected.kind.value}",
        expected=expected.kind.value, observed=col.kind.value, examples=_top_values(col),
    )


def _kind_accepted(expected: ColumnSchema, col: ColumnProfile) -> bool:
    if col.kind == expected.kind or (col.kind in _STRINGS and expected.kind in _STRINGS):
        return True
    if expected.kind == ColumnKind.BOOLEAN and col.numeric is not None and col.numeric.value_counts is not None:
        return {v for v, _ in col.numeric.value_counts} <= {0.0, 1.0}
    return False


def _mixed(expected: ColumnSchema, col: ColumnProfile, types: list[str]) -> Anomaly:
    return Anomaly.of(
        AnomalyCode.MIXED_TYPES, col.name,
        f"column '{col.name}' mixes value types ({', '.join(types)}); expected only {expected.kind.value} values",
        expected=expected.kind.value, observed=types, examples=_top_values(col),
    )


def _missing_values(expected: ColumnSchema, col: ColumnProfile) -> list[Anomaly]:
    if not col.missing:
        return []
    allowed = expected.max_missing_fraction
    if allowed > 0 and col.rows < MIN_ROWS_FOR_FRACTIONS:
        return []
    if col.missing_fraction <= allowed:
        return []
    return [Anomaly.of(
        AnomalyCode.TOO_MANY_MISSING, col.name,
        f"column '{col.name}' is missing in {col.missing} of {col.rows} rows ({col.missing_fraction:.1%}); "
        f"at most {allowed:.1%} allowed",
        expected=allowed, observed=round(col.missing_fraction, 6),
    )]


def _range_anomalies(expected: ColumnSchema, col: ColumnProfile) -> list[Anomaly]:
    stats = col.numeric
    if stats is None or stats.min is None or stats.max is None:
        return []
    low_bad = expected.min is not None and stats.min < expected.min
    high_bad = expected.max is not None and stats.max > expected.max
    if not (low_bad or high_bad):
        return []
    examples = [v for v, bad in ((stats.min, low_bad), (stats.max, high_bad)) if bad]
    return [Anomaly.of(
        AnomalyCode.OUT_OF_RANGE, col.name,
        f"column '{col.name}' has values from {stats.min:g} to {stats.max:g}; "
        f"expected {_bound(expected.min, '-inf')} to {_bound(expected.max, '+inf')}",
        expected=[expected.min, expected.max], observed=[stats.min, stats.max], examples=examples,
    )]


def _domain_anomalies(expected: ColumnSchema, col: ColumnProfile) -> list[Anomaly]:
    if expected.domain is None or col.categories is None:
        return []
    allowed = set(expected.domain)
    unexpected = [(v, c) for v, c in col.categories.top if v not in allowed]
    if not unexpected:
        return []
    count = sum(c for _, c in unexpected)
    more = " at least" if not col.categories.complete else ""
    return [Anomaly.of(
        AnomalyCode.UNEXPECTED_CATEGORY, col.name,
        f"column '{col.name}' has{more} {len(unexpected)} value(s) outside its domain in {count} rows, "
        f"e.g. {', '.join(repr(v) for v, _ in unexpected[:3])}; add them to the domain if they are valid",
        expected=sorted(allowed), observed=[v for v, _ in unexpected],
        examples=[{"value": v, "count": c} for v, c in unexpected],
    )]


def _top_values(col: ColumnProfile) -> list[Any]:
    if col.categories is not None:
        return [v for v, _ in col.categories.top]
    if col.numeric is not None:
        return [v for v in (col.numeric.min, col.numeric.max) if v is not None]
    return []


def _bound(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else f"{value:g}"


__all__ = ["MIN_ROWS_FOR_FRACTIONS", "check_against_schema", "check_column"]
