"""Validate single records or small batches (dicts) against a schema, in microseconds, without DuckDB.

The prediction server calls this per request, so the schema is compiled once into plain
per-column checks (``RecordValidator``); ``validate_records`` keeps the compiled form of
recently used schemas. The anomaly codes are the dataset validator's, decided by the
same rules: a value of the wrong type is a TYPE_MISMATCH, or MIXED_TYPES when the batch
also holds values of the right type; shares of missing values are judged on batches of at
least ``MIN_ROWS_FOR_FRACTIONS`` records, while a column that may never be missing is
checked on every record. Codes about a whole dataset (CONSTANT_COLUMN, ALL_NULL,
DUPLICATE_ROWS and the data-centric checks) are not reported for records.
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from loopline.validation.anomalies import Anomaly, AnomalyCode, ValidationResult
from loopline.validation.kinds import ColumnKind
from loopline.validation.schema import SERVING, ColumnSchema, Schema
from loopline.validation.schema_checks import MIN_ROWS_FOR_FRACTIONS

_OK, _WRONG, _NOT_FINITE = 0, 1, 2
_ABSENT = object()


def _numeric(value: Any) -> int:
    kind = type(value)
    if kind is float:
        return _OK if math.isfinite(value) else _NOT_FINITE
    if kind is int:
        return _OK
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return _WRONG
    return _OK if math.isfinite(float(value)) else _NOT_FINITE


def _string(value: Any) -> int:
    return _OK if isinstance(value, str) else _WRONG


def _boolean(value: Any) -> int:
    return _OK if isinstance(value, bool) or (type(value) is int and value in (0, 1)) else _WRONG


def _datetime(value: Any) -> int:
    if isinstance(value, datetime | date):
        return _OK
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return _WRONG
        return _OK
    return _WRONG


_TYPE_CHECKS: dict[ColumnKind, Callable[[Any], int]] = {
    ColumnKind.NUMERIC: _numeric,
    ColumnKind.CATEGORICAL: _string,
    ColumnKind.TEXT: _string,
    ColumnKind.BOOLEAN: _boolean,
    ColumnKind.DATETIME: _datetime,
}


@dataclass
class _Tally:
    """What one column showed across the batch: record indices (examples) per kind of problem."""

    absent: list[int] = field(default_factory=list)
    missing: int = 0
    valid: int = 0
    wrong: list[tuple[int, Any]] = field(default_factory=list)
    not_finite: list[tuple[int, Any]] = field(default_factory=list)
    out_of_range: list[tuple[int, Any]] = field(default_factory=list)
    unexpected: list[tuple[int, Any]] = field(default_factory=list)


class RecordValidator:
    """Validates batches of records against ``schema`` as it applies in ``environment``."""

    def __init__(self, schema: Schema, environment: str | None = SERVING) -> None:
        self.schema = schema
        self.environment = environment
        self._columns: tuple[ColumnSchema, ...] | None = None
        self._domains: dict[str, frozenset[str]] = {}

    def validate(self, records: Sequence[Mapping[str, Any]]) -> ValidationResult:
        columns = self._compiled()
        if not records:
            return ValidationResult.from_anomalies([Anomaly.of(
                AnomalyCode.EMPTY_DATASET, None, "no records to validate; expected at least one",
                expected=">= 1 record", observed=0,
            )])
        tallies = {c.name: _Tally() for c in columns}
        known = {c.name for c in columns}
        unexpected: dict[str, list[int]] = {}
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                return _not_a_record(i, record)
            for column in columns:
                self._check_value(column, record.get(column.name, _ABSENT), i, tallies[column.name])
            if len(record) > len(known) or not known.issuperset(record):
                for name in record:
                    if name not in known:
                        unexpected.setdefault(str(name), []).append(i)
        anomalies = [a for c in columns for a in self._column_anomalies(c, tallies[c.name], len(records))]
        anomalies += [_unexpected_column(name, rows, self.environment) for name, rows in unexpected.items()]
        anomalies += self._duplicate_keys(records)
        return ValidationResult.from_anomalies(anomalies)

    def _compiled(self) -> tuple[ColumnSchema, ...]:
        if self._columns is None:
            narrowed = self.schema.for_environment(self.environment) if self.environment else self.schema
            self._columns = narrowed.columns
            self._domains = {c.name: frozenset(c.domain) for c in narrowed.columns if c.domain is not None}
        return self._columns

    def _check_value(self, column: ColumnSchema, value: Any, i: int, tally: _Tally) -> None:
        if value is _ABSENT:
            tally.absent.append(i)
            return
        if value is None:
            tally.missing += 1
            return
        status = _TYPE_CHECKS[column.kind](value)
        if status == _WRONG:
            tally.wrong.append((i, value))
            return
        tally.valid += 1
        if status == _NOT_FINITE:
            tally.not_finite.append((i, value))
        elif column.kind == ColumnKind.NUMERIC:
            if (column.min is not None and value < column.min) or (column.max is not None and value > column.max):
                tally.out_of_range.append((i, value))
        elif column.domain is not None and value not in self._domains[column.name]:
            tally.unexpected.append((i, value))

    def _column_anomalies(self, column: ColumnSchema, tally: _Tally, n: int) -> list[Anomaly]:
        name, found = column.name, []
        if tally.absent and column.required:
            found.append(Anomaly.of(
                AnomalyCode.MISSING_COLUMN, name,
                f"required column '{name}' is missing from {len(tally.absent)} of {n} record(s)",
                expected=column.kind.value, observed=None, examples=[{"record": i} for i in tally.absent],
            ))
        absent_everywhere = len(tally.absent) == n
        missing = tally.missing + (len(tally.absent) if not column.required and not absent_everywhere else 0)
        judged = column.max_missing_fraction == 0 or n >= MIN_ROWS_FOR_FRACTIONS
        if missing and judged and missing / n > column.max_missing_fraction:
            found.append(Anomaly.of(
                AnomalyCode.TOO_MANY_MISSING, name,
                f"column '{name}' is missing in {missing} of {n} record(s); "
                f"at most {column.max_missing_fraction:.1%} allowed",
                expected=column.max_missing_fraction, observed=round(missing / n, 6),
            ))
        if tally.wrong:
            code = AnomalyCode.MIXED_TYPES if tally.valid else AnomalyCode.TYPE_MISMATCH
            found.append(_value_anomaly(
                code, column, tally.wrong, n, f"{len(tally.wrong)} value(s) are not {column.kind.value}"))
        if tally.not_finite:
            found.append(_value_anomaly(AnomalyCode.NAN_OR_INF, column, tally.not_finite, n,
                                        f"{len(tally.not_finite)} value(s) are NaN or infinite"))
        if tally.out_of_range:
            found.append(_value_anomaly(
                AnomalyCode.OUT_OF_RANGE, column, tally.out_of_range, n,
                f"{len(tally.out_of_range)} value(s) are outside {column.min}..{column.max}",
                expected=[column.min, column.max]))
        if tally.unexpected:
            found.append(_value_anomaly(
                AnomalyCode.UNEXPECTED_CATEGORY, column, tally.unexpected, n,
                f"{len(tally.unexpected)} value(s) are outside the domain", expected=list(column.domain or ())))
        return found

    def _duplicate_keys(self, records: Sequence[Mapping[str, Any]]) -> list[Anomaly]:
        key = self.schema.key
        if not key or len(records) < 2 or not all(k in {c.name for c in self._compiled()} for k in key):
            return []
        seen: dict[tuple[Any, ...], int] = {}
        repeats = []
        for i, record in enumerate(records):
            value = tuple(_hashable(record.get(k)) for k in key)
            if value in seen:
                repeats.append({"record": i, "same_as": seen[value], "key": list(value)})
            else:
                seen[value] = i
        if not repeats:
            return []
        return [Anomaly.of(
            AnomalyCode.DUPLICATE_KEYS, ", ".join(key),
            f"key ({', '.join(key)}) repeats in {len(repeats)} record(s); expected one record per key",
            expected="unique", observed={"rows": len(repeats)}, examples=repeats,
        )]


def _value_anomaly(
    code: AnomalyCode, column: ColumnSchema, items: list[tuple[int, Any]], n: int, what: str, *, expected: Any = None
) -> Anomaly:
    return Anomaly.of(
        code, column.name, f"column '{column.name}': {what} (in {n} record(s))",
        expected=column.kind.value if expected is None else expected,
        observed=sorted({type(v).__name__ for _, v in items}) if code != AnomalyCode.OUT_OF_RANGE else None,
        examples=[{"record": i, "value": _jsonable(v)} for i, v in items],
    )


def _unexpected_column(name: str, rows: list[int], environment: str | None) -> Anomaly:
    where = f" in {environment}" if environment else ""
    return Anomaly.of(
        AnomalyCode.UNEXPECTED_COLUMN, name,
        f"column '{name}' is not in the schema{where} ({len(rows)} record(s)); it is ignored",
        examples=[{"record": i} for i in rows],
    )


def _not_a_record(i: int, record: Any) -> ValidationResult:
    return ValidationResult.from_anomalies([Anomaly.of(
        AnomalyCode.TYPE_MISMATCH, None, f"record {i} is a {type(record).__name__}, expected an object of fields",
        expected="object", observed=type(record).__name__,
    )])


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | bool):
        return value
    return repr(value)


_CACHE: dict[tuple[int, str | None], tuple[weakref.ref[Schema], RecordValidator]] = {}
_CACHE_SIZE = 32


def validate_records(
    records: Sequence[Mapping[str, Any]], schema: Schema, environment: str | None = SERVING
) -> ValidationResult:
    """Validate a few records (dicts of column to value) against ``schema`` in ``environment``."""
    cache_key = (id(schema), environment)
    cached = _CACHE.get(cache_key)
    if cached is None or cached[0]() is not schema:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        cached = (weakref.ref(schema), RecordValidator(schema, environment))
        _CACHE[cache_key] = cached
    return cached[1].validate(records)


__all__ = ["RecordValidator", "validate_records"]
