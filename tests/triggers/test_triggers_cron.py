"""The five-field cron parser: next times, day-field rules, and clear errors for bad expressions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loopline.errors import InvalidInputError
from loopline.triggers import CronSchedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("* * * * *", "2025-03-01T10:00:30", "2025-03-01T10:01:00"),
    ("0 3 * * *", "2025-03-01T03:00:00", "2025-03-02T03:00:00"),
    ("*/15 * * * *", "2025-03-01T10:16:00", "2025-03-01T10:30:00"),
    ("30 9 * * mon-fri", "2025-03-01T12:00:00", "2025-03-03T09:30:00"),  # 1 March 2025 is a Saturday
    ("0 0 1 jan,jul *", "2025-03-01T00:00:00", "2025-07-01T00:00:00"),
    ("0 0 29 2 *", "2025-03-01T00:00:00", "2028-02-29T00:00:00"),
    ("0 12 13 * 5", "2025-03-01T00:00:00", "2025-03-07T12:00:00"),  # either day field: Friday the 7th first
    ("0 0 * * 7", "2025-03-01T00:00:00", "2025-03-02T00:00:00"),  # 7 is Sunday too
])
def test_next_after(expression: str, after: str, expected: str) -> None:
    assert CronSchedule.parse(expression).next_after(at(after)) == at(expected)


def test_latest_until_collapses_missed_times_into_the_newest() -> None:
    hourly = CronSchedule.parse("0 * * * *")
    assert hourly.latest_until(at("2025-03-01T00:30:00"), at("2025-03-03T05:10:00")) == at("2025-03-03T05:00:00")
    assert hourly.latest_until(at("2025-03-01T00:30:00"), at("2025-03-01T00:59:00")) is None
    monthly = CronSchedule.parse("0 0 1 * *")
    assert monthly.latest_until(at("2025-01-15T00:00:00"), at("2025-03-20T00:00:00")) == at("2025-03-01T00:00:00")


@pytest.mark.parametrize(("expression", "message"), [
    ("* * * *", "has 4 fields, expected 5"),
    ("61 * * * *", "minute '61' is outside 0-59"),
    ("* * * foo *", "'foo' is not a valid month"),
    ("5-1 * * * *", "outside 0-59"),
])
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        CronSchedule.parse(expression)


def test_an_impossible_date_is_refused_when_asked_for_a_time() -> None:
    with pytest.raises(InvalidInputError, match="never matches a real date"):
        CronSchedule.parse("0 0 30 2 *").next_after(at("2025-01-01T00:00:00"))
