"""CES: 1-7 agreement that something was easy; 'easy' is 5-7."""

from __future__ import annotations

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.scale import ScaleType
from closeloop.surveys.schema import CesQuestion

CES_POINTS = 7


def ces_is_easy(score: float) -> bool:
    """Whether a CES score (1-7) counts as easy (5-7)."""
    return score >= 5


@register
class CesType(ScaleType[CesQuestion]):
    """1 (strongly disagree) to 7 (strongly agree)."""

    type_name = "ces"

    def bounds(self, question: CesQuestion) -> tuple[int, int]:
        return 1, CES_POINTS
