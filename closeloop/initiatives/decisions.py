"""Writes of the customer advocacy review: decisions recorded against themes at a meeting, and
the review's meeting and digest settings (the announcement_* fields belong to announcements)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.initiatives.choices import DecisionKind
from closeloop.initiatives.models import Decision, Initiative, OuterLoopSettings

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.text.models import Theme

register_verbs(
    {
        "decision.recorded": gettext_lazy("recorded an advocacy review decision"),
        "review.settings_changed": gettext_lazy("changed the advocacy review settings"),
        "review.digest_sent": gettext_lazy("sent the advocacy review digest"),
    }
)

MAX_TEXT = 4000
# The digest may go out up to a week before the meeting (a longer lead would overlap the
# previous meeting's window).
MAX_HOURS_BEFORE = 167
MAX_PERIOD_DAYS = 366


def org_today(organization: Organization, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the organization's time zone."""
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    return (now or timezone.now()).astimezone(zone).date()


def decision_record(
    *,
    organization: Organization,
    kind: str,
    text: str,
    theme: Theme | None = None,
    initiative: Initiative | None = None,
    meeting_on: dt.date | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Decision:
    """Record what the advocacy review decided (about a theme, or in general) at a meeting
    (default: today in the organization's time zone)."""
    text = (text or "").strip()
    if kind not in DecisionKind.values:
        raise DomainError(_("Choose what was decided."), field="kind")
    if not text:
        raise DomainError(_("Write down what was decided."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}, field="text")
    if theme is not None and theme.organization_id != organization.pk:
        raise DomainError(_("Choose one of your themes."), field="theme")
    if initiative is not None and initiative.organization_id != organization.pk:
        raise DomainError(_("Choose one of your initiatives."), field="initiative")
    meeting_on = meeting_on or org_today(organization)
    with transaction.atomic():
        decision = Decision.objects.create(
            organization=organization,
            meeting_on=meeting_on,
            theme=theme,
            kind=kind,
            text=text,
            initiative=initiative,
            author=actor,
        )
        activity_record(
            organization=organization, actor=actor, api_key=api_key, verb="decision.recorded",
            target=decision,
            data={"kind": kind, "theme": theme.key if theme else None,
                  "meeting_on": meeting_on.isoformat()},
        )  # fmt: skip
    return decision


def review_settings_of(organization: Organization) -> OuterLoopSettings:
    """The organization's outer-loop settings row (created with the defaults on first use)."""
    row, _created = OuterLoopSettings.objects.get_or_create(organization=organization)
    return row


REVIEW_FIELDS = (
    "meeting_weekday",
    "meeting_time",
    "digest_hours_before",
    "review_period_days",
    "digest_enabled",
)


def review_settings_update(
    *,
    organization: Organization,
    actor: User | None,
    meeting_weekday: int,
    meeting_time: dt.time,
    digest_hours_before: int,
    review_period_days: int,
    digest_enabled: bool,
) -> OuterLoopSettings:
    """Change the review's meeting (weekday and time, org time zone), the digest's lead time,
    the default period and whether the digest is sent."""
    if not 0 <= meeting_weekday <= 6:
        raise DomainError(_("Choose a weekday."), field="meeting_weekday")
    if not 1 <= digest_hours_before <= MAX_HOURS_BEFORE:
        raise DomainError(
            _("Choose from 1 to %(n)s hours.") % {"n": MAX_HOURS_BEFORE},
            field="digest_hours_before",
        )
    if not 1 <= review_period_days <= MAX_PERIOD_DAYS:
        raise DomainError(
            _("Choose from 1 to %(n)s days.") % {"n": MAX_PERIOD_DAYS}, field="review_period_days"
        )
    values: dict[str, Any] = {
        "meeting_weekday": meeting_weekday,
        "meeting_time": meeting_time,
        "digest_hours_before": digest_hours_before,
        "review_period_days": review_period_days,
        "digest_enabled": digest_enabled,
    }
    with transaction.atomic():
        row, _created = OuterLoopSettings.objects.select_for_update().get_or_create(
            organization=organization
        )
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        for key, value in values.items():
            setattr(row, key, value)
        # Only the review's fields: announcements own the others on the same row.
        row.save(update_fields=[*REVIEW_FIELDS, "updated_at"])
        activity_record(
            organization=organization, actor=actor, verb="review.settings_changed",
            data={k: str(v) for k, v in changed.items()},
        )  # fmt: skip
    return row
