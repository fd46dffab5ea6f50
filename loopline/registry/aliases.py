"""SQL for aliases: read one, move it by compare-and-set, keep every move, find where a rollback goes.

An alias row carries ``revision``, the number of times it has moved. A move names the
revision its caller saw (0: the alias did not exist) and changes the row only if that is
still the revision (``UPDATE ... WHERE revision = :seen``; a first move inserts, and the
primary key lets only one insert win). So of two processes that saw the same state and
move the alias at once, exactly one succeeds; the other gets ConflictError and changes
nothing. On PostgreSQL the losing UPDATE waits for the winner's commit, then finds no row
to update; SQLite runs write transactions one at a time and the loser finds the new revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from loopline.errors import ConflictError
from loopline.metadata import tables
from loopline.registry.records import AliasMove, RegisteredModel

PROMOTE = "promote"
ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class AliasState:
    """Where an alias points now (``version`` None: nowhere yet) and how often it has moved."""

    version: int | None
    revision: int


def alias_state(conn: Connection, model_id: int, alias: str) -> AliasState:
    a = tables.model_aliases
    row = conn.execute(select(a.c.version, a.c.revision).where(a.c.model_id == model_id, a.c.alias == alias)).first()
    return AliasState(None, 0) if row is None else AliasState(row.version, row.revision)


def move_alias(
    conn: Connection,
    model: RegisteredModel,
    alias: str,
    *,
    seen: AliasState,
    to_version: int,
    action: str,
    actor: str,
    reason: str,
) -> AliasMove:
    """Point ``alias`` at ``to_version`` if it is still as the caller ``seen`` it; record the move."""
    a = tables.model_aliases
    now = datetime.now(UTC)
    revision = seen.revision + 1
    values = {"version": to_version, "revision": revision, "updated_at": now, "updated_by": actor}
    if seen.revision == 0:
        try:
            with conn.begin_nested():  # a savepoint: the losing insert must not spoil the transaction
                conn.execute(insert(a).values(model_id=model.id, alias=alias, **values))
        except IntegrityError:
            raise conflict(model.name, alias, seen, alias_state(conn, model.id, alias)) from None
    else:
        changed = conn.execute(update(a).where(a.c.model_id == model.id, a.c.alias == alias,
                                               a.c.revision == seen.revision).values(**values)).rowcount
        if changed != 1:
            raise conflict(model.name, alias, seen, alias_state(conn, model.id, alias))
    conn.execute(insert(tables.alias_moves).values(
        model_id=model.id, alias=alias, revision=revision, from_version=seen.version, to_version=to_version,
        action=action, moved_by=actor, reason=reason, moved_at=now,
    ))
    return AliasMove(model.name, alias, revision, seen.version, to_version, action, actor, reason, now)


def conflict(name: str, alias: str, seen: AliasState, now: AliasState) -> ConflictError:
    """The error for an alias found at ``now`` by a change that expected ``seen``."""
    before = f"version {seen.version}" if seen.version is not None else "no version"
    after = f"version {now.version}" if now.version is not None else "no version"
    return ConflictError(
        f"{name}@{alias} moved while this change was being made: it pointed at {before} (revision {seen.revision}) "
        f"and now points at {after} (revision {now.revision}); nothing was changed",
        hint=f"another user or process won; check 'loopline models show {name}' and try again if still wanted",
    )


def history(
    conn: Connection, model: RegisteredModel, alias: str | None = None, *, limit: int = 1000
) -> list[AliasMove]:
    """Moves of the model's aliases (or one alias), newest first."""
    h = tables.alias_moves
    query = select(h).where(h.c.model_id == model.id).order_by(h.c.id.desc()).limit(limit)
    if alias is not None:
        query = query.where(h.c.alias == alias)
    return [_move_from_row(row, model.name) for row in conn.execute(query)]


def rollback_target(moves: list[AliasMove]) -> int | None:
    """The version before the current one, undoing rollbacks already made (``moves`` newest first).

    Each rollback cancels the promotion it undid, so rolling back twice after promoting
    1 -> 2 -> 3 gives 2, then 1; promoting after a rollback starts a new step back.
    """
    undone = 0
    for move in moves:
        if move.action == ROLLBACK:
            undone += 1
        elif undone:
            undone -= 1
        else:
            return move.from_version
    return None


def has_held(conn: Connection, model_id: int, alias: str, version: int) -> bool:
    """Whether ``version`` has ever been behind ``alias``."""
    h = tables.alias_moves
    found = conn.execute(select(h.c.id).where(h.c.model_id == model_id, h.c.alias == alias,
                                              h.c.to_version == version).limit(1)).first()
    return found is not None


def _move_from_row(row: Any, name: str) -> AliasMove:
    return AliasMove(name, row.alias, row.revision, row.from_version, row.to_version, row.action, row.moved_by,
                     row.reason, row.moved_at)


__all__ = ["PROMOTE", "ROLLBACK", "AliasState", "alias_state", "conflict", "has_held", "history", "move_alias",
           "rollback_target"]
