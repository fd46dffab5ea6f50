"""The leader lease: one row in the metadata database that makes exactly one agent the leader.

An agent acquires or renews the lease in one write transaction by compare-and-set: it takes a
missing or expired lease (bumping ``term``) or extends its own; any other holder's live lease
leaves it a follower. The row is read ``FOR UPDATE`` (PostgreSQL) or under ``BEGIN IMMEDIATE``
(SQLite), so two agents never both win. ``term`` is a fencing token: every trigger write checks,
in its own transaction, that the writer still holds the lease at that term and that it has not
expired (``require_lease``), so a leader that stalled past its lease can no longer record a firing.
Expiry is judged by each agent's clock (UTC); agents on several machines need synchronised clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from loopline.errors import ConflictError, InvalidInputError
from loopline.metadata import tables
from loopline.metadata.opened import OpenedStore
from loopline.triggers.records import Lease

DEFAULT_LEASE = "agent"


class LeaseLost(ConflictError):
    """The writer no longer holds the leader lease (it expired, or another agent took it)."""


class LeaseStore(OpenedStore):
    """Acquire, renew, read and release the leader lease."""

    label = "agent lease"

    def acquire(self, holder: str, ttl_s: float, *, name: str = DEFAULT_LEASE) -> Lease | None:
        """Take or renew the lease for ``ttl_s`` seconds; None while another holder's lease is live."""
        if not ttl_s > 0:
            raise InvalidInputError(f"the lease time must be above 0 seconds, got {ttl_s!r}")
        db = self._require_open()
        t = tables.agent_leases

        def work(conn: Connection) -> Lease | None:
            now = datetime.now(UTC)
            expires = now + timedelta(seconds=ttl_s)
            row = conn.execute(select(t).where(t.c.name == name).with_for_update()).first()
            if row is None:
                conn.execute(insert(t).values(name=name, holder=holder, term=1, acquired_at=now, expires_at=expires))
                return Lease(name, holder, 1, expires)
            live = row.expires_at > now
            if live and row.holder != holder:
                return None
            term = row.term if live else row.term + 1
            values: dict[str, Any] = {"holder": holder, "term": term, "expires_at": expires}
            if not live:
                values["acquired_at"] = now
            changed = conn.execute(update(t).where(t.c.name == name, t.c.term == row.term, t.c.holder == row.holder)
                                   .values(**values)).rowcount
            return Lease(name, holder, term, expires) if changed == 1 else None

        try:
            return db.write(work)
        except DatabaseIntegrityError:  # another agent inserted the first lease row at the same moment
            return None

    def current(self, *, name: str = DEFAULT_LEASE) -> Lease | None:
        """The lease as stored (live or expired), or None if no agent ever held it."""
        db = self._require_open()
        t = tables.agent_leases
        row = db.read(lambda conn: conn.execute(select(t).where(t.c.name == name)).first())
        return None if row is None else Lease(row.name, row.holder, row.term, row.expires_at)

    def release(self, lease: Lease) -> bool:
        """End ``lease`` now, so another agent need not wait for it to expire. False if it was no longer ours."""
        db = self._require_open()
        t = tables.agent_leases
        now = datetime.now(UTC)
        return db.write(lambda conn: conn.execute(
            update(t).where(t.c.name == lease.name, t.c.holder == lease.holder, t.c.term == lease.term)
            .values(expires_at=now)).rowcount == 1)


def require_lease(conn: Connection, lease: Lease) -> None:
    """Inside a write transaction: stop unless ``lease`` is still live and still ours (the row stays locked)."""
    t = tables.agent_leases
    row = conn.execute(select(t).where(t.c.name == lease.name).with_for_update()).first()
    if row is None or row.holder != lease.holder or row.term != lease.term or row.expires_at <= datetime.now(UTC):
        raise LeaseLost(f"agent {lease.holder} no longer holds the leader lease (term {lease.term})",
                        hint="another agent leads now; this one will try to take the lease again")


__all__ = ["DEFAULT_LEASE", "LeaseLost", "LeaseStore", "require_lease"]
