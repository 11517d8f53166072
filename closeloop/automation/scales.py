"""How happy a score says the customer is, on any scale: NPS, CSAT (3, 4, 5, 7 or 10 points)
and CES (1-7). Shared by rule conditions and by the wording of review invitations.

- NPS 0-10: happy 9-10 (promoters), unhappy 0-6 (detractors), neutral 7-8.
- CSAT 1..points: happy is the top box(es) (3-point 3, 4-7 point the top 2, 10-point 8-10);
  unhappy ("dissatisfied") is below the middle of the scale: 3-point 1, 4-point 1-2, 5-point
  1-2, 7-point 1-3, 10-point 1-5; the rest is neutral.
- CES 1-7 ("it was easy"): happy 5-7, unhappy 1-3, neutral 4.
"""

from __future__ import annotations

from typing import Literal

from closeloop.surveys.questions import csat_is_satisfied

Mood = Literal["happy", "neutral", "unhappy"]
CES_POINTS = 7


def csat_is_dissatisfied(score: float, points: int = 5) -> bool:
    """Whether a CSAT score is below the neutral middle of its scale (1-2 of 5, 1-3 of 7)."""
    points = points or 5
    return score < (1 + points) / 2


def mood(metric: str, score: float, points: int = 0) -> Mood | None:
    """Happy, neutral or unhappy for a score of `metric` (nps, csat, ces); None for others."""
    if metric == "nps":
        if score >= 9:
            return "happy"
        return "unhappy" if score <= 6 else "neutral"
    if metric == "csat":
        points = points or 5
        if csat_is_satisfied(score, points):
            return "happy"
        return "unhappy" if csat_is_dissatisfied(score, points) else "neutral"
    if metric == "ces":
        if score >= 5:
            return "happy"
        return "unhappy" if score <= 3 else "neutral"
    return None
