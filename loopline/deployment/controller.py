"""The deployment controller: what a followed alias's move means for the servers, and the rollout commands.

A deployment says that model NAME is served by following NAME@ALIAS with a strategy.
``reconcile`` compares the alias with the deployment's rollouts: when the alias points at
a version the deployment has not yet rolled out (nor refused, nor aborted), the version
goes through the pre-deployment check and then becomes live (``replace``), or goes on
trial beside the live version (``canary``: a share of requests; ``shadow``: a copy of
each). ``promote`` makes a trial version live, ``abort`` drops it (and moves the alias
back, so the server does not pick it up again), ``rollback`` brings back the version
before. Servers call ``reconcile`` and apply ``plan``; people call the commands.

Every change is one transaction in the registry's database that also appends its audit
event, and it applies only if the deployment did not change meanwhile (compare-and-set
on its revision), so several server workers reacting to one alias move record one rollout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from loopline.deployment import store
from loopline.deployment.errors import DeploymentRefused, NoTrialRunning
from loopline.deployment.infra import InfraCheck, InfraValidator
from loopline.deployment.records import (
    ABORTED,
    CANARY,
    LIVE,
    PROMOTED,
    REFUSED,
    REPLACE,
    STRATEGIES,
    Deployment,
    DeploymentState,
    Rollout,
    RoutingPlan,
)
from loopline.deployment.split import check_percent
from loopline.errors import ConflictError, InvalidInputError, NotFoundError, did_you_mean
from loopline.registry import aliases as alias_sql
from loopline.registry import models as model_sql
from loopline.registry.audit import append_audit
from loopline.registry.identity import check_user_name, current_user_name, identify, require_role
from loopline.registry.refs import parse_model_ref

T = TypeVar("T")
ROLLBACK = "rollback"
UNCHANGED, ROLLED_OUT, REFUSED_NOW = "unchanged", "rolled out", "refused"


@dataclass(frozen=True)
class Outcome:
    """What a command or a reconcile did: ``action`` (unchanged, rolled out, refused, promoted, ...),
    the deployment after it, and the pre-deployment check when one ran."""

    action: str
    state: DeploymentState
    message: str
    check: InfraCheck | None = None


class DeploymentController:
    """Deployments of one registry's models; ``validator`` is the pre-deployment check."""

    def __init__(self, registry: Any, validator: InfraValidator) -> None:
        self.registry = registry
        self.validator = validator

    # -- reading ------------------------------------------------------------------------------

    def list(self) -> list[Deployment]:
        return self.registry.db.read(store.list_deployments)

    def state(self, model: str) -> DeploymentState:
        return self.registry.db.read(lambda conn: store.load_state(conn, model))

    def plan(self, model: str) -> RoutingPlan | None:
        """What a server should serve for ``model``; None when it has no deployment or nothing live yet."""
        def work(conn: Connection) -> RoutingPlan | None:
            if store.find_deployment(conn, model) is None:
                return None
            return store.load_state(conn, model).plan()

        return self.registry.db.read(work)

    # -- commands -----------------------------------------------------------------------------

    def deploy(self, ref: str, *, strategy: str = REPLACE, percent: float | None = None, user: str | None = None,
               reason: str = "") -> Outcome:
        """Serve NAME@ALIAS with ``strategy`` and roll out the alias's version now; DeploymentRefused
        (recorded first) when the version fails the pre-deployment check."""
        parsed = parse_model_ref(ref)
        if parsed.alias is None:
            raise InvalidInputError(f"'{ref}' names no alias; a deployment follows one (NAME@ALIAS)",
                                    hint=f"deploy {parsed.name}@production, and move the alias to change versions")
        percent = _check_strategy(strategy, percent)
        actor = _actor(user)

        def work(conn: Connection) -> None:
            require_role(identify(conn, actor), "developer", "deploy models")
            model = model_sql.load_model(conn, parsed.name, with_aliases=False)
            if alias_sql.alias_state(conn, model.id, parsed.alias).version is None:
                raise NotFoundError(f"{ref} points at no version yet",
                                    hint=f"promote a version first: loopline models promote {parsed.name} VERSION "
                                         f"--alias {parsed.alias}")
            found = store.find_deployment(conn, parsed.name)
            settings = {"alias": parsed.alias, "strategy": strategy, "percent": percent}
            if found is None:
                store.create_deployment(conn, parsed.name, actor=actor, **settings)
            elif (found.alias, found.strategy, found.percent) != (parsed.alias, strategy, percent):
                store.change_deployment(conn, found, **settings)
            else:
                return
            append_audit(conn, actor=actor, action="deployment.configure", target=_target(parsed.name),
                         reason=reason, details=settings)

        self._write(work)
        outcome = self.reconcile(parsed.name, user=actor)
        if outcome.action == REFUSED_NOW:
            raise DeploymentRefused(outcome.message, hint="the refusal is recorded; see 'loopline deployments show "
                                                          f"{parsed.name}' and fix the model before trying again")
        return outcome

    def ensure(self, ref: str, *, user: str | None = None) -> Deployment:
        """The deployment of NAME (created to follow NAME@ALIAS by replacement if it has none)."""
        parsed = parse_model_ref(ref)
        actor = _actor(user)

        def work(conn: Connection) -> Deployment:
            found = store.find_deployment(conn, parsed.name)
            if found is not None:
                return found
            created = store.create_deployment(conn, parsed.name, str(parsed.alias), REPLACE, None, actor=actor)
            append_audit(conn, actor=actor, action="deployment.configure", target=_target(parsed.name),
                         reason="a server started following the alias",
                         details={"alias": parsed.alias, "strategy": REPLACE, "percent": None})
            return created

        return self._write(work)

    def reconcile(self, model: str, *, user: str | None = None) -> Outcome:
        """Roll out the followed alias's version if it is new to the deployment (see the module docstring)."""
        actor = _actor(user)
        state, target = self.registry.db.read(lambda conn: _state_and_target(conn, model))
        latest, live, trial = state.latest, state.live, state.trial
        if latest is not None and latest.version == target or (live is not None and live.version == target
                                                              and trial is None):
            return Outcome(UNCHANGED, state, f"{model}/{target} is {latest.status if latest else 'live'}; "
                                             "nothing to roll out")
        check = self.validator.check(model, target)
        deployment = state.deployment

        def work(conn: Connection) -> str:
            _require_alias_at(conn, deployment, target)
            store.change_deployment(conn, deployment)
            if trial is not None:
                store.finish_rollout(conn, trial, ABORTED)
            if not check.passed:
                store.add_rollout(conn, deployment, version=target, status=REFUSED, strategy=deployment.strategy,
                                  actor=actor, reason=check.reason, infra_check=check.to_dict(),
                                  baseline=live.version if live else None, finished=True)
                append_audit(conn, actor=actor, action="deployment.refuse", target=_target(model),
                             reason=check.reason, details={"version": target, "check": check.to_dict()})
                return REFUSED_NOW
            baseline = live.version if live is not None else None
            status = LIVE if baseline is None or deployment.strategy == REPLACE else deployment.strategy
            percent = deployment.percent if status == CANARY else None
            store.add_rollout(conn, deployment, version=target, status=status, strategy=deployment.strategy,
                              actor=actor, reason=check.reason, infra_check=check.to_dict(), baseline=baseline,
                              percent=percent, finished=status == LIVE)
            append_audit(conn, actor=actor, action="deployment.rollout", target=_target(model), reason=check.reason,
                         details={"version": target, "from": baseline, "status": status, "percent": percent,
                                  "superseded_trial": trial.version if trial else None})
            return ROLLED_OUT

        action = self._write(work)
        message = check.reason if action == REFUSED_NOW else _rolled_out_message(model, target, self.state(model))
        return Outcome(action, self.state(model), message, check)

    def promote(self, model: str, *, user: str | None = None, reason: str = "") -> Outcome:
        """Make the canary or shadow version live: it answers every request from now on."""
        actor = _actor(user)

        def work(conn: Connection) -> Rollout:
            require_role(identify(conn, actor), "developer", "promote a canary")
            state = store.load_state(conn, model)
            trial = _require_trial(state, "promote")
            store.change_deployment(conn, state.deployment)
            store.finish_rollout(conn, trial, PROMOTED)
            store.add_rollout(conn, state.deployment, version=trial.version, status=LIVE, strategy=trial.strategy,
                              actor=actor, reason=reason or f"the {trial.status} was promoted",
                              baseline=trial.baseline_version, infra_check=trial.infra_check, finished=True)
            append_audit(conn, actor=actor, action="deployment.promote", target=_target(model), reason=reason,
                         details={"version": trial.version, "from": trial.baseline_version, "trial": trial.status})
            return trial

        trial = self._write(work)
        return Outcome("promoted", self.state(model), f"{model}/{trial.version} is live (was {trial.status})")

    def abort(self, model: str, *, user: str | None = None, reason: str = "") -> Outcome:
        """Stop the canary or shadow; the live version answers everything and the alias goes back to it."""
        actor = _actor(user)

        def work(conn: Connection) -> Rollout:
            require_role(identify(conn, actor), "developer", "abort a canary")
            state = store.load_state(conn, model)
            trial = _require_trial(state, "abort")
            store.change_deployment(conn, state.deployment)
            store.finish_rollout(conn, trial, ABORTED)
            moved = _move_alias_back(conn, state.deployment, trial.version, trial.baseline_version, actor, reason)
            append_audit(conn, actor=actor, action="deployment.abort", target=_target(model), reason=reason,
                         details={"version": trial.version, "live": trial.baseline_version, "trial": trial.status,
                                  "alias_moved_back": moved})
            return trial

        trial = self._write(work)
        return Outcome("aborted", self.state(model),
                       f"the {trial.status} of {model}/{trial.version} is aborted; {model}/{trial.baseline_version} "
                       "answers every request")

    def rollback(self, model: str, *, user: str | None = None, reason: str = "") -> Outcome:
        """Abort a trial if one runs; otherwise make the version before the live one live again (and move the
        alias back to it). A version that was never live here passes the pre-deployment check first."""
        state = self.state(model)
        if state.trial is not None:
            return self.abort(model, user=user, reason=reason)
        actor = _actor(user)
        live = state.live
        if live is None:
            raise InvalidInputError(f"model '{model}' has no live version to roll back from")
        target = _previous_version(state)
        if target is None:
            raise InvalidInputError(f"the deployment of '{model}' has no earlier live version to go back to",
                                    hint=f"see its rollouts with 'loopline deployments show {model}'")
        check = None
        if not any(r.status == LIVE and r.version == target for r in state.rollouts):
            check = self.validator.check(model, target)
            if not check.passed:
                raise DeploymentRefused(check.reason)

        def work(conn: Connection) -> None:
            require_role(identify(conn, actor), "developer", "roll back a deployment")
            store.change_deployment(conn, state.deployment)
            moved = _move_alias_back(conn, state.deployment, live.version, target, actor, reason)
            store.add_rollout(conn, state.deployment, version=target, status=LIVE, strategy=ROLLBACK, actor=actor,
                              reason=reason or f"rolled back from version {live.version}", baseline=live.version,
                              infra_check=check.to_dict() if check else None, finished=True)
            append_audit(conn, actor=actor, action="deployment.rollback", target=_target(model), reason=reason,
                         details={"from": live.version, "to": target, "alias_moved_back": moved})

        self._write(work)
        return Outcome("rolled back", self.state(model), f"{model}/{target} is live again (was {live.version})",
                       check)

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            return self.registry.db.write(work)
        except DatabaseIntegrityError as exc:
            raise ConflictError(
                f"a concurrent change to the deployment won; nothing was changed ({str(exc.orig).splitlines()[0]})",
                hint="look at the current state and try again",
            ) from exc


