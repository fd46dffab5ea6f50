"""The demo's closed loop: serve bikes@production in a server process, replay 2011-2012 hour by hour
over HTTP with time compressed, and let the agent monitor daily windows, retrain on alerts, promote
by policy and roll back what does worse, on the replay's simulated clock.

``run_loop`` returns a ``LoopOutcome`` with everything the summary and the HTML report show.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loopline.cli import _output
from loopline.errors import LooplineError

POLICIES = ("triggered", "daily", "frozen")
"""triggered: the workspace's triggers (retrain when an alert fires); daily: retrain every simulated
midnight (the costly upper reference); frozen: no retraining, the first model serves throughout."""

SWAP_TIMEOUT_S = 120.0


@dataclass
class VersionStory:
    """One registered version: when (simulated) and why it was trained, and where it went."""

    version: int
    trained_at: datetime
    data_end: str
    why: str
    run_id: int
    blessing: str
    decisions: list[dict[str, Any]] = field(default_factory=list)
    live_from: datetime | None = None
    rolled_back_at: datetime | None = None
    rollback_reason: str = ""


@dataclass
class LoopOutcome:
    policy: str
    served: Any  # DataFrame: timestamp, version, prediction, truth, request_id
    frozen: Any  # Series: the first model's prediction for each served hour
    versions: list[VersionStory]
    held: list[dict[str, Any]]  # candidates that were not promoted, with the reason
    alerts: list[dict[str, Any]]
    firings: list[dict[str, Any]]
    windows: list[dict[str, Any]]  # daily monitor numbers: day, drift share, relative error, version
    refused: tuple[str, ...]
    days: int
    elapsed_s: float
    retrain_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


class SimClock:
    """The replay's simulated time; the agent, monitors, triggers and cooldowns read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def run_loop(ws: Any, *, start: str, days: int | None, speed: float, policy: str,
             first: VersionStory) -> LoopOutcome:
    """Serve, replay and keep the model healthy; returns what happened."""
    from loopline.cli.agent import monitor_chores
    from loopline.examples.bikes.replay import Connection, Replay, replay_hours
    from loopline.metadata.predictions import PredictionLog
    from loopline.monitoring import MonitorStore
    from loopline.triggers import Agent, LeaseStore, TriggerChecks, TriggerStore

    if policy not in POLICIES:
        raise LooplineError(f"unknown policy '{policy}'; use one of {', '.join(POLICIES)}")
    clock = SimClock(datetime.fromisoformat(start).replace(tzinfo=UTC))
    hours = replay_hours()
    package = ws.registry.load(f"bikes/{first.version}")
    inputs = [c for c in package.input_names if c in hours.columns]
    url = ws.metadata_url
    with _agent_log(Path(ws.root) / ".loopline" / "demo-agent.log"), \
            TriggerStore(url) as trigger_store, LeaseStore(url) as leases, MonitorStore(url) as monitor_store, \
            contextlib.closing(PredictionLog(url).open()) as log, serving(ws, "bikes@production") as base:
        loop = _Loop(ws, clock, first, trigger_store)
        checks = TriggerChecks(ws.root, metadata_url=url, alerts=monitor_store)
        agent = Agent(_triggers(ws, policy), store=trigger_store, leases=leases, checks=checks,
                      run=loop.run_pipeline, lease_s=600.0, interval_s=1.0, clock=clock,
                      chores=monitor_chores(ws, monitor_store, clock=clock, on_result=loop.on_monitor))
        try:
            with Connection(base) as client:
                loop.agent, loop.client = agent, client
                replay = Replay(client, hours, inputs=inputs, start=start, days=days, speed=speed,
                                acknowledged=lambda: log.count(model="bikes"), on_day_end=loop.on_day_end,
                                on_progress=loop.progress)
                result = replay.run()
        finally:
            checks.close()
    served = result.served
    return LoopOutcome(policy=policy, served=served, frozen=_frozen_predictions(package, hours, served, inputs),
                       versions=sorted(loop.stories.values(), key=lambda s: s.version), held=loop.held,
                       alerts=loop.alerts, firings=loop.firings,
                       windows=[loop.windows[k] for k in sorted(loop.windows)], refused=result.refused,
                       days=result.days, elapsed_s=result.elapsed_s, retrain_s=loop.retrain_s,
                       timings={**result.timings, "swaps": loop.swap_s})


def _triggers(ws: Any, policy: str) -> Mapping[str, Any]:
    from loopline.config import TriggerSection

    return {
        "triggered": ws.settings.triggers,
        "daily": {"retrain_daily": TriggerSection(kind="schedule", cron="0 0 * * *", pipeline="training",
                                                  params={"split.data_end": "{fired_at:%Y-%m-%d}"})},
        "frozen": {},
    }[policy]


