"""API keys from the settings page: shown once, usable, revocable."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from closeloop.accounts.models import ApiKey
from closeloop.accounts.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def test_key_shown_once_works_and_revokes(personas) -> None:
    client = personas.client_for(personas.admin)
    keys_url = reverse("accounts:api_keys", args=[personas.org.slug])
    response = client.post(keys_url, {"name": "Shop backend", "scope": "write"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(r'class="secret" id="api-key-secret"[^>]*>(cl_[\w-]+)<', page)
    assert match is not None
    secret = match.group(1)
    assert 'data-copy="api-key-secret"' in page

    key = api_key_authenticate(secret=secret)
    assert key is not None and key.organization == personas.org and key.scope == "write"

    listing = client.get(keys_url).content.decode()
    assert "Shop backend" in listing and key.prefix in listing
    assert secret not in listing

    revoke = reverse("accounts:api_key_revoke", args=[personas.org.slug, key.pk])
    assert client.post(revoke).status_code == 302
    assert api_key_authenticate(secret=secret) is None
    assert "revoked" in client.get(keys_url).content.decode()


def test_api_keys_need_permission(personas) -> None:
    keys_url = reverse("accounts:api_keys", args=[personas.org.slug])
    for user in (personas.analyst, personas.viewer):
        client = personas.client_for(user)
        assert client.get(keys_url).status_code == 403
        assert client.post(keys_url, {"name": "x", "scope": "read"}).status_code == 403
    assert personas.client_for(personas.outsider).get(keys_url).status_code == 404
    assert not ApiKey.objects.filter(organization=personas.org).exists()


def test_other_orgs_key_cannot_be_revoked(personas) -> None:
    other = personas.client_for(personas.outsider)
    other.post(
        reverse("accounts:api_keys", args=[personas.other_org.slug]), {"name": "k", "scope": "read"}
    )
    key = ApiKey.objects.get(organization=personas.other_org)

    client = personas.client_for(personas.owner)
    response = client.post(reverse("accounts:api_key_revoke", args=[personas.org.slug, key.pk]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
