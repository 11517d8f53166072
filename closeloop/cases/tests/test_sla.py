"""SLA arithmetic: business hours in the org's zone skip nights, weekends and holidays, in a
zone without DST (Asia/Seoul) and one with it (Europe/London); calendar hours do not."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from closeloop.cases.sla import (
    add_business_hours,
    add_hours,
    business_time_between,
    elapsed,
    make_calendar,
)

SEOUL = ZoneInfo("Asia/Seoul")
LONDON = ZoneInfo("Europe/London")


def at(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_within_the_same_day() -> None:
    cal = make_calendar(time_zone="Asia/Seoul")
    # Wednesday 10:00 + 3h = 13:00
    assert add_business_hours(at(SEOUL, 2026, 3, 4, 10, 0), 3, cal) == at(SEOUL, 2026, 3, 4, 13, 0)


def test_overnight_and_before_opening() -> None:
    cal = make_calendar(time_zone="Asia/Seoul")
    # Wednesday 17:00 + 2h: 1h today, 1h from 09:00 Thursday
    assert add_business_hours(at(SEOUL, 2026, 3, 4, 17), 2, cal) == at(SEOUL, 2026, 3, 5, 10)
    # Thursday 06:30 (before opening) + 1h = 10:00
    assert add_business_hours(at(SEOUL, 2026, 3, 5, 6, 30), 1, cal) == at(SEOUL, 2026, 3, 5, 10)
    # after closing: counts from the next morning
    assert add_business_hours(at(SEOUL, 2026, 3, 4, 21), 1, cal) == at(SEOUL, 2026, 3, 5, 10)


def test_weekend_is_skipped() -> None:
    cal = make_calendar(time_zone="Asia/Seoul")
    # Friday 16:00 + 4h -> 2h Friday, 2h Monday = Monday 11:00
    assert add_business_hours(at(SEOUL, 2026, 3, 6, 16), 4, cal) == at(SEOUL, 2026, 3, 9, 11)
    # Saturday -> Monday 09:00 + 1h
    assert add_business_hours(at(SEOUL, 2026, 3, 7, 12), 1, cal) == at(SEOUL, 2026, 3, 9, 10)


def test_the_default_24_business_hours() -> None:
    cal = make_calendar(time_zone="Asia/Seoul")
    # Monday 09:00 + 24h of 9-hour days = Wednesday 15:00
    assert add_business_hours(at(SEOUL, 2026, 3, 2, 9), 24, cal) == at(SEOUL, 2026, 3, 4, 15)


def test_holidays_are_skipped() -> None:
    # Korean Independence Movement Day observed: Monday 2 March 2026.
    cal = make_calendar(time_zone="Asia/Seoul", holidays=[dt.date(2026, 3, 2)])
    assert add_business_hours(at(SEOUL, 2026, 2, 27, 17), 2, cal) == at(SEOUL, 2026, 3, 3, 10)


def test_custom_hours_and_saturday() -> None:
    cal = make_calendar(
        time_zone="Asia/Seoul",
        hours=[(d, dt.time(10), dt.time(14)) for d in range(6)],  # Mon-Sat 10-14
    )
    # Friday 13:00 + 3h -> 1h Fri, 2h Sat = Saturday 12:00
    assert add_business_hours(at(SEOUL, 2026, 3, 6, 13), 3, cal) == at(SEOUL, 2026, 3, 7, 12)


def test_dst_spring_forward_in_london() -> None:
    cal = make_calendar(time_zone="Europe/London")
    # Clocks go forward on Sunday 29 March 2026. Friday 17:00 GMT + 2h -> Monday 10:00 BST.
    due = add_business_hours(at(LONDON, 2026, 3, 27, 17), 2, cal)
    assert due == at(LONDON, 2026, 3, 30, 10)
    assert due.astimezone(LONDON).utcoffset() == dt.timedelta(hours=1)  # BST
    assert due.astimezone(dt.UTC).hour == 9


def test_dst_fall_back_in_london() -> None:
    cal = make_calendar(time_zone="Europe/London")
    # Clocks go back on Sunday 25 October 2026. Friday 17:00 BST + 2h -> Monday 10:00 GMT.
    due = add_business_hours(at(LONDON, 2026, 10, 23, 17), 2, cal)
    assert due == at(LONDON, 2026, 10, 26, 10)
    assert due.astimezone(dt.UTC).hour == 10


def test_calendar_hours_ignore_the_schedule() -> None:
    cal = make_calendar(time_zone="Europe/London")
    start = at(LONDON, 2026, 3, 28, 22)  # Saturday night before the clocks change
    due = add_hours(start, 24, cal, business_hours_only=False)
    assert due - start == dt.timedelta(hours=24)
    assert add_hours(start, 24, cal, business_hours_only=True) == at(LONDON, 2026, 4, 1, 15)


def test_no_open_day_falls_back_to_calendar_hours() -> None:
    cal = make_calendar(time_zone="Asia/Seoul", hours=[])
    start = at(SEOUL, 2026, 3, 4, 10)
    assert add_business_hours(start, 5, cal) == start + dt.timedelta(hours=5)


def test_business_time_between_counts_open_hours_only() -> None:
    cal = make_calendar(time_zone="Asia/Seoul")
    hours = dt.timedelta(hours=1)
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday
    friday, monday = at(SEOUL, 2026, 3, 6, 17), at(SEOUL, 2026, 3, 9, 10)
    assert business_time_between(friday, monday, cal) == 2 * hours
    assert elapsed(friday, monday, cal, business_hours_only=False) == 65 * hours
    # within one day, and backwards (nothing)
    assert business_time_between(at(SEOUL, 2026, 3, 4, 10), at(SEOUL, 2026, 3, 4, 12, 30), cal) == (
        dt.timedelta(hours=2, minutes=30)
    )
    assert business_time_between(monday, friday, cal) == dt.timedelta(0)
    # a holiday on the Monday: only Friday's hour and Tuesday's first hour
    holiday = make_calendar(time_zone="Asia/Seoul", holidays=[dt.date(2026, 3, 9)])
    tuesday = at(SEOUL, 2026, 3, 10, 10)
    assert business_time_between(friday, tuesday, holiday) == 2 * hours


def test_business_time_is_the_inverse_of_adding_business_hours() -> None:
    cal = make_calendar(time_zone="Europe/London")
    start = at(LONDON, 2026, 3, 26, 15, 20)  # across the spring DST change
    for hours in (1, 7.5, 24, 40):
        due = add_business_hours(start, hours, cal)
        assert business_time_between(start, due, cal) == dt.timedelta(hours=hours)