class _Loop:
    """What the replay's callbacks do at each simulated midnight, and everything they saw."""

    def __init__(self, ws: Any, clock: SimClock, first: VersionStory, trigger_store: Any) -> None:
        self.ws, self.clock, self.trigger_store = ws, clock, trigger_store
        self.stories = {first.version: first}
        self.live = first.version
        self.held: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.firings: list[dict[str, Any]] = []
        self.windows: dict[str, dict[str, Any]] = {}
        self.retrain_s = self.swap_s = 0.0
        self.agent: Any = None
        self.client: Any = None

    def run_pipeline(self, pipeline: str, params: Any) -> Any:
        """How the agent starts a training run: timed, and its version (or refusal) recorded."""
        from loopline.triggers import RunOutcome

        began = time.perf_counter()
        result = self.ws.run(pipeline, params=dict(params))
        self.retrain_s += time.perf_counter() - began
        if result.ok:
            newest = self.trigger_store.firings(limit=1)
            _record_run(self.ws, result, self.clock.now, _why(newest[0]) if newest else "", params, self.stories,
                        self.held)
        return RunOutcome(run_id=result.run.id, ok=result.ok, error=result.error)

    def on_monitor(self, model: str, reports: Any, verdicts: Any) -> None:
        """The monitors' windows and alert events, and the rollback guard's verdicts."""
        console, now = _output.console, self.clock.now
        for report in reports:
            for window in report.run.windows:
                self.windows[window.key] = {
                    "start": window.start, "rows": window.rows, "drift_share": window.metrics.get("drift.share"),
                    "relative_error": window.metrics.get("performance.relative"),
                    "mae": window.metrics.get("performance.mae"), "versions": dict(window.versions)}
            for event in report.events:
                self.alerts.append({"at": now, "rule": event.rule, "state": event.state, "window": event.window_key,
                                    "metric": event.metric, "value": event.value, "threshold": event.threshold})
                if event.state == "firing":
                    console.print(f"   {now:%Y-%m-%d} [yellow]alert[/] {_output.escape(event.rule)}: "
                                  f"{event.metric} = {event.value:.3g} (limit {event.threshold:g})")
        for verdict in verdicts:
            story = self.stories.get(verdict.version)
            if verdict.action == "rolled back" and story is not None and story.rolled_back_at is None:
                story.rolled_back_at, story.rollback_reason = now, verdict.reason
                console.print(f"   {now:%Y-%m-%d} [red]rolled back[/] bikes/{verdict.version} → "
                              f"bikes/{verdict.previous}: {_output.escape(verdict.reason)}")

    def on_day_end(self, midnight: datetime) -> None:
        """The agent's tick at ``midnight``; then, if production moved, until the server serves it."""
        self.clock.now = midnight
        tick = self.agent.tick()
        for firing in tick.firings:
            self.firings.append({"at": firing.fired_at, "trigger": firing.trigger, "reason": firing.reason,
                                 "run_id": firing.run_id, "status": firing.status})
        for error in tick.errors:
            _output.console.print(f"   [yellow]warning:[/] {_output.escape(error)}")
        current = self.ws.registry.aliases("bikes").get("production")
        if current is not None and current != self.live:
            began = time.perf_counter()
            _wait_served(self.client, current)
            self.swap_s += time.perf_counter() - began
            self.live = current
            if current in self.stories and self.stories[current].live_from is None:
                self.stories[current].live_from = midnight

    def progress(self, midnight: datetime, done: int) -> None:
        if midnight.day == 1:
            _output.console.print(f"   [dim]{midnight:%Y-%m}: {done} days replayed, bikes/{self.live} serving[/]")


def _why(firing: Any) -> str:
    """What started a retraining, in a few words: the alert rules that fired, or the schedule."""
    rules = firing.details.get("rules") if isinstance(firing.details, Mapping) else None
    if firing.kind == "alert" and rules:
        return "alert " + ", ".join(rules)
    if firing.kind == "schedule":
        return "daily schedule"
    return firing.reason


def story_of(ws: Any, result: Any, at: datetime, why: str, params: Mapping[str, Any]) -> VersionStory | None:
    """The version a training run registered, with its blessing; None when it registered none."""
    registration = result.load("registration", ws.artifacts)
    if not registration.get("registered"):
        return None
    delivery = result.load("delivery", ws.artifacts) if "delivery" in result.outputs else {"decisions": []}
    return VersionStory(version=int(registration["version"]), trained_at=at,
                        data_end=str(params.get("split.data_end", "")), why=why, run_id=result.run.id,
                        blessing=_blessing_line(result.load("blessing", ws.artifacts)),
                        decisions=list(delivery.get("decisions", [])))


