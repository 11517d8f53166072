"""Announcement emails leaving the outbox: consent is checked again right before each is sent
(the contact may have unsubscribed or been erased while it waited), and the delivery's fate
becomes the recipient's status (sent, failed, or not sent with the reason)."""

from __future__ import annotations

from django.utils import timezone

from closeloop.initiatives.choices import RecipientStatus
from closeloop.initiatives.models import AnnouncementRecipient
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import SendBlock, on_delivery, send_check

RELATED_TYPE = "announcement"


@send_check(RELATED_TYPE)
def _announcement_consent(delivery: Delivery) -> SendBlock | None:
    """An announcement goes out only if its contact may still be emailed."""
    from closeloop.automation.sending import contact_block

    contact_id = (
        AnnouncementRecipient.objects.filter(pk=delivery.related_id)
        .values_list("contact_id", flat=True)
        .first()
    )
    return contact_block(str(contact_id or ""))


@on_delivery(RELATED_TYPE)
def _announcement_delivered(delivery: Delivery) -> None:
    """Sent -> the recipient is sent (an open seen first is kept); failed -> failed; stopped
    at send time -> not sent, with the reason, and not counted as told."""
    rows = AnnouncementRecipient.objects.filter(pk=delivery.related_id)
    now = timezone.now()
    if delivery.status == DeliveryStatus.SENT:
        rows.filter(status=RecipientStatus.PENDING).update(
            status=RecipientStatus.SENT, sent_at=delivery.sent_at or now, updated_at=now
        )
    elif delivery.status == DeliveryStatus.FAILED:
        rows.exclude(status=RecipientStatus.OPENED).update(
            status=RecipientStatus.FAILED, skip_reason=delivery.last_error[:300], updated_at=now
        )
    elif delivery.status == DeliveryStatus.CANCELLED:
        rows.exclude(status=RecipientStatus.OPENED).update(
            status=RecipientStatus.SKIPPED,
            skip_reason=delivery.last_error[:300],
            sent_at=None,
            updated_at=now,
        )
