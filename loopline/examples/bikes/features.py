"""Feature definitions of the bike-sharing example: hourly weather and demand history.

One entity, the city (``city="dc"``): the data has one row per hour for all of Washington
D.C. Each row's event time is ``dteday + hr`` hours (UTC by convention). Both views read
the hourly table, from the workspace's CSV (``data/bike_sharing_hour.csv``, relative to
the workspace folder, so the definitions are the same on every machine) or from a
DataFrame (a pipeline's input); their transformations are the same either way, so a
training frame and the online store hold the same values.

- ``weather_by_hour``: the weather observed in that hour (temp, atemp, hum, windspeed,
  weathersit).
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

from loopline.examples.bikes import DATA_FILE, data_path
from loopline.features import Entity, Feature, FeatureRepository, FeatureView, FileSource
from loopline.features.relative import relative_to

CITY = "dc"
DATA = f"data/{DATA_FILE}"  # the hourly table, relative to the workspace folder
WEATHER_COLUMNS = ("temp", "atemp", "hum", "windspeed")
DEMAND_COLUMNS = ("cnt_lag_24h", "cnt_same_hour_mean_7d", "cnt_mean_prev_24h")
FEATURES = (
    *(f"weather_by_hour:{c}" for c in (*WEATHER_COLUMNS, "weathersit")),
    *(f"demand_history:{c}" for c in DEMAND_COLUMNS),
)

city = Entity("city", join_keys=["city"], description="the bike-sharing system's city (one: Washington D.C.)")


def event_times(hours: pd.DataFrame) -> pd.Series:
    """``dteday`` + ``hr`` hours: the start of each row's hour."""
    return pd.to_datetime(hours["dteday"]) + pd.to_timedelta(hours["hr"], unit="h")


def weather_by_hour(hours: pd.DataFrame) -> pd.DataFrame:
    """Per hour, the weather observed in it, keyed by the city."""
    frame = pd.DataFrame({c: hours[c].to_numpy(dtype="float64") for c in WEATHER_COLUMNS})
    frame.insert(0, "event_ts", event_times(hours).to_numpy())
    frame.insert(0, "city", CITY)
    frame["weathersit"] = hours["weathersit"].to_numpy(dtype="int64")
    return frame


def demand_history(hours: pd.DataFrame) -> pd.DataFrame:
    """Per hour, demand features computed only from earlier hours (missing hours stay missing)."""
    counts = pd.Series(hours["cnt"].to_numpy(dtype="float64"), index=pd.DatetimeIndex(event_times(hours)))
    counts = counts.sort_index()
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


def definitions(
    hours: str | Path | pd.DataFrame = DATA, *, root: str | Path | None = None
) -> list[Entity | FeatureView]:
    """The example's entity and views over the hourly table ``hours``.

    ``hours`` is a CSV path, relative to ``root`` (default: the bundled example, whose
    ``data/`` holds the table) unless absolute, or a DataFrame with the same columns.
    """
    source = (
        hours
        if isinstance(hours, pd.DataFrame)
        else relative_to(root if root is not None else data_path().parent.parent, FileSource(str(hours), "csv"))
    )
    weather = FeatureView(
        "weather_by_hour",
        entities=[city],
        source=source,
        transformation=weather_by_hour,
        timestamp_field="event_ts",
        ttl=timedelta(hours=3),
        features=[*(Feature(c, "float64") for c in WEATHER_COLUMNS), Feature("weathersit", "int64")],
        description="normalised weather observed in the hour",
    )
    demand = FeatureView(
        "demand_history",
        entities=[city],
        source=source,
        transformation=demand_history,
        timestamp_field="event_ts",
        ttl=timedelta(hours=3),
        features=[Feature(c, "float64") for c in DEMAND_COLUMNS],
        description="rentals in earlier hours; values at t use only hours before t",
    )
    return [city, weather, demand]


def repository(hours: str | Path | pd.DataFrame = DATA, *, root: str | Path | None = None) -> FeatureRepository:
    return FeatureRepository(definitions(hours, root=root))


def entity_frame(hours: pd.DataFrame) -> pd.DataFrame:
    """The entity frame for a training set: the city and the event time of each hourly row."""
    return pd.DataFrame(
        {"city": np.full(len(hours), CITY), "event_ts": event_times(hours).to_numpy()}, index=hours.index
    )


__all__ = [
    "CITY",
    "DATA",
    "DEMAND_COLUMNS",
    "FEATURES",
    "WEATHER_COLUMNS",
    "city",
    "definitions",
    "demand_history",
    "entity_frame",
    "event_times",
    "repository",
    "weather_by_hour",
]
