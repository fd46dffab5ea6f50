"""Routes for operators and monitoring: ``/metrics`` and ``POST /feedback``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from loopline.errors import NotFoundError
from loopline.serving.feedback import decode_feedback
from loopline.serving.responses import json_response
from loopline.serving.routes.common import json_body, state_of

router = APIRouter()
FLUSH_TIMEOUT_S = 10.0


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    state = state_of(request)
    if state.writer is not None:
        state.metrics.log_pending.set(state.writer.stats().pending)
    content, media_type = state.metrics.render()
    return Response(content, media_type=media_type)


@router.post("/feedback")
async def feedback(request: Request) -> Response:
    """Store ground truth for logged predictions; 404 (nothing stored) if any request id is unknown."""
    state = state_of(request)
    if state.log is None:
        raise NotFoundError("this server keeps no prediction log, so it takes no feedback",
                            hint="start it without --no-prediction-log")
    items = decode_feedback(await json_body(request, state))
    if state.writer is not None:  # the predictions may still be waiting in the writer's queue
        await run_in_threadpool(state.writer.flush, FLUSH_TIMEOUT_S)
    stored = await run_in_threadpool(state.log.add_feedback, items)
    return json_response({"stored": stored})


__all__ = ["router"]
