"""Starting the prediction server: settings, the safety check on the address, one or several workers.

The server binds 127.0.0.1 unless told otherwise. Any other address needs API tokens on
every route but health, and the server refuses to start there when no active token
exists (a reachable server without authentication is how MLflow, Ray and others were
taken over). Several workers are uvicorn's own process supervisor: each worker builds
its state from ``ServeConfig`` (passed in the environment as JSON, with the aliases
already pinned to versions), and prometheus_client adds up their metrics.

On SIGTERM uvicorn stops accepting connections, lets the requests in flight finish
(for up to ``graceful_timeout_s``), and then the app's lifespan writes every pending
prediction to the log before the process exits.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loopline.serving.errors import ServerConfigError
from loopline.serving.limits import Limits
from loopline.serving.metrics import MULTIPROCESS_ENV

CONFIG_ENV = "LOOPLINE_SERVE_CONFIG"
SPILL_FOLDER = ".loopline/prediction-log-spill"
SWITCH_INTERVAL_S = 0.0005
"""How long a thread holds the GIL while another waits for it (Python's default is 5 ms)."""


class ServeConfig(BaseModel):
    """How to serve: what, where, with which bounds. JSON-serialisable for worker processes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace: str
    refs: list[str] = Field(min_length=1)
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    require_tokens: bool | None = Field(None, description="None: required exactly when the address is not loopback")
    predict_role: Literal["viewer", "developer", "approver", "admin"] = "developer"
    prediction_log: bool = True
    access_log: bool = True
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    max_batch_rows: int = Field(10_000, ge=1)
    max_json_depth: int = Field(32, ge=2, le=1000)
    receive_timeout_s: float = Field(30.0, gt=0)
    graceful_timeout_s: float = Field(30.0, gt=0)
    limit_concurrency: int = Field(1000, ge=1, description="connections and tasks per worker before 503")
    follow: bool = Field(True, description="follow the deployments of models served by alias (NAME@ALIAS)")
    follow_interval_s: float = Field(2.0, gt=0, description="how often to look for alias moves")
    followed: dict[str, str] = Field(default_factory=dict, description="model name -> NAME@ALIAS; set by prepare")

    @property
    def limits(self) -> Limits:
        return Limits(self.max_body_bytes, self.max_batch_rows, self.max_json_depth, self.receive_timeout_s)

    @property
    def needs_tokens(self) -> bool:
        if self.require_tokens is False and not is_loopback(self.host):
            raise ServerConfigError(
                f"refusing to serve on {self.host} without API tokens: anyone who can reach it could use it",
                hint="drop --no-require-tokens, or bind 127.0.0.1 and put an authenticating proxy in front",
            )
        return bool(self.require_tokens) or not is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare(config: ServeConfig) -> ServeConfig:
    """Check the address against the workspace's tokens and pin every alias to its current version."""
    from loopline.serving.loading import pin_refs
    from loopline.workspace import Workspace

    with Workspace.find(config.workspace) as workspace:
        if config.needs_tokens:
            _require_active_token(workspace, config.host)
        pinned = pin_refs(workspace, config.refs, follow=config.follow)
    followed = {p.name: p.given for p in pinned if "@" in p.given} if config.follow else {}
    return config.model_copy(update={"workspace": str(workspace.root), "refs": [p.pinned for p in pinned],
                                     "followed": followed})


def _require_active_token(workspace: Any, host: str) -> None:
    now = datetime.now(UTC)
    if not any(token.is_active(now) for token in workspace.registry.tokens.list()):
        raise ServerConfigError(
            f"serving on {host} needs API tokens, and this workspace has no active one",
            hint="create one with 'loopline tokens create USER' (users with 'loopline users add'), "
            "or serve on 127.0.0.1",
        )


def build_state(config: ServeConfig) -> Any:
    """The ServingState of a prepared config: models loaded, prediction log open, tokens checked."""
    from loopline.metadata.predictions import PredictionLog
    from loopline.serving.auth import AccessPolicy, TokenAuthenticator
    from loopline.serving.loading import load_models, pin_refs
    from loopline.serving.log_writer import PredictionLogWriter
    from loopline.serving.metrics import ServingMetrics
    from loopline.serving.slots import ModelSlots
    from loopline.serving.state import ServingState
    from loopline.workspace import Workspace

    workspace = Workspace.find(config.workspace)
    state = None
    try:
        loaded = load_models(workspace, pin_refs(workspace, config.refs))
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)  # the pools of the libraries the models just loaded
        metrics = ServingMetrics()
        log = writer = None
        if config.prediction_log:
            log = PredictionLog(workspace.metadata_url).open()
            writer = PredictionLogWriter(log, spill_dir=workspace.root / SPILL_FOLDER,
                                         on_written=metrics.log_written.inc)
        authenticator = None
        if config.needs_tokens:
            authenticator = TokenAuthenticator(workspace.registry.authenticate,
                                               policy=AccessPolicy(predict_role=config.predict_role))
        closers = [workspace.close, loaded.close, *([log.close] if log is not None else [])]
        slots = ModelSlots(loaded.models)
        state = ServingState(
            slots=slots, metrics=metrics, limits=config.limits, log=log, writer=writer,
            authenticator=authenticator, access_log=config.access_log, on_close=closers,
            follower=follower_for(workspace, slots, loaded, config) if config.followed else None,
        )
        return state
    finally:
        if state is None:
            workspace.close()


