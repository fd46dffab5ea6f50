"""The monitor store on every backend: windows replaced not duplicated, alert states changed by
compare-and-set (one of two racing writers wins), events read back from a cursor; and a whole
drifted replay on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from monitoring_helpers import START, Stores, replay, train_and_register

from loopline.config import settings_from_mapping
from loopline.errors import ConflictError
from loopline.metadata.errors import StoreNotOpen
from loopline.monitoring import FIRING, AlertState, MonitorStore, WindowResult, check_model


def _window(key: str, start: datetime, rows: int, value: float | None) -> WindowResult:
    return WindowResult(monitor="m", model="bikes", key=key, start=start, end=start + timedelta(days=1), rows=rows,
                        labelled=0, complete=True, versions={"1": rows},
                        details={"drift": {"verdict": "no drift", "share": value}}, metrics={"drift.share": value},
                        first_id=1, last_id=rows)


def test_windows_are_replaced_by_key(any_stores: Stores) -> None:
    store = any_stores.monitors
    day = datetime(2011, 3, 1, tzinfo=UTC)
    store.save_windows([_window("a", day, 10, 0.1), _window("b", day + timedelta(days=1), 10, None)])
    store.save_windows([_window("b", day + timedelta(days=1), 20, 0.4)])
    stored = store.windows("m")
    assert [(w.key, w.rows, w.metrics["drift.share"]) for w in stored] == [("a", 10, 0.1), ("b", 20, 0.4)]
    assert stored[1].versions == {"1": 20} and stored[1].details == {"drift": {"verdict": "no drift", "share": 0.4}}
    assert store.latest_window("m").key == "b"
    assert [w.key for w in store.windows("m", since=day + timedelta(hours=1))] == ["b"]
    assert store.window_containing("m", 15).key == "b"


def test_alert_state_changes_by_compare_and_set(any_stores: Stores) -> None:
    store = any_stores.monitors
    start = datetime(2011, 3, 1, tzinfo=UTC)
    state = AlertState("rule", "m", FIRING, 2, start, "k1", 0)
    event = {"rule": "rule", "monitor": "m", "model": "bikes", "state": FIRING, "window_key": "k1",
             "window_start": start, "metric": "drift.share", "value": 0.9, "threshold": 0.5,
             "evidence": {"windows": ["k0", "k1"]}}
    [stored] = store.advance(state, expected_revision=None, events=[event])
    assert stored.id > 0 and stored.evidence == {"windows": ["k0", "k1"]}
    with pytest.raises(ConflictError, match="judged by another process"):
        store.advance(state, expected_revision=None, events=[])  # a second first writer
    current = store.alert_state("rule")
    assert current.revision == 1
    store.advance(current, expected_revision=1, events=[])
    with pytest.raises(ConflictError, match="nothing was recorded"):
        store.advance(current, expected_revision=1, events=[event])  # a stale writer
    assert len(store.alert_events()) == 1 and store.alert_events(after_id=stored.id) == []
    store.record_deliveries(stored.id, {"log": {"ok": True, "detail": "logged"}})
    assert store.alert_events(rule="rule")[0].deliveries == {"log": {"ok": True, "detail": "logged"}}


def test_a_closed_store_says_so(sqlite_url: str) -> None:
    with pytest.raises(StoreNotOpen, match="call open"):
        MonitorStore(sqlite_url).windows("m")


def test_a_drifted_replay_fires_on_every_backend(any_stores: Stores) -> None:
    version = train_and_register(any_stores)
    replay(any_stores, days=1, version=version)
    replay(any_stores, days=2, version=version, drifted=True, start=START + timedelta(days=1), seed=12)
    settings = settings_from_mapping({"alerts": {"rules": {"drift": {
        "monitor": "bikes", "metric": "drift.dataset_drift", "above": 0.5, "for_windows": 2}}}}, source="t", environ={})
    reports = check_model("bikes", monitors={}, alerts=settings.alerts, log=any_stores.log, store=any_stores.monitors,
                          registry=any_stores.registry, now=datetime(2011, 3, 10, tzinfo=UTC))
    assert [(e.rule, e.state, e.window_key) for e in reports[0].events] == [("drift", FIRING, "2011-03-03T00:00:00Z")]
