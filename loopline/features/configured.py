"""The feature store a workspace's ``[features]`` settings describe.

``[features] module`` names the Python file with the definitions (relative to the
workspace folder) and ``online`` the online store (``sqlite:///`` paths relative to the
workspace folder, or ``redis://``). Definition versions and materializations are recorded
in the workspace's artifact and metadata stores.
"""

from __future__ import annotations

from pathlib import Path

from loopline.config import CONFIG_FILE, FeaturesSection, resolve_online_url, resolve_path
from loopline.features.description import canonical_json, describe_definitions, description_digest
from loopline.features.errors import SourceError
from loopline.features.history import ArtifactRecords, FeatureHistory, ObjectStore
from loopline.features.repository import FeatureRepository, load_repository
from loopline.features.service import FeatureStore


def definitions_path(root: Path, section: FeaturesSection) -> Path:
    return resolve_path(root, section.module)


def load_workspace_repository(root: Path, section: FeaturesSection) -> FeatureRepository:
    """The definitions at the top level of the workspace's features module."""
    path = definitions_path(root, section)
    if not path.is_file():
        raise SourceError(
            f"the feature definitions file {path} does not exist",
            hint=f"create it, or point [features] module in {root / CONFIG_FILE} at your file",
        )
    return load_repository(path)


def workspace_feature_store(
    root: Path, section: FeaturesSection, *, objects: ObjectStore, records: ArtifactRecords
) -> FeatureStore:
    """An unopened ``FeatureStore`` over the workspace's definitions, online store and history."""
    repository = load_workspace_repository(root, section)
    return FeatureStore(
        repository, resolve_online_url(root, section.online), history=FeatureHistory(objects, records)
    )


def definitions_digest(repository: FeatureRepository) -> str:
    """The digest ``apply`` would give these definitions, computed without reading any source."""
    return description_digest(canonical_json(describe_definitions(repository)))


__all__ = ["definitions_digest", "definitions_path", "load_workspace_repository", "workspace_feature_store"]
