"""A survey with driver questions and responses whose NPS follows a known structure."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.responses.choices import Channel
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish


def _rating(key: str, title: str) -> dict[str, Any]:
    return {"key": key, "type": "rating", "points": 5, "title": {"en": title}}


def drivers_definition(*, with_nps: bool = True) -> dict[str, Any]:
    """NPS, four 1-5 ratings, how the customer ordered, a yes/no and a rarely shown rating."""
    questions: list[dict[str, Any]] = []
    if with_nps:
        questions.append(
            {"key": "nps", "type": "nps", "required": True, "title": {"en": "Recommend us?"}}
        )
    questions += [
        _rating("speed", "Delivery speed"),
        _rating("taste", "Taste"),
        _rating("price", "Price"),
        _rating("staff", "Staff"),
        {
            "key": "ordered",
            "type": "single_choice",
            "title": {"en": "How did you order?"},
            "choices": [
                {"key": "app", "label": {"en": "App"}},
                {"key": "web", "label": {"en": "Website"}},
                {"key": "store", "label": {"en": "In store"}},
            ],
        },
        {
            "key": "newsletter",
            "type": "consent",
            "title": {"en": "Newsletter"},
            "text": {"en": "Send me the newsletter"},
        },
        _rating("rare", "Parking"),
        {"key": "comment", "type": "long_text", "title": {"en": "Anything else?"}},
    ]
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": {"en": "How did we do?"},
        "pages": [{"key": "p1", "questions": questions}],
        "endings": [{"key": "thanks", "title": {"en": "Thanks"}, "message": {"en": "Thanks!"}}],
    }


def drivers_survey(org: Organization, *, name: str = "Drivers", with_nps: bool = True) -> Survey:
    survey = survey_create(
        organization=org, actor=None, name=name, definition=drivers_definition(with_nps=with_nps)
    )
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def drivers_answers(rng: random.Random) -> dict[str, Any]:
    """One respondent: speed is the strongest driver and scores lowest; taste matters half as
    much and scores high; price and staff do not matter; app users are a little less happy."""
    speed = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
    taste = rng.choice([3, 4, 4, 5, 5, 5])
    price = rng.randint(1, 5)
    staff = rng.choice([3, 4, 5, 5])
    ordered = rng.choice(["app", "web", "store"])
    score = 6.0 + 1.3 * (speed - 2.5) + 0.65 * (taste - 4.3) + rng.gauss(0, 0.9)
    score -= 0.4 if ordered == "app" else 0.0
    answers: dict[str, Any] = {
        "nps": max(0, min(10, round(score))),
        "speed": speed,
        "taste": taste,
        "price": price,
        "staff": staff,
        "ordered": ordered,
        "newsletter": rng.random() < 0.5,
    }
    if rng.random() < 0.15:
        answers["rare"] = rng.randint(1, 5)
    return answers


def add_responses(
    survey: Survey,
    count: int,
    *,
    seed: int = 7,
    days_ago: tuple[float, float] = (1, 60),
    channel: str = Channel.LINK,
    language: str = "en",
    contact_ids: list[Any] | None = None,
) -> list[Response]:
    """`count` completed historical responses answered over the given days."""
    rng = random.Random(seed)
    now = timezone.now()
    keys = {
        q["key"] for page in survey.current_version.definition["pages"] for q in page["questions"]
    }  # type: ignore[union-attr]
    created = []
    for index in range(count):
        answers = {k: v for k, v in drivers_answers(rng).items() if k in keys}
        created.append(
            response_create_complete(
                survey=survey,
                answers=answers,
                channel=channel,
                language=language,
                historical=True,
                contact_id=contact_ids[index % len(contact_ids)] if contact_ids else None,
                completed_at=now - dt.timedelta(days=rng.uniform(*days_ago)),
            )
        )
    return created
