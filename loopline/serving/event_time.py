"""The ``Loopline-Event-Time`` request header: when the events a request predicts for happened.

A replay or a backfill sends requests for past events; monitoring cuts the prediction log
into windows by each row's ``created_at``. With this header every prediction of the
request is logged at the time it names instead of the server's clock. The value is ISO
8601 with a timezone offset or ``Z`` (``2011-03-01T13:00:00Z``); a malformed or naive value
refuses the request (422, or 400 on the V2 routes) before anything is predicted or logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from loopline.serving.errors import RequestRejected

EVENT_TIME_HEADER = "Loopline-Event-Time"
_RAW_NAME = EVENT_TIME_HEADER.lower().encode("latin-1")
_FORMAT = "ISO 8601 with a timezone offset or Z, e.g. 2011-03-01T13:00:00Z"


def event_time_of(raw_headers: Iterable[tuple[bytes, bytes]]) -> datetime | None:
    """The header's time in UTC, None when the request has no such header; RequestRejected when malformed.

    ``raw_headers`` is the ASGI scope's header list (names already lower-case), scanned once.
    """
    for name, value in raw_headers:
        if name == _RAW_NAME:
            return parse_event_time(value.decode("latin-1"))
    return None


def parse_event_time(text: str) -> datetime:
    """``text`` as an aware UTC datetime; RequestRejected naming the header and the format otherwise."""
    stripped = text.strip()
    # a date alone, or a time without a date, is not an event time even where fromisoformat reads it
    parsed = None
    if len(stripped) > 10 and stripped[10] in "Tt ":
        try:
            parsed = datetime.fromisoformat(stripped)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _rejected(f"the {EVENT_TIME_HEADER} header is not a date and time: {text!r}; expected {_FORMAT}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _rejected(f"the {EVENT_TIME_HEADER} header {text!r} has no timezone; expected {_FORMAT}")
    return parsed.astimezone(UTC)


def _rejected(message: str) -> RequestRejected:
    return RequestRejected(message, problems=[{"code": "BAD_HEADER", "column": None, "message": message}],
                           hint=f"send {EVENT_TIME_HEADER}: 2011-03-01T13:00:00Z, or leave the header out to log "
                                "the server's time")


__all__ = ["EVENT_TIME_HEADER", "event_time_of", "parse_event_time"]
