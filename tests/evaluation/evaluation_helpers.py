"""Shared constants and builders of the evaluation tests."""

from __future__ import annotations

from loopline.evaluation import Evaluation, SliceMetrics

FEATURES = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum",
            "windspeed"]
TARGET = "cnt"
HOUR_BUCKETS = [{"name": "hour_bucket", "column": "hr", "edges": [0, 6, 10, 16, 20, 24]}]


def regression_evaluation(rmse: float, slices: dict[str, float] | None = None, *, rows: int = 100,
                          slice_rows: int = 50) -> Evaluation:
    """An Evaluation with an overall RMSE and R², and one RMSE per value of the slice column ``part``."""
    pieces = tuple(SliceMetrics("part", value, slice_rows, {"rmse": v}) for value, v in (slices or {}).items())
    return Evaluation(task="regression", target="y", rows=rows, metrics={"rmse": rmse, "r2": 1 - rmse / 200},
                      slices=pieces)
