"""What happens to a rule's messages when they leave the outbox.

Consent is checked twice: when the rule runs (the action is skipped) and again right before the
outbox sends an email to the respondent (the contact may have unsubscribed or been erased while
it waited). A message stopped at send time is cancelled in the outbox, and the rule's run log
says so: its action turns from *done* to *skipped*, with the reason.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.automation.actions import RESPONDENT_EMAIL
from closeloop.automation.choices import ActionStatus
from closeloop.automation.models import RuleRun
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import ERASED_REASON, SendBlock, on_delivery, send_check

UNSUBSCRIBED_REASON = "contact unsubscribed"
KEY_PREFIX = "automation:"
# Review invitations are the advocacy app's rows; their consent check lives there.
REVIEW_INVITATION = "review_invitation"


def contact_block(contact_id: str) -> SendBlock | None:
    """Why a contact may not be emailed now (erased, unsubscribed), or None."""
    from closeloop.contacts.models import Contact

    contact = (
        Contact.objects.filter(pk=contact_id).only("erased_at", "unsubscribed_at").first()
        if contact_id
        else None
    )
    if contact is None or contact.erased_at is not None:
        return SendBlock(
            reason=ERASED_REASON,
            message=_("The contact was erased (GDPR): nothing is sent to them again."),
        )
    if contact.unsubscribed_at is not None:
        return SendBlock(
            reason=UNSUBSCRIBED_REASON,
            message=_("The contact has unsubscribed: this email is not sent to them again."),
        )
    return None


@send_check(RESPONDENT_EMAIL)
def _respondent_consent(delivery: Delivery) -> SendBlock | None:
    """An "email the respondent" message goes out only if its contact may still be emailed."""
    return contact_block(delivery.related_id)


def _run_and_index(delivery: Delivery) -> tuple[str, str, int] | None:
    """(rule id, event key, action index) of a message a rule queued, from its outbox key
    "automation:<rule>:<event key>:<index>:<address>"."""
    key = delivery.idempotency_key
    suffix = f":{delivery.target.strip().lower()}"
    if not key.startswith(KEY_PREFIX) or not key.endswith(suffix):
        return None
    rule_id, _sep, rest = key[len(KEY_PREFIX) : -len(suffix)].partition(":")
    event_key, _sep, index = rest.rpartition(":")
    if not rule_id or not event_key or not index.isdigit():
        return None
    return rule_id, event_key, int(index)


def _reason_text(reason: str) -> str:
    if reason == UNSUBSCRIBED_REASON:
        return _("Not sent: the contact unsubscribed before it went out.")
    if reason == ERASED_REASON:
        return _("Not sent: the contact was erased before it went out.")
    return _("Not sent: %(reason)s.") % {"reason": reason}


def _stopped_at_send(delivery: Delivery) -> None:
    """A rule's email cancelled at send time: its run log entry says it was skipped, and why."""
    if delivery.status != DeliveryStatus.CANCELLED:
        return
    found = _run_and_index(delivery)
    if found is None:
        return
    rule_id, event_key, index = found
    with transaction.atomic():
        run = (
            RuleRun.objects.select_for_update()
            .select_related("organization")
            .filter(rule_id=rule_id, event_key=event_key)
            .first()
        )
        if run is None or index >= len(run.action_results or []):
            return
        with translation.override(run.organization.default_language):
            detail = _reason_text(delivery.last_error)
        results = list(run.action_results)
        results[index] = {
            **results[index],
            "status": str(ActionStatus.SKIPPED),
            "detail": detail,
            "stopped_at_send": delivery.last_error,
        }
        run.action_results = results
        run.save(update_fields=["action_results", "updated_at"])


on_delivery(RESPONDENT_EMAIL)(_stopped_at_send)
on_delivery(REVIEW_INVITATION)(_stopped_at_send)
