"""The online store interface: what every backend (SQLite, Redis) implements, and nothing more.

A backend stores one row per (view, entity key): the event time, the created time and the
packed feature values. It never decodes values; ``codec`` does that above it. Writes keep
the newer row: a row replaces the stored one only if its (event time, created time) is not
older, so writing the same rows twice, or older rows after newer ones, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, Self, runtime_checkable

# Reserved entity key of a view's materialization watermark; encoded entity keys never start with '#'.
WATERMARK_KEY = "#watermark"
MISSING_CREATED = -(2**63)  # created time of rows whose view has no created timestamp


class OnlineRow(NamedTuple):
    """One entity's latest values in one view. Times are microseconds since the epoch (UTC).

    A named tuple rather than a dataclass: lookups build one per entity on the hot path.
    """

    entity_key: str
    event_ts: int
    created_ts: int
    payload: bytes


@runtime_checkable
class OnlineStore(Protocol):
    """Latest feature values by view and entity key, for low-latency lookups.

    ``open()`` connects (and creates what the backend needs); the constructor only stores
    its arguments. ``update`` prepares storage for the views to keep and deletes the views
    to drop (their watermarks included). ``teardown`` deletes everything the store holds.
    """

    url: str

    def open(self) -> Self: ...

    def close(self) -> None: ...

    def update(self, *, keep: Sequence[str], delete: Sequence[str]) -> None: ...

    def online_write_batch(self, view: str, rows: Sequence[OnlineRow]) -> int:
        """Write rows, keeping the newer of stored and given; returns how many rows changed."""
        ...

    def online_read(self, view: str, entity_keys: Sequence[str]) -> list[OnlineRow | None]:
        """The stored row of each key, in order; None for unknown keys."""
        ...

    def teardown(self) -> None: ...


__all__ = ["MISSING_CREATED", "WATERMARK_KEY", "OnlineRow", "OnlineStore"]
