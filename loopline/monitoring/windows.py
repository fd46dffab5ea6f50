"""Windows over the prediction log: by event time (hourly, daily) or by a number of requests.

A time window is keyed by its start in UTC (``2011-03-01T00:00:00Z``), so it is the same
window on every run; it is complete once its end has passed. A request window is the k-th
block of ``size`` consecutive predictions of the model in the order they were stored
(keyed ``n:000000000k``); it is complete once it holds ``size`` predictions. Stable keys are
what make a re-run replace a window's results instead of adding a second copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loopline.errors import InvalidInputError
from loopline.metadata.predictions import LoggedPrediction

_SPANS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """How predictions are cut into windows: ``kind`` hourly, daily or requests (``size`` each)."""

    kind: str
    size: int = 1000

    def __post_init__(self) -> None:
        if self.kind not in (*_SPANS, "requests"):
            raise InvalidInputError(f"unknown window kind {self.kind!r}; use hourly, daily or requests")
        if self.kind == "requests" and self.size < 1:
            raise InvalidInputError(f"a request window needs a size >= 1, got {self.size}")

    @property
    def by_time(self) -> bool:
        return self.kind != "requests"

    def start_of(self, moment: datetime) -> datetime:
        """The start of the time window holding ``moment`` (UTC)."""
        moment = moment.astimezone(UTC)
        if self.kind == "hourly":
            return moment.replace(minute=0, second=0, microsecond=0)
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    def end_of(self, start: datetime) -> datetime:
        """The end (exclusive) of the time window that starts at ``start``."""
        return start + _SPANS[self.kind]

    def describe(self) -> str:
        return f"every {self.size} requests" if self.kind == "requests" else self.kind


@dataclass(frozen=True)
class Window:
    """One window's predictions, with its stable key and bounds."""

    key: str
    start: datetime
    end: datetime
    rows: tuple[LoggedPrediction, ...]
    complete: bool

    @property
    def first_id(self) -> int | None:
        return self.rows[0].id if self.rows else None

    @property
    def last_id(self) -> int | None:
        return self.rows[-1].id if self.rows else None


def time_key(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def block_key(index: int) -> str:
    return f"n:{index:010d}"


def block_index(key: str) -> int:
    return int(key.removeprefix("n:"))


def time_windows(spec: WindowSpec, rows: Sequence[LoggedPrediction], *, now: datetime,
                 keys: Sequence[datetime] = ()) -> Iterator[Window]:
    """The time windows that hold ``rows``, plus empty ones for the starts in ``keys``, oldest first."""
    span = _SPANS[spec.kind]
    grouped: dict[datetime, list[LoggedPrediction]] = {spec.start_of(k): [] for k in keys}
    for row in rows:
        grouped.setdefault(spec.start_of(row.created_at), []).append(row)
    for start in sorted(grouped):
        end = start + span
        yield Window(time_key(start), start, end, tuple(grouped[start]), complete=end <= now)


def request_windows(spec: WindowSpec, rows: Sequence[LoggedPrediction], *, first_block: int) -> Iterator[Window]:
    """Blocks of ``spec.size`` rows, the first one numbered ``first_block``; the last may be incomplete."""
    for offset in range(0, len(rows), spec.size):
        block = tuple(rows[offset: offset + spec.size])
        start, end = block[0].created_at, block[-1].created_at
        yield Window(block_key(first_block + offset // spec.size), start, end, block,
                     complete=len(block) == spec.size)


__all__ = ["Window", "WindowSpec", "block_index", "block_key", "request_windows", "time_key", "time_windows"]
