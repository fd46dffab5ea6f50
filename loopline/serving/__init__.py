"""Prediction serving: the HTTP server (Open Inference Protocol, /predict, MLflow's /invocations), the
prediction log writer, and batch prediction over files."""

from loopline.serving.app import create_app
from loopline.serving.batch import BatchResult, predict_file
from loopline.serving.errors import (
    LogBackpressure,
    ModelNotServed,
    NotAllowed,
    NotAuthenticated,
    PayloadTooLarge,
    PredictionFailed,
    RequestRejected,
    RequestTimeout,
    ServerConfigError,
    UnsupportedMediaType,
)
from loopline.serving.event_time import EVENT_TIME_HEADER, parse_event_time
from loopline.serving.inference import PredictionService, infer
from loopline.serving.limits import Limits
from loopline.serving.log_writer import LoggedRequest, PredictionLogWriter
from loopline.serving.metrics import ServingMetrics
from loopline.serving.online_features import FeatureFiller, OnlineFeatureSpec
from loopline.serving.served import ServedModel
from loopline.serving.server import ServeConfig, serve
from loopline.serving.slots import ModelSlot, ModelSlots, Routing
from loopline.serving.state import ServingState

__all__ = [
    "EVENT_TIME_HEADER",
    "BatchResult",
    "FeatureFiller",
    "Limits",
    "LogBackpressure",
    "LoggedRequest",
    "ModelNotServed",
    "ModelSlot",
    "ModelSlots",
    "NotAllowed",
    "NotAuthenticated",
    "OnlineFeatureSpec",
    "PayloadTooLarge",
    "PredictionFailed",
    "PredictionLogWriter",
    "PredictionService",
    "RequestRejected",
    "RequestTimeout",
    "Routing",
    "ServeConfig",
    "ServedModel",
    "ServerConfigError",
    "ServingMetrics",
    "ServingState",
    "UnsupportedMediaType",
    "create_app",
    "infer",
    "parse_event_time",
    "predict_file",
    "serve",
]
