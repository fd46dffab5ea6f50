"""Versions of the feature definitions and the record of materializations, in the shared stores.

Each applied version's canonical JSON is stored as an artifact (``put_bytes``) and recorded
in the metadata store as an artifact named ``feature_definitions`` of type
``FeatureDefinitions``; the versions are those records in the order they were made. Each
materialization is recorded the same way (type ``Materialization``, named
``materialization/<view>``). No table of its own: the two protocols below are all this
module needs from the artifact and metadata stores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from loopline.errors import NotFoundError
from loopline.features.materialize import Materialization
from loopline.features.repository import AppliedDefinitions
from loopline.metadata.records import Artifact, NewArtifact

DEFINITIONS_NAME = "feature_definitions"
DEFINITIONS_TYPE = "FeatureDefinitions"
MATERIALIZATION_TYPE = "Materialization"
_PAGE = 200


class StoredBytes(Protocol):
    uri: str
    digest: str
    size: int


class ObjectStore(Protocol):
    """What is needed of ``ArtifactStore``."""

    def put_bytes(self, data: bytes) -> StoredBytes: ...

    def get_bytes(self, uri: str) -> bytes: ...


class ArtifactRecords(Protocol):
    """What is needed of ``MetadataStore.artifacts``."""

    def record(self, artifact: NewArtifact, *, context_id: int | None = None) -> Artifact: ...

    def list(
        self, *, type: str | None = None, name: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Artifact]: ...


@dataclass(frozen=True, slots=True)
class DefinitionVersion:
    """One applied version of the feature definitions (numbered from 1)."""

    version: int
    artifact_id: int
    uri: str
    digest: str  # sha256 of the canonical JSON (= the artifact's digest)
    created_at: datetime | None


class FeatureHistory:
    """Definition versions and materialization records over an object store and artifact records."""

    def __init__(self, objects: ObjectStore, records: ArtifactRecords) -> None:
        self.objects = objects
        self.records = records

    # -- definitions ---------------------------------------------------------------------------

    def save_definitions(self, applied: AppliedDefinitions) -> DefinitionVersion:
        """Record ``applied`` as a new version, unless the latest version is the same."""
        versions = self.definition_versions()
        if versions and versions[-1].digest == applied.digest:
            return versions[-1]
        stored = self.objects.put_bytes(applied.canonical_json.encode("utf-8"))
        properties = {
            "feature_views": [v["name"] for v in applied.description["feature_views"]],
            "on_demand_feature_views": [v["name"] for v in applied.description["on_demand_feature_views"]],
            "changes": [str(c) for c in applied.diff.changes],
        }
        artifact = self.records.record(
            NewArtifact(
                name=DEFINITIONS_NAME,
                type=DEFINITIONS_TYPE,
                uri=stored.uri,
                digest=stored.digest,
                size=stored.size,
                format="json",
                properties=properties,
            )
        )
        return _version(len(versions) + 1, artifact)

    def definition_versions(self) -> list[DefinitionVersion]:
        """Every recorded version, oldest first."""
        found = sorted(self._all(type=DEFINITIONS_TYPE, name=DEFINITIONS_NAME), key=lambda a: a.id)
        return [_version(i + 1, a) for i, a in enumerate(found)]

    def latest_definitions(self) -> DefinitionVersion | None:
        versions = self.definition_versions()
        return versions[-1] if versions else None

    def load_definitions(self, version: DefinitionVersion | int) -> dict[str, Any]:
        """The canonical description of a version (its bytes are verified on the way)."""
        if isinstance(version, int):
            versions = self.definition_versions()
            if not 1 <= version <= len(versions):
                raise NotFoundError(
                    f"feature definitions version {version} does not exist",
                    hint=f"versions 1..{len(versions)} exist" if versions else "apply the definitions first",
                )
            version = versions[version - 1]
        return json.loads(self.objects.get_bytes(version.uri))

    # -- materializations ----------------------------------------------------------------------

    def record_materialization(self, result: Materialization) -> None:
        summary = {
            **asdict(result),
            "start": result.start.isoformat() if result.start else None,
            "end": result.end.isoformat(),
        }
        stored = self.objects.put_bytes(json.dumps(summary, sort_keys=True).encode("utf-8"))
        self.records.record(
            NewArtifact(
                name=f"materialization/{result.view}",
                type=MATERIALIZATION_TYPE,
                uri=stored.uri,
                digest=stored.digest,
                size=stored.size,
                format="json",
                properties=summary,
            )
        )

    def materializations(self, view: str) -> list[Artifact]:
        """The view's materialization records, oldest first."""
        found = self._all(type=MATERIALIZATION_TYPE, name=f"materialization/{view}")
        return sorted(found, key=lambda a: a.id)

    def _all(self, *, type: str, name: str) -> Iterator[Artifact]:
        offset = 0
        while True:
            page = self.records.list(type=type, name=name, limit=_PAGE, offset=offset)
            yield from page
            if len(page) < _PAGE:
                return
            offset += _PAGE


def _version(number: int, artifact: Artifact) -> DefinitionVersion:
    # The stored bytes are the canonical JSON, so the artifact's digest is the definitions' digest.
    return DefinitionVersion(number, artifact.id, artifact.uri, artifact.digest, artifact.created_at)


__all__ = ["ArtifactRecords", "DefinitionVersion", "FeatureHistory", "ObjectStore", "StoredBytes"]
