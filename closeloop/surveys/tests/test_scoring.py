"""Scores and categories, exactly at the boundaries DESIGN.md fixes."""

from __future__ import annotations

import pytest

from closeloop.surveys.questions import (
    QUESTION_TYPES,
    ces_is_easy,
    csat_is_satisfied,
    nps_category,
)
from closeloop.surveys.tests.helpers import choices, q, question_model


@pytest.mark.parametrize(
    "score,category",
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_categories(score: int, category: str) -> None:
    assert nps_category(score) == category


@pytest.mark.parametrize(
    "points,satisfied_from",
    [(3, 3), (4, 3), (5, 4), (7, 6), (10, 8)],
)
def test_csat_top_boxes(points: int, satisfied_from: int) -> None:
    for score in range(1, points + 1):
        assert csat_is_satisfied(score, points) is (score >= satisfied_from), (points, score)


def test_csat_default_is_five_point() -> None:
    assert csat_is_satisfied(4) and not csat_is_satisfied(3)


@pytest.mark.parametrize("score,easy", [(1, False), (4, False), (5, True), (7, True)])
def test_ces_easy_is_5_to_7(score: int, easy: bool) -> None:
    assert ces_is_easy(score) is easy


@pytest.mark.parametrize(
    "question,raw,expected",
    [
        (q("q1", "nps"), "9", 9),
        (q("q1", "csat", points=7), "6", 6),
        (q("q1", "ces"), "5", 5),
        (q("q1", "rating", points=4), "4", 4),
    ],
)
def test_metric_questions_score_their_answer(question: dict, raw: str, expected: int) -> None:
    model = question_model(question)
    kind = QUESTION_TYPES[model.type]
    assert kind.is_metric
    assert kind.score(model, kind.validate_answer(model, raw)) == expected


def test_other_questions_have_no_score() -> None:
    model = question_model(q("q1", "single_choice", choices=choices("a")))
    kind = QUESTION_TYPES["single_choice"]
    assert not kind.is_metric
    assert kind.score(model, kind.validate_answer(model, "a")) is None
