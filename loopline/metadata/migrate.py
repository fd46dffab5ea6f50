"""Bring a database to the schema this code expects: Alembic migrations, applied on ``open()``.

The fast path, taken on every open of a database that is already current, reads the
``alembic_version`` table with plain SQLAlchemy and compares it with ``HEAD_REVISION``;
Alembic is imported only when there is something to upgrade. Two processes opening the
same new database at once are safe: on SQLite they take turns through an ``flock`` on a
lock file next to the database (never on the database file itself, whose POSIX locks
belong to SQLite); on PostgreSQL through ``pg_advisory_xact_lock``. Whoever comes second
finds the schema current and does nothing. The upgrade runs in one transaction.

``HEAD_REVISION`` must name the newest file in ``migrations/versions``; a test checks it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, text

from loopline.metadata.engine import Database, parse_database_url, sqlite_file
from loopline.metadata.errors import SchemaVersionError

HEAD_REVISION = "0006"
VERSION_TABLE = "alembic_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_ADVISORY_LOCK_KEY = 7_301_942_118_553  # arbitrary; the same for every Loopline database


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision, or None for a database Loopline never migrated."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    revisions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(revisions) > 1:
        raise SchemaVersionError(
            f"the metadata database records several schema revisions ({', '.join(sorted(revisions))})",
            hint="the migration history has branches; merge them into one head with 'alembic merge'",
        )
    return revisions[0] if revisions else None


def ensure_schema(db: Database) -> str | None:
    """Upgrade the database to ``HEAD_REVISION`` if needed. Returns the revision it was at before."""
    before = db.read(current_revision)
    if before == HEAD_REVISION:
        return before
    with _sqlite_lock(db.url):
        return db.write(_upgrade)


@contextmanager
def _sqlite_lock(url: str) -> Iterator[None]:
    path = sqlite_file(parse_database_url(url))
    if path is None:  # in memory, or PostgreSQL: nothing to lock here
        yield
        return
    lock_path = path.with_name(path.name + ".migrate-lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _upgrade(conn: Connection) -> str | None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    before = current_revision(conn)  # another process may have upgraded while we waited
    if before == HEAD_REVISION:
        return before
    from alembic import command

    config = alembic_config(connection=conn)
    _require_known(config, before)
    command.upgrade(config, "head")
    return before


def alembic_config(*, connection: Connection | None = None) -> Any:
    """An Alembic ``Config`` for the packaged migrations; ``connection`` is the one they run on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _require_known(config: Any, revision: str | None) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    if heads != [HEAD_REVISION]:
        raise SchemaVersionError(
            f"the packaged migrations end at {', '.join(heads)} but HEAD_REVISION is {HEAD_REVISION}",
            hint="set HEAD_REVISION in loopline/metadata/migrate.py to the newest revision",
        )
    if revision is not None and revision not in {s.revision for s in script.walk_revisions()}:
        raise SchemaVersionError(
            f"the metadata database is at schema revision '{revision}', which this version of Loopline "
            f"does not know (its newest is '{HEAD_REVISION}')",
            hint="upgrade Loopline to the version that wrote this database, or use another database",
        )


__all__ = ["HEAD_REVISION", "MIGRATIONS_DIR", "VERSION_TABLE", "alembic_config", "current_revision", "ensure_schema"]
