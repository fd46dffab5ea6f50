"""The Open Inference Protocol (KServe V2) in JSON: tensors in, records for the model, tensors out.

A request names one tensor per input column (shape ``[N]`` or ``[N, 1]``), or sends one
``[N, F]`` tensor whose F columns are the model's inputs in the order ``GET
/v2/models/{name}`` lists them. ``data`` is the flattened, row-major content (nested lists
are flattened too). Every problem found is listed; the route answers them with 400 and
``{"error": ...}`` as the protocol says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loopline.serving.errors import RequestRejected
from loopline.serving.signature import ServingSignature

DATATYPES = frozenset({
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64", "BYTES",
})


@dataclass(frozen=True)
class InferRequest:
    """A decoded infer request: its id (if the client gave one) and the records."""

    id: str | None
    records: list[dict[str, Any]]


def decode_infer_request(body: Any, signature: ServingSignature) -> InferRequest:
    """The records an infer request stands for; RequestRejected listing every problem."""
    if not isinstance(body, dict):
        raise _rejected([f"the body must be a JSON object with 'inputs', got {type(body).__name__}"])
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise _rejected([f"'id' must be a string, got {request_id!r}"])
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise _rejected(["'inputs' must be a non-empty list of tensors {name, shape, datatype, data}"])
    problems: list[str] = []
    columns: dict[str, list[Any]] = {}
    for i, tensor in enumerate(inputs):
        for name, values in _tensor_columns(i, tensor, signature, problems).items():
            if name in columns:
                problems.append(f"input '{name}' is given more than once")
            columns[name] = values
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        shown = ", ".join(f"{name}: {len(values)}" for name, values in columns.items())
        problems.append(f"the input tensors hold different numbers of rows ({shown})")
    if problems:
        raise _rejected(problems)
    names = list(columns)
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    return InferRequest(request_id, records)


def _tensor_columns(i: int, tensor: Any, signature: ServingSignature, problems: list[str]) -> dict[str, list[Any]]:
    if not isinstance(tensor, dict):
        problems.append(f"input {i} must be an object {{name, shape, datatype, data}}, got {type(tensor).__name__}")
        return {}
    name, shape, datatype, data = (tensor.get(k) for k in ("name", "shape", "datatype", "data"))
    where = f"input '{name}'" if isinstance(name, str) else f"input {i}"
    before = len(problems)
    if not isinstance(name, str) or not name:
        problems.append(f"{where} has no 'name'")
    if datatype not in DATATYPES:
        problems.append(f"{where}: 'datatype' must be one of {', '.join(sorted(DATATYPES))}, got {datatype!r}")
    if not _is_shape(shape):
        problems.append(f"{where}: 'shape' must be a list of non-negative integers, got {shape!r}")
    if not isinstance(data, list):
        problems.append(f"{where}: 'data' must be a list, got {type(data).__name__}")
    if len(problems) > before:
        return {}
    values = _flatten(data)
    expected = math.prod(shape)
    if len(values) != expected:
        problems.append(f"{where}: shape {shape} needs {expected} values, 'data' holds {len(values)}")
        return {}
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return {name: values}
    inputs = signature.input_names
    if len(shape) == 2 and name not in inputs and shape[1] == len(inputs):
        width = shape[1]
        return {column: values[j::width] for j, column in enumerate(inputs)}
    problems.append(
        f"{where}: shape {shape} is not [N] or [N, 1] for one input, nor [N, {len(inputs)}] for all "
        f"{len(inputs)} inputs in the order GET /v2/models/{{name}} lists them"
    )
    return {}


def _is_shape(shape: Any) -> bool:
    return (isinstance(shape, list) and 1 <= len(shape) <= 2
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape))


def _flatten(data: list[Any]) -> list[Any]:
    if not any(isinstance(v, list) for v in data):
        return data
    flat: list[Any] = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


def encode_infer_response(
    *, model: str, version: int, request_id: str, output_name: str, predictions: Sequence[Any]
) -> dict[str, Any]:
    """The response: one output tensor (or one per field, when each prediction is an object)."""
    rows = len(predictions)
    if predictions and all(isinstance(p, Mapping) for p in predictions):
        fields = list(dict.fromkeys(k for p in predictions for k in p))
        outputs = [_tensor(str(f), [p.get(f) for p in predictions], rows) for f in fields]
    else:
        outputs = [_tensor(output_name, list(predictions), rows)]
    return {"model_name": model, "model_version": str(version), "id": request_id, "outputs": outputs}


def _tensor(name: str, values: list[Any], rows: int) -> dict[str, Any]:
    if values and all(isinstance(v, list) for v in values):
        width = len(values[0])
        if all(len(v) == width for v in values):
            flat = [x for v in values for x in v]
            return {"name": name, "datatype": _datatype(flat), "shape": [rows, width], "data": flat}
    return {"name": name, "datatype": _datatype(values), "shape": [rows], "data": values}


def _datatype(values: Sequence[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool} and kinds:
        return "BOOL"
    if kinds <= {int}:
        return "INT64"
    if kinds <= {int, float}:
        return "FP64"
    return "BYTES"


def _rejected(problems: list[str]) -> RequestRejected:
    count = len(problems)
    return RequestRejected(
        f"the infer request is malformed: {'; '.join(problems[:3])}{' ...' if count > 3 else ''}",
        problems=[{"message": p} for p in problems],
        hint="send {\"inputs\": [{\"name\": \"col\", \"shape\": [N], \"datatype\": \"FP64\", \"data\": [...]}]}",
    )


__all__ = ["DATATYPES", "InferRequest", "decode_infer_request", "encode_infer_response"]
