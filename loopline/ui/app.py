"""The dashboard's ASGI app: HTML pages and the JSON API they are built from, over one workspace.

``create_app(workspace)`` builds the app. Every page has a JSON twin under ``/api/...``
(listed in the OpenAPI schema at ``/api/openapi.json``, readable at ``/api/docs``); both
are served from the same data function, so what a page shows is what the API answers.
The workspace's stores are opened before the first request and closed with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from loopline import __version__
from loopline.errors import LooplineError
from loopline.ui import access
from loopline.ui.rendering import SECURITY_HEADERS, render

API_PREFIX = "/api"


def create_app(workspace: Any, *, tokens_required: bool = False, close_workspace: bool = False) -> FastAPI:
    """The dashboard over ``workspace`` (an open ``Workspace``).

    ``tokens_required``: every request needs an API token (set it whenever the address is
    not loopback). ``close_workspace``: close the workspace's stores when the app stops.
    """
    from loopline.ui import (
        artifacts, audit, data, deployments, features, lineage, models, monitoring, pipelines, reports, runs, session,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_workspace:
                workspace.close()

    workspace.metadata  # open the stores now: lazy opening from several threads at once would race
    workspace.registry
    app = FastAPI(
        title="Loopline dashboard API", version=__version__, lifespan=lifespan,
        description="The JSON API behind Loopline's web dashboard: runs, pipelines, lineage, models, data and its "
        "validation reports, features, monitoring, deployments and the audit log. Reading needs the viewer role; "
        "actions go through the "
        "same registry calls and policies as the CLI.",
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
    )
    app.state.workspace = workspace
    app.state.tokens_required = tokens_required
    app.state.authenticator = access.authenticator_for(workspace)
    for module in (session, runs, artifacts, pipelines, lineage, models, data, reports, features, monitoring,
                   deployments, audit):
        app.include_router(module.router)
    static = files("loopline.ui").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_exception_handler(LooplineError, _loopline_error)
    return app


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/")


def error_body(exc: LooplineError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.message}
    if exc.hint:
        body["hint"] = exc.hint
    for name in ("problems", "unmet"):
        value = getattr(exc, name, None)
        if value:
            body[name] = list(value)
    return body


async def _loopline_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LooplineError)
    status = exc.http_status
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc), status_code=status, headers=headers)
    if status == 401 and request.method == "GET":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        return RedirectResponse(f"/login?next={target}", status_code=303, headers=SECURITY_HEADERS)
    if not hasattr(request.state, "csrf_token"):
        request.state.csrf_token = access.csrf_token(request)
    return render(request, "error.html", {"title": "Error", "error": error_body(exc), "status": status},
                  status_code=status)


__all__ = ["API_PREFIX", "create_app", "error_body", "is_api"]
