"""REST endpoints for announcements: write one for an initiative (texts per language), send it,
follow its progress, delivery and opens, and list its recipients."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.initiatives import announcements as svc
from closeloop.initiatives.models import Announcement, AnnouncementRecipient
from closeloop.initiatives.selectors import access_initiative

router = Router(tags=["announcements"])


class TextIn(Schema):
    subject: str = Field(max_length=200)
    body: str = Field(
        max_length=10_000,
        description="May use {{ first_name }}, {{ what_they_said }} and {{ what_changed }}.",
    )


class AnnouncementIn(Schema):
    texts: dict[str, TextIn] = Field(
        default_factory=dict,
        description='Per language ("en", "ko", "th"); languages left out get the built-in wording.',
    )
    what_changed: dict[str, str] = Field(
        default_factory=dict, description="Per language: fills {{ what_changed }}."
    )


class CountsOut(Schema):
    total: int
    pending: int
    sent: int
    opened: int
    skipped: int
    failed: int
    processed: int
    percent: int


class AnnouncementOut(Schema):
    id: uuid.UUID
    initiative_id: uuid.UUID
    initiative_number: int
    status: str
    texts: dict[str, Any]
    what_changed: dict[str, Any]
    default_language: str
    total: int
    processed: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime
    counts: CountsOut

    @staticmethod
    def resolve_initiative_number(obj: Announcement) -> int:
        return obj.initiative.number

    @staticmethod
    def resolve_counts(obj: Announcement) -> dict[str, int]:
        counts = svc.announcement_counts(obj)
        return {**counts.__dict__, "percent": counts.percent}


class ReasonOut(Schema):
    kind: str
    id: str = ""
    text: str = ""
    at: str | None = None


class RecipientOut(Schema):
    id: uuid.UUID
    contact_id: uuid.UUID
    email: str | None
    language: str
    reasons: list[ReasonOut]
    status: str
    skip_reason: str
    sent_at: dt.datetime | None
    opened_at: dt.datetime | None

    @staticmethod
    def resolve_email(obj: AnnouncementRecipient) -> str | None:
        contact = obj.contact
        return None if contact.erased_at is not None else contact.email


def _announcement(request: HttpRequest, pk: uuid.UUID) -> Announcement:
    return svc.access_announcement(organization=api_org(request), pk=pk)


@router.get("/announcements", response=with_errors({200: list[AnnouncementOut]}, 400, 422))
@paginate(CursorPagination)
def announcements_list(request: HttpRequest) -> QuerySet[Announcement]:
    """The organization's announcements, newest first."""
    return svc.announcement_list(organization=api_org(request))


@router.post(
    "/initiatives/{initiative_id}/announcements",
    response=with_errors({201: AnnouncementOut}, 400, 403, 404, 422),
    auth=write_required,
)
def announcements_create(
    request: HttpRequest, initiative_id: uuid.UUID, payload: AnnouncementIn
) -> Status[Announcement]:
    """Write a draft announcement of the initiative (write scope)."""
    initiative = access_initiative(organization=api_org(request), pk=initiative_id)
    announcement = svc.announcement_create(
        initiative=initiative,
        api_key=api_key(request),
        texts={k: v.dict() for k, v in payload.texts.items()},
        what_changed=payload.what_changed,
    )
    return Status(201, announcement)


@router.get("/announcements/{announcement_id}", response=with_errors({200: AnnouncementOut}, 404))
def announcements_detail(request: HttpRequest, announcement_id: uuid.UUID) -> Announcement:
    """One announcement with its progress (processed of total) and counts per status."""
    return _announcement(request, announcement_id)


@router.get(
    "/announcements/{announcement_id}/recipients",
    response=with_errors({200: list[RecipientOut]}, 400, 404, 422),
)
@paginate(CursorPagination)
def announcements_recipients(
    request: HttpRequest, announcement_id: uuid.UUID, status: str | None = None
) -> QuerySet[AnnouncementRecipient]:
    """Who it went to: language, why linked, status and the reason when not sent."""
    announcement = _announcement(request, announcement_id)
    return svc.announcement_recipients(announcement=announcement, status=status)


@router.post(
    "/announcements/{announcement_id}/send",
    response=with_errors({202: AnnouncementOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def announcements_send(request: HttpRequest, announcement_id: uuid.UUID) -> Status[Announcement]:
    """Send a draft now, in the background; follow it with GET /announcements/{id}."""
    announcement = svc.announcement_send(
        announcement=_announcement(request, announcement_id), api_key=api_key(request)
    )
    return Status(202, announcement)
