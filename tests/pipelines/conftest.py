"""Fixtures of the pipeline tests: real stores (SQLite in tmp_path, a local artifact folder),
and on PostgreSQL, in a schema of this session's own, when LOOPLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import Stores

from loopline.artifacts import ArtifactStore
from loopline.metadata import MetadataStore


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open()
    try:
        yield Stores(metadata, ArtifactStore(str(tmp_path / "artifacts")).open())
    finally:
        metadata.close()


@pytest.fixture
def postgres_stores(postgres_session_url: str, tmp_path: Path) -> Iterator[Stores]:
    metadata = MetadataStore(postgres_session_url).open()
    try:
        yield Stores(metadata, ArtifactStore(str(tmp_path / "artifacts")).open())
    finally:
        metadata.close()
