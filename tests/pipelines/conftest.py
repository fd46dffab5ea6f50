"""Fixtures of the pipeline tests: real stores (SQLite in tmp_path, a local artifact folder),
and on PostgreSQL, in a schema of this session's own, when LOOPLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import Stores
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loopline.artifacts import ArtifactStore
from loopline.metadata import MetadataStore

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open()
    try:
        yield Stores(metadata, ArtifactStore(str(tmp_path / "artifacts")).open())
    finally:
        metadata.close()


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A URL whose search_path is a schema made for this test session, dropped at its end."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"loopline_pipelines_{uuid.uuid4().hex[:12]}"
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
def postgres_stores(postgres_session_url: str, tmp_path: Path) -> Iterator[Stores]:
    metadata = MetadataStore(postgres_session_url).open()
    try:
        yield Stores(metadata, ArtifactStore(str(tmp_path / "artifacts")).open())
    finally:
        metadata.close()
