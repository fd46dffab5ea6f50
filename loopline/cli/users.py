"""``loopline users ...`` and ``loopline tokens ...``: who may do what in the registry, and API tokens.

With no user recorded, everyone acting is an admin (open mode); the first user added must
be an admin and ends open mode. A token is printed once, when it is created: only its
hash is stored.
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from loopline.cli import _output
from loopline.cli.main import open_workspace

users_app = typer.Typer(help="Registry users and their roles (viewer, developer, approver, admin).",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the HTTP server (shown once, stored as hashes).", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def _registry(ctx: typer.Context) -> Any:
    return open_workspace(ctx).registry


def add_user(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name (as LOOPLINE_USER or the OS user name)."),
    role: str = typer.Option(..., "--role", help="viewer, developer, approver or admin."),
    as_json: bool = _JSON,
) -> None:
    """Add a user (admins only; the very first user must be an admin)."""
    from loopline.registry import current_user_name

    user = _registry(ctx).users.add(name, role, actor=current_user_name())
    if as_json:
        _output.print_json(user)
    else:
        _output.console.print(f"user {_output.escape(user.name)} added as {user.role}")


def list_users(ctx: typer.Context, as_json: bool = _JSON) -> None:
    """Every user and role; and who you act as."""
    registry = _registry(ctx)
    users = registry.users.list()
    me = registry.identity()
    if as_json:
        _output.print_json({"users": users, "you": me})
        return
    _output.table("Users", ["name", "role", "added", "by"],
                  [(_output.escape(u.name), u.role, _output.when(u.created_at), _output.escape(u.created_by))
                   for u in users])
    mode = " (open mode: no users recorded, so everyone is an admin)" if me.open_mode else ""
    _output.console.print(f"you act as {_output.escape(me.name)}: {me.role or 'no role'}{mode}")


def set_role(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Argument(..., help="viewer, developer, approver or admin."),
    reason: str = typer.Option("", "--reason", "-r"),
    as_json: bool = _JSON,
) -> None:
    """Change a user's role (admins only)."""
    from loopline.registry import current_user_name

    user = _registry(ctx).users.set_role(name, role, actor=current_user_name(), reason=reason)
    if as_json:
        _output.print_json(user)
    else:
        _output.console.print(f"user {_output.escape(user.name)} is now {user.role}")


def create_token(
    ctx: typer.Context,
    user: Optional[str] = typer.Option(None, "--user", help="Whose token (default: yours; others need admin)."),
    name: str = typer.Option("", "--name", help="A label, e.g. what will use the token."),
    expires_days: Optional[int] = typer.Option(None, "--expires-days", min=1, max=3650),
    as_json: bool = _JSON,
) -> None:
    """Create an API token and print it once."""
    from loopline.registry import current_user_name

    actor = current_user_name()
    created = _registry(ctx).tokens.create(user or actor, actor=actor, name=name, expires_in_days=expires_days)
    if as_json:
        _output.print_json({"token": created.secret, **_output.to_jsonable(created.record)})
        return
    _output.err_console.print(f"token {created.record.id} for {_output.escape(created.record.user)} "
                              "(shown once; only its hash is kept):")
    typer.echo(created.secret)


def list_tokens(
    ctx: typer.Context,
    user: Optional[str] = typer.Option(None, "--user", help="Only this user's tokens."),
    as_json: bool = _JSON,
) -> None:
    """API tokens (their first characters only)."""
    from datetime import UTC, datetime

    tokens = _registry(ctx).tokens.list(user=user)
    if as_json:
        _output.print_json(tokens)
        return
    now = datetime.now(UTC)
    _output.table("API tokens", ["id", "user", "name", "token", "created", "expires", "state"],
                  [(t.id, _output.escape(t.user), _output.escape(t.name), f"{t.prefix}...", _output.when(t.created_at),
                    _output.when(t.expires_at), "active" if t.is_active(now) else
                    ("revoked" if t.revoked_at else "expired")) for t in tokens])


def revoke_token(
    ctx: typer.Context,
    token_id: int = typer.Argument(..., help="The token's id (see 'loopline tokens list')."),
    reason: str = typer.Option("", "--reason", "-r"),
) -> None:
    """Revoke an API token (yours, or anyone's as an admin)."""
    from loopline.registry import current_user_name

    token = _registry(ctx).tokens.revoke(token_id, actor=current_user_name(), reason=reason)
    _output.console.print(f"token {token.id} ({token.prefix}...) of {_output.escape(token.user)} revoked")


def register(app: typer.Typer) -> None:
    users_app.command("add")(add_user)
    users_app.command("list")(list_users)
    users_app.command("set-role")(set_role)
    tokens_app.command("create")(create_token)
    tokens_app.command("list")(list_tokens)
    tokens_app.command("revoke")(revoke_token)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
