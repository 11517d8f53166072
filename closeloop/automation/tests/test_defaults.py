"""The rules every new organization starts with: review links for everyone, and one Support
case for an unhappy customer, on any CSAT scale."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import UserFactory
from closeloop.advocacy.models import ReviewInvitation
from closeloop.advocacy.services import review_site_create
from closeloop.automation.models import Rule, RuleRun
from closeloop.automation.services import automation_ensure_defaults
from closeloop.automation.tests.factories import make_survey
from closeloop.cases.models import Case
from closeloop.contacts.tests.factories import make_contact
from closeloop.responses.testing import publish_survey
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


def csat_survey(org: Any, points: int) -> Any:
    en = {"en": "How satisfied were you?"}
    return publish_survey(
        org,
        {
            "default_language": "en",
            "languages": ["en"],
            "title": {"en": f"CSAT {points}"},
            "pages": [
                {
                    "key": "p1",
                    "questions": [{"key": "sat", "type": "csat", "points": points, "title": en}],
                }
            ],
            "endings": [{"key": "end", "title": {"en": "Thanks"}, "message": {"en": "Bye."}}],
        },
        name=f"CSAT {points}",
    )


def test_a_new_organization_starts_with_three_rules() -> None:
    org = organization_create(name="Fresh Bakery", owner=UserFactory(), time_zone="UTC")
    rules = list(Rule.objects.filter(organization=org).order_by("position"))
    assert [(r.default_key, r.is_active, r.stop_processing) for r in rules] == [
        ("default_review_invitations", True, False),
        ("default_detractors", True, False),
        ("default_unhappy_csat", True, False),
    ]
    assert rules[0].conditions == {"match": "all", "rules": []}
    assert rules[0].actions == [{"type": "send_review_invitation", "params": {}}]
    assert rules[2].conditions["rules"] == [{"type": "csat", "value": "dissatisfied"}]


def test_the_review_rule_waits_for_a_review_site_then_asks_everyone(
    personas: Personas, complete: Any
) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    early = make_contact(personas.org, email="early@example.com")
    complete(survey, nps=10, contact_id=early.pk)
    run = RuleRun.objects.get(rule__default_key="default_review_invitations")
    assert run.matched and not run.failed
    assert run.action_results[0]["status"] == "skipped"
    assert "No review site is offered yet" in run.action_results[0]["detail"]
    assert not ReviewInvitation.objects.exists()

    review_site_create(organization=personas.org, name="Google", url="https://g.page/r/x/review")
    unhappy = make_contact(personas.org, email="unhappy@example.com")
    happy = make_contact(personas.org, email="happy@example.com")
    complete(survey, nps=2, csat=1, comment="Cold", contact_id=unhappy.pk)
    complete(survey, nps=10, csat=5, contact_id=happy.pk)
    # The same links for a detractor as for a promoter; only the wording differs.
    bands = dict(ReviewInvitation.objects.values_list("contact__email", "band"))
    assert bands == {"unhappy@example.com": "detractors", "happy@example.com": "promoters"}


@pytest.mark.parametrize(
    ("points", "unhappy", "not_unhappy"),
    [(3, [1], [2, 3]), (5, [1, 2], [3, 4]), (7, [1, 2, 3], [4, 5]), (10, [1, 5], [6, 8])],
)
def test_unhappy_csat_opens_a_case_on_any_scale(
    personas: Personas, complete: Any, points: int, unhappy: list[int], not_unhappy: list[int]
) -> None:
    automation_ensure_defaults(personas.org)
    survey = csat_survey(personas.org, points)
    for score in unhappy:
        response = complete(survey, sat=score)
        assert Case.objects.filter(response=response).count() == 1, (points, score)
    for score in not_unhappy:
        response = complete(survey, sat=score)
        assert not Case.objects.filter(response=response).exists(), (points, score)


def test_a_low_nps_and_a_low_csat_open_one_case(personas: Personas, complete: Any) -> None:
    automation_ensure_defaults(personas.org)
    survey = make_survey(personas.org)
    response = complete(survey, nps=1, csat=1, comment="Everything went wrong")
    case = Case.objects.get(response=response)
    assert case.priority == "high"  # the detractor rule, first in order, opened it
    csat_run = RuleRun.objects.get(rule__default_key="default_unhappy_csat")
    assert csat_run.matched
    [result] = csat_run.action_results
    assert result["status"] == "skipped"
    assert f"already has an open case ({case.number})" in result["detail"]


def test_the_builder_offers_stop_after_this_rule(personas: Personas) -> None:
    automation_ensure_defaults(personas.org)
    rule = Rule.objects.get(organization=personas.org, default_key="default_detractors")
    client = personas.client_for(personas.analyst)
    page = client.get(reverse("automation:edit", args=[personas.org.slug, rule.pk]))
    html = page.content.decode()
    assert 'name="stop_processing"' in html and "Stop after this rule matches" in html
    listing = client.get(reverse("automation:list", args=[personas.org.slug])).content.decode()
    assert "Everyone who completes a survey is offered a review" in listing
