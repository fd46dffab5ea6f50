"""What the routes share: the model slots, the prediction service, metrics, limits and the log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loopline.metadata.predictions import PredictionLog
from loopline.serving.auth import TokenAuthenticator
from loopline.serving.inference import PredictionService
from loopline.serving.limits import Limits
from loopline.serving.log_writer import PredictionLogWriter
from loopline.serving.metrics import ServingMetrics
from loopline.serving.slots import ModelSlots


@dataclass
class ServingState:
    """Everything a route needs; ``ready`` turns true once the app has started and false as it stops."""

    slots: ModelSlots
    metrics: ServingMetrics
    limits: Limits = field(default_factory=Limits)
    log: PredictionLog | None = None
    writer: PredictionLogWriter | None = None
    authenticator: TokenAuthenticator | None = None
    access_log: bool = True
    on_close: list[Callable[[], None]] = field(default_factory=list)
    follower: Any = None  # a DeploymentFollower: started and stopped with the app
    ready: bool = False
    service: PredictionService = field(init=False)

    def __post_init__(self) -> None:
        self.service = PredictionService(self.metrics, self.writer, self.limits)

    def close(self) -> None:
        """Release what the state holds (the log, the workspace), newest first."""
        for closer in reversed(self.on_close):
            closer()
        self.on_close.clear()


__all__ = ["ServingState"]
