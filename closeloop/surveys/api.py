"""REST endpoints for surveys and templates (mounted by closeloop/api/api.py).

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import uuid
from typing import Any, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.errors import problem
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.schemas import (
    SurveyImportIn,
    SurveyIn,
    SurveyOut,
    SurveyPatch,
    SurveySummaryOut,
    TemplateOut,
    VersionOut,
)
from closeloop.surveys.selectors import access_survey, survey_list, survey_versions
from closeloop.surveys.services import (
    survey_close,
    survey_create,
    survey_export,
    survey_import,
    survey_publish,
    survey_reopen,
    survey_update_definition,
    survey_update_settings,
)
from closeloop.surveys.templates_library import list_templates

router = Router(tags=["surveys"])

CONTENT_TYPES = {"json": "application/json", "yaml": "application/yaml"}


def _survey(request: HttpRequest, survey_id: uuid.UUID) -> Survey:
    return access_survey(organization=api_org(request), pk=survey_id)


def _definition_problem(error: DefinitionError, prefix: str) -> HttpResponse:
    """422 naming every path at fault inside the definition (and its line, for text)."""
    errors: list[dict[str, Any]] = []
    for item in error.errors:
        path = item.get("path") or ""
        entry: dict[str, Any] = {
            "field": f"{prefix}.{path}" if path else prefix,
            "message": str(item.get("message", "")),
        }
        if item.get("line"):
            entry["line"] = item["line"]
        errors.append(entry)
    first = errors[0] if errors else {"field": prefix, "message": error.message}
    return problem(
        status=422,
        title=_("The survey definition is not valid."),
        detail=f"{first['field']}: {first['message']}",
        code="invalid-definition",
        field=first["field"],
        errors=errors,
    )


@router.get("/templates", response=with_errors({200: list[TemplateOut]}))
def templates_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The ready-made surveys to start from, with their names in each language."""
    return [
        {
            "id": info.id,
            "kind": info.kind,
            "name": info.name,
            "description": info.description,
            "languages": list(info.languages),
        }
        for info in list_templates()
    ]


@router.get("/surveys", response=with_errors({200: list[SurveySummaryOut]}, 400, 422))
@paginate(CursorPagination)
def surveys_list(
    request: HttpRequest,
    status: Literal["draft", "active", "closed"] | None = None,
    q: str | None = None,
) -> QuerySet[Survey]:
    """The organization's surveys, oldest first; filter by status or a part of the name."""
    return survey_list(organization=api_org(request), status=status, q=q)


@router.post("/surveys", response=with_errors({201: SurveyOut}, 403, 422), auth=write_required)
def surveys_create(request: HttpRequest, payload: SurveyIn) -> Status[Survey] | HttpResponse:
    """Create a survey from a template id or a full definition (neither: one NPS question)."""
    try:
        survey = survey_create(
            organization=api_org(request),
            actor=None,
            api_key=api_key(request),
            name=payload.name,
            template=payload.template,
            definition=payload.definition,
            language=payload.language,
            kind=payload.kind,
        )
    except DefinitionError as error:
        return _definition_problem(error, "definition")
    return Status(201, _survey(request, survey.pk))


@router.post(
    "/surveys/import",
    response=with_errors({200: SurveyOut, 201: SurveyOut}, 403, 404, 422),
    auth=write_required,
)
def surveys_import(request: HttpRequest, payload: SurveyImportIn) -> Status[Survey] | HttpResponse:
    """Create a survey from an exported JSON or YAML document (or add it as a new draft)."""
    org = api_org(request)
    target = access_survey(organization=org, pk=payload.survey_id) if payload.survey_id else None
    try:
        survey = survey_import(
            organization=org,
            actor=None,
            api_key=api_key(request),
            text=payload.content,
            fmt=payload.format,
            name=payload.name,
            survey=target,
        )
    except DefinitionError as error:
        return _definition_problem(error, "content")
    return Status(201 if target is None else 200, _survey(request, survey.pk))


