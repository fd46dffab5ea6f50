"""Around every request: its id, the token check, the catch-all for crashes, metrics and the access log.

A plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and a queue per
request). Each request gets a fresh id, which routes log predictions under and which
every response carries as ``X-Request-ID``; an id sent by the client is not reused, so
no client can collide with another's log rows. The access log is one JSON object per
line on the ``loopline.access`` logger: time, request id, method, path (without the query
string), status, duration, client address and user. No header is ever logged, so neither
is a token. The busiest routes (``direct``) are called from here, without the router's
matching and the framework's exception layers, which cost about as much as the rest of a
request's handling; their errors are answered exactly as the app's error handlers answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from loopline.errors import LooplineError
from loopline.serving.auth import OPEN, TokenAuthenticator, route_access
from loopline.serving.http_errors import error_response, internal_error_response
from loopline.serving.metrics import ServingMetrics

DirectRoute = Callable[[Request], Awaitable[Response]]
"""A route the middleware calls itself, skipping the framework's router and exception layers."""
REQUEST_ID_KEY = "loopline.request_id"
ACCESS_LOGGER = "loopline.access"
_access = logging.getLogger(ACCESS_LOGGER)
_log = logging.getLogger("loopline.serving")


def request_id_of(scope: dict[str, Any]) -> str:
    return str(scope[REQUEST_ID_KEY])


class RequestContextMiddleware:
    """Request ids, authentication, crash answers, HTTP metrics and access logs."""

    def __init__(
        self, app: Any, *, metrics: ServingMetrics, authenticator: TokenAuthenticator | None, access_log: bool,
        direct: Mapping[tuple[str, str], DirectRoute] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.authenticator = authenticator
        self.access_log = access_log
        self.direct = dict(direct or {})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        scope[REQUEST_ID_KEY] = request_id
        id_header = (b"x-request-id", request_id.encode())
        method, path = scope["method"], scope["path"]
        group, level = route_access(method, path)
        status, responded, user = 500, False, None

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            if self.authenticator is not None and level != OPEN:
                try:
                    identity = await self.authenticator.check(_header(scope, b"authorization"), level)
                except LooplineError as exc:
                    await error_response(path, exc)(scope, receive, send_with_id)
                    return
                user = identity.name
            route = self.direct.get((method, path)) if not scope.get("root_path") else None
            if route is None:
                await self.app(scope, receive, send_with_id)
            else:
                await _call_direct(route, path, scope, receive, send_with_id)
        except Exception:
            _log.exception("request %s (%s %s) failed", request_id, method, path)
            if not responded:
                await internal_error_response(request_id)(scope, receive, send_with_id)
        finally:
            self.metrics.http_request(group, status)
            if self.access_log:
                _access.info(json.dumps({
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "request_id": request_id, "method": method, "path": path, "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000.0, 3),
                    "client": (scope.get("client") or ("", 0))[0], "user": user,
                }))


async def _call_direct(route: DirectRoute, path: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The route called straight from here, as the router would call it, its errors answered as the app's
    error handlers answer them (any other exception goes to the caller's catch-all)."""
    try:
        response = await route(Request(scope, receive))
    except LooplineError as exc:
        response = error_response(path, exc)
    await response(scope, receive, send)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


__all__ = ["ACCESS_LOGGER", "REQUEST_ID_KEY", "RequestContextMiddleware", "request_id_of"]
