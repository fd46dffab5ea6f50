"""Stuck values: a numeric column that repeats one value for an unusually long run, in time order.

A sensor that fails often keeps reporting its last (or a default) value. The data is read
in order (sorted by ``order_by`` when given) in Arrow batches, so memory stays bounded.
Only columns with at least ``min_distinct`` distinct values are judged (a month number
or a flag repeats by nature). A run is reported when it is at least ``min_run`` rows long
and at least ``factor`` times the column's 99th percentile run length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from loopline.validation.anomalies import Anomaly, AnomalyCode
from loopline.validation.profile import Profile
from loopline.validation.reading import OpenedData

MIN_RUN = 12
FACTOR = 3.0
MIN_DISTINCT = 20
_CANDIDATES_KEPT = 50
_Labels = dict[str, pa.Array] | None


@dataclass
class _Run:
    value: float
    start: int
    length: int
    first: dict[str, Any]
    last: dict[str, Any]


@dataclass
class _Tracker:
    """Run lengths of one column across batches: a histogram of lengths and the longest runs."""

    lengths: np.ndarray = field(default_factory=lambda: np.zeros(64, dtype=np.int64))
    candidates: list[_Run] = field(default_factory=list)
    open: _Run | None = None

    def close_runs(self, values: np.ndarray, starts: np.ndarray, ends: np.ndarray, offset: int,
                   labels: _Labels) -> None:
        lengths = ends - starts
        np.add.at(self._grown(int(lengths.max(initial=0))), lengths, 1)
        for i in np.flatnonzero(lengths >= MIN_RUN):
            self._keep(_Run(float(values[starts[i]]), offset + int(starts[i]), int(lengths[i]),
                            _label(labels, starts[i]), _label(labels, ends[i] - 1)))

    def finish(self, run: _Run) -> None:
        np.add.at(self._grown(run.length), run.length, 1)
        if run.length >= MIN_RUN:
            self._keep(run)

    def _grown(self, length: int) -> np.ndarray:
        if length >= self.lengths.size:
            self.lengths = np.concatenate([self.lengths, np.zeros(length * 2 - self.lengths.size, dtype=np.int64)])
        return self.lengths

    def _keep(self, run: _Run) -> None:
        self.candidates.append(run)
        if len(self.candidates) > 2 * _CANDIDATES_KEPT:
            self.candidates = sorted(self.candidates, key=lambda r: -r.length)[:_CANDIDATES_KEPT]

    def percentile(self, q: float) -> float:
        cum = np.cumsum(self.lengths)
        if not cum.size or cum[-1] == 0:
            return 0.0
        return float(np.searchsorted(cum, q * cum[-1], side="left"))


def check_stuck_values(
    opened: OpenedData, stats: Profile, *, order_by: Sequence[str] = (), exclude: Sequence[str] = (),
) -> list[Anomaly]:
    """One STUCK_VALUES warning per column with runs far longer than its usual ones."""
    columns = [
        c.name for c in stats.columns
        if c.numeric is not None and c.distinct >= MIN_DISTINCT and c.name not in exclude
    ]
    if not columns:
        return []
    trackers = {name: _Tracker() for name in columns}
    offset = 0
    for batch in opened.batches(list(dict.fromkeys([*columns, *order_by])), order_by=order_by):
        labels = _labels(batch, order_by)
        for name in columns:
            _track(trackers[name], _as_float(batch.column(name)), offset, labels)
        offset += batch.num_rows
    for tracker in trackers.values():
        if tracker.open is not None:
            tracker.finish(tracker.open)
    return [a for name in columns if (a := _anomaly(name, trackers[name], order_by)) is not None]


def _track(tracker: _Tracker, values: np.ndarray, offset: int, labels: _Labels) -> None:
    n = values.size
    if not n:
        return
    change = np.flatnonzero(values[1:] != values[:-1]) + 1  # NaN (missing) never equals, so it breaks runs
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [n]])
    run = tracker.open
    if run is not None and values[0] == run.value:
        run.length += int(ends[0])
        run.last = _label(labels, ends[0] - 1)
        starts, ends = starts[1:], ends[1:]
        if starts.size:
            tracker.finish(run)
            tracker.open = None
    elif run is not None:
        tracker.finish(run)
        tracker.open = None
    if starts.size:
        tracker.close_runs(values, starts[:-1], ends[:-1], offset, labels)
        s = int(starts[-1])
        tracker.open = _Run(float(values[s]), offset + s, n - s, _label(labels, s), _label(labels, n - 1))


def _anomaly(name: str, tracker: _Tracker, order_by: Sequence[str]) -> Anomaly | None:
    usual = tracker.percentile(0.99)
    threshold = max(MIN_RUN, FACTOR * usual)
    runs = sorted((r for r in tracker.candidates if r.length >= threshold), key=lambda r: -r.length)
    if not runs:
        return None
    worst = runs[0]
    where = f"rows {worst.start}..{worst.start + worst.length - 1}"
    if order_by:
        where = f"from {_describe(worst.first)} to {_describe(worst.last)}"
    return Anomaly.of(
        AnomalyCode.STUCK_VALUES, name,
        f"column '{name}' repeats {worst.value:g} for {worst.length} consecutive rows ({where}); 99% of its runs "
        f"last at most {usual:g} rows, so this looks like a stuck sensor or a filled-in default "
        f"({len(runs)} such run(s))",
        expected=f"runs shorter than {threshold:g} rows", observed=worst.length,
        examples=[{"value": r.value, "length": r.length, "first_row": r.start, "from": r.first, "to": r.last}
                  for r in runs],
    )


def _labels(batch: pa.RecordBatch, order_by: Sequence[str]) -> _Labels:
    return {name: batch.column(name) for name in order_by} if order_by else None


def _label(labels: _Labels, index: Any) -> dict[str, Any]:
    """The ``order_by`` values of one row of the batch (read only for the rows reported)."""
    if labels is None:
        return {}
    return {name: _plain(column[int(index)].as_py()) for name, column in labels.items()}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _describe(label: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in label.items())


def _as_float(column: pa.Array) -> np.ndarray:
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


__all__ = ["FACTOR", "MIN_DISTINCT", "MIN_RUN", "check_stuck_values"]
