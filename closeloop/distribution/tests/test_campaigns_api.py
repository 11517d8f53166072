"""The campaigns API: create and send a campaign, cancel one, list invitations with the rule
that stopped those not sent, and manage email templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from closeloop.api.testing import ApiClient, OrgKeys, make_keys
from closeloop.contacts.services import contact_unsubscribe
from closeloop.distribution.models import Campaign
from closeloop.distribution.sending import campaign_process
from closeloop.distribution.tests.campaigns_factories import (
    all_customers,
    customer,
    make_campaign,
    nps_survey,
)

if TYPE_CHECKING:
    from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_keys(personas: Personas) -> OrgKeys:
    return make_keys(personas.org)


@pytest.fixture
def writer(api_keys: OrgKeys) -> ApiClient:
    return ApiClient(api_keys.write)


@pytest.fixture
def reader(api_keys: OrgKeys) -> ApiClient:
    return ApiClient(api_keys.read)


def test_create_send_and_list_invitations(personas: Personas, writer: ApiClient,
                                          reader: ApiClient) -> None:  # fmt: skip
    org = personas.org
    survey = nps_survey(org)
    kim = customer(org, "kim@example.kr", "민지", "ko")
    gone = customer(org, "gone@example.com", "Gone", "en")
    contact_unsubscribe(contact=gone, via="test")
    segment = all_customers(org)

    created = writer.post(
        "/campaigns",
        {"name": "API NPS", "survey_id": str(survey.pk), "segment_id": str(segment.pk),
         "send": "now", "reminder_after_days": 2, "max_reminders": 2},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "sending" and body["max_reminders"] == 2
    campaign_process(campaign_id=body["id"])

    detail = reader.get(f"/campaigns/{body['id']}").json()
    assert detail["status"] == "sent" and detail["processed"] == 2
    assert detail["counts"]["queued"] == 1 and detail["counts"]["suppressed"] == 1

    listed = reader.get("/invitations", {"contact": str(gone.pk)}).json()["items"]
    assert len(listed) == 1
    assert listed[0]["status"] == "suppressed"
    assert listed[0]["suppressed_reason"] == "unsubscribed"
    assert listed[0]["suppressed_reason_label"] == "The contact unsubscribed"
    mine = reader.get("/invitations", {"contact": str(kim.pk), "status": "queued"}).json()
    assert mine["items"][0]["language"] == "ko" and mine["items"][0]["suppressed_reason"] is None
    assert reader.get("/invitations", {"status": "nope"}).status_code == 400
    assert len(reader.get("/campaigns").json()["items"]) == 1


def test_validation_cancel_and_scopes(personas: Personas, writer: ApiClient,
                                      reader: ApiClient) -> None:  # fmt: skip
    org = personas.org
    survey = nps_survey(org)
    no_audience = writer.post("/campaigns", {"name": "x", "survey_id": str(survey.pk)})
    assert no_audience.status_code == 400 and no_audience.json()["field"] == "segment"
    later = writer.post(
        "/campaigns",
        {"name": "x", "survey_id": str(survey.pk), "segment_id": str(all_customers(org).pk),
         "send": "later"},
    )  # fmt: skip
    assert later.status_code == 400 and later.json()["field"] == "body.scheduled_at"
    other_survey = nps_survey(personas.other_org)
    foreign = writer.post(
        "/campaigns",
        {"name": "x", "survey_id": str(other_survey.pk), "contact_ids": []},
    )
    assert foreign.status_code == 400 and foreign.json()["field"] == "body.survey_id"

    campaign = make_campaign(org, survey, segment=all_customers(org, name="Second"))
    assert reader.post(f"/campaigns/{campaign.pk}/send").status_code == 403
    cancelled = writer.post(f"/campaigns/{campaign.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = writer.post(f"/campaigns/{campaign.pk}/send")
    assert again.status_code == 409
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"


def test_email_templates(writer: ApiClient, reader: ApiClient) -> None:
    listed = reader.get("/email-templates").json()["items"]
    assert [t["name"] for t in listed] == ["Default invitation"]
    created = writer.post(
        "/email-templates",
        {
            "name": "Korean",
            "texts": {"ko": {"subject": "{{survey.name}} 설문", "body": "안녕하세요"}},
        },
    )
    assert created.status_code == 201
    assert created.json()["texts"] == {
        "ko": {"subject": "{{survey.name}} 설문", "body": "안녕하세요"}
    }
    blank = writer.post("/email-templates", {"name": " ", "texts": {}})
    assert blank.status_code == 400 and blank.json()["field"] == "name"
