"""Value types of features: how each is stored in DuckDB, held in pandas and returned online.

Timestamps are UTC everywhere: a time-zone-aware value is converted to UTC, a naive one is
taken as UTC already, and values come back naive (microsecond precision).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pandas as pd

from loopline.errors import InvalidInputError, did_you_mean

EPOCH = datetime(1970, 1, 1)


class ValueType(str, enum.Enum):
    """The type of a feature's values (``Feature(name, dtype)``)."""

    INT64 = "int64"
    FLOAT64 = "float64"
    STRING = "string"
    BOOL = "bool"
    TIMESTAMP = "timestamp"

    @classmethod
    def parse(cls, value: ValueType | str) -> ValueType:
        """The value type named ``value`` (``"int64"``, ``"float"``, ``"str"``, ...)."""
        if isinstance(value, ValueType):
            return value
        name = str(value).strip().lower()
        found = _ALIASES.get(name)
        if found is None:
            known = sorted({*_ALIASES})
            hint = did_you_mean(name, known) or f"use one of {', '.join(t.value for t in cls)}"
            raise InvalidInputError(f"unknown feature dtype {value!r}", hint=hint)
        return found

    @property
    def sql_type(self) -> str:
        """The DuckDB type a value is cast to."""
        return _SQL_TYPES[self]

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype of a column of this type in a training frame (nullable)."""
        return _PANDAS_DTYPES[self]

    def accepts(self, sql_type: str) -> bool:
        """Whether a source column of DuckDB type ``sql_type`` can hold this feature's values."""
        return self.accepts_family(sql_family(sql_type))

    def accepts_family(self, family: str) -> bool:
        """Whether values of a type family (see ``sql_family``) can be cast to this type."""
        return family in _ACCEPTED_FAMILIES[self]


_ALIASES: dict[str, ValueType] = {
    "int64": ValueType.INT64,
    "int": ValueType.INT64,
    "integer": ValueType.INT64,
    "float64": ValueType.FLOAT64,
    "float": ValueType.FLOAT64,
    "double": ValueType.FLOAT64,
    "string": ValueType.STRING,
    "str": ValueType.STRING,
    "bool": ValueType.BOOL,
    "boolean": ValueType.BOOL,
    "timestamp": ValueType.TIMESTAMP,
    "datetime": ValueType.TIMESTAMP,
}

_SQL_TYPES = {
    ValueType.INT64: "BIGINT",
    ValueType.FLOAT64: "DOUBLE",
    ValueType.STRING: "VARCHAR",
    ValueType.BOOL: "BOOLEAN",
    ValueType.TIMESTAMP: "TIMESTAMP",
}

_PANDAS_DTYPES = {
    ValueType.INT64: "Int64",
    ValueType.FLOAT64: "float64",
    ValueType.STRING: "str",
    ValueType.BOOL: "boolean",
    ValueType.TIMESTAMP: "datetime64[us]",
}

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip

_ACCEPTED_FAMILIES = {
    ValueType.INT64: {"integer"},
    ValueType.FLOAT64: {"integer", "float"},
    ValueType.STRING: {"string"},
    ValueType.BOOL: {"bool"},
    ValueType.TIMESTAMP: {"timestamp"},
}


def sql_family(sql_type: str) -> str:
    """``integer``, ``float``, ``string``, ``bool``, ``timestamp`` or ``other`` for a DuckDB type name."""
    name = sql_type.upper()
    if name in _INTEGER_TYPES:
        return "integer"
    if name in ("FLOAT", "DOUBLE", "REAL") or name.startswith("DECIMAL"):
        return "float"
    if name == "VARCHAR":
        return "string"
    if name == "BOOLEAN":
        return "bool"
    if name == "DATE" or name.startswith("TIMESTAMP"):
        return "timestamp"
    return "other"


def pandas_family(dtype: Any) -> str:
    """``integer``, ``float``, ``string``, ``bool``, ``timestamp`` or ``other`` for a pandas dtype."""
    api = pd.api.types
    if api.is_bool_dtype(dtype):
        return "bool"
    if api.is_integer_dtype(dtype):
        return "integer"
    if api.is_float_dtype(dtype):
        return "float"
    if api.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if api.is_string_dtype(dtype):
        return "string"
    return "other"


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of a datetime (naive means UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The naive UTC datetime ``micros`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=micros)


def as_utc_naive(value: Any) -> datetime:
    """A datetime, pandas Timestamp or ISO string as a naive UTC datetime."""
    if type(value) is datetime:  # the common case on the online path, without pandas
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def column(values: Sequence[Any], value_type: ValueType) -> pd.Series:
    """A pandas column of ``value_type`` holding ``values`` (None for nulls)."""
    return pd.Series(values, dtype=value_type.pandas_dtype)


def cast_column(series: pd.Series, value_type: ValueType) -> pd.Series:
    """``series`` converted to ``value_type``'s pandas dtype (time zones converted to naive UTC)."""
    if value_type is ValueType.TIMESTAMP:
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            stamps = pd.to_datetime(series, utc=True).dt.tz_localize(None)
        else:
            stamps = pd.to_datetime(series, utc=True, format="ISO8601").dt.tz_localize(None)
        return stamps.astype(cast(Any, value_type.pandas_dtype))
    return series.astype(cast(Any, value_type.pandas_dtype))


def python_values(series: pd.Series, value_type: ValueType) -> list[Any]:
    """A column's values as plain Python scalars, None for nulls (NaN included)."""
    convert = _PYTHON_CONVERTERS[value_type]
    return [None if _is_null(v) else convert(v) for v in series.tolist()]


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _to_datetime(value: Any) -> datetime:
    return as_utc_naive(value)


_PYTHON_CONVERTERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.INT64: int,
    ValueType.FLOAT64: float,
    ValueType.STRING: str,
    ValueType.BOOL: bool,
    ValueType.TIMESTAMP: _to_datetime,
}


__all__ = [
    "ValueType",
    "as_utc_naive",
    "cast_column",
    "column",
    "from_micros",
    "pandas_family",
    "python_values",
    "sql_family",
    "to_micros",
]
