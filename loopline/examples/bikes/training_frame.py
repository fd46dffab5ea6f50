"""Pipeline step of the bike-sharing example: the training frame, built from the feature views.

The feature views read the run's own input (the prepared hourly table), so the frame is
reproducible from the dataset version the run recorded, and their transformations are the
ones that fill the online store, so a model trained on it sees what it will be served.
The feature store is imported inside the step: a pipeline file that names this step stays
quick to import.
"""

from __future__ import annotations

import pandas as pd

WEATHER_COLUMNS = ("temp", "atemp", "hum", "windspeed", "weathersit")
DEMAND_COLUMNS = ("cnt_lag_24h", "cnt_same_hour_mean_7d", "cnt_mean_prev_24h")


def build_training_frame(hours: pd.DataFrame) -> pd.DataFrame:
    """``hours`` with its weather and demand history taken point-in-time from the feature views.

    Each row gets, for its own hour, the latest feature values at or before that hour:
    the weather observed in it and demand computed only from earlier hours. Rows keep
    their order and every other column (the label ``cnt`` included).
    """
    from loopline.examples.bikes.features import FEATURES, entity_frame, repository
    from loopline.features import get_historical_features

    missing = sorted({"dteday", "hr", "cnt", *WEATHER_COLUMNS} - set(hours.columns))
    if missing:
        raise ValueError(f"the hourly table lacks columns {missing}; expected the UCI hour.csv layout")
    entities = entity_frame(hours).reset_index(drop=True)
    features = get_historical_features(repository(hours), entities, list(FEATURES))
    frame = hours.drop(columns=list(WEATHER_COLUMNS)).reset_index(drop=True)
    for column in (*WEATHER_COLUMNS, *DEMAND_COLUMNS):
        frame[column] = features[column].to_numpy()
    return frame


__all__ = ["DEMAND_COLUMNS", "WEATHER_COLUMNS", "build_training_frame"]
