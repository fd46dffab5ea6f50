"""Contexts: named groupings of executions and artifacts (a pipeline, an experiment, a run).

A context is unique by ``(kind, name)``. Contexts of kind ``run`` are made only by
``runs.start``, together with their ``runs`` row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.engine import Database
from loopline.metadata.records import Context
from loopline.metadata.rows import context_from_row
from loopline.metadata.validate import json_object, require_id, require_name, require_page

PIPELINE = "pipeline"
RUN = "run"


def ensure_context(conn: Connection, kind: str, name: str, properties: Mapping[str, Any]) -> int:
    """The id of context ``(kind, name)``, created with ``properties`` if missing; safe under races."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    statement = (
        dialect.insert(tables.contexts)
        .values(kind=kind, name=name, properties=dict(properties), created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["kind", "name"])
    )
    conn.execute(statement)
    return int(conn.execute(select(tables.contexts.c.id).where(_named(kind, name))).scalar_one())


def insert_context(conn: Connection, kind: str, name: str, properties: Mapping[str, Any]) -> int:
    """Insert a context known to be new (``(kind, name)`` unique) and return its id."""
    row = {"kind": kind, "name": name, "properties": dict(properties), "created_at": datetime.now(UTC)}
    return int(conn.execute(insert(tables.contexts).values(row).returning(tables.contexts.c.id)).scalar_one())


def load_context(conn: Connection, context_id: int) -> Context:
    row = conn.execute(select(tables.contexts).where(tables.contexts.c.id == context_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no context with id {context_id}", hint="list contexts with store.contexts.list()")
    return context_from_row(row)


def _named(kind: str, name: str) -> Any:
    return (tables.contexts.c.kind == kind) & (tables.contexts.c.name == name)


class Contexts:
    """Get or create, read and list contexts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_or_create(self, kind: str, name: str, *, properties: Mapping[str, Any] | None = None) -> Context:
        """The context ``(kind, name)``; ``properties`` are stored only when it is created here."""
        require_name(kind, "a context kind")
        require_name(name, "a context name")
        if kind == RUN:
            raise InvalidInputError(
                "contexts of kind 'run' are made by runs.start, not by contexts.get_or_create",
                hint="call store.runs.start(pipeline, params=...)",
            )
        values = json_object(properties, "context properties")
        return self._db.write(lambda conn: load_context(conn, ensure_context(conn, kind, name, values)))

    def get(self, context_id: int) -> Context:
        require_id(context_id, "a context id")
        return self._db.read(lambda conn: load_context(conn, context_id))

    def list(self, *, kind: str | None = None, limit: int = 50, offset: int = 0) -> list[Context]:
        """Contexts, newest first, optionally only those of one kind."""
        require_page(limit, offset)
        query = select(tables.contexts).order_by(tables.contexts.c.id.desc()).limit(limit).offset(offset)
        if kind is not None:
            query = query.where(tables.contexts.c.kind == kind)
        return self._db.read(lambda conn: [context_from_row(row) for row in conn.execute(query)])


__all__ = ["PIPELINE", "RUN", "Contexts", "ensure_context", "insert_context", "load_context"]
