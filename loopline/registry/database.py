"""The registry's own connection pool to the metadata database, with SQLite's strictest durability.

Registry, approval and audit writes are few and must survive a power cut, so on SQLite
the registry's connections run with ``synchronous=FULL`` (the lineage store keeps
``NORMAL``, which in WAL mode loses nothing when a process is killed, only on power loss).
Transactions, retries and migrations are the metadata store's own (``Database``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from loopline.errors import ConfigError
from loopline.metadata.engine import Database, parse_database_url, redacted, sqlite_file
from loopline.metadata.migrate import ensure_schema


def open_registry_database(url: str) -> Database:
    """A Database on ``url`` with the schema current; SQLite connections use ``synchronous=FULL``."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite" and sqlite_file(parsed) is None:
        raise ConfigError(
            f"the model registry needs a database file or server, not {redacted(url)}",
            hint="use sqlite:///path/to/metadata.db or postgresql+psycopg://user@host/db",
        )
    db = Database(url).open()
    if parsed.get_backend_name() == "sqlite":
        event.listen(db.engine, "connect", _full_sync)
    try:
        ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db


def _full_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


__all__ = ["open_registry_database"]
