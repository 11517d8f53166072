"""Rating: 1..points (3-10), shown as stars or numbers."""

from __future__ import annotations

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.scale import ScaleType
from closeloop.surveys.schema import RatingQuestion


@register
class RatingType(ScaleType[RatingQuestion]):
    """1..points stars or numbers."""

    type_name = "rating"

    def bounds(self, question: RatingQuestion) -> tuple[int, int]:
        return 1, question.points
