"""Question types, one module each; QUESTION_TYPES maps a type name to its behaviour."""

from closeloop.surveys.questions import (  # noqa: F401 - importing registers each type
    ces,
    consent,
    csat,
    date,
    dropdown,
    email,
    long_text,
    matrix,
    multiple_choice,
    nps,
    number,
    ranking,
    rating,
    short_text,
    single_choice,
    statement,
)
from closeloop.surveys.questions.base import QUESTION_TYPES, AnswerError, Fact, QuestionType
from closeloop.surveys.questions.ces import ces_is_easy
from closeloop.surveys.questions.csat import csat_is_satisfied, csat_top_boxes
from closeloop.surveys.questions.nps import nps_category

__all__ = [
    "QUESTION_TYPES",
    "AnswerError",
    "Fact",
    "QuestionType",
    "ces_is_easy",
    "csat_is_satisfied",
    "csat_top_boxes",
    "nps_category",
]
