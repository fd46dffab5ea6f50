"""Fixtures of the serving tests: compiled models, and servers started on a free port for one test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_helpers import ServerThread, cancer_package, colour_package, serve_models
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loopline.serving import ServedModel, ServingState

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def cancer_model() -> ServedModel:
    return ServedModel.build("cancer", 1, cancer_package())


@pytest.fixture(scope="session")
def colour_model() -> ServedModel:
    return ServedModel.build("colour", 3, colour_package())


@pytest.fixture
def sqlite_log_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'meta' / 'metadata.db'}"


@pytest.fixture
def postgres_log_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"loopline_serving_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest) -> str:
    """The prediction log on every database the metadata store supports."""
    return request.getfixturevalue(f"{request.param}_log_url")


Started = tuple[httpx.Client, ServingState]


@pytest.fixture
def start_server() -> Iterator[Callable[..., Started]]:
    """Start a server for ``models`` (options as ``state_for``); returns an httpx client on it and its state."""
    opened: list[tuple[ServerThread, httpx.Client]] = []

    def start(models: list[ServedModel], **options: Any) -> Started:
        thread, state = serve_models(models, **options)
        thread.__enter__()
        client = httpx.Client(base_url=thread.url, timeout=30)
        opened.append((thread, client))
        return client, state

    yield start
    for thread, client in reversed(opened):
        client.close()
        thread.__exit__(None, None, None)


@pytest.fixture
def cancer_server(start_server: Callable[..., Started], cancer_model: ServedModel) -> Started:
    return start_server([cancer_model])
