"""Open Inference Protocol (KServe V2) routes: health, server and model metadata, readiness, infer."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from loopline import __version__
from loopline.errors import LooplineError
from loopline.serving.errors import ModelNotServed
from loopline.serving.event_time import event_time_of
from loopline.serving.middleware import request_id_of
from loopline.serving.protocol_v2 import decode_infer_request, encode_infer_response
from loopline.serving.responses import json_response
from loopline.serving.routes.common import choose, count_refusal, json_body, state_of
from loopline.serving.served import ServedModel
from loopline.serving.state import ServingState

router = APIRouter()
ROUTE = "infer"


@router.get("/v2/health/live")
async def live() -> Response:
    return json_response({"live": True})


@router.get("/v2/health/ready")
async def ready(request: Request) -> Response:
    is_ready = state_of(request).ready
    return json_response({"ready": is_ready}, 200 if is_ready else 400)


@router.get("/v2")
async def server_metadata() -> Response:
    return json_response({"name": "loopline", "version": __version__, "extensions": []})


@router.get("/v2/models/{name}")
async def model_metadata(request: Request, name: str) -> Response:
    state = state_of(request)
    slot = state.slots[name]
    return json_response(_metadata(slot.choose(), [str(v) for v in slot.versions]))


@router.get("/v2/models/{name}/versions/{version}")
async def version_metadata(request: Request, name: str, version: str) -> Response:
    model = _pick(state_of(request), name, version)
    return json_response(_metadata(model, [str(model.version)]))


@router.get("/v2/models/{name}/ready")
async def model_ready(request: Request, name: str) -> Response:
    state = state_of(request)
    slot = state.slots[name]
    return json_response({"name": slot.name, "ready": state.ready}, 200 if state.ready else 400)


@router.get("/v2/models/{name}/versions/{version}/ready")
async def version_ready(request: Request, name: str, version: str) -> Response:
    state = state_of(request)
    model = _pick(state, name, version)
    return json_response({"name": name, "version": str(model.version), "ready": state.ready},
                         200 if state.ready else 400)


async def infer(request: Request) -> Response:
    return await _infer(request, request.path_params["name"], None)


async def infer_version(request: Request) -> Response:
    return await _infer(request, request.path_params["name"], request.path_params["version"])


# plain Starlette routes, as for /predict: no FastAPI parameter machinery on the inference paths
router.add_route("/v2/models/{name}/infer", infer, methods=["POST"])
router.add_route("/v2/models/{name}/versions/{version}/infer", infer_version, methods=["POST"])


async def _infer(request: Request, name: str, version: str | None) -> Response:
    state = state_of(request)
    shadow = None
    if version is None:
        model, shadow = choose(state, name, request)
    else:
        model = _pick(state, name, version)
    try:
        decoded = decode_infer_request(await json_body(request, state), model.signature)
        event_time = event_time_of(request.scope["headers"])
    except LooplineError as exc:
        count_refusal(state, model, ROUTE, exc)
        raise
    request_id = request_id_of(request.scope)
    predictions = await state.service.predict(model, decoded.records, route=ROUTE, request_id=request_id,
                                              event_time=event_time)
    if shadow is not None:
        state.service.shadow(shadow, decoded.records, route=ROUTE, request_id=request_id, event_time=event_time)
    return json_response(encode_infer_response(
        model=model.name, version=model.version, request_id=decoded.id or request_id,
        output_name=model.signature.output_name, predictions=predictions,
    ))


def _pick(state: ServingState, name: str, version: str | None) -> ServedModel:
    slot = state.slots[name]
    if version is None:
        return slot.choose()
    if not version.isdigit():
        raise ModelNotServed(f"'{version}' is not a version number of model '{name}'",
                             hint=f"served versions: {', '.join(str(v) for v in slot.versions)}")
    return slot.version(int(version))


def _metadata(model: ServedModel, versions: list[str]) -> dict[str, object]:
    return {
        "name": model.name, "versions": versions, "platform": model.platform,
        "inputs": model.signature.v2_inputs(), "outputs": model.signature.v2_outputs(),
    }


__all__ = ["router"]
