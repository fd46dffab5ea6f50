"""The validation library's errors: each says what was wrong with the input and what to do."""

from __future__ import annotations

from loopline.errors import InvalidInputError


class DataReadError(InvalidInputError):
    """A dataset could not be read: missing, empty, binary, wrongly encoded or malformed."""


class ColumnConversionError(DataReadError):
    """A CSV column holds a value that does not fit the type DuckDB guessed from the first rows."""

    def __init__(self, message: str, *, column: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.column = column


class SchemaFormatError(InvalidInputError):
    """A schema (YAML or dict) is malformed: the message names the column and key at fault."""


class IncompatibleProfilesError(InvalidInputError):
    """Two profiles cannot be combined or compared (a column changed kind, for instance)."""


class UnknownMeasureError(InvalidInputError):
    """A drift measure name is not registered, or does not apply to the column's kind."""


__all__ = [
    "ColumnConversionError",
    "DataReadError",
    "IncompatibleProfilesError",
    "SchemaFormatError",
    "UnknownMeasureError",
]
