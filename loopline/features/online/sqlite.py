"""The default online store: one SQLite file, one row per (view, entity) with packed values.

Reads are one prepared ``IN`` query per view and batch; writes run in ``BEGIN IMMEDIATE``
transactions with an upsert that keeps the newer row. WAL mode lets lookups proceed while
materialization writes. Each thread gets its own connection.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from loopline.features.errors import OnlineStoreError
from loopline.features.online.base import OnlineRow

READ_CHUNK = 500  # keys per IN query; SQLite allows far more, this keeps statements reusable
_SCHEMA = """
CREATE TABLE IF NOT EXISTS online_rows (
    view TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    event_ts INTEGER NOT NULL,
    created_ts INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (view, entity_key)
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO online_rows (view, entity_key, event_ts, created_ts, payload) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (view, entity_key) DO UPDATE SET
    event_ts = excluded.event_ts, created_ts = excluded.created_ts, payload = excluded.payload
WHERE (excluded.event_ts, excluded.created_ts) > (online_rows.event_ts, online_rows.created_ts)
   OR ((excluded.event_ts, excluded.created_ts) = (online_rows.event_ts, online_rows.created_ts)
       AND excluded.payload != online_rows.payload)
"""


class SqliteOnlineStore:
    """Online store in a SQLite file: ``sqlite:///relative.db``, ``sqlite:////abs.db`` or a path."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self.url = url
        self.busy_timeout_s = busy_timeout_s
        self._path: Path | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            raise OnlineStoreError(f"the online store {self.url} is not open", hint="call store.open() first")
        return self._path

    def open(self) -> Self:
        if self._path is not None:
            return self
        path = sqlite_path(self.url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._path = path
            con = self._connection()
            con.execute("PRAGMA journal_mode = WAL")
            con.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._path = None
            raise OnlineStoreError(
                f"cannot open the SQLite online store at {path}: {exc}",
                hint="point the online store URL at a local folder you can write to (never a network share)",
            ) from None
        return self

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()
        self._local = threading.local()
        self._path = None

    def update(self, *, keep: Sequence[str], delete: Sequence[str]) -> None:
        if delete:
            marks = ",".join("?" * len(delete))
            self._write(f"DELETE FROM online_rows WHERE view IN ({marks})", [tuple(delete)])

    def online_write_batch(self, view: str, rows: Sequence[OnlineRow]) -> int:
        if not rows:
            return 0
        return self._write(_UPSERT, [(view, *row) for row in rows])

    def online_read(self, view: str, entity_keys: Sequence[str]) -> list[OnlineRow | None]:
        con = self._connection()
        found: dict[str, OnlineRow] = {}
        for start in range(0, len(entity_keys), READ_CHUNK):
            chunk = entity_keys[start : start + READ_CHUNK]
            for row in con.execute(_read_sql(len(chunk)), (view, *chunk)):
                found[row[0]] = OnlineRow(*row)
        return [found.get(key) for key in entity_keys]

    def teardown(self) -> None:
        self._write("DELETE FROM online_rows", [()])

    def _write(self, sql: str, params: list[tuple[object, ...]]) -> int:
        con = self._connection()
        before = con.total_changes
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany(sql, params)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OnlineStoreError(f"writing to the SQLite online store at {self.path} failed: {exc}") from None
        return con.total_changes - before

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA synchronous = NORMAL")
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    def __repr__(self) -> str:
        return f"SqliteOnlineStore({self.url!r})"


@functools.cache
def _read_sql(keys: int) -> str:
    """The read query for ``keys`` keys, built once per count (at most ``READ_CHUNK`` of them)."""
    marks = ",".join("?" * keys)
    columns = "entity_key, event_ts, created_ts, payload"
    return f"SELECT {columns} FROM online_rows WHERE view = ? AND entity_key IN ({marks})"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL (three slashes: relative, four: absolute) or a plain path."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite://"):
        raise OnlineStoreError(
            f"the online store URL {url!r} has a host part; SQLite needs a file",
            hint="write sqlite:///relative/path.db or sqlite:////absolute/path.db",
        )
    return Path(url)


__all__ = ["SqliteOnlineStore", "sqlite_path"]
