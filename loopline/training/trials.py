"""Where tuning trials run: in this process, in local worker processes, or as Ray tasks.

A trial fits the estimator with one set of hyperparameters on the fitting rows and
scores it on the held-out rows. Each backend turns ``(params)`` into a
``concurrent.futures.Future`` of the score, so the study loop is the same for all:

- ``InProcessTrials``: one trial at a time, here (``n_jobs = 1``).
- ``ProcessTrials``: a pool of ``n_jobs`` worker processes (``forkserver``, not ``fork``:
  a forked copy of a process whose OpenMP or BLAS threads ran can hang). Each worker
  receives the data once, when it starts, and the parent's ``sys.path`` so that a
  training function from the workspace imports there too. The workers share the CPUs:
  each limits its native thread pools (OpenMP, BLAS) to its share, since ``n_jobs``
  processes each spinning up a thread per CPU slow every one of them down.
- ``RayTrials``: Ray tasks on the cluster this process is connected to (or a local
  instance); the data goes to Ray's object store once.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from loopline.errors import ConfigError, InvalidInputError
from loopline.training.estimators import EstimatorSpec, fit_estimator
from loopline.training.objectives import score

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class TrialData:
    """The rows a trial fits on and the rows it is scored on."""

    fit_x: Any
    fit_y: Any
    valid_x: Any
    valid_y: Any


@dataclass(frozen=True)
class TrialTask:
    """Everything but the data that one trial needs."""

    spec: EstimatorSpec
    params: dict[str, Any]
    objective: str
    seed: int | None


def run_trial(data: TrialData, task: TrialTask) -> float:
    """Fit with the trial's hyperparameters, return the objective on the held-out rows."""
    model = fit_estimator(task.spec.with_arguments(**task.params), data.fit_x, data.fit_y, seed=task.seed)
    return score(task.objective, model, data.valid_x, data.valid_y)


class TrialBackend(Protocol):
    def submit(self, task: TrialTask) -> Future[float]: ...

    def close(self) -> None: ...


class InProcessTrials:
    """Runs each trial at once, in this process."""

    def __init__(self, data: TrialData) -> None:
        self._data = data

    def submit(self, task: TrialTask) -> Future[float]:
        future: Future[float] = Future()
        try:
            future.set_result(run_trial(self._data, task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self) -> None:
        return None


_worker_data: TrialData | None = None
_worker_limits: Any = None


def _start_worker(payload: bytes, path: list[str], threads: int) -> None:
    global _worker_data, _worker_limits
    from threadpoolctl import threadpool_limits

    for entry in path:
        if entry not in sys.path:
            sys.path.append(entry)
    _worker_limits = threadpool_limits(limits=threads)  # kept for the worker's life
    _worker_data = pickle.loads(payload)  # bytes this process pickled a moment ago


def _run_in_worker(task: TrialTask) -> float:
    if _worker_data is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("trial worker started without its data")
    return run_trial(_worker_data, task)


class ProcessTrials:
    """Runs trials in ``workers`` local processes."""

    def __init__(self, data: TrialData, workers: int) -> None:
        payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        threads = max(1, _cpus() // workers)
        self._pool = ProcessPoolExecutor(
            workers, mp_context=_context(), initializer=_start_worker, initargs=(payload, list(sys.path), threads)
        )

    def submit(self, task: TrialTask) -> Future[float]:
        return self._pool.submit(_run_in_worker, task)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayTrials:
    """Runs trials as Ray tasks (one CPU each)."""

    def __init__(self, data: TrialData) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                f"tuning on Ray needs the 'ray' package, which cannot be imported ({exc})",
                hint="pip install 'loopline[ray]', or tune with backend = \"local\"",
            ) from None
        if not ray.is_initialized():
            ray.init(include_dashboard=False, log_to_driver=False)
        self._ray = ray
        self._data = ray.put(data)
        self._task = ray.remote(num_cpus=1, max_retries=0)(run_trial)

    def submit(self, task: TrialTask) -> Future[float]:
        return self._task.remote(self._data, task).future()  # type: ignore[no-any-return]

    def close(self) -> None:
        return None


def open_backend(name: str, data: TrialData, n_jobs: int) -> TrialBackend:
    """The backend called ``name`` (``local``: here when ``n_jobs`` is 1, else processes; ``ray``)."""
    if name == "ray":
        return RayTrials(data)
    if name != "local":
        raise InvalidInputError(f"unknown tuning backend {name!r}", hint=f"use one of: {', '.join(BACKENDS)}")
    if n_jobs <= 1:
        return InProcessTrials(data)
    return ProcessTrials(data, n_jobs)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


__all__ = [
    "BACKENDS",
    "InProcessTrials",
    "ProcessTrials",
    "RayTrials",
    "TrialBackend",
    "TrialData",
    "TrialTask",
    "open_backend",
    "run_trial",
]
