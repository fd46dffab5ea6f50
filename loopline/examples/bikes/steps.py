"""Steps of the bike-sharing training pipeline: plain functions, no Loopline inside but tracking.

The target is ``cnt``, the rentals in an hour. ``casual`` and ``registered`` add up to it
and ``instant`` is a row index, so none of them is a feature.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TARGET = "cnt"
LEAKY_COLUMNS = ("casual", "registered", "instant")
FEATURES = (
    "season",
    "yr",
    "mnth",
    "hr",
    "holiday",
    "weekday",
    "workingday",
    "weathersit",
    "temp",
    "atemp",
    "hum",
    "windspeed",
)


def prepare(bike_hours: pd.DataFrame) -> pd.DataFrame:
    """Add the event time (``dteday`` + ``hr`` hours) and order the rows by it."""
    missing = sorted({"dteday", "hr", TARGET, *FEATURES} - set(bike_hours.columns))
    if missing:
        raise ValueError(f"the bike table lacks columns {missing}; expected the UCI hour.csv layout")
    frame = bike_hours.copy()
    frame["timestamp"] = pd.to_datetime(frame["dteday"]) + pd.to_timedelta(frame["hr"], unit="h")
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


def validate_hours(hours: pd.DataFrame, *, schema: str, environment: str = "TRAINING"):
    """Check the hours against the workspace's schema (its YAML text) before anything trains on them.

    An ERROR anomaly (a column gone, a value out of range) stops the run with a message that
    names it, and the failed execution keeps the anomalies as an artifact. Warnings (casual +
    registered reproduce cnt; humidity stuck at 0 all day on 2011-03-10) do not: they are the
    ``anomalies`` output, and the hours pass on unchanged.
    """
    from loopline.validation.steps import validate_data

    return hours, validate_data(hours, schema, environment=environment, order_by=["timestamp"])


def split_by_time(
    hours: pd.DataFrame,
    *,
    train_start: str = "2011-01-01",
    train_end: str = "2011-05-01",
    eval_weeks: int = 2,
    data_end: str = "",
    train_weeks: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on ``[train_start, train_end)``; evaluate on the ``eval_weeks`` weeks that follow.

    ``data_end`` (a date; a trigger passes the moment it fired) replaces ``train_end``: the
    data available up to then is used, its last ``eval_weeks`` weeks for evaluation and the
    rest for training. ``train_weeks`` > 0 keeps only that many weeks of training data before
    the evaluation weeks (a sliding window instead of everything since ``train_start``).
    """
    start, end = pd.Timestamp(train_start), pd.Timestamp(train_end)
    if data_end:
        end = pd.Timestamp(data_end) - pd.Timedelta(weeks=eval_weeks)
    if train_weeks > 0:
        start = max(start, end - pd.Timedelta(weeks=train_weeks))
    if end <= start:
        raise ValueError(f"the training window [{start.date()}, {end.date()}) is empty: train_end or data_end "
                         f"({data_end or train_end}) must come after train_start ({train_start}) plus "
                         f"{eval_weeks} evaluation weeks")
    eval_end = end + pd.Timedelta(weeks=eval_weeks)
    train = hours[(hours["timestamp"] >= start) & (hours["timestamp"] < end)].reset_index(drop=True)
    test = hours[(hours["timestamp"] >= end) & (hours["timestamp"] < eval_end)].reset_index(drop=True)
    if train.empty or test.empty:
        raise ValueError(
            f"the split [{start.date()}, {end.date()}) + {eval_weeks} weeks leaves "
            f"{len(train)} training and {len(test)} evaluation rows; choose dates within 2011-01-01..2012-12-31"
        )
    return train, test


def train_model(
    train: pd.DataFrame, *, max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31, seed: int = 0
):
    """Fit a HistGradientBoostingRegressor on the non-leaking columns."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from loopline.pipelines import log_metric, log_param

    model = HistGradientBoostingRegressor(
        max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes, random_state=seed
    )
    model.fit(train[list(FEATURES)], train[TARGET])
    log_param("features", ",".join(FEATURES))
    log_param("rows", len(train))
    for i, loss in enumerate(model.train_score_):
        log_metric("train_loss", float(loss), step=i)
    return model


def evaluate(model, test: pd.DataFrame) -> dict[str, float]:
    """MAE, RMSE and R² of the model on the evaluation weeks."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    from loopline.pipelines import log_metric

    predicted = np.clip(model.predict(test[list(FEATURES)]), 0, None)
    actual = test[TARGET].to_numpy()
    metrics = {
        "mae": float(mean_absolute_error(actual, predicted)),
        "rmse": float(math.sqrt(mean_squared_error(actual, predicted))),
        "r2": float(r2_score(actual, predicted)),
        "rows": int(len(test)),
    }
    for key, value in metrics.items():
        log_metric(key, value)
    return metrics
