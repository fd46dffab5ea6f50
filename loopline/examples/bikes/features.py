"""Feature definitions of the bike-sharing example: hourly weather and demand history.

One entity, the city (``city="dc"``): the data has one row per hour for all of Washington
D.C. Each row's event time is ``dteday + hr`` hours (UTC by convention).

- ``weather_by_hour``: the weather observed in that hour (temp, atemp, hum, windspeed,
  weathersit), read with a DuckDB query over the CSV.
- ``demand_history``: what was known about demand *before* the hour: the count 24 hours
  earlier, the mean count at the same hour over the previous 7 days and the mean hourly
  count over the previous 24 hours. Each value at time t uses only rows strictly before t,
  so a training set built from it never sees the hour it predicts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from loopline.examples.bikes import data_path
from loopline.features import Entity, Feature, FeatureRepository, FeatureView, FileSource, SqlSource

CITY = "dc"
WEATHER_COLUMNS = ("temp", "atemp", "hum", "windspeed")
FEATURES = (
    "weather_by_hour:temp",
    "weather_by_hour:atemp",
    "weather_by_hour:hum",
    "weather_by_hour:windspeed",
    "weather_by_hour:weathersit",
    "demand_history:cnt_lag_24h",
    "demand_history:cnt_same_hour_mean_7d",
    "demand_history:cnt_mean_prev_24h",
)

city = Entity("city", join_keys=["city"], description="the bike-sharing system's city (one: Washington D.C.)")


def weather_query(csv: str | Path) -> str:
    """DuckDB query giving one weather row per hour, keyed by the city."""
    path = str(csv).replace("'", "''")
    return (
        f"SELECT '{CITY}' AS city, CAST(dteday AS TIMESTAMP) + to_hours(CAST(hr AS BIGINT)) AS event_ts, "
        f"{', '.join(WEATHER_COLUMNS)}, CAST(weathersit AS BIGINT) AS weathersit FROM read_csv('{path}')"
    )


def demand_history(hours: pd.DataFrame) -> pd.DataFrame:
    """Per hour, demand features computed only from earlier hours (missing hours stay missing)."""
    stamps = pd.to_datetime(hours["dteday"]) + pd.to_timedelta(hours["hr"], unit="h")
    counts = pd.Series(hours["cnt"].to_numpy(dtype="float64"), index=pd.DatetimeIndex(stamps)).sort_index()
    times = pd.DatetimeIndex(counts.index)
    same_hour = pd.DataFrame({k: counts.reindex(times - pd.Timedelta(days=k)).to_numpy() for k in range(1, 8)})
    return pd.DataFrame(
        {
            "city": CITY,
            "event_ts": times,
            "cnt_lag_24h": counts.reindex(times - pd.Timedelta(hours=24)).to_numpy(),
            "cnt_same_hour_mean_7d": same_hour.mean(axis=1, skipna=True).to_numpy(),
            "cnt_mean_prev_24h": counts.rolling("24h", closed="left").mean().to_numpy(),
        }
    )


def definitions(csv: str | Path | None = None) -> list[Entity | FeatureView]:
    """The example's entity and views, reading the CSV at ``csv`` (default: the bundled copy)."""
    source = Path(csv) if csv is not None else data_path()
    weather = FeatureView(
        "weather_by_hour",
        entities=[city],
        source=SqlSource(weather_query(source)),
        timestamp_field="event_ts",
        ttl=timedelta(hours=3),
        features=[
            Feature("temp", "float64"),
            Feature("atemp", "float64"),
            Feature("hum", "float64"),
            Feature("windspeed", "float64"),
            Feature("weathersit", "int64"),
        ],
        description="normalised weather observed in the hour",
    )
    demand = FeatureView(
        "demand_history",
        entities=[city],
        source=FileSource(str(source), format="csv"),
        transformation=demand_history,
        timestamp_field="event_ts",
        ttl=timedelta(hours=3),
        features=[
            Feature("cnt_lag_24h", "float64"),
            Feature("cnt_same_hour_mean_7d", "float64"),
            Feature("cnt_mean_prev_24h", "float64"),
        ],
        description="rentals in earlier hours; values at t use only hours before t",
    )
    return [city, weather, demand]


def repository(csv: str | Path | None = None) -> FeatureRepository:
    return FeatureRepository(definitions(csv))


def entity_frame(hours: pd.DataFrame) -> pd.DataFrame:
    """The entity frame for a training set: the city and the event time of each hourly row."""
    stamps = pd.to_datetime(hours["dteday"]) + pd.to_timedelta(hours["hr"], unit="h")
    return pd.DataFrame({"city": np.full(len(hours), CITY), "event_ts": stamps.to_numpy()}, index=hours.index)


__all__ = ["CITY", "FEATURES", "city", "definitions", "demand_history", "entity_frame", "repository", "weather_query"]
