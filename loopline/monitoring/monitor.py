"""Run one monitor: cut the model's prediction log into windows and measure each against its reference.

Each run measures again only the windows that may have changed: the newest stored window
(it may have grown), the windows of predictions stored since the last run, and every
window holding a prediction whose label arrived since the last run (late labels update
the window they belong to). The
results replace the stored ones, so running twice gives the same rows. Each window is
compared with the training profile of the version that served most of its predictions.

Time windows between two windows with traffic are stored too, as "not enough data", so a
gap in traffic is visible rather than silently skipped; so are empty windows after the last
prediction up to now, unless there are more than ``MAX_TRAILING_EMPTY`` of them (a replay
of old data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from loopline.metadata.predictions import LoggedPrediction, PredictionLog
from loopline.monitoring import drift, operations, performance, quality
from loopline.monitoring.definition import MonitorDefinition
from loopline.monitoring.frames import window_frame
from loopline.monitoring.reference import PREDICTION, TrainingReference, load_reference
from loopline.monitoring.results import WindowResult, flat_metrics
from loopline.monitoring.store import MAX_PAGE, MonitorStore
from loopline.monitoring.verdicts import not_enough
from loopline.monitoring.windows import Window, WindowSpec, block_index, request_windows, time_windows

if TYPE_CHECKING:
    from loopline.registry import Registry

MAX_TRAILING_EMPTY = 1000
SHADOW = "shadow"  # the served_as of predictions a shadow version made
ReferenceLoader = Callable[[str, int], TrainingReference]
SECTIONS = ("drift", "prediction_drift", "skew", "quality", "performance", "operations")


@dataclass(frozen=True)
class MonitorRun:
    """What one run measured: the windows it (re)computed, oldest first."""

    monitor: str
    model: str
    windows: tuple[WindowResult, ...]


def run_monitor(definition: MonitorDefinition, *, log: PredictionLog, store: MonitorStore, registry: Registry,
                now: datetime | None = None, full: bool = False) -> MonitorRun:
    """Measure the windows of ``definition`` that may have changed (all of them with ``full``) and store them."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    references: dict[int, TrainingReference] = {}

    def reference(version: int) -> TrainingReference:
        if version not in references:
            references[version] = load_reference(registry, definition.model, version)
        return references[version]

    windows = _windows(definition, log, store, moment, full)
    stored = _stored(store, definition.name, windows) if not full else {}
    results = tuple(measure_window(definition, w, reference, stored.get(w.key)) for w in windows)
    store.save_windows(results)
    return MonitorRun(definition.name, definition.model, results)


def measure_window(definition: MonitorDefinition, window: Window, reference: ReferenceLoader,
                   stored: WindowResult | None = None) -> WindowResult:
    """Every measure of one window; an empty window says "not enough data" for each.

    ``stored``: the window's result from an earlier run. When it covered the very same
    predictions (only labels arrived since), its measures of the inputs and outputs are kept
    and only performance is measured again.
    """
    versions = Counter(str(row.version) for row in window.rows)
    labelled = sum(1 for row in window.rows if row.labelled_at is not None)
    if not window.rows:
        details = {name: not_enough("no predictions in the window") for name in SECTIONS}
    else:
        version = int(versions.most_common(1)[0][0])
        same_rows = stored is not None and (stored.rows, stored.first_id, stored.last_id) == (
            len(window.rows), window.first_id, window.last_id) and dict(stored.versions) == dict(versions)
        if same_rows:
            assert stored is not None
            details = {**stored.details, "performance": _performance(definition, window.rows, reference(version))}
        else:
            details = _measure(definition, window.rows, reference(version))
        details["reference"] = {"version": version, "statistics_artifact_id": reference(version).statistics_artifact_id}
    return WindowResult(
        monitor=definition.name, model=definition.model, key=window.key, start=window.start, end=window.end,
        rows=len(window.rows), labelled=labelled, complete=window.complete, versions=dict(versions), details=details,
        metrics=flat_metrics(len(window.rows), labelled, details), first_id=window.first_id, last_id=window.last_id,
    )


def _measure(definition: MonitorDefinition, rows: tuple[LoggedPrediction, ...],
             ref: TrainingReference) -> dict[str, Any]:
    from loopline.validation.frame_profile import profile_frame

    features = definition.features or ref.features
    frame = window_frame(rows, features)
    window_profile = profile_frame(frame[[*features, PREDICTION]], reference=ref.profile, duplicates=False)
    n = definition.min_rows
    metric = performance.choose_metric(definition.metric, ref.task)
    drifting = tuple(f for f in definition.drift_features or features if f in features)
    # every feature compared once: the drift features' verdicts make dataset drift, and a small
    # window's skew is the same comparison
    report = drift.feature_report(ref, window_profile, tuple(features), min_rows=n,
                                  drift_share=definition.drift_share) if window_profile.rows >= n else None
    return {
        "drift": drift.feature_drift(ref, window_profile, drifting, min_rows=n, drift_share=definition.drift_share,
                                     report=None if report is None else
                                     drift.narrowed(report, drifting, definition.drift_share)),
        "prediction_drift": drift.prediction_drift(ref, window_profile, min_rows=n),
        "skew": drift.skew(ref, window_profile, features, min_rows=n, drift=report),
        "quality": quality.data_quality(ref, frame, features, min_rows=n),
        "performance": performance.performance(
            frame, metric=metric, min_labels=definition.min_labels, min_coverage=definition.min_label_coverage,
            confidence=definition.confidence),
        "operations": operations.operations(frame, min_rows=n),
    }


