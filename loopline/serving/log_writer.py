"""Writing the prediction log off the request path: a bounded queue and one writer thread.

A request hands its predictions over with ``submit`` (a lock, a list append, no I/O) and
is answered; the writer thread wakes every ``flush_interval_s``, or as soon as a full
batch is waiting, and stores everything pending in transactions of up to ``batch_size``
rows. The queue is bounded in rows: when it is full, ``submit`` says so and the server
refuses the prediction (503) instead of acknowledging one it could not log.

A failed write is retried with backoff, keeping the rows at the head of the queue.
``close`` stops taking new rows and writes everything pending; if the database stays
unreachable past ``close_timeout_s``, the rows go to a JSON-lines spill file next to the
database, which ``start`` replays into the log the next time (the log ignores rows it has
already), so an acknowledged prediction is never lost.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from loopline.metadata.predictions import PredictionRecord, plain_json

_log = logging.getLogger("loopline.serving.log")
SPILL_PATTERN = "prediction-log-spill-*.jsonl"


class PredictionSink(Protocol):
    """Where rows go: ``PredictionLog`` or anything with the same ``append``."""

    def append(self, records: Sequence[PredictionRecord]) -> int: ...


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One answered request, as handed to the writer: expanded into rows off the request path."""

    request_id: str
    model: str
    version: int
    served_as: str
    created_at: datetime
    inputs: Sequence[Any]
    outputs: Sequence[Any]
    latency_ms: float

    def rows(self) -> list[PredictionRecord]:
        return [
            PredictionRecord(self.request_id, i, self.model, self.version, self.created_at, record, output,
                             self.latency_ms, self.served_as)
            for i, (record, output) in enumerate(zip(self.inputs, self.outputs, strict=True))
        ]


@dataclass(frozen=True)
class WriterStats:
    pending: int
    written: int
    failed_writes: int
    spilled: int


