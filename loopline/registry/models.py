"""SQL for registered models and their versions: find, create, number, list.

Version numbers come from ``registered_models.last_version``, bumped by an ``UPDATE ...
RETURNING`` inside the registering transaction: the update locks the model's row, so two
processes registering at once take turns, and a number once handed out is never handed
out again (MLflow once computed the next number in Python and lost versions under load).
The unique (model, version) constraint backs this up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from loopline.errors import NotFoundError, did_you_mean
from loopline.metadata import tables
from loopline.registry.records import ModelVersion, RegisteredModel

ACTIVE = "active"
ARCHIVED = "archived"


def load_model(conn: Connection, name: str, *, with_aliases: bool = True) -> RegisteredModel:
    """The model ``name`` (its ``aliases`` left empty unless ``with_aliases``); NotFoundError if unknown."""
    m = tables.registered_models
    row = conn.execute(select(m).where(m.c.name == name)).first()
    if row is None:
        raise _unknown_model(conn, name)
    return _model_from_row(row, aliases_of(conn, row.id) if with_aliases else {})


def _unknown_model(conn: Connection, name: str) -> NotFoundError:
    m = tables.registered_models
    names = conn.execute(select(m.c.name)).scalars().all()
    hint = did_you_mean(name, names) or (
        f"registered models: {', '.join(sorted(names)[:20])}" if names else "no model is registered yet"
    )
    return NotFoundError(f"no registered model named '{name}'", hint=hint)


def version_by_alias(conn: Connection, name: str, alias: str) -> ModelVersion | None:
    """The version behind ``name@alias`` in one query (with every alias it is behind), or None."""
    m, a, v, held = (tables.registered_models, tables.model_aliases, tables.model_versions,
                     tables.model_aliases.alias("held"))
    rows = conn.execute(
        select(v, held.c.alias.label("held_alias"))
        .join(m, m.c.id == v.c.model_id)
        .join(a, (a.c.model_id == v.c.model_id) & (a.c.version == v.c.version))
        .join(held, (held.c.model_id == v.c.model_id) & (held.c.version == v.c.version))
        .where(m.c.name == name, a.c.alias == alias)
    ).all()
    if not rows:
        return None
    row = rows[0]
    return ModelVersion(row.id, name, row.version, row.artifact_id, row.status, row.description, row.created_at,
                        row.created_by, tuple(sorted(r.held_alias for r in rows)))


def ensure_model(conn: Connection, name: str, *, actor: str, description: str) -> int:
    """The id of the model ``name``, created if new (safe when another process creates it at the same time)."""
    m = tables.registered_models
    found = conn.execute(select(m.c.id).where(m.c.name == name)).scalar()
    if found is not None:
        return int(found)
    values = {"name": name, "description": description, "last_version": 0, "created_at": datetime.now(UTC),
              "created_by": actor}
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(m).values(**values).on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(select(m.c.id).where(m.c.name == name)).scalar_one())


def next_version(conn: Connection, model_id: int) -> int:
    m = tables.registered_models
    statement = (update(m).where(m.c.id == model_id).values(last_version=m.c.last_version + 1)
                 .returning(m.c.last_version))
    return int(conn.execute(statement).scalar_one())


def insert_version(conn: Connection, model_id: int, name: str, version: int, artifact_id: int, *,
                   actor: str, description: str) -> ModelVersion:
    v = tables.model_versions
    now = datetime.now(UTC)
    version_id = conn.execute(insert(v).values(
        model_id=model_id, version=version, artifact_id=artifact_id, status=ACTIVE, description=description,
        created_at=now, created_by=actor,
    ).returning(v.c.id)).scalar_one()
    return ModelVersion(version_id, name, version, artifact_id, ACTIVE, description, now, actor)


def load_version(conn: Connection, model: RegisteredModel, version: int, *, lock: str | None = None) -> ModelVersion:
    """The version. ``lock`` ("share" or "update") holds its row until the transaction ends (PostgreSQL):
    promotions take it shared, archiving exclusively, so the two cannot interleave."""
    v = tables.model_versions
    query = select(v).where(v.c.model_id == model.id, v.c.version == version)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(
            f"model '{model.name}' has no version {version} (its versions go up to {model.last_version})",
            hint=f"see them with 'loopline models versions {model.name}'",
        )
    return version_from_row(row, model)


def newest_version(conn: Connection, model: RegisteredModel) -> ModelVersion:
    v = tables.model_versions
    row = conn.execute(select(v).where(v.c.model_id == model.id, v.c.status == ACTIVE)
                       .order_by(v.c.version.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError(f"model '{model.name}' has no active version",
                            hint=f"register one, or name an archived version: {model.name}/N")
    return version_from_row(row, model)


def list_versions(conn: Connection, model: RegisteredModel, *, limit: int = 100) -> list[ModelVersion]:
    v = tables.model_versions
    rows = conn.execute(select(v).where(v.c.model_id == model.id).order_by(v.c.version.desc()).limit(limit))
    return [version_from_row(row, model) for row in rows]


def list_models(conn: Connection) -> list[RegisteredModel]:
    m = tables.registered_models
    rows = conn.execute(select(m).order_by(m.c.name)).all()
    aliases = _all_aliases(conn, [row.id for row in rows])
    return [_model_from_row(row, aliases.get(row.id, {})) for row in rows]


def set_status(conn: Connection, version: ModelVersion, status: str) -> None:
    v = tables.model_versions
    conn.execute(update(v).where(v.c.id == version.id).values(status=status))


def aliases_of(conn: Connection, model_id: int) -> dict[str, int]:
    return _all_aliases(conn, [model_id]).get(model_id, {})


def version_from_row(row: Any, model: RegisteredModel) -> ModelVersion:
    aliases = tuple(sorted(alias for alias, number in model.aliases.items() if number == row.version))
    return ModelVersion(row.id, model.name, row.version, row.artifact_id, row.status, row.description,
                        row.created_at, row.created_by, aliases)


def _all_aliases(conn: Connection, model_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    if not model_ids:
        return {}
    a = tables.model_aliases
    found: dict[int, dict[str, int]] = {}
    for row in conn.execute(select(a.c.model_id, a.c.alias, a.c.version).where(a.c.model_id.in_(model_ids))
                            .order_by(a.c.alias)):
        found.setdefault(row.model_id, {})[row.alias] = row.version
    return found


def _model_from_row(row: Any, aliases: dict[str, int]) -> RegisteredModel:
    return RegisteredModel(row.id, row.name, row.description, row.last_version, row.created_at, row.created_by,
                           aliases)


__all__ = [
    "ACTIVE",
    "ARCHIVED",
    "aliases_of",
    "ensure_model",
    "insert_version",
    "list_models",
    "list_versions",
    "load_model",
    "load_version",
    "newest_version",
    "next_version",
    "set_status",
    "version_by_alias",
    "version_from_row",
]
