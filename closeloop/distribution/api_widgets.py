"""REST endpoints for website widgets (mounted by api/api.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.access import access_object
from closeloop.accounts.models import Organization
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.distribution import widget_selectors as selectors
from closeloop.distribution import widget_services as services
from closeloop.distribution.models import Touchpoint, Widget
from closeloop.surveys.selectors import access_survey

router = Router(tags=["widgets"])

Placement = Literal["popup", "slide_in"]


class Triggers(Schema):
    """When the widget shows: on pages matching url_pattern, at the first trigger that fires
    (none set: when the page loads)."""

    url_pattern: str = Field("", description="A path like /checkout/* or a full URL; * matches.")
    min_seconds: int | None = Field(None, description="Seconds on the page.")
    scroll_percent: int | None = Field(None, description="How far down the page (1-100).")
    exit_intent: bool = Field(False, description="The mouse leaves through the top (desktop).")
    event: str = Field("", description="A name the page passes to closeloop('track', name).")


class WidgetIn(Schema):
    """A new widget."""

    name: str
    survey: uuid.UUID = Field(description="A published, open survey of the organization.")
    touchpoint: uuid.UUID | None = None
    placement: Placement = "slide_in"
    allowed_origins: list[str] = Field(default_factory=list, description="scheme://host[:port]")
    triggers: Triggers = Field(default_factory=Triggers)  # type: ignore[arg-type]
    is_active: bool = True
    rate_limit_per_minute: int = Field(6000, description="Every visitor together.")
    rate_limit_per_ip: int = Field(60, description="Each visitor (IP address).")
    require_verified_identity: bool = Field(
        False, description="identify without a valid user_hash counts as anonymous."
    )


class WidgetPatch(Schema):
    """Fields to change."""

    name: str | None = None
    survey: uuid.UUID | None = None
    touchpoint: uuid.UUID | None = None
    placement: Placement | None = None
    allowed_origins: list[str] | None = None
    triggers: Triggers | None = None
    is_active: bool | None = None
    rate_limit_per_minute: int | None = None
    rate_limit_per_ip: int | None = None
    require_verified_identity: bool | None = None


class WidgetOut(Schema):
    """A widget and the snippet to paste into a website."""

    id: uuid.UUID
    name: str
    public_key: str
    survey: uuid.UUID
    touchpoint: uuid.UUID | None
    placement: str
    allowed_origins: list[str]
    triggers: dict[str, Any]
    is_active: bool
    rate_limit_per_minute: int
    rate_limit_per_ip: int
    require_verified_identity: bool
    snippet: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_survey(obj: Widget) -> uuid.UUID:
        return obj.survey_id  # type: ignore[return-value]

    @staticmethod
    def resolve_touchpoint(obj: Widget) -> uuid.UUID | None:
        return obj.touchpoint_id  # type: ignore[return-value]

    @staticmethod
    def resolve_snippet(obj: Widget) -> str:
        return selectors.widget_snippet(widget=obj, base_url=settings.BASE_URL)


def _widget(request: HttpRequest, widget_id: uuid.UUID) -> Widget:
    return selectors.access_widget(organization=api_org(request), pk=widget_id)


def _touchpoint(org: Organization, pk: uuid.UUID | None) -> Touchpoint | None:
    if pk is None:
        return None
    return access_object(Touchpoint.objects.all(), organization=org, pk=pk)


@router.get("/widgets", response=with_errors({200: list[WidgetOut]}, 400))
@paginate(CursorPagination)
def widgets_list(request: HttpRequest) -> QuerySet[Widget]:
    """The organization's website widgets."""
    return selectors.widget_list(organization=api_org(request)).order_by("created_at", "id")


@router.post(
    "/widgets", response=with_errors({201: WidgetOut}, 400, 403, 404, 422), auth=write_required
)
def widgets_create(request: HttpRequest, payload: WidgetIn) -> Status[Widget]:
    """Create a widget (write scope) for a published survey."""
    org = api_org(request)
    widget = services.widget_create(
        organization=org,
        actor=None,
        api_key=api_key(request),
        name=payload.name,
        survey=access_survey(organization=org, pk=payload.survey),
        touchpoint=_touchpoint(org, payload.touchpoint),
        placement=payload.placement,
        allowed_origins=payload.allowed_origins,
        triggers=payload.triggers.dict(),
        is_active=payload.is_active,
        rate_limit_per_minute=payload.rate_limit_per_minute,
        rate_limit_per_ip=payload.rate_limit_per_ip,
        require_verified_identity=payload.require_verified_identity,
    )
    return Status(201, widget)


@router.get("/widgets/{widget_id}", response=with_errors({200: WidgetOut}, 404))
def widgets_detail(request: HttpRequest, widget_id: uuid.UUID) -> Widget:
    """One widget."""
    return _widget(request, widget_id)


@router.patch(
    "/widgets/{widget_id}",
    response=with_errors({200: WidgetOut}, 400, 403, 404, 422),
    auth=write_required,
)
def widgets_update(request: HttpRequest, widget_id: uuid.UUID, payload: WidgetPatch) -> Widget:
    """Change a widget's settings (write scope); only the given fields change."""
    widget = _widget(request, widget_id)
    org = api_org(request)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {
        k: v for k, v in data.items() if v is not None and k not in ("survey", "touchpoint")
    }
    if data.get("survey") is not None:
        changes["survey"] = access_survey(organization=org, pk=data["survey"])
    if "touchpoint" in data:
        changes["touchpoint"] = _touchpoint(org, data["touchpoint"])
    return services.widget_update(
        widget=widget, actor=None, api_key=api_key(request), changes=changes
    )


@router.delete(
    "/widgets/{widget_id}", response=with_errors({204: None}, 403, 404), auth=write_required
)
def widgets_delete(request: HttpRequest, widget_id: uuid.UUID) -> Status[None]:
    """Delete a widget (write scope)."""
    services.widget_delete(widget=_widget(request, widget_id), actor=None, api_key=api_key(request))
    return Status(204, None)


class IdentitySecretOut(Schema):
    """The secret the host's server signs visitors' ids with (keep it on the server)."""

    identity_secret: str


@router.post(
    "/widgets/{widget_id}/identity-secret",
    response=with_errors({200: IdentitySecretOut}, 403, 404),
    auth=write_required,
)
def widgets_identity_secret(request: HttpRequest, widget_id: uuid.UUID) -> IdentitySecretOut:
    """Make a new identity secret (write scope) and return it; the old one stops verifying."""
    widget = services.widget_secret_regenerate(
        widget=_widget(request, widget_id), actor=None, api_key=api_key(request)
    )
    return IdentitySecretOut(identity_secret=widget.identity_secret)
