"""The deployment controller's errors."""

from __future__ import annotations

from loopline.errors import ConflictError, LooplineError


class DeploymentRefused(LooplineError):
    """The pre-deployment check failed, so the version did not go live; the refusal is recorded."""

    http_status = 409


class NoTrialRunning(ConflictError):
    """A canary or shadow command found no canary or shadow in progress."""


__all__ = ["DeploymentRefused", "NoTrialRunning"]
