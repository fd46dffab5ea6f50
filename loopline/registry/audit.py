"""The audit log: append-only, hash-chained, one event per governed action.

Each event's ``hash`` is the sha256 of the previous event's hash followed by the event's
canonical JSON (sequence number, time, actor, action, target, reason, details; sorted keys,
no spaces). The first event follows ``GENESIS_HASH``. A one-row table, ``audit_head``, holds
the newest event's number and hash: every append locks that row (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite write transactions are serial already), so two processes never both
extend the same event and the chain never forks. The head also lets ``verify`` notice
events cut from the end of the log.

``append_audit(conn, ...)`` joins the caller's write transaction, so an action and its
audit event commit together or not at all. Other packages (deployment, triggers) use it
the same way, or ``AuditLog.append`` for an event of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from loopline.errors import IntegrityError, InvalidInputError
from loopline.metadata import tables
from loopline.metadata.engine import Database
from loopline.registry.records import AuditEvent, AuditVerification

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""

MAX_DETAILS_BYTES = 64_000
_HEAD_ID = 1
_VERIFY_BATCH = 1_000


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no NaN: equal values always give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(prev_hash: str, *, seq: int, at: datetime, actor: str, action: str, target: str, reason: str,
               details_json: str) -> str:
    """The hash an event with this content must carry when it follows ``prev_hash``.

    ``details_json`` is the stored text of the details, hashed as it is.
    """
    body = canonical_json({
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "reason": reason,
    })
    return hashlib.sha256(f"{prev_hash}\n{body}\n{details_json}".encode()).hexdigest()


def details_text(details: Mapping[str, Any] | None) -> str:
    """``details`` as canonical JSON (dates and other objects as text), size-bounded."""
    if details is None:
        return "{}"
    if not isinstance(details, Mapping):
        raise InvalidInputError(f"audit details must be a mapping, got {type(details).__name__}")
    try:
        plain = json.loads(json.dumps(dict(details), default=str, allow_nan=False))
    except ValueError as exc:
        raise InvalidInputError(f"audit details are not JSON: {exc}", hint="replace NaN and infinities") from None
    text = canonical_json(plain)
    if len(text.encode()) > MAX_DETAILS_BYTES:
        raise InvalidInputError(f"audit details take {len(text.encode())} bytes; the limit is {MAX_DETAILS_BYTES}")
    return text


def _require_text(value: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidInputError(f"the audit event's {what} must be text of 1 to {limit} characters, got {value!r}")
    return value


def append_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target: str,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event inside the caller's write transaction (it commits with the caller's change).

    ``action`` is a dotted verb (``model.promote``, ``deployment.rollout``); ``target`` names
    what was acted on (``model:bikes@production``); ``reason`` is the why a person gave.
    """
    _require_text(actor, "actor", 255)
    _require_text(action, "action", 64)
    _require_text(target, "target", 255)
    if not isinstance(reason, str):
        raise InvalidInputError(f"the audit event's reason must be text, got {reason!r}")
    text = details_text(details)
    head = tables.audit_head
    row = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == _HEAD_ID).with_for_update()).first()
    if row is None:
        raise IntegrityError(
            "the audit log has no head row (audit_head), so no event can be chained to it",
            hint="the table was emptied by hand; run 'loopline audit verify' and restore the database from a backup",
        )
    seq, at = row.seq + 1, datetime.now(UTC)
    digest = event_hash(row.hash, seq=seq, at=at, actor=actor, action=action, target=target, reason=reason,
                        details_json=text)
    conn.execute(insert(tables.audit_events).values(
        seq=seq, at=at, actor=actor, action=action, target=target, reason=reason, details=text,
        prev_hash=row.hash, hash=digest,
    ))
    conn.execute(update(head).where(head.c.id == _HEAD_ID).values(seq=seq, hash=digest))
    return AuditEvent(seq, at, actor, action, target, reason, json.loads(text), row.hash, digest)


def event_from_row(row: Any) -> AuditEvent:
    """The event a row holds; details that are no longer JSON (an edit) come back as ``{"_raw": text}``."""
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"_raw": row.details}
    return AuditEvent(row.seq, row.at, row.actor, row.action, row.target, row.reason,
                      details if isinstance(details, dict) else {"_raw": row.details}, row.prev_hash, row.hash)


