"""Pipeline triggers (schedule, new data, alert, manual) and the agent that checks them under a leader lease."""

from loopline.triggers.agent import Agent, Tick, agent_id
from loopline.triggers.checks import AlertSource, TriggerChecks
from loopline.triggers.cron import CronSchedule
from loopline.triggers.firing import RunPipeline, expand_params, fire_manually, start_run, trigger_named
from loopline.triggers.lease import DEFAULT_LEASE, LeaseLost, LeaseStore, require_lease
from loopline.triggers.records import FAILED, STARTED, SUCCEEDED, Candidate, Firing, Lease, RunOutcome, TriggerState
from loopline.triggers.store import CooldownActive, TriggerStore

__all__ = [
    "DEFAULT_LEASE",
    "FAILED",
    "STARTED",
    "SUCCEEDED",
    "Agent",
    "AlertSource",
    "Candidate",
    "CooldownActive",
    "CronSchedule",
    "Firing",
    "Lease",
    "LeaseLost",
    "LeaseStore",
    "RunOutcome",
    "RunPipeline",
    "Tick",
    "TriggerChecks",
    "TriggerState",
    "TriggerStore",
    "agent_id",
    "expand_params",
    "fire_manually",
    "require_lease",
    "start_run",
    "trigger_named",
]
