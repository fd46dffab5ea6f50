"""Which database errors are worth retrying a whole transaction for, and how long to wait.

SQLite answers "database is locked" / "database is busy" when another connection holds
the write lock past the busy timeout. PostgreSQL aborts a transaction with SQLSTATE 40001
(serialization failure) or 40P01 (deadlock detected) and expects the client to run the
whole transaction again. Nothing else is retried: a constraint violation or a bad
statement fails the same way every time.
"""

from __future__ import annotations

import random

from sqlalchemy.exc import DBAPIError

MAX_ATTEMPTS = 8
"""Attempts of one transaction before the store gives up (the first try included)."""

_FIRST_WAIT_S = 0.02
_LONGEST_WAIT_S = 1.0
_SQLITE_BUSY_NAMES = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})
_SQLITE_BUSY_TEXT = ("database is locked", "database is busy", "database table is locked")
_POSTGRES_RETRY_STATES = frozenset({"40001", "40P01"})


def is_transient(error: BaseException) -> bool:
    """True when ``error`` means "run the same transaction again and it may well succeed"."""
    if not isinstance(error, DBAPIError) or error.connection_invalidated:
        return False
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _POSTGRES_RETRY_STATES
    name = getattr(original, "sqlite_errorname", "") or ""
    if any(name.startswith(busy) for busy in _SQLITE_BUSY_NAMES):
        return True
    text = str(original).lower()
    return any(fragment in text for fragment in _SQLITE_BUSY_TEXT)


def backoff_seconds(attempt: int) -> float:
    """Wait before attempt ``attempt + 1``: exponential from 20 ms, capped at 1 s, with full jitter."""
    ceiling = min(_LONGEST_WAIT_S, _FIRST_WAIT_S * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


__all__ = ["MAX_ATTEMPTS", "backoff_seconds", "is_transient"]
