"""One prediction request, start to end: features, checks, the model, metrics and the prediction log.

``infer`` is the synchronous core (fill in features, validate every record against the
signature, predict). ``PredictionService.predict`` wraps it for a route: small batches run
inline on the event loop (a thread hop costs more than a one-row prediction), large ones in
a worker thread; the latency is observed, and the answered request is handed to the log
writer before the route may acknowledge it. If the log's queue stays full the request is
refused with 503: the server never acknowledges a prediction it could not log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from loopline.deployment import shadow_request_id
from loopline.errors import LooplineError
from loopline.serving.errors import LogBackpressure, RequestRejected
from loopline.serving.limits import Limits
from loopline.serving.log_writer import LoggedRequest, PredictionLogWriter
from loopline.serving.metrics import ServingMetrics
from loopline.serving.online_features import Filled
from loopline.serving.served import ServedModel
from loopline.validation import AnomalyCode, Severity

INLINE_ROWS = 64
"""Batches up to this many records are predicted on the event loop itself."""


@dataclass(frozen=True)
class Inference:
    """The records as the model saw them (features filled in) and one prediction per record."""

    records: Sequence[Mapping[str, Any]]
    predictions: list[Any]


def infer(model: ServedModel, records: Sequence[Mapping[str, Any]]) -> Inference:
    """Fill in features, check the records against the signature, predict.

    Records that plainly fit the signature (``RowReader``) skip the validator's bookkeeping and go
    to the predictor as rows; any other request is judged by the validator, as every refusal is.
    """
    reader = model.reader
    if reader is not None:
        rows = reader.read(records)
        if rows is not None:
            return Inference(records, model.predictor.predict_rows(rows, records))
    filled = model.features.fill(records) if model.features is not None else Filled(list(records), ())
    check_records(model, filled)
    return Inference(filled.records, model.predictor.predict(filled.records))


def check_records(model: ServedModel, filled: Filled) -> None:
    """RequestRejected listing every problem: the validator's errors, and fields the model does not take."""
    result = model.validator.validate(filled.records)
    if not result.anomalies:
        return
    keys = model.lookup_keys
    problems = []
    for anomaly in result.anomalies:
        if anomaly.code is AnomalyCode.UNEXPECTED_COLUMN:
            if anomaly.column in keys:
                continue
            problem = anomaly.to_dict()
            problem["severity"] = Severity.ERROR.value
            problem["message"] = (f"field '{anomaly.column}' is not an input of model {model.label} "
                                  f"({len(anomaly.examples)} record(s) shown in examples)")
            problems.append(problem)
        elif anomaly.severity is Severity.ERROR:
            problems.append(anomaly.to_dict())
    if not problems:
        return
    for i, views in enumerate(filled.missing):
        if views:
            problems.append({
                "code": "FEATURES_NOT_FOUND", "column": None, "severity": Severity.ERROR.value, "examples": [i],
                "message": f"record {i}: the online store has no fresh values in {', '.join(views)} for its keys",
            })
    count = len(problems)
    raise RequestRejected(
        f"the request does not fit model {model.label}: {count} problem{'s' if count != 1 else ''} found",
        problems=problems,
        hint=f"fix every problem listed; GET /v2/models/{model.name} lists the inputs the model takes",
    )


class PredictionService:
    """Predicts for the routes, with metrics and the prediction log."""

    def __init__(
        self,
        metrics: ServingMetrics,
        writer: PredictionLogWriter | None,
        limits: Limits,
        *,
        backpressure_timeout_s: float = 2.0,
    ) -> None:
        self.metrics = metrics
        self.writer = writer
        self.limits = limits
        self.backpressure_timeout_s = backpressure_timeout_s
        self._shadows: set[asyncio.Task[None]] = set()

    async def predict(
        self, model: ServedModel, records: Sequence[Mapping[str, Any]], *, route: str, request_id: str,
        event_time: datetime | None = None,
    ) -> list[Any]:
        """One prediction per record, logged at ``event_time`` (the server's clock when None);
        LooplineError subclasses for everything a client can be told."""
        started = time.perf_counter()
        try:
            self.limits.check_batch(len(records))
            if len(records) > INLINE_ROWS:
                result = await run_in_threadpool(infer, model, records)
            else:
                result = infer(model, records)
            latency = time.perf_counter() - started
            if self.writer is not None:
                await self._log(self.writer, LoggedRequest(
                    request_id, model.name, model.version, model.served_as, event_time or datetime.now(UTC),
                    result.records, result.predictions, latency * 1000.0,
                ))
        except LooplineError as exc:
            self.metrics.error(model.name, model.version, route, exc.http_status)
            raise
        children = self.metrics.for_model(model.name, model.version, route)
        children.requests.inc()
        children.latency.observe(latency)
        children.rows.inc(len(records))
        return result.predictions

    def shadow(self, model: ServedModel, records: Sequence[Mapping[str, Any]], *, route: str, request_id: str,
               event_time: datetime | None = None) -> None:
        """Send a copy of an answered request to a shadow version, after the answer; its predictions are
        logged under ``shadow_request_id(request_id)`` and never returned."""
        task = asyncio.get_running_loop().create_task(
            self._shadow(model, records, route=route, request_id=shadow_request_id(request_id),
                         event_time=event_time))
        self._shadows.add(task)
        task.add_done_callback(self._shadows.discard)

    async def _shadow(self, model: ServedModel, records: Sequence[Mapping[str, Any]], *, route: str,
                      request_id: str, event_time: datetime | None) -> None:
        try:
            await self.predict(model, records, route=route, request_id=request_id, event_time=event_time)
        except LooplineError:
            pass  # counted per version in the error metrics; a shadow never affects the client

    async def _log(self, writer: PredictionLogWriter, logged: LoggedRequest) -> None:
        if writer.submit(logged):
            return
        deadline = time.monotonic() + self.backpressure_timeout_s
        while time.monotonic() < deadline:
            await asyncio.sleep(0.005)
            if writer.submit(logged):
                return
        self.metrics.log_refused.inc()
        raise LogBackpressure(
            "the prediction log is not keeping up, so the prediction was not made",
            hint="retry shortly; if this persists, check the metadata database the log writes to",
        )


def reject_if_not_records(records: Any, where: str) -> list[Mapping[str, Any]]:
    """``records`` if it is a non-empty list of objects; RequestRejected saying what it is otherwise."""
    if not isinstance(records, list):
        raise RequestRejected(f"{where} must be a list of records (objects of field to value), "
                              f"got {type(records).__name__}",
                              problems=[{"message": f"{where} is not a list"}])
    if not records:
        raise RequestRejected(f"{where} is empty; send at least one record",
                              problems=[{"code": "EMPTY_DATASET", "message": f"{where} is empty"}])
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise RequestRejected(
            f"{where}: {len(bad)} item(s) are not objects of field to value (first: item {bad[0]})",
            problems=[{"code": "TYPE_MISMATCH", "examples": bad[:5],
                       "message": f"{len(bad)} item(s) of {where} are not objects"}],
        )
    return records


__all__ = ["INLINE_ROWS", "Inference", "PredictionService", "check_records", "infer", "reject_if_not_records"]
