"""Training sets: point-in-time joins by hand-checked examples, sources of every kind, clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feature_helpers import availability_view, station, station_repository, station_rows

from loopline.features import (
    Feature,
    FeatureRepository,
    FeatureView,
    FileSource,
    RetrievalError,
    SqlSource,
    UnknownFeatureError,
    get_features_in_range,
    get_historical_features,
)

AVAILABILITY = ["availability:bikes", "availability:docks", "availability:status"]


def entities(*rows: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"station": [r[0] for r in rows], "event_ts": pd.to_datetime([r[1] for r in rows], format="ISO8601")}
    )


def test_each_row_gets_the_latest_value_at_or_before_its_time_within_the_ttl() -> None:
    frame = entities(
        (1, "2024-01-01 08:59"),  # before the 09:00 rows
        (1, "2024-01-01 09:00"),  # exactly at 09:00: included; the later-created correction wins
        (1, "2024-01-01 15:00"),  # 6 hours later: still within the ttl
        (1, "2024-01-01 15:00:01"),  # past the ttl
        (2, "2024-01-01 08:29"),  # before station 2's first row
        (3, "2024-01-01 05:00"),
        (4, "2024-01-01 09:00"),  # unknown station
        (1, "2023-06-01 00:00"),  # long before any row
    )
    result = get_historical_features(station_repository(), frame, AVAILABILITY)
    assert result["bikes"].tolist()[:3] == [5, 8, 8]
    assert result["bikes"].isna().tolist() == [False, False, False, True, True, False, True, True]
    assert result["bikes"][5] == 11
    assert result["docks"].tolist()[:3] == [10.0, 7.5, 7.5]
    assert result["status"].tolist()[:3] == ["open", "busy", "busy"]
    assert str(result["bikes"].dtype) == "Int64"
    assert str(result["docks"].dtype) == "float64"


def test_the_entity_frame_keeps_its_rows_order_index_and_columns() -> None:
    frame = entities((3, "2024-01-01 05:00"), (1, "2024-01-01 09:30"), (3, "2024-01-01 05:00"), (2, "2024-01-02 09:00"))
    frame.index = [40, 10, 30, 20]
    frame["label"] = ["a", "b", "c", "d"]
    result = get_historical_features(station_repository(), frame, ["availability:bikes"])
    assert list(result.columns) == ["station", "event_ts", "label", "bikes"]
    assert list(result.index) == [40, 10, 30, 20]
    assert result["label"].tolist() == ["a", "b", "c", "d"]
    assert result["bikes"].tolist() == [11, 8, 11, 3]
    pd.testing.assert_frame_equal(result[frame.columns], frame)


def test_time_zone_aware_entity_times_are_compared_in_utc() -> None:
    frame = entities((1, "2024-01-01 10:00"))
    frame["event_ts"] = frame["event_ts"].dt.tz_localize("Europe/Paris")  # 09:00 UTC
    assert get_historical_features(station_repository(), frame, ["availability:bikes"])["bikes"].tolist() == [8]


def test_several_views_and_on_demand_features_in_one_frame() -> None:
    frame = entities((1, "2024-01-01 09:10"), (2, "2024-01-01 09:10"), (9, "2024-01-01 09:10"))
    frame["riders"] = [4, 1, 2]
    result = get_historical_features(
        station_repository(), frame, ["availability:bikes", "weather:temp", "trip:trip_share", "trip:busy"]
    )
    assert result["temp"].isna().tolist() == [False, False, True]
    assert result["temp"].tolist()[:2] == [3.5, 4.0]
    assert result["trip_share"].tolist()[:2] == [0.5, 0.5]
    assert np.isnan(result["trip_share"].tolist()[2])
    assert result["busy"].tolist()[:2] == [True, False]


def test_unqualified_names_work_when_unique_and_full_names_resolve_clashes() -> None:
    other = FeatureView(
        "bikes_again", entities=[station], source=station_rows(), created_timestamp_field="created",
        features=[Feature("bikes", "int64")],
    )  # fmt: skip
    repo = FeatureRepository([availability_view(), other])
    frame = entities((1, "2024-01-01 09:00"))
    assert get_historical_features(repo, frame, ["docks"])["docks"].tolist() == [7.5]
    with pytest.raises(
        RetrievalError, match=r"the feature 'bikes' is defined in several views(.|\n)*'availability:bikes'"
    ):
        get_historical_features(repo, frame, ["bikes"])
    with pytest.raises(RetrievalError, match=r"would both be the column 'bikes'(.|\n)*full_feature_names=True"):
        get_historical_features(repo, frame, ["availability:bikes", "bikes_again:bikes"])
    result = get_historical_features(repo, frame, ["availability:bikes", "bikes_again:bikes"], full_feature_names=True)
    assert result["availability__bikes"].tolist() == [8]
    assert result["bikes_again__bikes"].tolist() == [8]


def test_view_star_selects_every_feature() -> None:
    result = get_historical_features(station_repository(), entities((1, "2024-01-01 09:00")), ["availability:*"])
    assert list(result.columns[2:]) == ["bikes", "docks", "status"]


def test_mistakes_in_the_request_are_explained() -> None:
    repo = station_repository()
    frame = entities((1, "2024-01-01 09:00"))
    with pytest.raises(
        UnknownFeatureError, match=r"feature view 'availability' has no feature 'bike'(.|\n)*did you mean 'bikes'"
    ):
        get_historical_features(repo, frame, ["availability:bike"])
    with pytest.raises(UnknownFeatureError, match=r"no feature view named 'availabilty'"):
        get_historical_features(repo, frame, ["availabilty:bikes"])
    with pytest.raises(RetrievalError, match="features must be a non-empty list"):
        get_historical_features(repo, frame, "availability:bikes")
    with pytest.raises(RetrievalError, match=r"the entity frame lacks the columns riders(.|\n)*request fields"):
        get_historical_features(repo, frame, ["trip:trip_share"])
    with pytest.raises(RetrievalError, match=r"lacks the columns when(.|\n)*pass timestamp_column"):
        get_historical_features(repo, frame, ["availability:bikes"], timestamp_column="when")
    with pytest.raises(RetrievalError, match="already has columns named like the requested features: bikes"):
        get_historical_features(repo, frame.assign(bikes=1), ["availability:bikes"])
    with pytest.raises(
        RetrievalError, match="holds string values but feature view 'availability' keys its rows by integer"
    ):
        get_historical_features(repo, frame.assign(station=["1"]), ["availability:bikes"])
    with pytest.raises(RetrievalError, match="has 1 null timestamps"):
        get_historical_features(repo, frame.assign(event_ts=pd.NaT), ["availability:bikes"])


def test_an_empty_entity_frame_gives_an_empty_training_set() -> None:
    frame = entities((1, "2024-01-01 09:00")).iloc[:0]
    result = get_historical_features(station_repository(), frame, AVAILABILITY)
    assert len(result) == 0
    assert list(result.columns) == ["station", "event_ts", "bikes", "docks", "status"]


def test_parquet_csv_sql_and_frame_sources_give_the_same_training_set(tmp_path: Path) -> None:
    rows = station_rows()
    rows.to_parquet(tmp_path / "rows.parquet")
    rows.to_csv(tmp_path / "rows.csv", index=False)
    frame = entities((1, "2024-01-01 09:00"), (2, "2024-01-01 12:00"), (3, "2024-01-01 00:00"))
    sources = [
        rows,
        FileSource(str(tmp_path / "rows.parquet")),
        str(tmp_path / "rows.csv"),
        SqlSource(f"SELECT * FROM read_parquet('{tmp_path / 'rows.parquet'}')"),
        str(tmp_path),  # a folder of Parquet files
    ]
    results = [
        get_historical_features(FeatureRepository([availability_view(source)]), frame, AVAILABILITY)
        for source in sources
    ]
    for other in results[1:]:
        pd.testing.assert_frame_equal(other, results[0])
    assert results[0]["bikes"].tolist() == [8, 2, 11]


def test_transformations_run_before_the_join() -> None:
    def per_dock(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(bikes_per_dock=frame["bikes"] / frame["docks"])

    view = availability_view(transformation=per_dock, features=[Feature("bikes_per_dock", "float64")])
    result = get_historical_features(FeatureRepository([view]), entities((1, "2024-01-01 08:30")), ["bikes_per_dock"])
    assert result["bikes_per_dock"].tolist() == [0.5]


def test_a_view_without_created_timestamps_still_gives_one_value_per_time() -> None:
    rows = station_rows()[station_rows()["created"] != pd.Timestamp("2024-01-01 09:30")]
    view = availability_view(rows, created_timestamp_field=None)
    result = get_historical_features(FeatureRepository([view]), entities((1, "2024-01-01 09:00")), ["bikes"])
    assert result["bikes"].tolist() == [7]


def test_range_reads_include_both_bounds_and_resolve_corrections() -> None:
    repo = station_repository()
    rows = get_features_in_range(repo, "availability", "2024-01-01 08:00", "2024-01-01 09:00")
    assert list(rows.columns) == ["station", "event_ts", "bikes", "docks", "status"]
    assert rows[["station", "bikes"]].values.tolist() == [[1, 5], [2, 2], [1, 8]]
    everything = get_features_in_range(repo, "availability")
    assert len(everything) == 5  # six rows, one of them superseded by its correction
    latest = get_features_in_range(repo, "availability", end="2024-01-01 23:00", latest_only=True)
    assert latest[["station", "bikes"]].values.tolist() == [[3, 11], [2, 2], [1, 8]]


def test_range_reads_refuse_on_demand_views() -> None:
    with pytest.raises(UnknownFeatureError, match="'trip' is an on-demand feature view"):
        get_features_in_range(station_repository(), "trip")


def test_ttl_counts_from_each_rows_own_time() -> None:
    view = availability_view(ttl=timedelta(minutes=30))
    frame = entities((1, "2024-01-01 08:30"), (1, "2024-01-01 08:31"))
    assert get_historical_features(FeatureRepository([view]), frame, ["bikes"])["bikes"].tolist()[0] == 5
    assert get_historical_features(FeatureRepository([view]), frame, ["bikes"])["bikes"].isna().tolist() == [
        False,
        True,
    ]


def test_rows_without_a_key_or_a_time_are_skipped() -> None:
    rows = station_rows()
    rows["station"] = rows["station"].astype("Int64")
    rows.loc[0, "station"] = pd.NA
    rows.loc[5, "event_ts"] = pd.NaT
    read = get_features_in_range(FeatureRepository([availability_view(rows)]), "availability")
    assert len(read) == 3
    assert read["station"].notna().all()
