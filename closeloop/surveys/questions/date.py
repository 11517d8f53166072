"""Date: a calendar date (YYYY-MM-DD), optionally between bounds."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, register, single
from closeloop.surveys.schema import DateQuestion


@register
class DateType(QuestionType[DateQuestion]):
    """Normalized value: the ISO date string."""

    type_name = "date"
    operators: ClassVar[frozenset[str]] = frozenset({"eq", "ne", "lt", "lte", "gt", "gte"})

    def clean(self, question: DateQuestion, raw: Any) -> str:
        raw = single(raw)
        if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
            day = raw
        elif isinstance(raw, str) and len(raw.strip()) == 10:
            try:
                day = datetime.date.fromisoformat(raw.strip())
            except ValueError:
                raise AnswerError(_("Enter a date as YYYY-MM-DD.")) from None
        else:
            raise AnswerError(_("Enter a date as YYYY-MM-DD."))
        value = day.isoformat()
        if question.min_date and value < question.min_date:
            raise AnswerError(_("Enter a date on or after %(d)s.") % {"d": question.min_date})
        if question.max_date and value > question.max_date:
            raise AnswerError(_("Enter a date on or before %(d)s.") % {"d": question.max_date})
        return value

    def to_facts(self, question: DateQuestion, value: Any) -> list[Fact]:
        return [Fact(text=value)]

    def check_condition_value(self, question: DateQuestion, op: str, value: Any) -> str | None:
        try:
            datetime.date.fromisoformat(value if isinstance(value, str) else "")
        except ValueError:
            return _("compare a date answer with a date written YYYY-MM-DD")
        return None
