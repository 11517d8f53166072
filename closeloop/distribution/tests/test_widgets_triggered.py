"""Trigger rules on the widget channel: a business event queues a widget invitation, and the
widget delivers it on the contact's next visit (its survey first), without the invitation
blocking itself by the frequency rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from closeloop.api.testing import ApiClient, make_keys
from closeloop.contacts.models import Contact
from closeloop.contacts.services import contact_unsubscribe
from closeloop.distribution.choices import InvitationStatus, ListeningChannel, SuppressionReason
from closeloop.distribution.models import Invitation, Touchpoint, Widget
from closeloop.distribution.tests.widget_factories import make_widget, widget_survey
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey
from conftest import Personas

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def call(widget: Widget, endpoint: str, body: dict[str, Any]) -> Any:
    return Client(headers={"Origin": SHOP}).post(
        f"/widget/api/{widget.public_key}/{endpoint}",
        json.dumps(body),
        content_type="application/json",
    )


def trigger(personas: Personas, survey: Survey, delay: int = 0, **rule: Any) -> ApiClient:
    writer = ApiClient(make_keys(personas.org).write)
    created = writer.post(
        "/trigger-rules",
        {
            "name": "Delivered -> CSAT on the website",
            "event_type": "order_delivered",
            "delay_minutes": delay,
            "channel": "widget",
            "survey": str(survey.pk),
            **rule,
        },
    )
    assert created.status_code == 201, created.content
    sent = writer.post(
        "/events",
        {
            "contact": {"external_id": "cust-1", "email": "jin@example.com"},
            "type": "order_delivered",
        },
    )
    assert sent.status_code in (200, 201, 202), sent.content
    return writer


@pytest.fixture
def widget(personas: Personas) -> Widget:
    return make_widget(personas.org, triggers={"event": "checkout_done"})


def test_event_trigger_rule_then_the_widget_delivers_that_survey(
    personas: Personas, widget: Widget
) -> None:
    delivery = widget_survey(personas.org, name="Delivery CSAT")
    touchpoint = Touchpoint.objects.create(
        organization=personas.org, key="parcel-arrived", name="Parcel arrived"
    )
    trigger(personas, delivery, touchpoint=str(touchpoint.pk))
    queued = Invitation.objects.get(channel=ListeningChannel.WIDGET)
    assert queued.status == InvitationStatus.QUEUED and queued.survey == delivery

    data = call(widget, "identify", {"id": "cust-1", "lang": "ko"}).json()
    # Shown, with the trigger's survey rather than the widget's own, not blocked by itself.
    assert data["show"] is True and data["reason"] is None
    assert data["invitation"] == str(queued.pk)
    config = data["config"]
    assert config["language"] == "ko"
    assert config["url"].startswith(f"/s/{delivery.public_token}/")
    assert config["triggers"] == {"event": "checkout_done"}  # the widget still decides when

    shown = call(widget, "shown", {"visitor": data["visitor"], "invitation": data["invitation"]})
    assert shown.json()["invitation"] == str(queued.pk)
    queued.refresh_from_db()
    assert queued.status == InvitationStatus.SENT and queued.sent_at is not None
    # No second invitation: the show delivered the queued one.
    assert Invitation.objects.filter(contact=queued.contact).count() == 1

    answered = call(
        widget,
        "responses",
        {"visitor": data["visitor"], "invitation": data["invitation"], "answers": {"nps": 10}},
    )
    assert answered.status_code == 201, answered.content
    response = Response.objects.get(pk=answered.json()["response"])
    assert response.survey == delivery and response.channel == "widget"
    assert response.touchpoint_id == touchpoint.pk
    assert response.personal_link_id == queued.personal_link_id
    queued.refresh_from_db()
    assert queued.status == InvitationStatus.COMPLETED and queued.response_id == response.pk
    # Now the frequency rules count it: the next visit shows nothing.
    again = call(widget, "identify", {"id": "cust-1"}).json()
    assert again["show"] is False and again["reason"] == SuppressionReason.MIN_DAYS
    assert again["invitation"] is None


def test_a_delayed_invitation_waits_and_blocks_the_widgets_own_survey(
    personas: Personas, widget: Widget
) -> None:
    trigger(personas, widget_survey(personas.org, name="Later"), delay=120)
    data = call(widget, "identify", {"id": "cust-1"}).json()
    assert data["invitation"] is None
    assert data["show"] is False and data["reason"] == SuppressionReason.MIN_DAYS
    assert "config" not in data


def test_the_widgets_own_survey_when_nothing_is_due(personas: Personas, widget: Widget) -> None:
    data = call(widget, "identify", {"id": "cust-2"}).json()
    assert data["show"] is True and data["invitation"] is None
    assert data["config"]["url"].startswith(f"/s/{widget.survey.public_token}/")


def test_a_due_invitation_for_an_unsubscribed_contact_is_suppressed(
    personas: Personas, widget: Widget
) -> None:
    trigger(personas, widget_survey(personas.org, name="Delivery CSAT"))
    contact = Contact.objects.get(external_id="cust-1")
    contact_unsubscribe(contact=contact, via="test")
    data = call(widget, "identify", {"id": "cust-1"}).json()
    assert data["show"] is False and data["invitation"] is None
    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == InvitationStatus.SUPPRESSED
    assert invitation.suppressed_reason == SuppressionReason.UNSUBSCRIBED


def test_a_closed_survey_is_not_delivered(personas: Personas, widget: Widget) -> None:
    from closeloop.surveys.choices import SurveyStatus

    delivery = widget_survey(personas.org, name="Delivery CSAT")
    trigger(personas, delivery)
    Survey.objects.filter(pk=delivery.pk).update(status=SurveyStatus.CLOSED)
    data = call(widget, "identify", {"id": "cust-1"}).json()
    assert data["invitation"] is None
