"""Notification channels: a webhook against a real local HTTP server, its request-forgery guard,
a shell command, and failures recorded per channel without stopping the others."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from loopline.config import ChannelSection
from loopline.monitoring import AlertEvent, CommandChannel, WebhookChannel, WebhookRefused, build_channels, notify
from loopline.monitoring.webhook import check_destination

EVENT = AlertEvent(
    id=7, rule="drift", monitor="bikes", model="bikes", state="firing", window_key="2011-03-05T00:00:00Z",
    window_start=datetime(2011, 3, 5, tzinfo=UTC), metric="drift.share", value=0.75, threshold=0.5,
    evidence={"windows": [{"window": "2011-03-05T00:00:00Z", "value": 0.75}]}, created_at=datetime.now(UTC),
)


class Receiver(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        Receiver.bodies.append({"json": json.loads(self.rfile.read(length)), "type": self.headers["Content-Type"]})
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.bodies, Receiver.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/alerts?team=ml"
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_posts_the_event_as_json(receiver: str) -> None:
    assert WebhookChannel(receiver, allow_loopback=True).send(EVENT) == "HTTP 200"
    [received] = Receiver.bodies
    assert received["type"] == "application/json"
    assert received["json"]["rule"] == "drift" and received["json"]["evidence"]["windows"][0]["value"] == 0.75


def test_a_webhook_to_this_machine_is_refused_unless_allowed(receiver: str) -> None:
    with pytest.raises(WebhookRefused, match="leads to this machine") as info:
        WebhookChannel(receiver).send(EVENT)
    assert "allow_loopback = true" in (info.value.hint or "")
    assert Receiver.bodies == []


@pytest.mark.parametrize("url", ["http://10.1.2.3/x", "http://192.168.0.10/x", "http://169.254.169.254/latest",
                                 "http://[fe80::1]/x", "http://[::ffff:10.0.0.1]/x", "http://0.0.0.0/x"])
def test_private_and_link_local_destinations_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefused, match="private or link-local"):
        check_destination(url)
    assert check_destination(url, allow_private=True).address


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/x", "is not http"), ("file:///etc/passwd", "is not http"),
    ("http://user:pw@example.com/", "no user:password@"), ("http://no-such-host.invalid/", "does not resolve"),
])
def test_bad_webhook_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(WebhookRefused, match=message):
        check_destination(url)


def test_a_failing_webhook_is_recorded_and_the_other_channels_still_run(receiver: str, tmp_path: Path) -> None:
    Receiver.status = 500
    out = tmp_path / "event.json"
    command = CommandChannel((sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"))
    channels = {"hook": WebhookChannel(receiver, allow_loopback=True), "cmd": command,
                "blocked": WebhookChannel(receiver)}
    deliveries = notify(EVENT, ["hook", "blocked", "cmd"], channels)
    assert deliveries["hook"] == {"ok": False, "detail": f"webhook 127.0.0.1:{receiver.split(':')[2].split('/')[0]} "
                                                         "answered HTTP 500"}
    assert deliveries["blocked"]["ok"] is False and "this machine" in deliveries["blocked"]["detail"]
    assert deliveries["cmd"]["ok"] is True
    assert json.loads(out.read_text())["window"] == "2011-03-05T00:00:00Z"


def test_a_command_gets_the_alert_in_its_environment_and_failures_are_reported() -> None:
    echo = CommandChannel((sys.executable, "-c",
                           "import os; print(os.environ['LOOPLINE_ALERT_RULE'], os.environ['LOOPLINE_ALERT_STATE'])"))
    assert echo.send(EVENT) == "exit 0: drift firing"
    failing = CommandChannel((sys.executable, "-c", "import sys; sys.exit('no pager')"))
    with pytest.raises(RuntimeError, match="exited with status 1: no pager"):
        failing.send(EVENT)
    slow = CommandChannel((sys.executable, "-c", "import time; time.sleep(5)"), timeout_s=0.2)
    with pytest.raises(RuntimeError, match="did not finish within 0.2s"):
        slow.send(EVENT)
    with pytest.raises(RuntimeError, match="cannot run /no/such/program"):
        CommandChannel(("/no/such/program",)).send(EVENT)


def test_channels_are_built_from_the_configuration() -> None:
    channels = build_channels({
        "hook": ChannelSection(kind="webhook", url="https://example.com/h", timeout_s=2),
        "page": ChannelSection(kind="command", command=["pager", "--now"]),
    })
    assert set(channels) == {"log", "hook", "page"}
    assert channels["hook"] == WebhookChannel("https://example.com/h", 2.0, False, False)
    assert channels["page"] == CommandChannel(("pager", "--now"), 5.0)
    with pytest.raises(ValueError, match="a webhook channel needs url"):
        ChannelSection(kind="webhook")


def test_the_log_channel_logs_firing_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="loopline.alerts"):
        deliveries = notify(EVENT, ["log"], build_channels({}))
    assert deliveries == {"log": {"ok": True, "detail": "logged"}}
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage() == ("alert drift firing for bikes (window 2011-03-05T00:00:00Z): drift.share = 0.75, "
                                   "threshold 0.5")
