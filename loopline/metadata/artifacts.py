"""Artifact records: immutable typed files in the artifact store, as the metadata store knows them.

Outputs of an execution are recorded by ``executions.complete`` (in the same transaction
as its events); ``record`` is for artifacts that come from outside any execution, such
as an imported dataset, optionally placed in a context.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from loopline.errors import NotFoundError
from loopline.metadata import tables
from loopline.metadata.contexts import load_context
from loopline.metadata.engine import Database
from loopline.metadata.records import Artifact, NewArtifact
from loopline.metadata.rows import artifact_from_row
from loopline.metadata.validate import json_object, new_artifact, require_id, require_page

ID_CHUNK = 500
"""Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits."""


def id_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), ID_CHUNK):
        yield ordered[start : start + ID_CHUNK]


def insert_artifacts(
    conn: Connection, named: Mapping[str, NewArtifact], *, producer: int | None
) -> dict[str, Artifact]:
    """Record ``named`` artifacts in one statement; returns them by the same names."""
    if not named:
        return {}
    created = datetime.now(UTC)
    properties = {name: json_object(a.properties, f"properties of artifact '{a.name}'") for name, a in named.items()}
    rows = [
        {
            "type": a.type,
            "name": a.name,
            "uri": a.uri,
            "digest": a.digest,
            "size": a.size,
            "format": a.format,
            "properties": properties[name],
            "created_at": created,
            "producer_execution_id": producer,
        }
        for name, a in named.items()
    ]
    statement = insert(tables.artifacts).returning(tables.artifacts.c.id, sort_by_parameter_order=True)
    ids = conn.execute(statement, rows).scalars().all()
    return {
        name: Artifact(i, a.type, a.name, a.uri, a.digest, a.size, a.format, properties[name], created, producer)
        for (name, a), i in zip(named.items(), ids, strict=True)
    }


def load_artifacts(conn: Connection, ids: Iterable[int]) -> dict[int, Artifact]:
    """The artifacts with these ids that exist, by id."""
    found: dict[int, Artifact] = {}
    for chunk in id_chunks(ids):
        query = select(tables.artifacts).where(tables.artifacts.c.id.in_(chunk))
        found.update((row.id, artifact_from_row(row)) for row in conn.execute(query))
    return found


def require_artifacts(conn: Connection, named_ids: Mapping[str, int], what: str) -> None:
    """Raise NotFoundError naming every ``name -> id`` whose artifact does not exist."""
    if not named_ids:
        return
    existing: set[int] = set()
    for chunk in id_chunks(named_ids.values()):
        existing.update(conn.execute(select(tables.artifacts.c.id).where(tables.artifacts.c.id.in_(chunk))).scalars())
    missing = [f"'{name}' (artifact/{i})" for name, i in named_ids.items() if i not in existing]
    if missing:
        raise NotFoundError(
            f"{what} name artifacts that do not exist: {', '.join(missing)}",
            hint="pass ids returned by artifacts.record or executions.complete",
        )


class Artifacts:
    """Record, read and list artifacts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, artifact: NewArtifact, *, context_id: int | None = None) -> Artifact:
        """Record an artifact produced outside any execution, attributed to ``context_id`` if given."""
        new_artifact(artifact, "the artifact")
        if context_id is not None:
            require_id(context_id, "a context id")

        def work(conn: Connection) -> Artifact:
            if context_id is not None:
                load_context(conn, context_id)
            recorded = insert_artifacts(conn, {"artifact": artifact}, producer=None)["artifact"]
            if context_id is not None:
                conn.execute(insert(tables.attributions).values(context_id=context_id, artifact_id=recorded.id))
            return recorded

        return self._db.write(work)

    def get(self, artifact_id: int) -> Artifact:
        require_id(artifact_id, "an artifact id")

        def work(conn: Connection) -> Artifact:
            found = load_artifacts(conn, [artifact_id])
            if artifact_id not in found:
                raise NotFoundError(
                    f"no artifact with id {artifact_id}", hint="see a run's outputs with 'loopline runs show RUN'"
                )
            return found[artifact_id]

        return self._db.read(work)

    def list(
        self,
        *,
        type: str | None = None,
        name: str | None = None,
        limit: int = 50,
        offset: int = 0,
        context_id: int | None = None,
        digest: str | None = None,
    ) -> list[Artifact]:
        """Artifacts, newest first, filtered by type, name, digest or the context they are attributed to."""
        require_page(limit, offset)
        a = tables.artifacts
        query = select(a).order_by(a.c.id.desc()).limit(limit).offset(offset)
        if type is not None:
            query = query.where(a.c.type == type)
        if name is not None:
            query = query.where(a.c.name == name)
        if digest is not None:
            query = query.where(a.c.digest == digest)
        if context_id is not None:
            query = query.join(tables.attributions, tables.attributions.c.artifact_id == a.c.id).where(
                tables.attributions.c.context_id == context_id
            )
        return self._db.read(lambda conn: [artifact_from_row(row) for row in conn.execute(query)])


__all__ = ["ID_CHUNK", "Artifacts", "id_chunks", "insert_artifacts", "load_artifacts", "require_artifacts"]
