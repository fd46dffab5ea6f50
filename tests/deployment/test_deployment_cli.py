import json

from deployment_helpers import MODEL, move
from typer.testing import CliRunner

from loopline.cli.main import _register, app

runner = CliRunner()


def invoke(workspace, *args: str):
    _register()
    return runner.invoke(app, ["--workspace", str(workspace.root), *args], env={"LOOPLINE_USER": "admin"})


def test_deploy_canary_promote_and_rollback_from_the_command_line(workspace) -> None:
    done = invoke(workspace, "deploy", f"{MODEL}@production", "--strategy", "canary", "--percent", "20")
    assert done.exit_code == 0, done.output
    assert f"rolled out: {MODEL}/1 is live" in done.output
    move(workspace, 2)
    done = invoke(workspace, "deploy", f"{MODEL}@production", "--strategy", "canary", "--percent", "20", "--json")
    assert json.loads(done.output)["plan"] == {"model": MODEL, "primary": 1, "candidate": 2, "mode": "canary",
                                               "percent": 20.0}
    listing = invoke(workspace, "deployments", "list")
    assert "canary 20%" in listing.output and "2 (canary 20%)" in listing.output
    assert invoke(workspace, "deployments", "promote", MODEL, "-r", "good").exit_code == 0
    shown = json.loads(invoke(workspace, "deployments", "show", MODEL, "--json").output)
    assert [r["status"] for r in shown["rollouts"]] == ["live", "promoted", "live"]
    assert shown["rollouts"][1]["infra_check"]["passed"] is True
    done = invoke(workspace, "rollback", MODEL)
    assert done.exit_code == 0 and f"{MODEL}/1 is live again (was 2)" in done.output


def test_cli_errors_say_what_to_do(workspace) -> None:
    done = invoke(workspace, "deploy", f"{MODEL}@production", "--percent", "5")
    assert done.exit_code == 1
    done = invoke(workspace, "deployments", "abort", MODEL)
    assert done.exit_code == 1
