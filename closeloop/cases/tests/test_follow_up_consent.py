"""The follow-up is a survey: it respects consent. A customer who unsubscribed gets none (at
resolve time, and again right before the email leaves), and the case's timeline says why. What
the customer does with the follow-up, and a reply that never reached them, are on the timeline
too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.models import CaseEvent
from closeloop.cases.services import case_resolve
from closeloop.cases.tests.factories import customer_case, root_cause
from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.integrations.models import Delivery, DeliveryStatus
from conftest import Personas

# The worker runs tasks on its own connection use: a real transaction per test.
pytestmark = pytest.mark.django_db(transaction=True)


def _resolve_from_the_page(personas: Personas, case: object) -> str:
    org = personas.org
    agent = personas.client_for(personas.agent)
    response = agent.post(
        reverse("cases:resolve", args=[org.slug, case.pk]),  # type: ignore[attr-defined]
        {"root_cause": root_cause(org).pk, "note": "Sent a new bag."},
    )
    assert response.status_code == 302
    page = agent.get(reverse("cases:detail", args=[org.slug, case.pk]))  # type: ignore[attr-defined]
    return str(page.content.decode())


def test_an_unsubscribed_customer_gets_no_follow_up(personas: Personas, smtp: SmtpServer) -> None:
    case = customer_case(personas.org)
    assert case.contact is not None
    contact_unsubscribe(contact=case.contact, reason="Too many emails", via="page")

    page = _resolve_from_the_page(personas, case)
    run_ready_tasks()

    assert smtp.sink.to(case.contact.email) == []  # type: ignore[arg-type]
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.follow_up_sent_at is None
    skipped = CaseEvent.objects.get(case=case, kind=CaseEventKind.FOLLOW_UP_SKIPPED)
    assert skipped.data["reason"] == "contact unsubscribed"
    assert "Follow-up not sent" in page
    assert "The customer has unsubscribed: no survey is sent to them." in page
    assert not Delivery.objects.filter(related_type="case_follow_up").exists()


def test_unsubscribing_before_the_email_leaves_stops_it(
    personas: Personas, smtp: SmtpServer
) -> None:
    case = customer_case(personas.org)
    assert case.contact is not None
    case_resolve(case=case, root_cause=root_cause(personas.org), note="Refunded", actor=None)
    # the customer unsubscribes (from an earlier survey's link) before the worker runs
    contact_unsubscribe(contact=case.contact, via="link")
    run_ready_tasks()

    assert smtp.sink.to(case.contact.email) == []  # type: ignore[arg-type]
    delivery = Delivery.objects.get(related_type="case_follow_up")
    assert delivery.status == DeliveryStatus.CANCELLED
    assert delivery.last_error == "contact unsubscribed"
    case.refresh_from_db()
    assert case.follow_up_sent_at is None  # nobody waits for an answer that cannot come
    kinds = [e.kind for e in CaseEvent.objects.filter(case=case)]
    assert kinds[-2:] == [CaseEventKind.FOLLOW_UP_SENT, CaseEventKind.FOLLOW_UP_SKIPPED]


def test_a_subscribed_customer_gets_it_with_an_unsubscribe_link(
    personas: Personas, smtp: SmtpServer
) -> None:
    case = customer_case(personas.org)
    case_resolve(case=case, root_cause=root_cause(personas.org), note="Refunded", actor=None)
    run_ready_tasks()
    [message] = smtp.sink.to(case.contact.email)  # type: ignore[union-attr]
    assert message["List-Unsubscribe"].startswith("<http://testserver/u/")
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Unsubscribe: http://testserver/u/" in text


def test_a_reply_that_bounces_is_on_the_timeline(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    case = customer_case(org)
    assert case.contact is not None and case.contact.email
    smtp.sink.refuse.add(case.contact.email)
    agent = personas.client_for(personas.agent)
    sent = agent.post(
        reverse("cases:reply", args=[org.slug, case.pk]),
        {"subject": "Your order", "body": "A fresh bag is on its way.", "action": "send"},
    )
    assert sent.status_code == 302
    run_ready_tasks()

    failed = CaseEvent.objects.get(case=case, kind=CaseEventKind.EMAIL_FAILED)
    assert failed.data["what"] == "reply" and failed.data["bounced"] is True
    page = agent.get(reverse("cases:detail", args=[org.slug, case.pk])).content.decode()
    assert "Email not delivered" in page
    assert f"The reply did not reach {case.contact.email}" in page
