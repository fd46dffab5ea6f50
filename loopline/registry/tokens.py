"""API tokens: created for a user, shown once, stored only as a sha256 hash; authenticated to a user and role.

A token is ``ll_`` followed by 32 random bytes from ``secrets.token_urlsafe`` (256 bits),
so an unsalted sha256 is enough to store it: nobody can guess an input for a hash of
random data that long. The first characters are kept in the clear (``prefix``) so a
person can tell tokens apart in a listing. Any user may create and revoke their own tokens;
an admin may do so for anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.engine import Database
from loopline.registry.audit import append_audit
from loopline.registry.errors import AuthenticationError
from loopline.registry.identity import identify, require_role
from loopline.registry.records import ApiToken, Identity, NewToken
from loopline.registry.users import load_user

TOKEN_PREFIX = "ll_"
_SHOWN_CHARS = 10
_MAX_TOKEN_CHARS = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_from_row(row: Any) -> ApiToken:
    return ApiToken(row.id, row.user, row.name, row.prefix, row.created_at, row.created_by, row.expires_at,
                    row.revoked_at)


def _query() -> Any:
    t, u = tables.api_tokens, tables.users
    return select(t, u.c.name.label("user")).join(u, u.c.id == t.c.user_id)


def _require_self_or_admin(identity: Identity, user: str, action: str) -> None:
    if identity.name != user:
        require_role(identity, "admin", f"{action} for another user")
    elif identity.role is None:
        require_role(identity, "viewer", action)


class Tokens:
    """Create, list, revoke and authenticate API tokens."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, user: str, *, actor: str, name: str = "", expires_in_days: int | None = None) -> NewToken:
        """A new token for ``user``; ``NewToken.secret`` is the only copy of it."""
        if expires_in_days is not None and (isinstance(expires_in_days, bool) or not 1 <= expires_in_days <= 3650):
            raise InvalidInputError(f"expires_in_days must be from 1 to 3650, got {expires_in_days!r}")
        if len(name) > 255:
            raise InvalidInputError("a token name has at most 255 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def work(conn: Connection) -> NewToken:
            identity = identify(conn, actor)
            _require_self_or_admin(identity, user, "create tokens")
            owner = load_user(conn, user)
            now = datetime.now(UTC)
            expires = now + timedelta(days=expires_in_days) if expires_in_days else None
            prefix = secret[:_SHOWN_CHARS]
            t = tables.api_tokens
            token_id = conn.execute(insert(t).values(
                user_id=owner.id, name=name, token_hash=token_hash(secret), prefix=prefix, created_at=now,
                created_by=actor, expires_at=expires,
            ).returning(t.c.id)).scalar_one()
            append_audit(conn, actor=actor, action="token.create", target=f"user:{user}",
                         details={"token_id": token_id, "name": name, "prefix": prefix,
                                  "expires_at": expires.isoformat() if expires else None})
            return NewToken(secret, ApiToken(token_id, user, name, prefix, now, actor, expires))

        return self._db.write(work)

    def list(self, *, user: str | None = None) -> list[ApiToken]:
        query = _query().order_by(tables.api_tokens.c.id)
        if user is not None:
            query = query.where(tables.users.c.name == user)
        return self._db.read(lambda conn: [_token_from_row(row) for row in conn.execute(query)])

    def revoke(self, token_id: int, *, actor: str, reason: str = "") -> ApiToken:
        def work(conn: Connection) -> ApiToken:
            row = conn.execute(_query().where(tables.api_tokens.c.id == token_id)).first()
            if row is None:
                raise NotFoundError(f"no API token with id {token_id}", hint="see them with 'loopline tokens list'")
            token = _token_from_row(row)
            _require_self_or_admin(identify(conn, actor), token.user, "revoke tokens")
            if token.revoked_at is not None:
                raise ConflictError(f"token {token_id} ({token.prefix}...) was revoked already at {token.revoked_at}")
            now = datetime.now(UTC)
            conn.execute(update(tables.api_tokens).where(tables.api_tokens.c.id == token_id).values(revoked_at=now))
            append_audit(conn, actor=actor, action="token.revoke", target=f"user:{token.user}", reason=reason,
                         details={"token_id": token_id, "prefix": token.prefix})
            return ApiToken(token.id, token.user, token.name, token.prefix, token.created_at, token.created_by,
                            token.expires_at, now)

        return self._db.write(work)

    def authenticate(self, token: str) -> Identity:
        """The user and role a token stands for; AuthenticationError if unknown, revoked or expired."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_CHARS:
            raise AuthenticationError("the API token is malformed", hint=f"tokens start with '{TOKEN_PREFIX}'")
        digest = token_hash(token)
        t, u = tables.api_tokens, tables.users
        query = (select(t.c.token_hash, t.c.expires_at, t.c.revoked_at, u.c.name, u.c.role)
                 .join(u, u.c.id == t.c.user_id).where(t.c.token_hash == digest))
        row = self._db.read(lambda conn: conn.execute(query).first())
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            raise AuthenticationError("the API token is not known", hint="create one with 'loopline tokens create'")
        renew = "create a new one with 'loopline tokens create'"
        if row.revoked_at is not None:
            raise AuthenticationError("the API token was revoked", hint=renew)
        if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
            raise AuthenticationError("the API token has expired", hint=renew)
        return Identity(row.name, row.role)


__all__ = ["TOKEN_PREFIX", "Tokens", "token_hash"]
