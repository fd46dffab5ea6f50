"""JSON responses without FastAPI's generic encoder: routes build plain values, dumped once by orjson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from loopline.metadata.predictions import json_bytes


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``body`` as compact JSON (``json_bytes``: NaN and infinities as null, numpy values as plain ones)."""
    return Response(json_bytes(body), status_code=status, headers=headers, media_type="application/json")


__all__ = ["json_response"]
