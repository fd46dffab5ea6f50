"""JSON responses without FastAPI's generic encoder: routes build plain values, dumped once by orjson."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from loopline.metadata.predictions import plain_json


def json_bytes(body: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities (which JSON lacks) become null, numpy values plain ones.

    What orjson refuses (integers past 64 bits, non-string keys, other types) takes ``plain_json``.
    """
    try:
        return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return json.dumps(plain_json(body), separators=(",", ":"), ensure_ascii=False).encode()


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json_bytes(body), status_code=status, headers=headers, media_type="application/json")


__all__ = ["json_bytes", "json_response"]