class PredictionLogWriter:
    """Batches predictions into ``sink`` from a background thread; see the module docstring."""

    def __init__(
        self,
        sink: PredictionSink,
        *,
        max_pending: int = 100_000,
        batch_size: int = 2_000,
        flush_interval_s: float = 0.05,
        close_timeout_s: float = 30.0,
        spill_dir: Path | None = None,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        self.sink = sink
        self.max_pending = max_pending
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.close_timeout_s = close_timeout_s
        self.spill_dir = spill_dir
        self.on_written = on_written
        self._queue: deque[LoggedRequest] = deque()
        self._lock = threading.Condition()
        self._pending = 0
        self._submitted = 0  # rows ever accepted
        self._written = 0  # rows ever stored (or spilled), in submission order
        self._failed_writes = 0
        self._spilled = 0
        self._closing = False
        self._urgent = False  # a flush() is waiting: write now rather than at the next interval
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> PredictionLogWriter:
        """Replay spill files left by an earlier run, then start the writer thread."""
        if self._thread is None:
            self.replay_spills()
            self._thread = threading.Thread(target=self._run, name="loopline-prediction-log", daemon=True)
            self._thread.start()
        return self

    def close(self) -> WriterStats:
        """Stop accepting rows and write (or, failing that, spill) every pending one."""
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        elif self._queue:  # never started: write what was submitted, here
            self._drain(deadline=time.monotonic() + self.close_timeout_s)
        return self.stats()

    def stats(self) -> WriterStats:
        with self._lock:
            return WriterStats(self._pending, self._written, self._failed_writes, self._spilled)

    # -- the request side ----------------------------------------------------------------------

    def submit(self, request: LoggedRequest) -> bool:
        """Queue one answered request; False (nothing queued) when the queue is full or closing."""
        rows = len(request.outputs)
        with self._lock:
            if self._closing or self._pending + rows > self.max_pending:
                return False
            self._queue.append(request)
            self._pending += rows
            self._submitted += rows
            if self._pending >= self.batch_size:
                self._lock.notify()
            return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row submitted before this call is stored; False on timeout."""
        with self._lock:
            target = self._submitted
            self._urgent = True
            self._lock.notify_all()
            return self._lock.wait_for(lambda: self._written >= target, timeout=timeout)

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closing or self._urgent or self._pending >= self.batch_size,
                                    timeout=self.flush_interval_s)
                closing, self._urgent = self._closing, False
            if closing:
                self._drain(deadline=time.monotonic() + self.close_timeout_s)
                return
            self._write_pending(deadline=None)

    def _drain(self, *, deadline: float) -> None:
        self._write_pending(deadline=deadline)
        if self._queue:
            self._spill()

    def _write_pending(self, *, deadline: float | None) -> None:
        """Write queued requests in batches; on failure retry (until ``deadline``, if given)."""
        attempt = 0
        while True:
            with self._lock:
                batch = self._take_batch()
            if not batch:
                return
            rows = [row for request in batch for row in request.rows()]
            try:
                self.sink.append(rows)
            except Exception as exc:  # the database is down or busy: keep the rows, retry
                attempt += 1
                with self._lock:
                    self._failed_writes += 1
                _log.warning("writing %d prediction(s) to the log failed (attempt %d): %s", len(rows), attempt, exc)
                wait = min(0.05 * 2**attempt, 2.0)
                if deadline is not None and time.monotonic() + wait > deadline:
                    return
                with self._lock:
                    if deadline is None and self._closing:
                        return  # the thread drains with a deadline next
                    self._lock.wait(timeout=wait)
                continue
            attempt = 0
            self._done(batch, len(rows))

    def _take_batch(self) -> list[LoggedRequest]:
        batch: list[LoggedRequest] = []
        rows = 0
        for request in self._queue:
            if batch and rows + len(request.outputs) > self.batch_size:
                break
            batch.append(request)
            rows += len(request.outputs)
        return batch

    def _done(self, batch: list[LoggedRequest], rows: int, *, spilled: bool = False) -> None:
        with self._lock:
            for _ in batch:
                self._queue.popleft()
            self._pending -= rows
            self._written += rows
            if spilled:
                self._spilled += rows
            self._lock.notify_all()
        if self.on_written is not None and not spilled:
            self.on_written(rows)

    # -- spill files ---------------------------------------------------------------------------

    def _spill(self) -> None:
        with self._lock:
            batch = list(self._queue)
        rows = [row for request in batch for row in request.rows()]
        if self.spill_dir is None:
            _log.error("%d prediction(s) could not be written to the log and no spill folder is set", len(rows))
            return
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        target = self.spill_dir / f"prediction-log-spill-{os.getpid()}-{time.time_ns()}.jsonl"
        partial = target.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(_row_json(row), allow_nan=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
        _log.error("the prediction log was unreachable; %d prediction(s) kept in %s and stored on the next start",
                   len(rows), target)
        self._done(batch, len(rows), spilled=True)

    def replay_spills(self) -> int:
        """Store the rows of spill files left in ``spill_dir``; each file is removed once stored."""
        if self.spill_dir is None or not self.spill_dir.is_dir():
            return 0
        stored = 0
        for path in sorted(self.spill_dir.glob(SPILL_PATTERN)):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
                rows = [_row_from_json(json.loads(line)) for line in lines if line]
                for start in range(0, len(rows), self.batch_size):
                    self.sink.append(rows[start : start + self.batch_size])
            except Exception as exc:  # keep the file for the next start; serving goes on
                _log.error("could not store the predictions kept in %s (kept for the next start): %s", path, exc)
                continue
            path.unlink()
            stored += len(rows)
            _log.info("stored %d prediction(s) from %s", len(rows), path)
        return stored


def _row_json(row: PredictionRecord) -> dict[str, Any]:
    return {
        "request_id": row.request_id, "row_index": row.row_index, "model": row.model, "version": row.version,
        "created_at": row.created_at.isoformat(), "inputs": plain_json(dict(row.inputs)),
        "output": plain_json(row.output), "latency_ms": row.latency_ms, "served_as": row.served_as,
    }


def _row_from_json(data: dict[str, Any]) -> PredictionRecord:
    return PredictionRecord(
        data["request_id"], int(data["row_index"]), data["model"], int(data["version"]),
        datetime.fromisoformat(data["created_at"]), data["inputs"], data["output"], float(data["latency_ms"]),
        data.get("served_as", "primary"),
    )


__all__ = ["SPILL_PATTERN", "LoggedRequest", "PredictionLogWriter", "PredictionSink", "WriterStats"]
