"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

``croniter`` is not a dependency of Loopline, and a schedule trigger needs only "the next time
after t", so this module parses the classic syntax: ``*``, numbers, ranges ``a-b``, lists
``a,b`` and steps ``*/n`` or ``a-b/n``; months and weekdays also by three-letter name; Sunday
is 0 or 7. As in Vixie cron, when both day fields are restricted a day matching either counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loopline.errors import InvalidInputError

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_NAMES = {
    "month": {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    "day of week": {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}
_HORIZON_DAYS = 366 * 5  # every valid expression matches within five years (29 February included)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        parts = expression.split()
        if len(parts) != 5:
            raise InvalidInputError(
                f"cron expression {expression!r} has {len(parts)} fields, expected 5",
                hint="write minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\" for 03:00 UTC daily",
            )
        sets = [_field(part, *spec, expression=expression) for part, spec in zip(parts, _FIELDS)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(expression, sets[0], sets[1], sets[2], sets[3], weekdays,
                   any_day=parts[2] == "*", any_weekday=parts[4] == "*")

    def matches_day(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment`` (an aware datetime; the result is UTC)."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for offset in range(_HORIZON_DAYS):
            current = day + timedelta(days=offset)
            if not self.matches_day(current):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    candidate = current.replace(hour=hour, minute=minute)
                    if candidate >= start:
                        return candidate
        raise InvalidInputError(f"cron expression {self.expression!r} never matches a real date",
                                hint="check the day of month against the month (e.g. 30 2 is never)")

    def latest_until(self, since: datetime, until: datetime) -> datetime | None:
        """The newest matching minute in (``since``, ``until``], or None (missed times collapse into one)."""
        recent = max(since, until - timedelta(days=1))  # look in the last day first: fewer steps when it matches
        moment = self.next_after(recent)
        if moment > until and recent > since:
            moment = self.next_after(since)
        found = None
        while moment <= until:
            found = moment
            moment = self.next_after(moment)
        return found


def _field(text: str, name: str, low: int, high: int, *, expression: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.lower().split(","):
        body, _, step_text = item.partition("/")
        step = _number(step_text, name, expression, names={}) if step_text else 1
        if body == "*":
            first, last = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            first, last = _number(a, name, expression), _number(b, name, expression)
        else:
            first = _number(body, name, expression)
            last = high if step_text else first
        if not (low <= first <= last <= high) or step < 1:
            raise InvalidInputError(f"cron expression {expression!r}: {name} '{item}' is outside {low}-{high}",
                                    hint=f"the {name} field takes values from {low} to {high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, name: str, expression: str, names: dict[str, int] | None = None) -> int:
    lookup = _NAMES.get(name, {}) if names is None else names
    if text in lookup:
        return lookup[text]
    if not text.isdigit():
        raise InvalidInputError(f"cron expression {expression!r}: '{text}' is not a valid {name}",
                                hint="use numbers, ranges a-b, lists a,b, steps */n (names for months and weekdays)")
    return int(text)


__all__ = ["CronSchedule"]
