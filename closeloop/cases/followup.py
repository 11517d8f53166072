"""The follow-up micro-survey sent when a case is resolved: "Did we resolve your issue?" with
Yes/No links and a fresh 0-10 score, answered on a small public page. A link only opens the
page with the choice made (mail scanners open links too); the customer's button records it.

It is a survey email, so it respects consent: a customer who unsubscribed or was erased is not
sent one (checked when the case is resolved and again right before the email leaves), and the
timeline says why.

"Recovered" customer: the case came from a detractor (NPS 0-6) and the follow-up score is
higher than the original AND at least 7, i.e. the customer is no longer a detractor. A case
without a detractor response, or without a follow-up score, is neither recovered nor not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.models import Case
from closeloop.cases.services import _event, _lock, _move
from closeloop.core.errors import DomainError, NotFoundError
from closeloop.core.services import activity_record
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus
from closeloop.integrations.outbox import (
    ERASED_REASON,
    SendBlock,
    delivery_enqueue,
    on_delivery,
    send_check,
)

RELATED_TYPE = "case_follow_up"
REPLY_RELATED_TYPE = "case_reply"
# Why a follow-up was not sent (stable keys: the timeline and the outbox log keep them).
NO_EMAIL = "no email"
UNSUBSCRIBED = "contact unsubscribed"
ERASED = ERASED_REASON
SALT = "closeloop.cases.follow-up"
# Links work for 60 days.
MAX_AGE = 60 * 24 * 3600
RECOVERED_MIN_SCORE = 7
DETRACTOR_MAX = 6


def follow_up_token(case: Case) -> str:
    """A signed token naming the case and the follow-up round (its sent time)."""
    sent = case.follow_up_sent_at.timestamp() if case.follow_up_sent_at else 0
    return signing.dumps({"c": str(case.pk), "s": int(sent)}, salt=SALT, compress=True)


def follow_up_case(*, token: str) -> Case:
    """The case a follow-up link belongs to, or NotFoundError (bad, expired or old link)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        raise NotFoundError(_("This link is not valid.")) from None
    case = Case.objects.select_related("organization", "contact").filter(pk=data.get("c")).first()
    if case is None or case.follow_up_sent_at is None:
        raise NotFoundError(_("This link is not valid."))
    if int(case.follow_up_sent_at.timestamp()) != data.get("s"):
        raise NotFoundError(_("This link belongs to an earlier follow-up."))
    return case


def follow_up_url(case: Case, **params: Any) -> str:
    path = reverse("cases_public:follow_up", args=[follow_up_token(case)])
    query = f"?{urlencode(params)}" if params else ""
    return settings.BASE_URL.rstrip("/") + path + query


def is_recovered(original: int | None, score: int | None) -> bool | None:
    """Detractor whose follow-up score rose out of the detractor range; None if unknown."""
    if original is None or original > DETRACTOR_MAX or score is None:
        return None
    return score > original and score >= RECOVERED_MIN_SCORE


def skip_reason(contact: Any) -> str:
    """Why the customer may not get a follow-up (no address, unsubscribed, erased), or ""."""
    if contact is None:
        return NO_EMAIL
    if contact.erased_at is not None:
        return ERASED
    if not contact.email:
        return NO_EMAIL
    if contact.unsubscribed_at is not None:
        return UNSUBSCRIBED
    return ""


def follow_up_send(*, case: Case) -> bool:
    """Email the follow-up micro-survey to the customer; True if queued. A customer without an
    address, unsubscribed or erased gets none, and the timeline says why."""
    contact = case.contact
    reason = skip_reason(contact)
    if reason or contact is None or not contact.email:
        _event(case, CaseEventKind.FOLLOW_UP_SKIPPED, None, reason=reason or NO_EMAIL)
        return False
    now = timezone.now()
    case.follow_up_sent_at = now
    case.follow_up_answered_at = None
    case.follow_up_resolved = None
    case.follow_up_score = None
    case.recovered = None
    case.save(
        update_fields=[
            "follow_up_sent_at", "follow_up_answered_at", "follow_up_resolved",
            "follow_up_score", "recovered", "updated_at",
        ]
    )  # fmt: skip
    language = case.language or case.organization.default_language
    context = {
        "case": case,
        "org": case.organization,
        "yes_url": follow_up_url(case, resolved="yes"),
        "no_url": follow_up_url(case, resolved="no"),
        "score_urls": [(n, follow_up_url(case, score=n)) for n in range(11)],
    }
    from closeloop.contacts.services import list_unsubscribe_headers, unsubscribe_url

    context["unsubscribe_url"] = unsubscribe_url(contact)
    with translation.override(language):
        subject = _("Did we resolve your issue? [#%(number)s]") % {"number": case.number}
        text = render_to_string("cases/email/follow_up.txt", context)
        html = render_to_string("cases/email/follow_up.html", context)
    delivery = delivery_enqueue(
        organization=case.organization,
        kind=DeliveryKind.EMAIL,
        target=contact.email,
        payload={
            "subject": subject,
            "text": text,
            "html": html,
            "headers": list_unsubscribe_headers(contact),
            "case_round": int(now.timestamp()),
        },
        idempotency_key=f"case-follow-up:{case.pk}:{int(now.timestamp())}",
        related_type=RELATED_TYPE,
        related_id=str(case.pk),
    )
    _event(
        case,
        CaseEventKind.FOLLOW_UP_SENT,
        None,
        at=now,
        to=contact.email,
        delivery=str(delivery.pk),
    )
    return True


