"""Training/serving consistency: after materializing up to time t, online values at t equal the
training frame's values at t, transformations and on-demand features included."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from feature_helpers import occupancy, station

from loopline.features import (
    Feature,
    FeatureRepository,
    FeatureStore,
    FeatureView,
    OnDemandFeatureView,
    RequestField,
)
from loopline.features.dtypes import python_values


def change_since_last(frame: pd.DataFrame) -> pd.DataFrame:
    """Transformation: bikes gained since the station's previous report, and a status."""
    ordered = frame.sort_values(["station", "event_ts"], kind="stable")
    ordered["change"] = ordered.groupby("station")["bikes"].diff()
    ordered["status"] = np.where(ordered["bikes"] > 5, "busy", "open")
    return ordered


def random_repository(seed: int) -> FeatureRepository:
    rng = np.random.default_rng(seed)
    count = 300
    frame = pd.DataFrame(
        {
            "station": rng.integers(1, 15, count),
            "event_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 48 * 60, count), unit="min"),
            "bikes": rng.integers(0, 12, count),
            "docks": np.where(rng.random(count) < 0.1, np.nan, rng.random(count) * 20),
        }
    )
    frame["created"] = frame["event_ts"] + pd.to_timedelta(rng.integers(0, 30, count), unit="s")
    availability = FeatureView(
        "availability", entities=[station], source=frame, created_timestamp_field="created",
        ttl=timedelta(hours=8), transformation=change_since_last,
        features=[
            Feature("bikes", "int64"), Feature("docks", "float64"), Feature("change", "float64"),
            Feature("status", "string"),
        ],
    )  # fmt: skip
    trip = OnDemandFeatureView(
        "trip", sources=[availability, RequestField("riders", "int64")], function=occupancy,
        features=[Feature("trip_share", "float64"), Feature("busy", "bool")],
    )  # fmt: skip
    return FeatureRepository([station, availability, trip])


FEATURES = [
    "availability:bikes",
    "availability:docks",
    "availability:change",
    "availability:status",
    "trip:trip_share",
    "trip:busy",
]
TYPES = {
    "bikes": "int64",
    "docks": "float64",
    "change": "float64",
    "status": "string",
    "trip_share": "float64",
    "busy": "bool",
}


def normalise(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    return round(value, 9) if isinstance(value, float) else value


def offline_values(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    from loopline.features.dtypes import ValueType

    columns = [python_values(frame[name], ValueType.parse(TYPES[name])) for name in TYPES]
    return [tuple(normalise(v) for v in row) for row in zip(*columns, strict=True)]


def test_online_values_equal_training_values_at_every_materialization(online_url: str) -> None:
    repo = random_repository(seed=7)
    stations = list(range(0, 17))  # 0, 15 and 16 are unknown
    with FeatureStore(repo, online_url) as store:
        store.apply()
        for hour in (3, 9, 10, 24, 30, 47, 60):
            at = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=hour, minutes=17)
            store.materialize_incremental(end=at)
            entity_df = pd.DataFrame({"station": stations, "event_ts": at, "riders": 3})
            training = store.get_historical_features(entity_df, FEATURES)
            online = store.get_online_features(FEATURES, entity_df[["station", "riders"]].to_dict("records"), at=at)
            served = [tuple(normalise(v) for v in row) for row in online.rows]
            assert served == offline_values(training), f"online and offline disagree at {at}"
            assert online.found == tuple(training["bikes"].notna())


def test_rebuilt_online_store_serves_what_the_training_set_saw(online_url: str) -> None:
    repo = random_repository(seed=11)
    at = pd.Timestamp("2024-01-02 06:00")
    entity_df = pd.DataFrame({"station": list(range(1, 15)), "event_ts": at, "riders": 2})
    with FeatureStore(repo, online_url) as store:
        store.rebuild(end=at)
        online = store.get_online_features(FEATURES, entity_df[["station", "riders"]].to_dict("records"), at=at)
        training = store.get_historical_features(entity_df, FEATURES)
    assert [tuple(normalise(v) for v in row) for row in online.rows] == offline_values(training)
