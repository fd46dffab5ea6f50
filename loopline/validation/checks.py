"""Data-centric checks that need the rows themselves: duplicate keys, duplicate rows, conflicting
labels, target leakage and stuck values.

Apart from duplicate keys (an ERROR when a schema declares the key) they are warnings:
they point at data a person should look at, not at data that is necessarily wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from loopline.errors import InvalidInputError, did_you_mean
from loopline.validation.anomalies import Anomaly, AnomalyCode, ValidationResult
from loopline.validation.kinds import ColumnKind
from loopline.validation.leakage import check_leakage
from loopline.validation.profile import Profile
from loopline.validation.profiling import profile_opened
from loopline.validation.quality_checks import check_quality
from loopline.validation.reading import DataInput, OpenedData, open_data, quote_identifier, quote_literal
from loopline.validation.schema import Schema
from loopline.validation.stuck import check_stuck_values

#: Conflicting labels are looked for when the label has at most this many distinct values
#: (a classification label; identical inputs with different numeric targets are just noise).
MAX_LABEL_CLASSES = 100


def check_data(
    data: DataInput,
    *,
    label: str | None = None,
    key: str | Sequence[str] | None = None,
    order_by: Sequence[str] = (),
) -> ValidationResult:
    """Quality and data-centric checks without a schema."""
    keys = (key,) if isinstance(key, str) else tuple(key or ())
    with open_data(data) as opened:
        stats = profile_opened(opened, distributions=False)
        anomalies = check_quality(stats)
        if stats.rows:
            anomalies = with_examples(opened, anomalies)
            anomalies += run_data_checks(opened, stats, label=label, key=keys, order_by=order_by)
    return ValidationResult.from_anomalies(anomalies)


def run_data_checks(
    opened: OpenedData, stats: Profile, *, label: str | None, key: Sequence[str], order_by: Sequence[str]
) -> list[Anomaly]:
    """The checks that read rows, on an opened dataset and its profile."""
    _check_names(stats, [*([label] if label else []), *key, *order_by])
    found: list[Anomaly] = []
    if key:
        found += check_duplicate_keys(opened, key)
    if label is not None and stats.column(label).count:
        found += check_conflicting_labels(opened, stats, label, exclude=key)
        found += check_leakage(opened, stats, label, exclude=key)
    found += check_stuck_values(opened, stats, order_by=order_by, exclude=key)
    return found


def check_duplicate_keys(opened: OpenedData, key: Sequence[str]) -> list[Anomaly]:
    columns = ", ".join(quote_identifier(k) for k in key)
    (groups, rows), = opened.query(
        f"SELECT count(*), coalesce(sum(_n), 0) FROM (SELECT count(*) AS _n FROM src GROUP BY {columns} "
        "HAVING count(*) > 1)"
    )
    if not groups:
        return []
    examples = opened.query(
        f"SELECT {columns}, count(*) FROM src GROUP BY {columns} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 5"
    )
    name = ", ".join(key)
    return [Anomaly.of(
        AnomalyCode.DUPLICATE_KEYS, name,
        f"key ({name}) repeats: {groups} key value(s) appear in more than one row ({rows} rows in all); "
        "expected one row per key",
        expected="unique", observed={"keys": int(groups), "rows": int(rows)},
        examples=[{**dict(zip(key, _plain(row[:-1]), strict=True)), "rows": int(row[-1])} for row in examples],
    )]


def check_conflicting_labels(
    opened: OpenedData, stats: Profile, label: str, *, exclude: Sequence[str] = ()
) -> list[Anomaly]:
    """Rows with identical features but different labels (for labels with few classes)."""
    target = stats.column(label)
    classes = target.distinct
    if target.kind == ColumnKind.NUMERIC and (target.numeric is None or target.numeric.value_counts is None):
        return []
    if classes > MAX_LABEL_CLASSES:
        return []
    features = [quote_identifier(c.name) for c in stats.columns if c.name != label and c.name not in exclude]
    if not features:
        return []
    y, group = quote_identifier(label), ", ".join(features)
    conflicts = (
        f"SELECT {group}, count(*) AS __loopline_rows, list(DISTINCT {y}) AS __loopline_labels FROM src "
        f"WHERE {y} IS NOT NULL GROUP BY {group} HAVING count(DISTINCT {y}) > 1"
    )
    (groups, rows), = opened.query(f"SELECT count(*), coalesce(sum(__loopline_rows), 0) FROM ({conflicts})")
    if not groups:
        return []
    examples = opened.query(f"SELECT * FROM ({conflicts}) ORDER BY __loopline_rows DESC LIMIT 3")
    names = [c.name for c in stats.columns if c.name != label and c.name not in exclude]
    return [Anomaly.of(
        AnomalyCode.CONFLICTING_LABELS, label,
        f"{rows} rows in {groups} group(s) have identical features but different '{label}' values; "
        "check the labelling or add the feature that tells them apart",
        expected="one label per distinct feature row", observed={"groups": int(groups), "rows": int(rows)},
        examples=[{"features": dict(zip(names, _plain(row[:-2]), strict=True)), "rows": int(row[-2]),
                   "labels": _plain(sorted(row[-1], key=str))} for row in examples],
    )]


def with_examples(
    opened: OpenedData, anomalies: Sequence[Anomaly], schema: Schema | None = None, stats: Profile | None = None
) -> list[Anomaly]:
    """Anomalies found in a profile, with exact counts and example values read from the data.

    Values outside a domain are taken from ``stats`` when its counts of the column are
    complete (the same counts a query would find), else read from the data.
    """
    return [_with_examples(opened, a, schema, stats) for a in anomalies]


def _with_examples(opened: OpenedData, anomaly: Anomaly, schema: Schema | None, stats: Profile | None) -> Anomaly:
    if anomaly.code == AnomalyCode.DUPLICATE_ROWS:
        rows = opened.query("SELECT *, count(*) FROM src GROUP BY ALL HAVING count(*) > 1 LIMIT 3")
        names = list(opened.names)
        return replace(anomaly, examples=tuple(
            {**dict(zip(names, _plain(row[:-1]), strict=True)), "rows": int(row[-1])} for row in rows
        ))
    if anomaly.code in _VALUE_TYPE_CODES and not anomaly.examples and anomaly.column in opened.names:
        return _first_values(opened, anomaly)
    if schema is None or anomaly.column is None or anomaly.column not in schema:
        return anomaly
    expected = schema.column(anomaly.column)
    column = quote_identifier(anomaly.column)
    if anomaly.code == AnomalyCode.OUT_OF_RANGE:
        x = f"CAST({column} AS DOUBLE)"
        bad = " OR ".join(
            f"{x} {op} {bound!r}" for op, bound in (("<", expected.min), (">", expected.max)) if bound is not None
        )
        return _value_examples(opened, anomaly, x, bad)
    if anomaly.code == AnomalyCode.UNEXPECTED_CATEGORY and expected.domain is not None:
        counts = _complete_counts(stats, anomaly.column)
        if counts is not None:
            domain = set(expected.domain)
            outside = sorted(((v, n) for v, n in counts if v not in domain), key=lambda item: (-item[1], item[0]))
            return _examples_from_counts(anomaly, outside)
        s = f"CAST({column} AS VARCHAR)"
        allowed = ", ".join(quote_literal(v) for v in expected.domain) or "NULL"
        return _value_examples(opened, anomaly, s, f"{s} NOT IN ({allowed})")
    return anomaly


_VALUE_TYPE_CODES = (AnomalyCode.TYPE_MISMATCH, AnomalyCode.MIXED_TYPES)
_FIRST_VALUES_READ = 100


def _first_values(opened: OpenedData, anomaly: Anomaly) -> Anomaly:
    """A type anomaly of a column whose profile kept no top values, with the column's first five distinct values.

    For mixed types, the first values that do not parse as numbers.
    """
    s = f"CAST({quote_identifier(str(anomaly.column))} AS VARCHAR)"
    condition = f"{s} IS NOT NULL"
    if anomaly.code == AnomalyCode.MIXED_TYPES:
        condition += f" AND TRY_CAST({s} AS DOUBLE) IS NULL"
    rows = opened.query(f"SELECT {s} FROM src WHERE {condition} LIMIT {_FIRST_VALUES_READ}")
    return replace(anomaly, examples=tuple(dict.fromkeys(v for v, in rows))[:5])


def _complete_counts(stats: Profile | None, name: str) -> tuple[tuple[str, int], ...] | None:
    if stats is None or name not in stats:
        return None
    categories = stats.column(name).categories
    return categories.top if categories is not None and categories.complete else None


def _examples_from_counts(anomaly: Anomaly, counts: Sequence[tuple[Any, int]]) -> Anomaly:
    """``anomaly`` with the five most frequent of ``counts`` (value, rows; most frequent first) as examples."""
    if not counts:
        return anomaly
    total = sum(n for _, n in counts)
    return replace(
        anomaly, examples=tuple({"value": v, "count": int(n)} for v, n in counts[:5]),
        message=f"{anomaly.message} ({total} rows, {len(counts)} distinct value(s))",
    )


def _value_examples(opened: OpenedData, anomaly: Anomaly, expr: str, condition: str) -> Anomaly:
    rows = opened.query(
        f"SELECT {expr} AS v, count(*) AS n, sum(count(*)) OVER () AS total, count(*) OVER () AS kinds "
        f"FROM src WHERE {condition} GROUP BY v ORDER BY n DESC, v LIMIT 5"
    )
    if not rows:
        return anomaly
    total, kinds = int(rows[0][2]), int(rows[0][3])
    return replace(
        anomaly, examples=tuple({"value": _plain([v])[0], "count": int(n)} for v, n, *_ in rows),
        message=f"{anomaly.message} ({total} rows, {kinds} distinct value(s))",
    )


def _check_names(stats: Profile, names: Sequence[str]) -> None:
    for name in names:
        if name not in stats:
            hint = did_you_mean(name, stats.names) or f"the data has: {', '.join(stats.names)}"
            raise InvalidInputError(f"column '{name}' (label, key or order_by) is not in the data", hint=hint)


def _plain(values: Any) -> list[Any]:
    return [v.isoformat() if hasattr(v, "isoformat") else v for v in values]


__all__ = [
    "MAX_LABEL_CLASSES",
    "check_conflicting_labels",
    "check_data",
    "check_duplicate_keys",
    "run_data_checks",
    "with_examples",
]
