"""Materialization: latest values per entity into the online store, watermarks, idempotence, rebuild."""

from __future__ import annotations

import pandas as pd
import pytest
from feature_helpers import availability_view, station_repository, station_rows

from loopline.features import (
    FeatureRepository,
    FeatureStore,
    OnlineStore,
    RetrievalError,
    materialize,
    materialize_incremental,
    rebuild,
)
from loopline.features.materialize import read_watermark
from loopline.features.online import WATERMARK_KEY, entity_key

T = pd.Timestamp


def snapshot(online: OnlineStore, view: str, stations: list[int]) -> list[object]:
    return online.online_read(view, [entity_key([s]) for s in stations] + [WATERMARK_KEY])


def test_materialize_writes_the_latest_row_of_each_entity_in_the_window(online: OnlineStore) -> None:
    repo = station_repository()
    [result] = materialize(repo, online, ["availability"], "2024-01-01 08:00", "2024-01-01 09:00")
    assert (result.view, result.entities, result.written) == ("availability", 2, 2)
    stored = dict(zip([1, 2, 3], online.online_read("availability", [entity_key([s]) for s in (1, 2, 3)]), strict=True))
    assert stored[3] is None  # its only row is before the window
    assert stored[1] is not None and stored[1].event_ts == 1704099600000000  # 2024-01-01 09:00, the correction
    assert b'"busy"' in stored[1].payload
    assert read_watermark(online, "availability") == T("2024-01-01 09:00")


def test_materializing_twice_or_in_overlapping_windows_gives_the_same_state(online: OnlineStore) -> None:
    repo = station_repository()
    materialize(repo, online, None, None, "2024-01-03")
    first = snapshot(online, "availability", [1, 2, 3])
    again = materialize(repo, online, None, None, "2024-01-03")
    assert [r.written for r in again] == [0, 0]
    materialize(repo, online, None, "2024-01-01 08:00", "2024-01-01 09:00")  # an older window changes nothing
    assert snapshot(online, "availability", [1, 2, 3]) == first
    assert read_watermark(online, "availability") == T("2024-01-03")


def test_incremental_materialization_starts_at_the_watermark(online: OnlineStore) -> None:
    repo = station_repository()
    [first] = materialize_incremental(repo, online, ["availability"], "2024-01-01 09:00")
    assert first.start is None and first.entities == 3
    [second] = materialize_incremental(repo, online, ["availability"], "2024-01-02 12:00")
    assert second.start == T("2024-01-01 09:00")
    assert second.entities == 2  # station 1 at 09:00 (boundary, rewritten as is) and station 2 on the 2nd
    assert second.written == 1
    assert read_watermark(online, "availability") == T("2024-01-02 12:00")
    assert materialize_incremental(repo, online, ["availability"], "2024-01-02") == []  # already past that end


def test_rebuild_restores_a_lost_online_store(online: OnlineStore) -> None:
    repo = station_repository()
    materialize_incremental(repo, online, None, "2024-01-03")
    before = snapshot(online, "availability", [1, 2, 3])
    online.teardown()  # e.g. Redis lost its data
    assert snapshot(online, "availability", [1, 2, 3]) == [None] * 4
    results = rebuild(repo, online, end="2024-01-03")
    assert {r.view for r in results} == {"availability", "weather"}
    assert snapshot(online, "availability", [1, 2, 3]) == before


def test_a_window_that_ends_before_it_starts_is_refused(online: OnlineStore) -> None:
    with pytest.raises(RetrievalError, match="materialization start 2024-01-02 00:00:00 is after its end"):
        materialize(station_repository(), online, None, "2024-01-02", "2024-01-01")


def test_apply_drops_online_values_of_changed_and_removed_views(online_url: str, history) -> None:  # type: ignore[no-untyped-def]
    at = "2024-01-01 12:00"
    with FeatureStore(station_repository(), online_url, history=history) as store:
        assert store.apply().version == 1
        store.materialize(None, None, "2024-01-03")
        assert store.get_online_features(["availability:bikes", "weather:temp"], [{"station": 1}], at=at).found == (
            True,
        )
    changed = availability_view(station_rows().assign(bikes=lambda f: f["bikes"] * 10))
    weather = station_repository().views["weather"]
    with FeatureStore(FeatureRepository([changed, weather]), online_url, history=history) as store:
        applied = store.apply()
        assert applied.version == 2
        assert applied.diff.names("changed", "feature view") == ("availability",)
        assert store.get_online_features(["weather:temp"], [{"station": 1}], at=at).found == (True,)
        assert store.get_online_features(["availability:bikes"], [{"station": 1}], at=at).found == (False,)
        assert store.watermark("availability") is None
        assert store.watermark("weather") == T("2024-01-03")


def test_materializations_are_recorded_in_the_history(online: OnlineStore, history) -> None:  # type: ignore[no-untyped-def]
    repo = station_repository()
    materialize(repo, online, ["availability"], None, "2024-01-02", recorder=history)
    materialize_incremental(repo, online, ["availability"], "2024-01-03", recorder=history)
    records = history.materializations("availability")
    assert [r.type for r in records] == ["Materialization", "Materialization"]
    assert [r.properties["end"] for r in records] == ["2024-01-02T00:00:00", "2024-01-03T00:00:00"]
    assert records[1].properties["start"] == "2024-01-02T00:00:00"
    assert history.objects.get_bytes(records[0].uri).startswith(b"{")
