"""Fixtures for the contacts tests: API clients, a survey, and responses made as models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from closeloop.contacts.models import Contact
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import AnswerFact, Response
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create

if TYPE_CHECKING:
    from conftest import Personas


@pytest.fixture
def survey(personas: Personas) -> Survey:
    return survey_create(organization=personas.org, actor=None, name="Café NPS")


Respond = Callable[..., Response]


@pytest.fixture
def respond(survey: Survey) -> Respond:
    """A completed response by a contact: an NPS score and an optional comment."""

    def make(
        contact: Contact,
        nps: int | None = None,
        *,
        comment: str = "",
        days_ago: float = 1,
        on: Survey | None = None,
        status: str = ResponseStatus.COMPLETE,
    ) -> Response:
        target = on or survey
        version = target.versions.order_by("number").first()
        assert version is not None
        when = timezone.now() - timedelta(days=days_ago)
        answers: dict[str, Any] = {}
        if nps is not None:
            answers["q1"] = nps
        if comment:
            answers["why"] = comment
        response = Response.objects.create(
            organization_id=target.organization_id,
            survey=target,
            version=version,
            contact_id=contact.pk,
            language="en",
            status=status,
            answers=answers,
            started_at=when,
            completed_at=when if status == ResponseStatus.COMPLETE else None,
        )
        common = {
            "organization_id": target.organization_id,
            "survey_id": target.pk,
            "version_number": version.number,
            "response": response,
            "answered_at": when,
        }
        if nps is not None:
            AnswerFact.objects.create(question_key="q1", question_type="nps", number=nps, **common)
        if comment:
            AnswerFact.objects.create(
                question_key="why", question_type="long_text", text=comment, **common
            )
        return response

    return make
