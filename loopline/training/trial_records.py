"""Each tuning trial recorded as an execution of the run, with its parameters and score.

A trial's execution is named ``<step>/trial-<n>``, belongs to the tuning step's run,
reads the same input artifacts as the step and carries the trial's hyperparameters as
its parameters and the objective as its metric. A trial that raised is an ordinary
outcome of a search, not a failure of the run: its execution is COMPLETE with
``trial_state = "failed"`` and the error in its logs. Only trials abandoned because
the tuning itself stopped (an error, an interrupt) are recorded FAILED.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loopline.errors import ConflictError
from loopline.metadata.records import MetricPoint

if TYPE_CHECKING:
    from loopline.metadata.store import MetadataStore
    from loopline.training.tuning import TrialResult


class MetadataTrialRecorder:
    """Records trials of the step ``step`` of run ``run_id``; ``inputs`` are artifact ids by name."""

    def __init__(self, metadata: MetadataStore, run_id: int, step: str, *, objective: str,
                 inputs: Mapping[str, int] | None = None) -> None:
        self._metadata = metadata
        self._run_id = run_id
        self._step = step
        self._objective = objective
        self._inputs = dict(inputs or {})

    def started(self, number: int, params: Mapping[str, Any]) -> int:
        execution = self._metadata.executions.start(
            self._run_id, f"{self._step}/trial-{number}", cache_key=None, params={"trial": number, **params}
        )
        return execution.id

    def finished(self, handle: int | None, result: TrialResult) -> None:
        if handle is None:
            return
        metrics = []
        if result.value is not None:
            metrics = [MetricPoint(self._objective, result.value, 0, datetime.now(UTC))]
        self._metadata.executions.complete(
            handle,
            inputs=self._inputs,
            outputs={},
            metrics=metrics,
            params={"trial_state": result.state, "duration_s": round(result.duration_s, 6)},
            logs=result.error,
        )

    def abandoned(self, handle: int | None, reason: str) -> None:
        if handle is None:
            return
        try:
            self._metadata.executions.fail(handle, error=reason, traceback=None, inputs=self._inputs)
        except ConflictError:
            pass  # already ended


__all__ = ["MetadataTrialRecorder"]
