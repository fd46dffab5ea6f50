"""Fixtures of the metadata store's contract suite: every test taking ``store`` runs on SQLite and,
when LOOPLINE_TEST_POSTGRES_URL is set, on PostgreSQL, each test in a database of its own
(a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from loopline.metadata import MetadataStore, MetricPoint, NewArtifact


@pytest.fixture
def store(database_url: str) -> Iterator[MetadataStore]:
    opened = MetadataStore(database_url).open()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[MetadataStore]:
    opened = MetadataStore(sqlite_url).open()
    try:
        yield opened
    finally:
        opened.close()


def new_artifact(name: str, *, type: str = "Dataset", seed: str | None = None, **properties: object) -> NewArtifact:
    """A NewArtifact whose digest is derived from ``seed`` (default: the name)."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, seed or name).hex * 2
    return NewArtifact(
        name=name,
        type=type,
        uri=f"sha256:{digest}",
        digest=digest,
        size=42,
        format="parquet",
        properties=dict(properties),
    )


def points(key: str, values: list[float], *, start_step: int = 0) -> list[MetricPoint]:
    now = datetime.now(UTC)
    return [MetricPoint(key, v, start_step + i, now) for i, v in enumerate(values)]


@pytest.fixture
def artifact() -> Callable[..., NewArtifact]:
    return new_artifact


@pytest.fixture
def metric_points() -> Callable[..., list[MetricPoint]]:
    return points
