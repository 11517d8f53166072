"""Reads for surveys: lists, versions, definitions, links and response counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from closeloop.accounts.access import access_object
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.serialization import definition_from_data

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.surveys.schema import SurveyDefinition


def _surveys(organization: Organization) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(organization=organization)
        .select_related("current_version")
        .annotate(
            draft_number=Max("versions__number", filter=Q(versions__published_at__isnull=True))
        )
    )


def survey_list(
    *, organization: Organization, status: str | None = None, q: str | None = None
) -> QuerySet[Survey]:
    """The organization's surveys, newest first; each carries `draft_number` (or None)."""
    qs = _surveys(organization)
    if status:
        qs = qs.filter(status=status)
    if q and q.strip():
        qs = qs.filter(name__icontains=q.strip())
    return qs


def access_survey(*, organization: Organization, pk: Any) -> Survey:
    """One survey of the organization by id, or 404 (also for another organization's)."""
    return access_object(_surveys(organization), organization=organization, pk=pk)


def survey_versions(*, survey: Survey) -> QuerySet[SurveyVersion]:
    """Every version of the survey, newest first."""
    return SurveyVersion.objects.filter(survey=survey).select_related("published_by")


def survey_version(*, survey: Survey, number: int) -> SurveyVersion | None:
    """The version with this number, or None."""
    return SurveyVersion.objects.filter(survey=survey, number=number).first()


def survey_draft(survey: Survey) -> SurveyVersion | None:
    """The unpublished version being edited, if any."""
    return SurveyVersion.objects.filter(survey=survey, published_at__isnull=True).first()


def survey_latest_version(survey: Survey) -> SurveyVersion:
    """The newest version: the draft if there is one, else the newest published version."""
    version = SurveyVersion.objects.filter(survey=survey).order_by("-number").first()
    assert version is not None, "every survey is created with version 1"
    return version


def survey_draft_number(survey: Survey) -> int | None:
    """The draft's version number (from the list annotation when present)."""
    if hasattr(survey, "draft_number"):
        number: int | None = survey.draft_number
        return number
    draft = survey_draft(survey)
    return draft.number if draft is not None else None


def survey_definition(version: SurveyVersion) -> SurveyDefinition:
    """The version's definition as a validated SurveyDefinition."""
    return definition_from_data(version.definition)


def survey_public_url(survey: Survey) -> str:
    """The anonymous link to the survey's public page."""
    return f"{settings.BASE_URL.rstrip('/')}/s/{survey.public_token}/"


@dataclass(frozen=True)
class ResponseCounts:
    """How many responses a survey has, by status."""

    complete: int = 0
    partial: int = 0

    @property
    def total(self) -> int:
        return self.complete + self.partial


def survey_response_counts(*, surveys: Iterable[Survey]) -> dict[uuid.UUID, ResponseCounts]:
    """Complete and partial response counts per survey id (zeros for surveys without any)."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    ids = [s.pk for s in surveys]
    counts = {pk: ResponseCounts() for pk in ids}
    rows = (
        Response.objects.filter(survey_id__in=ids)
        .order_by()
        .values("survey_id")
        .annotate(
            complete=Count("id", filter=Q(status=ResponseStatus.COMPLETE)),
            partial=Count("id", filter=Q(status=ResponseStatus.PARTIAL)),
        )
    )
    for row in rows:
        counts[row["survey_id"]] = ResponseCounts(complete=row["complete"], partial=row["partial"])
    return counts
