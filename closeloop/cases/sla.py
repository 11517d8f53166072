"""SLA arithmetic: a due time N business hours (or calendar hours) after a start, in the org's
time zone, skipping closed hours, closed weekdays and holidays; and the other way round, the
business time between two instants (how long a paused case waited, as the clock counts it).

Business hours are wall-clock times of the org's zone, so a 09:00-18:00 day is nine hours of
work on every day, including the days a DST zone changes its clocks; elapsed time inside a
day is measured in real (UTC) time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

UTC = dt.UTC
# Give up looking for an open day after this many days (a schedule with every day closed).
MAX_DAYS = 3660

DEFAULT_HOURS: dict[int, tuple[dt.time, dt.time]] = {
    day: (dt.time(9, 0), dt.time(18, 0)) for day in range(5)
}


@dataclass(frozen=True)
class Calendar:
    """When an organization works: weekday (0 = Monday) -> (opens, closes), and closed dates."""

    time_zone: str
    hours: Mapping[int, tuple[dt.time, dt.time]] = field(default_factory=lambda: DEFAULT_HOURS)
    holidays: frozenset[dt.date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The open hours of a local date as aware UTC datetimes, or None when closed."""
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        zone = self.zone
        start = dt.datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        end = dt.datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
        if end <= start:
            return None
        return start, end


def make_calendar(
    *,
    time_zone: str,
    hours: Iterable[tuple[int, dt.time, dt.time]] | None = None,
    holidays: Iterable[dt.date] = (),
) -> Calendar:
    schedule = DEFAULT_HOURS if hours is None else {d: (s, e) for d, s, e in hours}
    return Calendar(time_zone=time_zone, hours=schedule, holidays=frozenset(holidays))


def add_business_hours(
    start: dt.datetime, hours: float | Decimal, calendar: Calendar
) -> dt.datetime:
    """`start` plus `hours` of open time: waiting through nights, closed days and holidays."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = dt.timedelta(hours=float(hours))
    cursor = start.astimezone(UTC)
    if not calendar.hours:
        return cursor + remaining
    day = cursor.astimezone(calendar.zone).date()
    for _ in range(MAX_DAYS):
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            if cursor < opens:
                cursor = opens
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
                cursor = closes
        day += dt.timedelta(days=1)
    # Every day closed: fall back to calendar time so a due time still exists.
    return start.astimezone(UTC) + dt.timedelta(hours=float(hours))


def add_hours(
    start: dt.datetime, hours: float | Decimal, calendar: Calendar, *, business_hours_only: bool
) -> dt.datetime:
    """The due time: business hours per the calendar, or plain elapsed hours."""
    if business_hours_only:
        return add_business_hours(start, hours, calendar)
    return start.astimezone(UTC) + dt.timedelta(hours=float(hours))


def business_time_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> dt.timedelta:
    """The open time of the calendar between two instants (zero if `end` is not after
    `start`): what a business-hours clock counts."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return dt.timedelta(0)
    if not calendar.hours:
        return end - start
    total = dt.timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            overlap = min(closes, end) - max(opens, start)
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


def elapsed(
    start: dt.datetime, end: dt.datetime, calendar: Calendar, *, business_hours_only: bool
) -> dt.timedelta:
    """Time between two instants as an SLA clock counts it: open time, or plain time."""
    if business_hours_only:
        return business_time_between(start, end, calendar)
    return max(end - start, dt.timedelta(0))
