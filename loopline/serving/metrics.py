"""Prometheus metrics of the prediction server: requests, errors and latency per model and version.

Each app gets its own registry, so two servers in one process (as in tests) do not mix
their counts. With several workers, prometheus_client's multiprocess mode adds up the
workers' values: ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts,
and ``render`` then collects from that folder. Labelled children are looked up once per
model, version and route and kept, so a request pays for a few increments, not lookups.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ModelMetrics:
    """The labelled children for one model version on one route."""

    requests: Any
    latency: Any
    rows: Any
    errors: dict[int, Any] = field(default_factory=dict)


class ServingMetrics:
    """The server's metrics, registered in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("loopline_prediction_requests", "Prediction requests answered, per model version.",
                                ["model", "version", "route"], registry=r)
        self.errors = Counter("loopline_prediction_errors", "Prediction requests refused or failed, by HTTP status.",
                              ["model", "version", "route", "status"], registry=r)
        self.latency = Histogram("loopline_prediction_latency_seconds",
                                 "Time from the parsed request to the prediction (lookup, checks, model).",
                                 ["model", "version", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.rows = Counter("loopline_predicted_rows", "Records predicted, per model version.",
                            ["model", "version"], registry=r)
        self.served = Gauge("loopline_served_model_info", "1 for each model version this server serves.",
                            ["model", "version", "served_as"], registry=r, multiprocess_mode="livemax")
        self.http = Counter("loopline_http_requests", "HTTP requests by route group and status.",
                            ["group", "status"], registry=r)
        self.log_written = Counter("loopline_prediction_log_written_rows", "Predictions stored in the prediction log.",
                                   registry=r)
        self.log_pending = Gauge("loopline_prediction_log_pending_rows",
                                 "Predictions waiting to be written to the prediction log.", registry=r,
                                 multiprocess_mode="livesum")
        self.log_refused = Counter("loopline_prediction_log_refused_requests",
                                   "Requests refused (503) because the prediction log was full.", registry=r)
        self._children: dict[tuple[str, int, str], ModelMetrics] = {}
        self._http: dict[tuple[str, int], Any] = {}

    def for_model(self, model: str, version: int, route: str) -> ModelMetrics:
        key = (model, version, route)
        found = self._children.get(key)
        if found is None:
            labels = (model, str(version), route)
            found = ModelMetrics(self.requests.labels(*labels), self.latency.labels(*labels),
                                 self.rows.labels(model, str(version)))
            self._children[key] = found
        return found

    def error(self, model: str, version: int | None, route: str, status: int) -> None:
        if version is None:
            self.errors.labels(model, "", route, str(status)).inc()
            return
        children = self.for_model(model, version, route)
        child = children.errors.get(status)
        if child is None:
            child = children.errors[status] = self.errors.labels(model, str(version), route, str(status))
        child.inc()

    def http_request(self, group: str, status: int) -> None:
        key = (group, status)
        child = self._http.get(key)
        if child is None:
            child = self._http[key] = self.http.labels(group, str(status))
        child.inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text, from every worker when running several."""
        if os.environ.get(MULTIPROCESS_ENV):
            from prometheus_client import multiprocess

            collected = CollectorRegistry()
            multiprocess.MultiProcessCollector(collected)
            return generate_latest(collected), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


__all__ = ["LATENCY_BUCKETS", "MULTIPROCESS_ENV", "ModelMetrics", "ServingMetrics"]
