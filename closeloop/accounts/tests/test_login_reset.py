"""Log in with an email, log out by POST, and reset a forgotten password through the email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from closeloop.accounts.models import User

pytestmark = pytest.mark.django_db


LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def test_login_with_email_then_logout(client: Client, personas, password: str) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<label for="id_username">Email</label>' in page

    response = client.post(
        reverse("accounts:login"), {"username": "Owner@Acme.test", "password": password}
    )
    assert response.status_code == 302
    assert client.get("/").url == reverse("accounts:org_home", args=[personas.org.slug])

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("accounts:login")
    assert client.get("/").url == reverse("accounts:login")


def test_login_with_wrong_password_says_so(client: Client, personas) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": "owner@acme.test", "password": "not-it-at-all"}
    )
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_login_returns_to_next(client: Client, personas, password: str) -> None:
    members = reverse("accounts:members", args=[personas.org.slug])
    response = client.post(
        reverse("accounts:login") + f"?next={members}",
        {"username": "viewer@acme.test", "password": password, "next": members},
    )
    assert response.url == members


def test_password_reset_through_email(client: Client, personas, settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    settings.BASE_URL = "https://cx.example.test"
    response = client.post(reverse("accounts:password_reset"), {"email": "AGENT@acme.test"})
    assert response.url == reverse("accounts:password_reset_done")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["agent@acme.test"]
    assert message.subject == "Reset your closeloop password"
    html = message.alternatives[0]
    assert html[1] == "text/html"
    link = re.search(r"https://cx\.example\.test(/password-reset/\S+/)", message.body)
    assert link is not None
    assert link.group(0) in str(html[0])

    page = client.get(link.group(1), follow=True)
    assert page.context["validlink"]
    set_url = page.redirect_chain[-1][0]
    new = "fresh-garden-lantern-77"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.url == reverse("accounts:password_reset_complete")

    fresh = Client()
    login = fresh.post(reverse("accounts:login"), {"username": "agent@acme.test", "password": new})
    assert login.status_code == 302
    # The link works once.
    again = fresh.get(link.group(1), follow=True)
    assert not again.context["validlink"]


def test_password_reset_for_unknown_email_sends_nothing(client: Client, settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@x.test"})
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_email_in_users_language(client: Client, personas, settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    User.objects.filter(pk=personas.viewer.pk).update(language="ko")
    client.post(reverse("accounts:password_reset"), {"email": "viewer@acme.test"})

    html = str(mail.outbox[0].alternatives[0][0])
    assert '<html lang="ko">' in html


def test_language_of_user_applies_after_login(client: Client, personas, password: str) -> None:
    User.objects.filter(pk=personas.viewer.pk).update(language="th")
    client.post(reverse("accounts:login"), {"username": "viewer@acme.test", "password": password})
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="th"' in page
