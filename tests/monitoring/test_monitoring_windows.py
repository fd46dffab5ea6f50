"""Windows: stable keys by event time or by blocks of requests; bad kinds are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loopline.errors import InvalidInputError
from loopline.metadata.predictions import LoggedPrediction
from loopline.monitoring import WindowSpec
from loopline.monitoring.windows import request_windows, time_windows


def _row(i: int, at: datetime) -> LoggedPrediction:
    return LoggedPrediction(i, f"r{i}", 0, "m", 1, "primary", at, {}, 1.0, 5.0)


def test_daily_and_hourly_windows_are_keyed_by_their_utc_start() -> None:
    at = datetime(2011, 3, 1, 22, 30, tzinfo=UTC)
    rows = [_row(1, at), _row(2, at + timedelta(hours=1)), _row(3, at + timedelta(hours=2))]
    now = datetime(2011, 3, 2, 23, 59, tzinfo=UTC)
    daily = list(time_windows(WindowSpec("daily"), rows, now=now))
    assert [(w.key, len(w.rows), w.complete) for w in daily] == [
        ("2011-03-01T00:00:00Z", 2, True), ("2011-03-02T00:00:00Z", 1, False)]
    hourly = list(time_windows(WindowSpec("hourly"), rows, now=now))
    assert [w.key for w in hourly] == ["2011-03-01T22:00:00Z", "2011-03-01T23:00:00Z", "2011-03-02T00:00:00Z"]
    assert hourly[0].end - hourly[0].start == timedelta(hours=1)


def test_empty_time_windows_are_kept_when_asked_for() -> None:
    at = datetime(2011, 3, 1, tzinfo=UTC)
    windows = list(time_windows(WindowSpec("daily"), [_row(1, at)], now=at + timedelta(days=5),
                                keys=[at + timedelta(days=2)]))
    assert [(w.key, len(w.rows)) for w in windows] == [("2011-03-01T00:00:00Z", 1), ("2011-03-03T00:00:00Z", 0)]


def test_request_windows_are_blocks_and_the_last_one_may_be_incomplete() -> None:
    at = datetime(2011, 3, 1, tzinfo=UTC)
    rows = [_row(i, at + timedelta(minutes=i)) for i in range(1, 8)]
    windows = list(request_windows(WindowSpec("requests", 3), rows, first_block=4))
    assert [(w.key, w.first_id, w.last_id, w.complete) for w in windows] == [
        ("n:0000000004", 1, 3, True), ("n:0000000005", 4, 6, True), ("n:0000000006", 7, 7, False)]


def test_an_unknown_window_kind_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown window kind 'weekly'; use hourly, daily or requests"):
        WindowSpec("weekly")
    with pytest.raises(InvalidInputError, match="size >= 1"):
        WindowSpec("requests", 0)
