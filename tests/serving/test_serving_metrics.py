"""/metrics in Prometheus format, and the JSON access log."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from serving_helpers import cancer_record

from loopline.serving.middleware import ACCESS_LOGGER


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_errors_latency_and_served_versions_per_model(start_server, cancer_model, colour_model) -> None:
    client, _ = start_server([cancer_model, colour_model])
    for _ in range(3):
        client.post("/predict", json={"model": "cancer", "records": [cancer_record(), cancer_record(1)]})
    client.post("/predict", json={"model": "colour", "records": [{"colour": "pink", "size": 1.0}]})
    client.post("/v2/models/colour/infer", json={"inputs": "nope"})
    found = samples(client.get("/metrics").text)
    cancer = {"model": "cancer", "version": "1", "route": "predict"}
    assert value(found, "loopline_prediction_requests_total", **cancer) == 3
    assert value(found, "loopline_predicted_rows_total", model="cancer", version="1") == 6
    assert value(found, "loopline_prediction_latency_seconds_count", **cancer) == 3
    assert value(found, "loopline_prediction_latency_seconds_bucket", le="+Inf", **cancer) == 3
    assert value(found, "loopline_prediction_errors_total", model="colour", version="3", route="predict",
                 status="422") == 1
    assert value(found, "loopline_prediction_errors_total", model="colour", version="3", route="infer",
                 status="422") == 1
    assert value(found, "loopline_served_model_info", model="cancer", version="1", served_as="primary") == 1
    assert value(found, "loopline_served_model_info", model="colour", version="3", served_as="primary") == 1
    assert value(found, "loopline_http_requests_total", group="predict", status="200") == 3


def test_no_access_log_when_turned_off(cancer_server, caplog: pytest.LogCaptureFixture) -> None:
    client, state = cancer_server
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    assert client.post("/predict", json={"records": [cancer_record()]}).status_code == 200
    assert not state.access_log
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_access_log_records_each_request_without_query_or_headers(start_server, cancer_model,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    client, _ = start_server([cancer_model], access_log=True)
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = client.post("/predict?x=secret", json={"records": [cancer_record()]},
                           headers={"Authorization": "Bearer ll_not_checked_here"})
    client.get("/v2/models/none")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/predict", 200), ("GET", "/v2/models/none", 404)]
    assert lines[0]["request_id"] == response.headers["x-request-id"]
    assert lines[0]["duration_ms"] > 0 and lines[0]["client"] == "127.0.0.1" and lines[0]["user"] is None
    assert "secret" not in caplog.text and "ll_not_checked_here" not in caplog.text
