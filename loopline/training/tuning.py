"""Hyperparameter tuning with Optuna: a trial budget, a timeout, trials side by side.

The study runs ask-and-tell: this process asks Optuna (TPE, seeded) for a trial's
hyperparameters, a backend (``loopline.training.trials``) fits and scores it, and the
score is told back. Up to ``n_jobs`` trials are in flight at once. No trial starts after
``n_trials`` have started or ``timeout_s`` has passed; those already running finish.
Each trial fits on the first rows of the frame and is scored on the last
``validation_fraction`` of them, in the frame's order (a time-ordered frame is thus
validated on its latest rows, never on its past). The best trial's hyperparameters are
then fitted on every row: that model is what tuning returns.

A ``TrialRecorder`` sees every trial begin and end; the tuning step records each one
as an execution of the run (see ``MetadataTrialRecorder``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from loopline.config import SearchDimension
from loopline.errors import InvalidInputError
from loopline.training.columns import split_xy
from loopline.training.errors import MissingExtraError, TuningFailedError
from loopline.training.estimators import EstimatorSpec, accepted_arguments, parse_estimator
from loopline.training.fitting import TrainingRecord, train
from loopline.training.objectives import direction_of
from loopline.training.space import check_names, distributions, parse_space
from loopline.training.trials import TrialData, TrialTask, open_backend

MAX_ERROR_CHARS = 2_000


@dataclass(frozen=True)
class TrialResult:
    """One trial: its hyperparameters, and its score or the error that stopped it."""

    number: int
    params: dict[str, Any]
    state: str  # "complete" | "failed"
    value: float | None
    duration_s: float
    error: str | None = None
    execution_id: int | None = None


@dataclass(frozen=True)
class TuningResult:
    """A finished study: the best trial and every trial, and why it stopped (``budget`` or ``timeout``)."""

    objective: str
    direction: str
    best_params: dict[str, Any]
    best_value: float
    best_trial: int
    trials: tuple[TrialResult, ...]
    stopped_by: str
    backend: str
    n_jobs: int

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["trials"] = [asdict(t) for t in self.trials]
        return result


class TrialRecorder(Protocol):
    """Told when each trial starts and how it ended; returns a handle from ``started``."""

    def started(self, number: int, params: Mapping[str, Any]) -> int | None: ...

    def finished(self, handle: int | None, result: TrialResult) -> None: ...

    def abandoned(self, handle: int | None, reason: str) -> None: ...


def tune(
    frame: Any,
    *,
    estimator: str | EstimatorSpec,
    search_space: Sequence[Mapping[str, Any] | SearchDimension],
    target: str,
    features: Sequence[str] | None = None,
    objective: str = "rmse",
    n_trials: int = 20,
    timeout_s: float = 0.0,
    n_jobs: int = 1,
    validation_fraction: float = 0.2,
    seed: int | None = 0,
    backend: str = "local",
    recorder: TrialRecorder | None = None,
) -> tuple[Any, TuningResult, TrainingRecord]:
    """Search ``search_space`` for the hyperparameters of ``estimator`` that optimise ``objective``.

    Returns the best trial's model refitted on all of ``frame``, the study's result and the
    refit's training record.
    """
    optuna = import_optuna()
    spec = parse_estimator(estimator) if isinstance(estimator, str) else estimator
    dimensions = parse_space(search_space)
    check_names(dimensions, accepted_arguments(spec), spec.path)
    _check_budget(n_trials, timeout_s, n_jobs, validation_fraction)
    direction = direction_of(objective)
    x, y, names = split_xy(frame, target, features)
    data = _holdout(x, y, validation_fraction)
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=n_jobs > 1)
    study = optuna.create_study(direction=direction, sampler=sampler)
    trials, stopped_by = _run_study(
        study, distributions(dimensions), open_backend(backend, data, n_jobs), spec, objective, seed,
        n_trials=n_trials, timeout_s=timeout_s, n_jobs=n_jobs, recorder=recorder,
    )
    completed = [t for t in trials if t.state == "complete"]
    if not completed:
        first = trials[0].error if trials else "no trial ran"
        raise TuningFailedError(
            f"none of the {len(trials)} trials of {spec} produced a score; the first failed with: {first}",
            hint="check the search space ranges against the estimator's documentation",
        )
    best = min(completed, key=lambda t: t.value if direction == "minimize" else -(t.value or 0.0))
    model, record = train(frame, estimator=spec.with_arguments(**best.params), target=target, features=names,
                          seed=seed)
    result = TuningResult(
        objective=objective, direction=direction, best_params=dict(best.params), best_value=float(best.value or 0.0),
        best_trial=best.number, trials=tuple(trials), stopped_by=stopped_by, backend=backend, n_jobs=n_jobs,
    )
    return model, result, record


def _run_study(
    study: Any,
    space: Mapping[str, Any],
    backend: Any,
    spec: EstimatorSpec,
    objective: str,
    seed: int | None,
    *,
    n_trials: int,
    timeout_s: float,
    n_jobs: int,
    recorder: TrialRecorder | None,
) -> tuple[list[TrialResult], str]:
    from optuna.trial import TrialState

    deadline = time.monotonic() + timeout_s if timeout_s else None
    pending: dict[Future[float], tuple[Any, int | None, float]] = {}
    results: list[TrialResult] = []
    asked, stopped_by = 0, "budget"
    try:
        while True:
            while len(pending) < n_jobs and asked < n_trials and stopped_by == "budget":
                if deadline is not None and time.monotonic() >= deadline:
                    stopped_by = "timeout"
                    break
                trial = study.ask(dict(space))
                asked += 1
                handle = recorder.started(trial.number, trial.params) if recorder else None
                future = backend.submit(TrialTask(spec, dict(trial.params), objective, seed))
                pending[future] = (trial, handle, time.perf_counter())
            if not pending:
                break
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                trial, handle, started = pending.pop(future)
                result = _result(trial, future, time.perf_counter() - started, handle)
                if result.state == "complete":
                    study.tell(trial, result.value)
                else:
                    study.tell(trial, state=TrialState.FAIL)
                if recorder:
                    recorder.finished(handle, result)
                results.append(result)
    finally:
        backend.close()
        for _, handle, _ in pending.values():
            if recorder:
                recorder.abandoned(handle, "tuning stopped before this trial ended")
    return sorted(results, key=lambda r: r.number), stopped_by


def _result(trial: Any, future: Future[float], duration: float, handle: int | None) -> TrialResult:
    error = future.exception()
    value = None if error is not None else float(future.result())
    if error is None and value is not None and not math.isfinite(value):
        error = ValueError(f"the objective is {value}")
    params = dict(trial.params)
    if error is not None:
        text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        return TrialResult(trial.number, params, "failed", None, duration, text, handle)
    return TrialResult(trial.number, params, "complete", value, duration, None, handle)


def _holdout(x: Any, y: Any, fraction: float) -> TrialData:
    cut = int(round(len(x) * (1 - fraction)))
    if cut < 2 or len(x) - cut < 2:
        raise InvalidInputError(
            f"validation_fraction={fraction} of {len(x)} rows leaves {cut} rows to fit and {len(x) - cut} to score",
            hint="tune on more rows, or choose a fraction that leaves at least 2 rows on each side",
        )
    return TrialData(x.iloc[:cut], y.iloc[:cut], x.iloc[cut:], y.iloc[cut:])


def _check_budget(n_trials: int, timeout_s: float, n_jobs: int, fraction: float) -> None:
    for name, value, low in (("n_trials", n_trials, 1), ("n_jobs", n_jobs, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInputError(f"{name} must be an integer >= {low}, got {value!r}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not timeout_s >= 0:
        raise InvalidInputError(f"timeout_s must be a number of seconds >= 0 (0: no limit), got {timeout_s!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise InvalidInputError(f"validation_fraction must be between 0 and 1, got {fraction!r}")


def import_optuna() -> Any:
    """The ``optuna`` module, or MissingExtraError naming the ``tune`` extra."""
    try:
        import optuna
    except ImportError as exc:
        raise MissingExtraError(
            f"tuning needs the 'optuna' package, which cannot be imported ({exc})",
            hint="pip install 'loopline[tune]'",
        ) from None
    return optuna


__all__ = ["TrialRecorder", "TrialResult", "TuningResult", "import_optuna", "tune"]
