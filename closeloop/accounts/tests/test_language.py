"""Choosing the interface language: profile, the language switcher, anonymous visitors."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_profile_language_switch_to_korean(personas) -> None:
    client = personas.client_for(personas.viewer)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="en"' in page
    assert 'name="language"' in page and "Automatic (browser)" in page

    response = client.post(
        reverse("accounts:profile"), {"full_name": "Vee Viewer", "language": "ko"}, follow=True
    )
    assert '<html lang="ko"' in response.content.decode()
    personas.viewer.refresh_from_db()
    assert (personas.viewer.full_name, personas.viewer.language) == ("Vee Viewer", "ko")

    client.post(reverse("accounts:profile"), {"full_name": "Vee Viewer", "language": ""})
    personas.viewer.refresh_from_db()
    assert personas.viewer.language == ""


def test_profile_needs_login(client: Client) -> None:
    response = client.get(reverse("accounts:profile"))
    assert response.url.startswith(reverse("accounts:login"))


def test_set_language_for_user_sets_cookie_and_profile(personas) -> None:
    client = personas.client_for(personas.agent)
    members = reverse("accounts:members", args=[personas.org.slug])
    response = client.post(reverse("accounts:set_language"), {"language": "th", "next": members})

    assert response.url == members
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "th"
    personas.agent.refresh_from_db()
    assert personas.agent.language == "th"
    assert '<html lang="th"' in client.get(members).content.decode()


def test_set_language_anonymous_uses_cookie(client: Client) -> None:
    response = client.post(
        reverse("accounts:set_language"), {"language": "ko", "next": reverse("accounts:login")}
    )
    assert response.url == reverse("accounts:login")
    assert '<html lang="ko"' in client.get(reverse("accounts:login")).content.decode()


def test_set_language_ignores_unsafe_next_and_unknown_language(client: Client) -> None:
    response = client.post(
        reverse("accounts:set_language"), {"language": "ko", "next": "https://evil.test/"}
    )
    assert response.url == reverse("accounts:home")

    response = client.post(reverse("accounts:set_language"), {"language": "xx"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.get(reverse("accounts:set_language")).status_code == 405
