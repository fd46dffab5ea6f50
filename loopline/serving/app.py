"""The prediction server's ASGI app: routes, error handlers, the request middleware and the lifecycle.

``create_app(state)`` builds the app around a ``ServingState`` (models already loaded);
its lifespan starts the prediction log's writer when the server starts and, when it
stops (after uvicorn has stopped accepting connections and finished the requests in
flight), writes every pending prediction and releases the stores.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from loopline import __version__
from loopline.serving.http_errors import install_error_handlers
from loopline.serving.middleware import RequestContextMiddleware
from loopline.serving.routes import operations, records, v2
from loopline.serving.state import ServingState


# The server reports through its own Prometheus metrics and access log; FastAPI's OpenTelemetry hooks
# (in the FastAPI versions that have them) would otherwise look for configured providers on every request.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)


def create_app(state: ServingState) -> FastAPI:
    """The app serving ``state``'s models."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.writer is not None:
            state.writer.start()
        for name in state.slots:
            for model in state.slots[name].routing.models():
                state.metrics.served.labels(model.name, str(model.version), model.served_as).set(1)
        state.ready = True
        if state.follower is not None:
            state.follower.start()
        try:
            yield
        finally:
            state.ready = False
            if state.follower is not None:
                await run_in_threadpool(state.follower.stop)
            if state.writer is not None:
                await run_in_threadpool(state.writer.close)
            state.close()

    app = FastAPI(
        title="Loopline prediction server", version=__version__, lifespan=lifespan,
        openapi_url=None, docs_url=None, redoc_url=None, **_NO_TELEMETRY,
    )
    app.state.serving = state
    install_error_handlers(app)
    for module in (records, v2, operations):  # the busiest routes first: routing tries them in order
        app.include_router(module.router)
    app.add_middleware(
        RequestContextMiddleware, metrics=state.metrics, authenticator=state.authenticator,
        access_log=state.access_log, direct=records.DIRECT,
    )
    return app


__all__ = ["create_app"]
