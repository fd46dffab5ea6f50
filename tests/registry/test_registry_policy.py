from pathlib import Path

import pytest
from registry_helpers import Setup, make_model_artifact, open_setup, record_blessing

from loopline.config import AliasPolicy
from loopline.registry import PermissionDenied, PolicyRefused

PRODUCTION = AliasPolicy(require_blessing=True, approvals=1, approver_role="approver")
POLICIES = {
    "production": PRODUCTION,
    "staging": AliasPolicy(require_blessing=True),
    "live": AliasPolicy(after_alias="staging", promoter_role="approver"),
}


@pytest.fixture
def governed(database_url: str, tmp_path: Path) -> Setup:
    """A registry with policies and four users; 'dev' registered versions 1 and 2 of bikes."""
    opened = open_setup(database_url, tmp_path / "artifacts", policies=POLICIES)
    users = opened.registry.users
    users.add("root", "admin", actor="root")
    for name, role in (("dev", "developer"), ("ann", "approver"), ("bob", "approver"), ("val", "viewer")):
        users.add(name, role, actor="root")
    artifact = make_model_artifact(opened.metadata, opened.artifacts)
    opened.registry.register("bikes", artifact.id, user="dev")
    opened.registry.register("bikes", artifact.id, user="dev")
    yield opened
    opened.close()


def _refusal(setup: Setup, version: int, alias: str, user: str) -> list[str]:
    with pytest.raises(PolicyRefused) as info:
        setup.registry.promote("bikes", version, alias, user=user, reason="try")
    return list(info.value.unmet)


def test_every_unmet_condition_is_listed_and_the_refusal_is_audited(governed: Setup) -> None:
    unmet = _refusal(governed, 1, "production", "val")
    assert [line.split(":")[0] for line in unmet] == ["role", "blessing", "approvals"]
    assert "'val' (viewer) may not promote to 'production', which needs developer or above" in unmet[0]
    assert "no Blessing artifact names its model" in unmet[1]
    assert "0 of 1 approvals by approver or above" in unmet[2]
    refusal = governed.registry.audit.list(action="policy.refuse")[0]
    assert refusal.actor == "val" and refusal.target == "model:bikes@production" and refusal.reason == "try"
    assert [(c["name"], c["met"]) for c in refusal.details["conditions"]] == [
        ("active", True), ("role", False), ("not rejected", True), ("blessing", False), ("approvals", False)
    ]
    assert governed.registry.aliases("bikes") == {}


def test_a_blessed_and_approved_version_is_promoted(governed: Setup) -> None:
    registry = governed.registry
    version = registry.get_version("bikes", 1)
    record_blessing(governed.metadata, version.artifact_id, blessed=True)
    registry.approve("bikes", 1, user="ann", alias="production", comment="looks good")
    assert registry.check("bikes", 1, "production", user="dev").allowed
    move = registry.promote("bikes", 1, "production", user="dev", reason="release")
    assert move.to_version == 1
    event = registry.audit.list(action="model.promote")[0]
    assert event.actor == "dev" and all(c["met"] for c in event.details["conditions"])


def test_only_the_newest_blessing_counts(governed: Setup) -> None:
    artifact_id = governed.registry.get_version("bikes", 1).artifact_id
    record_blessing(governed.metadata, artifact_id, blessed=True)
    newest = record_blessing(governed.metadata, artifact_id, blessed=False)
    unmet = _refusal(governed, 1, "staging", "dev")
    assert unmet == [f"blessing: the newest Blessing of its model, artifact/{newest.id}, says blessed = False; "
                     f"see its rules with 'loopline lineage artifact/{newest.id}'"]


def test_approvals_count_distinct_approvers_not_the_registrant_nor_weak_roles(governed: Setup) -> None:
    registry = governed.registry
    record_blessing(governed.metadata, registry.get_version("bikes", 1).artifact_id)
    with pytest.raises(PermissionDenied, match="'dev' \\(developer\\) may not approve versions for 'production'"):
        registry.approve("bikes", 1, user="dev", alias="production")
    registry.users.set_role("dev", "approver", actor="root")
    with pytest.raises(PermissionDenied, match="'dev' registered bikes/1 and so may not approve it"):
        registry.approve("bikes", 1, user="dev", alias="production")
    registry.approve("bikes", 1, user="ann", alias="staging")  # another alias: does not count
    assert "0 of 1 approvals" in _refusal(governed, 1, "production", "root")[0]
    registry.approve("bikes", 1, user="ann")  # every alias
    registry.promote("bikes", 1, "production", user="root")


def test_a_rejection_vetoes_until_the_approver_changes_their_mind(governed: Setup) -> None:
    registry = governed.registry
    record_blessing(governed.metadata, registry.get_version("bikes", 1).artifact_id)
    registry.approve("bikes", 1, user="ann")
    registry.reject("bikes", 1, user="bob", alias="production", comment="slice 'winter' got worse")
    unmet = _refusal(governed, 1, "production", "dev")
    assert unmet == ["not rejected: rejected by bob: slice 'winter' got worse"]
    registry.approve("bikes", 1, user="bob", alias="production")
    registry.promote("bikes", 1, "production", user="dev")
    assert [a.decision for a in registry.approvals("bikes", 1)] == ["approved", "rejected", "approved"]


def test_after_alias_and_promoter_role(governed: Setup) -> None:
    registry = governed.registry
    assert _refusal(governed, 2, "live", "dev") == [
        "role: 'dev' (developer) may not promote to 'live', which needs approver or above",
        "after staging: version 2 has never been behind 'staging'; promote it there first",
    ]
    record_blessing(governed.metadata, registry.get_version("bikes", 2).artifact_id)
    registry.promote("bikes", 2, "staging", user="dev")
    registry.promote("bikes", 2, "live", user="ann")


def test_archived_versions_fail_the_active_condition(governed: Setup) -> None:
    governed.registry.archive("bikes", 2, user="dev")
    assert _refusal(governed, 2, "staging", "dev")[0] == "active: version 2 is archived"


def test_unrecorded_users_may_read_but_not_change(governed: Setup) -> None:
    registry = governed.registry
    assert registry.resolve("bikes/1").version == 1
    with pytest.raises(PermissionDenied, match="'eve' \\(not a recorded user\\) may not register models") as info:
        registry.register("bikes", registry.get_version("bikes", 1).artifact_id, user="eve")
    assert info.value.hint == "ask an admin to run: loopline users add eve --role developer"
    with pytest.raises(PermissionDenied, match="may not roll back aliases"):
        registry.rollback("bikes", "production", user="val")
    with pytest.raises(PermissionDenied, match="may not archive versions"):
        registry.archive("bikes", 1, user="val")


def test_a_policy_for_a_malformed_alias_is_a_configuration_error(sqlite_url: str, tmp_path: Path) -> None:
    from loopline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[registry.policies.Prod\] in loopline.toml: 'Prod' is not an alias name"):
        open_setup(sqlite_url, tmp_path / "a", policies={"Prod": AliasPolicy()})