def _actor(user: str | None) -> str:
    return current_user_name() if user is None else check_user_name(user)


def _target(model: str) -> str:
    return f"deployment:{model}"


def _check_strategy(strategy: str, percent: float | None) -> float | None:
    if strategy not in STRATEGIES:
        raise InvalidInputError(f"unknown strategy '{strategy}'; expected one of {', '.join(STRATEGIES)}",
                                hint=did_you_mean(strategy, STRATEGIES))
    if strategy == CANARY:
        if percent is None:
            raise InvalidInputError("a canary needs the share of requests it gets", hint="add --percent 10")
        return check_percent(percent)
    if percent is not None:
        raise InvalidInputError(f"--percent applies to a canary only, not to {strategy}",
                                hint="drop --percent, or use --strategy canary")
    return None


def _state_and_target(conn: Connection, model: str) -> tuple[DeploymentState, int]:
    state = store.load_state(conn, model)
    registered = model_sql.load_model(conn, model, with_aliases=False)
    target = alias_sql.alias_state(conn, registered.id, state.deployment.alias).version
    if target is None:
        raise NotFoundError(f"{state.deployment.ref} points at no version, so there is nothing to serve")
    return state, target


def _require_alias_at(conn: Connection, deployment: Deployment, version: int) -> None:
    registered = model_sql.load_model(conn, deployment.model, with_aliases=False)
    now = alias_sql.alias_state(conn, registered.id, deployment.alias).version
    if now != version:
        raise ConflictError(f"{deployment.ref} moved from version {version} to {now} during the rollout; "
                            "nothing was changed", hint="the next reconcile rolls out the new version")


