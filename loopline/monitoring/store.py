"""Where monitor results and alert states live: three tables of the metadata database.

``MonitorStore(url).open()`` opens its own connection pool and brings the schema up to
date, like ``PredictionLog``. Each method is one transaction. Saving windows replaces the
stored rows of the same (monitor, window key), so re-running a monitor never duplicates a
window (two runs saving the same new window at once: the unique key stops the second, which
then replaces the first's rows). An alert's state changes by compare-and-set on its revision, in the same
transaction as the event that records the change: of two processes judging the same rule
at once, one records the event and the other gets ConflictError with nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from loopline.errors import ConflictError, InvalidInputError
from loopline.metadata import tables
from loopline.metadata.opened import OpenedStore
from loopline.metadata.predictions import plain_json
from loopline.monitoring.records import AlertEvent, AlertState
from loopline.monitoring.results import WindowResult

MAX_PAGE = 100_000
SAVE_ATTEMPTS = 3


class MonitorStore(OpenedStore):
    """Windows of every monitor, and the state and events of every alert rule."""

    label = "monitor store"

    # -- windows ---------------------------------------------------------------------------

    def save_windows(self, results: Sequence[WindowResult]) -> int:
        """Store ``results``, replacing the stored rows of the same windows, in one transaction."""
        db = self._require_open()
        if not results:
            return 0
        now = datetime.now(UTC)
        rows = [_window_row(r, now) for r in results]
        w = tables.monitor_windows

        def work(conn: Connection) -> int:
            for monitor in {r.monitor for r in results}:
                keys = [r.key for r in results if r.monitor == monitor]
                for start in range(0, len(keys), 500):
                    conn.execute(delete(w).where(w.c.monitor == monitor, w.c.window_key.in_(keys[start:start + 500])))
            conn.execute(insert(w), rows)
            return len(rows)

        for _ in range(SAVE_ATTEMPTS - 1):
            try:
                return db.write(work)
            except DatabaseIntegrityError:
                continue  # another run inserted the same windows meanwhile: replace them in turn
        return db.write(work)

    def windows(self, monitor: str, *, since: datetime | None = None, complete: bool | None = None,
                limit: int = 1000, newest_first: bool = False, before: datetime | None = None) -> list[WindowResult]:
        """The monitor's windows in time order (``since`` inclusive, ``before`` exclusive on the window start)."""
        db = self._require_open()
        _check_limit(limit)
        w = tables.monitor_windows
        order = (w.c.window_start.desc(), w.c.window_key.desc()) if newest_first else (w.c.window_start, w.c.window_key)
        query = select(w).where(w.c.monitor == monitor).order_by(*order).limit(limit)
        if since is not None:
            query = query.where(w.c.window_start >= since)
        if before is not None:
            query = query.where(w.c.window_start < before)
        if complete is not None:
            query = query.where(w.c.complete == int(complete))
        return db.read(lambda conn: [_window(row) for row in conn.execute(query)])

    def latest_window(self, monitor: str) -> WindowResult | None:
        """The window with the greatest key (the newest start, or the newest block of requests)."""
        db = self._require_open()
        w = tables.monitor_windows
        query = select(w).where(w.c.monitor == monitor).order_by(w.c.window_key.desc()).limit(1)
        return db.read(lambda conn: next((_window(r) for r in conn.execute(query)), None))

    def window_containing(self, monitor: str, prediction_id: int) -> WindowResult | None:
        db = self._require_open()
        w = tables.monitor_windows
        query = select(w).where(w.c.monitor == monitor, w.c.first_id <= prediction_id,
                                w.c.last_id >= prediction_id).limit(1)
        return db.read(lambda conn: next((_window(r) for r in conn.execute(query)), None))

    def last_prediction_id(self, monitor: str) -> int | None:
        """The id of the newest prediction any stored window of ``monitor`` holds."""
        db = self._require_open()
        w = tables.monitor_windows
        return db.read(lambda conn: conn.execute(select(func.max(w.c.last_id)).where(w.c.monitor == monitor)).scalar())

    def last_computed(self, monitor: str) -> datetime | None:
        db = self._require_open()
        w = tables.monitor_windows
        return db.read(lambda conn: conn.execute(select(func.max(w.c.computed_at))
                                                 .where(w.c.monitor == monitor)).scalar())

    def labelled_since(self, model: str, moment: datetime) -> list[tuple[int, datetime]]:
        """(id, event time) of the model's predictions that received feedback at or after ``moment``."""
        db = self._require_open()
        p, f = tables.predictions, tables.prediction_feedback
        query = (select(p.c.id, p.c.created_at).distinct()
                 .join(f, (f.c.request_id == p.c.request_id) & (f.c.row_index == p.c.row_index))
                 .where(p.c.model == model, f.c.created_at >= moment).order_by(p.c.id).limit(MAX_PAGE))
        return db.read(lambda conn: [(int(r.id), r.created_at) for r in conn.execute(query)])

    # -- alerts ----------------------------------------------------------------------------

    def alert_state(self, rule: str) -> AlertState | None:
        db = self._require_open()
        s = tables.alert_states
        return db.read(lambda conn: next((_state(r) for r in conn.execute(select(s).where(s.c.rule == rule))), None))

    def alert_states(self) -> list[AlertState]:
        db = self._require_open()
        s = tables.alert_states
        return db.read(lambda conn: [_state(r) for r in conn.execute(select(s).order_by(s.c.rule))])

    def advance(self, state: AlertState, *, expected_revision: int | None,
                events: Sequence[dict[str, Any]]) -> list[AlertEvent]:
        """Set the rule's state (if still at ``expected_revision``; None: no state yet) and add ``events``."""
        db = self._require_open()
        s, e = tables.alert_states, tables.alert_events
        now = datetime.now(UTC)
        values = {"monitor": state.monitor, "state": state.state, "streak": state.streak,
                  "as_of_start": state.as_of_start, "as_of_key": state.as_of_key, "updated_at": now}

        def work(conn: Connection) -> list[AlertEvent]:
            if expected_revision is None:
                conn.execute(insert(s).values(rule=state.rule, revision=1, **values))
            else:
                changed = conn.execute(update(s).where(s.c.rule == state.rule, s.c.revision == expected_revision)
                                       .values(revision=expected_revision + 1, **values)).rowcount
                if changed != 1:
                    raise ConflictError(f"alert rule '{state.rule}' was judged by another process at the same time",
                                        hint="nothing was recorded by this run; run the monitor again")
            stored = []
            for event in events:
                row = {**event, "evidence": plain_json(event["evidence"]), "created_at": now}
                new_id = conn.execute(insert(e).values(**row).returning(e.c.id)).scalar_one()
                stored.append(_event_from(dict(row, id=new_id)))
            return stored

        try:
            return db.write(work)
        except DatabaseIntegrityError:
            raise ConflictError(f"alert rule '{state.rule}' was judged by another process at the same time",
                                hint="nothing was recorded by this run; run the monitor again") from None

    def record_deliveries(self, event_id: int, deliveries: dict[str, Any]) -> None:
        db = self._require_open()
        e = tables.alert_events
        db.write(lambda conn: conn.execute(update(e).where(e.c.id == event_id)
                                           .values(deliveries=plain_json(deliveries))))

    def alert_events(self, *, rule: str | None = None, monitor: str | None = None, after_id: int | None = None,
                     limit: int = 1000) -> list[AlertEvent]:
        """Events oldest first; ``after_id`` lets a poller read only what is new since its cursor."""
        db = self._require_open()
        _check_limit(limit)
        e = tables.alert_events
        query = select(e).order_by(e.c.id).limit(limit)
        if rule is not None:
            query = query.where(e.c.rule == rule)
        if monitor is not None:
            query = query.where(e.c.monitor == monitor)
        if after_id is not None:
            query = query.where(e.c.id > after_id)
        return db.read(lambda conn: [_event_from(r._mapping) for r in conn.execute(query)])


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")


