"""The automation API: rules CRUD, the preview of the last 100 responses, the run log."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.api.testing import ApiClient, make_keys
from closeloop.automation.models import Rule
from closeloop.automation.tests.factories import answer, make_survey, support
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(personas: Personas) -> tuple[ApiClient, ApiClient]:
    keys = make_keys(personas.org)
    return ApiClient(keys.write), ApiClient(keys.read)


DELIVERY_RULE: dict[str, Any] = {
    "name": "Delivery complaints",
    "conditions": {
        "match": "any",
        "rules": [{"type": "text_contains", "value": ["배송", "delivery"]}],
    },
    "actions": [
        {"type": "add_tags", "params": {"tags": ["delivery"]}},
        {
            "type": "slack",
            "params": {"webhook_url": "https://hooks.slack.com/services/T0/B0/abcdefgh1234"},
        },
    ],
}


def test_create_read_update_delete(personas: Personas, clients: Any) -> None:
    writer, reader = clients
    created = writer.post("/automation/rules", DELIVERY_RULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["trigger"] == "response.completed" and body["is_active"]
    assert body["conditions"]["rules"] == [{"type": "text_contains", "value": ["배송", "delivery"]}]
    # The webhook URL is never shown in full once saved.
    shown = body["actions"][1]["params"]["webhook_url"]
    assert shown == "https://hooks.slack.com/…1234"
    rule_id = body["id"]

    listed = reader.get("/automation/rules").json()
    assert [r["name"] for r in listed] == ["Delivery complaints"]
    assert reader.get(f"/automation/rules/{rule_id}").json()["name"] == "Delivery complaints"

    # Sending the shortened URL back keeps the stored one.
    actions = body["actions"]
    actions[0]["params"]["tags"] = ["delivery", "shipping"]
    patched = writer.patch(f"/automation/rules/{rule_id}", {"actions": actions, "is_active": False})
    assert patched.status_code == 200, patched.content
    rule = Rule.objects.get(pk=rule_id)
    assert rule.actions[1]["params"]["webhook_url"].endswith("abcdefgh1234")
    assert rule.actions[0]["params"]["tags"] == ["delivery", "shipping"]
    assert not rule.is_active

    assert reader.delete(f"/automation/rules/{rule_id}").status_code == 403
    assert writer.delete(f"/automation/rules/{rule_id}").status_code == 204
    assert reader.get(f"/automation/rules/{rule_id}").status_code == 404


def test_errors_name_the_field(personas: Personas, clients: Any) -> None:
    writer, _reader = clients
    bad_condition = writer.post(
        "/automation/rules",
        {"name": "x", "conditions": {"rules": [{"type": "score", "metric": "nps", "min": 11}]}},
    )
    assert bad_condition.status_code == 400
    assert bad_condition.json()["field"] == "conditions.rules[0].min"
    bad_action = writer.post(
        "/automation/rules",
        {"name": "x", "actions": [{"type": "route_to_team", "params": {}}]},
    )
    assert bad_action.status_code == 400
    assert bad_action.json()["field"] == "actions[0].params.team"
    unknown = writer.post("/automation/rules", {"name": "x", "trigger": "order.placed"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "trigger"


def test_preview_counts_matches_among_the_last_100_responses(
    personas: Personas, clients: Any
) -> None:
    writer, _reader = clients
    survey = make_survey(personas.org)
    for n in range(12):
        answer(survey, nps=n % 11)  # 0..10 then 0
    created = writer.post(
        "/automation/rules",
        {
            "name": "Detractors",
            "conditions": {"rules": [{"type": "score", "metric": "nps", "max": 6}]},
        },
    ).json()
    preview = writer.post(f"/automation/rules/{created['id']}/preview", {})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["evaluated"] == 12 and body["matched"] == 8
    assert body["matches"][0]["conditions"][0]["held"] is True
    # Other conditions can be tried without saving them.
    tried = writer.post(
        f"/automation/rules/{created['id']}/preview",
        {"conditions": {"rules": [{"type": "nps_category", "value": ["promoter"]}]}},
    ).json()
    assert tried["matched"] == 2


def test_run_log(personas: Personas, clients: Any) -> None:
    from closeloop.automation.engine import event_run

    writer, reader = clients
    survey = make_survey(personas.org)
    team = support(personas.org)
    rule = writer.post(
        "/automation/rules",
        {
            "name": "Route detractors",
            "conditions": {"rules": [{"type": "nps_category", "value": ["detractor"]}]},
            "actions": [{"type": "route_to_team", "params": {"team": str(team.pk)}}],
        },
    ).json()
    for score in (2, 9):
        response = answer(survey, nps=score)
        event_run(
            trigger="response.completed",
            subject_type="response",
            subject_id=str(response.pk),
            event_key=str(response.pk),
        )
    runs = reader.get("/automation/runs", {"rule": rule["id"]}).json()["items"]
    assert len(runs) == 2
    matched = reader.get("/automation/runs", {"matched": "true"}).json()["items"]
    assert len(matched) == 1
    assert matched[0]["actions"][0]["status"] == "ok"
    assert matched[0]["actions"][0]["detail"] == "routed to Support"
    assert matched[0]["rule_name"] == "Route detractors"
    missed = reader.get("/automation/runs", {"matched": "false"}).json()["items"][0]
    assert missed["conditions"] == [
        {"type": "nps_category", "label": "NPS category is Detractor", "held": False}
    ]
    assert reader.get("/automation/runs", {"failed": "true"}).json()["items"] == []
