"""Trigger rules and frequency policies through the API."""

from __future__ import annotations

import pytest

from closeloop.api.testing import ApiClient, make_keys
from closeloop.distribution.models import FrequencyPolicy
from closeloop.responses.testing import five_question_definition, publish_survey
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create
from conftest import Personas


@pytest.fixture
def writer(personas: Personas) -> ApiClient:
    return ApiClient(make_keys(personas.org).write)


@pytest.fixture
def survey(personas: Personas) -> Survey:
    return publish_survey(personas.org, five_question_definition(), name="CES")


def test_trigger_rule_crud(writer: ApiClient, survey: Survey) -> None:
    created = writer.post(
        "/trigger-rules",
        {
            "name": "Ticket closed",
            "event_type": "support_ticket_closed",
            "conditions": [{"field": "properties.channel", "op": "ne", "value": "chat"}],
            "delay_minutes": 60,
            "sample_percent": 80,
            "survey": str(survey.pk),
        },
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["conditions"] == {
        "match": "all",
        "rules": [{"field": "properties.channel", "op": "ne", "value": "chat"}],
    }
    assert rule["survey_name"] == "CES"
    listed = writer.get("/trigger-rules", {"event_type": "support_ticket_closed"}).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    patched = writer.patch(f"/trigger-rules/{rule['id']}", {"is_active": False})
    assert patched.json()["is_active"] is False
    assert patched.json()["sample_percent"] == 80
    assert writer.delete(f"/trigger-rules/{rule['id']}").status_code == 204
    assert writer.get(f"/trigger-rules/{rule['id']}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "body.name"),
        ({"event_type": "has space"}, "body.event_type"),
        ({"sample_percent": 101}, "body.sample_percent"),
        ({"delay_minutes": -1}, "body.delay_minutes"),
        (
            {"conditions": {"rules": [{"field": "total", "op": "eq", "value": 1}]}},
            "body.conditions.rules[0].field",
        ),
        (
            {"conditions": {"rules": [{"field": "properties.x", "op": "near", "value": 1}]}},
            "body.conditions.rules[0].op",
        ),
        (
            {"conditions": {"rules": [{"field": "properties.x", "op": "gt"}]}},
            "body.conditions.rules[0].value",
        ),
        ({"channel": "sms"}, "body.channel"),
    ],
)
def test_trigger_rule_validation_names_the_field(
    writer: ApiClient, survey: Survey, changes: dict[str, object], field: str
) -> None:
    body = {"name": "R", "event_type": "purchase", "survey": str(survey.pk), **changes}
    response = writer.post("/trigger-rules", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_rule_needs_a_published_survey_of_the_org(writer: ApiClient, personas: Personas) -> None:
    draft = survey_create(organization=personas.org, actor=None, name="Draft")
    other = publish_survey(personas.other_org, five_question_definition(), name="Theirs")
    for survey in (draft, other):
        body = {"name": "R", "event_type": "purchase", "survey": str(survey.pk)}
        response = writer.post("/trigger-rules", body)
        assert response.status_code == 422
        assert response.json()["field"] == "body.survey"


def test_org_frequency_policy_get_and_put(writer: ApiClient, personas: Personas) -> None:
    default = writer.get("/frequency-policy").json()
    assert default["min_days_between"] == 30
    assert default["inherited"] is False
    put = writer.put(
        "/frequency-policy",
        {"min_days_between": 14, "max_per_month": 2, "quiet_hours_start": "21:00",
         "quiet_hours_end": "08:00"},
    )  # fmt: skip
    assert put.status_code == 200, put.content
    assert put.json()["max_per_month"] == 2
    assert put.json()["skip_if_completed_within_days"] is None
    assert put.json()["quiet_hours_start"] == "21:00"
    bad = writer.put("/frequency-policy", {"min_days_between": -3})
    assert bad.status_code == 422
    assert bad.json()["field"] == "body.min_days_between"
    bad_time = writer.put("/frequency-policy", {"min_days_between": 3, "quiet_hours_end": "late"})
    assert bad_time.json()["field"] == "body.quiet_hours_end"


def test_survey_policy_overrides_the_org_policy(
    writer: ApiClient, survey: Survey, personas: Personas
) -> None:
    writer.post(
        "/trigger-rules",
        {"name": "Every purchase", "event_type": "purchase", "survey": str(survey.pk)},
    )
    inherited = writer.get(f"/surveys/{survey.pk}/frequency-policy").json()
    assert inherited["inherited"] is True
    assert inherited["min_days_between"] == 30

    def purchase(n: int) -> str:
        body = {"contact": {"email": "regular@example.com"}, "type": "purchase", "id": f"p{n}"}
        return str(writer.post("/events", body).json()["outcome"])

    assert purchase(1) == "triggered"
    assert purchase(2) == "suppressed"  # the org's 30 days
    put = writer.put(
        f"/surveys/{survey.pk}/frequency-policy",
        {"min_days_between": 0, "skip_if_completed_within_days": 0},
    )
    assert put.status_code == 200, put.content
    assert put.json()["inherited"] is False
    assert purchase(3) == "triggered"  # the survey's own rules let it through
    assert writer.get("/frequency-policy").json()["min_days_between"] == 30
    assert writer.delete(f"/surveys/{survey.pk}/frequency-policy").status_code == 204
    assert not FrequencyPolicy.objects.filter(survey=survey).exists()
    assert purchase(4) == "suppressed"
