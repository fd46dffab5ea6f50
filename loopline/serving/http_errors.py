"""The one place that turns Loopline errors into HTTP answers, in each protocol's own shape.

Open Inference Protocol routes (``/v2/...``) answer a bad request with 400 and
``{"error": ...}`` as that protocol says; MLflow's ``/invocations`` answers with its
``{"error_code", "message"}``; the plain routes answer with the error's own status
(422 for a request that does not fit the model) and ``{"error": ...}``. All of them add
``hint`` and, when the request was checked, ``problems``: every problem found.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from loopline.errors import LooplineError
from loopline.features.errors import OnlineStoreError
from loopline.serving.responses import json_response

_MLFLOW_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "RESOURCE_DOES_NOT_EXIST",
                 408: "BAD_REQUEST", 413: "BAD_REQUEST", 415: "BAD_REQUEST", 422: "BAD_REQUEST",
                 503: "TEMPORARILY_UNAVAILABLE"}


def status_of(exc: LooplineError) -> int:
    if isinstance(exc, OnlineStoreError):
        return 503  # the online store is down: the request may well succeed later
    return exc.http_status


def error_response(path: str, exc: LooplineError) -> Response:
    status = status_of(exc)
    body: dict[str, Any]
    if path.startswith("/v2/"):
        status = 400 if status == 422 else status
        body = {"error": exc.message}
    elif path == "/invocations":
        body = {"error_code": _MLFLOW_CODES.get(status, "INTERNAL_ERROR"), "message": exc.message}
    else:
        body = {"error": exc.message}
    if exc.hint:
        body["hint"] = exc.hint
    problems = getattr(exc, "problems", None)
    if problems:
        body["problems"] = problems
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return json_response(body, status, headers)


def internal_error_response(request_id: str) -> Response:
    return json_response({"error": f"internal server error; the server log has the details (request {request_id})"},
                         500)


async def _loopline_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LooplineError)
    return error_response(request.url.path, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return json_response({"error": str(exc.detail)}, exc.status_code, exc.headers)


def install_error_handlers(app: Any) -> None:
    app.add_exception_handler(LooplineError, _loopline_error)
    app.add_exception_handler(HTTPException, _http_error)


__all__ = ["error_response", "install_error_handlers", "internal_error_response", "status_of"]
