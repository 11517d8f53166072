"""A respondent answers in English, Korean or Thai; the worker turns the open answer into an
enriched comment: language, tokens, sentiment, themes."""

from __future__ import annotations

import pytest

from closeloop.responses.services import response_create_complete
from closeloop.text.models import Comment
from closeloop.text.tests.factories import answer_on_the_page, comment_survey, theme_keys, work
from conftest import Personas

# The worker runs tasks on its own connection use: a real transaction per test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("language", "score", "why", "sentiment", "theme", "token"),
    [
        ("en", 2, "The delivery was very late and the coffee arrived cold. Terrible.",
         "negative", "delivery", "delivery"),
        ("ko", 10, "직원분들이 정말 친절하고 커피도 맛있어요. 최고예요!",
         "positive", "staff", "친절"),
        ("th", 1, "ส่งช้ามาก รอเกือบสองชั่วโมง อาหารเย็นชืดหมดแล้ว แย่มาก",
         "negative", "delivery", "ช้า"),
    ],
)  # fmt: skip
def test_an_open_answer_becomes_an_enriched_comment(
    personas: Personas,
    language: str,
    score: int,
    why: str,
    sentiment: str,
    theme: str,
    token: str,
) -> None:
    survey = comment_survey(personas.org)
    answer_on_the_page(survey, score=score, why=why, language=language, name="Kim")
    work()

    comment = Comment.objects.get(organization=personas.org)
    assert comment.text == why
    assert comment.question_key == "why"
    assert comment.response is not None and comment.survey_id == survey.pk
    assert comment.score == score and comment.score_type == "nps"
    assert comment.language == language
    assert f" {token} " in comment.tokens
    assert comment.sentiment == sentiment
    assert comment.sentiment_source == "model"
    assert comment.enriched_at is not None and comment.model_version >= 1
    assert theme in theme_keys(comment)


def test_historical_imports_get_comments_too_and_running_again_adds_nothing(
    personas: Personas,
) -> None:
    survey = comment_survey(personas.org)
    response = response_create_complete(
        survey=survey,
        answers={"nps": 9, "why": "Fast shipping and a friendly courier, thank you"},
        historical=True,
    )
    work()
    comment = Comment.objects.get(response=response)
    assert comment.language == "en" and comment.sentiment == "positive"
    assert "delivery" in theme_keys(comment)

    # The same response announced again (a retried task) creates no second comment.
    from closeloop.text.tasks import text_comments_for_response

    text_comments_for_response.enqueue(str(response.pk))
    work()
    assert Comment.objects.filter(response=response).count() == 1


def test_a_short_name_answer_is_not_a_comment(personas: Personas) -> None:
    survey = comment_survey(personas.org)
    answer_on_the_page(survey, score=8, why="", name="Minji Kim")
    work()
    assert not Comment.objects.filter(organization=personas.org).exists()
