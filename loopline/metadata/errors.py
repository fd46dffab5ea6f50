"""The metadata store's errors: each names the record involved and says what to do."""

from __future__ import annotations

from loopline.errors import ConfigError, ConflictError, LooplineError


class StoreNotOpen(LooplineError):
    """A metadata store was used before ``open()`` or after ``close()``."""


class StoreBusyError(ConflictError):
    """The database stayed locked (SQLite) or kept aborting the transaction (PostgreSQL) after every retry."""


class StoreUnavailable(LooplineError):
    """The database could not be reached or opened (server down, wrong address, unreadable file)."""

    http_status = 503


class SchemaVersionError(ConfigError):
    """The database's schema revision is one this version of Loopline does not know."""


class UnsupportedDatabaseError(ConfigError):
    """The metadata URL names a database Loopline cannot use."""


__all__ = ["SchemaVersionError", "StoreBusyError", "StoreNotOpen", "StoreUnavailable", "UnsupportedDatabaseError"]
