"""Which loaded version answers a request for a model name: slots a deployment can swap atomically.

A ``ModelSlot`` holds the ``Routing`` for one model name (an immutable value: the version
that answers, and later the variants a rollout adds) and every loaded version by number.
Requests read the routing once and use that value to the end, so replacing it with
``swap`` (one reference assignment, under a lock only against other writers) never lets a
request see half a change: a version loaded in the background is swapped in with no
request failing. ``ModelSlots`` is the server's set of slots by name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from loopline.deployment.split import TrafficSplit
from loopline.errors import did_you_mean
from loopline.serving.errors import ModelNotServed, RequestRejected
from loopline.serving.served import ServedModel


@dataclass(frozen=True)
class Routing:
    """Who answers requests for one model name. ``choose`` takes the request's routing key (an
    entity key, when there is one) so that a canary's traffic split keeps a key on one version;
    a ``shadow`` gets a copy of each request and its answers are never returned."""

    primary: ServedModel
    canary: ServedModel | None = None
    split: TrafficSplit | None = None
    shadow: ServedModel | None = None

    def choose(self, key: str | None = None) -> ServedModel:
        if self.canary is not None and self.split is not None and self.split.to_candidate(key):
            return self.canary
        return self.primary

    def models(self) -> tuple[ServedModel, ...]:
        return tuple(m for m in (self.primary, self.canary, self.shadow) if m is not None)


class ModelSlot:
    """The routing and the loaded versions of one model name."""

    def __init__(self, routing: Routing) -> None:
        self.name = routing.primary.name
        self._routing = routing
        self._versions: dict[int, ServedModel] = {m.version: m for m in routing.models()}
        self._lock = threading.Lock()

    @property
    def routing(self) -> Routing:
        return self._routing

    def choose(self, key: str | None = None) -> ServedModel:
        return self._routing.choose(key)

    def swap(self, routing: Routing) -> Routing:
        """Put ``routing`` in place (its versions become addressable); returns the routing it replaced."""
        if any(m.name != self.name for m in routing.models()):
            raise ValueError(f"a routing for slot '{self.name}' may only hold versions of '{self.name}'")
        with self._lock:
            previous = self._routing
            self._versions = {**self._versions, **{m.version: m for m in routing.models()}}
            self._routing = routing
            return previous

    def retire(self, version: int) -> None:
        """Forget a loaded version that the current routing no longer uses."""
        with self._lock:
            if version in {m.version for m in self._routing.models()}:
                raise ValueError(f"{self.name}/{version} still answers requests; swap it out first")
            self._versions = {v: m for v, m in self._versions.items() if v != version}

    def version(self, version: int) -> ServedModel:
        found = self._versions.get(version)
        if found is None:
            loaded = ", ".join(str(v) for v in sorted(self._versions))
            raise ModelNotServed(f"version {version} of model '{self.name}' is not served here (loaded: {loaded})")
        return found

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._versions))


class ModelSlots(Mapping[str, ModelSlot]):
    """The server's slots by model name."""

    def __init__(self, models: list[ServedModel] | tuple[ServedModel, ...] = ()) -> None:
        self._slots: dict[str, ModelSlot] = {}
        for model in models:
            self.add(model)

    def add(self, model: ServedModel) -> ModelSlot:
        if model.name in self._slots:
            raise ValueError(f"model '{model.name}' is served already; swap its slot's routing instead")
        slot = ModelSlot(Routing(model))
        self._slots = {**self._slots, model.name: slot}
        return slot

    def __getitem__(self, name: str) -> ModelSlot:
        found = self._slots.get(name)
        if found is None:
            hint = did_you_mean(name, self._slots) or f"this server serves: {', '.join(self._slots) or 'nothing'}"
            raise ModelNotServed(f"model '{name}' is not served here", hint=hint)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def only(self) -> ModelSlot:
        """The one slot, for routes that do not name a model; an error naming the choices otherwise."""
        if len(self._slots) == 1:
            return next(iter(self._slots.values()))
        names = ", ".join(self._slots)
        raise RequestRejected(
            f"this server serves several models ({names}); say which one",
            problems=[{"message": f"name the model: one of {names}"}],
            hint='add "model": "NAME" to the body, or ?model=NAME to the URL',
        )


__all__ = ["ModelSlot", "ModelSlots", "Routing"]
