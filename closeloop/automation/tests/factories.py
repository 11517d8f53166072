"""Surveys, responses and rules for the automation tests, made through the real services."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Organization, Team
from closeloop.automation.models import Rule
from closeloop.automation.services import rule_create
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey


def _t(text: str) -> dict[str, str]:
    return {"en": text, "ko": text, "th": text}


def loop_definition() -> dict[str, Any]:
    """NPS, CSAT (5 points), a choice, a comment; English, Korean and Thai."""
    choices = [{"key": k, "label": _t(k.title())} for k in ("speed", "price", "staff")]
    return {
        "default_language": "en",
        "languages": ["en", "ko", "th"],
        "title": _t("How did we do?"),
        "pages": [
            {
                "key": "p1",
                "questions": [
                    {"key": "nps", "type": "nps", "title": _t("Recommend us?")},
                    {"key": "csat", "type": "csat", "points": 5, "title": _t("Satisfied?")},
                    {
                        "key": "topic",
                        "type": "single_choice",
                        "title": _t("Topic"),
                        "choices": choices,
                    },
                    {"key": "comment", "type": "long_text", "title": _t("Tell us more")},
                ],
            }
        ],
        "endings": [{"key": "end", "title": _t("Thanks"), "message": _t("Bye.")}],
    }


def make_survey(organization: Organization, name: str = "Loop") -> Survey:
    return publish_survey(organization, loop_definition(), name=name)


def answer(
    survey: Survey,
    *,
    historical: bool = False,
    language: str | None = None,
    contact_id: Any = None,
    channel: str = "api",
    **answers: Any,
) -> Response:
    """A completed response through the API's service (emits response.completed)."""
    return response_create_complete(
        survey=survey,
        answers=answers,
        channel=channel,
        language=language,
        contact_id=contact_id,
        historical=historical,
    )


def support(organization: Organization) -> Team:
    return Team.objects.get(organization=organization, slug="support")


def make_rule(
    organization: Organization,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]] | None = None,
    *,
    name: str = "Test rule",
    match: str = "all",
    trigger: str = "response.completed",
    **extra: Any,
) -> Rule:
    return rule_create(
        organization=organization,
        name=name,
        trigger=trigger,
        conditions={"match": match, "rules": conditions},
        actions=actions or [],
        **extra,
    )
