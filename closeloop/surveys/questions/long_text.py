"""Long text: several lines, at most 5000 characters."""

from __future__ import annotations

from typing import Any

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.text import TextType, clean_text
from closeloop.surveys.schema import LongTextQuestion


@register
class LongTextType(TextType[LongTextQuestion]):
    """Line breaks are kept (as \\n)."""

    type_name = "long_text"

    def clean(self, question: LongTextQuestion, raw: Any) -> str:
        return clean_text(raw, question.max_length, multiline=True)
