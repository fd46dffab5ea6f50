"""``loopline features apply|list|show|materialize|get``: the bike workspace end to end (online values
equal the training frame's), and a small station workspace for errors, diffs, on-demand features
and the Redis online store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import invoke

from loopline.examples.scaffold import write_workspace
from loopline.workspace import Workspace

REDIS_URL = os.environ.get("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
Capture = pytest.CaptureFixture[str]


# -- the bike workspace --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bikes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workspace(tmp_path_factory.mktemp("features") / "bikes", example="bikes")


def training_row(workspace: Path, run: dict, at: str) -> pd.Series:
    with Workspace.find(workspace) as ws:
        artifact = ws.metadata.artifacts.get(run["outputs"]["training_frame"]["id"])
        frame = pd.read_parquet(ws.artifacts.local_path(artifact.uri))
    return frame[frame["timestamp"] == pd.Timestamp(at)].iloc[0]


def test_bike_features_online_equal_the_training_frame_at_the_same_hour(capsys: Capture, bikes: Path) -> None:
    listed = invoke(capsys, bikes, "features", "list", "--json").json()
    assert listed["is_applied"] is False and listed["applied_version"] is None
    assert [v["name"] for v in listed["feature_views"]] == ["demand_history", "weather_by_hour"]
    refused = invoke(capsys, bikes, "features", "materialize")
    assert refused.code == 1 and "have never been applied" in refused.err and "loopline features apply" in refused.err

    applied = invoke(capsys, bikes, "features", "apply", "--json").json()
    assert applied["version"] == 1 and "+ feature view 'weather_by_hour'" in applied["changes"]
    assert "no changes: version 1 is current" in invoke(capsys, bikes, "features", "apply").out

    run = invoke(capsys, bikes, "run", "features", "--json").json()
    for at, incremental in (("2011-03-10 08:00", False), ("2012-10-30 15:00", True)):
        options = ["--incremental"] if incremental else ["--start", "2011-01-01"]
        done = invoke(capsys, bikes, "features", "materialize", *options, "--end", at, "--json").json()
        assert sorted(r["view"] for r in done) == ["demand_history", "weather_by_hour"]
        expected = training_row(bikes, run, at)
        for view in ("weather_by_hour", "demand_history"):
            served = invoke(capsys, bikes, "features", "get", view, "city=dc", "--at", at, "--json").json()
            assert served["found"] is True and served["missing"] == []
            for name, value in served["values"].items():
                assert (value is None and pd.isna(expected[name])) or value == pytest.approx(expected[name]), (at, name)
    assert done[0]["start"] == "2011-03-10T08:00:00"  # incremental: from the last watermark

    shown = invoke(capsys, bikes, "features", "show", "weather_by_hour", "--json").json()
    assert shown["online_watermark"] == "2012-10-30T15:00:00" and shown["materializations"] == 2
    assert shown["definition"]["source"] == {"kind": "file", "path": "data/bike_sharing_hour.csv", "format": "csv"}
    assert "materialized up to 2012-10-30 15:00:00" in invoke(capsys, bikes, "features", "show", "weather_by_hour").out


def test_unknown_entities_give_nulls_and_a_flag(capsys: Capture, bikes: Path) -> None:
    answer = invoke(capsys, bikes, "features", "get", "demand_history", "city=paris", "--json").json()
    assert answer["found"] is False and answer["missing"] == ["demand_history"]
    assert set(answer["values"].values()) == {None}
    text = invoke(capsys, bikes, "features", "get", "demand_history", "city=paris")
    assert text.code == 0 and "not found" in text.out and "null" in text.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "weather_by_hour", "dc"], "'dc' is not KEY=VALUE"),
        (["get", "weather_by_hour", "town=dc"], "entity row 0 lacks city"),
        (["get", "weather_by_hor", "city=dc"], "did you mean 'weather_by_hour'"),
        (["get", "weather_by_hour", "city=dc", "--at", "yesterday-ish"], "--at 'yesterday-ish' is not a date"),
        (["materialize", "--incremental", "--start", "2011-01-01"], "--start and --incremental exclude each other"),
        (["show", "wether_by_hour"], "nothing named 'wether_by_hour'"),
    ],
)
def test_feature_command_errors_say_what_to_do(capsys: Capture, bikes: Path, args: list[str], message: str) -> None:
    result = invoke(capsys, bikes, "features", *args)
    assert result.code != 0 and message in result.err, result.err
    assert "Traceback" not in result.err


# -- a small station workspace -------------------------------------------------------------------

FEATURES_PY = '''
from datetime import timedelta
from pathlib import Path

import pandas as pd

from loopline.features import Entity, Feature, FeatureView, OnDemandFeatureView, RequestField
from loopline.features.relative import relative_to

station = Entity("station", join_keys=["station"])
availability = FeatureView(
    "availability",
    entities=[station],
    source=relative_to(Path(__file__).parent, "data/availability.parquet"),
    ttl=timedelta(hours=6),
    features=[{features}],
)


def share(frame):
    return pd.DataFrame({"trip_share": frame["riders"] / frame["bikes"].astype("float64")})


trip = OnDemandFeatureView(
    "trip", sources=[availability, RequestField("riders", "int64")], function=share,
    features=[Feature("trip_share", "float64")],
)
'''
GOOD = 'Feature("bikes", "int64"), Feature("docks", "float64")'


def write_features(root: Path, features: str, extra: str = "") -> None:
    (root / "features.py").write_text(FEATURES_PY.replace("{features}", features) + extra)


@pytest.fixture
def stations(tmp_path: Path) -> Path:
    root = tmp_path / "stations"
    (root / "data").mkdir(parents=True)
    (root / "loopline.toml").write_text("")
    pd.DataFrame(
        {
            "station": [1, 1, 2],
            "event_ts": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-01 08:30"]),
            "bikes": [5, 6, 2],
            "docks": [10.0, 9.0, 3.5],
            "name": ["a", "a", "b"],
        }
    ).to_parquet(root / "data" / "availability.parquet")
    write_features(root, GOOD)
    return root


def test_apply_reports_every_problem_and_then_the_diff(capsys: Capture, stations: Path) -> None:
    twin = '\ntwin = FeatureView("availability", entities=[station], source=pd.DataFrame(), features=[])\n'
    write_features(stations, 'Feature("bikes", "int64"), Feature("bikes", "int64")', extra=twin)
    duplicates = invoke(capsys, stations, "features", "apply")
    assert duplicates.code == 1 and "declares the feature 'bikes' 2 times" in duplicates.err
    assert "2 views are named 'availability': view names must be unique" in duplicates.err
    write_features(stations, 'Feature("bikez", "int64"), Feature("docks", "float64"), Feature("name", "float64")')
    bad = invoke(capsys, stations, "features", "apply")
    assert bad.code == 1 and "have 3 problems" in bad.err  # the two below and the on-demand view's missing input
    assert "the feature 'bikez' is not a column of its source (did you mean 'bikes'?)" in " ".join(bad.err.split())
    assert "the feature 'name' is declared float64 but its source column is VARCHAR" in " ".join(bad.err.split())
    assert invoke(capsys, stations, "features", "list", "--json").json()["applied_version"] is None

    write_features(stations, GOOD)
    assert invoke(capsys, stations, "features", "apply", "--json").json()["version"] == 1
    write_features(stations, 'Feature("bikes", "int64"), Feature("docks", "float64"), Feature("name", "string")')
    listed = invoke(capsys, stations, "features", "list")
    assert "changed since version 1" in listed.out
    changed = invoke(capsys, stations, "features", "apply")
    assert "applied version 2" in changed.out
    assert "~ feature view 'availability'" in changed.out and "features.name: added" in changed.out


def test_on_demand_features_take_request_values(capsys: Capture, stations: Path) -> None:
    invoke(capsys, stations, "features", "apply")
    invoke(capsys, stations, "features", "materialize", "--end", "2024-01-01 12:00")
    answer = invoke(
        capsys, stations, "features", "get", "trip", "station=1", "riders=3", "--at", "2024-01-01 12:00", "--json"
    ).json()
    assert answer["values"] == {"trip_share": 0.5} and answer["found"] is True
    at = ["--at", "2024-01-01 12:00"]
    one = invoke(capsys, stations, "features", "get", "availability", "station=2", "-f", "docks", *at)
    assert "3.5" in one.out and "bikes" not in one.out


@pytest.fixture
def redis_url() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"loopline_cli_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{REDIS_URL}?prefix={prefix}"
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()


def test_the_online_store_can_be_redis(capsys: Capture, stations: Path, redis_url: str) -> None:
    (stations / "loopline.toml").write_text(f'[features]\nonline = "{redis_url}"\n')
    invoke(capsys, stations, "features", "apply")
    done = invoke(capsys, stations, "features", "materialize", "--end", "2024-01-01 12:00", "--json").json()
    assert done[0]["written"] == 2
    at = ["--at", "2024-01-01 12:00"]
    answer = invoke(capsys, stations, "features", "get", "availability", "station=1", *at, "--json")
    assert answer.json()["values"] == {"bikes": 6, "docks": 9.0}
    assert not (stations / ".loopline" / "online.db").exists()
