"""Online lookups: values per entity row, flags for unknown entities, TTLs and on-demand features."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from feature_helpers import availability_view, station, station_repository

from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureStore,
    FeatureView,
    OnlineStoreError,
    RetrievalError,
)
from loopline.features.lookup import MAX_ENTITY_ROWS

AT = "2024-01-01 12:00"


@pytest.fixture
def store(online_url: str) -> Iterator[FeatureStore]:
    with FeatureStore(station_repository(), online_url) as opened:
        opened.apply()
        opened.materialize(None, None, "2024-01-01 12:00")
        yield opened


def test_values_come_back_per_row_with_nulls_and_flags_for_unknown_entities(store: FeatureStore) -> None:
    result = store.get_online_features(
        ["availability:bikes", "availability:docks", "availability:status", "weather:temp"],
        [{"station": 1}, {"station": 42}, {"station": 2}],
        at=AT,
    )
    assert result.columns == ("bikes", "docks", "status", "temp")
    assert result.rows == ((8, 7.5, "busy", 6.0), (None, None, None, None), (2, None, "open", 4.0))
    assert result.found == (True, False, True)
    assert result.missing == ((), ("availability", "weather"), ())
    assert result.to_dicts()[0] == {"bikes": 8, "docks": 7.5, "status": "busy", "temp": 6.0}
    assert result.column("bikes") == [8, None, 2]
    assert result.to_frame().shape == (3, 4)


def test_values_older_than_the_ttl_are_null(store: FeatureStore) -> None:
    late = store.get_online_features(["availability:bikes", "weather:temp"], [{"station": 3}], at="2024-01-01 06:01")
    assert late.rows == ((None, None),)
    assert late.missing == (("availability", "weather"),)  # station 3 has no weather row at all
    fresh = store.get_online_features(["availability:bikes"], [{"station": 3}], at="2024-01-01 06:00")
    assert fresh.rows == ((11,),)


def test_on_demand_features_use_request_values_and_stored_features(store: FeatureStore) -> None:
    result = store.get_online_features(
        ["trip:trip_share", "trip:busy", "availability:bikes"],
        [{"station": 1, "riders": 4}, {"station": 2, "riders": 1}, {"station": 9, "riders": 3}],
        at=AT,
    )
    assert result.rows[0] == (0.5, True, 8)
    assert result.rows[1] == (0.5, False, 2)
    assert result.rows[2][0] is None
    assert result.found == (True, True, False)


def test_key_values_of_any_integer_kind_find_the_entity(store: FeatureStore) -> None:
    rows = [{"station": np.int64(1)}, {"station": 1.0}, {"station": 1}]
    assert store.get_online_features(["bikes"], rows, at=AT).column("bikes") == [8, 8, 8]


def test_full_feature_names(store: FeatureStore) -> None:
    result = store.get_online_features(["availability:bikes"], [{"station": 1}], at=AT, full_feature_names=True)
    assert result.columns == ("availability__bikes",)


def test_bad_entity_rows_are_explained(store: FeatureStore) -> None:
    with pytest.raises(RetrievalError, match=r"entity row 1 lacks station(.|\n)*join keys and request fields station"):
        store.get_online_features(["bikes"], [{"station": 1}, {"stat": 2}])
    with pytest.raises(RetrievalError, match="entity row 0 lacks riders"):
        store.get_online_features(["trip:trip_share"], [{"station": 1}])
    with pytest.raises(RetrievalError, match="entity_rows must be a list of mappings; got dict"):
        store.get_online_features(["bikes"], {"station": 1})  # type: ignore[arg-type]
    with pytest.raises(RetrievalError, match=f"at most {MAX_ENTITY_ROWS} are accepted"):
        store.get_online_features(["bikes"], [{"station": 1}] * (MAX_ENTITY_ROWS + 1))
    with pytest.raises(RetrievalError, match="a join key value must be an integer, string or bool"):
        store.get_online_features(["bikes"], [{"station": [1]}])


def test_values_written_under_another_definition_are_refused(online_url: str) -> None:
    with FeatureStore(station_repository(), online_url) as store:
        store.materialize(None, None, "2024-01-02")
    renamed = availability_view(features=[Feature("docks", "float64"), Feature("bikes", "int64")])
    with (
        FeatureStore(FeatureRepository([renamed]), online_url) as store,
        pytest.raises(
            OnlineStoreError, match=r"written under a different definition(.|\n)*apply the feature definitions"
        ),
    ):
        store.get_online_features(["bikes"], [{"station": 1}], at=AT)


def test_timestamps_booleans_and_composite_keys_round_trip(online_url: str) -> None:
    trip = Entity("trip", join_keys=["station", "rider"])
    frame = pd.DataFrame(
        {
            "station": [1, 1],
            "rider": ["ann", "bob"],
            "event_ts": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00"]).tz_localize("UTC"),
            "started": pd.to_datetime(["2024-01-01 09:59:59.123456", "2024-01-01 10:30:00.000000"]),
            "member": [True, False],
        }
    )
    view = FeatureView(
        "trips", entities=[trip], source=frame,
        features=[Feature("started", "timestamp"), Feature("member", "bool")],
    )  # fmt: skip
    with FeatureStore(FeatureRepository([trip, view, station]), online_url) as store:
        store.apply()
        store.materialize(None, None, "2024-01-02")
        result = store.get_online_features(
            ["trips:started", "trips:member"], [{"station": 1, "rider": "bob"}, {"rider": "ann", "station": 1}]
        )
    assert result.rows == ((pd.Timestamp("2024-01-01 10:30").to_pydatetime(), False),
                           (pd.Timestamp("2024-01-01 09:59:59.123456").to_pydatetime(), True))  # fmt: skip


def test_sqlite_lookups_take_tens_of_microseconds_per_entity(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A loose bound (CI machines vary); the figures are printed for the report."""
    count = 5_000
    frame = pd.DataFrame(
        {
            "station": np.arange(count),
            "event_ts": pd.Timestamp("2024-01-01"),
            **{f"f{i}": np.random.default_rng(i).random(count) for i in range(8)},
        }
    )
    view = FeatureView(
        "wide", entities=[station], source=frame, features=[Feature(f"f{i}", "float64") for i in range(8)]
    )
    features = [f"wide:f{i}" for i in range(8)]
    with FeatureStore(FeatureRepository([station, view]), f"sqlite:///{tmp_path / 'speed.db'}") as store:
        store.materialize(None, None, "2024-01-01")
        rows = [{"station": int(i)} for i in np.random.default_rng(0).integers(0, count, 1_000)]
        store.get_online_features(features, rows[:10])  # warm the plan cache
        began = time.perf_counter()
        for _ in range(5):
            result = store.get_online_features(features, rows)
        batch_us = (time.perf_counter() - began) / (5 * len(rows)) * 1e6
        began = time.perf_counter()
        for row in rows[:500]:
            store.get_online_features(features, [row])
        single_us = (time.perf_counter() - began) / 500 * 1e6
    assert all(result.found)
    print(f"\nSQLite lookup, 8 features: {batch_us:.1f} us/entity (batch of 1000), {single_us:.1f} us/call (1 entity)")
    assert batch_us < 100
    assert single_us < 1_000