def row_is_intact(row: Any) -> bool:
    """Whether one row's content still matches its own hash (its place in the chain not checked)."""
    return bool(row.hash == event_hash(row.prev_hash, seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                                       target=row.target, reason=row.reason, details_json=row.details))


def verify_chain(conn: Connection) -> AuditVerification:
    """Walk every event in order; name the first one edited, deleted before, or out of order."""
    events = tables.audit_events
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    last_seq = 0
    while True:
        rows = conn.execute(
            select(events).where(events.c.seq >= expected_seq).order_by(events.c.seq).limit(_VERIFY_BATCH)
        ).all()
        for row in rows:
            problem = _problem(row, expected_seq, prev)
            if problem is not None:
                return AuditVerification(checked, min(row.seq, expected_seq), problem)
            checked += 1
            expected_seq, prev, last_seq = row.seq + 1, row.hash, row.seq
        if len(rows) < _VERIFY_BATCH:
            break
    return _check_head(conn, checked, last_seq, prev)


def _problem(row: Any, expected_seq: int, prev: str) -> str | None:
    if row.seq > expected_seq:
        missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq} to {row.seq - 1}"
        return f"event {missing} is missing: the log jumps from {expected_seq - 1} to {row.seq} (deleted rows)"
    if row.prev_hash != prev:
        return (f"event {row.seq} does not follow event {row.seq - 1}: its prev_hash is not that event's hash "
                "(an event before it was deleted or replaced, or the rows were reordered)")
    if not row_is_intact(row):
        return f"event {row.seq} was edited: its content no longer matches its hash"
    return None


def _check_head(conn: Connection, checked: int, last_seq: int, last_hash: str) -> AuditVerification:
    head = conn.execute(select(tables.audit_head).where(tables.audit_head.c.id == _HEAD_ID)).first()
    if head is None:
        return AuditVerification(checked, last_seq + 1, "the audit head row is missing (audit_head was emptied)")
    if head.seq > last_seq:
        return AuditVerification(
            checked, last_seq + 1,
            f"the log ends at event {last_seq} but its head records event {head.seq}: events were cut from the end",
        )
    if head.seq != last_seq or head.hash != last_hash:
        return AuditVerification(
            checked, head.seq if head.seq else None,
            f"the audit head (event {head.seq}) does not match the newest event ({last_seq}): it was edited",
        )
    return AuditVerification(checked)


class AuditLog:
    """Append to, list and verify the audit log, each call one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, *, actor: str, action: str, target: str, reason: str = "",
               details: Mapping[str, Any] | None = None) -> AuditEvent:
        """Append one event in a transaction of its own."""
        return self._db.write(lambda conn: append_audit(
            conn, actor=actor, action=action, target=target, reason=reason, details=details
        ))

    def list(self, *, limit: int = 50, before: int | None = None, action: str | None = None,
             target: str | None = None, actor: str | None = None) -> list[AuditEvent]:
        """Events newest first; ``before`` pages back from a sequence number; filters match exactly,
        except ``action`` ending in ``.`` which matches a prefix (``model.``)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise InvalidInputError(f"limit must be an integer from 1 to 10000, got {limit!r}")
        e = tables.audit_events
        query = select(e).order_by(e.c.seq.desc()).limit(limit)
        if before is not None:
            query = query.where(e.c.seq < before)
        if action is not None:
            prefix = action.endswith(".")
            query = query.where(e.c.action.startswith(action, autoescape=True) if prefix else e.c.action == action)
        if target is not None:
            query = query.where(e.c.target == target)
        if actor is not None:
            query = query.where(e.c.actor == actor)
        return self._db.read(lambda conn: [event_from_row(row) for row in conn.execute(query)])

    def verify(self) -> AuditVerification:
        """Walk the whole chain (in batches) and report the first bad event, if any."""
        return self._db.read(verify_chain)


__all__ = [
    "GENESIS_HASH",
    "AuditLog",
    "append_audit",
    "canonical_json",
    "details_text",
    "event_from_row",
    "event_hash",
    "row_is_intact",
    "verify_chain",
]
