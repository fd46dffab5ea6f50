"""Models, servers and workspaces for the serving tests: real packages, a real uvicorn, a real registry."""

from __future__ import annotations

import socket
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import uvicorn

from loopline.metadata.predictions import PredictionLog
from loopline.registry import ModelPackage, signature_from_schema
from loopline.serving import ModelSlots, PredictionLogWriter, ServedModel, ServingMetrics, ServingState, create_app
from loopline.validation import infer_schema, profile


@cache
def cancer_frame() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_breast_cancer

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    features.columns = [c.replace(" ", "_") for c in features.columns]
    return features, target


@cache
def cancer_package() -> ModelPackage:
    """scikit-learn's breast-cancer data, a scaler and a logistic regression: 30 numeric inputs."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = cancer_frame()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(features, target)
    schema = infer_schema(profile(features), range_slack=0.5)
    return ModelPackage(model, signature=signature_from_schema(schema), sample_input=features.head(30),
                        info={"features": list(features.columns)})


def cancer_record(i: int = 0) -> dict[str, float]:
    return {k: float(v) for k, v in cancer_frame()[0].iloc[i].items()}


@cache
def colour_package() -> ModelPackage:
    """A regression on a categorical ``colour`` (domain red/green/blue) and a numeric ``size``."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], 300), "size": rng.uniform(0, 10, 300)})
    target = frame["size"] * 2 + frame["colour"].map({"red": 1.0, "green": 2.0, "blue": 3.0})
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"), LinearRegression()
    ).fit(frame, target)
    schema = infer_schema(profile(frame))
    return ModelPackage(model, signature=signature_from_schema(schema), sample_input=frame.head(20))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a thread; ``url`` once started."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=10,
        ))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


def state_for(models: list[ServedModel], *, log_url: str | None = None, **options: Any) -> ServingState:
    """A ServingState for ``models``; with ``log_url``, predictions go to a PredictionLog there."""
    log = writer = None
    closers = []
    if log_url is not None:
        log = PredictionLog(log_url).open()
        writer = PredictionLogWriter(log, flush_interval_s=0.02, spill_dir=options.pop("spill_dir", None))
        closers.append(log.close)
    options.setdefault("access_log", False)
    return ServingState(slots=ModelSlots(models), metrics=ServingMetrics(), log=log, writer=writer,
                        on_close=closers, **options)


def serve_models(models: list[ServedModel], **options: Any) -> tuple[ServerThread, ServingState]:
    state = state_for(models, **options)
    return ServerThread(create_app(state)), state


def make_workspace(root: Path, packages: dict[str, ModelPackage], *, alias: str = "production") -> Path:
    """A workspace whose registry holds each package (imported, trusted) as version 1, behind ``alias``."""
    from loopline.workspace import Workspace

    root.mkdir(parents=True, exist_ok=True)
    (root / "loopline.toml").write_text('[workspace]\nname = "serving-test"\n')
    with Workspace.find(root) as workspace:
        for name, package in packages.items():
            folder = package.save(root / "exported" / name)
            version = workspace.registry.import_model(folder, name=name, trust=True, user="admin")
            workspace.registry.promote(name, version.version, alias, user="admin", reason="tests")
    return root


__all__ = [
    "ServerThread",
    "cancer_frame",
    "cancer_package",
    "cancer_record",
    "colour_package",
    "free_port",
    "make_workspace",
    "serve_models",
    "state_for",
]
