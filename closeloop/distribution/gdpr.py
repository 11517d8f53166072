"""GDPR export and erasure for distribution: a contact's invitations and business events.

Erasure keeps the rows (a campaign's counts and an event log stay true) but detaches them from
the contact and scrubs the text that names them; emails to them that were not sent yet are
cancelled, and the outbox rows of their invitations lose the address and the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.contacts import gdpr
from closeloop.distribution.choices import InvitationStatus, SuppressionReason
from closeloop.distribution.models import Event, Invitation
from closeloop.distribution.sending import INVITATION, REMINDER
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import DUE_STATUSES, ERASED_REASON

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@gdpr.exporter("invitations")
def export_invitations(contact: Contact) -> list[dict[str, Any]]:
    """Every ask of the contact: survey, channel, status, times, and the rule that stopped it."""
    rows = (
        Invitation.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
        .select_related("survey", "campaign", "touchpoint")
        .order_by("created_at")
    )
    reasons = dict(SuppressionReason.choices)
    return [
        {
            "id": str(inv.pk),
            "survey": {"id": str(inv.survey_id), "name": inv.survey.name},
            "campaign": inv.campaign.name if inv.campaign is not None else None,
            "touchpoint": inv.touchpoint.name if inv.touchpoint is not None else None,
            "channel": inv.channel,
            "language": inv.language,
            "status": inv.status,
            "stopped_by": inv.suppressed_reason or None,
            "stopped_by_label": str(reasons[inv.suppressed_reason])
            if inv.suppressed_reason in reasons
            else None,
            "period": inv.period or None,
            "created_at": inv.created_at.isoformat(),
            "send_after": _iso(inv.send_after),
            "sent_at": _iso(inv.sent_at),
            "opened_at": _iso(inv.opened_at),
            "started_at": _iso(inv.started_at),
            "completed_at": _iso(inv.completed_at),
            "declined_at": _iso(inv.declined_at),
            "reminders_sent": inv.reminders_sent,
            "last_reminder_at": _iso(inv.last_reminder_at),
            "error": inv.error or None,
        }
        for inv in rows
    ]


@gdpr.exporter("events")
def export_events(contact: Contact) -> list[dict[str, Any]]:
    """The business events received about the contact, with their properties."""
    rows = Event.objects.filter(
        organization_id=contact.organization_id, contact_id=contact.pk
    ).order_by("occurred_at", "created_at")
    return [
        {
            "id": str(event.pk),
            "type": event.event_type,
            "event_id": event.event_id or None,
            "time": event.occurred_at.isoformat(),
            "received_at": event.created_at.isoformat(),
            "outcome": event.outcome,
            "properties": event.properties,
        }
        for event in rows
    ]


@gdpr.eraser("invitations")
def erase_invitations(contact: Contact, terms: list[str]) -> None:
    """Invitations stay for the statistics, without the contact; unsent emails are cancelled
    and every email of theirs loses its address and content."""
    now = timezone.now()
    invitations = Invitation.objects.filter(
        organization_id=contact.organization_id, contact_id=contact.pk
    )
    ids = [str(pk) for pk in invitations.values_list("pk", flat=True)]
    mails = Delivery.objects.filter(
        Q(related_type=INVITATION) | Q(related_type=REMINDER), related_id__in=ids
    )
    mails.filter(status__in=DUE_STATUSES).update(
        status=DeliveryStatus.CANCELLED, last_error=ERASED_REASON, updated_at=now
    )
    for delivery in mails:
        delivery.target = gdpr.REMOVED
        delivery.payload = {"erased": True}
        delivery.response_body = gdpr.scrub(delivery.response_body, terms)
        delivery.last_error = gdpr.scrub(delivery.last_error, terms)
        delivery.save(
            update_fields=["target", "payload", "response_body", "last_error", "updated_at"]
        )
    invitations.filter(status=InvitationStatus.QUEUED).update(
        status=InvitationStatus.CANCELLED, error=_("The contact was erased."), updated_at=now
    )
    for invitation in invitations.exclude(error=""):
        cleaned = gdpr.scrub(invitation.error, terms)
        if cleaned != invitation.error:
            Invitation.objects.filter(pk=invitation.pk).update(error=cleaned)
    invitations.update(contact=None, updated_at=now)


@gdpr.eraser("events")
def erase_events(contact: Contact, terms: list[str]) -> None:
    """Events stay, detached: property values (and rule details) naming the contact are
    replaced by [removed]; the keys stay so the log still reads."""
    events = Event.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
    for event in events:
        event.properties = gdpr.scrub(event.properties, terms)
        event.details = gdpr.scrub(event.details, terms)
        if event.event_id and gdpr.scrub(event.event_id, terms) != event.event_id:
            # The id stays unique in the organization; the contact's email inside it goes.
            event.event_id = f"{gdpr.REMOVED}:{event.pk}"
        event.contact_id = None
        event.save(update_fields=["properties", "details", "event_id", "contact_id", "updated_at"])
