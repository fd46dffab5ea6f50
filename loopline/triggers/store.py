"""Where triggers keep their state and their firings: two tables of the metadata database.

A firing is recorded in one transaction with the trigger's new cursor and cooldown stamp:
the leader lease is checked (when an agent writes), the trigger's state is compared and set
on its revision, the cooldown is checked against the last firing, and the firing row is
inserted under a unique (trigger, de-duplication key). Whatever races, the same firing is
recorded once: the loser gets ConflictError and nothing is written. The run the firing
started is linked to it afterwards (``finish``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from loopline.errors import ConflictError, InvalidInputError
from loopline.metadata import tables
from loopline.metadata.opened import OpenedStore
from loopline.metadata.predictions import plain_json
from loopline.triggers.lease import require_lease
from loopline.triggers.records import FAILED, STARTED, SUCCEEDED, Candidate, Firing, Lease, RunOutcome, TriggerState

MAX_PAGE = 10_000


class CooldownActive(ConflictError):
    """The trigger fired less than its cooldown ago."""


class TriggerStore(OpenedStore):
    """Each trigger's state, and every firing."""

    label = "trigger store"

    def state(self, trigger: str) -> TriggerState | None:
        db = self._require_open()
        s = tables.trigger_states
        return db.read(lambda conn: _state(conn.execute(select(s).where(s.c.trigger == trigger)).first()))

    def save_cursor(self, trigger: str, cursor: Mapping[str, Any], *, expected_revision: int | None,
                    lease: Lease | None = None) -> TriggerState:
        """Move the trigger's cursor on without firing (its first look, or events that start nothing)."""
        db = self._require_open()

        def work(conn: Connection) -> TriggerState:
            if lease is not None:
                require_lease(conn, lease)
            current = _locked_state(conn, trigger)
            return _write_state(conn, trigger, cursor, current, expected_revision, fired_at=None)

        return self._write(trigger, work)

    def record(self, trigger: str, *, kind: str, candidate: Candidate, pipeline: str, params: Mapping[str, Any],
               fired_by: str, cooldown_s: float = 0.0, expected_revision: int | None = None,
               check_revision: bool = True, lease: Lease | None = None, now: datetime | None = None) -> Firing:
        """Record a firing (status ``started``) and the trigger's new state, all or nothing.

        ``now`` is the firing's time (default: the clock); a replay passes its simulated time."""
        if not candidate.dedup_key:
            raise InvalidInputError(f"a firing of trigger '{trigger}' needs a de-duplication key")
        db = self._require_open()
        f = tables.trigger_firings
        row = {"trigger": trigger, "kind": kind, "dedup_key": candidate.dedup_key[:255], "reason": candidate.reason,
               "details": plain_json(dict(candidate.details)), "pipeline": pipeline, "params": plain_json(dict(params)),
               "status": STARTED, "fired_by": fired_by}

        def work(conn: Connection) -> Firing:
            if lease is not None:
                require_lease(conn, lease)
            moment = now or datetime.now(UTC)
            current = _locked_state(conn, trigger)
            if current is not None and current.last_fired_at is not None and cooldown_s > 0:
                ready = current.last_fired_at + timedelta(seconds=cooldown_s)
                if moment < ready:
                    raise CooldownActive(
                        f"trigger '{trigger}' fired at {current.last_fired_at.isoformat()}; its cooldown of "
                        f"{cooldown_s:g} s ends at {ready.isoformat()}",
                        hint="wait for the cooldown to end, fire it by hand with --force, "
                             "or lower cooldown_s in [triggers.*]")
            expected = expected_revision if check_revision else (current.revision if current else None)
            _write_state(conn, trigger, candidate.cursor if check_revision else (current.cursor if current else {}),
                         current, expected, fired_at=moment)
            new_id = conn.execute(insert(f).values(**row, fired_at=moment).returning(f.c.id)).scalar_one()
            return _firing({**row, "id": new_id, "fired_at": moment})

        return self._write(trigger, work, dedup_key=candidate.dedup_key)

    def finish(self, firing_id: int, outcome: RunOutcome, *, now: datetime | None = None) -> Firing:
        """Link the firing to the run it started and record how that run ended (at ``now``, default the clock)."""
        db = self._require_open()
        f = tables.trigger_firings

        def work(conn: Connection) -> Firing:
            conn.execute(update(f).where(f.c.id == firing_id).values(
                run_id=outcome.run_id, status=SUCCEEDED if outcome.ok else FAILED, error=outcome.error,
                finished_at=now or datetime.now(UTC)))
            found = conn.execute(select(f).where(f.c.id == firing_id)).first()
            if found is None:
                raise InvalidInputError(f"no trigger firing with id {firing_id}")
            return _firing(found._mapping)

        return db.write(work)

    def firings(self, *, trigger: str | None = None, limit: int = 100, newest_first: bool = True) -> list[Firing]:
        db = self._require_open()
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")
        f = tables.trigger_firings
        query = select(f).order_by(f.c.id.desc() if newest_first else f.c.id).limit(limit)
        if trigger is not None:
            query = query.where(f.c.trigger == trigger)
        return db.read(lambda conn: [_firing(r._mapping) for r in conn.execute(query)])

    def _write(self, trigger: str, work: Any, *, dedup_key: str | None = None) -> Any:
        try:
            return self._require_open().write(work)
        except DatabaseIntegrityError:
            what = f"firing '{dedup_key}'" if dedup_key else "state"
            raise ConflictError(f"trigger '{trigger}': {what} was already recorded by another process",
                                hint="nothing was recorded by this call; the other record stands") from None


def _locked_state(conn: Connection, trigger: str) -> TriggerState | None:
    s = tables.trigger_states
    return _state(conn.execute(select(s).where(s.c.trigger == trigger).with_for_update()).first())


def _write_state(conn: Connection, trigger: str, cursor: Mapping[str, Any], current: TriggerState | None,
                 expected_revision: int | None, *, fired_at: datetime | None) -> TriggerState:
    s = tables.trigger_states
    now = datetime.now(UTC)
    stale = ConflictError(f"trigger '{trigger}' was evaluated by another process at the same time",
                          hint="nothing was recorded by this call; evaluate the trigger again")
    if current is None:
        if expected_revision is not None:
            raise stale
        conn.execute(insert(s).values(trigger=trigger, cursor=plain_json(dict(cursor)), last_fired_at=fired_at,
                                      revision=1, updated_at=now))
        return TriggerState(trigger, dict(cursor), fired_at, 1)
    if expected_revision != current.revision:
        raise stale
    last = fired_at or current.last_fired_at
    conn.execute(update(s).where(s.c.trigger == trigger, s.c.revision == current.revision).values(
        cursor=plain_json(dict(cursor)), last_fired_at=last, revision=current.revision + 1, updated_at=now))
    return TriggerState(trigger, dict(cursor), last, current.revision + 1)


def _state(row: Any) -> TriggerState | None:
    if row is None:
        return None
    return TriggerState(row.trigger, dict(row.cursor), row.last_fired_at, row.revision)


def _firing(row: Mapping[str, Any]) -> Firing:
    return Firing(id=int(row["id"]), trigger=row["trigger"], kind=row["kind"], dedup_key=row["dedup_key"],
                  reason=row["reason"], pipeline=row["pipeline"], params=dict(row["params"]), status=row["status"],
                  fired_by=row["fired_by"], fired_at=row["fired_at"], details=dict(row["details"]),
                  run_id=row.get("run_id"), error=row.get("error"), finished_at=row.get("finished_at"))


__all__ = ["CooldownActive", "MAX_PAGE", "TriggerStore"]
