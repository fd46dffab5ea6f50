"""``loopline serve`` in its own process, under load: SIGTERM loses no acknowledged prediction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serving_helpers import cancer_package, cancer_record, free_port, make_workspace

from loopline.metadata.predictions import PredictionLog
from loopline.workspace import Workspace

STOPPED = (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down cleanly


def start(root: Path, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "loopline.cli.main", "--workspace", str(root), "serve", "cancer@production",
         "--port", str(port), "--no-access-log", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()}")
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not become ready")


class Load:
    """Threads posting batches until told to stop; keeps the request id of every 200 answer."""

    def __init__(self, url: str, threads: int = 6, rows: int = 20) -> None:
        self.url = url
        self.body = {"records": [cancer_record(i) for i in range(rows)]}
        self.acknowledged: list[str] = []
        self.failures = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post("/predict", json=self.body)
                except httpx.TransportError:
                    with self.lock:
                        self.failures += 1
                    time.sleep(0.01)
                    continue
                with self.lock:
                    if response.status_code == 200:
                        self.acknowledged.append(response.headers["x-request-id"])
                    else:
                        self.failures += 1

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("shutdown") / "ws", {"cancer": cancer_package()})


def logged_requests(root: Path) -> set[str]:
    with Workspace.find(root) as workspace, PredictionLog(workspace.metadata_url) as log:
        found: set[str] = set()
        after = None
        while rows := log.list(after_id=after, limit=10_000):
            found |= {r.request_id for r in rows}
            after = rows[-1].id
        return found


def test_sigterm_under_load_keeps_every_acknowledged_prediction(workspace: Path) -> None:
    before = logged_requests(workspace)
    process, url = start(workspace)
    with Load(url) as load:
        deadline = time.monotonic() + 20
        while len(load.acknowledged) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        acknowledged_at_signal = len(load.acknowledged)
        assert process.wait(60) in STOPPED, process.stderr.read().decode()
    assert "Application shutdown complete" in process.stderr.read().decode()
    assert acknowledged_at_signal >= 100
    acknowledged = set(load.acknowledged)
    stored = logged_requests(workspace) - before
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged predictions are not in the log"
    assert len(stored) - len(acknowledged) <= len(load.threads)  # at most the answers cut off in flight


def test_two_workers_share_the_load_and_add_up_their_metrics(workspace: Path) -> None:
    process, url = start(workspace, "--workers", "2")
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            answers = [client.post("/predict", json={"records": [cancer_record()]}, headers={"Connection": "close"})
                       for _ in range(40)]
            assert {a.status_code for a in answers} == {200}
            metrics = client.get("/metrics").text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) in STOPPED
    total = sum(s.value for f in text_string_to_metric_families(metrics) for s in f.samples
                if s.name == "loopline_prediction_requests_total")
    assert total == 40
    assert {a.headers["x-request-id"] for a in answers} <= logged_requests(workspace)
    assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None  # set only inside the server process
