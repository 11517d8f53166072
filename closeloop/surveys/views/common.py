"""Helpers shared by the survey pages."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Count
from django.http import HttpRequest

from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.surveys import selectors
from closeloop.surveys.models import Survey


def org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def user(request: HttpRequest) -> User:
    return cast(User, request.user)


def can_edit(request: HttpRequest) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, Perm.EDIT_SURVEYS)


def get_survey(request: HttpRequest, survey_id: Any) -> Survey:
    return selectors.access_survey(organization=org(request), pk=survey_id)


def version_response_counts(survey: Survey) -> dict[int, int]:
    """Responses per version number (a read for the version history)."""
    from closeloop.responses.models import Response

    rows = (
        Response.objects.filter(survey=survey)
        .order_by()
        .values("version__number")
        .annotate(n=Count("id"))
    )
    return {row["version__number"]: row["n"] for row in rows}
