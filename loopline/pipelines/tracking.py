"""Tracking inside a step: ``log_param``, ``log_metric`` and ``log_artifact``.

A context variable holds the running step's ``StepTracker``. Metric points are buffered
in memory and written with the execution's completion (or failure) transaction; a buffer
that passes ``FLUSH_POINTS`` points or ``FLUSH_SECONDS`` seconds is flushed earlier with
``tracking.log_metrics``, so a long step holds little. Every value is durable once the
step ends. Logged parameters join the execution's parameters and, like them, cannot
change once set. A logged artifact is stored at once and recorded as an output of the
execution under its name.

Outside a step the functions raise ``NotInStepError``. To unit-test a step function
that logs, call it inside ``with recording() as record:`` and look at ``record``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loopline.errors import ConflictError, InvalidInputError
from loopline.metadata.records import MetricPoint, NewArtifact
from loopline.pipelines.artifact_types import artifact_type_of
from loopline.pipelines.cache import canonical
from loopline.pipelines.errors import NotInStepError

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

FLUSH_POINTS = 5_000
FLUSH_SECONDS = 5.0
MAX_KEY_LENGTH = 255

_active: ContextVar[StepTracker | None] = ContextVar("loopline_step_tracker", default=None)


@dataclass(frozen=True, slots=True)
class LoggedArtifact:
    """An artifact logged by a step: its record-to-be, and the value itself when no store was given."""

    record: NewArtifact | None
    value: Any = None


class StepTracker:
    """What one running step logs. ``execution_id`` and the stores are None under ``recording()``."""

    def __init__(
        self,
        step: str,
        *,
        execution_id: int | None = None,
        metadata: MetadataStore | None = None,
        artifacts: ArtifactStore | None = None,
        params: Mapping[str, Any] | None = None,
        reserved_names: tuple[str, ...] = (),
        flush_points: int | None = None,
        flush_seconds: float | None = None,
    ) -> None:
        self.step = step
        self.execution_id = execution_id
        self._metadata = metadata
        self._artifact_store = artifacts
        self._fixed = {k: canonical(v) for k, v in (params or {}).items()}
        self._reserved = reserved_names
        self._flush_points = FLUSH_POINTS if flush_points is None else flush_points
        self._flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self._lock = threading.Lock()
        self._params: dict[str, Any] = {}
        self._points: list[MetricPoint] = []
        self._next_step: dict[str, int] = {}
        self._artifacts: dict[str, LoggedArtifact] = {}
        self._last_flush = time.monotonic()
        self._closed: str | None = None
        self.flushed_points = 0

    # -- logging ------------------------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        _require_key(key, "a parameter key")
        normal = canonical(value)
        with self._lock:
            self._require_open("log_param")
            earlier = self._params.get(key, self._fixed.get(key, normal))
            if earlier != normal:
                raise ConflictError(
                    f"step '{self.step}' already has the parameter '{key}' = {earlier!r}; cannot log {normal!r}",
                    hint="a parameter is set once per execution; log the new value under another key",
                )
            self._params[key] = normal

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        _require_key(key, "a metric key")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(f"metric '{key}' got {value!r}; expected a number") from None
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise InvalidInputError(f"the step of metric '{key}' must be an integer or None, got {step!r}")
        now = datetime.now(UTC)
        with self._lock:
            self._require_open("log_metric")
            if step is None:
                step = self._next_step.get(key, 0)
            self._next_step[key] = step + 1
            self._points.append(MetricPoint(key, number, step, now))
            if self.execution_id is not None and (
                len(self._points) >= self._flush_points or time.monotonic() - self._last_flush >= self._flush_seconds
            ):
                self._flush()

    def log_artifact(self, value: Any, name: str, type: str | None = None) -> str | None:
        """Store ``value`` (a ``pathlib.Path`` is stored as that file or folder) as output ``name``.

        Returns the artifact's uri (None under ``recording()``, which keeps the value instead).
        """
        _require_key(name, "an artifact name")
        with self._lock:
            self._require_open("log_artifact")
            if name in self._reserved or name in self._artifacts:
                raise ConflictError(
                    f"step '{self.step}' already has an output named '{name}'",
                    hint="give each logged artifact a name of its own, different from the step's outputs",
                )
        kind = artifact_type_of(value, getattr(type, "value", type))
        if self._artifact_store is None:
            logged = LoggedArtifact(None, value)
        else:
            from loopline.artifacts import store_value

            stored = store_value(self._artifact_store, value)
            record = NewArtifact(name, kind, stored.uri, stored.digest, stored.size, stored.format, stored.properties)
            logged = LoggedArtifact(record)
        with self._lock:
            self._require_open("log_artifact")
            self._artifacts[name] = logged
        return logged.record.uri if logged.record is not None else None

    # -- what the runner reads ----------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        """Parameters logged with ``log_param``."""
        with self._lock:
            return dict(self._params)

    @property
    def metrics(self) -> list[MetricPoint]:
        """Metric points not yet written to the store (under ``recording()``, all of them)."""
        with self._lock:
            return list(self._points)

    @property
    def artifacts(self) -> dict[str, LoggedArtifact]:
        with self._lock:
            return dict(self._artifacts)

    def metric_series(self, key: str) -> list[float]:
        """The buffered values of one metric, in the order logged."""
        return [p.value for p in self.metrics if p.key == key]

    def start_attempt(self) -> None:
        """Forget artifacts logged by a failed attempt (metrics and parameters are kept)."""
        with self._lock:
            self._artifacts.clear()

    def take_metrics(self) -> list[MetricPoint]:
        """The unwritten points, handed over to the completion transaction."""
        with self._lock:
            points, self._points = self._points, []
            return points

    def close(self, reason: str) -> None:
        """Refuse further logging (a timed-out step's thread may still be running)."""
        with self._lock:
            self._closed = reason

    def _flush(self) -> None:
        points, self._points = self._points, []
        self._last_flush = time.monotonic()
        if points and self._metadata is not None and self.execution_id is not None:
            self._metadata.tracking.log_metrics(self.execution_id, points)
            self.flushed_points += len(points)

    def _require_open(self, call: str) -> None:
        if self._closed is not None:
            raise NotInStepError(f"{call}() in step '{self.step}' after the step ended ({self._closed}); not recorded")


def _require_key(key: object, what: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{what} must be a non-empty string of at most {MAX_KEY_LENGTH} characters, got {key!r}"
        )


def current_tracker(call: str = "tracking") -> StepTracker:
    """The running step's tracker, or NotInStepError."""
    tracker = _active.get()
    if tracker is None:
        raise NotInStepError(
            f"{call}() was called outside a running pipeline step",
            hint="call it from a step function run by run_pipeline; to test a step function alone, "
            "call it inside 'with loopline.pipelines.recording() as record:' and read record.params / record.metrics",
        )
    return tracker


@contextmanager
def tracking(tracker: StepTracker) -> Iterator[StepTracker]:
    """Make ``tracker`` the current step's tracker for the block."""
    token = _active.set(tracker)
    try:
        yield tracker
    finally:
        _active.reset(token)


@contextmanager
def recording(step: str = "test") -> Iterator[StepTracker]:
    """Collect what step code logs, in memory, without any store (for unit tests)."""
    with tracking(StepTracker(step)) as tracker:
        yield tracker


def log_param(key: str, value: Any) -> None:
    """Record a parameter of the running step (a JSON-able value; set once per key)."""
    current_tracker("log_param").log_param(key, value)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Append a point to the metric series ``key``; ``step`` defaults to the previous step + 1 (from 0)."""
    current_tracker("log_metric").log_metric(key, value, step)


def log_artifact(value: Any, name: str, type: str | None = None) -> str | None:
    """Store a value, or a file or folder given as a ``pathlib.Path``, as an output artifact named ``name``."""
    return current_tracker("log_artifact").log_artifact(value, name, type)


__all__ = [
    "FLUSH_POINTS",
    "FLUSH_SECONDS",
    "LoggedArtifact",
    "StepTracker",
    "current_tracker",
    "log_artifact",
    "log_metric",
    "log_param",
    "recording",
    "tracking",
]
