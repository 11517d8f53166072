"""Statement: text shown to the respondent, with no answer."""

from __future__ import annotations

from typing import Any, ClassVar

from closeloop.surveys.questions.base import Fact, QuestionType, register
from closeloop.surveys.schema import StatementQuestion


@register
class StatementType(QuestionType[StatementQuestion]):
    """Any submitted value is ignored."""

    type_name = "statement"
    has_answer: ClassVar[bool] = False

    def validate_answer(self, question: StatementQuestion, raw: Any) -> None:
        return None

    def clean(self, question: StatementQuestion, raw: Any) -> None:
        return None

    def to_facts(self, question: StatementQuestion, value: Any) -> list[Fact]:
        return []
