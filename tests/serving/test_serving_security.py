"""Tokens and roles: health open, no token 401, too weak a role 403; unsafe addresses refused; no token in logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from serving_helpers import ServerThread, cancer_package, cancer_record, make_workspace

from loopline.serving import ServeConfig, ServerConfigError, create_app
from loopline.serving.middleware import ACCESS_LOGGER
from loopline.serving.server import build_state, is_loopback, prepare
from loopline.workspace import Workspace


@pytest.fixture(scope="module")
def workspace_with_tokens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = make_workspace(tmp_path_factory.mktemp("secure") / "ws", {"cancer": cancer_package()})
    with Workspace.find(root) as workspace:
        users = workspace.registry.users
        users.add("admin", "admin", actor="admin")
        users.add("dev", "developer", actor="admin")
        users.add("vic", "viewer", actor="admin")
        tokens = {name: workspace.registry.tokens.create(name, actor="admin").secret for name in ("dev", "vic")}
        revoked = workspace.registry.tokens.create("dev", actor="admin")
        workspace.registry.tokens.revoke(revoked.record.id, actor="admin")
        tokens["revoked"] = revoked.secret
    return root, tokens


@pytest.fixture
def secured(workspace_with_tokens):
    root, tokens = workspace_with_tokens
    config = prepare(ServeConfig(workspace=str(root), refs=["cancer@production"], require_tokens=True,
                                 access_log=True, prediction_log=False))
    with ServerThread(create_app(build_state(config))) as server, httpx.Client(base_url=server.url) as client:
        yield client, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_routes_are_open(secured) -> None:
    client, _ = secured
    for path in ("/v2/health/live", "/v2/health/ready", "/ping", "/health"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer ll_made_up"},
                                     {"Authorization": "Bearer not-a-token"}])
def test_no_valid_token_is_401(secured, headers: dict[str, str]) -> None:
    client, _ = secured
    for method, path in (("GET", "/v2/models/cancer"), ("GET", "/metrics"), ("POST", "/predict")):
        response = client.request(method, path, headers=headers, json={"records": [cancer_record()]})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_is_401(secured) -> None:
    client, tokens = secured
    response = client.get("/v2/models/cancer", headers=bearer(tokens["revoked"]))
    assert response.status_code == 401 and response.json()["error"] == "the API token was revoked"


def test_a_viewer_reads_but_may_not_predict(secured) -> None:
    client, tokens = secured
    viewer = bearer(tokens["vic"])
    assert client.get("/v2/models/cancer", headers=viewer).status_code == 200
    assert client.get("/metrics", headers=viewer).status_code == 200
    for path, body in (("/predict", {"records": [cancer_record()]}), ("/feedback", {"request_id": "a", "label": 1}),
                       ("/v2/models/cancer/infer", {"inputs": []}), ("/invocations", {"instances": []})):
        response = client.post(path, headers=viewer, json=body)
        assert response.status_code == 403, path
    assert "'vic' (viewer) may not use this route: it needs the role developer or above" in response.json()["message"]


def test_a_developer_predicts(secured) -> None:
    client, tokens = secured
    response = client.post("/predict", headers=bearer(tokens["dev"]), json={"records": [cancer_record()]})
    assert response.status_code == 200, response.text


def test_tokens_never_reach_the_log(secured, caplog: pytest.LogCaptureFixture) -> None:
    client, tokens = secured
    caplog.set_level(logging.DEBUG)
    client.post("/predict", headers=bearer(tokens["dev"]), json={"records": [cancer_record()]})
    client.get("/v2/models/cancer", headers=bearer(tokens["vic"]))
    client.get("/v2/models/cancer", headers=bearer("ll_wrong_token_value"))
    users = [json.loads(r.getMessage())["user"] for r in caplog.records if r.name == ACCESS_LOGGER]
    assert users == ["dev", "vic", None]
    for secret in (*tokens.values(), "ll_wrong_token_value"):
        assert secret not in caplog.text


def test_any_other_address_needs_tokens() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    assert ServeConfig(workspace=".", refs=["m"], host="0.0.0.0").needs_tokens
    assert not ServeConfig(workspace=".", refs=["m"]).needs_tokens
    with pytest.raises(ServerConfigError, match="refusing to serve on 0.0.0.0 without API tokens"):
        _ = ServeConfig(workspace=".", refs=["m"], host="0.0.0.0", require_tokens=False).needs_tokens


def test_serving_on_a_public_address_without_any_token_is_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"cancer": cancer_package()})
    with pytest.raises(ServerConfigError, match="serving on 0.0.0.0 needs API tokens, and this workspace has no "
                                                "active one"):
        prepare(ServeConfig(workspace=str(root), refs=["cancer@production"], host="0.0.0.0"))


def test_the_cli_refuses_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loopline.cli.main import run

    root = make_workspace(tmp_path / "ws", {"cancer": cancer_package()})
    with pytest.raises(SystemExit) as exit_info:
        run(["--workspace", str(root), "serve", "cancer@production", "--host", "0.0.0.0"])
    assert exit_info.value.code == 1
    assert "needs API tokens, and this workspace has no active one" in capsys.readouterr().err


def test_the_cli_names_an_unknown_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loopline.cli.main import run

    (tmp_path / "loopline.toml").write_text("")
    with pytest.raises(SystemExit) as exit_info:
        run(["--workspace", str(tmp_path), "serve", "cancer@production", "--predict-role", "develper"])
    assert exit_info.value.code == 1
    assert "did you mean 'developer'?" in capsys.readouterr().err
