"""Small DuckDB helpers shared by the offline queries: a UTC connection and safe quoting."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection whose session time zone is UTC."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def timestamp_literal(value: datetime) -> str:
    """A naive UTC datetime as a DuckDB ``TIMESTAMP`` literal."""
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def interval_literal(value: timedelta) -> str:
    """A timedelta as a DuckDB interval of whole microseconds."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return f"to_microseconds({micros})"
