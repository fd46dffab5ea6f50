"""Batch prediction on Ray: chunks of a file predicted by a pool of Ray actors, written in input order.

``RayScorer`` is a ``ChunkScorer`` for ``predict_file``: this process reads the file and
writes the output (as with the local scorer), and each chunk's model columns travel to one
of ``workers`` actors, round robin, with up to two chunks per actor in flight. The model
package is put in Ray's object store once; each actor loads it once, compiles it as the
server does and, when the model looks features up, opens the workspace's online store
itself, so every worker does the same feature lookup as a local run. Results are taken
oldest first, so the output keeps the input's order. A Loopline error raised in an actor
(a missing column, a failed lookup) reaches the caller as itself.

Ray is an optional dependency: ``pip install 'loopline[ray]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from loopline.errors import InvalidInputError, LooplineError
from loopline.pipelines.runners.ray import import_ray
from loopline.serving.served import ServedModel

IN_FLIGHT_PER_WORKER = 2


class ChunkPredictor:
    """The actor's body: one compiled model, predicting the chunks it is sent."""

    def __init__(self, name: str, version: int, package: Any, workspace_root: str | None) -> None:
        from loopline.serving.batch import prediction_columns

        self._predict = prediction_columns
        self._store: Any = None
        self._workspace: Any = None
        if workspace_root is not None:
            from loopline.serving.loading import open_feature_store
            from loopline.workspace import Workspace

            self._workspace = Workspace.find(Path(workspace_root))  # kept open: the feature store reads through it
            self._store = open_feature_store(self._workspace)
        self.model = ServedModel.build(name, version, package, feature_store=self._store)

    def predict(self, chunk: pa.Table) -> pa.Table:
        return pa.table(self._predict(self.model, chunk))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None


class RayScorer:
    """Predicts chunks on ``workers`` Ray actors; ``close`` ends them."""

    def __init__(
        self,
        model: ServedModel,
        *,
        workers: int = 2,
        address: str | None = None,
        workspace_root: Path | None = None,
        num_cpus: float = 1,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidInputError(f"workers must be a positive integer, got {workers!r}")
        if model.features is not None and workspace_root is None:
            raise InvalidInputError(
                f"model {model.label} looks its features up, so the Ray workers need the workspace to open its "
                "online store", hint="pass workspace_root (loopline predict does)")
        self.model = model
        self.workers = workers
        self.address = address
        self.workspace_root = workspace_root
        self.num_cpus = num_cpus
        self.depth = workers * IN_FLIGHT_PER_WORKER
        self._ray: Any = None
        self._actors: list[Any] = []
        self._next = 0

    def start(self) -> RayScorer:
        """Join (or start) Ray and create the actors; each loads the package from the object store once."""
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address or None, include_dashboard=False, log_to_driver=False)
        package = ray.put(self.model.package)
        root = str(self.workspace_root) if self.model.features is not None else None
        actor = ray.remote(num_cpus=self.num_cpus, max_restarts=0)(ChunkPredictor)
        self._actors = [actor.remote(self.model.name, self.model.version, package, root)
                        for _ in range(self.workers)]
        return self

    def submit(self, chunk: pa.Table) -> Any:
        if not self._actors:
            raise RuntimeError("call start() before submitting chunks")
        actor = self._actors[self._next % len(self._actors)]
        self._next += 1
        return actor.predict.remote(chunk)

    def result(self, handle: Any) -> dict[str, pa.Array]:
        try:
            table = self._ray.get(handle)
        except self._ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, LooplineError):
                raise cause from None
            raise
        return {name: table.column(name) for name in table.column_names}

    def close(self) -> None:
        if self._ray is None:
            return
        for actor in self._actors:
            try:
                self._ray.get(actor.close.remote())
            except Exception:  # an actor that died has nothing left to close
                pass
            self._ray.kill(actor)
        self._actors = []

    def __enter__(self) -> RayScorer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ChunkPredictor", "RayScorer"]
