"""Property tests: the DuckDB point-in-time join agrees with a brute-force reference on random data.

Invariants checked on every example: no value newer than the entity row's time, none older
than the TTL, ties at the same event time won by the latest created time (a row with no
created time loses to one with a created time), unknown entities and early rows get null.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureView,
    get_features_in_range,
    get_historical_features,
)

BASE = pd.Timestamp("2024-03-01")
station = Entity("station", join_keys=["station"])

feature_rows = st.lists(
    st.tuples(
        st.integers(1, 3),  # station
        st.integers(0, 12).map(lambda k: 5 * k),  # event minute, on a 5-minute grid so times tie often
        st.one_of(st.none(), st.integers(0, 5)),  # created minute offset
    ),
    max_size=40,
    unique_by=lambda r: (r[0], r[1], r[2]),  # exact duplicates have no defined winner
)
entity_rows = st.lists(st.tuples(st.integers(1, 4), st.integers(-5, 75)), min_size=1, max_size=25)
ttls = st.one_of(st.none(), st.integers(1, 40))


def minutes(n: int) -> pd.Timestamp:
    return BASE + pd.Timedelta(minutes=n)


def build(rows: list[tuple[int, int, int | None]], ttl: int | None) -> FeatureRepository:
    frame = pd.DataFrame(
        {
            "station": pd.Series([r[0] for r in rows], dtype="int64"),
            "event_ts": pd.Series([minutes(r[1]) for r in rows], dtype="datetime64[us]"),
            "created": pd.Series(
                [minutes(r[1] + r[2]) if r[2] is not None else None for r in rows], dtype="datetime64[us]"
            ),
            "value": pd.Series(range(len(rows)), dtype="int64"),  # identifies the row
        }
    )
    view = FeatureView(
        "v", entities=[station], source=frame, created_timestamp_field="created",
        ttl=timedelta(minutes=ttl) if ttl is not None else None, features=[Feature("value", "int64")],
    )  # fmt: skip
    return FeatureRepository([view])


def created_order(row: tuple[int, int, int | None]) -> tuple[int, int]:
    return (row[1], -(10**9) if row[2] is None else row[1] + row[2])


def reference(rows: list[tuple[int, int, int | None]], station_id: int, at: int, ttl: int | None) -> int | None:
    """The brute-force answer: scan every row."""
    candidates = [(created_order(r), i) for i, r in enumerate(rows) if r[0] == station_id and r[1] <= at]
    if not candidates:
        return None
    _, best = max(candidates)
    if ttl is not None and rows[best][1] < at - ttl:
        return None
    return best


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=feature_rows, asked=entity_rows, ttl=ttls)
def test_point_in_time_join_matches_brute_force(rows, asked, ttl) -> None:  # type: ignore[no-untyped-def]
    entity_df = pd.DataFrame({"station": [a[0] for a in asked], "event_ts": [minutes(a[1]) for a in asked]})
    result = get_historical_features(build(rows, ttl), entity_df, ["v:value"])
    got = [None if pd.isna(v) else int(v) for v in result["value"]]
    expected = [reference(rows, s, at, ttl) for s, at in asked]
    assert got == expected
    for (station_id, at), index in zip(asked, got, strict=True):
        if index is None:
            continue
        chosen = rows[index]
        assert chosen[0] == station_id
        assert chosen[1] <= at, "a value from the future leaked into the training set"
        if ttl is not None:
            assert chosen[1] >= at - ttl, "a value older than the ttl was returned"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=feature_rows, start=st.integers(-5, 65), length=st.integers(0, 70))
def test_latest_in_range_matches_brute_force(rows, start, length) -> None:  # type: ignore[no-untyped-def]
    end = start + length
    got = get_features_in_range(build(rows, None), "v", minutes(start), minutes(end), latest_only=True)
    expected = {}
    for station_id in {r[0] for r in rows}:
        inside = [(created_order(r), i) for i, r in enumerate(rows) if r[0] == station_id and start <= r[1] <= end]
        if inside:
            expected[station_id] = max(inside)[1]
    assert dict(zip(got["station"].tolist(), got["value"].tolist(), strict=True)) == expected
