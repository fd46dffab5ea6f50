"""Fixtures of the feature store tests: station data, repositories, and real stores.

``online`` runs a test on every online backend: SQLite (a fresh file) and Redis at
127.0.0.1:6379 under a key prefix of its own, deleted afterwards (skipped if Redis is down).
``history`` uses a real artifact store and metadata store: SQLite always, PostgreSQL in a
fresh schema when LOOPLINE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from loopline.artifacts import ArtifactStore
from loopline.features import (
    Entity,
    Feature,
    FeatureHistory,
    FeatureRepository,
    FeatureView,
    OnDemandFeatureView,
    OnlineStore,
    RequestField,
    online_store_for,
)
from loopline.metadata import MetadataStore

REDIS_URL = os.environ.get("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"

station = Entity("station", join_keys=["station"])


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def station_rows() -> pd.DataFrame:
    """Bike availability: station 1 has a correction (same event time, later created time)."""
    return pd.DataFrame(
        {
            "station": [1, 1, 1, 2, 2, 3],
            "event_ts": pd.to_datetime(
                [
                    "2024-01-01 08:00",
                    "2024-01-01 09:00",
                    "2024-01-01 09:00",
                    "2024-01-01 08:30",
                    "2024-01-02 08:00",
                    "2024-01-01 00:00",
                ]
            ),
            "created": pd.to_datetime(
                [
                    "2024-01-01 08:01",
                    "2024-01-01 09:01",
                    "2024-01-01 09:30",
                    "2024-01-01 08:31",
                    "2024-01-02 08:01",
                    "2024-01-01 00:01",
                ]
            ),
            "bikes": [5, 7, 8, 2, 3, 11],
            "docks": [10.0, 8.0, 7.5, None, 12.0, 1.0],
            "status": ["open", "open", "busy", "open", "closed", "open"],
        }
    )


def weather_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": [1, 2, 1],
            "event_ts": pd.to_datetime(["2024-01-01 07:00", "2024-01-01 07:00", "2024-01-01 12:00"]),
            "temp": [3.5, 4.0, 6.0],
        }
    )


def availability_view(frame: pd.DataFrame | None = None, **overrides: object) -> FeatureView:
    options: dict[str, object] = {
        "entities": [station],
        "source": station_rows() if frame is None else frame,
        "created_timestamp_field": "created",
        "ttl": timedelta(hours=6),
        "features": [Feature("bikes", "int64"), Feature("docks", "float64"), Feature("status", "string")],
    }
    options.update(overrides)
    return FeatureView("availability", **options)  # type: ignore[arg-type]


def occupancy(frame: pd.DataFrame) -> pd.DataFrame:
    """On-demand: share of the requested trip size in the available bikes."""
    return pd.DataFrame(
        {"trip_share": frame["riders"] / frame["bikes"].astype("float64"), "busy": frame["status"] == "busy"}
    )


def station_repository() -> FeatureRepository:
    availability = availability_view()
    weather = FeatureView("weather", entities=["station"], source=weather_rows(), features=[Feature("temp", "float64")])
    on_demand = OnDemandFeatureView(
        "trip",
        sources=[availability, RequestField("riders", "int64")],
        function=occupancy,
        features=[Feature("trip_share", "float64"), Feature("busy", "bool")],
    )
    return FeatureRepository([station, availability, weather, on_demand])


@pytest.fixture
def repo() -> FeatureRepository:
    return station_repository()


@pytest.fixture
def redis_url() -> Iterator[str]:
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
def postgres_metadata_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"loopline_features_{uuid.uuid4().hex[:12]}"
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
def sqlite_metadata_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'meta' / 'metadata.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def metadata(request: pytest.FixtureRequest) -> Iterator[MetadataStore]:
    url = request.getfixturevalue(f"{request.param}_metadata_url")
    store = MetadataStore(url).open()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def history(tmp_path: Path, metadata: MetadataStore) -> FeatureHistory:
    artifacts = ArtifactStore(str(tmp_path / "artifacts")).open()
    return FeatureHistory(artifacts, metadata.artifacts)
