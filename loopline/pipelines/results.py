"""What a run returns: the run record, each step's outcome, the artifacts by dataset name."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopline.metadata.records import Artifact, Run, RunStatus
from loopline.pipelines.errors import RunFailedError

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore


class StepStatus(str, enum.Enum):
    RAN = "ran"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"  # not run: a step it depends on failed

    @property
    def is_ok(self) -> bool:
        return self in (StepStatus.RAN, StepStatus.CACHED)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """How one step of a run ended. ``outputs`` are its artifacts by dataset (or logged) name."""

    step: str
    status: StepStatus
    duration_s: float
    outputs: dict[str, Artifact] = field(default_factory=dict)
    execution_id: int | None = None
    cached_from: int | None = None
    attempts: int = 0
    error: str | None = None
    traceback: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run. ``outputs`` holds every artifact its steps produced or reused, by dataset name."""

    run: Run
    steps: dict[str, StepOutcome]
    outputs: dict[str, Artifact]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.run.status is RunStatus.COMPLETE

    def steps_with(self, status: StepStatus | str) -> list[str]:
        """Names of the steps that ended with ``status``, in run order."""
        wanted = StepStatus(status)
        return [name for name, outcome in self.steps.items() if outcome.status is wanted]

    def load(self, dataset: str, artifacts: ArtifactStore) -> Any:
        """The value of an output, read back from the artifact store (its digest is checked)."""
        from loopline.artifacts import decode
        from loopline.errors import NotFoundError, did_you_mean

        artifact = self.outputs.get(dataset)
        if artifact is None:
            hint = did_you_mean(dataset, self.outputs) or f"outputs of this run: {', '.join(self.outputs) or 'none'}"
            raise NotFoundError(f"run {self.run.id} has no output named '{dataset}'", hint=hint)
        return decode(artifacts, artifact.uri, artifact.format)

    def raise_on_failure(self) -> RunResult:
        """Return self if the run completed; raise RunFailedError with its error otherwise."""
        if not self.ok:
            raise RunFailedError(self.error or f"run {self.run.id} ended {self.run.status.value}")
        return self


__all__ = ["RunResult", "StepOutcome", "StepStatus"]
