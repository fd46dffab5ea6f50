"""The agent: a loop that, while it holds the leader lease, runs its chores and checks every trigger.

Several agents may run against one metadata database; each tick, each tries to take or renew
the lease, and only the holder works. A leader that dies stops renewing, so another agent
takes over at most ``lease_s`` (plus one ``interval_s``) later. A trigger's firing is recorded
with a fencing check on the lease and a unique de-duplication key, so no trigger starts a run
twice, whoever leads. While a pipeline runs, a heartbeat thread keeps renewing the lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from loopline.config import TriggerSection
from loopline.errors import ConflictError, InvalidInputError, LooplineError
from loopline.triggers.checks import TriggerChecks
from loopline.triggers.firing import RunPipeline, expand_params, start_run
from loopline.triggers.lease import LeaseStore
from loopline.triggers.records import Firing, Lease
from loopline.triggers.store import TriggerStore

log = logging.getLogger("loopline.triggers")


def agent_id() -> str:
    """A name for this agent process, unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Tick:
    """What one pass of the loop did."""

    leader: bool
    firings: tuple[Firing, ...] = ()
    errors: tuple[str, ...] = field(default=())


class Agent:
    """Checks ``triggers`` while it leads; ``chores`` (e.g. running monitors) run first on each leading tick.

    ``clock`` gives the time triggers are checked and fired at (default: the system clock); a
    replay of past data passes its simulated clock, so schedules and cooldowns follow it.
    """

    def __init__(self, triggers: Mapping[str, TriggerSection], *, store: TriggerStore, leases: LeaseStore,
                 checks: TriggerChecks, run: RunPipeline, holder: str | None = None, lease_s: float = 30.0,
                 interval_s: float = 5.0, chores: Sequence[Callable[[], None]] = (),
                 clock: Callable[[], datetime] | None = None) -> None:
        if not 0 < interval_s < lease_s:
            raise InvalidInputError(
                f"the agent's interval ({interval_s:g} s) must be above 0 and shorter than its lease ({lease_s:g} s)",
                hint="renew well within the lease: an interval of a third of the lease or less")
        self.triggers = dict(triggers)
        self.store = store
        self.leases = leases
        self.checks = checks
        self.run = run
        self.holder = holder or agent_id()
        self.lease_s = lease_s
        self.interval_s = interval_s
        self.chores = tuple(chores)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lease: Lease | None = None

    def tick(self) -> Tick:
        """Take or renew the lease; if this agent leads, run the chores and check every trigger once."""
        self.lease = self.leases.acquire(self.holder, self.lease_s)
        if self.lease is None:
            return Tick(leader=False)
        errors: list[str] = []
        for chore in self.chores:
            try:
                chore()
            except Exception as exc:  # one failing chore must not stop the triggers
                log.exception("agent chore failed")
                errors.append(f"chore: {type(exc).__name__}: {exc}")
        firings = []
        for name, section in sorted(self.triggers.items()):
            if section.kind == "manual":
                continue
            try:
                firing = self.check_trigger(name, section)
            except LooplineError as exc:
                log.warning("trigger %s: %s", name, exc.message)
                errors.append(f"{name}: {exc.message}")
                continue
            except Exception as exc:  # a broken folder or table must not stop the other triggers
                log.exception("trigger %s failed to check", name)
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if firing is not None:
                firings.append(firing)
        return Tick(leader=True, firings=tuple(firings), errors=tuple(errors))

    def check_trigger(self, name: str, section: TriggerSection) -> Firing | None:
        """Check one trigger; record and start its firing if it is due and out of its cooldown."""
        lease = self.lease
        if lease is None:
            return None
        state = self.store.state(name)
        now = self.clock()
        if state is not None and state.last_fired_at is not None and section.cooldown_s > 0 \
                and now < state.last_fired_at + timedelta(seconds=section.cooldown_s):
            return None  # what arrives meanwhile stays unseen, and fires once the cooldown ends
        candidate = self.checks.check(section, state, now)
        if candidate is None:
            return None
        expected = None if state is None else state.revision
        if candidate.dedup_key is None:
            self.store.save_cursor(name, candidate.cursor, expected_revision=expected, lease=lease)
            return None
        try:
            firing = self.store.record(name, kind=section.kind, candidate=candidate, pipeline=section.pipeline,
                                       params=expand_params(section.params, fired_at=now), fired_by=self.holder,
                                       cooldown_s=section.cooldown_s, expected_revision=expected, lease=lease,
                                       now=now)
        except ConflictError as exc:
            log.info("trigger %s: not fired: %s", name, exc.message)
            return None
        log.info("trigger %s fired: %s", name, firing.reason)
        with self._heartbeat():
            return start_run(firing, self.run, self.store, clock=self.clock)

    def run_forever(self, stop: threading.Event | None = None, *,
                    on_tick: Callable[[Tick], None] | None = None) -> None:
        """Tick every ``interval_s`` until ``stop`` is set; then give the lease up so another agent leads at once."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                try:
                    tick = self.tick()
                except LooplineError as exc:  # the database is unreachable for a while: keep trying
                    log.warning("agent tick failed: %s", exc.message)
                    tick = Tick(leader=False, errors=(exc.message,))
                if on_tick is not None:
                    on_tick(tick)
                stop.wait(self.interval_s)
        finally:
            if self.lease is not None:
                self.leases.release(self.lease)

    @contextmanager
    def _heartbeat(self) -> Iterator[None]:
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.lease_s / 3):
                try:
                    self.lease = self.leases.acquire(self.holder, self.lease_s)
                except LooplineError as exc:
                    log.warning("lease renewal failed: %s", exc.message)

        beat = threading.Thread(target=renew, name="loopline-lease-heartbeat", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()
            beat.join()


__all__ = ["Agent", "Tick", "agent_id"]
