"""The data catalog's errors."""

from __future__ import annotations

from loopline.errors import InvalidInputError, NotFoundError


class DatasetNotFound(NotFoundError):
    """No dataset of that name is declared in the workspace, or no such version is recorded."""


class DatasetReadError(InvalidInputError):
    """A declared dataset's source is missing or cannot be read or snapshotted."""


__all__ = ["DatasetNotFound", "DatasetReadError"]
