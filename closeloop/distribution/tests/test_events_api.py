"""The events API: a business event finds or creates its contact and runs the trigger rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from closeloop.api.testing import ApiClient, make_keys
from closeloop.contacts.models import AttributeDefinition, Contact
from closeloop.contacts.services import contact_create, contact_unsubscribe
from closeloop.distribution.choices import InvitationStatus
from closeloop.distribution.models import Event, Invitation, TriggerRule
from closeloop.integrations.models import Delivery
from closeloop.integrations.outbox import deliveries_flush
from closeloop.responses.testing import five_question_definition, publish_survey
from closeloop.surveys.models import Survey
from conftest import Personas

T0 = "2026-03-02T10:00:00+09:00"


@pytest.fixture
def writer(personas: Personas) -> ApiClient:
    return ApiClient(make_keys(personas.org).write)


@pytest.fixture
def survey(personas: Personas) -> Survey:
    return publish_survey(personas.org, five_question_definition(), name="Post-purchase CSAT")


def make_rule(writer: ApiClient, survey: Survey, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Purchase -> CSAT",
        "event_type": "purchase",
        "delay_minutes": 2 * 24 * 60,
        "survey": str(survey.pk),
        **fields,
    }
    response = writer.post("/trigger-rules", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def send(writer: ApiClient, **fields: Any) -> Any:
    body = {
        "contact": {"email": "jisoo@example.com"},
        "type": "purchase",
        "properties": {"order_id": "A-1", "total": 42000},
        "time": T0,
        **fields,
    }
    return writer.post("/events", body)


def test_event_schedules_a_delayed_invitation_and_a_second_within_the_window_does_not(
    writer: ApiClient, survey: Survey, personas: Personas
) -> None:
    rule = make_rule(writer, survey)
    bought = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    first = send(writer, id="order-1", time=bought.isoformat())
    assert first.status_code == 202, first.content
    body = first.json()
    assert body["outcome"] == "triggered"
    assert body["duplicate"] is False
    [detail] = body["details"]
    assert detail["rule"] == rule["id"]
    assert detail["result"] == "scheduled"
    assert detail["message"].startswith("Invitation scheduled for")
    invitation = Invitation.objects.get(pk=detail["invitation"])
    assert invitation.status == InvitationStatus.QUEUED
    assert invitation.send_after == bought + dt.timedelta(days=2)
    assert invitation.trigger_id is not None and str(invitation.trigger_id) == rule["id"]
    assert invitation.event_id is not None and str(invitation.event_id) == body["id"]

    # The email waits in the outbox until its time, then goes out.
    delivery = Delivery.objects.get(related_id=str(invitation.pk))
    assert delivery.next_attempt_at == invitation.send_after
    assert deliveries_flush(now=timezone.now()) == 0
    assert deliveries_flush(now=invitation.send_after + dt.timedelta(minutes=1)) == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT

    # The next day, another purchase: the org's "one invitation per 30 days" stops it.
    second = send(writer, id="order-2", time=(bought + dt.timedelta(days=1)).isoformat())
    assert second.status_code == 202
    body2 = second.json()
    assert body2["outcome"] == "suppressed"
    [detail2] = body2["details"]
    assert detail2["result"] == "suppressed"
    assert detail2["reason"] == "min_days_between"
    assert "minimum days between" in detail2["message"]
    stopped = Invitation.objects.get(pk=detail2["invitation"])
    assert stopped.status == InvitationStatus.SUPPRESSED
    assert stopped.suppressed_reason == "min_days_between"
    assert str(stopped.trigger_id) == rule["id"]
    assert Delivery.objects.count() == 1

    # The events log says so too.
    page = personas.client_for(personas.viewer).get(f"/o/{personas.org.slug}/events/")
    html = page.content.decode()
    assert "Invitation scheduled for" in html
    assert "minimum days between" in html


def test_a_second_delayed_event_is_stopped_before_the_first_is_sent(
    writer: ApiClient, survey: Survey
) -> None:
    """Both invitations are still queued: the first one counts at its scheduled time."""
    make_rule(writer, survey)
    now = timezone.now()
    assert send(writer, time=now.isoformat()).json()["outcome"] == "triggered"
    later = send(writer, time=(now + dt.timedelta(days=1)).isoformat()).json()
    assert later["details"][0]["reason"] == "min_days_between"


def test_repeated_event_id_returns_the_original_and_triggers_nothing(
    writer: ApiClient, survey: Survey
) -> None:
    make_rule(writer, survey)
    first = send(writer, id="evt-42")
    again = send(writer, id="evt-42", properties={"total": 1})
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["properties"]["total"] == 42000
    assert Event.objects.count() == 1
    assert Invitation.objects.count() == 1


def test_repeats_of_an_event_id_are_counted_and_shown(
    writer: ApiClient, survey: Survey, personas: Personas
) -> None:
    """An integrator debugging retries sees how often the same id came back, and when."""
    make_rule(writer, survey)
    first = send(writer, id="evt-7").json()
    assert first["duplicates"] == 0 and first["last_duplicate_at"] is None
    send(writer, id="evt-7")
    again = send(writer, id="evt-7")
    assert again.status_code == 200
    assert again.json()["duplicates"] == 2 and again.json()["last_duplicate_at"] is not None
    assert again.json()["outcome"] == "triggered"  # the first event's outcome, unchanged
    send(writer, id="evt-8")
    detail = writer.get(f"/events/{first['id']}").json()
    assert detail["duplicates"] == 2
    repeated = writer.get("/events", {"outcome": "duplicate"}).json()["items"]
    assert [e["id"] for e in repeated] == [first["id"]]
    assert Invitation.objects.filter(event_id=first["id"]).count() == 1

    viewer = personas.client_for(personas.viewer)
    listing = viewer.get(f"/o/{personas.org.slug}/events/", {"outcome": "duplicate"})
    assert "id sent again 2 times" in listing.content.decode()
    assert listing.content.decode().count('data-duplicates="2"') == 1
    page = viewer.get(f"/o/{personas.org.slug}/events/{first['id']}/").content.decode()
    assert "2 more times with the same id" in page


def test_the_contact_kind_is_set_from_the_event(writer: ApiClient, personas: Personas) -> None:
    sent = send(writer, contact={"email": "staff@example.com", "kind": "employee"})
    assert sent.status_code == 202, sent.content
    assert Contact.objects.get(email="staff@example.com").kind == "employee"
    bad = send(writer, contact={"email": "x@example.com", "kind": "robot"})
    assert bad.status_code == 422
    assert "kind" in bad.json()["field"]
    spec = writer.get("/openapi.json").json()
    assert "kind" in spec["components"]["schemas"]["EventContactIn"]["properties"]


def test_unknown_contact_is_created_with_attributes(writer: ApiClient, personas: Personas) -> None:
    response = send(
        writer,
        contact={
            "external_id": "cust-9",
            "email": "New.Person@Example.com",
            "first_name": "Minji",
            "language": "ko",
            "attributes": {"plan": "gold", "lifetime_orders": 12, "vip": True},
        },
    )
    assert response.status_code == 202, response.content
    assert response.json()["outcome"] == "no_rule"
    contact = Contact.objects.get(organization=personas.org, external_id="cust-9")
    assert contact.email == "new.person@example.com"
    assert contact.first_name == "Minji"
    assert contact.attributes == {"plan": "gold", "lifetime_orders": 12, "vip": True}
    types = dict(
        AttributeDefinition.objects.filter(organization=personas.org).values_list("key", "type")
    )
    assert types == {"plan": "text", "lifetime_orders": "number", "vip": "boolean"}

    # A later event updates the same contact (found by external id) and merges attributes.
    send(writer, contact={"external_id": "cust-9", "attributes": {"plan": "platinum"}})
    contact.refresh_from_db()
    assert contact.attributes["plan"] == "platinum"
    assert contact.attributes["lifetime_orders"] == 12
    assert Contact.objects.filter(organization=personas.org).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact": {"email": "not-an-email"}, "type": "purchase"}, "body.contact.email"),
        ({"contact": {"first_name": "Anon"}, "type": "purchase"}, "body.contact.email"),
        ({"contact": {"email": "a@example.com"}}, "body.type"),
        ({"contact": {"email": "a@example.com"}, "type": ""}, "body.type"),
        ({"contact": {"email": "a@example.com"}, "type": "x", "time": "yesterday"}, "body.time"),
        (
            {"contact": {"email": "a@example.com"}, "type": "x", "properties": [1]},
            "body.properties",
        ),
        (
            {"contact": {"email": "a@example.com", "attributes": {"Bad Key": 1}}, "type": "x"},
            "body.contact.attributes.Bad Key",
        ),
        ({"type": "purchase"}, "body.contact"),
    ],
)
def test_invalid_events_name_the_field(writer: ApiClient, body: dict[str, Any], field: str) -> None:
    response = writer.post("/events", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["field"] == field
    assert not Event.objects.exists()


def test_time_without_zone_is_utc_and_default_is_now(writer: ApiClient) -> None:
    body = send(writer, time="2026-03-02T01:00:00").json()
    assert body["time"].startswith("2026-03-02T01:00:00")
    event = Event.objects.get(pk=body["id"])
    assert event.occurred_at == dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)
    no_time = writer.post("/events", {"contact": {"email": "b@example.com"}, "type": "visit"})
    assert no_time.status_code == 202


def test_conditions_on_properties_and_attributes(writer: ApiClient, survey: Survey) -> None:
    rule = make_rule(
        writer,
        survey,
        name="Big gold orders",
        event_type="delivery",
        conditions={
            "match": "all",
            "rules": [
                {"field": "properties.total", "op": "gt", "value": 30000},
                {"field": "attribute.plan", "op": "in", "value": ["gold", "platinum"]},
            ],
        },
    )
    assert rule["conditions"]["rules"][1]["value"] == ["gold", "platinum"]
    small = send(
        writer,
        type="delivery",
        contact={"email": "a@example.com", "attributes": {"plan": "gold"}},
        properties={"total": 12000},
    ).json()
    assert small["outcome"] == "no_rule"
    assert small["details"][0]["result"] == "conditions_not_met"
    assert "properties.total greater than 30000" in small["details"][0]["message"]
    assert "12000" in small["details"][0]["message"]

    basic = send(
        writer,
        type="delivery",
        contact={"email": "b@example.com", "attributes": {"plan": "basic"}},
        properties={"total": 50000},
    ).json()
    assert basic["details"][0]["result"] == "conditions_not_met"
    assert "attribute.plan" in basic["details"][0]["message"]

    big = send(
        writer,
        type="delivery",
        contact={"email": "c@example.com", "attributes": {"plan": "Gold"}},
        properties={"total": "45000"},
    ).json()
    assert big["outcome"] == "triggered"


def test_any_match_and_contact_fields(writer: ApiClient, survey: Survey) -> None:
    make_rule(
        writer,
        survey,
        conditions={
            "match": "any",
            "rules": [
                {"field": "contact.language", "op": "eq", "value": "ko"},
                {"field": "properties.coupon", "op": "exists"},
            ],
        },
    )
    english = send(writer, contact={"email": "en@example.com", "language": "en"}).json()
    assert english["outcome"] == "no_rule"
    korean = send(writer, contact={"email": "ko@example.com", "language": "ko"}).json()
    assert korean["outcome"] == "triggered"
    coupon = send(writer, contact={"email": "c@example.com"}, properties={"coupon": "X"}).json()
    assert coupon["outcome"] == "triggered"


def test_sampling_none_all_and_deterministic(writer: ApiClient, survey: Survey) -> None:
    none = make_rule(writer, survey, sample_percent=0)
    out = send(writer, id="s-1").json()
    assert out["outcome"] == "suppressed"
    assert out["details"][0]["result"] == "sampled_out"
    assert "Sampled out" in out["details"][0]["message"]
    writer.patch(f"/trigger-rules/{none['id']}", {"sample_percent": 100})
    all_ = send(writer, id="s-2", contact={"email": "other@example.com"}).json()
    assert all_["outcome"] == "triggered"

    # 50%: the same event id always lands on the same side of the sample for a rule.
    writer.patch(f"/trigger-rules/{none['id']}", {"sample_percent": 50})
    rule = TriggerRule.objects.get(pk=none["id"])
    from closeloop.distribution.events_services import _sampled_in

    sides = [_sampled_in(rule, Event(event_id=f"e-{n}")) for n in range(200)]
    assert sides == [_sampled_in(rule, Event(event_id=f"e-{n}")) for n in range(200)]
    assert 60 < sum(sides) < 140


def test_consent_and_missing_email_are_reported(
    writer: ApiClient, survey: Survey, personas: Personas
) -> None:
    make_rule(writer, survey)
    contact = contact_create(
        organization=personas.org, actor=None, data={"email": "gone@example.com"}
    )
    contact_unsubscribe(contact=contact, via="test")
    gone = send(writer, contact={"email": "gone@example.com"}).json()
    assert gone["details"][0]["reason"] == "unsubscribed"
    no_email = send(writer, contact={"external_id": "pos-77"}).json()
    assert no_email["details"][0]["reason"] == "no_email"
    assert "no email address" in no_email["details"][0]["message"]


def test_closed_survey_is_reported(writer: ApiClient, survey: Survey) -> None:
    make_rule(writer, survey)
    Survey.objects.filter(pk=survey.pk).update(status="closed")
    out = send(writer).json()
    assert out["details"][0]["reason"] == "survey_closed"


def test_widget_channel_creates_a_queued_invitation(writer: ApiClient, survey: Survey) -> None:
    make_rule(writer, survey, channel="widget", delay_minutes=0)
    out = send(writer, contact={"external_id": "web-1"}).json()
    assert out["outcome"] == "triggered"
    invitation = Invitation.objects.get(pk=out["details"][0]["invitation"])
    assert invitation.channel == "widget"
    assert invitation.status == InvitationStatus.QUEUED


def test_batch_ingests_each_event_on_its_own(writer: ApiClient, survey: Survey) -> None:
    make_rule(writer, survey)
    response = writer.post(
        "/events/batch",
        {
            "events": [
                {"contact": {"email": "a@example.com"}, "type": "purchase", "id": "b-1"},
                {"contact": {"email": "bad"}, "type": "purchase"},
                {"contact": {"email": "a@example.com"}, "type": "purchase", "id": "b-1"},
                {"contact": {"email": "z@example.com"}, "type": "refund"},
            ]
        },
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["errors"]) == (2, 1, 1)
    assert body["results"][1]["errors"][0]["field"] == "events[1].contact.email"
    assert body["results"][0]["outcome"] == "triggered"
    assert body["results"][3]["outcome"] == "no_rule"
    too_many = writer.post("/events/batch", {"events": [{"type": "x"}] * 501})
    assert too_many.status_code == 422


def test_list_filters_and_detail(writer: ApiClient, survey: Survey, personas: Personas) -> None:
    make_rule(writer, survey)
    send(writer, contact={"email": "a@example.com"})
    send(writer, contact={"email": "b@example.com", "external_id": "ext-b"}, type="refund")
    reader = ApiClient(make_keys(personas.org).read)
    everything = reader.get("/events").json()["items"]
    assert len(everything) == 2
    refunds = reader.get("/events", {"type": "refund"}).json()["items"]
    assert [e["type"] for e in refunds] == ["refund"]
    by_ext = reader.get("/events", {"contact": "ext-b"}).json()["items"]
    assert len(by_ext) == 1
    by_email = reader.get("/events", {"contact": "a@example.com"}).json()["items"]
    assert by_email[0]["outcome"] == "triggered"
    one = reader.get(f"/events/{by_email[0]['id']}")
    assert one.status_code == 200
    assert one.json()["details"][0]["result"] == "scheduled"
    page = reader.get("/events", {"limit": 1}).json()
    assert page["next_cursor"]
    assert (
        reader.post("/events", {"contact": {"email": "a@example.com"}, "type": "x"}).status_code
        == 403
    )
