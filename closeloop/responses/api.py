"""REST endpoints for responses (mounted by closeloop/api/api.py)."""

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.access import access_object
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.errors import problem
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.models import Response
from closeloop.responses.schemas import ResponseIn, ResponseOut, SurveyPageDoc
from closeloop.responses.selectors import response_by_idempotency_key, response_list
from closeloop.responses.services import ResponseValidationError, response_create_complete
from closeloop.surveys.selectors import access_survey

router = Router(tags=["responses"])

PUBLIC_PAGE_DOC = """The survey page respondents use is HTML, not JSON, and needs no API key:

* `GET /s/{token}/` shows the current page (`token` is the survey's anonymous link token or a
  personal link's token). `?lang=xx` picks a language; hidden fields travel as query parameters;
  `?nps=9` (also `?csat=`, `?ces=`, or `?<question key>=`) records an answer to the first
  question on landing and continues with the rest of the survey.
* `POST /s/{token}/` (form-encoded) saves one page: `_page` (the page key), `_nonce` (from the
  rendered form; a repeated nonce is ignored), `_action` (`next` or `back`) and one field per
  answer (`<key>`, `<key>__other`, `<key>__<row or choice>`). Answers 303 to the next page, or the
  page again with its errors. Limits: 64 KB body (413), per-IP and per-survey rate limits (429
  with Retry-After), a honeypot field `website` (400), closed survey (410).
"""


def _validation_problem(error: ResponseValidationError) -> HttpResponse:
    errors = [{"field": f"answers.{key}", "message": msg} for key, msg in error.errors.items()]
    return problem(
        status=422,
        title=_("The request is not valid."),
        detail=error.message,
        code="validation",
        field=errors[0]["field"],
        errors=errors,
    )


@router.post(
    "/surveys/{survey_id}/responses",
    response=with_errors({200: ResponseOut, 201: ResponseOut}, 403, 404, 409, 422),
    auth=write_required,
)
def responses_create(
    request: HttpRequest, survey_id: uuid.UUID, payload: ResponseIn
) -> Status[Response] | HttpResponse:
    """Create a completed response (write scope). It goes through the same validation and
    follow-up as one from the survey page; `historical: true` stores it without follow-up.
    A repeated `idempotency_key` answers 200 with the response created the first time."""
    organization = api_org(request)
    survey = access_survey(organization=organization, pk=survey_id)
    if payload.idempotency_key:
        existing = response_by_idempotency_key(survey=survey, key=payload.idempotency_key)
        if existing is not None:
            return Status(200, existing)
    try:
        response = response_create_complete(
            survey=survey,
            answers=payload.answers,
            channel=Channel.IMPORT if payload.historical else Channel.API,
            language=payload.language,
            hidden=dict(payload.hidden),
            contact_id=payload.contact_id,
            historical=payload.historical,
            completed_at=payload.completed_at,
            idempotency_key=payload.idempotency_key,
            api_key=api_key(request),
        )
    except ResponseValidationError as error:
        return _validation_problem(error)
    return Status(201, response)


@router.get(
    "/surveys/{survey_id}/responses",
    response=with_errors({200: list[ResponseOut]}, 400, 404, 422),
)
@paginate(CursorPagination)
def responses_list(
    request: HttpRequest,
    survey_id: uuid.UUID,
    from_: dt.datetime | None = Query(None, alias="from"),  # type: ignore[type-arg]  # noqa: B008
    to: dt.datetime | None = None,
    status: ResponseStatus | None = None,
    contact: uuid.UUID | None = None,
) -> QuerySet[Response]:
    """A survey's responses, oldest first; filter by start time (`from`, `to`), `status`
    (partial or complete) and `contact` (a contact id)."""
    organization = api_org(request)
    survey = access_survey(organization=organization, pk=survey_id)
    return response_list(
        organization=organization,
        survey=survey,
        status=status,
        since=from_,
        until=to,
        contact_id=contact,
    )


@router.get("/responses/{response_id}", response=with_errors({200: ResponseOut}, 404))
def responses_detail(request: HttpRequest, response_id: uuid.UUID) -> Response:
    """One response with its answers."""
    organization = api_org(request)
    return access_object(
        response_list(organization=organization), organization=organization, pk=response_id
    )


@router.get(
    "/survey-page",
    response=with_errors({200: SurveyPageDoc}),
    summary="The public survey page (HTML form endpoints)",
    description=PUBLIC_PAGE_DOC,
)
def survey_page_doc(request: HttpRequest) -> dict[str, object]:
    """Describes the HTML endpoints of the public survey page."""
    base = settings.BASE_URL.rstrip("/")
    return {
        "page": f"{base}/s/{{token}}/",
        "one_click": f"{base}/s/{{token}}/?nps=9",
        "methods": ["GET", "POST"],
        "notes": [line.strip() for line in PUBLIC_PAGE_DOC.split("\n* ")[1:]],
    }
