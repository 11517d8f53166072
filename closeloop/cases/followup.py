"""The follow-up micro-survey sent when a case is resolved: "Did we resolve your issue?" with
one-click Yes/No links and a fresh 0-10 score, answered on a small public page.

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
from closeloop.integrations.models import DeliveryKind
from closeloop.integrations.outbox import delivery_enqueue

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


def follow_up_send(*, case: Case) -> bool:
    """Email the follow-up micro-survey to the customer (if they have an email); True if sent."""
    contact = case.contact
    if contact is None or not contact.email or contact.erased_at is not None:
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
    with translation.override(language):
        subject = _("Did we resolve your issue? [#%(number)s]") % {"number": case.number}
        text = render_to_string("cases/email/follow_up.txt", context)
        html = render_to_string("cases/email/follow_up.html", context)
    delivery = delivery_enqueue(
        organization=case.organization,
        kind=DeliveryKind.EMAIL,
        target=contact.email,
        payload={"subject": subject, "text": text, "html": html, "headers": {}},
        idempotency_key=f"case-follow-up:{case.pk}:{int(now.timestamp())}",
        related_type="case_follow_up",
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
    _event(locked, CaseEventKind.FOLLOW_UP_ANSWERED, None, recovered=locked.recovered, **changed)
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
        _move(locked, CaseStatus.REOPENED, None, _("The customer says the issue is not resolved."))
    elif changed.get("resolved") is True and locked.status == CaseStatus.RESOLVED:
        _move(locked, CaseStatus.CLOSED, None, _("The customer confirmed the issue is resolved."))
    return locked
