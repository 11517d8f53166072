"""Contact frequency rules: whether a contact may be asked now, and if not, which rule says no.

One function serves every channel (email campaigns, event triggers, the website widget), so a
contact is never worn out by one channel while another respects the limits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from closeloop.distribution.choices import InvitationStatus, ListeningChannel, SuppressionReason
from closeloop.distribution.models import FrequencyPolicy, Invitation

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact
    from closeloop.surveys.models import Survey

# Invitations that reached the contact and so count against the limits.
DELIVERED_STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.OPENED,
    InvitationStatus.STARTED,
    InvitationStatus.COMPLETED,
    InvitationStatus.UNSUBSCRIBED,
)


@dataclass(frozen=True)
class EffectivePolicy:
    """The limits in force for one survey: its own policy, else the organization's."""

    min_days_between: int
    max_per_month: int | None
    skip_if_completed_within_days: int | None
    skip_if_declined_within_days: int | None


def org_policy(organization: Organization) -> FrequencyPolicy:
    """The organization-wide policy, created with the defaults the first time it is needed."""
    policy, _created = FrequencyPolicy.objects.get_or_create(organization=organization, survey=None)
    return policy


def effective_policy(*, organization: Organization, survey: Survey | None) -> EffectivePolicy:
    policy = None
    if survey is not None:
        policy = FrequencyPolicy.objects.filter(organization=organization, survey=survey).first()
    if policy is None:
        policy = org_policy(organization)
    return EffectivePolicy(
        min_days_between=policy.min_days_between,
        max_per_month=policy.max_per_month,
        skip_if_completed_within_days=policy.skip_if_completed_within_days,
        skip_if_declined_within_days=policy.skip_if_declined_within_days,
    )


def frequency_check(
    *,
    organization: Organization,
    survey: Survey,
    contact: Contact,
    channel: str,
    now: dt.datetime | None = None,
    exclude_invitation_id: uuid.UUID | str | None = None,
) -> SuppressionReason | None:
    """None if the contact may be invited now; otherwise the rule that stops it."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    now = now or timezone.now()
    if contact.erased_at is not None:
        return SuppressionReason.ERASED
    if contact.unsubscribed_at is not None:
        return SuppressionReason.UNSUBSCRIBED
    if channel == ListeningChannel.EMAIL and not contact.email:
        return SuppressionReason.NO_EMAIL

    policy = effective_policy(organization=organization, survey=survey)
    # Invitations that reached the contact, and queued ones that will (a trigger's delayed
    # invitation, a widget waiting for the next visit), each at the time it was or will be sent
    # (an overdue queued one goes out at the next pass, so not before it was created):
    # otherwise two events a day apart would both schedule an invitation two days later.
    # `now` is when the new invitation goes out, which may be in the future.
    reached = (
        Invitation.objects.filter(organization=organization, contact=contact)
        .filter(
            Q(status__in=DELIVERED_STATUSES, sent_at__isnull=False)
            | Q(status=InvitationStatus.QUEUED)
        )
        .annotate(
            reached_at=Coalesce(
                "sent_at", Greatest(Coalesce("send_after", "created_at"), "created_at")
            )
        )
    )
    if exclude_invitation_id is not None:
        reached = reached.exclude(pk=exclude_invitation_id)
    if policy.min_days_between:
        window = dt.timedelta(days=policy.min_days_between)
        if reached.filter(reached_at__gt=now - window, reached_at__lt=now + window).exists():
            return SuppressionReason.MIN_DAYS
    if policy.max_per_month:
        since = now - dt.timedelta(days=30)
        if reached.filter(reached_at__gt=since).count() >= policy.max_per_month:
            return SuppressionReason.MONTHLY_MAX
    if policy.skip_if_completed_within_days:
        since = now - dt.timedelta(days=policy.skip_if_completed_within_days)
        answered = Response.objects.filter(
            organization=organization,
            survey=survey,
            contact_id=contact.pk,
            status=ResponseStatus.COMPLETE,
            completed_at__gt=since,
        )
        if answered.exists():
            return SuppressionReason.RECENT_COMPLETED
    if policy.skip_if_declined_within_days:
        since = now - dt.timedelta(days=policy.skip_if_declined_within_days)
        declined = Invitation.objects.filter(
            organization=organization, survey=survey, contact=contact, declined_at__gt=since
        )
        if declined.exists():
            return SuppressionReason.RECENT_DECLINED
    return None
