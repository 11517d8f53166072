"""The widget's public endpoints as a host page's script uses them: config, identify, shown,
dismissed and responses, with CORS, preflight, the rate limits and frequency rules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from closeloop.contacts.choices import AttributeType
from closeloop.contacts.models import Contact
from closeloop.contacts.services import attribute_definition_create
from closeloop.distribution.choices import InvitationStatus, ListeningChannel, SuppressionReason
from closeloop.distribution.invitations import invitation_advance, invitation_create
from closeloop.distribution.models import Invitation, Touchpoint, Widget
from closeloop.distribution.tests.widget_factories import make_widget, widget_survey
from closeloop.distribution.widget_services import identity_hash
from closeloop.responses.models import AnswerFact, Response
from closeloop.responses.testing import every_type_definition, publish_survey
from conftest import Personas

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widget(personas: Personas) -> Widget:
    touchpoint, _ = Touchpoint.objects.get_or_create(
        organization=personas.org, key="website-visit", defaults={"name": "Website visit"}
    )
    return make_widget(personas.org, touchpoint=touchpoint, triggers={"event": "checkout_done"})


def url(widget: Widget, endpoint: str) -> str:
    return f"/widget/api/{widget.public_key}/{endpoint}"


def get(
    widget: Widget, endpoint: str, origin: str | None = SHOP, ip: str = "203.0.113.1", **params: Any
) -> Any:
    headers = {"Origin": origin} if origin else {}
    return Client(headers=headers, REMOTE_ADDR=ip).get(url(widget, endpoint), params)


def post(
    widget: Widget,
    endpoint: str,
    body: dict[str, Any],
    origin: str | None = SHOP,
    ip: str = "203.0.113.1",
) -> Any:
    headers = {"Origin": origin} if origin else {}
    return Client(headers=headers, REMOTE_ADDR=ip).post(
        url(widget, endpoint), json.dumps(body), content_type="application/json"
    )


def identify(widget: Widget, **who: Any) -> dict[str, Any]:
    response = post(widget, "identify", who)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


# --- config and CORS -------------------------------------------------------------------------


def test_config_from_an_allowed_origin(widget: Widget) -> None:
    response = get(widget, "config", lang="ko-KR")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response
    assert not response.cookies
    config = response.json()
    assert config["language"] == "ko"
    assert config["dir"] == "ltr"
    assert config["placement"] == "slide_in"
    assert config["theme"]["primary"] == "#0F766E"
    assert config["triggers"] == {"event": "checkout_done"}
    assert config["min_days"] == 30
    survey = config["survey"]
    assert survey["inline"] is True
    assert survey["title"] == "간단한 질문"
    nps = survey["pages"][0]["questions"][0]
    assert nps["key"] == "nps" and nps["type"] == "nps" and (nps["min"], nps["max"]) == (0, 10)
    assert nps["title"] == "친구에게 추천하실 가능성은 얼마나 되나요?"
    assert survey["thanks"] == "감사합니다. 더 나아지는 데 도움이 됩니다."
    assert config["url"].startswith(f"/s/{widget.survey.public_token}/")


def test_config_language_falls_back_to_the_default(widget: Widget) -> None:
    assert get(widget, "config", lang="th").json()["language"] == "en"
    assert get(widget, "config").json()["language"] == "en"


def test_identified_contact_gets_their_own_language(widget: Widget) -> None:
    visitor = identify(widget, id="cust-1")["visitor"]
    Contact.objects.filter(external_id="cust-1").update(language="ko")
    assert get(widget, "config", lang="en", visitor=visitor).json()["language"] == "ko"


def test_unsupported_question_types_link_to_the_survey_page(personas: Personas) -> None:
    survey = publish_survey(personas.org, every_type_definition(), name="Every type")
    widget = make_widget(personas.org, survey=survey)
    config = get(widget, "config").json()
    assert config["survey"]["inline"] is False
    assert "pages" not in config["survey"]
    assert config["labels"]["full"] == "Answer in full"


def test_disallowed_origin_gets_off_quietly_and_cannot_write(widget: Widget) -> None:
    # The settings answer "off" (200, readable, so the browser logs no CORS error) and say
    # nothing about the widget.
    evil = "https://evil.example.net"
    response = get(widget, "config", origin=evil)
    assert response.status_code == 200
    assert response.json() == {"off": True}
    assert response["Access-Control-Allow-Origin"] == evil
    assert get(widget, "config", origin=None).json() == {"off": True}
    # The origin must match exactly: another scheme or port is another origin.
    assert get(widget, "config", origin="http://shop.example.com").json() == {"off": True}
    assert get(widget, "config", origin="https://shop.example.com:8443").json() == {"off": True}
    # Writes are refused without CORS headers.
    refused = post(widget, "identify", {"id": "x"}, origin=evil)
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    preflight = Client(headers={"Origin": evil}).options(url(widget, "identify"))
    assert preflight.status_code == 403
    assert not Contact.objects.exists()


def test_the_apps_own_origin_is_allowed_for_the_preview(widget: Widget) -> None:
    response = get(widget, "config", origin="http://testserver")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "http://testserver"


def test_preflight(widget: Widget) -> None:
    client = Client(headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"})
    response = client.options(url(widget, "responses"))
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Origin" in response["Vary"]
    denied = Client(headers={"Origin": "https://evil.example.net"}).options(
        url(widget, "responses")
    )
    assert denied.status_code == 403
    assert "Access-Control-Allow-Origin" not in denied


def test_unknown_key_and_a_paused_widget_are_quietly_off(widget: Widget) -> None:
    unknown = Client(headers={"Origin": SHOP}).get("/widget/api/wk_nope/config")
    assert unknown.status_code == 200 and unknown.json() == {"off": True}
    assert unknown["Access-Control-Allow-Origin"] == SHOP
    assert Client(headers={"Origin": SHOP}).post("/widget/api/wk_nope/identify").status_code == 404
    widget.is_active = False
    widget.save()
    response = get(widget, "config")
    assert response.status_code == 200
    assert response.json() == {"off": True}
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert post(widget, "responses", {"answers": {"nps": 9}}).status_code == 410
    assert not Response.objects.exists()


def test_rate_limit_per_visitor_and_per_key(widget: Widget) -> None:
    assert (widget.rate_limit_per_ip, widget.rate_limit_per_minute) == (60, 6000)
    widget.rate_limit_per_ip = 3
    widget.rate_limit_per_minute = 5
    widget.save()
    for _ in range(3):
        assert "off" not in get(widget, "config", ip="198.51.100.7").json()
    # Over the visitor's share: the settings say "off" (no console error), writes get 429.
    response = get(widget, "config", ip="198.51.100.7")
    assert response.status_code == 200
    assert response.json()["off"] is True
    assert int(response["Retry-After"]) >= 1
    assert response["Access-Control-Allow-Origin"] == SHOP
    refused = post(widget, "responses", {"answers": {"nps": 9}}, ip="198.51.100.7")
    assert refused.status_code == 429
    assert not Response.objects.exists()
    # Another visitor still has their share, up to the key's ceiling for everyone.
    assert "off" not in get(widget, "config", ip="198.51.100.8").json()
    assert "off" not in get(widget, "config", ip="198.51.100.9").json()
    assert get(widget, "config", ip="198.51.100.10").json()["off"] is True
    assert post(widget, "responses", {"answers": {"nps": 9}}, ip="198.51.100.11").status_code == 429
    assert not Response.objects.exists()


# --- identify, shown, dismissed --------------------------------------------------------------


def test_identify_upserts_the_contact_and_allows_showing(
    personas: Personas, widget: Widget
) -> None:
    attribute_definition_create(
        organization=personas.org, key="plan", type=AttributeType.TEXT, actor=None
    )
    data = identify(
        widget, id="cust-42", email="Kim@Example.com", attributes={"plan": "pro", "nope": 1}
    )
    assert data["show"] is True and data["reason"] is None
    assert data["verified"] is False
    assert data["ignored_attributes"] == ["nope"]
    assert data["config"]["survey"]["title"] == "Quick question"
    contact = Contact.objects.get(organization=personas.org, external_id="cust-42")
    assert contact.email == "kim@example.com"
    assert contact.attributes == {"plan": "pro"}
    # Identifying again with the host's signature updates the same contact.
    user_hash = identity_hash(widget=widget, identifier="cust-42")
    assert identify(widget, id="cust-42", attributes={"plan": "team"}, user_hash=user_hash)[
        "verified"
    ]
    contact.refresh_from_db()
    assert contact.attributes == {"plan": "team"}
    assert Contact.objects.filter(organization=personas.org).count() == 1


def test_identify_needs_an_id_or_email(widget: Widget) -> None:
    response = post(widget, "identify", {"attributes": {}})
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_frequency_cap_for_an_identified_contact_invited_recently(
    personas: Personas, widget: Widget
) -> None:
    visitor = identify(widget, email="lee@example.com")["visitor"]
    contact = Contact.objects.get(email="lee@example.com")
    other = widget_survey(personas.org, name="Another survey")
    email = invitation_create(
        organization=personas.org, survey=other, contact=contact, channel=ListeningChannel.EMAIL
    )
    invitation_advance(
        invitation_id=email.pk,
        status=InvitationStatus.SENT,
        at=timezone.now() - dt.timedelta(days=3),
    )
    data = identify(widget, email="lee@example.com")
    assert data["show"] is False
    assert data["reason"] == SuppressionReason.MIN_DAYS
    # Shown anyway (closeloop('show') forces it): the invitation records the rule.
    shown = post(widget, "shown", {"visitor": visitor}).json()
    assert shown["invitation"] is None
    assert shown["reason"] == SuppressionReason.MIN_DAYS
    suppressed = Invitation.objects.get(contact=contact, channel=ListeningChannel.WIDGET)
    assert suppressed.status == InvitationStatus.SUPPRESSED


def test_shown_then_dismissed(personas: Personas, widget: Widget) -> None:
    visitor = identify(widget, id="cust-7")["visitor"]
    shown = post(widget, "shown", {"visitor": visitor})
    assert shown.status_code == 200
    invitation = Invitation.objects.get(pk=shown.json()["invitation"])
    assert invitation.channel == ListeningChannel.WIDGET
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None
    assert invitation.touchpoint == widget.touchpoint
    assert shown.json()["url"].startswith("/s/")
    # The show counts: identifying again now says no.
    assert identify(widget, id="cust-7")["reason"] == SuppressionReason.MIN_DAYS
    dismissed = post(widget, "dismissed", {"visitor": visitor, "invitation": str(invitation.pk)})
    assert dismissed.json() == {"declined": True}
    invitation.refresh_from_db()
    assert invitation.declined_at is not None


def test_anonymous_show_records_nothing(widget: Widget) -> None:
    assert post(widget, "shown", {}).json() == {"invitation": None}
    assert not Invitation.objects.exists()


def test_a_forged_visitor_token_is_anonymous(widget: Widget) -> None:
    identify(widget, id="cust-8")
    assert post(widget, "shown", {"visitor": "cust-8:forged"}).json() == {"invitation": None}


# --- responses -------------------------------------------------------------------------------


def test_response_stored_with_channel_contact_and_invitation_completed(
    personas: Personas, widget: Widget
) -> None:
    visitor = identify(widget, id="cust-9")["visitor"]
    invitation_id = post(widget, "shown", {"visitor": visitor}).json()["invitation"]
    body = {
        "visitor": visitor,
        "invitation": invitation_id,
        "answers": {"nps": 9, "why": "Fast checkout"},
        "lang": "ko",
        "hidden": {"page_url": "https://shop.example.com/checkout/done", "other": "x"},
        "nonce": "abc123",
    }
    response = post(widget, "responses", body)
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == SHOP
    stored = Response.objects.get(pk=response.json()["response"])
    contact = Contact.objects.get(external_id="cust-9")
    assert stored.channel == "widget"
    assert stored.contact_id == contact.pk
    assert stored.status == "complete"
    assert stored.language == "ko"
    assert stored.answers == {"nps": 9, "why": "Fast checkout"}
    assert stored.hidden == {"page_url": "https://shop.example.com/checkout/done"}
    assert stored.touchpoint_id == widget.touchpoint_id
    assert AnswerFact.objects.filter(response=stored, question_key="nps", number=9).exists()
    invitation = Invitation.objects.get(pk=invitation_id)
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.response_id == stored.pk
    # A repeated send (double click, retry) stores nothing new.
    again = post(widget, "responses", body)
    assert again.json()["response"] == str(stored.pk)
    assert Response.objects.filter(survey=widget.survey).count() == 1


def test_anonymous_response(widget: Widget) -> None:
    response = post(widget, "responses", {"answers": {"nps": 3}})
    assert response.status_code == 201
    stored = Response.objects.get()
    assert stored.contact_id is None and stored.channel == "widget"


def test_invalid_answers_name_the_question(widget: Widget) -> None:
    response = post(widget, "responses", {"answers": {"why": "no score"}})
    assert response.status_code == 400
    data = response.json()
    assert data["field"] == "nps"
    assert "requires an answer" in data["errors"]["nps"]
    assert response["Access-Control-Allow-Origin"] == SHOP
    bad = post(widget, "responses", {"answers": {"nps": 11}}).json()
    assert bad["field"] == "nps"
    assert post(widget, "responses", {"answers": "9"}).status_code == 400
    assert not Response.objects.exists()


def test_disallowed_origin_stores_nothing(widget: Widget) -> None:
    evil = "https://evil.example.net"
    assert post(widget, "identify", {"id": "x"}, origin=evil).status_code == 403
    assert post(widget, "responses", {"answers": {"nps": 9}}, origin=evil).status_code == 403
    assert not Response.objects.exists()
    assert not Contact.objects.exists()


def test_an_unsubscribed_or_erased_contact_is_never_shown_the_survey(
    personas: Personas, widget: Widget
) -> None:
    from closeloop.contacts.services import contact_erase, contact_unsubscribe

    identify(widget, id="cust-u")
    contact_unsubscribe(contact=Contact.objects.get(external_id="cust-u"), via="test")
    data = identify(widget, id="cust-u")
    assert data["show"] is False and data["reason"] == SuppressionReason.UNSUBSCRIBED
    assert "config" not in data
    # closeloop('show') then shows nothing; were it shown anyway, nothing is sent.
    shown = post(widget, "shown", {"visitor": data["visitor"]}).json()
    assert shown["invitation"] is None and shown["reason"] == SuppressionReason.UNSUBSCRIBED
    visitor = identify(widget, id="cust-e")["visitor"]
    contact_erase(contact=Contact.objects.get(external_id="cust-e"), actor=None)
    assert post(widget, "shown", {"visitor": visitor}).json() == {"invitation": None}
