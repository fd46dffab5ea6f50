"""The registry's errors: refusals that name every unmet condition, and who may not do what."""

from __future__ import annotations

from collections.abc import Sequence

from loopline.errors import IntegrityError, LooplineError


class PolicyRefused(LooplineError):
    """A promotion broke the alias's policy; ``unmet`` lists every condition it failed."""

    http_status = 403

    def __init__(self, message: str, *, unmet: Sequence[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.unmet = tuple(unmet)


class PermissionDenied(LooplineError):
    """The acting user's role does not allow the action."""

    http_status = 403


class AuthenticationError(LooplineError):
    """An API token is unknown, revoked or expired."""

    http_status = 401


class UntrustedModelError(IntegrityError):
    """A model file whose content Loopline did not record (or that changed since) was refused."""


__all__ = ["AuthenticationError", "PermissionDenied", "PolicyRefused", "UntrustedModelError"]
