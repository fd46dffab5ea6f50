"""Column types every migration uses, written once.

The same types as ``loopline/metadata/tables.py`` at the database level: 64-bit ids (plain
INTEGER on SQLite, so they alias the rowid), JSONB on PostgreSQL, timezone-aware timestamps.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def Stamp() -> sa.DateTime:  # noqa: N802 - reads as a type in column lists
    return sa.DateTime(timezone=True)
