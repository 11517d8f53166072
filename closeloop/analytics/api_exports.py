"""REST endpoints for exports: ask for one (202), follow it, download the file."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from closeloop.analytics.exports import selectors, services
from closeloop.analytics.models import Export
from closeloop.api.auth import api_key, api_org
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError, NotFoundError
from closeloop.surveys.models import Survey

router = Router(tags=["exports"])


class ExportIn(Schema):
    """What to export: a survey's responses, or a metric result, in a format, with filters."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["responses", "metrics"] = Field(
        "responses",
        description="`responses` (one row per response of `survey`) or `metrics` (one row per "
        "group of a metric result: value, n, margin of error, counts).",
    )
    survey: uuid.UUID | None = Field(
        None, description="The survey whose responses to export (metrics: optional filter)."
    )
    format: Literal["csv", "xlsx", "sav"] = Field(
        description="csv (UTF-8 with BOM), xlsx (a sheet per survey version) or sav (SPSS; "
        "responses only)."
    )
    from_: dt.date | None = Field(
        None, alias="from", description="First day (in the organization's time zone)."
    )
    to: dt.date | None = Field(None, description="Last day, included.")
    status: Literal["complete", "partial", "all"] = Field(
        "complete", description="Responses: completed (default), partial, or all."
    )
    touchpoint: uuid.UUID | None = None
    channel: str | None = Field(None, description="link, email, widget, qr, api or import.")
    language: str | None = Field(None, max_length=10, description="A language code, e.g. ko.")
    metric: str | None = Field(
        None,
        description="Metrics: nps, csat, ces, enps, rating, choice, response_rate, start_rate "
        "or completion_rate.",
    )
    surveys: list[uuid.UUID] = Field(
        default_factory=list, description="Metrics: several surveys (with or instead of survey)."
    )
    question: str | None = Field(None, max_length=64, description="Metrics: a question key.")
    group_by: str = Field(
        "none",
        max_length=80,
        description="Metrics: none, day, week, month, quarter, touchpoint, channel, language, "
        "survey, or attribute:<key>.",
    )
    basis: Literal["response", "latest"] = Field(
        "response", description="Metrics: every response, or each contact's latest."
    )
    team: uuid.UUID | None = Field(None, description="Metrics: only this team's responses.")
    segment: uuid.UUID | None = Field(None, description="Metrics: only contacts in a segment.")
    attribute: str | None = Field(
        None, max_length=200, description="Metrics: key:value of a contact attribute."
    )


class ProgressOut(Schema):
    done: int
    total: int
    percent: int


class ExportOut(Schema):
    """An export, its progress and (once ready) where to download it."""

    id: uuid.UUID
    kind: str
    survey: uuid.UUID | None
    format: str
    filters: dict[str, Any]
    status: str = Field(description="queued, running, done, failed or expired.")
    progress: ProgressOut
    error: str
    file_name: str
    size: int = Field(description="Bytes, once done.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    status_url: str
    download_url: str | None = Field(description="Set when status is done.")

    @staticmethod
    def resolve_survey(obj: Export) -> Any:
        return obj.survey_id

    @staticmethod
    def resolve_progress(obj: Export) -> dict[str, int]:
        return {"done": obj.progress_done, "total": obj.progress_total, "percent": obj.percent}

    @staticmethod
    def resolve_status_url(obj: Export, context: Any) -> str:
        request: HttpRequest = context["request"]
        return request.build_absolute_uri(f"/api/v1/exports/{obj.pk}")

    @staticmethod
    def resolve_download_url(obj: Export, context: Any) -> str | None:
        if not obj.is_ready:
            return None
        request: HttpRequest = context["request"]
        return request.build_absolute_uri(f"/api/v1/exports/{obj.pk}/file")


def _export(request: HttpRequest, export_id: uuid.UUID) -> Export:
    return selectors.access_export(organization=api_org(request), pk=export_id)


def _metrics_export(request: HttpRequest, payload: ExportIn) -> Export:
    if not payload.metric:
        raise DomainError(_("Name the metric to export."), field="metric")
    surveys = [*([payload.survey] if payload.survey else []), *payload.surveys]
    organization = api_org(request)
    return services.export_metrics_create(
        organization=organization,
        query={
            "metric": payload.metric,
            "surveys": surveys,
            "question": payload.question,
            "from": payload.from_,
            "to": payload.to,
            "group_by": payload.group_by,
            "basis": payload.basis,
            "touchpoints": [payload.touchpoint] if payload.touchpoint else [],
            "channels": [payload.channel] if payload.channel else [],
            "languages": [payload.language] if payload.language else [],
            "team": payload.team,
            "segment": payload.segment,
            "attribute": payload.attribute,
        },
        format=payload.format,
        language=organization.default_language,
        api_key=api_key(request),
    )


@router.post("/exports", response=with_errors({202: ExportOut}, 400, 403, 404, 409, 422))
def exports_create(
    request: HttpRequest, payload: ExportIn, response: HttpResponse
) -> Status[Export]:
    """Ask for an export (write scope): 202 with its id and status URL; the worker builds the
    file. Poll `status_url` until `status` is `done`, then GET `download_url`. Files are kept
    7 days. Employee surveys leave out everything that identifies a person."""
    organization = api_org(request)
    if payload.kind == "metrics":
        export = _metrics_export(request, payload)
    else:
        if payload.survey is None:
            raise DomainError(_("Name the survey to export."), field="survey")
        survey = Survey.objects.filter(organization=organization, pk=payload.survey).first()
        if survey is None:
            raise NotFoundError(_("There is no such survey."), field="survey")
        export = services.export_create(
            organization=organization,
            survey=survey,
            format=payload.format,
            filters={
                "from": payload.from_,
                "to": payload.to,
                "status": payload.status,
                "touchpoint": payload.touchpoint,
                "channel": payload.channel,
                "language": payload.language,
            },
            language=organization.default_language,
            api_key=api_key(request),
        )
    response["Location"] = request.build_absolute_uri(f"/api/v1/exports/{export.pk}")
    return Status(202, export)


@router.get("/exports", response=with_errors({200: list[ExportOut]}, 400, 422))
@paginate(CursorPagination)
def exports_list(request: HttpRequest) -> QuerySet[Export]:
    """The organization's exports."""
    return selectors.export_list(organization=api_org(request))


@router.get("/exports/{export_id}", response=with_errors({200: ExportOut}, 404))
def exports_detail(request: HttpRequest, export_id: uuid.UUID) -> Export:
    """One export: status, progress (rows done of total) and, once done, its download URL."""
    return _export(request, export_id)


@router.get(
    "/exports/{export_id}/file",
    response=with_errors({200: None}, 404, 409, 410),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file (CSV, XLSX or SAV).",
                "content": {
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                    "application/x-spss-sav": {},
                },
            }
        }
    },
)
def exports_file(request: HttpRequest, export_id: uuid.UUID) -> FileResponse:
    """Download a finished export: 409 while it is being built, 410 once it has expired."""
    export = _export(request, export_id)
    handle = services.export_file_open(export=export, api_key=api_key(request))
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.file_name,
        content_type=services.CONTENT_TYPES.get(export.format, "application/octet-stream"),
    )
