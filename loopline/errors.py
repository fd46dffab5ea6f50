"""The exception family: every error Loopline raises on purpose is a ``LooplineError``.

Each package defines its own small subclasses here or in its own ``errors`` module.
An error carries a message (what happened, what was expected), an optional hint (what
to do) and the HTTP status the server answers with when the error reaches it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


class LooplineError(Exception):
    """Base of every error Loopline raises on purpose."""

    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(LooplineError):
    """The workspace configuration is missing, malformed or inconsistent."""

    http_status = 500


class NotFoundError(LooplineError):
    """A named thing (run, artifact, model, dataset, ...) does not exist."""

    http_status = 404


class ConflictError(LooplineError):
    """A concurrent change won: the caller's change was not applied."""

    http_status = 409


class InvalidInputError(LooplineError):
    """The caller passed a value that is not acceptable."""

    http_status = 422


class IntegrityError(LooplineError):
    """Stored content does not match what was recorded (tampering or corruption)."""

    http_status = 500


class CheckFailedError(LooplineError):
    """A check (data validation, a drift gate, a model comparison) found what it was guarding against.

    ``evidence`` holds what the check found, by name (a validation result, a drift
    report, ...). When a pipeline step raises this error, the run records each piece of
    evidence as an output artifact of the failed execution, in the same transaction that
    records the failure, so a failed run still shows why it stopped.
    """

    http_status = 422

    def __init__(self, message: str, *, hint: str | None = None, evidence: Mapping[str, object] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.evidence: dict[str, object] = dict(evidence or {})


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest candidate, or None."""
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not matches:
        return None
    quoted = " or ".join(f"'{m}'" for m in matches)
    return f"did you mean {quoted}?"


__all__ = [
    "CheckFailedError",
    "ConfigError",
    "ConflictError",
    "IntegrityError",
    "InvalidInputError",
    "LooplineError",
    "NotFoundError",
    "did_you_mean",
]
