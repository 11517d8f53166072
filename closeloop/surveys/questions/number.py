"""Number: a whole or decimal number between optional bounds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, register, single
from closeloop.surveys.schema import NUMBER_LIMIT, NumberQuestion


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@register
class NumberType(QuestionType[NumberQuestion]):
    """Normalized value: an int when whole, else a float."""

    type_name = "number"
    operators: ClassVar[frozenset[str]] = frozenset(
        {"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"}
    )

    def clean(self, question: NumberQuestion, raw: Any) -> int | float:
        raw = single(raw)
        if isinstance(raw, bool):
            raise AnswerError(_("Enter a number."))
        text = str(raw).strip().replace(",", "") if isinstance(raw, str | int | float) else ""
        if len(text) > 40:
            raise AnswerError(_("Enter a number."))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AnswerError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) > NUMBER_LIMIT:
            raise AnswerError(_("Enter a number."))
        whole = number == number.to_integral_value()
        if question.integer_only and not whole:
            raise AnswerError(_("Enter a whole number."))
        value: int | float = int(number) if whole else float(number)
        if question.min is not None and value < question.min:
            raise AnswerError(
                _("Enter a number of at least %(min)s.") % {"min": _fmt(question.min)}
            )
        if question.max is not None and value > question.max:
            raise AnswerError(_("Enter a number of at most %(max)s.") % {"max": _fmt(question.max)})
        return value

    def to_facts(self, question: NumberQuestion, value: Any) -> list[Fact]:
        return [Fact(number=float(value))]

    def display(self, question: NumberQuestion, value: Any, language: str, defn: Any) -> str:
        return "" if value is None else _fmt(value)

    def check_condition_value(self, question: NumberQuestion, op: str, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _("compare a number answer with a number")
        return None
