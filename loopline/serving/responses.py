"""JSON responses without FastAPI's generic encoder: routes build plain values, dumped once with the C encoder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from loopline.metadata.predictions import plain_json


def json_bytes(body: Any) -> bytes:
    """Compact JSON; NaN and infinities (which JSON lacks) become null."""
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError):
        return json.dumps(plain_json(body), separators=(",", ":"), ensure_ascii=False).encode()


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json_bytes(body), status_code=status, headers=headers, media_type="application/json")


__all__ = ["json_bytes", "json_response"]
