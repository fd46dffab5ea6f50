"""Start the pipeline of a recorded firing, and fire a trigger by hand.

The pipeline is started through a ``RunPipeline`` callable (the workspace's ``run``, wrapped by
the caller), so triggers need not know how a workspace opens its stores. A firing is recorded
before its run starts and finished after: a process killed in between leaves the firing
``started`` with no run, and it is never started again (at most once, never twice).
"""

from __future__ import annotations

import getpass
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from loopline.config import TriggerSection
from loopline.errors import InvalidInputError, NotFoundError, did_you_mean
from loopline.triggers.records import Candidate, Firing, RunOutcome
from loopline.triggers.store import TriggerStore

RunPipeline = Callable[[str, Mapping[str, Any]], RunOutcome]
"""Runs pipeline NAME with PARAMS and reports the run's id and whether it succeeded."""

log = logging.getLogger("loopline.triggers")


def start_run(firing: Firing, run: RunPipeline, store: TriggerStore,
              clock: Callable[[], datetime] | None = None) -> Firing:
    """Run the firing's pipeline and link the run to it; a failing run is recorded, never raised."""
    try:
        outcome = run(firing.pipeline, firing.params)
    except Exception as exc:  # the run's own failure belongs in the firing record, the agent carries on
        log.exception("trigger %s: pipeline %s failed to run", firing.trigger, firing.pipeline)
        outcome = RunOutcome(run_id=None, ok=False, error=f"{type(exc).__name__}: {exc}")
    return store.finish(firing.id, outcome, now=None if clock is None else clock())


def expand_params(params: Mapping[str, Any], *, fired_at: datetime) -> dict[str, Any]:
    """``params`` with ``{fired_at}`` placeholders in text values filled in (``{fired_at:%Y-%m-%d}``).

    A pipeline started by a trigger thus sees the moment it fired, e.g. to train on the data
    available up to then: ``params = { "split.data_end" = "{fired_at:%Y-%m-%d}" }``.
    """
    expanded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and "{" in value:
            try:
                value = value.format(fired_at=fired_at)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                raise InvalidInputError(
                    f"trigger parameter '{key}' = {value!r} is not a valid template: {exc}",
                    hint="the only placeholder is {fired_at}, with a strftime format: {fired_at:%Y-%m-%d}; "
                         "write {{ and }} for literal braces") from None
        expanded[key] = value
    return expanded


def fire_manually(name: str, triggers: Mapping[str, TriggerSection], *, store: TriggerStore, run: RunPipeline,
                  user: str | None = None, force: bool = False,
                  params: Mapping[str, Any] | None = None, now: datetime | None = None) -> Firing:
    """Fire trigger ``name`` now (any kind), respecting its cooldown unless ``force``; then run its pipeline."""
    section = trigger_named(name, triggers)
    moment = now or datetime.now(UTC)
    who = user or getpass.getuser()
    candidate = Candidate(cursor={}, dedup_key=f"manual:{uuid.uuid4().hex}", reason=f"fired by hand by {who}",
                          details={"forced": force})
    firing = store.record(name, kind="manual", candidate=candidate, pipeline=section.pipeline,
                          params=expand_params({**section.params, **(params or {})}, fired_at=moment),
                          fired_by=who, cooldown_s=0.0 if force else section.cooldown_s, check_revision=False,
                          now=moment)
    return start_run(firing, run, store, clock=None if now is None else (lambda: moment))


def trigger_named(name: str, triggers: Mapping[str, TriggerSection]) -> TriggerSection:
    if name not in triggers:
        known = f"triggers here: {', '.join(sorted(triggers))}" if triggers else \
            "declare one as [triggers.NAME] in loopline.toml"
        hint = did_you_mean(name, triggers) or known
        raise NotFoundError(f"no trigger named '{name}'", hint=hint)
    return triggers[name]


__all__ = ["RunPipeline", "expand_params", "fire_manually", "start_run", "trigger_named"]
