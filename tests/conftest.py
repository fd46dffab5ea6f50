"""Fixtures shared by every test folder: databases and services to run against, and the bike data.

The real services are opt-in: tests taking ``postgres_url`` skip unless LOOPLINE_TEST_POSTGRES_URL
is set, and tests taking ``redis_url`` skip when Redis does not answer at LOOPLINE_TEST_REDIS_URL
(default 127.0.0.1:6379). Each test gets a store of its own (a fresh SQLite file, a fresh
PostgreSQL schema, a fresh Redis key prefix) that is removed afterwards, so tests never see
each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

# as the CLI does: OpenMP waiters sleep instead of spinning, so fits stay fast on a busy machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"
REDIS_ENV = "LOOPLINE_TEST_REDIS_URL"
REDIS_URL = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")


@contextmanager
def _fresh_postgres_schema() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema, dropped on exit; skips without the server."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

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
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL on a new, empty schema of this test's own."""
    with _fresh_postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A PostgreSQL URL on a schema shared by the whole session, for tests that may share rows."""
    with _fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A metadata database URL on a SQLite file that does not exist yet (nor its folder)."""
    return f"sqlite:///{tmp_path / 'meta' / 'metadata.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh metadata database on each backend the metadata store supports."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL with a key prefix of this test's own; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"loopline_test_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{REDIS_URL}?prefix={prefix}"
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    """A local Ray instance for one test module (start-up costs seconds: keep Ray tests few)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def single_thread_pools() -> Iterator[None]:
    """Native thread pools limited to one thread for the rest of the session.

    Model fits in tests are small, and on a busy machine OpenMP threads waiting for each
    other cost far more than they gain. Folders that fit models request this from an
    autouse fixture of their own.
    """
    import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime, so that the limit reaches it
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def bikes() -> pd.DataFrame:
    """The bundled bike-sharing data (UCI hour.csv)."""
    import pandas as pd

    from loopline.examples.bikes import data_path

    return pd.read_csv(data_path())
