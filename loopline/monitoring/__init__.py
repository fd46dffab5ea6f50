"""Continuous monitoring: windows over the prediction log measured against the training profile, and alerts."""

from loopline.monitoring.alerts import AlertRule, alert_rules, evaluate_rule
from loopline.monitoring.channels import CommandChannel, LogChannel, WebhookChannel, build_channels, notify
from loopline.monitoring.definition import MonitorDefinition, monitor_named, monitors_for
from loopline.monitoring.guard import KEPT, ROLLED_BACK, WATCHING, GuardVerdict, guard_model, judge_alias
from loopline.monitoring.monitor import MonitorRun, measure_window, run_monitor
from loopline.monitoring.records import FIRING, RESOLVED, AlertEvent, AlertState
from loopline.monitoring.reference import PREDICTION, TrainingReference, load_reference
from loopline.monitoring.results import SERIES, WindowResult
from loopline.monitoring.service import MonitorReport, MonitorStatus, check_model, model_status
from loopline.monitoring.store import MonitorStore
from loopline.monitoring.webhook import WebhookRefused, check_destination
from loopline.monitoring.windows import Window, WindowSpec

__all__ = [
    "FIRING",
    "KEPT",
    "ROLLED_BACK",
    "WATCHING",
    "GuardVerdict",
    "guard_model",
    "judge_alias",
    "PREDICTION",
    "RESOLVED",
    "SERIES",
    "AlertEvent",
    "AlertRule",
    "AlertState",
    "CommandChannel",
    "LogChannel",
    "MonitorDefinition",
    "MonitorReport",
    "MonitorRun",
    "MonitorStatus",
    "MonitorStore",
    "TrainingReference",
    "WebhookChannel",
    "WebhookRefused",
    "Window",
    "WindowResult",
    "WindowSpec",
    "alert_rules",
    "build_channels",
    "check_destination",
    "check_model",
    "evaluate_rule",
    "load_reference",
    "measure_window",
    "model_status",
    "monitor_named",
    "monitors_for",
    "notify",
]
