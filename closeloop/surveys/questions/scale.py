"""Shared behaviour of the numeric scale questions (NPS, CSAT, CES, rating)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import Fact, QuestionType, parse_int

SCALE_OPERATORS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"})


class ScaleType[S](QuestionType[S]):
    """A whole-number score between two ends of a scale."""

    is_metric: ClassVar[bool] = True
    operators: ClassVar[frozenset[str]] = SCALE_OPERATORS

    def bounds(self, question: S) -> tuple[int, int]:
        """The lowest and highest score."""
        raise NotImplementedError

    def clean(self, question: S, raw: Any) -> int:
        low, high = self.bounds(question)
        return parse_int(raw, low, high)

    def to_facts(self, question: S, value: Any) -> list[Fact]:
        return [Fact(number=float(value))]

    def score(self, question: S, value: Any) -> float | None:
        return None if value is None else int(value)

    def check_condition_value(self, question: S, op: str, value: Any) -> str | None:
        if op == "nps_category":
            return None
        low, high = self.bounds(question)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            return _("the value %(value)r is not a score from %(low)d to %(high)d") % {
                "value": value,
                "low": low,
                "high": high,
            }
        return None
