"""Routes that take records: the plain ``POST /predict`` and MLflow's ``POST /invocations``, and MLflow's pings."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from loopline.errors import LooplineError
from loopline.serving import protocol_mlflow
from loopline.serving.errors import RequestRejected
from loopline.serving.event_time import event_time_of
from loopline.serving.inference import reject_if_not_records
from loopline.serving.limits import parse_json, read_body
from loopline.serving.middleware import request_id_of
from loopline.serving.responses import json_response
from loopline.serving.routes.common import Choice, choose, count_refusal, json_body, state_of
from loopline.serving.state import ServingState

router = APIRouter()


async def predict(request: Request) -> Response:
    """``{"records": [{...}, ...], "model": "NAME"?}`` -> ``{"predictions": [...], ...}``."""
    state = state_of(request)
    body = await json_body(request, state)
    if not isinstance(body, dict):
        raise RequestRejected(f"the body must be a JSON object with 'records', got {type(body).__name__}",
                              hint='send {"records": [{"field": value, ...}]}')
    model, shadow = _model(state, body.get("model"), request, body.get("records"))
    try:
        unknown = sorted(set(body) - {"records", "model"})
        if unknown:
            raise RequestRejected(f"unknown field(s) in the body: {', '.join(unknown)}; expected 'records' "
                                  "(and optionally 'model')", problems=[{"message": f"unknown field '{u}'"}
                                                                       for u in unknown])
        records = reject_if_not_records(body.get("records"), "'records'")
        event_time = event_time_of(request.scope["headers"])
    except LooplineError as exc:
        count_refusal(state, model, "predict", exc)
        raise
    request_id = request_id_of(request.scope)
    predictions = await state.service.predict(model, records, route="predict", request_id=request_id,
                                              event_time=event_time)
    if shadow is not None:
        state.service.shadow(shadow, records, route="predict", request_id=request_id, event_time=event_time)
    return json_response({"model": model.name, "version": model.version, "request_id": request_id,
                          "predictions": predictions})


async def invocations(request: Request) -> Response:
    """MLflow's scoring route: JSON (dataframe_split, dataframe_records, instances, inputs) or CSV."""
    state = state_of(request)
    model, shadow = _model(state, request.query_params.get("model"), request)
    try:
        kind = protocol_mlflow.content_kind(request.headers.get("content-type"))
        body = await read_body(request, state.limits)
        if kind == "csv":
            records = protocol_mlflow.decode_csv(body)
        else:
            records = protocol_mlflow.decode_json(parse_json(body, state.limits), model.signature)
        records = reject_if_not_records(records, "the input")
        event_time = event_time_of(request.scope["headers"])
    except LooplineError as exc:
        count_refusal(state, model, "invocations", exc)
        raise
    request_id = request_id_of(request.scope)
    predictions = await state.service.predict(model, records, route="invocations", request_id=request_id,
                                              event_time=event_time)
    if shadow is not None:
        state.service.shadow(shadow, records, route="invocations", request_id=request_id, event_time=event_time)
    return json_response({"predictions": predictions})


# plain Starlette routes: the endpoints read the request themselves, so FastAPI's parameter machinery
# (which a route taking only the request does not need) is skipped on the busiest paths
DIRECT = {("POST", "/predict"): predict, ("POST", "/invocations"): invocations}
"""The busiest routes: the request middleware calls them without the router (see ``middleware``)."""
for (method, path), endpoint in DIRECT.items():
    router.add_route(path, endpoint, methods=[method])


@router.get("/ping")
@router.get("/health")
async def ping() -> Response:
    return json_response({"status": "ok"})


def _model(state: ServingState, name: object, request: Request, records: object = None) -> Choice:
    if name is not None and not isinstance(name, str):
        raise RequestRejected(f"'model' must be a model name, got {name!r}")
    return choose(state, name, request, records)


__all__ = ["router"]
