"""API of the customer advocacy review: its summary for a period, and the decisions.

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import NotFoundError
from closeloop.initiatives.choices import DecisionKind
from closeloop.initiatives.decisions import decision_record
from closeloop.initiatives.models import Decision, Initiative
from closeloop.initiatives.review import decision_list, review_period, review_summary, summary_data

router = Router(tags=["advocacy review"])


class ReviewQuery(Schema):
    from_: dt.date | None = Field(None, alias="from", description="First day (org time zone).")
    to: dt.date | None = Field(None, description="Last day, included (default: today).")
    days: int | None = Field(
        None, ge=1, le=1098, description="The last N days up to today (without from/to)."
    )
    language: str = Field("", description="Theme names in this language (default: the org's).")


class DecisionIn(Schema):
    kind: DecisionKind = Field(description="initiative, watch, no_action or escalate.")
    text: str = Field(min_length=1, max_length=4000, description="What was decided.")
    theme: uuid.UUID | None = Field(None, description="The theme it is about (none: general).")
    meeting_on: dt.date | None = Field(None, description="Meeting date (default: today).")
    initiative: uuid.UUID | None = Field(None, description="A linked initiative.")


class DecisionOut(Schema):
    id: uuid.UUID
    meeting_on: dt.date
    theme: uuid.UUID | None = None
    kind: str
    text: str
    initiative: uuid.UUID | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_theme(obj: Decision) -> uuid.UUID | None:
        return obj.theme_id

    @staticmethod
    def resolve_initiative(obj: Decision) -> uuid.UUID | None:
        return obj.initiative_id


class DecisionQuery(Schema):
    meeting_from: dt.date | None = Field(None, description="Meetings on or after this day.")
    meeting_to: dt.date | None = Field(None, description="Meetings on or before this day.")
    theme: uuid.UUID | None = Field(None, description="Only decisions about this theme.")


@router.get("/advocacy-review", response=with_errors({200: dict[str, Any]}, 400, 422))
def advocacy_review(request: HttpRequest, query: Query[ReviewQuery]) -> dict[str, Any]:
    """The review's summary for a period: themes by NPS impact and by volume (each with n and
    margins, weekly trend, change on the previous period, latest decision, initiatives,
    verbatims), open and breaching cases by team, root causes, recovered customers, initiatives
    in progress, and the last meeting's decisions."""
    org = api_org(request)
    if query.from_ is not None or query.to is not None:
        period = review_period(organization=org, date_from=query.from_, date_to=query.to)
    else:
        period = review_period(organization=org, days=query.days)
    language = query.language or org.default_language
    with translation.override(language):
        summary = review_summary(organization=org, period=period, language=language)
    return summary_data(summary)


@router.get("/decisions", response=with_errors({200: list[DecisionOut]}, 400, 422))
@paginate(CursorPagination)
def decisions_list(request: HttpRequest, filters: Query[DecisionQuery]) -> QuerySet[Decision]:
    """Decisions of the advocacy review (oldest first, paginated)."""
    return decision_list(
        organization=api_org(request),
        meeting_from=filters.meeting_from,
        meeting_to=filters.meeting_to,
        theme_id=filters.theme,
    )


@router.post(
    "/decisions", response=with_errors({201: DecisionOut}, 400, 403, 404, 422), auth=write_required
)
def decisions_create(request: HttpRequest, payload: DecisionIn) -> Status[Decision]:
    """Record a decision of the review (write scope)."""
    from closeloop.text.models import Theme

    org = api_org(request)
    theme = None
    if payload.theme is not None:
        theme = Theme.objects.filter(organization=org, pk=payload.theme).first()
        if theme is None:
            raise NotFoundError(_("There is no such theme."), field="theme")
    initiative = None
    if payload.initiative is not None:
        initiative = Initiative.objects.filter(organization=org, pk=payload.initiative).first()
        if initiative is None:
            raise NotFoundError(_("There is no such initiative."), field="initiative")
    decision = decision_record(
        organization=org,
        kind=payload.kind,
        text=payload.text,
        theme=theme,
        initiative=initiative,
        meeting_on=payload.meeting_on,
        api_key=api_key(request),
    )
    return Status(201, decision)