def _performance(definition: MonitorDefinition, rows: tuple[LoggedPrediction, ...],
                 ref: TrainingReference) -> dict[str, Any]:
    features = definition.features or ref.features
    return performance.performance(
        window_frame(rows, features), metric=performance.choose_metric(definition.metric, ref.task),
        min_labels=definition.min_labels, min_coverage=definition.min_label_coverage,
        confidence=definition.confidence)


def _stored(store: MonitorStore, monitor: str, windows: list[Window]) -> dict[str, WindowResult]:
    """The stored results of ``windows``, by key."""
    if not windows:
        return {}
    first = min(w.start for w in windows)
    last = max(w.start for w in windows)
    found = store.windows(monitor, since=first, before=last + timedelta(microseconds=1), limit=MAX_PAGE)
    keys = {w.key for w in windows}
    return {w.key: w for w in found if w.key in keys}


# -- which windows to measure ---------------------------------------------------------------------


def _windows(definition: MonitorDefinition, log: PredictionLog, store: MonitorStore, now: datetime,
             full: bool) -> list[Window]:
    last = None if full else store.latest_window(definition.name)
    computed = None if full else store.last_computed(definition.name)
    relabelled = store.labelled_since(definition.model, computed) if computed is not None else []
    if definition.window.by_time:
        return _time_windows(definition, log, store, last, relabelled, now)
    return _request_windows(definition, log, store, last, relabelled)


def _time_windows(definition: MonitorDefinition, log: PredictionLog, store: MonitorStore,
                  last: WindowResult | None, relabelled: list[tuple[int, datetime]], now: datetime) -> list[Window]:
    """Every window on a first run; after that the newest window, and those holding new or relabelled rows.

    New rows are those stored after the last row measured, whatever their event time, so a
    prediction written late (from a server's spill folder, say) still reaches its window.
    """
    spec = definition.window
    if last is None:
        rows = _read(log, definition.model)
    else:
        fresh = _read(log, definition.model, after_id=store.last_prediction_id(definition.name))
        starts = {last.start, *(spec.start_of(r.created_at) for r in fresh),
                  *(spec.start_of(moment) for _, moment in relabelled)}
        rows = [row for start in sorted(starts)
                for row in _read(log, definition.model, since=start, until=spec.end_of(start))]
    empty = _empty_starts(spec, rows, last, now)
    return list(time_windows(spec, _unique(rows), now=now, keys=empty))


def _empty_starts(spec: WindowSpec, rows: list[LoggedPrediction], last: WindowResult | None, now: datetime) -> list[datetime]:
    """Starts of windows without traffic: the gaps between windows with traffic, then up to now."""
    if not rows and last is None:
        return []
    first = last.start if last is not None else min(spec.start_of(r.created_at) for r in rows)
    newest = max([spec.start_of(r.created_at) for r in rows] + [first])
    current = spec.start_of(now)
    end = current if current > newest and _steps(spec, newest, current) <= MAX_TRAILING_EMPTY else newest
    starts, moment = [], first
    while moment <= end:
        starts.append(moment)
        moment = spec.end_of(moment)
    return starts


def _steps(spec: WindowSpec, start: datetime, end: datetime) -> float:
    return (end - start) / (spec.end_of(start) - start)


def _request_windows(definition: MonitorDefinition, log: PredictionLog, store: MonitorStore,
                     last: WindowResult | None, relabelled: list[tuple[int, datetime]]) -> list[Window]:
    spec = definition.window
    first_block = block_index(last.key) if last is not None else 0
    after = (last.first_id - 1) if last is not None and last.first_id is not None else None
    windows = list(request_windows(spec, _read(log, definition.model, after_id=after), first_block=first_block))
    seen = {w.key for w in windows}
    for prediction_id, _ in relabelled:
        stored = store.window_containing(definition.name, prediction_id)
        if stored is None or stored.key in seen or stored.first_id is None:
            continue
        rows = _read(log, definition.model, after_id=stored.first_id - 1, limit=spec.size)
        windows.extend(request_windows(spec, rows, first_block=block_index(stored.key)))
        seen.add(stored.key)
    return sorted(windows, key=lambda w: w.key)


def _read(log: PredictionLog, model: str, *, since: datetime | None = None, until: datetime | None = None,
          after_id: int | None = None, limit: int | None = None) -> list[LoggedPrediction]:
    """The model's answered predictions with their labels, in storage order, read in pages (at most ``limit``).

    Shadow predictions are left out: nobody received them, and the shadow version is judged
    by comparing it with the live one, not by the model's monitors.
    """
    found: list[LoggedPrediction] = []
    cursor = after_id
    while True:
        page_size = MAX_PAGE if limit is None else min(MAX_PAGE, limit - len(found))
        page = log.list(model=model, since=since, until=until, after_id=cursor, limit=page_size, with_labels=True)
        found.extend(row for row in page if row.served_as != SHADOW)
        if len(page) < page_size or (limit is not None and len(found) >= limit):
            return found
        cursor = page[-1].id


def _unique(rows: Iterable[LoggedPrediction]) -> list[LoggedPrediction]:
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in sorted(by_id)]


__all__ = ["MAX_TRAILING_EMPTY", "MonitorRun", "measure_window", "run_monitor"]
