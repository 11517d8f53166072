"""Reads for responses: the definition a response answers, link and resume-token lookups, lists."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from closeloop.lib.tokens import hash_token
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import PersonalLink, Response
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import SurveyDefinition

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

_CACHE_SIZE = 256
_definitions: OrderedDict[uuid.UUID, SurveyDefinition] = OrderedDict()
_lock = threading.Lock()


def definition_of(version: SurveyVersion) -> SurveyDefinition:
    """The parsed definition of a version; published versions are frozen, so they are cached."""
    if version.published_at is None:
        return SurveyDefinition.model_validate(version.definition)
    with _lock:
        cached = _definitions.get(version.pk)
        if cached is not None:
            _definitions.move_to_end(version.pk)
            return cached
    definition = SurveyDefinition.model_validate(version.definition)
    with _lock:
        _definitions[version.pk] = definition
        while len(_definitions) > _CACHE_SIZE:
            _definitions.popitem(last=False)
    return definition


def survey_by_public_token(*, token: str) -> Survey | None:
    """The survey whose anonymous link carries this token."""
    if not token or len(token) > 64:
        return None
    return (
        Survey.objects.select_related("current_version", "organization")
        .filter(public_token=token)
        .first()
    )


def personal_link_by_token(*, token: str) -> PersonalLink | None:
    """The personal link whose raw token hashes to a stored hash (expired ones included)."""
    if not token or len(token) > 200:
        return None
    return (
        PersonalLink.objects.select_related(
            "survey", "survey__current_version", "survey__organization"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def personal_link_is_expired(link: PersonalLink, *, now: dt.datetime | None = None) -> bool:
    """Whether the link's expiry has passed."""
    return link.expires_at is not None and link.expires_at <= (now or timezone.now())


def response_by_resume_token(*, survey: Survey, token: str) -> Response | None:
    """The response of this survey that a browser's resume cookie points to."""
    if not token or len(token) > 200:
        return None
    return (
        Response.objects.select_related("version")
        .filter(survey=survey, resume_token_hash=hash_token(token))
        .first()
    )


def response_for_personal_link(*, link: PersonalLink) -> Response | None:
    """The latest response started through a personal link (partial or complete)."""
    return (
        Response.objects.select_related("version")
        .filter(personal_link=link)
        .order_by("-started_at")
        .first()
    )


def response_by_start_nonce(*, survey: Survey, nonce: str) -> Response | None:
    """The response created by the POST that carried this form nonce (a double click)."""
    if not nonce:
        return None
    return (
        Response.objects.select_related("version").filter(survey=survey, start_nonce=nonce).first()
    )


def response_by_idempotency_key(*, survey: Survey, key: str) -> Response | None:
    """The response created earlier with this idempotency key."""
    if not key:
        return None
    return Response.objects.filter(survey=survey, idempotency_key=key).first()


def completed_count(*, survey: Survey) -> int:
    """How many completed responses a survey has (for its response limit)."""
    return Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETE).count()


def response_list(
    *,
    organization: Organization,
    survey: Survey | None = None,
    status: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    contact_id: uuid.UUID | None = None,
) -> QuerySet[Response]:
    """The organization's responses, newest first, filtered."""
    queryset = Response.objects.filter(organization=organization).select_related(
        "survey", "version"
    )
    if survey is not None:
        queryset = queryset.filter(survey=survey)
    if status:
        queryset = queryset.filter(status=status)
    if since is not None:
        queryset = queryset.filter(started_at__gte=since)
    if until is not None:
        queryset = queryset.filter(started_at__lt=until)
    if contact_id is not None:
        queryset = queryset.filter(contact_id=contact_id)
    return queryset.order_by("-started_at", "-id")


def survey_list_for_filter(*, organization: Organization) -> QuerySet[Survey]:
    """The organization's surveys, for a filter drop-down."""
    return Survey.objects.filter(organization=organization).order_by("name")
