"""The shortcuts of the hot paths give the same answers as the general code they bypass.

Batch decoding of online values, the plain-datetime path of time conversion, as-of joins
that skip the tie-breaking window when a view has no created timestamp, and the grouped
latest-row query of materialization.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from feature_helpers import station

from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureStore,
    FeatureView,
    OnlineStoreError,
    get_features_in_range,
    get_historical_features,
)
from loopline.features.dtypes import ValueType, as_utc_naive
from loopline.features.online.codec import layout_id, pack_values, unpack_many, unpack_values

LAYOUT = layout_id([("when", ValueType.TIMESTAMP), ("x", ValueType.FLOAT64)])


def times(*clock: str | None) -> pd.Series:
    """Times of 2024-01-01 from "HH:MM" strings (None: no time)."""
    return pd.Series([pd.Timestamp(f"2024-01-01 {c}") if c else None for c in clock], dtype="datetime64[us]")


def test_batch_decoding_equals_decoding_each_payload() -> None:
    rows = [[datetime(2024, 1, 1, 8, 30), 1.5], [None, None], [datetime(2023, 6, 1), -2.0]]
    payloads = [pack_values(r, [ValueType.TIMESTAMP, ValueType.FLOAT64], LAYOUT) for r in rows]
    assert unpack_many(payloads, LAYOUT, [0]) == [unpack_values(p, LAYOUT, [0]) for p in payloads] == rows
    assert unpack_many([], LAYOUT) == []


def test_batch_decoding_refuses_other_layouts_and_damaged_values() -> None:
    good = pack_values([1.0], [ValueType.FLOAT64], "abc")
    with pytest.raises(OnlineStoreError, match="different definition"):
        unpack_many([good, pack_values([1.0], [ValueType.FLOAT64], "other")], "abc")
    with pytest.raises(OnlineStoreError, match="damaged(.|\n)*rebuild"):
        unpack_many([good, b'["abc",1.0],["abc",2.0]'], "abc")


def test_plain_datetimes_convert_like_any_other_time() -> None:
    naive = datetime(2024, 1, 1, 12, 0)
    assert as_utc_naive(naive) is naive
    plus_two = datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc_naive(plus_two) == naive == as_utc_naive(pd.Timestamp(plus_two))
    assert as_utc_naive(datetime(2024, 1, 1, 12, 0, tzinfo=UTC)) == naive
    assert type(as_utc_naive(pd.Timestamp("2024-01-01 12:00"))) is datetime


def rows_without_created() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": [1, 1, 1, 2],
            "event_ts": times("08:00", "09:00", "09:00", "08:00"),
            "bikes": [5, 7, 7, 2],  # station 1 at 09:00 twice, the same values
            "docks": [1.0, 2.0, 3.0, 4.0],  # ... and different docks: no defined winner
        }
    )


def test_as_of_joins_without_created_times_keep_one_row_per_entity_row() -> None:
    view = FeatureView(
        "availability", entities=[station], source=rows_without_created(),
        features=[Feature("bikes", "int64"), Feature("docks", "float64")],
    )  # fmt: skip
    frame = pd.DataFrame({"station": [1, 1, 2, 1], "event_ts": times("09:30", "08:30", "09:30", "07:00")})
    result = get_historical_features(FeatureRepository([view]), frame, ["bikes", "docks"])
    assert len(result) == 4
    assert result["bikes"].tolist()[:3] == [7, 5, 2]
    assert result["docks"][0] in (2.0, 3.0)
    assert result["bikes"].isna().tolist() == [False, False, False, True]


def test_latest_rows_by_composite_keys_break_ties_by_created_time() -> None:
    trip = Entity("trip", join_keys=["station", "rider"])
    frame = pd.DataFrame(
        {
            "station": [1, 1, 1, 1, 2],
            "rider": ["ann", "ann", "ann", "bob", "ann"],
            "event_ts": times("08:00", "09:00", "09:00", "09:00", "07:00"),
            "created": times("08:01", "09:05", "09:01", None, "07:01"),
            "rides": [1, 3, 2, 4, 5],
        }
    )
    view = FeatureView(
        "trips", entities=[trip], source=frame, created_timestamp_field="created", features=[Feature("rides", "int64")]
    )
    latest = get_features_in_range(FeatureRepository([view]), "trips", latest_only=True)
    assert latest[["station", "rider", "rides"]].values.tolist() == [[2, "ann", 5], [1, "ann", 3], [1, "bob", 4]]
    inside = get_features_in_range(FeatureRepository([view]), "trips", end="2024-01-01 08:30", latest_only=True)
    assert inside[["station", "rider", "rides"]].values.tolist() == [[2, "ann", 5], [1, "ann", 1]]


def test_lookups_of_some_features_in_another_order_with_repeated_entities(online_url: str) -> None:
    view = FeatureView(
        "availability", entities=[station], source=rows_without_created().drop(index=2),
        features=[Feature("bikes", "int64"), Feature("docks", "float64")],
    )  # fmt: skip
    with FeatureStore(FeatureRepository([station, view]), online_url) as store:
        store.apply()
        store.materialize(None, None, "2024-01-02")
        result = store.get_online_features(
            ["availability:docks", "availability:bikes"], [{"station": 2}, {"station": 9}, {"station": 2}]
        )
        only_docks = store.get_online_features(["availability:docks"], [{"station": 1}])
    assert result.rows == ((4.0, 2), (None, None), (4.0, 2))
    assert result.found == (True, False, True)
    assert only_docks.rows == ((2.0,),)


def test_time_zone_aware_sources_give_the_same_rows_as_naive_utc_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    naive = pd.DataFrame(
        {
            "station": [1, 1, 2],
            "event_ts": times("08:00", "09:00", "08:30"),
            "created": times("08:01", "09:01", None),
            "seen": times("07:59", "08:59", "08:29"),
        }
    )
    aware = naive.copy()
    for name in ("event_ts", "created", "seen"):
        aware[name] = aware[name].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    aware.to_parquet(tmp_path / "aware.parquet")

    def view(source: object) -> FeatureRepository:
        return FeatureRepository(
            [
                FeatureView(
                    "seen", entities=[station], source=source, created_timestamp_field="created",
                    features=[Feature("seen", "timestamp")],
                )  # fmt: skip
            ]
        )

    frame = pd.DataFrame({"station": [1, 1, 2], "event_ts": times("08:59", "09:00", "10:00")})
    expected = get_historical_features(view(naive), frame, ["seen"])
    assert expected["seen"].tolist() == list(times("07:59", "08:59", "08:29"))
    for source in (aware, str(tmp_path / "aware.parquet")):
        assert get_historical_features(view(source), frame, ["seen"]).equals(expected)
        assert get_features_in_range(view(source), "seen").equals(get_features_in_range(view(naive), "seen"))
