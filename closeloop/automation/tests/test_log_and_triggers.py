"""The run log at scale (one summary row for the rules that did not match), the case.reopened
trigger, the {{touchpoint}} placeholder and a preview that leaves imported history out."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.api.testing import ApiClient
from closeloop.automation.engine import event_run
from closeloop.automation.models import RuleRun
from closeloop.automation.tests.factories import answer, make_rule, make_survey, support
from closeloop.cases.choices import CaseStatus
from closeloop.cases.services import case_close, case_create, case_transition
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.models import Touchpoint
from closeloop.integrations.models import Delivery
from closeloop.responses.models import Response
from conftest import Personas

pytestmark = pytest.mark.django_db


def run_rules(response: Any) -> None:
    event_run(trigger="response.completed", subject_type="response",
              subject_id=str(response.pk), event_key=str(response.pk))  # fmt: skip


def notify(subject: str) -> dict[str, Any]:
    return {
        "type": "notify_email",
        "params": {"recipients": "addresses", "addresses": ["cx@acme.test"], "subject": subject},
    }


def test_without_logging_unmatched_rules_each_event_gets_one_summary_row(
    personas: Personas, settings: Any, reader: ApiClient
) -> None:
    settings.AUTOMATION_LOG_UNMATCHED = False
    survey = make_survey(personas.org)
    for n in range(40):
        make_rule(personas.org, [{"type": "language", "value": ["th"]}], name=f"Thai {n}")
    hit = make_rule(
        personas.org,
        [{"type": "nps_category", "value": ["detractor"]}],
        [{"type": "add_tags", "params": {"tags": ["unhappy"]}}],
        name="Unhappy",
    )
    response = answer(survey, nps=3, language="en")
    run_rules(response)
    run_rules(response)  # the task runs again (a retry): nothing is logged twice

    runs = RuleRun.objects.filter(event_key=str(response.pk))
    assert runs.count() == 2
    assert runs.get(rule=hit).matched
    summary = runs.get(rule=None)
    assert (summary.matched, summary.unmatched_count) == (False, 40)

    html = (
        personas.client_for(personas.viewer)
        .get(reverse("automation:runs", args=[personas.org.slug]))
        .content.decode()
    )
    assert html.count('data-testid="run-summary"') == 1
    assert "40 rules did not match" in html and "Unhappy" in html
    listed = reader.get("/automation/runs", {"matched": "false"}).json()["items"]
    assert [(r["rule_id"], r["unmatched_count"]) for r in listed] == [(None, 40)]
    # A rule's own log holds its matches only.
    mine = personas.client_for(personas.viewer).get(
        reverse("automation:runs", args=[personas.org.slug]), {"rule": str(hit.pk)}
    )
    assert 'data-testid="run-summary"' not in mine.content.decode()


@pytest.mark.django_db(transaction=True)
def test_rules_run_when_a_case_is_reopened(personas: Personas) -> None:
    rule = make_rule(personas.org, [{"type": "case_priority", "value": ["high"]}],
                     [notify("Reopened: {{case.title}}")], trigger="case.reopened")  # fmt: skip
    case = case_create(organization=personas.org, title="Beans were stale",
                       team=support(personas.org), priority="high")  # fmt: skip
    case_close(case=case, actor=None)
    run_ready_tasks()
    assert not RuleRun.objects.filter(rule=rule).exists()
    case_transition(case=case, to_status=CaseStatus.REOPENED, actor=None)
    run_ready_tasks()
    run = RuleRun.objects.get(rule=rule)
    assert run.matched and run.subject_type == "case" and run.event == "case.reopened"
    assert Delivery.objects.get(target="cx@acme.test").payload["subject"] == (
        "Reopened: Beans were stale"
    )


def test_the_builder_offers_the_case_reopened_and_unsubscribe_triggers(
    personas: Personas,
) -> None:
    html = (
        personas.client_for(personas.analyst)
        .get(reverse("automation:new", args=[personas.org.slug]))
        .content.decode()
    )
    assert 'value="case.reopened"' in html and "A case is reopened" in html
    assert 'value="contact.unsubscribed"' in html


def test_touchpoint_placeholder_is_the_touchpoints_name(personas: Personas) -> None:
    survey = make_survey(personas.org)
    touchpoint = Touchpoint.objects.create(
        organization=personas.org, key="gangnam-store", name="Gangnam store"
    )
    rule = make_rule(personas.org, [], [notify("NPS {{nps}} at {{touchpoint}}")])
    response = answer(survey, nps=4)
    Response.objects.filter(pk=response.pk).update(touchpoint_id=touchpoint.pk)
    run_rules(response)
    assert RuleRun.objects.get(rule=rule).matched
    assert Delivery.objects.get(target="cx@acme.test").payload["subject"] == (
        "NPS 4 at Gangnam store"
    )


def test_the_preview_leaves_imported_history_out(personas: Personas, writer: ApiClient) -> None:
    survey = make_survey(personas.org)
    for _n in range(3):
        answer(survey, nps=2, historical=True)
    answer(survey, nps=1)
    answer(survey, nps=9)
    rule = writer.post(
        "/automation/rules",
        {"name": "Detractors", "conditions": {"rules": [{"type": "score", "metric": "nps",
                                                           "max": 6}]}},
    ).json()  # fmt: skip
    preview = writer.post(f"/automation/rules/{rule['id']}/preview", {}).json()
    assert (preview["evaluated"], preview["matched"]) == (2, 1)
    page = personas.client_for(personas.analyst).get(
        reverse("automation:preview", args=[personas.org.slug]),
        {"trigger": "response.completed", "c-0-type": "nps_category", "c-0-value": "detractor"},
    )
    assert "Of the last 2 responses, 1 would have matched." in page.content.decode()
