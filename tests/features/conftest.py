"""Fixtures of the feature store tests: station data, repositories, and real stores.

``online`` runs a test on every online backend: SQLite (a fresh file) and Redis at
127.0.0.1:6379 under a key prefix of its own, deleted afterwards (skipped if Redis is down).
``history`` uses a real artifact store and metadata store: SQLite always, PostgreSQL in a
fresh schema when LOOPLINE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from feature_helpers import station_repository

from loopline.artifacts import ArtifactStore
from loopline.features import FeatureHistory, FeatureRepository, OnlineStore, online_store_for
from loopline.metadata import MetadataStore


@pytest.fixture
def repo() -> FeatureRepository:
    return station_repository()


@pytest.fixture
def sqlite_online_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'online' / 'features.db'}"


@pytest.fixture(params=["sqlite", "redis"])
def online_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty online store of each backend."""
    return request.getfixturevalue("sqlite_online_url" if request.param == "sqlite" else "redis_url")


@pytest.fixture
def online(online_url: str) -> Iterator[OnlineStore]:
    store = online_store_for(online_url).open()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def metadata(database_url: str) -> Iterator[MetadataStore]:
    store = MetadataStore(database_url).open()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def history(tmp_path: Path, metadata: MetadataStore) -> FeatureHistory:
    artifacts = ArtifactStore(str(tmp_path / "artifacts")).open()
    return FeatureHistory(artifacts, metadata.artifacts)
