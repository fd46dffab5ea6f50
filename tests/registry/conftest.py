"""Fixtures of the registry tests: every test taking ``setup`` runs on SQLite and, when
LOOPLINE_TEST_POSTGRES_URL is set, on PostgreSQL, each in a database of its own (a fresh
SQLite file, or a fresh PostgreSQL schema dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_helpers import Setup, open_setup
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loopline.metadata import Artifact

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"loopline_registry_{uuid.uuid4().hex[:12]}"
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
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def setup(database_url: str, tmp_path: Path) -> Iterator[Setup]:
    opened = open_setup(database_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_setup(sqlite_url: str, tmp_path: Path) -> Iterator[Setup]:
    opened = open_setup(sqlite_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def model_artifact(setup: Setup) -> Artifact:
    from registry_helpers import make_model_artifact

    return make_model_artifact(setup.metadata, setup.artifacts)
