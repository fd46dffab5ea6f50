"""The local runner: steps in dependency order in this process, or side by side in worker processes.

Sequential (the default): one step at a time in this process; an output is handed to
the steps that read it as the value in memory (and dropped once its last reader is
done), while it is also stored and recorded like any other.

``parallel=True``: independent steps run at the same time, up to ``max_workers`` (default:
the CPUs available), each in a worker process of a ``concurrent.futures`` pool; outputs
travel through the artifact store and each worker opens the stores from their URLs once.
Workers are started with the ``forkserver`` method (``spawn`` where it is unavailable),
not ``fork``: a forked copy of a process that has used OpenMP (scikit-learn, numpy's
BLAS) or other thread pools can hang, and this process may have trained a model or
written Parquet before. The forkserver preloads Loopline, so a worker starts in
milliseconds after the first. Step functions travel with cloudpickle (see
``shipping``). As with any ``multiprocessing`` code, a script that runs a pipeline
this way must do so under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from loopline.errors import InvalidInputError, LooplineError
from loopline.pipelines.execution import Executed, execute_job
from loopline.pipelines.plan import RunPlan, StepJob
from loopline.pipelines.results import StepOutcome
from loopline.pipelines.runners.shipping import import_cloudpickle, modules_to_ship, pickled_by_value
from loopline.pipelines.runners.workers import execute_pickled, open_stores, require_shared
from loopline.pipelines.scheduling import drive


class WorkerDiedError(LooplineError):
    """A worker process ended while it was running a step."""


_PRELOAD = ["loopline.pipelines.runners.workers", "loopline.metadata", "loopline.artifacts"]


class LocalRunner:
    """Runs steps on this machine: in this process, or in ``max_workers`` processes with ``parallel``."""

    name = "local"

    def __init__(self, *, parallel: bool = False, max_workers: int | None = None) -> None:
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise InvalidInputError(f"max_workers must be a positive integer or None, got {max_workers!r}")
        self.parallel = parallel
        self.max_workers = max_workers

    def __repr__(self) -> str:
        return f"LocalRunner(parallel={self.parallel}, max_workers={self.max_workers})"

    def run(self, plan: RunPlan) -> dict[str, StepOutcome]:
        if self.parallel:
            return self._run_in_processes(plan)
        return _run_here(plan)

    def _run_in_processes(self, plan: RunPlan) -> dict[str, StepOutcome]:
        address = plan.address
        require_shared(address, "parallel local runner")
        cloudpickle = import_cloudpickle()
        shipped = modules_to_ship(plan.pipeline.steps)
        workers = self.max_workers or max(1, min(len(plan.pipeline), _cpus()))
        pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=open_stores, initargs=(address,))

        def submit(job: StepJob) -> Future[Executed]:
            with pickled_by_value(cloudpickle, shipped):
                payload = cloudpickle.dumps(job)
            return _explained(pool.submit(execute_pickled, payload, address), job.step.name)

        try:
            outcomes = drive(plan, submit, max_in_flight=workers)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return outcomes


def _run_here(plan: RunPlan) -> dict[str, StepOutcome]:
    readers = Counter(d for s in plan.pipeline.steps for d in s.data_inputs)
    values: dict[str, Any] = {d: v for d, v in plan.values.items() if readers[d] > 0}

    def submit(job: StepJob) -> Future[Executed]:
        future: Future[Executed] = Future()
        try:
            executed = execute_job(job, plan.metadata, plan.artifacts, values)
        except Exception as exc:
            future.set_exception(exc)
            return future
        for dataset in job.step.data_inputs:
            readers[dataset] -= 1
            if readers[dataset] <= 0:
                values.pop(dataset, None)
        for dataset, value in executed.values.items():
            if readers[dataset] > 0:
                values[dataset] = value
        future.set_result(Executed(executed.outcome))
        return future

    return drive(plan, submit, max_in_flight=1)


def _explained(future: Future[Executed], step: str) -> Future[Executed]:
    """``future``, with a dead worker process reported in words a user can act on."""
    result: Future[Executed] = Future()

    def copy(done: Future[Executed]) -> None:
        error = done.exception()
        if error is None:
            result.set_result(done.result())
        elif isinstance(error, BrokenProcessPool):
            result.set_exception(
                WorkerDiedError(
                    f"the worker process running step '{step}' died (killed, out of memory, a crash in native "
                    "code, or a script that started the run without an 'if __name__ == \"__main__\":' guard)",
                    hint="run it without --parallel to see the step's own error",
                )
            )
        else:
            result.set_exception(error)

    future.add_done_callback(copy)
    return result


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


__all__ = ["LocalRunner", "WorkerDiedError"]
