"""Review invitations leaving the outbox: consent is checked again right before the email is
sent, since the contact may have unsubscribed or been erased after the rule queued it. A
stopped email is cancelled with the reason (the delivery log and the Invitations page show it;
the rule's run log marks its action skipped, see automation.sending)."""

from __future__ import annotations

from closeloop.advocacy.models import ReviewInvitation
from closeloop.advocacy.services import RELATED_TYPE
from closeloop.automation.sending import contact_block
from closeloop.integrations.models import Delivery
from closeloop.integrations.outbox import SendBlock, send_check


@send_check(RELATED_TYPE)
def _invitation_consent(delivery: Delivery) -> SendBlock | None:
    """A review invitation goes out only if its contact may still be emailed."""
    contact_id = (
        ReviewInvitation.objects.filter(pk=delivery.related_id)
        .values_list("contact_id", flat=True)
        .first()
    )
    return contact_block(str(contact_id or ""))
