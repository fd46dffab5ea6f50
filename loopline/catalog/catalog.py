"""Datasets declared in the workspace (``[datasets.NAME]``), loaded by name, snapshotted as versions.

``load(name)`` reads the source as it is now; ``snapshot(name)`` also records the content
as a version (what a pipeline run does with each input), and ``load(name, version=3)``
reads a recorded version back. Versions need the workspace's stores: a catalog made
without them reads sources only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loopline.catalog.errors import DatasetNotFound, DatasetReadError
from loopline.catalog.sources import reader_for
from loopline.catalog.versions import DatasetSnapshot, DatasetVersion, DatasetVersions
from loopline.config import DatasetSection, resolve_path
from loopline.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore


class CatalogStores(Protocol):
    """Where versions live: a ``Workspace`` is one (its stores open on first use)."""

    @property
    def artifacts(self) -> ArtifactStore: ...

    @property
    def metadata(self) -> MetadataStore: ...


class DataCatalog:
    """Maps dataset names to their declarations; reads them, and records and reads their versions."""

    def __init__(
        self, root: Path, datasets: Mapping[str, DatasetSection], *, stores: CatalogStores | None = None
    ) -> None:
        self.root = root
        self.datasets = dict(datasets)
        self.stores = stores

    def names(self) -> list[str]:
        return sorted(self.datasets)

    def __contains__(self, name: object) -> bool:
        return name in self.datasets

    def declaration(self, name: str) -> DatasetSection:
        try:
            return self.datasets[name]
        except KeyError:
            hint = did_you_mean(name, self.datasets) or (
                f"declared datasets: {', '.join(self.names())}" if self.datasets else "no dataset is declared"
            )
            raise DatasetNotFound(
                f"dataset '{name}' is not declared in loopline.toml",
                hint=f"{hint}; declare it under [datasets.{name}] with a path, a query or a table",
            ) from None

    def path(self, name: str) -> Path:
        """The file of a dataset declared with a ``path``."""
        decl = self.declaration(name)
        if decl.path is None:
            raise DatasetReadError(f"dataset '{name}' is a {decl.kind}, not a file", hint="it has no path")
        return resolve_path(self.root, decl.path)

    def source(self, name: str) -> dict[str, Any]:
        """What the dataset is read from, as plain values (database passwords hidden)."""
        decl = self.declaration(name)
        return reader_for(name, decl).describe(decl)

    def fingerprint(self, name: str) -> str | None:
        """A cheap digest of the source as it is now (files only; None for queries and tables)."""
        decl = self.declaration(name)
        return reader_for(name, decl).fingerprint(self.root, name, decl)

    # -- reading -------------------------------------------------------------------------------

    def load(self, name: str, *, version: int | None = None) -> pd.DataFrame:
        """The dataset as its source holds it now, or as recorded in ``version``."""
        if version is not None:
            versions = self.versions_store()
            return versions.load(versions.get(name, version))
        decl = self.declaration(name)
        return reader_for(name, decl).read(self.root, name, decl)

    def snapshot(self, name: str) -> DatasetSnapshot:
        """Read the dataset and record its content as a version (reusing the version of equal content).

        A file whose fingerprint (bytes, read options, library versions) was recorded before
        is read but not snapshotted or hashed again: the same inputs give the same frame, so
        its version is known. That costs one hash of the file and one metadata query.
        """
        decl = self.declaration(name)
        reader = reader_for(name, decl)
        versions = self.versions_store()
        fingerprint = reader.fingerprint(self.root, name, decl)
        frame = reader.read(self.root, name, decl)
        known = versions.find(name, fingerprint) if fingerprint is not None else None
        if known is not None:
            return DatasetSnapshot(frame, known, is_new=False)
        return versions.record(name, frame, source=reader.describe(decl), fingerprint=fingerprint)

    # -- versions ------------------------------------------------------------------------------

    def versions(self, name: str) -> list[DatasetVersion]:
        """Every recorded version of the dataset, oldest first (also of datasets no longer declared)."""
        found = self.versions_store().list(name)
        if not found:
            self.declaration(name)  # an unknown name says so, with a suggestion
        return found

    def version(self, name: str, version: int | None = None) -> DatasetVersion:
        """One recorded version (None: the latest)."""
        if name not in self.datasets and not self.versions_store().list(name):
            self.declaration(name)
        return self.versions_store().get(name, version)

    def versions_store(self) -> DatasetVersions:
        if self.stores is None:
            raise ConfigError(
                "this data catalog has no stores, so it cannot record or read dataset versions",
                hint="use the workspace's catalog (Workspace.find().catalog) or pass stores=",
            )
        return DatasetVersions(self.stores.artifacts, self.stores.metadata.artifacts)


__all__ = ["CatalogStores", "DataCatalog"]
