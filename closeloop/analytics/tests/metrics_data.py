"""Test data for the metric engine: a survey with every metric question, and answers given at a
chosen time, through the same service the API uses (its events run, so rollup days get marked)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.test import TestCase

from closeloop.accounts.models import Organization
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey

UTC = dt.UTC


def metrics_definition(*, csat_points: int = 5) -> dict[str, Any]:
    """One page: NPS, CSAT, CES, a 5-star rating, a single and a multiple choice, a comment."""

    def en(text: str) -> dict[str, str]:
        return {"en": text, "ko": f"{text} (ko)"}

    abc = [{"key": k, "label": en(k.title())} for k in ("speed", "price", "staff")]
    return {
        "default_language": "en",
        "languages": ["en", "ko"],
        "title": en("Your visit"),
        "pages": [
            {
                "key": "all",
                "questions": [
                    {"key": "rec", "type": "nps", "title": en("Recommend us?")},
                    {
                        "key": "sat",
                        "type": "csat",
                        "points": csat_points,
                        "title": en("Satisfied?"),
                    },
                    {"key": "easy", "type": "ces", "title": en("Easy?")},
                    {"key": "stars", "type": "rating", "title": en("Stars")},
                    {"key": "best", "type": "single_choice", "title": en("Best"), "choices": abc},
                    {
                        "key": "fix",
                        "type": "multiple_choice",
                        "title": en("Fix"),
                        "choices": abc,
                        "allow_other": True,
                    },
                    {"key": "why", "type": "long_text", "title": en("Why?")},
                ],
            }
        ],
        "endings": [{"key": "end", "title": en("Thanks"), "message": en("Bye.")}],
    }


def metrics_survey(
    organization: Organization, *, name: str = "Visit", kind: str = "customer", **kw: Any
) -> Survey:
    return publish_survey(organization, metrics_definition(**kw), name=name, kind=kind)


def answer(
    survey: Survey,
    at: dt.datetime,
    *,
    contact_id: uuid.UUID | None = None,
    touchpoint_id: uuid.UUID | None = None,
    channel: str = "api",
    language: str = "en",
    historical: bool = False,
    **answers: Any,
) -> Response:
    """A completed response answered at `at` (events run as after a real commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = response_create_complete(
            survey=survey,
            answers=answers,
            channel=channel,
            language=language,
            contact_id=contact_id,
            historical=historical,
            completed_at=at,
        )
        if touchpoint_id is not None:
            Response.objects.filter(pk=response.pk).update(touchpoint_id=touchpoint_id)
            response.touchpoint_id = touchpoint_id
    return response


def at(day: str, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A UTC instant on an ISO day."""
    date = dt.date.fromisoformat(day)
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=UTC)


def nps_answers(survey: Survey, day: str, scores: list[int], **kw: Any) -> list[Response]:
    """One response per NPS score, all on a day (noon UTC)."""
    return [answer(survey, at(day), rec=score, **kw) for score in scores]
