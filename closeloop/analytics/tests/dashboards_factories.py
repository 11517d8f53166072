"""Test data for the dashboard tests: a customer survey with NPS, CSAT, CES, a choice and a
comment, answered at chosen times through the same service the API uses."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.test import TestCase
from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.distribution.models import Touchpoint
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey


def _t(text: str) -> dict[str, str]:
    return {"en": text, "ko": f"{text} (ko)"}


def dashboard_definition() -> dict[str, Any]:
    choices = [{"key": k, "label": _t(k.title())} for k in ("coffee", "service", "price")]
    return {
        "default_language": "en",
        "languages": ["en", "ko"],
        "title": _t("Your visit"),
        "pages": [
            {
                "key": "all",
                "questions": [
                    {"key": "rec", "type": "nps", "title": _t("Recommend us?")},
                    {"key": "sat", "type": "csat", "points": 5, "title": _t("Satisfied?")},
                    {"key": "easy", "type": "ces", "title": _t("Easy?")},
                    {"key": "best", "type": "single_choice", "title": _t("Best"),
                     "choices": choices},
                    {"key": "why", "type": "long_text", "title": _t("Why?")},
                ],
            }
        ],
        "endings": [{"key": "end", "title": _t("Thanks"), "message": _t("Bye.")}],
    }  # fmt: skip


def visit_survey(organization: Organization, *, name: str = "Store visit", **kw: Any) -> Survey:
    return publish_survey(organization, dashboard_definition(), name=name, **kw)


def answer(
    survey: Survey,
    *,
    days_ago: float = 1,
    touchpoint: Touchpoint | None = None,
    channel: str = "api",
    language: str = "en",
    **answers: Any,
) -> Response:
    """A completed response `days_ago` days before now (events run as after a commit)."""
    when = timezone.now() - dt.timedelta(days=days_ago)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = response_create_complete(
            survey=survey,
            answers=answers,
            channel=channel,
            language=language,
            completed_at=when,
        )
    if touchpoint is not None:
        Response.objects.filter(pk=response.pk).update(touchpoint_id=touchpoint.pk)
    return response


def touchpoint(organization: Organization, key: str, name: str) -> Touchpoint:
    point, _created = Touchpoint.objects.get_or_create(
        organization=organization, key=key, defaults={"name": name}
    )
    return point


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def chart_json(html: str) -> list[str]:
    """The JSON figures embedded in a page (script type=application/json)."""
    return re.findall(
        r'<script id="chart-[^"]+" type="application/json">(.*?)</script>', html, re.S
    )


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
