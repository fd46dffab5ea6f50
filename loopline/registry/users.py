"""Users and their roles: add, list, change a role. Every change is audited.

Only an admin may add users or change roles, except for the very first user, which ends
open mode and therefore must itself be an admin (so that someone can manage the rest).
An admin cannot demote the last admin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError, did_you_mean
from loopline.metadata import tables
from loopline.metadata.engine import Database
from loopline.registry.audit import append_audit
from loopline.registry.identity import check_role, check_user_name, identify, require_role
from loopline.registry.records import Identity, User


def user_from_row(row: Any) -> User:
    return User(row.id, row.name, row.role, row.created_at, row.created_by)


def load_user(conn: Connection, name: str) -> User:
    u = tables.users
    row = conn.execute(select(u).where(u.c.name == name)).first()
    if row is None:
        names = conn.execute(select(u.c.name)).scalars().all()
        hint = did_you_mean(name, names) or "see them with 'loopline users list'"
        raise NotFoundError(f"no user named '{name}'", hint=hint)
    return user_from_row(row)


class Users:
    """The users table, one transaction per call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, name: str, role: str, *, actor: str) -> User:
        check_user_name(name)
        check_role(role)

        def work(conn: Connection) -> User:
            identity = identify(conn, actor)
            if identity.open_mode and role != "admin":
                raise InvalidInputError(
                    f"the first user must be an admin (got role {role}): adding a user ends open mode, and "
                    "someone has to be able to manage users afterwards",
                    hint=f"add an admin first: loopline users add {actor} --role admin",
                )
            require_role(identity, "admin", "add users")
            u = tables.users
            if conn.execute(select(u.c.id).where(u.c.name == name)).first() is not None:
                raise ConflictError(f"user '{name}' exists already", hint=f"loopline users set-role {name} ROLE")
            now = datetime.now(UTC)
            user_id = conn.execute(
                insert(u).values(name=name, role=role, created_at=now, created_by=actor).returning(u.c.id)
            ).scalar_one()
            append_audit(conn, actor=actor, action="user.add", target=f"user:{name}", details={"role": role})
            return User(user_id, name, role, now, actor)

        return self._db.write(work)

    def set_role(self, name: str, role: str, *, actor: str, reason: str = "") -> User:
        check_role(role)

        def work(conn: Connection) -> User:
            require_role(identify(conn, actor), "admin", "change roles")
            user = load_user(conn, name)
            u = tables.users
            if user.role == "admin" and role != "admin":
                admins = conn.execute(select(func.count()).select_from(u).where(u.c.role == "admin")).scalar()
                if admins == 1:
                    raise ConflictError(f"'{name}' is the last admin; demoting them would leave no one to manage users",
                                        hint="make another user an admin first")
            conn.execute(update(u).where(u.c.id == user.id).values(role=role))
            append_audit(conn, actor=actor, action="user.set_role", target=f"user:{name}", reason=reason,
                         details={"from": user.role, "to": role})
            return User(user.id, user.name, role, user.created_at, user.created_by)

        return self._db.write(work)

    def list(self) -> list[User]:
        query = select(tables.users).order_by(tables.users.c.name)
        return self._db.read(lambda conn: [user_from_row(row) for row in conn.execute(query)])

    def get(self, name: str) -> User:
        return self._db.read(lambda conn: load_user(conn, name))

    def identity(self, name: str) -> Identity:
        """Who ``name`` acts as: their recorded role, an admin in open mode, or no role."""
        check_user_name(name)
        return self._db.read(lambda conn: identify(conn, name))


__all__ = ["Users", "load_user", "user_from_row"]
