"""The one place that talks to the database driver: engine, SQLite pragmas, transactions, retries.

``Database(url).open()`` creates the SQLAlchemy engine. Every store method then runs its
work through exactly one of two calls, each one connection and one transaction:

    db.read(lambda conn: ...)    a deferred transaction (SQLite ``BEGIN``)
    db.write(lambda conn: ...)   SQLite ``BEGIN IMMEDIATE``; the whole function is run again
                                 when the database is busy (SQLite) or aborts the
                                 transaction with SQLSTATE 40001/40P01 (PostgreSQL)

SQLite follows SQLAlchemy's documented recipe for taking transaction control away from
pysqlite (``isolation_level = None`` on connect, our own ``BEGIN`` in the ``begin``
event), choosing ``BEGIN IMMEDIATE`` for write transactions: a deferred transaction that
reads and then writes can fail with "database is locked" even with a busy timeout,
because SQLite cannot wait for a lock that would need another writer's snapshot.
Each connection runs with WAL, ``busy_timeout`` 30 s, ``foreign_keys=ON`` and
``synchronous=NORMAL`` (with WAL, a killed process loses nothing committed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from loopline.metadata.errors import StoreBusyError, StoreNotOpen, UnsupportedDatabaseError
from loopline.metadata.retries import MAX_ATTEMPTS, backoff_seconds, is_transient

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "loopline_write"
_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
_KNOWN_URLS = "sqlite:///path/to/metadata.db or postgresql+psycopg://user@host:5432/db"


def parse_database_url(url: str) -> URL:
    """The SQLAlchemy URL for a metadata URL; plain ``postgresql://`` means the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabaseError(f"'{url}' is not a database URL", hint=f"write it as {_KNOWN_URLS}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabaseError(
            f"the metadata store cannot use '{parsed.drivername}' databases (from '{url}')",
            hint=f"use SQLite or PostgreSQL: {_KNOWN_URLS}",
        )
    if driver == "sqlite" and not parsed.database:
        raise UnsupportedDatabaseError(
            f"'{url}' names no SQLite file", hint="write sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return parsed.set(drivername=driver)


def redacted(url: str) -> str:
    """``url`` fit for messages and logs: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database or another engine."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


class Database:
    """A SQLAlchemy engine with the store's transaction rules. ``open()`` creates it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._pid = os.getpid()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise StoreNotOpen(
                f"the metadata database {redacted(self.url)} is not open", hint="call MetadataStore(url).open() first"
            )
        if self._pid != os.getpid():  # a forked child must not share the parent's pooled connections
            self._engine.dispose(close=False)
            self._pid = os.getpid()
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (known from the URL, open or not)."""
        return parse_database_url(self.url).get_backend_name()

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    def open(self) -> Database:
        if self._engine is not None:
            return self
        url = parse_database_url(self.url)
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else _postgres_engine(url)
        self._pid = os.getpid()
        return self

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one read transaction (deferred on SQLite: it takes no write lock)."""
        return self._run(work, write=False)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction; run it again, whole, while the database is busy."""
        return self._run(work, write=True)

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        last: DBAPIError | None = None
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(backoff_seconds(attempt))
            try:
                with self.engine.connect() as conn:
                    if write:
                        conn = conn.execution_options(**{_WRITE_OPTION: True})
                    with conn.begin():
                        return work(conn)
            except DBAPIError as error:
                if not is_transient(error):
                    raise
                last = error
        raise StoreBusyError(
            f"the metadata database {redacted(self.url)} stayed busy through {MAX_ATTEMPTS} attempts "
            f"(last error: {last.orig if last is not None else 'unknown'})",
            hint="another process holds a long transaction; try again (and keep SQLite files off network filesystems)",
        ) from last


def _sqlite_engine(url: URL) -> Engine:
    in_memory = sqlite_file(url) is None
    options: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if in_memory:  # one shared connection, or every connection would see its own empty database
        options = {"connect_args": {"check_same_thread": False}, "poolclass": StaticPool}
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not emit its own BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    return create_engine(url, pool_pre_ping=True)


__all__ = ["BUSY_TIMEOUT_MS", "Database", "parse_database_url", "redacted", "sqlite_file"]
