"""The period of the customer advocacy review: whole days in the organization's time zone,
the previous period of the same length, and the settings' default length."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.initiatives.models import OuterLoopSettings

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

PRESETS = (7, 30, 90)


def review_settings_or_default(organization: Organization) -> OuterLoopSettings:
    """The org's settings row, or an unsaved one with the defaults (a read never writes)."""
    row = OuterLoopSettings.objects.filter(organization=organization).first()
    return row or OuterLoopSettings(organization=organization)


@dataclass(frozen=True)
class ReviewPeriod:
    """Whole days from `first_day` to `last_day` (included) in the organization's time zone."""

    first_day: dt.date
    last_day: dt.date
    time_zone: str
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return dt.datetime.combine(
            self.last_day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone
        )

    def previous(self) -> ReviewPeriod:
        """The period of the same length just before."""
        last = self.first_day - dt.timedelta(days=1)
        return ReviewPeriod(
            first_day=last - dt.timedelta(days=self.days - 1),
            last_day=last,
            time_zone=self.time_zone,
            preset=self.preset,
        )

    def text_period(self) -> Any:
        from closeloop.text.impact import Period

        return Period(start=self.start, end=self.end)


def review_period(
    *,
    organization: Organization,
    days: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    today: dt.date | None = None,
) -> ReviewPeriod:
    """The last `days` days up to today (default: the review period of the settings), or the
    custom dates given (`date_to` defaults to today)."""
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    today = today or timezone.now().astimezone(zone).date()
    if date_from is not None or date_to is not None:
        last = date_to or today
        first = date_from or last - dt.timedelta(days=review_settings_or_default(organization)
                                                  .review_period_days - 1)  # fmt: skip
        if first > last:
            raise DomainError(_("The first day must come before the last day."), field="from")
        if (last - first).days > 3 * 366:
            raise DomainError(_("Choose at most three years."), field="from")
        return ReviewPeriod(first, last, organization.time_zone, "custom")
    if days is None:
        days = review_settings_or_default(organization).review_period_days
    days = max(1, min(int(days), 3 * 366))
    first = today - dt.timedelta(days=days - 1)
    return ReviewPeriod(first, today, organization.time_zone, str(days))
