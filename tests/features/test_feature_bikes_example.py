"""The bike-sharing example's feature views: correct values, no look into the future, and
online values equal to the training set's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loopline.examples.bikes import data_path
from loopline.examples.bikes.features import FEATURES, entity_frame, repository
from loopline.features import FeatureStore, get_historical_features

SHARED_CSV = Path("/work/shared/data/bike_sharing_hour.csv")


@pytest.fixture(scope="module")
def csv() -> Path:
    bundled = data_path()
    if bundled.is_file():
        return bundled
    if SHARED_CSV.is_file():
        return SHARED_CSV
    pytest.skip("the bike-sharing CSV is not available")


@pytest.fixture(scope="module")
def hours(csv: Path) -> pd.DataFrame:
    frame = pd.read_csv(csv)
    frame["ts"] = pd.to_datetime(frame["dteday"]) + pd.to_timedelta(frame["hr"], unit="h")
    return frame


@pytest.fixture(scope="module")
def training(csv: Path, hours: pd.DataFrame) -> pd.DataFrame:
    return get_historical_features(repository(csv), entity_frame(hours), list(FEATURES))


def test_the_example_definitions_apply(csv: Path) -> None:
    applied = repository(csv).apply()
    assert [v["name"] for v in applied.description["feature_views"]] == ["demand_history", "weather_by_hour"]


def test_weather_is_the_hours_own_observation(hours: pd.DataFrame, training: pd.DataFrame) -> None:
    for column in ("temp", "atemp", "hum", "windspeed", "weathersit"):
        np.testing.assert_allclose(training[column].to_numpy(dtype=float), hours[column].to_numpy(dtype=float))


def test_demand_history_matches_a_brute_force_computation(hours: pd.DataFrame, training: pd.DataFrame) -> None:
    counts = dict(zip(hours["ts"], hours["cnt"], strict=True))
    sample = np.random.default_rng(3).choice(len(hours), 150, replace=False)
    for i in sample:
        t = hours["ts"][i]
        lag = counts.get(t - pd.Timedelta(hours=24))
        same_hour = [counts[t - pd.Timedelta(days=k)] for k in range(1, 8) if t - pd.Timedelta(days=k) in counts]
        window = hours["cnt"][(hours["ts"] >= t - pd.Timedelta(hours=24)) & (hours["ts"] < t)]
        row = training.iloc[i]
        assert (pd.isna(row["cnt_lag_24h"]) and lag is None) or row["cnt_lag_24h"] == lag
        assert (pd.isna(row["cnt_same_hour_mean_7d"]) and not same_hour) or row[
            "cnt_same_hour_mean_7d"
        ] == pytest.approx(np.mean(same_hour))
        assert (pd.isna(row["cnt_mean_prev_24h"]) and window.empty) or row["cnt_mean_prev_24h"] == pytest.approx(
            window.mean()
        )


def test_demand_features_never_see_the_hour_they_describe_or_later(
    tmp_path: Path, csv: Path, hours: pd.DataFrame
) -> None:
    cut = pd.Timestamp("2012-06-15 12:00")
    changed = pd.read_csv(csv)
    stamps = pd.to_datetime(changed["dteday"]) + pd.to_timedelta(changed["hr"], unit="h")
    changed.loc[stamps >= cut, "cnt"] = 99_999  # rewrite the present and the future
    changed.to_csv(tmp_path / "hour.csv", index=False)
    asked = entity_frame(hours[(hours["ts"] >= cut - pd.Timedelta(days=2)) & (hours["ts"] <= cut)])
    demand = [f for f in FEATURES if f.startswith("demand_history:")]
    original = get_historical_features(repository(csv), asked, demand)
    rewritten = get_historical_features(repository(tmp_path / "hour.csv"), asked, demand)
    pd.testing.assert_frame_equal(original, rewritten)


def test_online_values_equal_the_training_set_at_the_same_hour(
    csv: Path, training: pd.DataFrame, sqlite_online_url: str
) -> None:
    with FeatureStore(repository(csv), sqlite_online_url) as store:
        store.apply()
        for at in ("2011-03-10 08:00", "2012-10-30 15:00", "2012-12-31 23:00"):
            store.materialize_incremental(end=at)
            online = store.get_online_features(list(FEATURES), [{"city": "dc"}], at=at)
            row = training[training["event_ts"] == pd.Timestamp(at)].iloc[0]
            for name, value in zip(online.columns, online.rows[0], strict=True):
                assert (value is None and pd.isna(row[name])) or value == pytest.approx(row[name]), (at, name)