def follower_for(workspace: Any, slots: Any, loaded: Any, config: ServeConfig) -> Any:
    """The DeploymentFollower keeping ``slots`` in line with the deployments of ``config.followed``."""
    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation
    from loopline.serving.following import DeploymentFollower
    from loopline.serving.loading import load_version

    registry = workspace.registry
    controller = DeploymentController(registry, InfraValidator(StoreLocation.of(registry)))
    return DeploymentFollower(slots, controller, config.followed,
                              lambda name, version: load_version(workspace, loaded, name, version),
                              interval_s=config.follow_interval_s)


def app_from_environment() -> Any:
    """The app factory each worker process calls (``uvicorn --factory``)."""
    from loopline.serving.app import create_app

    configure_process()
    config = ServeConfig.model_validate_json(os.environ[CONFIG_ENV])
    app = create_app(build_state(config))
    freeze_loaded_objects()
    return app


def serve(config: ServeConfig) -> None:
    """Run the server until SIGTERM or Ctrl-C (blocks)."""
    import uvicorn

    config = prepare(config)
    configure_process()
    options: dict[str, Any] = {
        "host": config.host, "port": config.port, "access_log": False, "log_level": "info",
        "timeout_graceful_shutdown": config.graceful_timeout_s, "limit_concurrency": config.limit_concurrency,
        "timeout_keep_alive": 5, "server_header": False,
    }
    if config.workers == 1:
        from loopline.serving.app import create_app

        app = create_app(build_state(config))
        freeze_loaded_objects()
        uvicorn.run(app, **options)
        return
    metrics_dir = tempfile.mkdtemp(prefix="loopline-metrics-")
    os.environ[MULTIPROCESS_ENV] = metrics_dir
    os.environ[CONFIG_ENV] = config.model_dump_json()
    try:
        uvicorn.run("loopline.serving.server:app_from_environment", factory=True, workers=config.workers, **options)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def configure_process() -> None:
    """Logging on stderr (access logs as bare JSON lines) and one thread per native thread pool.

    A request's work is small: an OpenMP or BLAS pool per prediction costs more than it
    gives (a gradient-boosting model takes ten times longer on one row with a pool of
    threads than with one), and workers, not threads, are how the server uses more cores.
    """
    for name, layout in (("loopline.access", "%(message)s"), ("loopline.serving", "%(levelname)s: %(message)s")):
        logger = logging.getLogger(name)
        if not any(getattr(h, "_loopline", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(layout))
            handler._loopline = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # pools of libraries already loaded are capped here; one loaded later (the model's, when it is
    # unpickled) reads these variables when it starts, unless the operator set them
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    # the event loop must not wait the default 5 ms for the GIL while the log writer's thread holds it
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def freeze_loaded_objects() -> None:
    """Exempt everything loaded so far (libraries, models) from the cyclic garbage collector's full passes.

    Logged requests wait in the log writer's queue for up to 50 ms, long enough to survive into the
    collector's oldest generation, which then gets full collections; each would walk every object of
    the loaded libraries and models (a few hundred thousand: tens to hundreds of milliseconds, a
    pause for every request in flight). Frozen objects are skipped; they live as long as the server.
    """
    gc.collect()
    gc.freeze()


def serve_refs(workspace: Path, refs: Sequence[str], **settings: Any) -> None:
    """``serve`` for Python callers: ``serve_refs(Path("."), ["bikes@production"], port=8080)``."""
    serve(ServeConfig(workspace=str(workspace), refs=list(refs), **settings))


__all__ = ["CONFIG_ENV", "ServeConfig", "app_from_environment", "build_state", "follower_for",
           "freeze_loaded_objects", "is_loopback", "prepare", "serve", "serve_refs"]
