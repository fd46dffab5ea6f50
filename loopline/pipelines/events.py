"""Small frozen events a run reports as it goes, for live progress displays (``on_event=``)."""

from __future__ import annotations

from dataclasses import dataclass

from loopline.metadata.records import Run


@dataclass(frozen=True, slots=True)
class RunStarted:
    run: Run
    steps: tuple[str, ...]  # the steps this run will try, in order


@dataclass(frozen=True, slots=True)
class StepStarted:
    step: str
    run_id: int


@dataclass(frozen=True, slots=True)
class StepCached:
    step: str
    run_id: int
    execution_id: int
    cached_from: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class StepFinished:
    step: str
    run_id: int
    execution_id: int
    duration_s: float
    attempts: int


@dataclass(frozen=True, slots=True)
class StepFailed:
    step: str
    run_id: int
    execution_id: int | None
    duration_s: float
    error: str


@dataclass(frozen=True, slots=True)
class StepSkipped:
    step: str
    run_id: int
    reason: str
    duration_s: None = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    run: Run
    error: str | None

    @property
    def duration_s(self) -> float | None:
        return self.run.duration_s


RunEvent = RunStarted | StepStarted | StepCached | StepFinished | StepFailed | StepSkipped | RunFinished

__all__ = [
    "RunEvent",
    "RunFinished",
    "RunStarted",
    "StepCached",
    "StepFailed",
    "StepFinished",
    "StepSkipped",
    "StepStarted",
]