@transaction.atomic
def follow_up_answer(*, case: Case, resolved: bool | None, score: int | None) -> Case:
    """Record the customer's follow-up answer: "no" reopens the case, "yes" closes it; a score
    decides whether a detractor was recovered. Answering again may change the answer."""
    if score is not None and not 0 <= score <= 10:
        raise DomainError(_("Choose a score from 0 to 10."), field="score")
    if resolved is None and score is None:
        return case
    locked = _lock(case)
    changed: dict[str, Any] = {}
    if resolved is not None and resolved != locked.follow_up_resolved:
        locked.follow_up_resolved = resolved
        changed["resolved"] = resolved
    if score is not None and score != locked.follow_up_score:
        locked.follow_up_score = score
        changed["score"] = score
    if not changed:
        return locked
    locked.follow_up_answered_at = timezone.now()
    locked.recovered = is_recovered(locked.original_score, locked.follow_up_score)
    locked.save(
        update_fields=[
            "follow_up_resolved", "follow_up_score", "follow_up_answered_at", "recovered",
            "updated_at",
        ]
    )  # fmt: skip
    _event(
        locked,
        CaseEventKind.FOLLOW_UP_ANSWERED,
        None,
        by_customer=True,
        recovered=locked.recovered,
        **changed,
    )
    activity_record(
        organization=locked.organization,
        verb="case.follow_up_answered",
        target=locked,
        data={k: v for k, v in changed.items()},
    )
    if changed.get("resolved") is False and locked.status in (
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ):
        _move(
            locked,
            CaseStatus.REOPENED,
            None,
            _("The customer says the issue is not resolved."),
            by_customer=True,
        )
    elif changed.get("resolved") is True and locked.status == CaseStatus.RESOLVED:
        _move(
            locked,
            CaseStatus.CLOSED,
            None,
            _("The customer confirmed the issue is resolved."),
            by_customer=True,
        )
    return locked


# --- the outbox: consent at send time, and what became of the emails ------------------------


@send_check(RELATED_TYPE)
def follow_up_consent_check(delivery: Delivery) -> SendBlock | None:
    """Right before the follow-up leaves: the customer may have unsubscribed (or been erased)
    since the case was resolved."""
    case = Case.objects.select_related("contact").filter(pk=delivery.related_id).first()
    reason = skip_reason(case.contact if case is not None else None)
    if reason == UNSUBSCRIBED:
        return SendBlock(
            reason=UNSUBSCRIBED,
            message=_("The contact has unsubscribed: this email is not sent to them again."),
        )
    if reason:
        return SendBlock(
            reason=ERASED if reason == ERASED else NO_EMAIL,
            message=_("The customer can no longer be emailed."),
        )
    return None


@on_delivery(RELATED_TYPE)
def follow_up_delivered(delivery: Delivery) -> None:
    """A follow-up stopped at send time is on the timeline as not sent (and the case no longer
    waits for its answer); one that finally failed is on the timeline too."""
    if delivery.status == DeliveryStatus.CANCELLED:
        case = Case.objects.filter(pk=delivery.related_id).first()
        if case is None:
            return
        locked = _lock(case)
        sent = locked.follow_up_sent_at
        if sent is not None and int(sent.timestamp()) == (delivery.payload or {}).get("case_round"):
            locked.follow_up_sent_at = None
            locked.save(update_fields=["follow_up_sent_at", "updated_at"])
        _event(
            locked,
            CaseEventKind.FOLLOW_UP_SKIPPED,
            None,
            reason=delivery.last_error,
            delivery=str(delivery.pk),
        )
    elif delivery.status == DeliveryStatus.FAILED:
        _email_failed(delivery, delivery.related_id, what="follow_up")


@on_delivery(REPLY_RELATED_TYPE)
def reply_delivered(delivery: Delivery) -> None:
    """A reply that could not be delivered (refused, bounced, out of retries) is on the
    timeline, so the agent knows the customer did not get it."""
    if delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
        from closeloop.cases.models import CaseReply

        reply = CaseReply.objects.filter(pk=delivery.related_id).only("case_id").first()
        if reply is not None:
            _email_failed(delivery, str(reply.case_id), what="reply")


def _email_failed(delivery: Delivery, case_id: str, *, what: str) -> None:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return
    _event(
        case,
        CaseEventKind.EMAIL_FAILED,
        None,
        what=what,
        to=delivery.target,
        error=(delivery.last_error or "")[:500],
        bounced=delivery.response_status is not None and 500 <= delivery.response_status < 600,
        delivery=str(delivery.pk),
    )
