"""What each trigger kind sees: a baseline on its first look, then only what is new since its cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from loopline.config import TriggerSection
from loopline.monitoring import FIRING, RESOLVED, AlertState, MonitorStore
from loopline.triggers import TriggerChecks, TriggerState


def state(cursor: dict) -> TriggerState:
    return TriggerState("t", cursor, None, 1)


def test_schedule_fires_once_for_the_newest_missed_time(tmp_path: Path) -> None:
    checks = TriggerChecks(tmp_path, metadata_url="sqlite://")
    section = TriggerSection(kind="schedule", cron="0 * * * *", pipeline="train")
    start = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    baseline = checks.check(section, None, start)
    assert baseline is not None and baseline.dedup_key is None
    assert checks.check(section, state(dict(baseline.cursor)), start + timedelta(minutes=20)) is None
    due = checks.check(section, state(dict(baseline.cursor)), start + timedelta(hours=3))
    assert due is not None and due.dedup_key == "schedule:2025-03-01T13:00:00+00:00"
    assert due.reason == "schedule '0 * * * *' came due at 2025-03-01T13:00:00+00:00"


def test_new_files_in_a_folder_matching_the_glob(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    checks = TriggerChecks(tmp_path, metadata_url="sqlite://")
    section = TriggerSection(kind="new_data", path="drop", glob="*.csv", pipeline="train")
    baseline = checks.check(section, None)
    assert baseline is not None and baseline.cursor == {"files": []}  # the folder need not exist yet
    folder.mkdir()
    (folder / "a.csv").write_text("x")
    (folder / "notes.txt").write_text("x")
    found = checks.check(section, state(dict(baseline.cursor)))
    assert found is not None and found.details["new_files"] == ["a.csv"] and found.cursor == {"files": ["a.csv"]}
    assert checks.check(section, state(dict(found.cursor))) is None


def test_new_rows_in_a_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rides (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO rides (n) VALUES (1), (2)"))
    checks = TriggerChecks(tmp_path, metadata_url="sqlite://")
    section = TriggerSection(kind="new_data", table="rides", url=url, pipeline="train")
    baseline = checks.check(section, None)
    assert baseline is not None and baseline.cursor == {"max": "2"} and baseline.dedup_key is None
    assert checks.check(section, state({"max": "2"})) is None
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rides (n) VALUES (3)"))
    found = checks.check(section, state({"max": "2"}))
    assert found is not None and found.dedup_key == "rows:rides:3"
    assert found.reason == "new rows in rides: id went from 2 to 3"
    checks.close()
    engine.dispose()


def test_alert_events_since_the_cursor_fire_only_when_firing(sqlite_url: str, tmp_path: Path) -> None:
    with MonitorStore(sqlite_url) as monitors:
        checks = TriggerChecks(tmp_path, metadata_url=sqlite_url, alerts=monitors)
        section = TriggerSection(kind="alert", rule="drifting", pipeline="train")
        start = datetime(2011, 3, 1, tzinfo=UTC)

        def event(state: str, key: str) -> dict:
            return {"rule": "drifting", "monitor": "m", "model": "bikes", "state": state, "window_key": key,
                    "window_start": start, "metric": "drift.share", "value": 0.9, "threshold": 0.5, "evidence": {}}

        [old] = monitors.advance(AlertState("drifting", "m", FIRING, 1, start, "k0", 0), expected_revision=None,
                                 events=[event(FIRING, "k0")])
        baseline = checks.check(section, None)
        assert baseline is not None and baseline.cursor == {"event_id": old.id} and baseline.dedup_key is None
        [resolved] = monitors.advance(AlertState("drifting", "m", RESOLVED, 0, start, "k1", 0), expected_revision=1,
                                      events=[event(RESOLVED, "k1")])
        moved = checks.check(section, state(dict(baseline.cursor)))
        assert moved is not None and moved.dedup_key is None and moved.cursor == {"event_id": resolved.id}
        [firing] = monitors.advance(AlertState("drifting", "m", FIRING, 1, start, "k2", 0), expected_revision=2,
                                    events=[event(FIRING, "k2")])
        found = checks.check(section, state(dict(moved.cursor)))
        assert found is not None and found.dedup_key == f"alert:{firing.id}"
        assert found.reason == "alert drifting fired (1 event(s), newest at window k2: drift.share = 0.9)"
