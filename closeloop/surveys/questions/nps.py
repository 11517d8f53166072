"""NPS: 0-10 likelihood to recommend; promoters 9-10, passives 7-8, detractors 0-6."""

from __future__ import annotations

from typing import ClassVar, Literal

from closeloop.surveys.questions.base import register
from closeloop.surveys.questions.scale import SCALE_OPERATORS, ScaleType
from closeloop.surveys.schema import NpsQuestion

NpsCategory = Literal["promoter", "passive", "detractor"]


def nps_category(score: float) -> NpsCategory:
    """Promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


@register
class NpsType(ScaleType[NpsQuestion]):
    """0-10 with fixed end labels ('not at all likely' / 'extremely likely')."""

    type_name = "nps"
    operators: ClassVar[frozenset[str]] = SCALE_OPERATORS | {"nps_category"}

    def bounds(self, question: NpsQuestion) -> tuple[int, int]:
        return 0, 10