def _window_row(result: WindowResult, now: datetime) -> dict[str, Any]:
    return {
        "monitor": result.monitor, "model": result.model, "window_key": result.key, "window_start": result.start,
        "window_end": result.end, "first_id": result.first_id, "last_id": result.last_id, "rows": result.rows,
        "labelled": result.labelled, "complete": int(result.complete), "metrics": plain_json(dict(result.metrics)),
        "details": plain_json({**result.details, "versions": dict(result.versions)}), "computed_at": now,
    }


def _window(row: Any) -> WindowResult:
    details = dict(row.details)
    versions = details.pop("versions", {})
    return WindowResult(
        monitor=row.monitor, model=row.model, key=row.window_key, start=row.window_start, end=row.window_end,
        rows=row.rows, labelled=row.labelled, complete=bool(row.complete), versions=versions, details=details,
        metrics=dict(row.metrics), first_id=row.first_id, last_id=row.last_id, computed_at=row.computed_at,
    )


def _state(row: Any) -> AlertState:
    return AlertState(rule=row.rule, monitor=row.monitor, state=row.state, streak=row.streak,
                      as_of_start=row.as_of_start, as_of_key=row.as_of_key, revision=row.revision,
                      updated_at=row.updated_at)


def _event_from(row: Any) -> AlertEvent:
    return AlertEvent(
        id=int(row["id"]), rule=row["rule"], monitor=row["monitor"], model=row["model"], state=row["state"],
        window_key=row["window_key"], window_start=row["window_start"], metric=row["metric"], value=row["value"],
        threshold=float(row["threshold"]), evidence=dict(row["evidence"]), created_at=row["created_at"],
        deliveries=None if row.get("deliveries") is None else dict(row["deliveries"]),
    )


__all__ = ["MAX_PAGE", "MonitorStore"]
