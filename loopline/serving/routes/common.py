"""What every prediction route does the same way: find the state, read the body, count refusals."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from loopline.errors import LooplineError
from loopline.serving.http_errors import status_of
from loopline.serving.limits import parse_json, read_body
from loopline.serving.served import ServedModel
from loopline.serving.state import ServingState


def state_of(request: Request) -> ServingState:
    state: ServingState = request.app.state.serving
    return state


async def json_body(request: Request, state: ServingState) -> Any:
    return parse_json(await read_body(request, state.limits), state.limits)


def count_refusal(state: ServingState, model: ServedModel, route: str, exc: LooplineError) -> None:
    """Count a request refused before it reached the model (a malformed body) against the model."""
    state.metrics.error(model.name, model.version, route, status_of(exc))


__all__ = ["count_refusal", "json_body", "state_of"]
