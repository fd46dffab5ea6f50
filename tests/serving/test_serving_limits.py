"""Bounds: oversized, deep, slow and malformed requests get 413/422/408, and the server stays up."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlparse

import pytest
from serving_helpers import cancer_record

from loopline.serving import Limits

LIMITS = Limits(max_body_bytes=64 * 1024, max_batch_rows=50, max_json_depth=8, receive_timeout_s=0.5)


@pytest.fixture
def client(start_server, cancer_model):
    client, _ = start_server([cancer_model], limits=LIMITS)
    yield client
    assert client.get("/v2/health/live").status_code == 200  # still up after whatever the test sent


def test_a_body_over_the_limit_is_413_before_it_is_read(client) -> None:
    response = client.post("/predict", content=b" " * (LIMITS.max_body_bytes + 1),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "the request body has 65537 bytes; this server accepts at most 65536"


def test_a_streamed_body_over_the_limit_is_413(client) -> None:
    def chunks():
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/predict", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_too_many_records_is_413(client) -> None:
    response = client.post("/predict", json={"records": [cancer_record()] * 51})
    assert response.status_code == 413
    assert "holds 51 records; this server accepts at most 50" in response.json()["error"]


@pytest.mark.parametrize(("depth", "route", "status"), [
    (9, "/predict", 422),
    (30_000, "/predict", 422),  # deeper than the parser's own recursion limit, within the body limit
    (30_000, "/v2/models/cancer/infer", 400),
])
def test_json_nested_too_deep_is_refused(client, depth: int, route: str, status: int) -> None:
    body = b'{"records": ' + b"[" * depth + b"]" * depth + b"}"
    assert len(body) < LIMITS.max_body_bytes
    response = client.post(route, content=body)
    assert response.status_code == status
    assert response.json()["error"] == "the request body nests JSON deeper than 8 levels"


def test_json_just_within_the_depth_limit_is_read(client) -> None:
    # {"records": [{"x": [[[[[1]]]]]}]} is 8 levels deep: read, then refused for not fitting the model
    body = {"records": [{"mean_radius": [[[[[1]]]]]}]}
    response = client.post("/predict", json=body)
    assert response.status_code == 422 and "does not fit model" in response.json()["error"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2"])
def test_invalid_json_is_422(client, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["error"]


def test_a_client_that_sends_too_slowly_gets_408(client) -> None:
    address = urlparse(str(client.base_url))
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"records\": ")
        started = time.monotonic()
        reply = sock.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 408")
    assert time.monotonic() - started < 5
    assert "did not arrive within 0.5 s" in json.loads(reply.split("\r\n\r\n", 1)[1])["error"]


def test_limits_refuse_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="max_batch_rows must be a positive integer, got 0"):
        Limits(max_batch_rows=0)


@pytest.mark.parametrize("body", [
    b'{"records": [{"x": 0.1, "y": -0, "z": 1.5e-320, "w": 12345678901234567}]}',
    b'{"x": 123456789012345678901234567890}',  # past 64 bits: an int, as the standard parser reads it
    b'{"x": 0.12345678901234567890123}', b'{"x": NaN, "y": Infinity}', b'{"x": 1e400}',
    b'{"a": 1, "a": 2}', b'"\\ud800"', b'  [1, 2.0, true, null, "\\u00e9"]  ',
])
def test_bodies_parse_exactly_as_the_standard_parser_reads_them(body: bytes) -> None:
    from loopline.serving.limits import parse_json

    parsed, expected = parse_json(body, Limits()), json.loads(body)
    assert repr(parsed) == repr(expected) and type(parsed) is type(expected)


@pytest.mark.parametrize("body", [b'{"x": 1}garbage', b"\xff", b"{", b'{"x": [1, 2}'])
def test_bodies_the_standard_parser_refuses_are_refused(body: bytes) -> None:
    from loopline.serving.errors import RequestRejected
    from loopline.serving.limits import parse_json

    with pytest.raises(RequestRejected, match="not valid JSON"):
        parse_json(body, Limits())
