"""The rollback guard: a version that does worse once live is rolled back when the alias's policy says so.

For an alias whose policy sets ``auto_rollback``, and whose newest move was a promotion, the
guard judges the new version on the first ``rollback_windows`` complete monitor windows in
which it answered since then, whether it answered all the traffic or a canary's share:

- operations, at once: more than ``rollback_max_error_rate`` of its answers failed, or their
  p99 latency is above ``rollback_max_latency_p99_ms``;
- performance, once those windows hold enough labelled answers of it (the monitor's
  ``min_labels``): the metric of its answers against the metric of the previous version's
  answers to the same logged inputs (the champion replayed on the challenger's traffic, so
  the two are judged on the same hours and the same labels); a relative worsening beyond
  ``rollback_max_worsening`` (for accuracy, a drop of more than that) rolls back.

The verdict rests on the same first windows each time, so judging again gives the same
answer, and an alias that was rolled back is not judged again (its newest move is a
rollback). The rollback is the caller's to choose (the agent ends a canary through its
deployment); by default the registry moves the alias back, recording it in the audit log.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopline.config import AliasPolicy, MonitorSection
from loopline.metadata.predictions import LoggedPrediction, PredictionLog
from loopline.monitoring.definition import monitors_for
from loopline.monitoring.results import WindowResult
from loopline.monitoring.store import MonitorStore

if TYPE_CHECKING:
    from loopline.registry import Registry

ROLLED_BACK = "rolled back"
KEPT = "kept"
WATCHING = "watching"
_PAGE = 100
_ROWS = 1000
_SETTLED: dict[tuple[Any, ...], GuardVerdict] = {}
"""Verdicts that can no longer change (kept on its first windows), by promotion, so each is worked out once."""


@dataclass(frozen=True)
class GuardVerdict:
    """What the guard decided about ``model@alias`` (``version``, promoted over ``previous``)."""

    model: str
    alias: str
    version: int
    previous: int | None
    action: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "alias": self.alias, "version": self.version, "previous": self.previous,
                "action": self.action, "reason": self.reason, "evidence": self.evidence}


Rollback = Callable[[str, str, str], None]
"""Rolls ``model@alias`` back, with a reason: the registry's alias move, or the deployment's rollback."""


def guard_model(model: str, *, policies: Mapping[str, AliasPolicy], monitors: Mapping[str, MonitorSection],
                store: MonitorStore, log: PredictionLog, registry: Registry, user: str | None = None,
                rollback: Rollback | None = None) -> list[GuardVerdict]:
    """Judge every alias of ``model`` whose policy sets ``auto_rollback``; roll back where it did worse.

    ``rollback`` (default: move the alias back in the registry) lets the caller end a canary
    through its deployment instead, which also moves the alias back.
    """
    verdicts = []
    aliases = registry.aliases(model)
    for alias, policy in sorted(policies.items()):
        if not policy.auto_rollback or alias not in aliases:
            continue
        verdict = judge_alias(model, alias, policy, monitors=monitors, store=store, log=log, registry=registry)
        if verdict is None:
            continue
        if verdict.action == ROLLED_BACK:
            if rollback is not None:
                rollback(model, alias, verdict.reason[:1000])
            else:
                registry.rollback(model, alias, user=user, reason=verdict.reason[:1000])
        verdicts.append(verdict)
    return verdicts


def judge_alias(model: str, alias: str, policy: AliasPolicy, *, monitors: Mapping[str, MonitorSection],
                store: MonitorStore, log: PredictionLog, registry: Registry) -> GuardVerdict | None:
    """The verdict on the version behind ``model@alias`` (None: its newest move was not a promotion)."""
    moves = registry.alias_history(model, alias, limit=1)
    if not moves or moves[0].action != "promote" or moves[0].from_version is None:
        return None
    new, old = moves[0].to_version, moves[0].from_version
    key = (registry.metadata.url, model, alias, moves[0].revision, policy.model_dump_json())
    if key in _SETTLED:  # kept on its first windows: the verdict cannot change
        return _SETTLED[key]
    verdict = _judge(model, alias, policy, new, old, monitors=monitors, store=store, log=log, registry=registry)
    if verdict.action == KEPT:
        _SETTLED[key] = verdict
        while len(_SETTLED) > 256:
            _SETTLED.pop(next(iter(_SETTLED)))
    return verdict


def _judge(model: str, alias: str, policy: AliasPolicy, new: int, old: int, *,
           monitors: Mapping[str, MonitorSection], store: MonitorStore, log: PredictionLog,
           registry: Registry) -> GuardVerdict:
    definition = monitors_for(model, monitors)[0]
    answered = _answered_since_promotion(store, definition.name, new)
    if not answered:
        return GuardVerdict(model, alias, new, old, WATCHING, f"no window where version {new} answered yet")
    need = policy.rollback_windows
    head = answered[:need]
    rows = [row for w in head for row in _rows_of(log, model, new, w)]
    share = "all" if all(_served_by(w) == new for w in head) else "a share (canary)"
    operations = _operations(rows, policy, new)
    if operations is not None:
        return GuardVerdict(model, alias, new, old, ROLLED_BACK, operations[0], {**operations[1], "traffic": share})
    labelled = [r for r in rows if r.labelled_at is not None]
    if len(head) < need or len(labelled) < definition.min_labels:
        return GuardVerdict(model, alias, new, old, WATCHING,
                            f"{len(head)} of {need} windows where version {new} answered, "
                            f"{len(labelled)} labelled predictions (at least {definition.min_labels} needed)")
    metric = str(next((w.details.get("performance", {}).get("metric") for w in head
                       if w.details.get("performance", {}).get("metric")), "mae"))
    ours, theirs = _compare(labelled, registry.load(f"{model}/{old}"), metric)
    if metric == "accuracy":
        worsening = theirs - ours
    else:
        worsening = (ours - theirs) / theirs if theirs > 0 else (0.0 if ours == theirs else math.inf)
    evidence = {"metric": metric, "rows": len(labelled), "windows": [w.key for w in head], "traffic": share,
                "new": {"version": new, "value": ours}, "previous": {"version": old, "value": theirs},
                "worsening": worsening, "limit": policy.rollback_max_worsening}
    text = (f"version {new} ({share} of the traffic): {metric} {ours:.4g} on its {len(labelled)} labelled "
            f"predictions of its first {need} windows; version {old} on the same inputs: {theirs:.4g}; "
            f"worsening {worsening:+.1%}, limit {policy.rollback_max_worsening:.0%}")
    if worsening > policy.rollback_max_worsening:
        return GuardVerdict(model, alias, new, old, ROLLED_BACK, f"automatic rollback: {text}", evidence)
    return GuardVerdict(model, alias, new, old, KEPT, text, evidence)


def _rows_of(log: PredictionLog, model: str, version: int, window: WindowResult) -> list[LoggedPrediction]:
    """The predictions ``version`` answered in ``window`` (a shadow's copies left out), with their labels."""
    rows = []
    cursor = None
    while True:
        page = log.list(model=model, since=window.start, until=window.end, after_id=cursor, limit=_ROWS,
                        with_labels=True)
        rows.extend(r for r in page if r.version == version and r.served_as != "shadow")
        if len(page) < _ROWS:
            return rows
        cursor = page[-1].id


def _compare(rows: list[LoggedPrediction], previous: Any, metric: str) -> tuple[float, float]:
    """The metric of the served answers, and of the previous version's answers to the same inputs."""
    import numpy as np
    import pandas as pd

    from loopline.monitoring.frames import scalar_output

    kept = [(r, scalar_output(r.output)) for r in rows]
    kept = [(r, out) for r, out in kept if out is not None]
    inputs = pd.DataFrame([r.inputs for r, _ in kept])
    names = [c for c in previous.input_names if c in inputs.columns] if previous.input_names else list(inputs.columns)
    theirs = list(np.asarray(previous.predict(inputs[names])).reshape(len(kept), -1)[:, 0])
    labels = [r.label for r, _ in kept]
    ours = [out for _, out in kept]
    if metric == "accuracy":
        return (float(np.mean([str(a) == str(y) for a, y in zip(ours, labels, strict=True)])),
                float(np.mean([str(a) == str(y) for a, y in zip(theirs, labels, strict=True)])))
    y = np.asarray(labels, dtype=float)
    errors = (np.asarray(ours, dtype=float) - y, np.asarray(theirs, dtype=float) - y)
    if metric == "rmse":
        return tuple(float(np.sqrt(np.mean(e ** 2))) for e in errors)  # type: ignore[return-value]
    return tuple(float(np.mean(np.abs(e))) for e in errors)  # type: ignore[return-value]


def _operations(rows: list[LoggedPrediction], policy: AliasPolicy, version: int) -> tuple[str, dict] | None:
    """A rollback reason when the version's answers fail too often or too slowly, else None."""
    if not rows:
        return None
    from loopline.monitoring.frames import scalar_output

    failed = sum(1 for r in rows if scalar_output(r.output) is None)
    rate = failed / len(rows)
    if rate > policy.rollback_max_error_rate:
        return (f"automatic rollback: version {version} failed {failed} of its {len(rows)} predictions "
                f"({rate:.1%}), limit {policy.rollback_max_error_rate:.1%}",
                {"errors": failed, "rows": len(rows), "error_rate": rate, "limit": policy.rollback_max_error_rate})
    limit = policy.rollback_max_latency_p99_ms
    if limit is not None:
        latencies = sorted(float(r.latency_ms) for r in rows)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        if p99 > limit:
            return (f"automatic rollback: version {version} had a p99 latency of {p99:.1f} ms over its "
                    f"{len(rows)} predictions, limit {limit:g} ms", {"latency_p99_ms": p99, "limit": limit})
    return None


def _served_by(window: WindowResult) -> int | None:
    if not window.versions:
        return None
    return int(max(window.versions.items(), key=lambda kv: kv[1])[0])


def _answered_since_promotion(store: MonitorStore, monitor: str, version: int) -> list[WindowResult]:
    """The complete windows in which ``version`` answered since it last took over (all the traffic, or a
    canary's share), oldest first: read newest first, in pages, back to the first window without it."""
    found: list[WindowResult] = []
    before = None
    while True:
        page = store.windows(monitor, complete=True, limit=_PAGE, newest_first=True, before=before)
        for window in page:
            if str(version) in window.versions:
                found.append(window)
            elif window.rows and found:
                return found[::-1]
        if len(page) < _PAGE:
            return found[::-1]
        before = page[-1].start


__all__ = ["KEPT", "ROLLED_BACK", "WATCHING", "GuardVerdict", "Rollback", "guard_model", "judge_alias"]
