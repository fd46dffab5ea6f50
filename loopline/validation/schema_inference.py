"""Infer a schema from data or from a profile: a starting point for a person to review.

Every column seen is required. A column with no missing values may have none; one with
some may have up to the observed share plus ``missing_slack``. Numeric columns get the
observed range, widened by ``range_slack`` times its width on each side. Categorical
columns whose complete value counts are known and hold at most ``max_domain`` values, each
seen twice on average, get that domain (key columns never do). The label exists in TRAINING
only, so it is absent from the SERVING view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from loopline.errors import InvalidInputError, did_you_mean
from loopline.validation.kinds import ColumnKind
from loopline.validation.profile import ColumnProfile, Profile
from loopline.validation.profiling import profile
from loopline.validation.reading import DataInput
from loopline.validation.schema import ENVIRONMENTS, TRAINING, ColumnSchema, Schema


def infer_schema(
    data: DataInput | Profile,
    *,
    label: str | None = None,
    key: str | Sequence[str] | None = None,
    range_slack: float = 0.0,
    missing_slack: float = 0.05,
    max_domain: int = 100,
) -> Schema:
    """A schema that ``data`` satisfies, with ``label`` in TRAINING only and ``key`` unique per row."""
    if range_slack < 0 or missing_slack < 0:
        raise InvalidInputError(
            f"range_slack and missing_slack must be >= 0, got {range_slack} and {missing_slack}"
        )
    stats = profile(data)
    keys = (key,) if isinstance(key, str) else tuple(key or ())
    for name in (label, *keys):
        if name is not None and name not in stats:
            hint = did_you_mean(name, stats.names) or f"the data has: {', '.join(stats.names)}"
            raise InvalidInputError(f"column '{name}' (label or key) is not in the data", hint=hint)
    columns = tuple(
        _column_schema(col, range_slack, missing_slack, 0 if col.name in keys else max_domain,
                       training_only=col.name == label)
        for col in stats.columns
    )
    return Schema(columns=columns, label=label, key=keys, environments=ENVIRONMENTS)


def _column_schema(
    col: ColumnProfile, range_slack: float, missing_slack: float, max_domain: int, *, training_only: bool
) -> ColumnSchema:
    low, high = _range(col, range_slack)
    return ColumnSchema(
        name=col.name, kind=col.kind, required=True,
        max_missing_fraction=_allowed_missing(col, missing_slack), min=low, max=high,
        domain=_domain(col, max_domain), environments=(TRAINING,) if training_only else None,
    )


def _allowed_missing(col: ColumnProfile, slack: float) -> float:
    if not col.missing:
        return 0.0
    if not col.count:
        return 1.0
    return min(1.0, math.ceil((col.missing_fraction + slack) * 1000) / 1000)


def _range(col: ColumnProfile, slack: float) -> tuple[float | None, float | None]:
    stats = col.numeric
    if stats is None or stats.min is None or stats.max is None:
        return None, None
    margin = (stats.max - stats.min) * slack
    low, high = stats.min - margin, stats.max + margin
    if stats.integer:
        low, high = float(math.floor(low)), float(math.ceil(high))
    return low, high


def _domain(col: ColumnProfile, max_domain: int) -> tuple[str, ...] | None:
    if col.kind != ColumnKind.CATEGORICAL or col.categories is None or not col.categories.complete:
        return None
    values = [value for value, _ in col.categories.top]
    if not values or len(values) > max_domain or len(values) > col.count // 2:
        return None
    return tuple(sorted(values))


__all__ = ["infer_schema"]
