"""The metadata store facade. CONTRACT STUB: signatures are the contract; bodies pending.

``MetadataStore(url).open()`` creates the engine and applies migrations. Work is grouped by
concept, each group a small object sharing the store's engine:

    store.runs        start / finish / get / list / executions / mark_interrupted
    store.executions  start / complete / fail / record_cached / find_cached / get / events
    store.artifacts   record / get / list
    store.tracking    log_metrics / log_params / metric_history / latest_metrics
    store.lineage     graph(root, direction, max_hops)
    store.contexts    get_or_create / get / list
    store.check_integrity()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from loopline.metadata.records import (
    Artifact,
    Context,
    Event,
    Execution,
    LineageGraph,
    MetricPoint,
    NewArtifact,
    NodeRef,
    Run,
    RunStatus,
)


class Runs:
    def start(self, pipeline: str, *, params: Mapping[str, Any], properties: Mapping[str, Any] | None = None) -> Run: ...
    def finish(self, run_id: int, status: RunStatus, *, error: str | None = None) -> Run: ...
    def get(self, run_id: int) -> Run: ...  # NotFoundError
    def list(self, *, pipeline: str | None = None, status: RunStatus | None = None, limit: int = 50, offset: int = 0) -> list[Run]: ...
    def executions(self, run_id: int) -> list[Execution]: ...
    def mark_interrupted(self) -> list[int]: ...  # RUNNING runs whose owner process on this host is gone


class Executions:
    def start(self, run_id: int, step: str, *, cache_key: str | None, params: Mapping[str, Any]) -> Execution: ...
    def complete(
        self,
        execution_id: int,
        *,
        inputs: Mapping[str, int],
        outputs: Mapping[str, NewArtifact],
        metrics: Sequence[MetricPoint] = (),
        params: Mapping[str, Any] | None = None,
        logs: str | None = None,
    ) -> dict[str, Artifact]: ...  # ONE transaction: artifacts + events + metrics + params + state
    def fail(
        self,
        execution_id: int,
        *,
        error: str,
        traceback: str | None,
        inputs: Mapping[str, int] | None = None,
        metrics: Sequence[MetricPoint] = (),
        logs: str | None = None,
    ) -> Execution: ...
    def record_cached(
        self,
        run_id: int,
        step: str,
        *,
        cache_key: str,
        params: Mapping[str, Any],
        inputs: Mapping[str, int],
        outputs: Mapping[str, int],
        cached_from: int,
    ) -> Execution: ...  # ONE transaction
    def find_cached(self, cache_key: str) -> tuple[Execution, dict[str, Artifact]] | None: ...
    def get(self, execution_id: int) -> Execution: ...
    def events(self, execution_id: int) -> list[Event]: ...


class Artifacts:
    def record(self, artifact: NewArtifact, *, context_id: int | None = None) -> Artifact: ...
    def get(self, artifact_id: int) -> Artifact: ...
    def list(self, *, type: str | None = None, name: str | None = None, limit: int = 50, offset: int = 0) -> list[Artifact]: ...


class Tracking:
    def log_metrics(self, execution_id: int, points: Sequence[MetricPoint]) -> None: ...
    def log_params(self, execution_id: int, params: Mapping[str, Any]) -> None: ...
    def metric_history(self, execution_id: int, key: str) -> list[MetricPoint]: ...
    def latest_metrics(self, *, run_id: int | None = None, execution_id: int | None = None) -> dict[str, dict[str, float]]: ...


class Lineage:
    def graph(self, root: NodeRef, *, direction: Literal["up", "down", "both"] = "both", max_hops: int | None = None) -> LineageGraph: ...


class Contexts:
    def get_or_create(self, kind: str, name: str, *, properties: Mapping[str, Any] | None = None) -> Context: ...


class MetadataStore:
    def __init__(self, url: str) -> None:
        self.url = url

    def open(self) -> MetadataStore: ...
    def close(self) -> None: ...
    def check_integrity(self) -> list[str]: ...

    runs: Runs
    executions: Executions
    artifacts: Artifacts
    tracking: Tracking
    lineage: Lineage
    contexts: Contexts
