"""Small real models for the deployment tests: version 1 predicts 2x, version 2 predicts 3x, 3 predicts 4x."""

from __future__ import annotations

import threading
import time
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from loopline.deployment import DeploymentController, InfraValidator, StoreLocation
from loopline.registry import ModelPackage, signature_from_schema
from loopline.validation import infer_schema, profile

MODEL = "demand"


@cache
def package(slope: float) -> ModelPackage:
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.uniform(0, 10, 200), "station": rng.integers(1, 50, 200).astype(float)})
    model = LinearRegression().fit(frame, frame["x"] * slope)
    schema = infer_schema(profile(frame), range_slack=0.5)
    return ModelPackage(model, signature=signature_from_schema(schema), sample_input=frame.head(20))


def add_version(workspace, slope: float, *, promote: bool = False) -> int:
    folder = package(slope).save(workspace.root / "exported" / f"{MODEL}-{slope:g}-{np.random.randint(1e9)}")
    version = workspace.registry.import_model(folder, name=MODEL, trust=True, user="admin").version
    if promote:
        workspace.registry.promote(MODEL, version, "production", user="admin", reason="tests")
    return version


def make_workspace(root: Path) -> Path:
    """Versions 1 (2x) and 2 (3x) and 3 (4x) of ``demand``; version 1 behind ``production``."""
    from loopline.workspace import Workspace

    root.mkdir(parents=True, exist_ok=True)
    (root / "loopline.toml").write_text('[workspace]\nname = "deployment-test"\n')
    with Workspace.find(root) as workspace:
        add_version(workspace, 2.0, promote=True)
        add_version(workspace, 3.0)
        add_version(workspace, 4.0)
    return root


def controller(workspace, **options) -> DeploymentController:
    registry = workspace.registry
    return DeploymentController(registry, InfraValidator(StoreLocation.of(registry), **options))


def move(workspace, version: int) -> None:
    workspace.registry.promote(MODEL, version, "production", user="admin", reason="tests")


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a thread, serving ``refs`` of ``root`` with the deployment follower."""

    def __init__(self, root: Path, refs: list[str], **settings) -> None:
        import uvicorn

        from loopline.serving import create_app
        from loopline.serving.server import ServeConfig, build_state, prepare

        config = prepare(ServeConfig(workspace=str(root), refs=refs, access_log=False, **settings))
        self.state = build_state(config)
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.state), host="127.0.0.1", port=0,
                                                    log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


class Crashing:
    """A model whose process dies when it is asked anything."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        import os

        os._exit(3)


class Hanging:
    """A model that never answers."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        time.sleep(3600)
        return np.zeros(len(frame))


def add_object(workspace, model: object) -> int:
    """A version holding ``model`` (a class of this module: the checker process must import it)."""
    sample = package(2.0).sample_input
    folder = ModelPackage(model, sample_input=sample).save(
        workspace.root / "exported" / f"{type(model).__name__}-{np.random.randint(1e9)}")
    return workspace.registry.import_model(folder, name=MODEL, trust=True, user="admin").version
