"""Cursor pagination for every list endpoint: stable order by (created_at, id), opaque cursor."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from closeloop.core.errors import DomainError


class BadCursor(DomainError):
    """The cursor was not one this API handed out."""

    status = 400


def encode_cursor(created_at: dt.datetime, pk: Any) -> str:
    raw = json.dumps({"t": created_at.isoformat(), "id": str(pk)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """The (created_at, id) position a cursor stands for, or BadCursor naming "cursor"."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        created_at = dt.datetime.fromisoformat(data["t"])
        pk = uuid.UUID(data["id"])
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        raise BadCursor(
            _("This cursor is not valid. Use a next_cursor from a previous page, or none."),
            field="cursor",
            code="bad-cursor",
        ) from None
    if created_at.tzinfo is None:
        raise BadCursor(_("This cursor is not valid."), field="cursor", code="bad-cursor")
    return created_at, pk


class CursorPagination(PaginationBase):
    """`?limit=&cursor=` in, `{"items": [...], "next_cursor": "..." | null}` out."""

    class Input(Schema):
        limit: int = Field(
            settings.API_PAGE_SIZE,
            ge=1,
            le=settings.API_MAX_PAGE_SIZE,
            description="How many items to return.",
        )
        cursor: str | None = Field(
            None, description="The next_cursor of the previous page; leave out for the first."
        )

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = Field(
            description="Pass as ?cursor= for the next page; null on the last page."
        )

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        limit: int = pagination.limit
        queryset = queryset.order_by("created_at", "id")
        if pagination.cursor:
            created_at, pk = decode_cursor(pagination.cursor)
            queryset = queryset.filter(
                Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=pk)
            )
        rows = list(queryset[: limit + 1])
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor(last.created_at, last.pk)
        return {"items": items, "next_cursor": next_cursor}
