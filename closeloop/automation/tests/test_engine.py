"""The rule engine end to end: a completed response runs the organization's rules in a
background task, which opens cases, tags and routes feedback, and queues notifications once."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.automation.models import ResponseTag, Rule, RuleRun
from closeloop.automation.services import automation_ensure_defaults, rule_update
from closeloop.automation.tasks import automation_run_event
from closeloop.automation.tests.factories import answer, make_rule, make_survey, support
from closeloop.cases.models import Case
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.worker import run_ready_tasks
from closeloop.integrations.models import Delivery
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


def test_detractor_opens_a_support_case_through_the_default_rule(
    personas: Personas, complete: Any
) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    contact = make_contact(personas.org, first_name="Minji", last_name="Kim", language="ko")

    response = complete(survey, nps=3, comment="커피가 식었어요", contact_id=contact.pk)

    case = Case.objects.get(response=response)
    assert case.team == support(personas.org)
    assert case.priority == "high"
    assert case.title == "NPS 3 from Minji Kim: 커피가 식었어요"
    run = RuleRun.objects.get(rule__default_key="default_detractors", subject_id=str(response.pk))
    assert run.matched and not run.failed
    assert run.conditions_display == [
        {"type": "score", "label": "NPS between 0 and 6", "held": True}
    ]
    assert run.action_results[0]["status"] == "ok"
    assert f"case {case.number} created for Support" == run.action_results[0]["detail"]
    # The CSAT rule was evaluated too, lightly: only the condition that failed.
    other = RuleRun.objects.get(rule__default_key="default_unhappy_csat")
    assert not other.matched and len(other.condition_results) == 1
    assert other.action_results == []


def test_unhappy_csat_opens_a_case_and_promoters_do_not(personas: Personas, complete: Any) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    unhappy = complete(survey, nps=8, csat=2)
    happy = complete(survey, nps=10, csat=5)
    assert Case.objects.filter(response=unhappy).count() == 1
    assert not Case.objects.filter(response=happy).exists()


def test_defaults_are_installed_once(personas: Personas) -> None:
    first = automation_ensure_defaults(personas.org)
    assert [r.default_key for r in first] == [
        "default_review_invitations",
        "default_detractors",
        "default_unhappy_csat",
    ]
    first[0].delete()
    assert automation_ensure_defaults(personas.org) == []
    assert Rule.objects.filter(organization=personas.org).count() == 2


def test_historical_responses_run_no_rule(personas: Personas, complete: Any) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    complete(survey, nps=0, historical=True)
    assert not Case.objects.exists()
    assert not RuleRun.objects.exists()


def test_tags_and_team_routing(personas: Personas, complete: Any) -> None:
    survey = make_survey(personas.org)
    team = support(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "text_contains", "value": ["배송", "delivery", "จัดส่ง"]}],
        [
            {"type": "add_tags", "params": {"tags": ["Delivery", "logistics"]}},
            {"type": "route_to_team", "params": {"team": str(team.pk), "reason": "Delivery"}},
        ],
        name="Delivery complaints",
    )
    thai = complete(survey, nps=5, comment="การจัดส่งช้ามาก", language="th")
    korean = complete(survey, nps=6, comment="배송이 늦었어요", language="ko")
    other = complete(survey, nps=6, comment="Great coffee")

    from closeloop.automation.selectors import response_tags, team_feedback

    tags = response_tags([thai.pk, korean.pk, other.pk])
    assert sorted(tags[thai.pk]) == ["delivery", "logistics"]
    assert other.pk not in tags
    inbox = list(team_feedback(team=team))
    assert {f.response_id for f in inbox} == {thai.pk, korean.pk}
    assert all(f.rule == rule and f.reason == "Delivery" for f in inbox)


def test_notifications_are_queued_once_even_when_the_task_runs_again(
    personas: Personas, complete: Any
) -> None:
    survey = make_survey(personas.org)
    team = support(personas.org)
    from closeloop.accounts.services import team_set_members

    agent = personas.membership(personas.agent)
    team_set_members(team=team, memberships=[agent], leads=[agent], actor=None)
    rule = make_rule(
        personas.org,
        [{"type": "nps_category", "value": ["detractor"]}],
        [
            {
                "type": "notify_email",
                "params": {
                    "recipients": "leads",
                    "team": str(team.pk),
                    "subject": "Detractor: {{nps}}",
                },
            },
            {
                "type": "slack",
                "params": {"webhook_url": "https://hooks.slack.test/services/T0/B0/xyz"},
            },
            {
                "type": "webhook",
                "params": {"url": "https://receiver.test/hook", "secret": "s3cret-s3cret"},
            },
        ],
    )
    response = complete(survey, nps=2, comment="Cold coffee")
    deliveries = Delivery.objects.filter(idempotency_key__startswith=f"automation:{rule.pk}:")
    assert sorted(d.kind for d in deliveries) == ["email", "slack", "webhook"]
    email = deliveries.get(kind="email")
    assert email.target == "agent@acme.test"
    assert email.payload["subject"] == "Detractor: 2"
    before = Delivery.objects.count()

    # The worker runs the task again (a retry, a restart): nothing new is created or sent.
    automation_run_event.call(
        "response.completed", "response", str(response.pk), str(response.pk), None, {}
    )
    RuleRun.objects.filter(rule=rule).delete()  # even without the run log, keys hold
    automation_run_event.call(
        "response.completed", "response", str(response.pk), str(response.pk), None, {}
    )
    assert Delivery.objects.count() == before
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_failed_action_is_logged_and_the_next_one_runs(
    personas: Personas, complete: Any, settings: Any
) -> None:
    survey = make_survey(personas.org)
    settings.OUTBOUND_ALLOW_PRIVATE = True  # saved while the operator allowed it...
    rule = make_rule(
        personas.org,
        [],
        [
            {"type": "webhook", "params": {"url": "http://127.0.0.1:9/hook"}},
            {"type": "add_tags", "params": {"tags": ["seen"]}},
        ],
    )
    settings.OUTBOUND_ALLOW_PRIVATE = False  # ...then refused when the call is made
    response = complete(survey, nps=9)
    run = RuleRun.objects.get(rule=rule)
    assert run.failed
    first, second = run.action_results
    assert first["status"] == "failed" and "127.0.0.1" in first["detail"]
    assert second["status"] == "ok"
    assert ResponseTag.objects.filter(response=response, tag="seen").exists()


def test_a_failed_case_skips_the_actions_after_it(personas: Personas, complete: Any) -> None:
    survey = make_survey(personas.org)
    team = support(personas.org)
    rule = make_rule(
        personas.org,
        [],
        [
            {"type": "create_case", "params": {"team": str(team.pk)}},
            {"type": "add_tags", "params": {"tags": ["after"]}},
        ],
    )
    team.delete()  # the rule now points at a team that no longer exists
    complete(survey, nps=1)
    run = RuleRun.objects.get(rule=rule)
    assert [a["status"] for a in run.action_results] == ["failed", "skipped"]
    assert "no longer exists" in run.action_results[0]["detail"]
    assert not ResponseTag.objects.exists() and not Case.objects.exists()


def test_stop_processing_and_order(personas: Personas, complete: Any) -> None:
    survey = make_survey(personas.org)
    first = make_rule(
        personas.org,
        [{"type": "score", "metric": "nps", "max": 6}],
        [{"type": "add_tags", "params": {"tags": ["first"]}}],
        stop_processing=True,
    )
    second = make_rule(personas.org, [], [{"type": "add_tags", "params": {"tags": ["second"]}}])
    detractor = complete(survey, nps=4)
    promoter = complete(survey, nps=10)
    assert list(ResponseTag.objects.filter(response=detractor).values_list("tag", flat=True)) == [
        "first"
    ]
    assert list(ResponseTag.objects.filter(response=promoter).values_list("tag", flat=True)) == [
        "second"
    ]
    assert not RuleRun.objects.filter(rule=second, subject_id=str(detractor.pk)).exists()
    rule_update(rule=first, is_active=False)
    again = complete(survey, nps=4)
    assert list(ResponseTag.objects.filter(response=again).values_list("tag", flat=True)) == [
        "second"
    ]


def test_email_to_the_respondent_honours_unsubscribe(personas: Personas, complete: Any) -> None:
    survey = make_survey(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "nps_category", "value": ["detractor"]}],
        [
            {
                "type": "email_respondent",
                "params": {
                    "subject": {
                        "en": "Sorry, {{contact.first_name}}",
                        "ko": "죄송합니다 {{contact.first_name}}님",
                    },
                    "body": {"en": "We read: {{first_comment}}", "ko": "의견: {{first_comment}}"},
                },
            }
        ],
    )
    ko = make_contact(personas.org, first_name="민지", language="ko", email="minji@example.com")
    gone = make_contact(personas.org, first_name="Old", email="old@example.com")
    from closeloop.contacts.services import contact_unsubscribe

    contact_unsubscribe(contact=gone, via="test")
    complete(survey, nps=2, comment="별로", language="ko", contact_id=ko.pk)
    complete(survey, nps=2, comment="meh", contact_id=gone.pk)
    complete(survey, nps=2, comment="anon")

    email = Delivery.objects.get(kind="email", target="minji@example.com")
    assert email.payload["subject"] == "죄송합니다 민지님"
    assert email.payload["text"].startswith("의견: 별로")
    assert "/u/" in email.payload["text"]  # one-click unsubscribe
    details = sorted(
        r.action_results[0]["detail"]
        for r in RuleRun.objects.filter(rule=rule)
        if r.action_results[0]["status"] == "skipped"
    )
    assert details == [
        "The contact unsubscribed.",
        "The respondent is anonymous: no email address.",
    ]


def test_case_created_rules_run_on_cases(personas: Personas, complete: Any) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "case_priority", "value": ["high"]}],
        [
            {
                "type": "notify_email",
                "params": {
                    "recipients": "addresses",
                    "addresses": ["cx@acme.test"],
                    "subject": "New case: {{case.title}}",
                },
            }
        ],
        trigger="case.created",
    )
    complete(survey, nps=1, comment="Broken")
    run_ready_tasks()
    run = RuleRun.objects.get(rule=rule)
    assert run.matched and run.subject_type == "case"
    email = Delivery.objects.get(kind="email", target="cx@acme.test")
    assert email.payload["subject"] == "New case: NPS 1 from an anonymous respondent: Broken"


def test_contact_unsubscribed_rules(personas: Personas) -> None:
    rule = make_rule(
        personas.org,
        [{"type": "language", "value": ["ko"]}],
        [
            {
                "type": "notify_email",
                "params": {
                    "recipients": "addresses",
                    "addresses": ["crm@acme.test"],
                    "subject": "{{contact.email}} left",
                },
            }
        ],
        trigger="contact.unsubscribed",
    )
    ko = make_contact(personas.org, language="ko", email="bye@example.com")
    en = make_contact(personas.org, language="en", email="later@example.com")
    from closeloop.contacts.services import contact_unsubscribe

    contact_unsubscribe(contact=ko, via="link")
    contact_unsubscribe(contact=en, via="link")
    run_ready_tasks()
    runs = RuleRun.objects.filter(rule=rule)
    assert sorted(r.matched for r in runs) == [False, True]
    assert Delivery.objects.get(target="crm@acme.test").payload["subject"] == "bye@example.com left"


def test_create_case_is_refused_on_case_triggers(personas: Personas) -> None:
    from closeloop.core.errors import DomainError

    with pytest.raises(DomainError) as err:
        make_rule(personas.org, [], [{"type": "create_case", "params": {}}], trigger="case.changed")
    assert err.value.field == "actions[0].type"


def test_answer_is_required_for_the_engine_only_once(personas: Personas) -> None:
    """The context is loaded once per event: 1,000 rules cost no more queries than one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from closeloop.automation.engine import event_run

    survey = make_survey(personas.org)
    response = answer(survey, nps=9)
    make_rule(personas.org, [{"type": "score", "metric": "nps", "max": 6}])
    with CaptureQueriesContext(connection) as one:
        event_run(
            trigger="response.completed",
            subject_type="response",
            subject_id=str(response.pk),
            event_key="a",
        )
    for n in range(30):
        make_rule(personas.org, [{"type": "score", "metric": "nps", "max": n % 7}], name=f"r{n}")
    with CaptureQueriesContext(connection) as many:
        event_run(
            trigger="response.completed",
            subject_type="response",
            subject_id=str(response.pk),
            event_key="b",
        )
    assert len(many) == len(one)
