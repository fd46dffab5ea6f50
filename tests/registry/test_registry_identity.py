from datetime import UTC, datetime, timedelta

import pytest
from registry_helpers import Setup
from sqlalchemy import text, update

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.registry import AuthenticationError, PermissionDenied, current_user_name


def test_the_cli_user_is_loopline_user_or_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert current_user_name({"LOOPLINE_USER": "ann"}) == "ann"
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    assert current_user_name({}) == "osuser"
    with pytest.raises(InvalidInputError, match="is not a user name"):
        current_user_name({"LOOPLINE_USER": "two words"})


def test_open_mode_until_the_first_user_who_must_be_an_admin(setup: Setup) -> None:
    users = setup.registry.users
    me = setup.registry.identity("someone")
    assert (me.role, me.open_mode) == ("admin", True)
    with pytest.raises(InvalidInputError, match="the first user must be an admin"):
        users.add("ann", "developer", actor="ann")
    users.add("root", "admin", actor="root")
    assert setup.registry.identity("someone").role is None
    with pytest.raises(PermissionDenied, match="'ann' \\(not a recorded user\\) may not add users"):
        users.add("ann", "admin", actor="ann")
    users.add("ann", "developer", actor="root")
    with pytest.raises(ConflictError, match="user 'ann' exists already"):
        users.add("ann", "viewer", actor="root")
    with pytest.raises(PermissionDenied, match="may not change roles"):
        users.set_role("ann", "admin", actor="ann")
    assert users.set_role("ann", "approver", actor="root").role == "approver"
    with pytest.raises(ConflictError, match="'root' is the last admin"):
        users.set_role("root", "viewer", actor="root")
    with pytest.raises(InvalidInputError, match="'boss' is not a role"):
        users.add("bob", "boss", actor="root")
    with pytest.raises(NotFoundError, match="no user named 'anne'") as info:
        users.set_role("anne", "viewer", actor="root")
    assert "did you mean 'ann'" in str(info.value)
    actions = [e.action for e in setup.registry.audit.list()]
    assert actions == ["user.set_role", "user.add", "user.add"]


def test_tokens_are_shown_once_stored_as_hashes_and_authenticate(setup: Setup) -> None:
    registry = setup.registry
    registry.users.add("root", "admin", actor="root")
    registry.users.add("ann", "approver", actor="root")
    created = registry.tokens.create("ann", actor="ann", name="ci")
    assert created.secret.startswith("ll_") and len(created.secret) > 40
    assert registry.authenticate(created.secret) == registry.identity("ann")
    dump = registry.db.read(lambda conn: str(conn.execute(text("SELECT * FROM api_tokens")).all()))
    assert created.secret not in dump and created.secret[10:] not in dump
    [listed] = registry.tokens.list(user="ann")
    assert listed.prefix == created.secret[:10] and listed.is_active(datetime.now(UTC))
    with pytest.raises(PermissionDenied, match="may not create tokens for another user"):
        registry.tokens.create("root", actor="ann")
    registry.tokens.revoke(created.record.id, actor="ann", reason="leaked")
    with pytest.raises(AuthenticationError, match="the API token was revoked"):
        registry.authenticate(created.secret)
    with pytest.raises(ConflictError, match="was revoked already"):
        registry.tokens.revoke(created.record.id, actor="root")
    with pytest.raises(AuthenticationError, match="the API token is not known"):
        registry.authenticate("ll_" + "x" * 43)
    with pytest.raises(AuthenticationError, match="malformed"):
        registry.authenticate("Bearer something")
    assert [e.action for e in registry.audit.list(action="token.")] == ["token.revoke", "token.create"]


def test_expired_tokens_are_refused(setup: Setup) -> None:
    registry = setup.registry
    registry.users.add("root", "admin", actor="root")
    created = registry.tokens.create("root", actor="root", expires_in_days=1)
    past = datetime.now(UTC) - timedelta(seconds=1)
    registry.db.write(lambda conn: conn.execute(update(tables.api_tokens).values(expires_at=past)))
    with pytest.raises(AuthenticationError, match="the API token has expired"):
        registry.authenticate(created.secret)
