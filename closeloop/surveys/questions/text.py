"""Shared behaviour of the free-text questions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, single

TEXT_OPERATORS = frozenset({"eq", "ne", "contains", "in", "not_in"})


def clean_text(raw: Any, max_length: int, *, multiline: bool) -> str:
    """Trimmed text without control characters, within max_length characters."""
    raw = single(raw)
    if not isinstance(raw, str):
        raise AnswerError(_("Enter text."))
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ")
    text = text.strip() if multiline else " ".join(text.split())
    if len(text) > max_length:
        raise AnswerError(
            _("Keep your answer within %(max)d characters (it has %(n)d).")
            % {"max": max_length, "n": len(text)}
        )
    return text


class TextType[T](QuestionType[T]):
    """Normalized value: the trimmed text."""

    operators: ClassVar[frozenset[str]] = TEXT_OPERATORS

    def to_facts(self, question: T, value: Any) -> list[Fact]:
        return [Fact(text=value)]

    def check_condition_value(self, question: T, op: str, value: Any) -> str | None:
        if not isinstance(value, str):
            return _("compare a text answer with text")
        return None
