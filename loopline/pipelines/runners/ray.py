"""The Ray runner: each step a Ray task, on a local Ray instance or a cluster.

``RayRunner(address=None)`` joins the Ray instance already initialised in this process,
or calls ``ray.init(address=...)`` (no address: a local instance, left running for later
runs of this process). The caller's process keeps the scheduling loop (cache checks,
execution records, events); a task executes one started step: it opens the stores from
their URLs (once per Ray worker), decodes its inputs from the artifact store, runs the
function and records the outcome. Tasks return small outcome records (artifact ids and
uris), never output values, so the artifact store must be reachable from every node
(a shared folder or an object store) and so must the metadata database.

Tasks are not retried by Ray (``max_retries=0``): a step's own ``retries`` apply inside the
task, and a task whose worker died is recorded FAILED unless its execution had already
completed. Step functions from modules that Ray workers cannot import (the workspace's
pipelines file, test modules, scripts) are shipped by value with
cloudpickle (see ``shipping``); installed packages are imported by the workers.
Ray is an optional dependency: ``pip install 'loopline[ray]'``.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from loopline.errors import ConfigError, InvalidInputError
from loopline.pipelines.execution import Executed
from loopline.pipelines.plan import RunPlan, StepJob
from loopline.pipelines.results import StepOutcome
from loopline.pipelines.runners.shipping import modules_to_ship, pickled_by_value
from loopline.pipelines.runners.workers import execute_in_worker, require_shared
from loopline.pipelines.scheduling import drive


def import_ray() -> Any:
    """The ``ray`` module, or a ConfigError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            f"the Ray runner needs the 'ray' package, which cannot be imported ({exc})",
            hint="pip install 'loopline[ray]', or use the local runner ([runner] kind = \"local\")",
        ) from None
    return ray


class RayRunner:
    """Runs each step as a Ray task, at most ``max_in_flight`` at a time (default: the cluster's CPUs)."""

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        max_in_flight: int | None = None,
        num_cpus: float = 1,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        if max_in_flight is not None and (
            isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1
        ):
            raise InvalidInputError(f"max_in_flight must be a positive integer or None, got {max_in_flight!r}")
        self.address = address
        self.max_in_flight = max_in_flight
        self.num_cpus = num_cpus
        self.init_options = dict(init_options or {})

    def __repr__(self) -> str:
        return f"RayRunner(address={self.address!r}, max_in_flight={self.max_in_flight})"

    def run(self, plan: RunPlan) -> dict[str, StepOutcome]:
        ray = import_ray()
        address = plan.address
        require_shared(address, "Ray runner")
        if not ray.is_initialized():
            options = {"include_dashboard": False, **self.init_options}
            ray.init(address=self.address, **options)
        shipped = modules_to_ship(plan.pipeline.steps)
        task = ray.remote(num_cpus=self.num_cpus, max_retries=0)(execute_in_worker)
        in_flight = self.max_in_flight or max(1, int(ray.cluster_resources().get("CPU", 1) // self.num_cpus))

        def submit(job: StepJob) -> Future[Executed]:
            with pickled_by_value(ray.cloudpickle, shipped):  # Ray pickles the arguments right here
                return task.remote(job, address).future()  # type: ignore[no-any-return]

        return drive(plan, submit, max_in_flight=in_flight)


__all__ = ["RayRunner", "import_ray"]
