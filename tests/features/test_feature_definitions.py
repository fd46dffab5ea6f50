"""Definitions and ``apply``: every kind of mistake gives a clear problem; descriptions are canonical."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from feature_helpers import availability_view, occupancy, station, station_repository, station_rows

from loopline.errors import InvalidInputError
from loopline.features import (
    Entity,
    Feature,
    FeatureDefinitionError,
    FeatureRepository,
    FeatureView,
    FileSource,
    OnDemandFeatureView,
    RequestField,
    SqlSource,
    UnknownFeatureError,
    ValueType,
    load_repository,
)
from loopline.features.sources import as_source


def problems_of(*definitions: object) -> list[str]:
    with pytest.raises(FeatureDefinitionError) as caught:
        FeatureRepository(definitions).apply()  # type: ignore[arg-type]
    return caught.value.problems


def test_dtypes_parse_aliases_and_reject_unknown_names_with_a_suggestion() -> None:
    assert Feature("x", "float").dtype is ValueType.FLOAT64
    assert Feature("x", "str").dtype is ValueType.STRING
    with pytest.raises(InvalidInputError, match=r"unknown feature dtype 'flaot64'(.|\n)*did you mean 'float64'"):
        Feature("x", "flaot64")


def test_sources_are_inferred_from_what_the_user_wrote() -> None:
    assert isinstance(as_source("data/rides.parquet"), FileSource)
    assert isinstance(as_source("  select * from read_csv('x.csv')"), SqlSource)
    assert isinstance(as_source(Path("x.csv")), FileSource)
    with pytest.raises(InvalidInputError, match="must be a path, a DataFrame or a DuckDB query; got int"):
        as_source(42)


def test_a_valid_repository_applies_and_describes_itself_canonically() -> None:
    first = station_repository().apply()
    second = station_repository().apply()
    assert first.canonical_json == second.canonical_json
    assert first.digest == second.digest
    description = json.loads(first.canonical_json)
    assert [v["name"] for v in description["feature_views"]] == ["availability", "weather"]
    assert description["on_demand_feature_views"][0]["request_fields"] == [{"name": "riders", "dtype": "int64"}]
    assert [str(c) for c in first.diff.changes] == [
        "+ entity 'station'",
        "+ feature view 'availability'",
        "+ feature view 'weather'",
        "+ on-demand feature view 'trip'",
    ]


def test_the_diff_names_each_changed_field() -> None:
    before = station_repository().apply().description
    changed = availability_view(
        ttl=timedelta(hours=1),
        features=[Feature("bikes", "float64"), Feature("status", "string")],
    )
    after = FeatureRepository([station, changed]).apply(before)
    text = str(after.diff)
    assert "~ feature view 'availability'" in text
    assert "features.bikes.dtype: 'int64' -> 'float64'" in text
    assert "features.docks: removed" in text
    assert "ttl_seconds: 21600.0 -> 3600.0" in text
    assert "- feature view 'weather'" in text
    assert "- on-demand feature view 'trip'" in text
    assert after.diff.names("removed", "feature view") == ("weather",)
    assert FeatureRepository([station, changed]).apply(after.description).diff.is_empty


def test_changing_a_transformation_changes_the_description() -> None:
    def add_one(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(bikes=frame["bikes"] + 1)

    plain = FeatureRepository([availability_view()]).apply()
    transformed = FeatureRepository([availability_view(transformation=add_one)]).apply(plain.description)
    assert transformed.digest != plain.digest
    assert any(d.startswith("transformation:") for d in transformed.diff.changes[0].details)


def test_unknown_columns_are_reported_with_suggestions() -> None:
    view = availability_view(
        features=[Feature("bike", "int64"), Feature("docks", "float64")], created_timestamp_field="creatd"
    )
    found = problems_of(view)
    assert (
        "feature view 'availability': the feature 'bike' is not a column of its source (did you mean 'bikes'?)" in found
    )
    assert any("the created timestamp field 'creatd' is not a column" in p and "'created'" in p for p in found)


def test_a_missing_join_key_column_is_reported() -> None:
    frame = station_rows().rename(columns={"station": "station_id"})
    assert any(
        "the join key 'station' is not a column of its source" in p for p in problems_of(availability_view(frame))
    )


def test_type_conflicts_between_declaration_and_source_are_reported() -> None:
    view = availability_view(
        features=[Feature("bikes", "string"), Feature("status", "int64"), Feature("docks", "int64")]
    )
    found = problems_of(view)
    assert (
        "feature view 'availability': the feature 'bikes' is declared string but its source column is BIGINT" in found
    )
    assert (
        "feature view 'availability': the feature 'status' is declared int64 but its source column is VARCHAR" in found
    )
    assert "feature view 'availability': the feature 'docks' is declared int64 but its source column is DOUBLE" in found


def test_an_int_column_may_feed_a_float_feature() -> None:
    FeatureRepository([availability_view(features=[Feature("bikes", "float64")])]).apply()


def test_a_text_timestamp_column_is_a_type_conflict() -> None:
    frame = station_rows().assign(event_ts=lambda f: f["event_ts"].astype(str))
    assert any(
        "the timestamp column 'event_ts' is VARCHAR; expected a timestamp" in p
        for p in problems_of(availability_view(frame))
    )


def test_join_key_types_must_agree_across_views_of_an_entity() -> None:
    text_keys = station_rows().assign(station=lambda f: "s" + f["station"].astype(str))
    other = FeatureView("text_keyed", entities=[station], source=text_keys, features=[Feature("bikes", "int64")])
    found = problems_of(availability_view(), other)
    assert any(
        "entity 'station': the join key 'station' is string in feature view 'text_keyed' but integer" in p
        for p in found
    )


def test_entities_without_join_keys_and_unknown_entities_are_reported() -> None:
    view = availability_view(entities=["statoin"])
    found = problems_of(station, Entity("rider"), view)
    assert "entity 'rider' has no join keys: write Entity('rider', join_keys=['id'])" in found
    assert "feature view 'availability' names the unknown entity 'statoin' (did you mean 'station'?)" in found


def test_duplicate_names_are_reported() -> None:
    duplicate_feature = availability_view(features=[Feature("bikes", "int64"), Feature("bikes", "int64")])
    found = problems_of(duplicate_feature, availability_view())
    assert "2 views are named 'availability': view names must be unique" in found
    assert "feature view 'availability' declares the feature 'bikes' 2 times" in found
    conflicting = problems_of(availability_view(), Entity("station", join_keys=["station_id"]))
    assert "entity 'station' is defined 2 times with different join keys" in conflicting


def test_the_same_feature_name_in_two_views_is_fine() -> None:
    other = FeatureView("bikes_again", entities=[station], source=station_rows(), features=[Feature("bikes", "int64")])
    FeatureRepository([availability_view(), other]).apply()


def test_invalid_view_names_and_bad_ttl_are_reported() -> None:
    found = problems_of(
        FeatureView("my view", entities=[station], source=station_rows(), features=[Feature("bikes", "int")])
    )
    assert any("view name 'my view' is not a valid name" in p for p in found)
    assert any("has ttl -1 day" in p for p in problems_of(availability_view(ttl=timedelta(days=-1))))
    with pytest.raises(InvalidInputError, match=r"ttl must be a datetime\.timedelta or None; got 3600"):
        availability_view(ttl=3600)


def test_a_broken_source_is_reported_not_raised() -> None:
    view = FeatureView(
        "broken", entities=[station], source=SqlSource("SELECT * FROM no_such_table"), features=[Feature("x", "int64")]
    )
    assert any("feature view 'broken': the source query does not run" in p for p in problems_of(view))
    missing = FeatureView(
        "missing", entities=[station], source="/no/such/file.parquet", features=[Feature("x", "int64")]
    )
    assert any("the source file /no/such/file.parquet does not exist" in p for p in problems_of(missing))


def test_a_failing_transformation_is_reported() -> None:
    def broken(frame: pd.DataFrame) -> pd.DataFrame:
        raise KeyError("nope")

    found = problems_of(availability_view(transformation=broken))
    assert any("the transformation of feature view 'availability' raised KeyError" in p for p in found)


def test_transformations_may_add_the_columns_the_view_declares() -> None:
    def add_capacity(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(capacity=frame["bikes"] + frame["docks"])

    view = availability_view(transformation=add_capacity, features=[Feature("capacity", "float64")])
    FeatureRepository([view]).apply()


def test_on_demand_views_are_checked_against_their_sources_and_outputs() -> None:
    availability = availability_view()
    wrong_output = OnDemandFeatureView(
        "trip", sources=[availability, RequestField("riders", "int64")], function=occupancy,
        features=[Feature("trip_shar", "float64"), Feature("busy", "int64")],
    )  # fmt: skip
    found = problems_of(availability, wrong_output)
    assert any("does not return the feature 'trip_shar' (did you mean 'trip_share'?)" in p for p in found)
    assert any("the feature 'busy' is declared int64 but the function returns bool values" in p for p in found)
    unknown = OnDemandFeatureView(
        "odd", sources=["availabilty"], function=occupancy, features=[Feature("x", "float64")]
    )
    assert any(
        "reads the unknown feature view 'availabilty' (did you mean 'availability'?)" in p
        for p in problems_of(availability, unknown)
    )
    clash = OnDemandFeatureView(
        "clash",
        sources=[availability, RequestField("bikes", "int64")],
        function=occupancy,
        features=[Feature("x", "float64")],
    )
    assert any(
        "the input 'bikes' comes from both feature view 'availability' and request field" in p
        for p in problems_of(availability, clash)
    )


def test_an_on_demand_function_that_fails_on_a_sample_row_is_reported() -> None:
    def broken(frame: pd.DataFrame) -> pd.DataFrame:
        return frame["missing_column"].to_frame()

    view = OnDemandFeatureView(
        "bad", sources=[availability_view()], function=broken, features=[Feature("x", "float64")]
    )
    assert any(
        "on-demand feature view 'bad': its function raised KeyError on a sample row" in p for p in problems_of(view)
    )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(
        FeatureDefinitionError, match=r"the feature definitions have 2 problems:\n  - entity 'a' has no join keys"
    ):
        FeatureRepository([Entity("a"), Entity("b")]).apply()


def test_lookups_suggest_close_names() -> None:
    repo = station_repository()
    with pytest.raises(
        UnknownFeatureError, match=r"no feature view named 'availabilty'(.|\n)*did you mean 'availability'"
    ):
        repo.view("availabilty")
    with pytest.raises(UnknownFeatureError, match="'trip' is an on-demand feature view; it has no stored rows"):
        repo.view("trip")


def test_load_repository_collects_a_features_file(tmp_path: Path) -> None:
    station_rows().to_parquet(tmp_path / "stations.parquet")
    (tmp_path / "features.py").write_text(
        "from datetime import timedelta\n"
        "from pathlib import Path\n"
        "from loopline.features import Entity, Feature, FeatureView\n"
        "station = Entity('station', join_keys=['station'])\n"
        "availability = FeatureView('availability', entities=[station],\n"
        "    source=Path(__file__).parent / 'stations.parquet', ttl=timedelta(hours=6),\n"
        "    features=[Feature('bikes', 'int64')])\n"
    )
    repo = load_repository(tmp_path / "features.py")
    assert sorted(repo.views) == ["availability"]
    assert repo.apply().description["feature_views"][0]["source"]["format"] == "parquet"
