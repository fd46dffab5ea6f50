"""Definition versions in the real artifact and metadata stores (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from feature_helpers import availability_view, station, station_repository

from loopline.errors import NotFoundError
from loopline.features import FeatureHistory, FeatureRepository, FeatureStore


def test_each_distinct_apply_records_one_version(history: FeatureHistory, sqlite_online_url: str) -> None:
    with FeatureStore(station_repository(), sqlite_online_url, history=history) as store:
        first = store.apply()
        again = store.apply()
    assert (first.version, again.version) == (1, 1)
    assert again.diff.is_empty
    shorter = FeatureRepository([station, availability_view(ttl=timedelta(hours=1))])
    with FeatureStore(shorter, sqlite_online_url, history=history) as store:
        second = store.apply()
    assert second.version == 2
    assert "ttl_seconds: 21600.0 -> 3600.0" in str(second.diff)
    versions = history.definition_versions()
    assert [v.version for v in versions] == [1, 2]
    assert [v.digest for v in versions] == [first.digest, second.digest]


def test_versions_are_artifacts_of_type_feature_definitions(history: FeatureHistory) -> None:
    applied = station_repository().apply()
    version = history.save_definitions(applied)
    [record] = history.records.list(name="feature_definitions")
    assert record.type == "FeatureDefinitions"
    assert record.format == "json"
    assert record.digest == applied.digest
    assert record.properties["feature_views"] == ["availability", "weather"]
    assert record.properties["changes"][0] == "+ entity 'station'"
    assert history.load_definitions(version) == json.loads(applied.canonical_json)
    assert history.load_definitions(1) == applied.description


def test_unknown_versions_are_not_found(history: FeatureHistory) -> None:
    with pytest.raises(
        NotFoundError, match=r"feature definitions version 3 does not exist(.|\n)*apply the definitions first"
    ):
        history.load_definitions(3)
    assert history.latest_definitions() is None
