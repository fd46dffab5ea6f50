import pytest
from deployment_helpers import MODEL, controller, move

from loopline.deployment import (
    ABORTED,
    CANARY,
    LIVE,
    PROMOTED,
    REFUSED,
    DeploymentRefused,
    NoTrialRunning,
    RoutingPlan,
)
from loopline.errors import InvalidInputError, NotFoundError


def test_deploy_checks_the_version_in_a_child_process_then_makes_it_live(workspace) -> None:
    outcome = controller(workspace).deploy(f"{MODEL}@production", user="admin")
    assert outcome.action == "rolled out"
    assert outcome.check is not None and outcome.check.passed
    assert outcome.check.details["requests"] == 20 and outcome.check.details["max_ms"] < 250
    assert outcome.state.live.version == 1 and outcome.state.live.infra_check["passed"] is True
    assert controller(workspace).plan(MODEL) == RoutingPlan(MODEL, 1)
    actions = [e.action for e in workspace.registry.audit.list(target=f"deployment:{MODEL}")]
    assert actions == ["deployment.rollout", "deployment.configure"]


def test_a_version_over_the_latency_budget_is_refused_and_the_refusal_recorded(workspace) -> None:
    with pytest.raises(DeploymentRefused, match=r"took .* ms \(median of \d+\) to answer one sample record; the budget is 1e-06 ms"):
        controller(workspace, latency_budget_ms=1e-6).deploy(f"{MODEL}@production", user="admin")
    state = controller(workspace).state(MODEL)
    assert state.latest.status == REFUSED and state.latest.infra_check["passed"] is False
    assert controller(workspace).plan(MODEL) is None
    refusal = workspace.registry.audit.list(action="deployment.refuse")[0]
    assert refusal.details["version"] == 1 and "budget" in refusal.reason


def test_replace_follows_the_alias_and_reconcile_is_idempotent(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", user="admin")
    assert deployments.reconcile(MODEL).action == "unchanged"
    move(workspace, 2)
    assert deployments.reconcile(MODEL).action == "rolled out"
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 2)
    assert deployments.reconcile(MODEL).action == "unchanged"


def test_canary_then_promote_is_one_command_recorded_in_the_audit_log(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", strategy="canary", percent=10, user="admin")
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 1)  # nothing live yet: the first version goes live
    move(workspace, 2)
    outcome = deployments.reconcile(MODEL)
    assert outcome.state.trial.status == CANARY and "10% of requests" in outcome.message
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 1, 2, CANARY, 10.0)
    deployments.promote(MODEL, user="admin", reason="canary looks good")
    state = deployments.state(MODEL)
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 2)
    assert [r.status for r in state.rollouts] == [LIVE, PROMOTED, LIVE]
    event = workspace.registry.audit.list(action="deployment.promote")[0]
    assert event.reason == "canary looks good" and event.details == {"version": 2, "from": 1, "trial": "canary"}


def test_aborting_a_shadow_moves_the_alias_back_so_it_is_not_rolled_out_again(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", strategy="shadow", user="admin")
    move(workspace, 3)
    deployments.reconcile(MODEL)
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 1, 3, "shadow", 0.0)
    deployments.rollback(MODEL, user="admin", reason="shadow disagrees")  # rollback of a trial aborts it
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 1)
    assert workspace.registry.resolve(f"{MODEL}@production").version == 1
    assert deployments.state(MODEL).rollouts[0].status == ABORTED
    assert deployments.reconcile(MODEL).action == "unchanged"
    assert workspace.registry.audit.list(action="deployment.abort")[0].details["alias_moved_back"] is True
    with pytest.raises(NoTrialRunning, match="has no canary or shadow to promote"):
        deployments.promote(MODEL, user="admin")


def test_rollback_brings_back_the_previous_live_version_and_the_alias(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", user="admin")
    move(workspace, 2)
    deployments.reconcile(MODEL)
    move(workspace, 3)
    deployments.reconcile(MODEL)
    assert deployments.rollback(MODEL, user="admin").message == f"{MODEL}/2 is live again (was 3)"
    assert deployments.rollback(MODEL, user="admin").message == f"{MODEL}/1 is live again (was 2)"
    assert deployments.plan(MODEL) == RoutingPlan(MODEL, 1)
    assert workspace.registry.resolve(f"{MODEL}@production").version == 1
    assert deployments.reconcile(MODEL).action == "unchanged"
    with pytest.raises(InvalidInputError, match="no earlier live version"):
        deployments.rollback(MODEL, user="admin")


def test_bad_deploy_arguments_say_what_to_do(workspace) -> None:
    deployments = controller(workspace)
    with pytest.raises(InvalidInputError, match="a canary needs the share"):
        deployments.deploy(f"{MODEL}@production", strategy="canary", user="admin")
    with pytest.raises(InvalidInputError, match="above 0 and below 100, got 150"):
        deployments.deploy(f"{MODEL}@production", strategy="canary", percent=150, user="admin")
    with pytest.raises(InvalidInputError, match="unknown strategy 'canry'"):
        deployments.deploy(f"{MODEL}@production", strategy="canry", user="admin")
    with pytest.raises(InvalidInputError, match="names no alias"):
        deployments.deploy(f"{MODEL}/2", user="admin")
    with pytest.raises(NotFoundError, match="points at no version yet"):
        deployments.deploy(f"{MODEL}@staging", user="admin")
    with pytest.raises(NotFoundError, match="has no deployment"):
        deployments.state(MODEL)
