"""GDPR export and erasure for the outbox: the emails sent (or kept by the demo mailbox) to a
contact's address."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from closeloop.contacts import gdpr
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus, MailboxMessage
from closeloop.integrations.outbox import DUE_STATUSES, ERASED_REASON

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from closeloop.contacts.models import Contact


def _emails_to(contact: Contact) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        organization_id=contact.organization_id,
        kind=DeliveryKind.EMAIL,
        target__iexact=contact.email or "",
    )


def _addressed_to(message: MailboxMessage, email: str) -> bool:
    """Whether one of the message's recipients ("Name <a@b>" or "a@b") is this address."""
    return any(parseaddr(str(a))[1].strip().lower() == email for a in message.to or [])


@gdpr.exporter("emails")
def export_emails(contact: Contact) -> list[dict[str, Any]]:
    """The emails the organization queued for the contact's address, and what became of them."""
    if not contact.email:
        return []
    return [
        {
            "id": str(d.pk),
            "subject": str((d.payload or {}).get("subject", "")),
            "status": d.status,
            "created_at": d.created_at.isoformat(),
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        }
        for d in _emails_to(contact).order_by("created_at")
    ]


def _scrub_messages(contact: Contact, terms: list[str]) -> None:
    """Webhook, Slack and Teams messages that carried the contact's email or external id (a
    contact.unsubscribed event, a response with its contact) keep their shape, not the name."""
    keys = [k for k in (contact.email, contact.external_id) if k]
    if not keys:
        return
    mentions = Q()
    for key in keys:
        mentions |= Q(payload__icontains=key)
    rows = Delivery.objects.filter(mentions, organization_id=contact.organization_id).exclude(
        kind=DeliveryKind.EMAIL
    )
    for delivery in rows:
        delivery.payload = gdpr.scrub(delivery.payload, terms)
        delivery.response_body = gdpr.scrub(delivery.response_body, terms)
        delivery.save(update_fields=["payload", "response_body", "updated_at"])


@gdpr.eraser("outbox")
def erase_outbox(contact: Contact, terms: list[str]) -> None:
    """Emails to the contact's address: unsent ones are cancelled, every one loses its address
    and content; copies in the demo mailbox are deleted; other messages that named the contact
    are scrubbed."""
    _scrub_messages(contact, terms)
    email = (contact.email or "").strip().lower()
    if not email:
        return
    now = timezone.now()
    rows = _emails_to(contact)
    rows.filter(status__in=DUE_STATUSES).update(
        status=DeliveryStatus.CANCELLED, last_error=ERASED_REASON, updated_at=now
    )
    for delivery in rows:
        delivery.target = gdpr.REMOVED
        delivery.payload = {"erased": True}
        delivery.response_body = gdpr.scrub(delivery.response_body, terms)
        delivery.last_error = gdpr.scrub(delivery.last_error, terms)
        delivery.save(
            update_fields=["target", "payload", "response_body", "last_error", "updated_at"]
        )
    kept = MailboxMessage.objects.filter(organization_id=contact.organization_id).only("pk", "to")
    doomed = [m.pk for m in kept.iterator() if _addressed_to(m, email)]
    if doomed:
        MailboxMessage.objects.filter(pk__in=doomed).delete()
