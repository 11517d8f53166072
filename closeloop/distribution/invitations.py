"""Invitations: the one place an ask of a contact is created (any channel) and changes status."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from closeloop.distribution.choices import InvitationStatus, SuppressionReason
from closeloop.distribution.frequency import frequency_check
from closeloop.distribution.models import Campaign, Event, Invitation, Touchpoint, TriggerRule
from closeloop.lib.tokens import hash_token
from closeloop.responses.models import PersonalLink
from closeloop.surveys.choices import SurveyStatus

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact
    from closeloop.surveys.models import Survey

# Forward-only progress of an invitation; a status never moves back down this order.
PROGRESS = [
    InvitationStatus.QUEUED,
    InvitationStatus.SENT,
    InvitationStatus.OPENED,
    InvitationStatus.STARTED,
    InvitationStatus.COMPLETED,
]
FINAL = {
    InvitationStatus.BOUNCED,
    InvitationStatus.FAILED,
    InvitationStatus.UNSUBSCRIBED,
    InvitationStatus.SUPPRESSED,
    InvitationStatus.CANCELLED,
}


def invitation_token(invitation: Invitation) -> str:
    """The personal link's secret, derived from the invitation so it need not be stored:
    only its hash is kept, and the sender can rebuild the link at send time."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"invitation:{invitation.pk}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_url(invitation: Invitation) -> str:
    return f"{settings.BASE_URL}/s/{invitation_token(invitation)}/"


def _survey_language(survey: Survey, contact: Contact) -> str:
    version = survey.current_version
    if version is None:
        return contact.language or survey.organization.default_language
    languages = version.definition.get("languages") or []
    default = version.definition.get("default_language") or "en"
    return contact.language if contact.language in languages else default


def _invited_in_period(
    organization: Organization, survey: Survey, contact: Contact, period: str
) -> bool:
    """Whether a recurring survey already asked this contact in this period."""
    return (
        Invitation.objects.filter(
            organization=organization, survey=survey, contact=contact, period=period
        )
        .exclude(status=InvitationStatus.SUPPRESSED)
        .exists()
    )


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    survey: Survey,
    contact: Contact,
    channel: str,
    campaign: Campaign | None = None,
    trigger: TriggerRule | None = None,
    event: Event | None = None,
    touchpoint: Touchpoint | None = None,
    send_after: dt.datetime | None = None,
    period: str = "",
    now: dt.datetime | None = None,
) -> Invitation:
    """Create an invitation: queued with a personal link, or suppressed naming the rule that
    stopped it (frequency, consent, a closed survey). Frequency rules count every channel."""
    now = now or timezone.now()
    reason: str | None = None
    if survey.status != SurveyStatus.ACTIVE or survey.current_version_id is None:
        reason = SuppressionReason.SURVEY_CLOSED
    else:
        # Lock the contact so two concurrent invitations cannot both pass the frequency check.
        type(contact).objects.select_for_update().filter(pk=contact.pk).first()
        if period and _invited_in_period(organization, survey, contact, period):
            reason = SuppressionReason.PERIOD_ALREADY
        else:
            reason = frequency_check(
                organization=organization, survey=survey, contact=contact, channel=channel, now=now
            )
    invitation = Invitation(
        organization=organization,
        survey=survey,
        contact=contact,
        campaign=campaign,
        trigger=trigger,
        event=event,
        touchpoint=touchpoint or (campaign.touchpoint if campaign else None),
        channel=channel,
        language=_survey_language(survey, contact),
        period=period,
        send_after=send_after or now,
    )
    if reason is not None:
        invitation.status = InvitationStatus.SUPPRESSED
        invitation.suppressed_reason = reason
        invitation.save()
        return invitation
    invitation.save()
    link = PersonalLink.objects.create(
        organization=organization,
        survey=survey,
        contact_id=contact.pk,
        token_hash=hash_token(invitation_token(invitation)),
        channel=channel,
        language=invitation.language,
        touchpoint_id=invitation.touchpoint_id,
    )
    invitation.personal_link = link
    invitation.save(update_fields=["personal_link", "updated_at"])
    return invitation


def invitation_advance(
    *, invitation_id: uuid.UUID | str, status: str, at: dt.datetime | None = None, error: str = ""
) -> bool:
    """Move an invitation forward (sent, opened, started, completed) or to a final state
    (bounced, failed, unsubscribed); never backwards. True if the status changed."""
    at = at or timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.status in FINAL - {InvitationStatus.UNSUBSCRIBED}:
            return False
        current = InvitationStatus(invitation.status)
        if status in PROGRESS:
            if current not in PROGRESS or PROGRESS.index(current) >= PROGRESS.index(
                InvitationStatus(status)
            ):
                return False
        elif current == status:
            return False
        stamp_field = {
            InvitationStatus.SENT: "sent_at",
            InvitationStatus.OPENED: "opened_at",
            InvitationStatus.STARTED: "started_at",
            InvitationStatus.COMPLETED: "completed_at",
        }.get(InvitationStatus(status))
        invitation.status = status
        fields = ["status", "updated_at"]
        if stamp_field and getattr(invitation, stamp_field) is None:
            setattr(invitation, stamp_field, at)
            fields.append(stamp_field)
        if error:
            invitation.error = error[:2000]
            fields.append("error")
        invitation.save(update_fields=fields)
    return True
