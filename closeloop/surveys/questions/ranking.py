"""Ranking: put every option in order of preference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, register
from closeloop.surveys.schema import RankingQuestion

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


@register
class RankingType(QuestionType[RankingQuestion]):
    """Normalized value: every choice key, first = most preferred."""

    type_name = "ranking"

    def clean(self, question: RankingQuestion, raw: Any) -> list[str]:
        if isinstance(raw, str):
            raw = [part.strip() for part in raw.split(",")]
        if not isinstance(raw, list | tuple) or not all(isinstance(k, str) for k in raw):
            raise AnswerError(_("Put the options in order."))
        keys = [choice.key for choice in question.choices]
        if sorted(raw) != sorted(keys):
            raise AnswerError(_("Put every option in order, each once."))
        return list(raw)

    def to_facts(self, question: RankingQuestion, value: Any) -> list[Fact]:
        return [Fact(choice=key, number=float(index + 1)) for index, key in enumerate(value)]

    def display(
        self, question: RankingQuestion, value: Any, language: str, defn: SurveyDefinition
    ) -> str:
        labels = {choice.key: defn.localize(choice.label, language) for choice in question.choices}
        return ", ".join(f"{i + 1}. {labels.get(k, k)}" for i, k in enumerate(value or []))
