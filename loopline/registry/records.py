"""The registry's records: small frozen values, no database in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model; its versions are numbered 1, 2, 3, ... and a number is never given twice."""

    id: int
    name: str
    description: str
    last_version: int
    created_at: datetime
    created_by: str
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version: a Model artifact under a name and a number."""

    id: int
    name: str
    version: int
    artifact_id: int
    status: str  # active | archived
    description: str
    created_at: datetime
    created_by: str
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True, slots=True)
class AliasMove:
    """One move of an alias; ``revision`` counts the alias's moves, this one included."""

    name: str
    alias: str
    revision: int
    from_version: int | None
    to_version: int
    action: str  # promote | rollback
    moved_by: str
    reason: str
    moved_at: datetime


@dataclass(frozen=True, slots=True)
class Approval:
    """An approver's decision on a version, for one alias or (``alias`` None) for every alias."""

    name: str
    version: int
    alias: str | None
    decision: str  # approved | rejected
    decided_by: str
    role: str
    comment: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a policy check, met or not, with the facts behind the verdict."""

    name: str
    met: bool
    detail: str


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """Every condition a promotion of ``name/version`` to ``alias`` must meet."""

    name: str
    version: int
    alias: str
    user: str
    conditions: tuple[Condition, ...]

    @property
    def allowed(self) -> bool:
        return all(c.met for c in self.conditions)

    @property
    def unmet(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.met)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of the append-only audit log; ``hash`` covers ``prev_hash`` and the row's content."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    reason: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of walking the audit chain: ``first_bad`` names the first row that fails."""

    checked: int
    first_bad: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who acts and with which role. ``role`` is None for a name no user record has.

    With no users recorded at all the registry is in open mode: whoever acts is an admin
    (a single-user workspace needs no set-up; the first user added ends open mode).
    """

    name: str
    role: str | None
    open_mode: bool = False


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token's record; the token itself is shown once, at creation, and never stored."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: ``secret`` is the only copy of the token, for the caller to keep."""

    secret: str
    record: ApiToken


__all__ = [
    "AliasMove",
    "ApiToken",
    "Approval",
    "AuditEvent",
    "AuditVerification",
    "Condition",
    "Identity",
    "ModelVersion",
    "NewToken",
    "PolicyCheck",
    "RegisteredModel",
    "User",
]
