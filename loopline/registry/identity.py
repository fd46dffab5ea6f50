"""Who acts, and with which role: the CLI's user name, roles in order, and the check that guards an action.

The CLI acts as ``LOOPLINE_USER`` or, when that is unset, the operating-system user. The
HTTP server acts as the user whose API token came with the request (``tokens.py``). Roles
are ordered, weakest first (``viewer < developer < approver < admin``); a role may do what
every weaker one may.

With no user recorded at all, the registry is in open mode: whoever acts counts as an
admin, so a single-user workspace works without set-up. Adding the first user (who must
be an admin) ends open mode; from then on a name without a user record may only read.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from sqlalchemy import Connection, func, select

from loopline.config import ROLES
from loopline.errors import InvalidInputError
from loopline.metadata import tables
from loopline.registry.errors import PermissionDenied
from loopline.registry.records import Identity

USER_ENV = "LOOPLINE_USER"
RANK = {role: rank for rank, role in enumerate(ROLES)}


def current_user_name(environ: Mapping[str, str] | None = None) -> str:
    """``LOOPLINE_USER``, else the operating-system user."""
    env = os.environ if environ is None else environ
    name = (env.get(USER_ENV) or "").strip()
    if name:
        return check_user_name(name)
    try:
        return check_user_name(getpass.getuser())
    except (KeyError, OSError, InvalidInputError):
        return "unknown"


def check_user_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 255 or any(ch.isspace() for ch in name):
        raise InvalidInputError(f"{name!r} is not a user name", hint="use 1 to 255 characters without spaces")
    return name


def check_role(role: object) -> str:
    if role not in RANK:
        raise InvalidInputError(f"{role!r} is not a role", hint=f"choose one of: {', '.join(ROLES)}")
    return str(role)


def at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` is ``needed`` or stronger (None, an unregistered name, is never enough)."""
    return role is not None and RANK.get(role, -1) >= RANK[needed]


def identify(conn: Connection, name: str) -> Identity:
    """The identity ``name`` acts with, read in the caller's transaction."""
    u = tables.users
    role = select(u.c.role).where(u.c.name == name).scalar_subquery()
    anyone = select(func.count()).select_from(select(u.c.id).limit(1).subquery()).scalar_subquery()
    row = conn.execute(select(role.label("role"), anyone.label("anyone"))).one()
    if row.role is not None:
        return Identity(name, row.role)
    if row.anyone == 0:
        return Identity(name, "admin", open_mode=True)
    return Identity(name, None)


def describe(identity: Identity) -> str:
    if identity.open_mode:
        return f"'{identity.name}' (admin: no users are recorded, so everyone is)"
    if identity.role is None:
        return f"'{identity.name}' (not a recorded user)"
    return f"'{identity.name}' ({identity.role})"


def require_role(identity: Identity, needed: str, action: str) -> None:
    """PermissionDenied unless ``identity`` holds ``needed`` or a stronger role."""
    if at_least(identity.role, needed):
        return
    if identity.role is None:
        hint = f"ask an admin to run: loopline users add {identity.name} --role {needed}"
    else:
        hint = f"ask an admin to run: loopline users set-role {identity.name} {needed}"
    raise PermissionDenied(
        f"{describe(identity)} may not {action}: it needs the role {needed} or above", hint=hint
    )


__all__ = ["RANK", "USER_ENV", "at_least", "check_role", "check_user_name", "current_user_name", "describe",
           "identify", "require_role"]
