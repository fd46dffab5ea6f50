"""Dataset versions: each distinct content a dataset had, snapshotted as Parquet and recorded.

A snapshot is the frame stored with the artifact store's ``store_value`` (so its digest is
the content hash a pipeline run computes for the same frame, and the run's input events
point at the same record) and recorded in the metadata store as a ``Dataset`` artifact
named after the dataset, with properties: the dataset, its source, the source's
fingerprint, rows, columns, dtypes and content hash.

Version numbers are not stored: version N is the Nth distinct content hash recorded for
the dataset, in the order first recorded. Two processes that record the same new content
at once may leave two records, but both carry the same hash and so the same version; a
content seen before (even after others) keeps its first number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopline.catalog.errors import DatasetNotFound, DatasetReadError
from loopline.metadata.records import Artifact, ArtifactType, NewArtifact

if TYPE_CHECKING:
    import pandas as pd

    from loopline.artifacts import ArtifactStore
    from loopline.metadata.artifacts import Artifacts

SNAPSHOT_FORMAT = "parquet"
_PAGE = 500


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One distinct content of a dataset (numbered from 1); ``digest`` is its content hash."""

    dataset: str
    version: int
    digest: str  # hex sha256 of the Parquet snapshot
    uri: str
    artifact_id: int  # the first record of this content
    rows: int
    columns: tuple[str, ...]
    dtypes: dict[str, str]
    source: dict[str, Any]
    size: int
    created_at: datetime | None
    fingerprints: tuple[str, ...] = ()  # fingerprints of the sources this content was read from
    artifact_ids: tuple[int, ...] = ()  # every record of this content, oldest first


@dataclass(frozen=True)
class DatasetSnapshot:
    """A dataset as a run sees it: the frame and the version it is. ``is_new``: first seen now."""

    frame: pd.DataFrame
    version: DatasetVersion
    is_new: bool


class DatasetVersions:
    """Records, lists and loads dataset versions in an artifact store and a metadata store."""

    def __init__(self, artifacts: ArtifactStore, records: Artifacts) -> None:
        self.artifacts = artifacts
        self.records = records

    def list(self, dataset: str) -> list[DatasetVersion]:
        """Every version of ``dataset``, oldest first."""
        groups: dict[str, list[Artifact]] = {}
        for record in sorted(self._records(dataset), key=lambda a: a.id):
            groups.setdefault(record.digest, []).append(record)
        return [_version(dataset, number, group) for number, group in enumerate(groups.values(), start=1)]

    def get(self, dataset: str, version: int | None = None) -> DatasetVersion:
        """Version ``version`` of ``dataset`` (None: the latest recorded)."""
        versions = self.list(dataset)
        if not versions:
            raise DatasetNotFound(
                f"dataset '{dataset}' has no recorded version",
                hint=f"run a pipeline that reads it, or record one with 'loopline data snapshot {dataset}'",
            )
        if version is None:
            return versions[-1]
        if not 1 <= version <= len(versions):
            raise DatasetNotFound(
                f"dataset '{dataset}' has no version {version}",
                hint=f"versions 1..{len(versions)} exist; list them with 'loopline data versions {dataset}'",
            )
        return versions[version - 1]

    def find(self, dataset: str, fingerprint: str) -> DatasetVersion | None:
        """The version recorded from a source with this fingerprint, if any."""
        for version in reversed(self.list(dataset)):
            if fingerprint in version.fingerprints:
                return version
        return None

    def record(
        self, dataset: str, frame: pd.DataFrame, *, source: dict[str, Any], fingerprint: str | None
    ) -> DatasetSnapshot:
        """Snapshot ``frame`` and record it, unless this content (from this source) is recorded already."""
        from loopline.artifacts import store_value

        stored = store_value(self.artifacts, frame)
        if stored.format != SNAPSHOT_FORMAT:
            raise DatasetReadError(
                f"dataset '{dataset}' cannot be snapshotted as Parquet: a column holds values of mixed "
                "or unsupported types",
                hint="cast the columns to one type each (in the query, or with format options) and load again",
            )
        known = {v.digest: v for v in self.list(dataset)}
        earlier = known.get(stored.digest)
        if earlier is not None and (fingerprint is None or fingerprint in earlier.fingerprints):
            return DatasetSnapshot(frame, earlier, is_new=False)
        properties = {
            "dataset": dataset,
            "source": source,
            "source_fingerprint": fingerprint,
            "rows": len(frame),
            "columns": [str(c) for c in frame.columns],
            "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
            "content_hash": stored.digest,
        }
        self.records.record(
            NewArtifact(
                dataset, ArtifactType.DATASET.value, stored.uri, stored.digest, stored.size, stored.format, properties
            )
        )
        version = next(v for v in self.list(dataset) if v.digest == stored.digest)
        return DatasetSnapshot(frame, version, is_new=earlier is None)

    def load(self, version: DatasetVersion) -> pd.DataFrame:
        """The snapshot of ``version``; its bytes are checked against the content hash first."""
        import pandas as pd

        return pd.read_parquet(self.artifacts.local_path(version.uri))

    def _records(self, dataset: str) -> Iterator[Artifact]:
        offset = 0
        while True:
            page = self.records.list(type=ArtifactType.DATASET.value, name=dataset, limit=_PAGE, offset=offset)
            for record in page:
                props = record.properties
                if props.get("dataset") == dataset and "content_hash" in props and record.format == SNAPSHOT_FORMAT:
                    yield record
            if len(page) < _PAGE:
                return
            offset += _PAGE


def _version(dataset: str, number: int, records: list[Artifact]) -> DatasetVersion:
    first = records[0]
    props = first.properties
    fingerprints = dict.fromkeys(
        r.properties["source_fingerprint"] for r in records if r.properties.get("source_fingerprint")
    )
    return DatasetVersion(
        dataset=dataset,
        version=number,
        digest=first.digest,
        uri=first.uri,
        artifact_id=first.id,
        rows=int(props.get("rows", 0)),
        columns=tuple(props.get("columns", ())),
        dtypes=dict(props.get("dtypes", {})),
        source=dict(props.get("source") or {}),
        size=first.size,
        created_at=first.created_at,
        fingerprints=tuple(fingerprints),
        artifact_ids=tuple(r.id for r in records),
    )


__all__ = ["DatasetSnapshot", "DatasetVersion", "DatasetVersions"]
