"""Governance: whether a version may move behind an alias, as a list of conditions, each met or not.

The policy of an alias comes from ``[registry.policies.<alias>]`` in ``loopline.toml``. Every
promotion is checked against these conditions, and a refusal lists every one it failed:

- ``active``: the version is not archived;
- ``role``: the user holds ``promoter_role`` (developer unless the policy says otherwise);
- ``not rejected``: no approver's newest decision on the version (for this alias, or for
  every alias) is a rejection;
- ``blessing`` (``require_blessing``): the newest Blessing naming the version's Model
  artifact as its candidate says ``blessed = true``;
- ``approvals`` (``approvals = N``): N distinct users holding ``approver_role`` or above
  approved it, their newest decision, and not the user who registered the version
  (unless ``allow_self_approval``): four eyes;
- ``after <alias>`` (``after_alias``): the version has been behind that alias before.

Rollback is not checked: it returns an alias to a version that already held it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from loopline.config import AliasPolicy
from loopline.registry.aliases import has_held
from loopline.registry.approvals import APPROVED, REJECTED, current_decisions, decisions
from loopline.registry.evidence import is_blessed, newest_blessing
from loopline.registry.identity import at_least, describe
from loopline.registry.models import ACTIVE
from loopline.registry.records import Approval, Condition, Identity, ModelVersion, PolicyCheck, RegisteredModel

DEFAULT_POLICY = AliasPolicy()


def check_policy(
    conn: Connection,
    policies: Mapping[str, AliasPolicy],
    identity: Identity,
    model: RegisteredModel,
    version: ModelVersion,
    alias: str,
) -> PolicyCheck:
    """Every condition a promotion of ``version`` to ``alias`` by ``identity`` must meet, evaluated now."""
    policy = policies.get(alias, DEFAULT_POLICY)
    latest = current_decisions(decisions(conn, version), alias)
    conditions = [
        _active(version),
        _role(identity, policy, alias),
        _not_rejected(latest, policy),
    ]
    if policy.require_blessing:
        conditions.append(_blessing(conn, version))
    if policy.approvals:
        conditions.append(_approvals(latest, policy, version))
    if policy.after_alias:
        held = has_held(conn, model.id, policy.after_alias, version.version)
        conditions.append(Condition(
            f"after {policy.after_alias}", held,
            f"version {version.version} has been behind '{policy.after_alias}'" if held
            else f"version {version.version} has never been behind '{policy.after_alias}'; promote it there first",
        ))
    return PolicyCheck(model.name, version.version, alias, identity.name, tuple(conditions))


def _active(version: ModelVersion) -> Condition:
    if version.status == ACTIVE:
        return Condition("active", True, f"version {version.version} is active")
    return Condition("active", False, f"version {version.version} is archived")


def _role(identity: Identity, policy: AliasPolicy, alias: str) -> Condition:
    needed = policy.promoter_role
    met = at_least(identity.role, needed)
    verdict = "may" if met else "may not"
    return Condition("role", met, f"{describe(identity)} {verdict} promote to '{alias}', which needs {needed} or above")


def _not_rejected(latest: Mapping[str, Approval], policy: AliasPolicy) -> Condition:
    vetoes = [d for d in latest.values() if d.decision == REJECTED and at_least(d.role, policy.approver_role)]
    if not vetoes:
        return Condition("not rejected", True, "no approver has rejected it")
    shown = "; ".join(f"{d.decided_by}: {d.comment or 'no comment'}" for d in vetoes)
    return Condition("not rejected", False, f"rejected by {shown}")


def _blessing(conn: Connection, version: ModelVersion) -> Condition:
    blessing = newest_blessing(conn, version.artifact_id)
    if blessing is None:
        return Condition("blessing", False,
                         f"no Blessing artifact names its model (artifact/{version.artifact_id}) as its candidate; "
                         "run the pipeline's validation step against it")
    if is_blessed(blessing):
        return Condition("blessing", True, f"blessed by artifact/{blessing.id}")
    return Condition("blessing", False,
                     f"the newest Blessing of its model, artifact/{blessing.id}, says blessed = "
                     f"{blessing.properties.get('blessed')!r}; see its rules with "
                     f"'loopline lineage artifact/{blessing.id}'")


def _approvals(latest: Mapping[str, Approval], policy: AliasPolicy, version: ModelVersion) -> Condition:
    approved = [d for d in latest.values() if d.decision == APPROVED]
    counted = [d.decided_by for d in approved if at_least(d.role, policy.approver_role)
               and (policy.allow_self_approval or d.decided_by != version.created_by)]
    needed = policy.approvals
    met = len(set(counted)) >= needed
    detail = f"{len(set(counted))} of {needed} approvals by {policy.approver_role} or above"
    if counted:
        detail += f" ({', '.join(sorted(set(counted)))})"
    ignored = sorted({d.decided_by for d in approved} - set(counted))
    if ignored:
        detail += f"; not counted: {', '.join(ignored)} (registered it, or role too weak)"
    if not met:
        detail += f"; ask an approver: loopline models approve {version.name} {version.version}"
    return Condition("approvals", met, detail)


__all__ = ["DEFAULT_POLICY", "check_policy"]