def _require_trial(state: DeploymentState, verb: str) -> Rollout:
    trial = state.trial
    if trial is None:
        raise NoTrialRunning(f"the deployment of '{state.deployment.model}' has no canary or shadow to {verb}",
                             hint=f"see 'loopline deployments show {state.deployment.model}'")
    return trial


def _move_alias_back(conn: Connection, deployment: Deployment, from_version: int, to_version: int | None,
                     actor: str, reason: str) -> bool:
    """Point the followed alias at ``to_version`` if it still points at ``from_version``; True if it moved."""
    if to_version is None:
        return False
    registered = model_sql.load_model(conn, deployment.model, with_aliases=False)
    seen = alias_sql.alias_state(conn, registered.id, deployment.alias)
    if seen.version != from_version:
        return False
    move = alias_sql.move_alias(conn, registered, deployment.alias, seen=seen, to_version=to_version,
                                action=alias_sql.ROLLBACK, actor=actor, reason=reason)
    append_audit(conn, actor=actor, action="model.rollback", target=f"model:{deployment.ref}", reason=reason,
                 details={"from": from_version, "to": to_version, "revision": move.revision, "by": "deployment"})
    return True


def _previous_version(state: DeploymentState) -> int | None:
    """The version live before the current live one, undoing rollbacks already made (rollouts newest first)."""
    lives = [r for r in state.rollouts if r.status == LIVE]
    undone = 0
    for current, before in zip(lives, lives[1:], strict=False):
        if current.strategy == ROLLBACK:
            undone += 1
        elif undone:
            undone -= 1
        else:
            return current.baseline_version if current.baseline_version is not None else before.version
    return None


def _rolled_out_message(model: str, version: int, state: DeploymentState) -> str:
    trial = state.trial
    if trial is not None and trial.version == version:
        share = f" with {trial.percent:g}% of requests" if trial.status == CANARY else ", answers logged, not returned"
        return f"{model}/{version} is on {trial.status} beside {model}/{trial.baseline_version}{share}"
    return f"{model}/{version} is live"


__all__ = ["ROLLBACK", "DeploymentController", "Outcome"]
