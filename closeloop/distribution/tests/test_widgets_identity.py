"""Identity verification on the widget's identify call: a visitor the host's server signed
(user_hash) is upserted; anyone else who knows the public key can only create a new contact or
link to one, never change what is stored about an existing contact."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from closeloop.contacts.choices import AttributeType
from closeloop.contacts.models import Contact
from closeloop.contacts.services import attribute_definition_create, contact_create
from closeloop.distribution.models import Invitation, Widget
from closeloop.distribution.tests.widget_factories import make_widget
from closeloop.distribution.widget_services import identity_hash
from conftest import Personas

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widget(personas: Personas) -> Widget:
    for key in ("plan", "city"):
        attribute_definition_create(
            organization=personas.org, key=key, type=AttributeType.TEXT, actor=None
        )
    return make_widget(personas.org)


@pytest.fixture
def kim(personas: Personas, widget: Widget) -> Contact:
    return contact_create(
        organization=personas.org,
        actor=None,
        data={
            "external_id": "C-1",
            "email": "kim@example.com",
            "first_name": "Kim",
            "language": "ko",
            "attributes": {"plan": "pro"},
        },
    )


def identify(widget: Widget, **who: Any) -> dict[str, Any]:
    response = Client(headers={"Origin": SHOP}).post(
        f"/widget/api/{widget.public_key}/identify",
        json.dumps(who),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def shown(widget: Widget, visitor: str) -> dict[str, Any]:
    response = Client(headers={"Origin": SHOP}).post(
        f"/widget/api/{widget.public_key}/shown",
        json.dumps({"visitor": visitor}),
        content_type="application/json",
    )
    data: dict[str, Any] = response.json()
    return data


def test_each_widget_has_its_own_secret_and_the_hash_is_plain_hmac_sha256(
    personas: Personas, widget: Widget
) -> None:
    other = make_widget(personas.org, name="Other")
    assert len(widget.identity_secret) == 64 and widget.identity_secret != other.identity_secret
    # What the docs tell the host's server to compute.
    expected = hmac.new(widget.identity_secret.encode(), b"C-1", hashlib.sha256).hexdigest()
    assert identity_hash(widget=widget, identifier="C-1") == expected


def test_without_a_hash_an_existing_contact_cannot_be_changed(widget: Widget, kim: Contact) -> None:
    data = identify(
        widget,
        id="C-1",
        email="attacker@example.net",
        attributes={"plan": "free", "city": "Busan"},
    )
    assert data["verified"] is False
    kim.refresh_from_db()
    assert kim.email == "kim@example.com"
    assert kim.first_name == "Kim" and kim.language == "ko"
    # An attribute with a value stays; an empty one may be filled.
    assert kim.attributes == {"plan": "pro", "city": "Busan"}
    # The visitor is linked to the contact (answers count for them)...
    assert Contact.objects.count() == 1
    shown(widget, data["visitor"])
    assert Invitation.objects.get().contact_id == kim.pk
    # ...and an invalid hash is no hash.
    identify(widget, id="C-1", email="attacker@example.net", user_hash="0" * 64)
    kim.refresh_from_db()
    assert kim.email == "kim@example.com"


def test_with_a_valid_hash_identify_updates_the_contact(widget: Widget, kim: Contact) -> None:
    user_hash = identity_hash(widget=widget, identifier="C-1")
    data = identify(
        widget,
        id="C-1",
        email="kim.new@example.com",
        attributes={"plan": "team"},
        user_hash=user_hash.upper(),
    )
    assert data["verified"] is True
    kim.refresh_from_db()
    assert kim.email == "kim.new@example.com"
    assert kim.attributes == {"plan": "team"}
    # The hash is for the id: it does not vouch for another one.
    assert identify(widget, id="C-2", user_hash=user_hash)["verified"] is False


def test_the_email_hash_verifies_an_email_only_visitor(widget: Widget, kim: Contact) -> None:
    user_hash = identity_hash(widget=widget, identifier="kim@example.com")
    identify(widget, email="kim@example.com", attributes={"plan": "team"}, user_hash=user_hash)
    kim.refresh_from_db()
    assert kim.attributes == {"plan": "team"}


def test_an_email_of_another_contact_is_neither_linked_nor_copied(
    widget: Widget, kim: Contact
) -> None:
    data = identify(widget, id="C-9", email="kim@example.com")
    new = Contact.objects.get(external_id="C-9")
    assert new.pk != kim.pk
    assert new.email is None
    kim.refresh_from_db()
    assert kim.external_id == "C-1"
    shown(widget, data["visitor"])
    assert Invitation.objects.get().contact_id == new.pk


def test_without_a_hash_new_visitors_are_created_and_email_only_contacts_linked(
    personas: Personas, widget: Widget
) -> None:
    identify(widget, id="C-5", email="lee@example.com", attributes={"plan": "pro"})
    lee = Contact.objects.get(external_id="C-5")
    assert lee.email == "lee@example.com" and lee.attributes == {"plan": "pro"}
    park = contact_create(organization=personas.org, actor=None, data={"email": "park@example.com"})
    data = identify(widget, id="C-6", email="park@example.com")
    shown(widget, data["visitor"])
    assert Invitation.objects.get().contact_id == park.pk
    park.refresh_from_db()
    assert park.external_id is None  # linked, not changed
    assert Contact.objects.count() == 2


def test_require_verified_identity_makes_unsigned_visitors_anonymous(
    widget: Widget, kim: Contact
) -> None:
    widget.require_verified_identity = True
    widget.save()
    data = identify(widget, id="C-1", email="attacker@example.net")
    assert data["visitor"] is None and data["verified"] is False
    assert data["show"] is True  # as for any anonymous visitor
    identify(widget, id="C-77")
    assert not Contact.objects.filter(external_id="C-77").exists()
    signed = identify(widget, id="C-1", user_hash=identity_hash(widget=widget, identifier="C-1"))
    assert signed["visitor"] and signed["verified"] is True


def test_the_secret_is_shown_to_editors_and_can_be_regenerated(
    personas: Personas, widget: Widget
) -> None:
    url = f"/o/{personas.org.slug}/widgets/{widget.pk}/"
    page = personas.client_for(personas.analyst).get(url).content.decode()
    assert widget.identity_secret in page
    assert "Regenerate secret" in page
    old = widget.identity_secret
    assert personas.client_for(personas.viewer).post(url + "secret/").status_code == 403
    response = personas.client_for(personas.analyst).post(url + "secret/")
    assert response.status_code == 302
    widget.refresh_from_db()
    assert widget.identity_secret != old and len(widget.identity_secret) == 64
    # Hashes made with the old secret no longer verify.
    stale = hmac.new(old.encode(), b"C-1", hashlib.sha256).hexdigest()
    assert identify(widget, id="C-1", user_hash=stale)["verified"] is False


def test_require_verified_identity_on_the_form(personas: Personas, widget: Widget) -> None:
    url = f"/o/{personas.org.slug}/widgets/{widget.pk}/"
    response = personas.client_for(personas.owner).post(
        url,
        {
            "name": widget.name,
            "survey": str(widget.survey_id),
            "placement": "slide_in",
            "allowed_origins": SHOP,
            "is_active": "on",
            "require_verified_identity": "on",
            "rate_limit_per_ip": "30",
            "rate_limit_per_minute": "3000",
        },
    )
    assert response.status_code == 302
    widget.refresh_from_db()
    assert widget.require_verified_identity is True
    assert (widget.rate_limit_per_ip, widget.rate_limit_per_minute) == (30, 3000)
