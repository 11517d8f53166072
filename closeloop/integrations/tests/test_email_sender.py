"""Outgoing email in the organization's name: the From of a case reply, a follow-up survey or a
rule's email is "<Org name> <address of DEFAULT_FROM_EMAIL>" (through a real SMTP server), the
organization's mailbox shows it, and closeloop's own notices keep DEFAULT_FROM_EMAIL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from closeloop.cases.tests.factories import customer_case, root_cause
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.integrations.models import MailboxMessage
from closeloop.integrations.notify import notify_email
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)

SENDER = "closeloop <cx@mail.example.com>"


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    settings.MAILERS = server.mailers()
    settings.DEFAULT_FROM_EMAIL = SENDER
    settings.BASE_URL = "http://testserver"
    yield server
    server.stop()


def test_a_case_reply_and_its_follow_up_come_from_the_organization(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    case = customer_case(org)
    agent = personas.client_for(personas.agent)
    sent = agent.post(
        reverse("cases:reply", args=[org.slug, case.pk]),
        {"subject": "About your order", "body": "A fresh bag is on its way.", "action": "send"},
    )
    assert sent.status_code == 302
    resolved = agent.post(
        reverse("cases:resolve", args=[org.slug, case.pk]),
        {"root_cause": root_cause(org).pk, "note": "Sent a new bag."},
    )
    assert resolved.status_code == 302
    run_ready_tasks()

    reply, follow_up = smtp.sink.to(case.contact.email)  # type: ignore[union-attr]
    assert "About your order" in str(reply["Subject"])
    assert "Did we resolve your issue?" in str(follow_up["Subject"])
    for message in (reply, follow_up):
        assert str(message["From"]) == "Acme Coffee <cx@mail.example.com>"
    assert str(reply["Reply-To"]) == "agent@acme.test"


def test_a_rule_email_to_the_respondent_comes_from_the_organization(
    personas: Personas, smtp: SmtpServer
) -> None:
    # What the "Email the respondent" and "Notify by email" actions call.
    notify_email(
        organization=personas.org,
        to=["minji@example.com"],
        subject="Thanks for your feedback",
        text="We are on it.",
        idempotency_key="rule:1:response:1",
    )
    run_ready_tasks()
    (message,) = smtp.sink.to("minji@example.com")
    assert str(message["From"]) == "Acme Coffee <cx@mail.example.com>"


def test_any_organization_name_makes_a_valid_from(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    org.name = 'Café "Acme", 아크미 커피\nSeoul'
    org.save(update_fields=["name"])
    notify_email(
        organization=org,
        to=["minji@example.com"],
        subject="Hello",
        text="Hi",
        idempotency_key="k",
    )
    run_ready_tasks()
    (message,) = smtp.sink.to("minji@example.com")
    (address,) = message["From"].addresses
    assert address.display_name == 'Café "Acme", 아크미 커피 Seoul'
    assert address.addr_spec == "cx@mail.example.com"


def test_without_an_organization_the_sender_is_closeloop(smtp: SmtpServer) -> None:
    notify_email(
        organization=None,
        to=["ops@example.com"],
        subject="Hello",
        text="Hi",
        idempotency_key="k",
    )
    run_ready_tasks()
    (message,) = smtp.sink.to("ops@example.com")
    assert str(message["From"]) == SENDER


def test_a_case_reply_shows_in_the_organizations_mailbox(personas: Personas, settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}
    org = personas.org
    case = customer_case(org)
    personas.client_for(personas.agent).post(
        reverse("cases:reply", args=[org.slug, case.pk]),
        {"subject": "About your order", "body": "A fresh bag is on its way.", "action": "send"},
    )
    run_ready_tasks()
    message = MailboxMessage.objects.get(to=[case.contact.email])  # type: ignore[union-attr]
    assert message.from_email.startswith("Acme Coffee <")

    mailbox = reverse("integrations:mailbox", args=[org.slug])
    assert message in personas.client_for(personas.owner).get(mailbox).context["mail"]
    theirs = reverse("integrations:mailbox", args=[personas.other_org.slug])
    assert message not in personas.client_for(personas.outsider).get(theirs).context["mail"]
