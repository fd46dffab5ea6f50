"""Slices: the rows sharing one value of a column, to see where a model does well or badly.

A slice column is a column of the frame (``season``, ``workingday``) or a bucket made
from one (``hour_bucket``: ``hr`` cut at 0, 6, 10, 16, 20, 24). Bucket intervals are
closed on the left, ``[6, 10)``; values outside every interval, and missing values, form
the slice ``(missing)``. Slice values are text, so they read the same in JSON and HTML;
a bucket's slices come in the order of its intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from pydantic import ValidationError

from loopline.config import SliceBucket
from loopline.errors import did_you_mean
from loopline.evaluation.errors import EvaluationDataError
from loopline.evaluation.records import SliceMetrics

MISSING = "(missing)"
MAX_SLICE_VALUES = 200


def parse_buckets(buckets: Sequence[Mapping[str, Any] | SliceBucket]) -> list[SliceBucket]:
    """Bucket definitions, each checked (see ``loopline.config.SliceBucket``)."""
    parsed = []
    for index, item in enumerate(buckets or ()):
        try:
            parsed.append(item if isinstance(item, SliceBucket) else SliceBucket.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            raise EvaluationDataError(
                f"bucket {index} ({item!r}) is not valid: {problems}",
                hint='write { name = "hour_bucket", column = "hr", edges = [0, 6, 10, 16, 20, 24] }',
            ) from None
    return parsed


def slice_values(frame: Any, slices: Sequence[str], buckets: Sequence[SliceBucket]) -> dict[str, Any]:
    """Each slice column's value per row (text), by slice name."""
    import pandas as pd

    by_name = {b.name: b for b in buckets}
    columns = [str(c) for c in frame.columns]
    made: dict[str, Any] = {}
    for name in slices:
        bucket = by_name.get(name)
        source = bucket.column if bucket is not None else name
        if source not in columns:
            hint = did_you_mean(source, [*columns, *by_name]) or f"the frame has: {', '.join(columns[:30])}"
            what = f"bucket '{name}' cuts column '{source}'" if bucket else f"slice column '{name}'"
            raise EvaluationDataError(f"{what}, which is not in the evaluation frame", hint=hint)
        if bucket is not None:
            labels = bucket.labels or [_interval(a, b) for a, b in pairwise(bucket.edges)]
            cut = pd.cut(frame[source], bins=bucket.edges, right=False, labels=labels)
            text = cut.astype(object).where(cut.notna(), MISSING).astype(str)
            values = pd.Series(pd.Categorical(text, categories=[*labels, MISSING]), index=text.index)
        else:
            column = frame[source]
            values = column.astype(object).where(column.notna(), MISSING).astype(str)
        made[name] = values.reset_index(drop=True)
    return made


def sliced_metrics(
    values: Mapping[str, Any], compute: Callable[[Any], dict[str, float]]
) -> tuple[SliceMetrics, ...]:
    """``compute(mask)`` for every value of every slice column: a bucket's in interval order, a
    column's sorted (numbers by value)."""
    found: list[SliceMetrics] = []
    for name, column in values.items():
        if hasattr(column, "cat"):
            present = set(column.unique())
            distinct = [value for value in column.cat.categories if value in present]
        else:
            distinct = sorted(column.unique(), key=_natural)
        if len(distinct) > MAX_SLICE_VALUES:
            raise EvaluationDataError(
                f"slice column '{name}' has {len(distinct)} distinct values; at most {MAX_SLICE_VALUES} make sense",
                hint="slice by a column with few values, or define a bucket for it",
            )
        for value in distinct:
            mask = (column == value).to_numpy()
            found.append(SliceMetrics(name, str(value), int(mask.sum()), compute(mask)))
    return tuple(found)


def _interval(low: float, high: float) -> str:
    return f"[{_number(low)}, {_number(high)})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _natural(value: str) -> tuple[int, float | str]:
    """Numbers in numeric order first, then text; ``[6, 10)`` sorts by its 6."""
    text = value.lstrip("[(")
    head = text.split(",")[0]
    try:
        return (0, float(head))
    except ValueError:
        return (1, value)


__all__ = ["MISSING", "parse_buckets", "slice_values", "sliced_metrics"]
