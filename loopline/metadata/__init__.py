"""The metadata and lineage store: artifacts, executions, events, runs and contexts (ML Metadata's model)."""

from loopline.metadata.errors import (
    SchemaVersionError,
    StoreBusyError,
    StoreNotOpen,
    StoreUnavailable,
    UnsupportedDatabaseError,
)
from loopline.metadata.lineage import Direction
from loopline.metadata.migrate import HEAD_REVISION
from loopline.metadata.records import (
    Artifact,
    ArtifactType,
    Context,
    Event,
    EventKind,
    Execution,
    ExecutionState,
    LineageEdge,
    LineageGraph,
    MetricPoint,
    NewArtifact,
    NodeRef,
    Run,
    RunStatus,
)
from loopline.metadata.refs import parse_ref
from loopline.metadata.store import MetadataStore

__all__ = [
    "HEAD_REVISION",
    "Artifact",
    "ArtifactType",
    "Context",
    "Direction",
    "Event",
    "EventKind",
    "Execution",
    "ExecutionState",
    "LineageEdge",
    "LineageGraph",
    "MetadataStore",
    "MetricPoint",
    "NewArtifact",
    "NodeRef",
    "Run",
    "RunStatus",
    "SchemaVersionError",
    "StoreBusyError",
    "StoreNotOpen",
    "StoreUnavailable",
    "UnsupportedDatabaseError",
    "parse_ref",
]
