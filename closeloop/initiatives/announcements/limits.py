"""Who may be told: the recipients an announcement would go to now, and why some are skipped
(unsubscribed, erased, no email, or told too recently under the organization's announcement
frequency rules, counted apart from survey invitations); the rules themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.initiatives.choices import RecipientStatus
from closeloop.initiatives.models import (
    Announcement,
    AnnouncementRecipient,
    Initiative,
    OuterLoopSettings,
)
from closeloop.initiatives.recipients import Recipient, initiative_recipients, supported_language

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization, User
    from closeloop.contacts.models import Contact


# Skip reasons, stored as codes and worded when shown (see `skip_reason_text`).
SKIP_UNSUBSCRIBED = "unsubscribed"
SKIP_ERASED = "erased"
SKIP_NO_EMAIL = "no_email"
SKIP_TOO_SOON = "too_soon"
SKIP_MONTHLY = "monthly_limit"


def outer_loop_settings(*, organization: Organization) -> OuterLoopSettings:
    """The organization's outer-loop settings, created with the defaults on first use."""
    row, _created = OuterLoopSettings.objects.get_or_create(organization=organization)
    return row


def skip_reason_text(code: str, row: OuterLoopSettings | None = None) -> str:
    """The reason a recipient was not sent the announcement, in words."""
    if code == SKIP_UNSUBSCRIBED or code == "contact unsubscribed":
        return _("Unsubscribed: they asked not to receive emails.")
    if code == SKIP_ERASED or code == "contact erased":
        return _("Erased (GDPR): nothing is sent to them again.")
    if code == SKIP_NO_EMAIL:
        return _("No email address.")
    if code == SKIP_TOO_SOON:
        days = row.announcement_min_days_between if row is not None else 0
        return _(
            "Told about another initiative less than %(days)s days ago (announcement "
            "frequency rule)."
        ) % {"days": days}
    if code == SKIP_MONTHLY:
        limit = row.announcement_max_per_month if row is not None else 0
        return _(
            "Already received %(limit)s announcements in the last 30 days (announcement "
            "frequency rule)."
        ) % {"limit": limit}
    return code


def _frequency_block(
    row: OuterLoopSettings, contact_id: Any, announcement: Announcement, now: dt.datetime
) -> str | None:
    """Whether another announcement reached this contact too recently (survey invitations do
    not count: announcements have their own rules). 0 turns a rule off."""
    told = AnnouncementRecipient.objects.filter(
        organization_id=announcement.organization_id,
        contact_id=contact_id,
        sent_at__isnull=False,
        status__in=(RecipientStatus.PENDING, RecipientStatus.SENT, RecipientStatus.OPENED),
    ).exclude(announcement_id=announcement.pk)
    days = row.announcement_min_days_between
    if days and told.filter(sent_at__gt=now - timedelta(days=days)).exists():
        return SKIP_TOO_SOON
    limit = row.announcement_max_per_month
    if limit and told.filter(sent_at__gt=now - timedelta(days=30)).count() >= limit:
        return SKIP_MONTHLY
    return None


def contact_skip_reason(contact: Contact | None, email: str = "") -> str | None:
    """Why a person may not be emailed at all (unsubscribed, erased, no email), or None."""
    if contact is None:
        return None if email else SKIP_NO_EMAIL
    if contact.erased_at is not None:
        return SKIP_ERASED
    if contact.unsubscribed_at is not None:
        return SKIP_UNSUBSCRIBED
    if not contact.email:
        return SKIP_NO_EMAIL
    return None


@dataclass
class PlannedRecipient:
    """A recipient as the composer sees them: who, language, why linked, whether skipped."""

    recipient: Recipient
    skip: str | None
    skip_text: str


def recipients_planned(
    *, initiative: Initiative, announcement: Announcement | None = None
) -> list[PlannedRecipient]:
    """The people the announcement would go to now, each with the reason they would be skipped."""
    row = outer_loop_settings(organization=initiative.organization)
    now = timezone.now()
    probe = announcement or Announcement(organization=initiative.organization)
    planned = []
    for recipient in initiative_recipients(initiative):
        skip = contact_skip_reason(recipient.contact, recipient.email)
        if skip is None and recipient.contact is not None:
            skip = _frequency_block(row, recipient.contact.pk, probe, now)
        planned.append(
            PlannedRecipient(recipient, skip, skip_reason_text(skip, row) if skip else "")
        )
    return planned


def recipient_languages(planned: list[PlannedRecipient], default: str) -> list[str]:
    """The languages the composer writes in: the default, then each one recipients need."""
    languages = [supported_language(default) or "en"]
    for item in planned:
        if item.recipient.language not in languages:
            languages.append(item.recipient.language)
    return languages


def outer_loop_settings_update(
    *,
    organization: Organization,
    actor: User | None = None,
    announcement_min_days_between: int,
    announcement_max_per_month: int,
) -> OuterLoopSettings:
    """Change how often one contact may receive announcements."""
    if announcement_min_days_between < 0 or announcement_min_days_between > 365:
        raise DomainError(
            _("Give a number of days from 0 to 365."), field="announcement_min_days_between"
        )
    if announcement_max_per_month < 0 or announcement_max_per_month > 31:
        raise DomainError(_("Give a number from 0 to 31."), field="announcement_max_per_month")
    row = outer_loop_settings(organization=organization)
    row.announcement_min_days_between = announcement_min_days_between
    row.announcement_max_per_month = announcement_max_per_month
    row.save(
        update_fields=[
            "announcement_min_days_between",
            "announcement_max_per_month",
            "updated_at",
        ]
    )
    activity_record(
        organization=organization, verb="announcement_settings.updated", actor=actor,
        target=row, data={"min_days": announcement_min_days_between,
                          "max_per_month": announcement_max_per_month},
    )  # fmt: skip
    return row


def access_recipient(*, organization: Organization, announcement: Announcement, key: str) -> Any:
    """A planned recipient of a draft by its key (contact id or "email:<address>"), or 404."""
    for item in recipients_planned(initiative=announcement.initiative, announcement=announcement):
        if item.recipient.key == key:
            return item.recipient
    raise Http404
