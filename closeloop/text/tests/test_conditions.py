"""Automation conditions on what customers wrote: "a comment is about a theme" and "a comment's
sentiment is ...". Rules run from response.completed, as enrichment does; a rule that runs
before the enrichment task enriches the response's comments itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.accounts.services import team_create
from closeloop.api.testing import ApiClient
from closeloop.automation.conditions import enabled_conditions
from closeloop.automation.engine import event_run
from closeloop.automation.models import ResponseTag, RuleRun
from closeloop.automation.tests.factories import answer, make_rule, make_survey
from closeloop.cases.models import Case
from closeloop.responses.models import Response
from closeloop.text.models import Comment
from closeloop.text.services import theme_merge
from closeloop.text.tests.factories import answer_on_the_page, comment_survey, work
from closeloop.text.tests.ui_factories import theme, themes_of
from conftest import Personas

pytestmark = pytest.mark.django_db


def run_rules(response: Response) -> list[RuleRun]:
    """The rule engine's task body for the response's response.completed event."""
    return event_run(
        trigger="response.completed", subject_type="response",
        subject_id=str(response.pk), event_key=str(response.pk),
    )  # fmt: skip


def billing_rule(team: Team) -> dict[str, Any]:
    return {
        "name": "Billing problems go to Billing",
        "conditions": {"match": "all", "rules": [{"type": "theme", "value": ["billing"]}]},
        "actions": [
            {"type": "create_case",
             "params": {"team": str(team.pk), "title": "Billing: {{first_comment}}"}},
        ],
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_comment_about_billing_opens_a_case_for_the_billing_team(
    personas: Personas, writer: ApiClient
) -> None:
    billing = team_create(organization=personas.org, name="Billing", actor=None)
    created = writer.post("/automation/rules", billing_rule(billing))
    assert created.status_code == 201, created.content
    survey = comment_survey(personas.org)

    # A passive (7), so only the billing rule can open a case.
    answer_on_the_page(
        survey, score=7, why="요금이 두 번 청구됐어요. 영수증도 틀렸고요", language="ko"
    )
    response = Response.objects.get(survey=survey)
    # The rule's task runs before the enrichment task: the condition enriches the comment.
    assert not Comment.objects.filter(response=response, enriched_at__isnull=False).exists()
    runs = run_rules(response)
    assert [
        r.matched for r in runs if r.rule is not None and r.rule.name.startswith("Billing")
    ] == [True]
    case = Case.objects.get(organization=personas.org, team=billing)
    assert case.response_id == response.pk
    assert case.title.startswith("Billing: 요금이 두 번")
    comment = Comment.objects.get(response=response)
    assert comment.language == "ko" and "billing" in themes_of(comment)

    work()  # the queued tasks (enrichment, the rules again) change nothing
    assert Case.objects.filter(organization=personas.org, team=billing).count() == 1
    comment.refresh_from_db()
    assert "billing" in themes_of(comment)

    # A comment about the coffee opens nothing for Billing.
    answer_on_the_page(survey, score=7, why="The coffee was fine, nothing special")
    work()
    assert Case.objects.filter(organization=personas.org, team=billing).count() == 1
    assert Comment.objects.filter(organization=personas.org, enriched_at__isnull=False).count() == 2


def test_sentiment_condition(personas: Personas) -> None:
    survey = make_survey(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "sentiment", "value": ["negative", "mixed"]}],
        [{"type": "add_tags", "params": {"tags": ["unhappy-words"]}}],
        name="Unhappy words",
    )
    angry = answer(survey, nps=8, comment="ส่งช้ามาก กาแฟเย็นชืด แย่มากครับ", language="th")
    happy = answer(survey, nps=8, comment="Lovely coffee, thank you!", language="en")
    assert [r.matched for r in run_rules(angry) if r.rule_id == rule.pk] == [True]
    assert [r.matched for r in run_rules(happy) if r.rule_id == rule.pk] == [False]
    assert Comment.objects.get(response=angry).sentiment == "negative"
    assert Comment.objects.get(response=happy).sentiment == "positive"
    silent = answer(survey, nps=8, language="en")  # no comment at all
    assert [r.matched for r in run_rules(silent) if r.rule_id == rule.pk] == [False]
    assert not Comment.objects.filter(response=silent).exists()


def test_theme_names_in_any_language_and_merged_themes(personas: Personas) -> None:
    survey = make_survey(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "theme", "value": ["청구와 결제"]}],  # billing's Korean name
        [{"type": "add_tags", "params": {"tags": ["billing"]}}],
        name="Billing by name",
    )
    response = answer(survey, nps=8, comment="I was charged twice on my invoice", language="en")
    assert [r.matched for r in run_rules(response) if r.rule_id == rule.pk] == [True]

    # Billing merged into Customer support: the rule now follows the merged theme.
    theme_merge(theme=theme(personas.org, "billing"), into=theme(personas.org, "customer_support"))
    later = answer(survey, nps=8, comment="The invoice amount is wrong again", language="en")
    assert [r.matched for r in run_rules(later) if r.rule_id == rule.pk] == [True]


def test_rules_name_real_themes(personas: Personas, writer: ApiClient) -> None:
    team = Team.objects.get(organization=personas.org, slug="support")
    rule = billing_rule(team)
    rule["conditions"]["rules"] = [{"type": "theme", "value": ["billing", "parking"]}]
    refused = writer.post("/automation/rules", rule)
    assert refused.status_code == 400
    body = refused.json()
    assert body["field"] == "conditions.rules[0].value"
    assert "parking" in body["detail"]
    rule["conditions"]["rules"] = [{"type": "sentiment", "value": ["furious"]}]
    assert writer.post("/automation/rules", rule).json()["field"] == "conditions.rules[0].value"


def test_the_builder_offers_them_and_the_preview_uses_them(
    personas: Personas, writer: ApiClient
) -> None:
    offered = {c.name for c in enabled_conditions("response")}
    assert {"theme", "sentiment"} <= offered
    page = personas.client_for(personas.admin).get(
        reverse("automation:new", kwargs={"org_slug": personas.org.slug})
    )
    assert "Comment mentions a theme" in page.content.decode()
    assert "Comment sentiment" in page.content.decode()

    survey = make_survey(personas.org)
    answer(survey, nps=9, comment="Delivery was late and cold", language="en")
    answer(survey, nps=9, comment="Great coffee", language="en")
    created = writer.post(
        "/automation/rules",
        {"name": "Late", "conditions": {"rules": [{"type": "theme", "value": ["delivery"]}]},
         "actions": [{"type": "add_tags", "params": {"tags": ["late"]}}]},
    )  # fmt: skip
    preview = writer.post(f"/automation/rules/{created.json()['id']}/preview", {}).json()
    assert (preview["evaluated"], preview["matched"]) == (2, 1)


def test_on_a_case_trigger_the_cases_response_counts(personas: Personas) -> None:
    from closeloop.cases.services import case_create

    survey = make_survey(personas.org)
    response = answer(survey, nps=8, comment="배송이 너무 늦었어요", language="ko")
    rule = make_rule(
        personas.org,
        [{"type": "theme", "value": ["delivery"]}],
        [{"type": "add_tags", "params": {"tags": ["late-delivery"]}}],
        trigger="case.created",
        name="Tag delivery cases",
    )
    case = case_create(organization=personas.org, title="Call back", response=response)
    runs = event_run(
        trigger="case.created", subject_type="case", subject_id=str(case.pk),
        event_key=str(case.pk),
    )  # fmt: skip
    assert [r.matched for r in runs if r.rule_id == rule.pk] == [True]
    assert ResponseTag.objects.filter(response=response, tag="late-delivery").exists()
