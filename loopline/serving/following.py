"""The server follows its deployments: when an alias moves, the new version is loaded and swapped in.

``DeploymentFollower`` runs one background thread. Every ``interval_s`` it asks the
deployment controller to reconcile each followed model (a new version behind the alias
goes through the pre-deployment check and is recorded as live, canary or shadow), reads
the resulting plan, loads and warms up any version the server does not hold yet (off the
request path), builds the new ``Routing`` and swaps it into the model's slot in one
assignment, so no request fails or sees half a change. Versions the plan no longer uses
are retired. A failure (the database away, a version that will not load) is logged and
retried on the next round; the server keeps answering with what it has.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping

from loopline.deployment import CANARY, SHADOW, DeploymentController, RoutingPlan, TrafficSplit
from loopline.errors import ConflictError
from loopline.serving.served import PRIMARY, ServedModel
from loopline.serving.slots import ModelSlots, Routing

_log = logging.getLogger("loopline.serving")
Loader = Callable[[str, int], ServedModel]
"""Loads, compiles and warms up ``name/version`` (``served_as`` primary)."""


class DeploymentFollower:
    """Keeps ``slots`` in line with the deployments of the models in ``followed`` (name -> NAME@ALIAS)."""

    def __init__(self, slots: ModelSlots, controller: DeploymentController, followed: Mapping[str, str],
                 load: Loader, *, interval_s: float = 2.0, actor: str | None = None) -> None:
        self.slots = slots
        self.controller = controller
        self.followed = dict(followed)
        self.load = load
        self.interval_s = interval_s
        self.actor = actor
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loaded: dict[tuple[str, int], ServedModel] = {}

    def start(self) -> DeploymentFollower:
        if self._thread is None:
            for name in self.followed:
                for model in self.slots[name].routing.models():
                    self._loaded[(name, model.version)] = dataclasses.replace(model, served_as=PRIMARY)
            self._thread = threading.Thread(target=self._run, name="loopline-deployment-follower", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
            self._thread = None

    def _run(self) -> None:
        for ref in self.followed.values():
            try:
                self.controller.ensure(ref, user=self.actor)
            except Exception as exc:  # the database is away: the next rounds try again
                _log.warning("could not record the deployment of %s: %s", ref, exc)
        while not self._stop.is_set():
            self.follow_once()
            self._stop.wait(self.interval_s)

    def follow_once(self) -> None:
        """One round: reconcile, then apply the plan of every followed model."""
        for name, ref in self.followed.items():
            try:
                try:
                    self.controller.reconcile(name, user=self.actor)
                except ConflictError:
                    pass  # another worker or a person changed it first: apply what they recorded
                plan = self.controller.plan(name)
                if plan is not None:
                    self.apply(plan)
            except Exception as exc:  # keep serving what is loaded; try again next round
                _log.warning("following %s failed (serving on unchanged): %s", ref, exc)

    def apply(self, plan: RoutingPlan) -> bool:
        """Swap in the routing ``plan`` describes, loading versions first; False if nothing changed."""
        slot = self.slots[plan.model]
        routing = self._routing(plan)
        if _describe(slot.routing) == _describe(routing):
            return False
        previous = slot.swap(routing)
        for model in previous.models():
            if model.version not in plan.versions:
                slot.retire(model.version)
                self._loaded.pop((plan.model, model.version), None)
        _log.info("now serving %s", _describe(routing))
        return True

    def _routing(self, plan: RoutingPlan) -> Routing:
        primary = self._model(plan.model, plan.primary, PRIMARY)
        if plan.candidate is None:
            return Routing(primary)
        if plan.mode == CANARY:
            return Routing(primary, canary=self._model(plan.model, plan.candidate, CANARY),
                           split=TrafficSplit(plan.percent))
        if plan.mode == SHADOW:
            return Routing(primary, shadow=self._model(plan.model, plan.candidate, SHADOW))
        raise ValueError(f"unknown trial mode {plan.mode!r} in the plan of {plan.model}")

    def _model(self, name: str, version: int, served_as: str) -> ServedModel:
        loaded = self._loaded.get((name, version))
        if loaded is None:
            loaded = self._loaded[(name, version)] = self.load(name, version)
        return loaded if served_as == PRIMARY else dataclasses.replace(loaded, served_as=served_as)


def _describe(routing: Routing) -> tuple[object, ...]:
    def version(model: ServedModel | None) -> int | None:
        return None if model is None else model.version

    return (version(routing.primary), version(routing.canary), routing.split, version(routing.shadow))


__all__ = ["DeploymentFollower"]
