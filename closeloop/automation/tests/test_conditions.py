"""Each condition type, evaluated against real responses as the engine sees them."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.automation.conditions import CONDITIONS, enabled_conditions, evaluate_conditions
from closeloop.automation.context import context_for_response, load_context
from closeloop.automation.services import clean_conditions
from closeloop.automation.tests.factories import answer, make_survey, support
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.errors import DomainError
from closeloop.distribution.tests.journey_factories import isolation_touchpoint
from closeloop.responses.models import Response
from conftest import Personas

pytestmark = pytest.mark.django_db


def holds(response: Response, *conditions: dict[str, Any], match: str = "all") -> bool:
    """Validate the conditions as a rule would, then evaluate them for the response."""
    cleaned = clean_conditions(
        response.organization, "response.completed", {"match": match, "rules": list(conditions)}
    )
    response = Response.objects.select_related("survey", "version", "organization").get(
        pk=response.pk
    )
    ctx = context_for_response(response, trigger="response.completed", event_key="t")
    matched, _results = evaluate_conditions(ctx, cleaned)
    return matched


@pytest.fixture
def survey(personas: Personas) -> Any:
    return make_survey(personas.org)


def test_score_range(survey: Any) -> None:
    r = answer(survey, nps=6, csat=2)
    assert holds(r, {"type": "score", "metric": "nps", "min": 0, "max": 6})
    assert not holds(r, {"type": "score", "metric": "nps", "min": 7})
    assert holds(r, {"type": "score", "metric": "csat", "min": 1, "max": 2, "points": "5"})
    assert not holds(r, {"type": "score", "metric": "csat", "max": 2, "points": "7"})
    assert holds(r, {"type": "score", "key": "csat", "max": 2})
    assert not holds(r, {"type": "score", "metric": "ces", "min": 0})  # not answered
    with pytest.raises(DomainError) as err:
        holds(r, {"type": "score", "metric": "nps", "min": 8, "max": 3})
    assert err.value.field == "conditions.rules[0].min"


def test_nps_category_and_csat(survey: Any) -> None:
    detractor, passive, promoter = (
        answer(survey, nps=n, csat=c) for n, c in ((3, 1), (7, 3), (10, 5))
    )
    category = {"type": "nps_category", "value": ["detractor", "passive"]}
    assert holds(detractor, category) and holds(passive, category) and not holds(promoter, category)
    unhappy = {"type": "csat", "value": "unsatisfied"}
    assert holds(detractor, unhappy) and holds(passive, unhappy) and not holds(promoter, unhappy)
    assert holds(promoter, {"type": "csat", "value": "satisfied"})


def test_any_answer(survey: Any) -> None:
    r = answer(survey, nps=8, topic="price", comment="Too expensive")
    assert holds(r, {"type": "answer", "key": "topic", "op": "eq", "value": "price"})
    assert holds(r, {"type": "answer", "key": "topic", "op": "in", "value": "speed, price"})
    assert holds(r, {"type": "answer", "key": "topic", "op": "ne", "value": "staff"})
    assert holds(r, {"type": "answer", "key": "nps", "op": "gt", "value": "7"})
    assert not holds(r, {"type": "answer", "key": "nps", "op": "lt", "value": "7"})
    assert holds(r, {"type": "answer", "key": "comment", "op": "contains", "value": "EXPENSIVE"})
    assert holds(r, {"type": "answer", "key": "comment", "op": "answered"})
    assert holds(r, {"type": "answer", "key": "csat", "op": "not_answered"})


def test_text_contains_in_any_language(survey: Any) -> None:
    words = {"type": "text_contains", "value": "배송, delivery\nจัดส่ง"}
    assert holds(answer(survey, comment="배송이 너무 늦었어요"), words)
    assert holds(answer(survey, comment="การจัดส่งช้ามาก"), words)
    assert holds(answer(survey, comment="The DELIVERY was late"), words)
    assert not holds(answer(survey, comment="맛있어요"), words)
    assert not holds(answer(survey, nps=3), words)


def test_language_survey_channel_touchpoint(personas: Personas, survey: Any) -> None:
    other = make_survey(personas.org, name="Other")
    touchpoint = isolation_touchpoint(personas.org)
    r = answer(survey, nps=5, language="ko", channel="email")
    Response.objects.filter(pk=r.pk).update(touchpoint_id=touchpoint.pk)
    assert holds(r, {"type": "language", "value": ["ko", "th"]})
    assert not holds(r, {"type": "language", "value": ["en"]})
    assert holds(r, {"type": "survey", "value": [str(survey.pk)]})
    assert not holds(r, {"type": "survey", "value": [str(other.pk)]})
    assert holds(r, {"type": "channel", "value": ["email"]})
    assert not holds(r, {"type": "channel", "value": ["widget", "qr"]})
    assert holds(r, {"type": "touchpoint", "value": [str(touchpoint.pk)]})


def test_contact_attribute_and_segment(personas: Personas, survey: Any) -> None:
    from closeloop.contacts.services import attribute_definition_create, segment_create

    attribute_definition_create(
        organization=personas.org, key="tier", label="Tier", type="text", actor=None
    )
    attribute_definition_create(
        organization=personas.org, key="visits", label="Visits", type="number", actor=None
    )
    vip = make_contact(personas.org, language="ko", attributes={"tier": "gold", "visits": 12})
    plain = make_contact(personas.org, language="en", attributes={"tier": "basic", "visits": 1})
    segment = segment_create(
        organization=personas.org,
        name="Korean speakers",
        actor=None,
        definition={"match": "all", "rules": [{"field": "language", "op": "eq", "value": "ko"}]},
    )
    r_vip = answer(survey, nps=4, contact_id=vip.pk)
    r_plain = answer(survey, nps=4, contact_id=plain.pk)
    anonymous = answer(survey, nps=4)
    gold = {"type": "contact_attribute", "key": "tier", "op": "eq", "value": "gold"}
    regular = {"type": "contact_attribute", "key": "visits", "op": "gt", "value": "10"}
    in_segment = {"type": "segment", "value": str(segment.pk)}
    assert holds(r_vip, gold) and holds(r_vip, regular) and holds(r_vip, in_segment)
    assert not holds(r_plain, gold) and not holds(r_plain, regular)
    assert not holds(r_plain, in_segment)
    assert holds(r_plain, {**in_segment, "op": "not_in"})
    assert not holds(anonymous, gold) and not holds(anonymous, in_segment)
    assert holds(r_plain, gold, regular, {"type": "language", "value": ["en"]}, match="any")


def test_case_fields_on_case_events(personas: Personas, survey: Any) -> None:
    from closeloop.cases.services import case_create

    team = support(personas.org)
    response = answer(survey, nps=2)
    case = case_create(
        organization=personas.org,
        title="Cold",
        team=team,
        priority="high",
        response=response,
        tags=["vip"],
    )
    ctx = load_context(
        trigger="case.changed",
        subject_type="case",
        subject_id=str(case.pk),
        event_key="k",
        payload={},
    )
    assert ctx is not None and ctx.response is not None

    def case_holds(*conditions: dict[str, Any]) -> bool:
        cleaned = clean_conditions(personas.org, "case.changed", {"rules": list(conditions)})
        return evaluate_conditions(ctx, cleaned)[0]

    assert case_holds({"type": "case_team", "value": [str(team.pk)]})
    assert case_holds({"type": "case_priority", "value": ["high", "urgent"]})
    assert case_holds({"type": "case_status", "value": [case.status]})
    assert case_holds({"type": "case_tag", "value": ["VIP"]})
    assert not case_holds({"type": "case_priority", "value": ["low"]})
    # Response conditions still apply to the case's response.
    assert case_holds({"type": "nps_category", "value": ["detractor"]})
    # Case fields make no sense for a response rule.
    with pytest.raises(DomainError):
        clean_conditions(
            personas.org, "response.completed", {"rules": [{"type": "case_tag", "value": ["x"]}]}
        )


def test_text_conditions_are_offered(personas: Personas) -> None:
    # Evaluated by the text app (closeloop/text/tests/test_conditions.py tests them).
    assert {"sentiment", "theme"} <= set(CONDITIONS)
    offered = {c.name for c in enabled_conditions()}
    assert "sentiment" in offered and "theme" in offered
    cleaned = clean_conditions(
        personas.org,
        "response.completed",
        {"rules": [{"type": "sentiment", "value": ["negative"]}]},
    )
    assert cleaned["rules"] == [{"type": "sentiment", "value": ["negative"]}]
    with pytest.raises(DomainError):
        clean_conditions(
            personas.org,
            "response.completed",
            {"rules": [{"type": "theme", "value": ["no such theme"]}]},
        )


def test_references_must_be_the_organizations_own(personas: Personas) -> None:
    from closeloop.accounts.models import Team

    foreign = Team.objects.filter(organization=personas.other_org).first()
    assert foreign is not None
    with pytest.raises(DomainError) as err:
        clean_conditions(
            personas.org,
            "case.created",
            {"rules": [{"type": "case_team", "value": [str(foreign.pk)]}]},
        )
    assert err.value.field == "conditions.rules[0].value"
