"""The demo mailbox: this organization's email only, with the HTML part sandboxed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from closeloop.accounts.choices import Role
from closeloop.integrations.models import MailboxMessage

pytestmark = pytest.mark.django_db


MAILBOX = "closeloop.integrations.mailbox.MailboxBackend"


@pytest.fixture(autouse=True)
def _mailbox_backend(settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": MAILBOX}}


def test_mailbox_shows_invitation_email(personas) -> None:
    client = personas.client_for(personas.admin)
    client.post(
        reverse("accounts:members", args=[personas.org.slug]),
        {"email": "guest@visitor.test", "role": Role.VIEWER},
    )
    message = MailboxMessage.objects.get(to=["guest@visitor.test"])
    assert message.organization == personas.org

    listing = client.get(reverse("integrations:mailbox", args=[personas.org.slug]))
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "guest@visitor.test" in page and "Acme Coffee" in page

    detail = client.get(
        reverse("integrations:mailbox_message", args=[personas.org.slug, message.pk])
    ).content.decode()
    assert "/invitations/" in detail
    assert 'sandbox=""' in detail and "allow-scripts" not in detail
    assert 'srcdoc="&lt;!doctype html&gt;' in detail


def test_mailbox_includes_members_email_without_org_header(personas, client) -> None:
    client.post(reverse("accounts:password_reset"), {"email": "agent@acme.test"})
    message = MailboxMessage.objects.get(to=["agent@acme.test"])
    assert message.organization is None

    owner = personas.client_for(personas.owner)
    listing = owner.get(reverse("integrations:mailbox", args=[personas.org.slug]))
    assert message in listing.context["mail"]
    other = personas.client_for(personas.outsider)
    other_listing = other.get(reverse("integrations:mailbox", args=[personas.other_org.slug]))
    assert message not in other_listing.context["mail"]


def test_other_orgs_message_is_404(personas) -> None:
    other = personas.client_for(personas.outsider)
    other.post(
        reverse("accounts:members", args=[personas.other_org.slug]),
        {"email": "secret-hire@other.test", "role": Role.AGENT},
    )
    foreign = MailboxMessage.objects.get(to=["secret-hire@other.test"])

    client = personas.client_for(personas.owner)
    response = client.get(
        reverse("integrations:mailbox_message", args=[personas.org.slug, foreign.pk])
    )
    assert response.status_code == 404
    listing = client.get(reverse("integrations:mailbox", args=[personas.org.slug]))
    assert "secret-hire@other.test" not in listing.content.decode()


def test_lookalike_address_is_not_shown(personas) -> None:
    mail.send_mail("Hi", "body", None, ["xagent@acme.test"])
    listing = personas.client_for(personas.owner).get(
        reverse("integrations:mailbox", args=[personas.org.slug])
    )
    assert listing.context["mail"] == []


def test_mailbox_needs_manage_members(personas) -> None:
    mailbox = reverse("integrations:mailbox", args=[personas.org.slug])
    assert personas.client_for(personas.analyst).get(mailbox).status_code == 403
    assert personas.client_for(personas.outsider).get(mailbox).status_code == 404
