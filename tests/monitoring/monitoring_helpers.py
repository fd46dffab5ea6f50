"""Helpers of the monitoring tests: a bike-like model trained by a real pipeline run, and replays
of its traffic written to a real prediction log (a quiet one, and one where the world drifted)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loopline.artifacts import ArtifactStore
from loopline.metadata import MetadataStore
from loopline.metadata.predictions import Feedback, PredictionLog, PredictionRecord
from loopline.monitoring import MonitorStore
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import ModelPackage, Registry

FEATURES = ["temp", "hum", "hr", "weather"]
NUMERIC = ["temp", "hum", "hr"]
START = datetime(2011, 3, 1, tzinfo=UTC)


def bike_rows(n: int, *, seed: int, drifted: bool = False) -> pd.DataFrame:
    """Hourly bike-like rows; ``drifted``: warmer, a weather never seen, and riders who behave differently."""
    rng = np.random.default_rng(seed)
    temp = np.clip(rng.normal(0.5, 0.12, n), 0.05, 0.95) + (0.45 if drifted else 0.0)
    hum = rng.uniform(0.2, 0.9, n)
    hr = np.arange(n) % 24
    weather = rng.choice(["clear", "mist", "rain"], n, p=[0.6, 0.3, 0.1]).astype(object)
    if drifted:
        weather[rng.random(n) < 0.3] = "snow"
    slope = 80.0 if drifted else 200.0
    cnt = slope * temp + 5.0 * hr - 100.0 * hum + rng.normal(0, 5, n) + 50
    return pd.DataFrame({"temp": temp, "hum": hum, "hr": hr.astype(float), "weather": weather, "cnt": cnt})


class LinearModel:
    """Least squares on the numeric features (picklable by reference from this module)."""

    def __init__(self, coef: np.ndarray) -> None:
        self.coef = coef

    @classmethod
    def fit(cls, frame: pd.DataFrame, target: pd.Series) -> LinearModel:
        x = np.column_stack([frame[NUMERIC].to_numpy(float), np.ones(len(frame))])
        return cls(np.linalg.lstsq(x, target.to_numpy(float), rcond=None)[0])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        x = np.column_stack([frame[NUMERIC].to_numpy(float), np.ones(len(frame))])
        return x @ self.coef


@step(outputs="train")
def load_training_rows(*, rows: int = 2000) -> pd.DataFrame:
    return bike_rows(rows, seed=7)


@step(outputs="model")
def fit_model(train: pd.DataFrame) -> ModelPackage:
    model = LinearModel.fit(train[FEATURES], train["cnt"])
    return ModelPackage(model, sample_input=train[FEATURES].head(5), info={"features": FEATURES, "target": "cnt"})


@dataclass
class Stores:
    url: str
    metadata: MetadataStore
    artifacts: ArtifactStore
    registry: Registry
    log: PredictionLog
    monitors: MonitorStore

    def close(self) -> None:
        for store in (self.monitors, self.log, self.registry, self.metadata):
            store.close()


def open_stores(url: str, artifact_root: Path) -> Stores:
    metadata = MetadataStore(url).open()
    artifacts = ArtifactStore(str(artifact_root)).open()
    registry = Registry(metadata, artifacts).open()
    return Stores(url, metadata, artifacts, registry, PredictionLog(url).open(), MonitorStore(url).open())


def train_and_register(stores: Stores, name: str = "bikes") -> int:
    """Train with a real pipeline run and register the model; returns the version."""
    result = run_pipeline(Pipeline([load_training_rows, fit_model], name="train_bikes"), metadata=stores.metadata,
                          artifacts=stores.artifacts)
    artifact = result.steps["fit_model"].outputs["model"]
    return stores.registry.register(name, artifact.id).version


def replay(stores: Stores, *, days: int, version: int, drifted: bool = False, start: datetime = START,
           seed: int = 11, model: str = "bikes", per_hour: int = 2, labels: bool = True,
           overrides: dict[str, Any] | None = None) -> list[PredictionRecord]:
    """Serve ``days`` of hourly traffic with the registered model and log it; post labels unless told not to."""
    rows = bike_rows(days * 24 * per_hour, seed=seed, drifted=drifted)
    for column, value in (overrides or {}).items():
        rows[column] = value
    package = stores.registry.load(f"{model}/{version}")
    predictions = package.predict(rows[FEATURES])
    records = []
    for i, (record, output) in enumerate(zip(rows[FEATURES].to_dict("records"), predictions, strict=True)):
        created = start + timedelta(minutes=60 // per_hour * i)
        inputs = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}
        records.append(PredictionRecord(f"r-{uuid.uuid4().hex[:12]}", 0, model, version, created, inputs,
                                        float(output), float(5 + (i % 10))))
    stores.log.append(records)
    if labels:
        post_labels(stores, records, rows["cnt"].tolist())
    return records


def post_labels(stores: Stores, records: list[PredictionRecord], labels: list[float]) -> None:
    stores.log.add_feedback([Feedback(r.request_id, float(y), r.row_index) for r, y in zip(records, labels,
                                                                                          strict=True)])
