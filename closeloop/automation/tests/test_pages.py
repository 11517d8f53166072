"""The automation pages: the rules list with the defaults, the builder and its preview, the run
log, and who may change what."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.automation.engine import event_run
from closeloop.automation.models import Rule
from closeloop.automation.tests.factories import answer, make_rule, make_survey, support
from conftest import Personas

pytestmark = pytest.mark.django_db


def url(personas: Personas, name: str, *args: Any) -> str:
    return reverse(f"automation:{name}", args=[personas.org.slug, *args])


def test_rules_list_shows_the_defaults(personas: Personas) -> None:
    page = personas.client_for(personas.viewer).get(url(personas, "list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Detractors open a Support case" in html
    assert "Unhappy CSAT opens a Support case" in html
    assert "NPS between 0 and 6" in html and "create a case (high)" in html
    assert "New rule" not in html  # a viewer reads only


def test_build_a_rule_from_the_form(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    team = support(personas.org)
    assert client.get(url(personas, "new")).status_code == 200
    response = client.post(
        url(personas, "new"),
        {
            "name": "Comment mentions delivery",
            "trigger": "response.completed",
            "is_active": "on",
            "match": "all",
            "c-0-type": "text_contains",
            "c-0-value": "배송, delivery\nจัดส่ง",
            "c-1-type": "",
            "a-0-type": "route_to_team",
            "a-0-order": "2",
            "a-0-team": str(team.pk),
            "a-1-type": "add_tags",
            "a-1-order": "1",
            "a-1-tags": "delivery",
            "a-2-type": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get(name="Comment mentions delivery")
    assert rule.conditions == {
        "match": "all",
        "rules": [{"type": "text_contains", "value": ["배송", "delivery", "จัดส่ง"]}],
    }
    assert [a["type"] for a in rule.actions] == ["add_tags", "route_to_team"]
    edit = client.get(response["Location"])
    assert edit.status_code == 200 and "จัดส่ง" in edit.content.decode()


def test_the_form_names_what_to_fix(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    response = client.post(
        url(personas, "new"),
        {
            "name": "Bad",
            "trigger": "response.completed",
            "match": "all",
            "c-0-type": "score",
            "c-0-metric": "nps",
            "c-0-min": "9",
            "c-0-max": "2",
        },
    )
    assert response.status_code == 400
    assert "From is larger than To." in response.content.decode()
    assert not Rule.objects.filter(name="Bad").exists()


def test_typed_rows_and_preview(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    survey = make_survey(personas.org)
    for score in (1, 5, 9, 10):
        answer(survey, nps=score)
    row = client.get(url(personas, "condition_row"), {"n": "3", "c-3-type": "nps_category"})
    html = row.content.decode()
    assert 'name="c-3-value"' in html and "Detractor" in html
    action = client.get(url(personas, "action_row"), {"n": "0", "a-0-type": "create_case"})
    assert "round robin" in action.content.decode().lower()
    assert 'name="a-0-team"' in action.content.decode()
    preview = client.get(
        url(personas, "preview"),
        {
            "trigger": "response.completed",
            "match": "all",
            "c-0-type": "score",
            "c-0-metric": "nps",
            "c-0-max": "6",
        },
    )
    text = preview.content.decode()
    assert "Of the last 4 responses, 2 would have matched." in text
    bad = client.get(
        url(personas, "preview"), {"c-0-type": "score", "c-0-min": "abc"}
    ).content.decode()
    assert "whole number" in bad


def test_secrets_are_shortened_on_the_page(personas: Personas) -> None:
    rule = make_rule(
        personas.org,
        [],
        [
            {
                "type": "slack",
                "params": {"webhook_url": "https://hooks.slack.com/services/T0/B0/secretsecret"},
            }
        ],
    )
    client = personas.client_for(personas.admin)
    html = client.get(url(personas, "edit", rule.pk)).content.decode()
    assert "secretsecret" not in html and "https://hooks.slack.com/…cret" in html
    # Saving the page unchanged keeps the full URL.
    response = client.post(
        url(personas, "edit", rule.pk),
        {
            "name": rule.name,
            "trigger": "response.completed",
            "is_active": "on",
            "match": "all",
            "a-0-type": "slack",
            "a-0-order": "1",
            "a-0-webhook_url": "https://hooks.slack.com/…cret",
            "a-0-title": "t",
            "a-0-text": "x",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.actions[0]["params"]["webhook_url"].endswith("secretsecret")


def test_order_toggle_delete(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    a = make_rule(personas.org, [], name="A")
    b = make_rule(personas.org, [], name="B")
    client.post(url(personas, "move", b.pk), {"direction": "up"})
    assert list(Rule.objects.filter(organization=personas.org).values_list("name", flat=True)) == [
        "B",
        "A",
    ]
    client.post(url(personas, "toggle", a.pk))
    a.refresh_from_db()
    assert not a.is_active
    client.post(url(personas, "delete", a.pk))
    assert not Rule.objects.filter(pk=a.pk).exists()


def test_viewers_and_agents_cannot_change_rules(personas: Personas) -> None:
    rule = make_rule(personas.org, [], name="A")
    for user in (personas.viewer, personas.agent):
        client = personas.client_for(user)
        assert client.post(url(personas, "toggle", rule.pk)).status_code == 403
        assert client.get(url(personas, "new")).status_code == 403
        assert client.post(url(personas, "edit", rule.pk), {"name": "B"}).status_code == 403
    outsider = personas.client_for(personas.outsider)
    assert outsider.get(url(personas, "edit", rule.pk)).status_code == 404


def test_run_log_shows_conditions_and_actions(personas: Personas, settings: Any) -> None:
    survey = make_survey(personas.org)
    # Saved while the operator allowed private addresses; refused when the call is made.
    settings.OUTBOUND_ALLOW_PRIVATE = True
    rule = make_rule(
        personas.org,
        [{"type": "nps_category", "value": ["detractor"]}],
        [
            {"type": "webhook", "params": {"url": "http://127.0.0.1/x"}},
            {"type": "add_tags", "params": {"tags": ["late"]}},
        ],
        name="Tag detractors",
    )
    settings.OUTBOUND_ALLOW_PRIVATE = False
    for score in (3, 10):
        r = answer(survey, nps=score)
        event_run(
            trigger="response.completed",
            subject_type="response",
            subject_id=str(r.pk),
            event_key=str(r.pk),
        )
    client = personas.client_for(personas.viewer)
    html = client.get(url(personas, "runs"), {"rule": str(rule.pk)}).content.decode()
    assert "NPS category is Detractor" in html
    assert "127.0.0.1" in html and "tagged late" in html
    failed = client.get(url(personas, "runs"), {"failed": "1"}).content.decode()
    assert failed.count('class="run run-failed"') == 1
    missed = client.get(url(personas, "runs"), {"matched": "0"}).content.decode()
    assert "did not hold:" in missed and "tagged late" not in missed
    listing = client.get(url(personas, "list")).content.decode()
    assert "Tag detractors" in listing
