"""Bounds on what a request may make the server do: body size, time to send it, JSON depth, batch size.

Neither Starlette nor uvicorn bounds a body or its nesting, so every route that reads a
body goes through ``read_body`` and ``parse_json`` here. A body over the limit is refused
from its ``Content-Length`` before any of it is read, or as soon as the streamed bytes pass
the limit; a client that sends too slowly gets 408; JSON nested deeper than the limit, or
too deep for the parser, is refused with 422 instead of exhausting the stack.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from loopline.serving.errors import PayloadTooLarge, RequestRejected, RequestTimeout

_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19  # after translating with _AS_ZEROS: a run of 19 digits (bytes methods: ~1 µs a body)


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server."""

    max_body_bytes: int = 8 * 1024 * 1024
    max_batch_rows: int = 10_000
    max_json_depth: int = 32
    receive_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_batch_rows", "max_json_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.receive_timeout_s > 0:
            raise ValueError(f"receive_timeout_s must be positive, got {self.receive_timeout_s!r}")

    def check_batch(self, rows: int) -> None:
        if rows > self.max_batch_rows:
            raise PayloadTooLarge(
                f"the request holds {rows} records; this server accepts at most {self.max_batch_rows} per request",
                hint="split the batch, or use 'loopline predict' for files",
            )


async def read_body(request: Request, limits: Limits) -> bytes:
    """The whole body, or PayloadTooLarge / RequestTimeout; never more than the limit is held."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _too_large(int(declared), limits)
    try:
        async with asyncio.timeout(limits.receive_timeout_s):
            if declared is not None and declared.isdigit():
                return await request.body()  # the server reads exactly Content-Length bytes
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body_bytes:
                    raise _too_large(size, limits)
                chunks.append(chunk)
            return b"".join(chunks)
    except TimeoutError:
        raise RequestTimeout(
            f"the request body did not arrive within {limits.receive_timeout_s:g} s", hint="send the body at once"
        ) from None


def parse_json(body: bytes, limits: Limits) -> Any:
    """The parsed body; RequestRejected when it is not JSON or nests deeper than the limit."""
    if not body:
        raise RequestRejected("the request body is empty; expected a JSON document")
    try:
        value = _loads(body)
    except RecursionError:
        raise _too_deep(limits) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestRejected(f"the request body is not valid JSON: {exc}") from None
    # a document cannot nest deeper than its count of opening brackets: skip the walk when that is small
    if body.count(b"[") + body.count(b"{") > limits.max_json_depth and _depth(value) > limits.max_json_depth:
        raise _too_deep(limits)
    return value


def _loads(body: bytes) -> Any:
    """``json.loads(body)``, faster: orjson parses what it accepts to the same values in a fraction of the
    time. What it refuses (NaN and infinity literals, out-of-range numbers, lone surrogates, invalid
    documents) goes to the standard parser, so the result, or the error, is the standard library's; so
    does a body with a run of 19 digits, since orjson reads an integer past 64 bits as a float."""
    if _LONG_DIGITS not in body.translate(_AS_ZEROS):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        if type(item) is dict:
            stack.extend((v, depth + 1) for v in item.values() if type(v) is dict or type(v) is list)
        elif type(item) is list:
            stack.extend((v, depth + 1) for v in item if type(v) is dict or type(v) is list)
    return deepest


def _too_large(size: int, limits: Limits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body has {size} bytes; this server accepts at most {limits.max_body_bytes}",
        hint="send fewer records per request, or use 'loopline predict' for files",
    )


def _too_deep(limits: Limits) -> RequestRejected:
    return RequestRejected(
        f"the request body nests JSON deeper than {limits.max_json_depth} levels",
        problems=[{"message": f"JSON nesting deeper than {limits.max_json_depth} levels"}],
        hint="send records as flat objects of field to value",
    )


__all__ = ["Limits", "parse_json", "read_body"]
