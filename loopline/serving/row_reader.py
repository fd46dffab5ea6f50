"""The per-request fast lane for clean records: per-column checks compiled into one function, values in model order.

Most requests carry records that fit the signature exactly: every input present, of its
type, finite, in range or in the domain, and nothing else. ``RowReader.read`` recognises
those with a few comparisons per value (no pandas, no anomaly bookkeeping) and returns
each record's values in the model's column order. Any record that is not plainly clean
(a missing or null value, a wrong type, a value out of range, an extra field, a datetime)
makes ``read`` return None, and the request takes the full ``RecordValidator`` path, so
every refusal, and every answer it gives, is exactly the validator's. The lane only
accepts what the validator accepts without a single anomaly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loopline.validation import ColumnKind, Schema

_UNCLEAN = object()


class RowReader:
    """Clean records to rows of values in ``columns`` order; None when any record needs the full check."""

    def __init__(self, columns: Sequence[str], read_one: Callable[[Any], Any], *, has_key: bool) -> None:
        self.columns = tuple(columns)
        self._read_one = read_one
        self._has_key = has_key

    @classmethod
    def compile(cls, schema: Schema, columns: Sequence[str]) -> RowReader | None:
        """The reader for records of ``schema`` read in ``columns`` order; None when a column has no fast check."""
        if set(columns) != set(schema.names):
            return None
        read_one = _compile_record_check([schema.column(name) for name in columns])
        if read_one is None:
            return None
        return cls(columns, read_one, has_key=bool(schema.key))

    def read(self, records: Sequence[Mapping[str, Any]]) -> list[list[Any]] | None:
        if self._has_key and len(records) > 1:
            return None  # repeated keys across records are the full validator's to report
        read_one, unclean = self._read_one, _UNCLEAN
        rows = []
        for record in records:
            row = read_one(record)
            if row is unclean:
                return None
            rows.append(row)
        return rows


def _compile_record_check(columns: Sequence[Any]) -> Callable[[Any], Any] | None:
    """One generated function for the whole record: a few inline comparisons per column, no calls per value.

    The code holds no value from the schema: names, bounds and domains are bound as variables, so a
    column name can never become code.
    """
    if not columns:
        return None
    names = [column.name for column in columns]
    values = ", ".join(f"v{i}" for i in range(len(columns)))
    namespace: dict[str, Any] = {"U": _UNCLEAN, "isfinite": math.isfinite, "KeyError": KeyError,
                                 "GET": operator.itemgetter(*names) if len(names) > 1 else _one(names[0])}
    lines = ["def read_one(record):",
             "    if type(record) is not dict or len(record) != WIDTH:",
             "        return U",
             "    try:",
             f"        {values}, = GET(record)" if len(names) == 1 else f"        {values} = GET(record)",
             "    except KeyError:",
             "        return U"]
    namespace["WIDTH"] = len(columns)
    for i, column in enumerate(columns):
        kind = column.kind
        if kind is ColumnKind.NUMERIC:
            low = -math.inf if column.min is None else column.min
            high = math.inf if column.max is None else column.max
            namespace[f"L{i}"], namespace[f"H{i}"] = low, high
            # NaN fails any comparison, and an infinity fails finite bounds: isfinite only for open ones
            finite = math.isfinite(low) and math.isfinite(high)
            lines += [f"    t = type(v{i})",
                      "    if t is float:",
                      *([] if finite else [f"        if not isfinite(v{i}):", "            return U"]),
                      f"        if not L{i} <= v{i} <= H{i}:",
                      "            return U",
                      "    elif t is not int:",
                      "        return U",
                      f"    elif not L{i} <= v{i} <= H{i}:",
                      "        return U"]
        elif kind is ColumnKind.BOOLEAN and column.domain is None:
            lines += [f"    if not (v{i} is True or v{i} is False",
                      f"            or (type(v{i}) is int and (v{i} == 0 or v{i} == 1))):",
                      "        return U"]
        elif kind in (ColumnKind.CATEGORICAL, ColumnKind.TEXT):
            lines += [f"    if type(v{i}) is not str:", "        return U"]
            if column.domain is not None:
                namespace[f"D{i}"] = frozenset(column.domain)
                lines += [f"    if v{i} not in D{i}:", "        return U"]
        else:
            return None  # datetimes (and booleans with a domain): the validator's rules decide
    lines.append(f"    return [{values}]")
    exec(compile("\n".join(lines), "<record check>", "exec"), namespace)  # noqa: S102
    return namespace["read_one"]  # type: ignore[no-any-return]


def _one(name: str) -> Callable[[Any], tuple[Any]]:
    def get(record: Any) -> tuple[Any]:
        return (record[name],)

    return get


__all__ = ["RowReader"]
