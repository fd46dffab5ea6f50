"""What every prediction route does the same way: find the state, read the body, count refusals."""

from __future__ import annotations

from typing import Any, NamedTuple

from starlette.requests import Request

from loopline.errors import LooplineError
from loopline.serving.http_errors import status_of
from loopline.serving.limits import parse_json, read_body
from loopline.serving.served import ServedModel
from loopline.serving.state import ServingState


class Choice(NamedTuple):
    model: ServedModel
    shadow: ServedModel | None


def state_of(request: Request) -> ServingState:
    state: ServingState = request.app.state.serving
    return state


async def json_body(request: Request, state: ServingState) -> Any:
    return parse_json(await read_body(request, state.limits), state.limits)


ROUTING_KEY_HEADER = "x-routing-key"


def choose(state: ServingState, name: str | None, request: Request, records: Any = None) -> Choice:
    """The version that answers (a canary's split keeps a routing key on one version) and the shadow, if any.

    The routing key is the ``X-Routing-Key`` header or, for a model that looks features up,
    the entity key values of the first record.
    """
    routing = (state.slots.only() if name is None else state.slots[name]).routing
    key = request.headers.get(ROUTING_KEY_HEADER)
    if key is None and routing.canary is not None and isinstance(records, list) and records:
        first = records[0]
        keys = sorted(routing.primary.lookup_keys)
        if keys and isinstance(first, dict):
            key = "|".join(str(first.get(k)) for k in keys)
    return Choice(routing.choose(key), routing.shadow)


def count_refusal(state: ServingState, model: ServedModel, route: str, exc: LooplineError) -> None:
    """Count a request refused before it reached the model (a malformed body) against the model."""
    state.metrics.error(model.name, model.version, route, status_of(exc))


__all__ = ["ROUTING_KEY_HEADER", "Choice", "choose", "count_refusal", "json_body", "state_of"]
