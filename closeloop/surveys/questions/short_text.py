"""Short text: one line, at most 500 characters."""

from __future__ import annotations

from typing import Any

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.text import TextType, clean_text
from closeloop.surveys.schema import ShortTextQuestion


@register
class ShortTextType(TextType[ShortTextQuestion]):
    """Line breaks and runs of spaces become one space."""

    type_name = "short_text"

    def clean(self, question: ShortTextQuestion, raw: Any) -> str:
        return clean_text(raw, question.max_length, multiline=False)
