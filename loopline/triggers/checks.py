"""What each trigger kind looks at, and whether it should fire now.

A check reads the trigger's saved cursor and returns a ``Candidate``: fire (with a
de-duplication key naming exactly what is new) or only move the cursor on, or None when
nothing changed. The first look at a trigger records a baseline and fires nothing, so starting
an agent on an old workspace does not replay its history: the schedule counts from that
moment, files and rows already there and alert events already raised are taken as seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from loopline.config import TriggerSection, resolve_path
from loopline.triggers.cron import CronSchedule
from loopline.triggers.records import Candidate, TriggerState

FIRING = "firing"  # the alert state that starts a run (monitoring's FIRING)
_SHOWN = 5  # names listed in a reason before "and N more"
_PAGE = 1000


class AlertEventLike(Protocol):
    id: int
    rule: str
    state: str
    window_key: str
    metric: str
    value: float | None


class AlertSource(Protocol):
    """Where alert events are read, oldest first (``loopline.monitoring.MonitorStore``). Triggers and
    monitoring are sibling packages of one layer, so triggers name only this one method."""

    def alert_events(self, *, rule: str | None = None, after_id: int | None = None,
                     limit: int = 1000) -> Sequence[AlertEventLike]: ...


class TriggerChecks:
    """Runs the check of each kind; holds the folder paths resolve against and the stores checks read."""

    def __init__(self, root: Path, *, metadata_url: str, alerts: AlertSource | None = None) -> None:
        self.root = root
        self.metadata_url = metadata_url
        self.alerts = alerts
        self._engines: dict[str, Any] = {}
        self._checks: dict[str, Callable[[TriggerSection, Mapping[str, Any] | None, datetime], Candidate | None]] = {
            "schedule": self._schedule, "new_data": self._new_data, "alert": self._alert,
        }

    def check(self, section: TriggerSection, state: TriggerState | None,
              now: datetime | None = None) -> Candidate | None:
        """The trigger's candidate firing at ``now``; manual triggers never fire by themselves."""
        check = self._checks.get(section.kind)
        if check is None:
            return None
        return check(section, None if state is None else state.cursor, now or datetime.now(UTC))

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    # -- kinds -----------------------------------------------------------------------------

    def _schedule(self, section: TriggerSection, cursor: Mapping[str, Any] | None, now: datetime) -> Candidate | None:
        schedule = CronSchedule.parse(section.cron or "")
        if cursor is None:
            return Candidate(cursor={"at": now.isoformat()})
        due = schedule.latest_until(datetime.fromisoformat(cursor["at"]), now)
        if due is None:
            return None
        return Candidate(cursor={"at": now.isoformat()}, dedup_key=f"schedule:{due.isoformat()}",
                         reason=f"schedule '{schedule.expression}' came due at {due.isoformat()}",
                         details={"due": due.isoformat()})

    def _new_data(self, section: TriggerSection, cursor: Mapping[str, Any] | None, now: datetime) -> Candidate | None:
        if section.table is not None:
            return self._new_rows(section, cursor)
        folder = resolve_path(self.root, section.path or ".")
        files = sorted(str(p.relative_to(folder)) for p in folder.glob(section.glob) if p.is_file()) \
            if folder.is_dir() else []
        if cursor is None:
            return Candidate(cursor={"files": files})
        new = sorted(set(files) - set(cursor.get("files", [])))
        if not new:
            return None
        digest = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
        return Candidate(cursor={"files": files}, dedup_key=f"files:{len(new)}:{digest}",
                         reason=f"{len(new)} new file(s) in {folder}: {_listed(new)}",
                         details={"folder": str(folder), "new_files": new})

    def _new_rows(self, section: TriggerSection, cursor: Mapping[str, Any] | None) -> Candidate | None:
        from sqlalchemy import column, func, select, table

        url = section.url or self.metadata_url
        if url not in self._engines:
            from sqlalchemy import create_engine

            self._engines[url] = create_engine(url)
        schema, _, name = (section.table or "").rpartition(".")
        source = table(name, column(section.column), schema=schema or None)
        with self._engines[url].connect() as conn:
            newest = conn.execute(select(func.max(source.c[section.column]))).scalar()
        mark = None if newest is None else str(newest)
        if cursor is None or mark is None or mark == cursor.get("max"):
            return None if cursor is not None else Candidate(cursor={"max": mark})
        return Candidate(cursor={"max": mark}, dedup_key=f"rows:{section.table}:{mark}",
                         reason=f"new rows in {section.table}: {section.column} went from "
                                f"{cursor.get('max')} to {mark}",
                         details={"table": section.table, "column": section.column, "from": cursor.get("max"),
                                  "to": mark})

    def _alert(self, section: TriggerSection, cursor: Mapping[str, Any] | None, now: datetime) -> Candidate | None:
        if self.alerts is None:
            return None
        after = 0 if cursor is None else int(cursor.get("event_id", 0))
        events = []
        while True:
            page = list(self.alerts.alert_events(rule=section.rule, after_id=after, limit=_PAGE))
            events.extend(page)
            if len(page) < _PAGE:
                break
            after = page[-1].id
        if not events:
            return None if cursor is not None else Candidate(cursor={"event_id": 0})
        moved = {"event_id": events[-1].id}
        firing = [e for e in events if e.state == FIRING]
        if cursor is None or not firing:
            return Candidate(cursor=moved)
        names = sorted({e.rule for e in firing})
        return Candidate(cursor=moved, dedup_key=f"alert:{firing[-1].id}",
                         reason=f"alert {', '.join(names)} fired ({len(firing)} event(s), newest at window "
                                f"{firing[-1].window_key}: {firing[-1].metric} = {firing[-1].value})",
                         details={"events": [e.id for e in firing], "rules": names})


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


__all__ = ["FIRING", "AlertSource", "TriggerChecks"]
