"""Domain records of the metadata store: small frozen values, no database in sight.

The model is ML Metadata's: artifacts (immutable typed files in the artifact store),
executions (one step run once), events (an execution read or wrote an artifact) and
contexts (groupings: a pipeline, a run). A run is a context of kind ``run`` with a
status and timings; every execution belongs to exactly one run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ArtifactType(str, enum.Enum):
    """Well-known artifact types. Users may record any other string as a type."""

    DATASET = "Dataset"
    STATISTICS = "Statistics"
    SCHEMA = "Schema"
    ANOMALIES = "Anomalies"
    MODEL = "Model"
    EVALUATION = "Evaluation"
    BLESSING = "Blessing"
    REPORT = "Report"
    FILE = "File"
    VALUE = "Value"


class ExecutionState(str, enum.Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self is not ExecutionState.RUNNING


class RunStatus(str, enum.Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process that ran it died without finishing


class EventKind(str, enum.Enum):
    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True)
class Artifact:
    """An immutable, content-addressed file or folder with a typed record."""

    id: int
    type: str
    name: str
    uri: str  # the artifact store's key, e.g. "sha256:ab12..."
    digest: str  # hex sha256 of the stored bytes (of the manifest for a folder)
    size: int
    format: str  # how the bytes decode: parquet, json, pickle, npy, raw, text, file, dir
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    producer_execution_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewArtifact:
    """An artifact about to be recorded: the artifact store already holds its bytes."""

    name: str
    type: str
    uri: str
    digest: str
    size: int
    format: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Execution:
    """One step run once (or reused from cache) inside a run."""

    id: int
    run_id: int
    step: str
    state: ExecutionState
    cache_key: str | None
    params: dict[str, Any]
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None = None
    traceback: str | None = None
    logs: str | None = None
    cached_from: int | None = None  # the execution whose outputs a cached one reused

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Event:
    execution_id: int
    artifact_id: int
    kind: EventKind
    name: str  # the dataset name inside the pipeline ("model", "train", ...)


@dataclass(frozen=True, slots=True)
class Run:
    """One pipeline run: a context of kind ``run``."""

    id: int
    pipeline: str
    status: RunStatus
    params: dict[str, Any]
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None = None
    owner: str | None = None  # "host:pid" of the process that ran it
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Context:
    """A named grouping of executions and artifacts (pipeline, experiment, ...)."""

    id: int
    kind: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A reference to a node of the lineage graph: ``artifact/12``, ``execution/3``, ``run/7``."""

    kind: str  # "artifact" | "execution" | "run"
    id: int

    def __str__(self) -> str:
        return f"{self.kind}/{self.id}"


@dataclass(frozen=True, slots=True)
class LineageEdge:
    source: NodeRef
    target: NodeRef
    name: str  # the event's dataset name


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """Nodes and edges around a root, up to a number of hops each way.

    Edges always point in the direction data flows: artifact -> execution (input),
    execution -> artifact (output).
    """

    root: NodeRef
    artifacts: dict[int, Artifact]
    executions: dict[int, Execution]
    edges: tuple[LineageEdge, ...]
