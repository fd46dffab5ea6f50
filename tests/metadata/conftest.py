"""Fixtures of the metadata store's contract suite: every test taking ``store`` runs on SQLite and,
when LOOPLINE_TEST_POSTGRES_URL is set, on PostgreSQL, each test in a database of its own
(a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loopline.metadata import MetadataStore, MetricPoint, NewArtifact

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"


def _postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped afterwards."""
    base = _postgres_base_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"loopline_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'meta' / 'metadata.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same contract, on every database the store supports."""
    return request.getfixturevalue(f"{request.param}_url")


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
