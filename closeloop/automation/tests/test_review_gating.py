"""Review invitations follow review sites' rules: a rule may not ask only some scores for a
review unless the organization chose "promoters only" and acknowledged the warning. Refused on
save (API and form) and checked again when the rule runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.advocacy.models import ReviewInvitation, ReviewMode
from closeloop.advocacy.services import review_settings_update, review_site_create
from closeloop.api.testing import ApiClient
from closeloop.automation.engine import event_run
from closeloop.automation.models import Rule, RuleRun
from closeloop.automation.services import rule_set_active
from closeloop.automation.tests.factories import answer, make_rule, make_survey
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.errors import DomainError
from conftest import Personas

pytestmark = pytest.mark.django_db

REVIEW = {"type": "send_review_invitation", "params": {}}


def promoters_only(personas: Personas) -> None:
    review_settings_update(
        organization=personas.org,
        mode=ReviewMode.PROMOTERS_ONLY,
        acknowledge_warning=True,
        actor=personas.owner,
    )


@pytest.mark.parametrize(
    "condition",
    [
        {"type": "nps_category", "value": ["promoter"]},
        {"type": "score", "metric": "nps", "min": 9},
        {"type": "score", "metric": "csat", "min": 4},
        {"type": "score", "metric": "ces", "min": 5},
        {"type": "csat", "value": "satisfied"},
        {"type": "answer", "key": "nps", "op": "gt", "value": "8"},
    ],
)
def test_the_api_refuses_review_asks_selected_by_score(
    personas: Personas, writer: ApiClient, condition: dict[str, Any]
) -> None:
    make_survey(personas.org)  # has the score questions "nps" and "csat"
    body = {
        "name": "Ask happy customers",
        "conditions": {"rules": [{"type": "language", "value": ["en"]}, condition]},
        "actions": [REVIEW],
    }
    refused = writer.post("/automation/rules", body)
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["field"] == "conditions.rules[1].type"
    assert "review gating" in problem["detail"] and "Promoters only" in problem["detail"]
    assert not Rule.objects.filter(name="Ask happy customers").exists()

    # Conditions that are not about the score are fine, and so is the same rule once the
    # organization chose promoters only, acknowledging the warning.
    fine = writer.post(
        "/automation/rules", {**body, "name": "Every English respondent", "conditions": {
            "rules": [{"type": "language", "value": ["en"]},
                      {"type": "answer", "key": "topic", "op": "eq", "value": "price"}]}},
    )  # fmt: skip
    assert fine.status_code == 201, fine.content
    promoters_only(personas)
    assert writer.post("/automation/rules", body).status_code == 201


def test_the_api_refuses_adding_score_conditions_to_a_review_rule(
    personas: Personas, writer: ApiClient
) -> None:
    created = writer.post("/automation/rules", {"name": "Reviews", "actions": [REVIEW]}).json()
    patched = writer.patch(
        f"/automation/rules/{created['id']}",
        {"conditions": {"rules": [{"type": "nps_category", "value": ["promoter"]}]}},
    )
    assert patched.status_code == 400
    assert patched.json()["field"] == "conditions.rules[0].type"
    assert Rule.objects.get(pk=created["id"]).conditions["rules"] == []


def test_the_form_refuses_review_asks_selected_by_score(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    page = client.post(
        reverse("automation:new", args=[personas.org.slug]),
        {
            "name": "Promoters get review links",
            "trigger": "response.completed",
            "is_active": "on",
            "match": "all",
            "c-0-type": "nps_category",
            "c-0-value": ["promoter"],
            "a-0-type": "send_review_invitation",
            "a-0-order": "1",
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "review gating" in html and "conditions.rules[0].type" in html
    assert not Rule.objects.filter(name="Promoters get review links").exists()


def test_a_rule_saved_in_promoters_only_mode_stops_asking_when_it_is_turned_off(
    personas: Personas,
) -> None:
    survey = make_survey(personas.org)
    review_site_create(organization=personas.org, name="Google", url="https://g.page/r/x/review")
    promoters_only(personas)
    rule = make_rule(personas.org, [{"type": "nps_category", "value": ["promoter"]}], [REVIEW])
    review_settings_update(organization=personas.org, mode=ReviewMode.EVERYONE)

    contact = make_contact(personas.org, email="fan@example.com")
    response = answer(survey, nps=10, contact_id=contact.pk)
    event_run(trigger="response.completed", subject_type="response",
              subject_id=str(response.pk), event_key=str(response.pk))  # fmt: skip
    run = RuleRun.objects.get(rule=rule)
    assert run.matched and run.failed
    assert run.action_results[0]["status"] == "failed"
    assert "review gating" in run.action_results[0]["detail"]
    assert not ReviewInvitation.objects.exists()

    # The advocacy pages name the rule; switching it off is allowed, on again is not.
    sites = personas.client_for(personas.viewer).get(
        reverse("advocacy:settings", args=[personas.org.slug])
    )
    assert "picks customers by score" in sites.content.decode()
    rule_set_active(rule=rule, is_active=False)
    with pytest.raises(DomainError) as refused:
        rule_set_active(rule=rule, is_active=True)
    assert refused.value.field == "conditions.rules[0].type"
