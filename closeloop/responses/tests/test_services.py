"""The response services: partial saves, logic, completion into facts, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.core import events
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.models import AnswerFact, Response
from closeloop.responses.services import (
    ResponseValidationError,
    response_complete,
    response_create_complete,
    response_save_page,
    response_start,
)
from closeloop.surveys.models import Survey


@pytest.fixture
def completed_events() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        seen.append(payload)

    events.on("response.completed")(handler)
    yield seen
    events.disconnect("response.completed", handler)


def start(survey: Survey, **kwargs: Any) -> Response:
    response, token = response_start(
        survey=survey,
        channel=Channel.LINK,
        language=kwargs.pop("language", "en"),
        hidden=kwargs.pop("hidden", {}),
        metadata={},
        **kwargs,
    )
    assert token and response.resume_token_hash != token
    return response


def test_valid_answers_are_kept_beside_errors(survey: Survey) -> None:
    response = start(survey)
    result = response_save_page(
        response=response, page_key="score", raw={"q1": ["eleven"], "name": ["Mina"]}
    )
    assert set(result.errors) == {"q1"}
    response.refresh_from_db()
    assert response.answers == {"name": "Mina"}
    assert response.current_page == "score"
    assert response.status == ResponseStatus.PARTIAL


def test_required_question_left_empty_is_an_error(survey: Survey) -> None:
    response = start(survey)
    result = response_save_page(response=response, page_key="score", raw={})
    assert "requires an answer" in result.errors["q1"]
    assert result.step is None


def test_logic_jumps_promoters_to_praise_and_others_to_improve(survey: Survey) -> None:
    promoter = start(survey)
    result = response_save_page(response=promoter, page_key="score", raw={"q1": ["10"]})
    assert result.ok and result.step is not None and result.step.key == "praise"
    other = start(survey)
    result = response_save_page(response=other, page_key="score", raw={"q1": ["3"]})
    assert result.step is not None and result.step.key == "improve"
    result = response_save_page(response=other, page_key="improve", raw={"q2": ["speed"]})
    assert result.completed and result.step is not None and result.step.key == "thanks"


def test_completion_writes_typed_facts_and_emits_once(
    survey: Survey,
    completed_events: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = start(survey, hidden={"source": "receipt", "unknown": "dropped"})
    with django_capture_on_commit_callbacks(execute=True):
        response_save_page(response=response, page_key="score", raw={"q1": ["4"]})
        result = response_save_page(
            response=response,
            page_key="improve",
            raw={"q2": ["staff", "speed"], "q3": ["  Too slow  "], "zzz": ["ignored"]},
        )
    assert result.completed
    response.refresh_from_db()
    assert response.status == ResponseStatus.COMPLETE and response.completed_at
    assert response.hidden == {"source": "receipt"}
    assert response.current_page == "ending:thanks"
    facts = {(f.question_key, f.choice, f.number, f.text) for f in response.facts.all()}
    assert facts == {
        ("q1", "", 4.0, ""),
        ("q2", "speed", None, ""),
        ("q2", "staff", None, ""),
        ("q3", "", None, "Too slow"),
    }
    assert all(f.version_number == 1 and f.survey_id == survey.pk for f in response.facts.all())
    assert completed_events == [
        {
            "response_id": str(response.pk),
            "survey_id": str(survey.pk),
            "organization_id": str(survey.organization_id),
        }
    ]
    # Completing again (a double submit) changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert response_complete(response=response) is False
        again = response_save_page(response=response, page_key="improve", raw={"q2": ["price"]})
    assert again.completed
    assert AnswerFact.objects.filter(response=response).count() == 4
    assert len(completed_events) == 1
    response.refresh_from_db()
    assert response.answers["q2"]["choices"] == ["speed", "staff"]


def test_single_choice_other_text_is_a_fact(survey: Survey) -> None:
    response = start(survey)
    response_save_page(response=response, page_key="score", raw={"q1": ["9"]})
    result = response_save_page(
        response=response, page_key="praise", raw={"q4": ["other"], "q4__other": ["The music"]}
    )
    assert result.completed and result.step is not None and result.step.key == "promoter"
    fact = response.facts.get(question_key="q4")
    assert (fact.choice, fact.text) == ("other", "The music")


def test_create_complete_validates_every_visible_answer(survey: Survey) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        response_create_complete(survey=survey, answers={"q1": 3, "q2": ["nope"], "bogus": 1})
    assert set(caught.value.errors) == {"q2", "bogus"}
    assert not Response.objects.exists()
    # q4 is on the promoters' page only: answering it with a detractor score is not required.
    with pytest.raises(ResponseValidationError) as caught:
        response_create_complete(survey=survey, answers={"q1": 10})
    assert set(caught.value.errors) == {"q4"}


def test_create_complete_with_idempotency_key_and_history(
    survey: Survey,
    completed_events: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = response_create_complete(
            survey=survey,
            answers={"q1": 2, "q2": ["price"]},
            idempotency_key="order-1",
            language="ko",
        )
        again = response_create_complete(
            survey=survey, answers={"q1": 10, "q4": "coffee"}, idempotency_key="order-1"
        )
        old = response_create_complete(
            survey=survey, answers={"q1": 9, "q4": "service"}, historical=True
        )
    assert again.pk == first.pk
    assert first.language == "ko" and first.status == ResponseStatus.COMPLETE
    assert Response.objects.count() == 2
    assert old.historical and old.facts.get(question_key="q1").number == 9.0
    assert [e["response_id"] for e in completed_events] == [str(first.pk)]
