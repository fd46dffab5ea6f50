"""The prediction server's errors; each carries the HTTP status the server answers with.

``RequestRejected`` is the one a caller sees most: it lists every problem found in a
request (each a dict with at least ``message``; validation problems are anomalies with
the same codes as for datasets) so a client can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loopline.errors import InvalidInputError, LooplineError


class RequestRejected(InvalidInputError):
    """The request body does not fit the model: ``problems`` lists every problem found."""

    http_status = 422

    def __init__(self, message: str, *, problems: Sequence[dict[str, Any]] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = [dict(p) for p in problems]


class PayloadTooLarge(LooplineError):
    """The body or the batch is larger than the server accepts."""

    http_status = 413


class RequestTimeout(LooplineError):
    """The client sent the body too slowly."""

    http_status = 408


class UnsupportedMediaType(LooplineError):
    """The body's content type is not one the route reads."""

    http_status = 415


class ModelNotServed(LooplineError):
    """The request names a model or version this server does not serve."""

    http_status = 404


class LogBackpressure(LooplineError):
    """The prediction log cannot keep up; the prediction was not made, so nothing unlogged is acknowledged."""

    http_status = 503


class NotAuthenticated(LooplineError):
    """The request carries no valid API token."""

    http_status = 401


class NotAllowed(LooplineError):
    """The token's role may not use this route."""

    http_status = 403


class PredictionFailed(LooplineError):
    """The model raised, or returned something other than one prediction per record."""

    http_status = 500


class ServerConfigError(LooplineError):
    """The server cannot start as asked (an unsafe address, no models, ...)."""

    http_status = 500


__all__ = [
    "LogBackpressure",
    "ModelNotServed",
    "NotAllowed",
    "NotAuthenticated",
    "PayloadTooLarge",
    "PredictionFailed",
    "RequestRejected",
    "RequestTimeout",
    "ServerConfigError",
    "UnsupportedMediaType",
]