@router.get("/surveys/{survey_id}", response=with_errors({200: SurveyOut}, 404))
def surveys_detail(request: HttpRequest, survey_id: uuid.UUID) -> Survey:
    """One survey: status, versions, anonymous link and the definition being edited."""
    return _survey(request, survey_id)


@router.patch(
    "/surveys/{survey_id}",
    response=with_errors({200: SurveyOut}, 403, 404, 422),
    auth=write_required,
)
def surveys_update(
    request: HttpRequest, survey_id: uuid.UUID, payload: SurveyPatch
) -> Survey | HttpResponse:
    """Rename, change link settings, or store a new definition in the draft (write scope)."""
    survey = _survey(request, survey_id)
    key = api_key(request)
    limit = payload.response_limit
    if limit is None and "response_limit" in payload.model_fields_set:
        limit = 0  # an explicit null removes the limit
    try:
        with transaction.atomic():
            survey_update_settings(
                survey=survey,
                actor=None,
                api_key=key,
                name=payload.name,
                single_response_per_browser=payload.single_response_per_browser,
                response_limit=limit,
            )
            if payload.definition is not None:
                survey_update_definition(
                    survey=survey, actor=None, api_key=key, definition=payload.definition
                )
    except DefinitionError as error:
        return _definition_problem(error, "definition")
    return _survey(request, survey_id)


@router.post(
    "/surveys/{survey_id}/publish",
    response=with_errors({200: SurveyOut}, 403, 404, 409, 422),
    auth=write_required,
)
def surveys_publish(request: HttpRequest, survey_id: uuid.UUID) -> Survey | HttpResponse:
    """Publish the draft: it is frozen and respondents see it; every text must be translated."""
    survey = _survey(request, survey_id)
    try:
        survey_publish(survey=survey, actor=None, api_key=api_key(request))
    except DefinitionError as error:
        return _definition_problem(error, "definition")
    return _survey(request, survey_id)


@router.post(
    "/surveys/{survey_id}/close",
    response=with_errors({200: SurveyOut}, 403, 404, 409),
    auth=write_required,
)
def surveys_close(request: HttpRequest, survey_id: uuid.UUID) -> Survey:
    """Stop accepting responses (an active survey only)."""
    survey_close(survey=_survey(request, survey_id), actor=None, api_key=api_key(request))
    return _survey(request, survey_id)


@router.post(
    "/surveys/{survey_id}/reopen",
    response=with_errors({200: SurveyOut}, 403, 404, 409),
    auth=write_required,
)
def surveys_reopen(request: HttpRequest, survey_id: uuid.UUID) -> Survey:
    """Accept responses again on a closed survey."""
    survey_reopen(survey=_survey(request, survey_id), actor=None, api_key=api_key(request))
    return _survey(request, survey_id)


@router.get(
    "/surveys/{survey_id}/versions", response=with_errors({200: list[VersionOut]}, 400, 404, 422)
)
@paginate(CursorPagination)
def surveys_versions(request: HttpRequest, survey_id: uuid.UUID) -> QuerySet[SurveyVersion]:
    """Every version of the survey, oldest first; published ones are frozen."""
    return survey_versions(survey=_survey(request, survey_id))


@router.get(
    "/surveys/{survey_id}/export",
    response=with_errors({200: str}, 404, 422),
    openapi_extra={
        "responses": {
            "200": {
                "description": "The survey document.",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/yaml": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def surveys_export(
    request: HttpRequest,
    survey_id: uuid.UUID,
    fmt: Literal["json", "yaml"] = Query("json", alias="format"),  # type: ignore[type-arg]
    version: int | None = Query(None, ge=1),  # type: ignore[type-arg]
) -> HttpResponse:
    """The survey as a JSON or YAML document that POST /surveys/import reads back.

    Without `version`, the newest version: the draft if there is one."""
    survey = _survey(request, survey_id)
    text = survey_export(survey=survey, fmt=fmt, version=version)
    response = HttpResponse(text, content_type=f"{CONTENT_TYPES[fmt]}; charset=utf-8")
    filename = f"{slugify(survey.name) or 'survey'}.{fmt}"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
