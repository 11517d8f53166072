"""CSAT: satisfaction on a 3, 4, 5, 7 or 10 point scale; satisfied = top box(es)."""

from __future__ import annotations

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.scale import ScaleType
from closeloop.surveys.schema import CsatQuestion


def csat_top_boxes(points: int) -> int:
    """How many top answers count as satisfied: 3-point 1, 4-7 point 2, 10-point 3."""
    if points <= 3:
        return 1
    if points >= 10:
        return 3
    return 2


def csat_is_satisfied(score: float, points: int = 5) -> bool:
    """Whether a CSAT score is in the top box(es) of its scale (4-5 on a 5-point scale)."""
    return score > points - csat_top_boxes(points)


@register
class CsatType(ScaleType[CsatQuestion]):
    """1..points, where points is 3, 4, 5, 7 or 10."""

    type_name = "csat"

    def bounds(self, question: CsatQuestion) -> tuple[int, int]:
        return 1, question.points
