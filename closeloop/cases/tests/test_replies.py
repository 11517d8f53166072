"""Replying from the case page: the email goes out through a real SMTP server (HTML and text,
in the customer's language, from a template with placeholders), the message and its reply link
are on the timeline, and it counts as the first response. Internal notes are never sent."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.urls import reverse

from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.config import reply_template_save
from closeloop.cases.models import CaseEvent, CaseReply
from closeloop.cases.tests.factories import customer_case, make_case
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.integrations.models import Delivery, DeliveryStatus
from conftest import Personas

# The worker runs tasks on its own connection use: a real transaction per test.
pytestmark = pytest.mark.django_db(transaction=True)


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_reply_from_a_template_reaches_the_customer(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    case = customer_case(org)
    template = reply_template_save(
        organization=org,
        name="Apology",
        texts={
            "en": {
                "subject": "Sorry about case {{case.number}}",
                "body": "Hi {{contact.first_name}},\n\nSorry. — {{agent.name}}, {{org.name}}",
            },
            "ko": {"subject": "죄송합니다", "body": "{{contact.first_name}}님, 죄송합니다."},
        },
    )
    agent = personas.client_for(personas.agent)
    url = reverse("cases:reply", args=[org.slug, case.pk])

    loaded = agent.post(url, {"template": template.pk, "action": "load"})
    assert loaded.status_code == 200
    assert "Hi Min," in loaded.content.decode()
    assert f"Sorry about case {case.number}" in loaded.content.decode()

    preview = agent.post(
        url,
        {
            "subject": "Hello {{contact.first_name}}",
            "body": "Dear {{contact.first_name}}",
            "action": "preview",
        },
    )
    assert 'data-testid="reply-preview"' in preview.content.decode()
    assert "Dear Min" in preview.content.decode()
    assert not CaseReply.objects.exists()

    sent = agent.post(
        url,
        {
            "template": template.pk,
            "subject": f"Sorry about case {case.number}",
            "body": "Hi {{contact.first_name}},\n\nA fresh bag is on its way.",
            "action": "send",
        },
    )
    assert sent.status_code == 302
    run_ready_tasks()

    [message] = smtp.sink.to(case.contact.email)  # type: ignore[union-attr]
    assert message["Subject"] == f"Sorry about case {case.number} [#{case.number}]"
    assert message["Reply-To"] == "agent@acme.test"
    text, html = _parts(message)
    assert "Hi Min," in text and "A fresh bag is on its way." in text
    assert "A fresh bag is on its way." in html and "mailto:agent@acme.test" in html

    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.status == CaseStatus.WAITING
    reply = CaseReply.objects.get(case=case)
    assert reply.delivery is not None
    assert Delivery.objects.get(pk=reply.delivery.pk).status == DeliveryStatus.SENT
    event = CaseEvent.objects.get(case=case, kind=CaseEventKind.REPLY_SENT)
    assert event.data["reply_link"].startswith("mailto:agent@acme.test?subject=Re")
    assert "A fresh bag" in event.data["body"]
    page = agent.get(reverse("cases:detail", args=[org.slug, case.pk])).content.decode()
    assert "A fresh bag is on its way." in page and "Reply link" in page


def test_the_first_reply_counts_once(personas: Personas, smtp: SmtpServer) -> None:
    from closeloop.cases.services import case_reply

    case = customer_case(personas.org)
    case_reply(case=case, body="First", actor=personas.agent)
    case.refresh_from_db()
    first = case.first_responded_at
    case_reply(case=case, body="Second", actor=personas.agent)
    case.refresh_from_db()
    assert case.first_responded_at == first
    run_ready_tasks()
    assert len(smtp.sink.messages) == 2


def test_internal_notes_are_never_sent(personas: Personas, smtp: SmtpServer) -> None:
    case = customer_case(personas.org)
    agent = personas.client_for(personas.agent)
    response = agent.post(
        reverse("cases:note", args=[personas.org.slug, case.pk]),
        {"body": "Customer is a regular; offer a refund."},
    )
    assert response.status_code == 302
    run_ready_tasks()
    assert smtp.sink.messages == []
    assert not Delivery.objects.exists()
    case.refresh_from_db()
    assert case.first_responded_at is None
    note = CaseEvent.objects.get(case=case, kind=CaseEventKind.NOTE)
    assert note.data["body"] == "Customer is a regular; offer a refund."
    assert note.actor == personas.agent


def test_no_email_no_reply(personas: Personas) -> None:
    case = make_case(personas.org)  # no customer
    agent = personas.client_for(personas.agent)
    response = agent.post(
        reverse("cases:reply", args=[personas.org.slug, case.pk]),
        {"body": "Hello", "action": "send"},
    )
    assert response.status_code == 400
    assert "no email address" in response.content.decode()


@pytest.mark.parametrize("who", ["viewer", "analyst"])
def test_only_agents_admins_and_owners_reply(personas: Personas, who: str) -> None:
    case = customer_case(personas.org)
    client = personas.client_for(getattr(personas, who))
    url = reverse("cases:reply", args=[personas.org.slug, case.pk])
    assert client.post(url, {"body": "Hello", "action": "send"}).status_code == 403