def _record_run(ws: Any, result: Any, at: datetime, why: str, params: Mapping[str, Any],
                stories: dict[int, VersionStory], held: list[dict[str, Any]]) -> None:
    console = _output.console
    story = story_of(ws, result, at, why, params)
    if story is None:
        registration = result.load("registration", ws.artifacts)
        blessing = _blessing_line(result.load("blessing", ws.artifacts))
        held.append({"at": at, "run_id": result.run.id, "reason": registration.get("reason", ""),
                     "blessing": blessing})
        console.print(f"   {at:%Y-%m-%d} retrained (run {result.run.id}): [red]not promoted[/], "
                      f"{_output.escape(blessing)}")
        return
    stories[story.version] = story
    reached = [d["alias"] for d in story.decisions if d["action"] in ("promoted", "already there")]
    console.print(f"   {at:%Y-%m-%d} retrained on data up to {story.data_end} (run {result.run.id}): "
                  f"bikes/{story.version} {_output.escape(story.blessing)}; "
                  f"promoted to {', '.join(reached) or 'nothing'}")


def _blessing_line(stored: Any) -> str:
    """The blessing in a line: the RMSE against production, and each rule that failed."""
    checks = stored.get("checks", []) if isinstance(stored, Mapping) else []
    against = stored.get("baseline_ref") if isinstance(stored, Mapping) else None
    verdict = "blessed" if stored.get("blessed") else "not blessed"
    parts = []
    rmse = next((c for c in checks if c.get("kind") == "change" and c.get("metric") == "rmse"), None)
    if rmse and rmse.get("value") is not None and rmse.get("baseline") is not None:
        parts.append(f"RMSE {rmse['value']:.1f} vs {rmse['baseline']:.1f} for {against}")
    else:
        absolute = next((c for c in checks if c.get("kind") == "absolute"), None)
        if absolute and absolute.get("value") is not None:
            parts.append(f"{absolute['metric'].upper()} {absolute['value']:.1f} (limit {absolute['limit']:g})")
    for check in checks:
        if check.get("passed") is False and check is not rmse:
            worst = (check.get("details") or [{}])[0]
            where = f" ({worst['column']} = {worst['value']})" if worst.get("column") else ""
            parts.append(f"failed: {check['rule']}{where}")
    return f"{verdict}: " + "; ".join(parts) if parts else verdict


def _frozen_predictions(package: Any, hours: Any, served: Any, inputs: list[str]) -> Any:
    """What the first model would have answered for each served hour (it never changes)."""
    import pandas as pd

    if served.empty:
        return pd.Series([], dtype=float)
    stamps = pd.to_datetime(served["timestamp"], utc=True).dt.tz_localize(None)
    rows = hours.set_index("timestamp").loc[stamps, inputs].reset_index(drop=True)
    return pd.Series(package.predict(rows), dtype=float).clip(lower=0)


def _wait_served(client: Any, version: int) -> None:
    """Until the server answers with ``version`` only (it follows the alias in the background)."""
    deadline = time.monotonic() + SWAP_TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get("/v2/models/bikes")
        if response.status_code == 200 and response.json().get("versions") == [str(version)]:
            return
        time.sleep(0.05)
    raise LooplineError(f"the server did not swap to bikes/{version} within {SWAP_TIMEOUT_S:g} s",
                        hint="see the server's log in .loopline/demo-server.log of the demo workspace")


@contextlib.contextmanager
def serving(ws: Any, ref: str) -> Iterator[str]:
    """``ref`` served by a server process of its own that follows the alias; yields its base URL."""
    import httpx

    from loopline.serving.server import CONFIG_ENV, ServeConfig, prepare

    port = _free_port()
    config = prepare(ServeConfig(workspace=str(ws.root), refs=[ref], port=port, access_log=False,
                                 follow_interval_s=0.25))
    # one native thread per request, as a server worker wants, set before the model's libraries load
    env = {**os.environ, CONFIG_ENV: config.model_dump_json(), "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    log_path = Path(ws.root) / ".loopline" / "demo-server.log"
    with log_path.open("ab") as server_log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "loopline.serving.server:app_from_environment", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env, stdout=server_log, stderr=server_log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise LooplineError(f"the demo's prediction server exited with status {process.returncode}",
                                    hint=f"see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/v2/health/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise LooplineError("the demo's prediction server did not become ready within 120 s",
                                    hint=f"see {log_path}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()  # SIGTERM: finish what is in flight, flush the prediction log
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _agent_log(path: Path) -> Iterator[None]:
    """The agent's log lines (alerts, triggers, rollbacks) go to ``path``; the demo prints its own account."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("loopline.alerts", "loopline.triggers", "loopline.monitoring")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
        lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level
        handler.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


__all__ = ["POLICIES", "LoopOutcome", "SimClock", "VersionStory", "run_loop", "serving", "story_of"]
