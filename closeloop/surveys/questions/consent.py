"""Consent: a checkbox next to a consent text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, register, single
from closeloop.surveys.schema import ConsentQuestion

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition

TRUE_VALUES = frozenset({"on", "true", "1", "yes", "y"})
FALSE_VALUES = frozenset({"off", "false", "0", "no", "n"})


@register
class ConsentType(QuestionType[ConsentQuestion]):
    """Normalized value: True (agreed) or False (declined); a required consent must be True."""

    type_name = "consent"
    operators: ClassVar[frozenset[str]] = frozenset({"eq", "ne"})

    def clean(self, question: ConsentQuestion, raw: Any) -> bool:
        raw = single(raw)
        if isinstance(raw, bool):
            agreed = raw
        elif isinstance(raw, str) and raw.strip().lower() in TRUE_VALUES | FALSE_VALUES:
            agreed = raw.strip().lower() in TRUE_VALUES
        else:
            raise AnswerError(_("Tick the box or leave it empty."))
        if question.required and not agreed:
            raise AnswerError(_("Tick the box to continue."))
        return agreed

    def to_facts(self, question: ConsentQuestion, value: Any) -> list[Fact]:
        return [Fact(number=1.0 if value else 0.0)]

    def display(
        self, question: ConsentQuestion, value: Any, language: str, defn: SurveyDefinition
    ) -> str:
        if value is None:
            return ""
        return _("yes") if value else _("no")

    def check_condition_value(self, question: ConsentQuestion, op: str, value: Any) -> str | None:
        if not isinstance(value, bool):
            return _("compare a consent answer with true or false")
        return None
