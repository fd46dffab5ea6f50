"""Notification channels for alert events: the log, a webhook, a shell command.

A channel's ``send`` raises when delivery failed; ``notify`` catches that per channel, so
one broken channel never keeps an event from the others (nor fails the monitor run), and
returns what each channel answered, which is stored with the event.

The command channel runs an argument list (no shell) with the event as JSON on its standard
input and ``LOOPLINE_ALERT_RULE``, ``LOOPLINE_ALERT_STATE``, ``LOOPLINE_ALERT_MODEL`` in its
environment, and stops it after ``timeout_s``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from loopline.config import ChannelSection
from loopline.errors import LooplineError
from loopline.monitoring.records import AlertEvent
from loopline.monitoring.webhook import post_json

_log = logging.getLogger("loopline.alerts")
MAX_OUTPUT = 2000


class Channel(Protocol):
    def send(self, event: AlertEvent) -> str:
        """Deliver ``event``; returns a short note on what happened, raises on failure."""
        ...


class LogChannel:
    def send(self, event: AlertEvent) -> str:
        level = logging.WARNING if event.state == "firing" else logging.INFO
        _log.log(level, "alert %s %s for %s (window %s): %s = %s, threshold %s", event.rule, event.state,
                 event.model, event.window_key, event.metric, event.value, event.threshold)
        return "logged"


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    timeout_s: float = 5.0
    allow_private: bool = False
    allow_loopback: bool = False

    def send(self, event: AlertEvent) -> str:
        status = post_json(self.url, event.to_dict(), timeout_s=self.timeout_s, allow_private=self.allow_private,
                           allow_loopback=self.allow_loopback)
        return f"HTTP {status}"


@dataclass(frozen=True)
class CommandChannel:
    command: tuple[str, ...]
    timeout_s: float = 5.0

    def send(self, event: AlertEvent) -> str:
        env = {**os.environ, "LOOPLINE_ALERT_RULE": event.rule, "LOOPLINE_ALERT_STATE": event.state,
               "LOOPLINE_ALERT_MODEL": event.model}
        try:
            done = subprocess.run(list(self.command), input=json.dumps(event.to_dict(), default=str), text=True,
                                  capture_output=True, timeout=self.timeout_s, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{self.command[0]} did not finish within {self.timeout_s:g}s") from None
        except OSError as exc:
            raise RuntimeError(f"cannot run {self.command[0]}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise RuntimeError(f"{self.command[0]} exited with status {done.returncode}: "
                               f"{done.stderr.strip()[:MAX_OUTPUT]}")
        return f"exit 0{': ' + done.stdout.strip()[:MAX_OUTPUT] if done.stdout.strip() else ''}"


def build_channels(sections: Mapping[str, ChannelSection]) -> dict[str, Channel]:
    """The configured channels by name, plus the built-in ``log``."""
    channels: dict[str, Channel] = {"log": LogChannel()}
    for name, section in sections.items():
        if section.kind == "log":
            channels[name] = LogChannel()
        elif section.kind == "webhook":
            assert section.url is not None  # the section's validator requires it
            channels[name] = WebhookChannel(section.url, section.timeout_s, section.allow_private,
                                            section.allow_loopback)
        else:
            assert section.command  # the section's validator requires it
            channels[name] = CommandChannel(tuple(section.command), section.timeout_s)
    return channels


def notify(event: AlertEvent, names: Sequence[str], channels: Mapping[str, Channel]) -> dict[str, Any]:
    """Send ``event`` to each named channel; returns {channel: {"ok": bool, "detail": text}}."""
    deliveries: dict[str, Any] = {}
    for name in names:
        try:
            detail = channels[name].send(event)
        except (LooplineError, ConnectionError, RuntimeError, OSError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            _log.error("alert %s: channel %s failed: %s", event.rule, name, message)
            deliveries[name] = {"ok": False, "detail": message}
        else:
            deliveries[name] = {"ok": True, "detail": detail}
    return deliveries


__all__ = ["Channel", "CommandChannel", "LogChannel", "WebhookChannel", "build_channels", "notify"]
