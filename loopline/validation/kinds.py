"""Column kinds shared by profiles, schemas, validation and drift."""

from __future__ import annotations

from enum import StrEnum

from loopline.errors import did_you_mean
from loopline.validation.errors import SchemaFormatError

#: A string column with at most this many distinct values is categorical (or when its
#: distinct values are at most ``CATEGORICAL_MAX_SHARE`` of its values); otherwise text.
CATEGORICAL_MAX_DISTINCT = 100
CATEGORICAL_MAX_SHARE = 0.01


class ColumnKind(StrEnum):
    """What a column holds, as far as statistics and validation care."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"

    @property
    def has_categories(self) -> bool:
        """Categorical, text and boolean columns are summarised by value counts."""
        return self in (ColumnKind.CATEGORICAL, ColumnKind.TEXT, ColumnKind.BOOLEAN)


def string_kind(distinct: int, count: int) -> ColumnKind:
    """Categorical when the distinct values are few (absolutely or relative to the count), else text."""
    if distinct <= CATEGORICAL_MAX_DISTINCT or distinct <= CATEGORICAL_MAX_SHARE * count:
        return ColumnKind.CATEGORICAL
    return ColumnKind.TEXT


def parse_kind(value: object, *, where: str) -> ColumnKind:
    """Read a kind written in a schema; ``where`` names the column for the error message."""
    try:
        return ColumnKind(str(value))
    except ValueError:
        choices = [k.value for k in ColumnKind]
        hint = did_you_mean(str(value), choices) or f"use one of: {', '.join(choices)}"
        raise SchemaFormatError(
            f"{where}: 'type' must be one of {', '.join(choices)}, got {value!r}", hint=hint
        ) from None


__all__ = ["CATEGORICAL_MAX_DISTINCT", "CATEGORICAL_MAX_SHARE", "ColumnKind", "parse_kind", "string_kind"]
