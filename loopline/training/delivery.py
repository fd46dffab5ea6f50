"""Continuous delivery: the pipeline step that moves a newly registered version through its aliases.

    step(promote_model, inputs={"registration": "registration", "blessing": "blessing"},
         outputs="delivery", name="promote")

After ``register_model``, ``promote_model`` tries each alias of ``promote_to`` in order
(``[delivery] promote_to``, default staging then production). An alias whose policy lets
delivery act alone (``auto_promote``; by default only ``staging``) is moved if the policy's
conditions are met; one that needs a person gets an approval request in the audit log and
the version waits there; a refusal records every unmet condition. Each alias after the first
one not reached is left alone. A candidate that was not registered (not blessed) is held, and
the failed blessing rules are the recorded reason. Every decision is in the step's output and
in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loopline.config import AliasPolicy
from loopline.errors import InvalidInputError
from loopline.pipelines import current_run, log_param

PROMOTED = "promoted"
WAITING = "awaiting approval"
REFUSED = "refused"
HELD = "held"
ALREADY = "already there"


def promote_model(
    registration: Mapping[str, Any],
    blessing: Any = None,
    *,
    model_name: str,
    promote_to: Sequence[str] = ("staging", "production"),
    alias_policies: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Move the registered version through ``promote_to`` as far as the policies allow; return the decisions.

    ``alias_policies``: ``[registry.policies.*]`` of the workspace as a list of dicts, each with
    its ``alias`` (the workspace passes them; an alias without one has the default policy).
    """
    from loopline.registry import PolicyRefused, Registry

    context = current_run()
    policies = {str(p["alias"]): AliasPolicy.model_validate({k: v for k, v in p.items() if k != "alias"})
                for p in alias_policies}
    version = registration.get("version") if registration.get("registered") else None
    outcome: dict[str, Any] = {"model_name": model_name, "version": version, "decisions": []}
    decisions: list[dict[str, Any]] = outcome["decisions"]
    summary = _blessing_summary(blessing)
    with Registry(context.metadata, context.artifacts, policies=policies).open() as registry:
        if version is None:
            reason = f"candidate of run {context.run_id} not registered: {registration.get('reason', 'unknown')}"
            if summary:
                reason += f" ({summary})"
            registry.audit.append(actor=_actor(), action="delivery.hold", target=f"model:{model_name}",
                                  reason=reason, details={"run_id": context.run_id,
                                                          "artifact_id": registration.get("artifact_id")})
            decisions.append({"alias": None, "action": HELD, "reason": reason})
            print(f"not promoted: {reason}")
            return outcome
        for alias in promote_to:
            decision = _promote(registry, policies.get(alias, AliasPolicy()), model_name, int(version), alias,
                                run_id=context.run_id, summary=summary, refused=PolicyRefused)
            decisions.append(decision)
            print(f"{model_name}/{version} -> {alias}: {decision['action']} ({decision['reason']})")
            if decision["action"] not in (PROMOTED, ALREADY):
                break
    reached = [d["alias"] for d in decisions if d["action"] in (PROMOTED, ALREADY)]
    log_param("promoted_to", reached)
    return outcome


def _promote(registry: Any, policy: AliasPolicy, name: str, version: int, alias: str, *, run_id: int,
             summary: str, refused: type[Exception]) -> dict[str, Any]:
    actor = _actor()
    target = f"model:{name}@{alias}"
    if registry.aliases(name).get(alias) == version:
        return {"alias": alias, "action": ALREADY, "reason": f"{name}@{alias} is version {version} already"}
    check = registry.check(name, version, alias, user=actor)
    conditions = [{"name": c.name, "met": c.met, "detail": c.detail} for c in check.conditions]
    if not policy.promotes_automatically(alias):
        unmet = "; ".join(c.detail for c in check.conditions if not c.met)
        reason = f"the policy of '{alias}' needs a person to promote" + (f"; still unmet: {unmet}" if unmet else "")
        registry.audit.append(actor=actor, action="delivery.request", target=target, reason=reason,
                              details={"version": version, "run_id": run_id, "conditions": conditions})
        return {"alias": alias, "action": WAITING, "reason": reason, "conditions": conditions}
    reason = f"continuous delivery, run {run_id}" + (f": {summary}" if summary else "")
    try:
        registry.promote(name, version, alias, user=actor, reason=reason[:1000])
    except refused as exc:  # the registry recorded the refusal with its conditions
        return {"alias": alias, "action": REFUSED, "reason": str(getattr(exc, "message", exc)),
                "conditions": conditions}
    except InvalidInputError as exc:
        return {"alias": alias, "action": REFUSED, "reason": exc.message, "conditions": conditions}
    return {"alias": alias, "action": PROMOTED, "reason": reason, "conditions": conditions}


def _blessing_summary(blessing: Any) -> str:
    """The blessing in one line: its verdict, the baseline and each rule that failed."""
    if blessing is None:
        return ""
    data = blessing if isinstance(blessing, Mapping) else blessing.to_dict()
    against = f"against {data['baseline_ref']}" if data.get("baseline_ref") else "no baseline"
    failed = [c for c in data.get("checks", ()) if c.get("passed") is False]
    if not failed:
        return f"blessed ({against})" if data.get("blessed") else f"not blessed ({against})"
    shown = "; ".join(f"{c['rule']}: {_number(c.get('value'))} vs {_number(c.get('baseline'))}, "
                      f"limit {c['limit']:g}" for c in failed)
    return f"not blessed ({against}): {shown}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _actor() -> str:
    from loopline.registry.identity import current_user_name

    return current_user_name()


__all__ = ["ALREADY", "HELD", "PROMOTED", "REFUSED", "WAITING", "promote_model"]
