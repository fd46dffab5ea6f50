"""Checks on what callers hand the store, made before any transaction starts.

Each check raises ``InvalidInputError`` naming the bad value and what was expected, so a
mistake surfaces as a clear message rather than as a driver error from deep inside SQL.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from loopline.errors import InvalidInputError
from loopline.metadata.records import MetricPoint, NewArtifact

MAX_NAME_LENGTH = 255
MAX_POINTS_PER_BATCH = 1_000_000
MAX_PAGE = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def require_name(value: object, what: str) -> str:
    """A non-empty string of at most 255 characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInputError(f"{what} is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed")
    return value


def require_id(value: object, what: str) -> int:
    """A positive integer id (bools are refused even though Python counts them as ints)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{what} must be a positive integer id, got {value!r}")
    return value


def require_page(limit: int, offset: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInputError(f"offset must be an integer >= 0, got {offset!r}")


def json_object(value: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """``value`` as a plain JSON object: numpy scalars, dates, paths and enums become JSON values."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must be a mapping of names to values, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise InvalidInputError(f"{what} must have string keys, got {key!r}")
    try:
        normal: dict[str, Any] = json.loads(json.dumps(dict(value), default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"{what} must hold JSON values (numbers, strings, booleans, lists, mappings): {error}",
            hint="convert the value to one of those, e.g. str(value) or value.tolist()",
        ) from None
    return normal


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"a value of type {type(value).__name__} is not a JSON value: {value!r}")


def new_artifact(artifact: object, what: str) -> NewArtifact:
    if not isinstance(artifact, NewArtifact):
        raise InvalidInputError(f"{what} must be a NewArtifact, got {type(artifact).__name__}")
    require_name(artifact.name, f"{what}.name")
    require_name(artifact.type, f"{what}.type")
    require_name(artifact.format, f"{what}.format")
    if not isinstance(artifact.uri, str) or not artifact.uri or len(artifact.uri) > 1024:
        raise InvalidInputError(f"{what}.uri must be a non-empty string of at most 1024 characters")
    if not isinstance(artifact.digest, str) or not artifact.digest or len(artifact.digest) > 128:
        raise InvalidInputError(f"{what}.digest must be a non-empty hex string, got {artifact.digest!r}")
    if isinstance(artifact.size, bool) or not isinstance(artifact.size, int) or artifact.size < 0:
        raise InvalidInputError(f"{what}.size must be an integer >= 0, got {artifact.size!r}")
    return artifact


def metric_rows(execution_id: int, points: Sequence[MetricPoint]) -> list[dict[str, Any]]:
    """The rows to insert for ``points``; NaN values become NULL (SQLite cannot store NaN)."""
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InvalidInputError(
            f"{len(points):,} metric points in one batch; at most {MAX_POINTS_PER_BATCH:,} are accepted",
            hint="log them in several batches",
        )
    rows = []
    for point in points:
        if not isinstance(point, MetricPoint):
            raise InvalidInputError(f"metric points must be MetricPoint values, got {type(point).__name__}")
        require_name(point.key, "a metric key")
        value = point.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)  # numpy numbers
            except (TypeError, ValueError):
                raise InvalidInputError(f"metric '{point.key}' has the value {value!r}; expected a number") from None
        step = point.step
        if isinstance(step, bool) or not isinstance(step, int):
            raise InvalidInputError(f"metric '{point.key}' has the step {step!r}; expected an integer")
        stamp = point.timestamp
        if not isinstance(stamp, datetime) or stamp.tzinfo is None:
            raise InvalidInputError(
                f"metric '{point.key}' has the timestamp {stamp!r}; expected a timezone-aware datetime",
                hint="use datetime.now(timezone.utc)",
            )
        value = float(value)
        rows.append(
            {
                "execution_id": execution_id,
                "key": point.key,
                "value": None if math.isnan(value) else value,
                "step": step,
                "timestamp_us": (stamp - EPOCH) // ONE_MICROSECOND,
            }
        )
    return rows


__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PAGE",
    "MAX_POINTS_PER_BATCH",
    "json_object",
    "metric_rows",
    "new_artifact",
    "require_id",
    "require_name",
    "require_page",
]
