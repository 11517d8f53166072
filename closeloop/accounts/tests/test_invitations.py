"""Invite by email, accept the link (new or existing user), and links that no longer work."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Invitation, Membership, User
from closeloop.integrations.mailbox import ORG_HEADER

pytestmark = pytest.mark.django_db


LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
NEW_PASSWORD = "harbour-lights-and-tea-9"


@pytest.fixture(autouse=True)
def _locmem(settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    settings.BASE_URL = "https://cx.example.test"


def invite(personas, email: str = "newbie@acme.test", role: str = Role.AGENT) -> str:
    """Invite through the members page as the admin; return the link's path from the email."""
    client = personas.client_for(personas.admin)
    response = client.post(
        reverse("accounts:members", args=[personas.org.slug]), {"email": email, "role": role}
    )
    assert response.status_code == 302, response.content
    message = mail.outbox[-1]
    match = re.search(r"https://cx\.example\.test(/invitations/[^/\s]+/)", message.body)
    assert match is not None
    return match.group(1)


def test_invite_email_then_accept_as_new_user(personas) -> None:
    path = invite(personas)

    message = mail.outbox[-1]
    assert message.to == ["newbie@acme.test"]
    assert "Acme Coffee" in message.subject
    assert message.extra_headers[ORG_HEADER] == str(personas.org.pk)
    assert message.alternatives[0][1] == "text/html"

    visitor = Client()
    page = visitor.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Acme Coffee" in html and "Agent" in html
    assert 'value="newbie@acme.test"' in html and "disabled" in html

    response = visitor.post(
        path,
        {
            "email": "someone-else@evil.test",  # ignored: the invited email is fixed
            "full_name": "Newbie",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.url == reverse("accounts:org_home", args=[personas.org.slug])
    user = User.objects.get(email="newbie@acme.test")
    assert not User.objects.filter(email="someone-else@evil.test").exists()
    assert Membership.objects.get(user=user, organization=personas.org).role == Role.AGENT
    assert visitor.get("/").url == reverse("accounts:org_home", args=[personas.org.slug])


def test_link_works_once(personas) -> None:
    path = invite(personas)
    first = Client()
    first.post(path, {"full_name": "A", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    second = personas.client_for(personas.outsider)
    page = second.get(path)
    assert page.status_code == 410
    assert "already been used" in page.content.decode()
    response = second.post(path)
    assert response.status_code == 410
    assert not Membership.objects.filter(user=personas.outsider, organization=personas.org).exists()


def test_expired_link_fails(personas) -> None:
    path = invite(personas)
    Invitation.objects.filter(email="newbie@acme.test").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    page = Client().get(path)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    response = Client().post(
        path, {"full_name": "A", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="newbie@acme.test").exists()


def test_revoked_link_fails(personas) -> None:
    path = invite(personas)
    invitation = Invitation.objects.get(email="newbie@acme.test")
    admin = personas.client_for(personas.admin)
    revoke = reverse("accounts:invitation_revoke", args=[personas.org.slug, invitation.pk])
    assert admin.post(revoke).status_code == 302

    page = Client().get(path)
    assert page.status_code == 404
    assert "not valid" in page.content.decode()
    members_page = admin.get(reverse("accounts:members", args=[personas.org.slug]))
    assert invitation not in members_page.context["invitations"]


def test_logged_in_user_accepts_with_one_click(personas) -> None:
    path = invite(personas, email="outsider@other.test", role=Role.ANALYST)
    client = personas.client_for(personas.outsider)

    page = client.get(path).content.decode()
    assert "Accept and join" in page
    response = client.post(path)
    assert response.url == reverse("accounts:org_home", args=[personas.org.slug])
    membership = Membership.objects.get(user=personas.outsider, organization=personas.org)
    assert membership.role == Role.ANALYST


def test_anonymous_can_log_in_then_return(personas, password: str) -> None:
    path = invite(personas, email="outsider@other.test")
    visitor = Client()
    page = visitor.get(path).content.decode()
    login_url = reverse("accounts:login") + "?next=" + path
    assert login_url in page

    response = visitor.post(
        login_url, {"username": "outsider@other.test", "password": password, "next": path}
    )
    assert response.url == path
    visitor.post(path)
    assert Membership.objects.filter(user=personas.outsider, organization=personas.org).exists()


def test_new_user_with_existing_email_is_told_to_log_in(personas) -> None:
    path = invite(personas, email="outsider@other.test")
    response = Client().post(
        path, {"full_name": "X", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Invitation.objects.get(email="outsider@other.test").accepted_at is None


def test_invite_roles_limited_to_grantable(personas) -> None:
    client = personas.client_for(personas.admin)
    response = client.post(
        reverse("accounts:members", args=[personas.org.slug]),
        {"email": "boss@acme.test", "role": Role.OWNER},
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.filter(email="boss@acme.test").exists()


def test_inviting_an_existing_member_is_refused(personas) -> None:
    client = personas.client_for(personas.owner)
    response = client.post(
        reverse("accounts:members", args=[personas.org.slug]),
        {"email": "viewer@acme.test", "role": Role.AGENT},
    )
    assert "already a member" in response.context["form"].errors["email"][0]
    assert mail.outbox == []
