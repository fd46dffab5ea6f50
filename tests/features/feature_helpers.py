"""Station data and feature definitions shared by the feature store tests (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureView,
    OnDemandFeatureView,
    RequestField,
)

station = Entity("station", join_keys=["station"])


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def station_rows() -> pd.DataFrame:
    """Bike availability: station 1 has a correction (same event time, later created time)."""
    return pd.DataFrame(
        {
            "station": [1, 1, 1, 2, 2, 3],
            "event_ts": pd.to_datetime(
                [
                    "2024-01-01 08:00",
                    "2024-01-01 09:00",
                    "2024-01-01 09:00",
                    "2024-01-01 08:30",
                    "2024-01-02 08:00",
                    "2024-01-01 00:00",
                ]
            ),
            "created": pd.to_datetime(
                [
                    "2024-01-01 08:01",
                    "2024-01-01 09:01",
                    "2024-01-01 09:30",
                    "2024-01-01 08:31",
                    "2024-01-02 08:01",
                    "2024-01-01 00:01",
                ]
            ),
            "bikes": [5, 7, 8, 2, 3, 11],
            "docks": [10.0, 8.0, 7.5, None, 12.0, 1.0],
            "status": ["open", "open", "busy", "open", "closed", "open"],
        }
    )


def weather_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": [1, 2, 1],
            "event_ts": pd.to_datetime(["2024-01-01 07:00", "2024-01-01 07:00", "2024-01-01 12:00"]),
            "temp": [3.5, 4.0, 6.0],
        }
    )


def availability_view(frame: pd.DataFrame | None = None, **overrides: object) -> FeatureView:
    options: dict[str, object] = {
        "entities": [station],
        "source": station_rows() if frame is None else frame,
        "created_timestamp_field": "created",
        "ttl": timedelta(hours=6),
        "features": [Feature("bikes", "int64"), Feature("docks", "float64"), Feature("status", "string")],
    }
    options.update(overrides)
    return FeatureView("availability", **options)  # type: ignore[arg-type]


def occupancy(frame: pd.DataFrame) -> pd.DataFrame:
    """On-demand: share of the requested trip size in the available bikes."""
    return pd.DataFrame(
        {"trip_share": frame["riders"] / frame["bikes"].astype("float64"), "busy": frame["status"] == "busy"}
    )


def station_repository() -> FeatureRepository:
    availability = availability_view()
    weather = FeatureView("weather", entities=["station"], source=weather_rows(), features=[Feature("temp", "float64")])
    on_demand = OnDemandFeatureView(
        "trip",
        sources=[availability, RequestField("riders", "int64")],
        function=occupancy,
        features=[Feature("trip_share", "float64"), Feature("busy", "bool")],
    )
    return FeatureRepository([station, availability, weather, on_demand])
