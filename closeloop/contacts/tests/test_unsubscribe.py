"""One-click unsubscribe: the public page (GET then POST) and RFC 8058 POSTs from mail clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from closeloop.contacts.services import list_unsubscribe_headers, unsubscribe_token_for
from closeloop.contacts.tests.factories import make_contact
from closeloop.core import events
from closeloop.core.models import Activity

if TYPE_CHECKING:
    from conftest import Personas


@pytest.fixture
def seen_events() -> Any:
    received: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        received.append(payload)

    events.on("contact.unsubscribed")(handler)
    yield received
    events._HANDLERS["contact.unsubscribed"].remove(handler)


def test_confirm_page_then_post(
    personas: Personas, seen_events: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(personas.org, email="minji@example.com", language="ko")
    url = f"/u/{unsubscribe_token_for(contact)}/"
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200
    assert "Acme Coffee" in page.content.decode()
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None  # GET alone (a link scanner) changes nothing
    # the form's POST needs its CSRF token
    assert client.post(url, {"reason": "too many emails"}).status_code == 403
    token = page.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"reason": "too many emails", "csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert done.context["done"] is True
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    assert contact.unsubscribe_reason == "too many emails"
    assert seen_events == [
        {"contact_id": str(contact.pk), "organization_id": str(personas.org.pk), "via": "link"}
    ]
    # again: nothing changes, no second event
    first = contact.unsubscribed_at
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"csrfmiddlewaretoken": token})
    contact.refresh_from_db()
    assert contact.unsubscribed_at == first
    assert len(seen_events) == 1
    assert client.get(url).context["done"] is True


def test_rfc8058_one_click_post(
    personas: Personas, seen_events: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(personas.org, email="emma@example.co.uk")
    headers = list_unsubscribe_headers(contact)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http") and f"/u/{unsubscribe_token_for(contact)}/" in url
    client = Client(enforce_csrf_checks=True)  # a mail client has no CSRF token or cookie
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/u/{unsubscribe_token_for(contact)}/",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    assert seen_events[0]["via"] == "one-click"
    activity = Activity.objects.get(verb="contact.unsubscribed")
    assert activity.data == {"via": "one-click"}


def test_tampered_token_is_refused(personas: Personas) -> None:
    contact = make_contact(personas.org, email="x@example.com")
    token = unsubscribe_token_for(contact)
    bad = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = Client()
    assert client.get(f"/u/{bad}/").status_code == 404
    assert client.post(f"/u/{bad}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None
