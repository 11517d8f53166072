"""REST endpoints for the customer journey: touchpoints, listening posts, the journey, QR codes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StringConstraints

from closeloop.api.auth import api_key, api_org
from closeloop.api.schemas import with_errors
from closeloop.core.errors import NotFoundError
from closeloop.distribution import journey_selectors as selectors
from closeloop.distribution import journey_services as services
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.models import ListeningPost, Touchpoint
from closeloop.distribution.qr import qr_image
from closeloop.surveys.selectors import access_survey

router = Router(tags=["journey"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
ChannelName = Literal["email", "link", "qr", "widget", "event"]


class TouchpointOut(Schema):
    """A touchpoint of the customer journey."""

    id: uuid.UUID
    key: str = Field(description="Used in survey links as `?tp=<key>`; never changes.")
    name: str
    description: str
    position: int = Field(description="Place in the journey, 0 first.")
    created_at: dt.datetime


class TouchpointIn(Schema):
    """A new touchpoint, added at the end of the journey unless a position is given."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    key: Key = Field("", description="Derived from the name when left out.")
    position: int | None = Field(None, ge=0)


class TouchpointPatch(Schema):
    """Changes to a touchpoint; fields left out stay as they are. The key cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    position: int | None = Field(None, ge=0, description="Move to this place (0 first).")


class ListeningPostIn(Schema):
    """A survey that listens at the touchpoint through a channel."""

    model_config = ConfigDict(extra="forbid")

    survey_id: uuid.UUID
    channel: ChannelName


class ListeningPostOut(Schema):
    """A listening post."""

    id: uuid.UUID
    touchpoint_id: uuid.UUID
    survey_id: uuid.UUID
    channel: str
    link: str | None = Field(None, description="For web link and QR code posts.")

    @staticmethod
    def resolve_link(obj: ListeningPost) -> str | None:
        if obj.channel not in selectors.SHAREABLE:
            return None
        return selectors.touchpoint_link(
            survey=obj.survey, touchpoint=obj.touchpoint, channel=obj.channel
        )


class ListenerOut(Schema):
    """A survey listening at a touchpoint, and what set it up."""

    survey_id: uuid.UUID
    survey_name: str
    channel: str
    source: Literal["post", "campaign", "trigger", "widget"]
    source_name: str
    listening_post_id: uuid.UUID | None
    link: str | None


class ScoreOut(Schema):
    """NPS (-100..100), CSAT (% satisfied) or CES (mean 1-7) and the answers it rests on."""

    metric: Literal["nps", "csat", "ces"]
    value: float
    n: int


class JourneyStopOut(Schema):
    """One touchpoint on the journey."""

    touchpoint: TouchpointOut
    channels: list[str]
    listeners: list[ListenerOut]
    responses: int = Field(description="Completed responses at this touchpoint in the window.")
    score: ScoreOut | None
    no_listening_post: bool


class JourneyOut(Schema):
    """The journey in order, with figures over the last `window_days` days."""

    window_days: int
    touchpoints: list[JourneyStopOut]


def _touchpoint(request: HttpRequest, touchpoint_id: uuid.UUID) -> Touchpoint:
    return selectors.access_touchpoint(organization=api_org(request), pk=touchpoint_id)


@router.get("/touchpoints", response=with_errors({200: list[TouchpointOut]}))
def touchpoints_list(request: HttpRequest) -> list[Touchpoint]:
    """The organization's touchpoints in journey order (a journey is short: not paginated)."""
    org = api_org(request)
    services.touchpoints_ensure_defaults(organization=org)
    return list(selectors.touchpoint_list(organization=org))


@router.post("/touchpoints", response=with_errors({201: TouchpointOut}, 403, 409, 422))
def touchpoints_create(request: HttpRequest, payload: TouchpointIn) -> Status[Touchpoint]:
    """Add a touchpoint (write scope); a key already in use is 409."""
    org = api_org(request)
    services.touchpoints_ensure_defaults(organization=org)
    touchpoint = services.touchpoint_create(
        organization=org,
        name=payload.name,
        description=payload.description,
        key=payload.key,
        api_key=api_key(request),
    )
    if payload.position is not None:
        services.touchpoint_move_to(
            touchpoint=touchpoint, index=payload.position, api_key=api_key(request)
        )
    touchpoint.refresh_from_db()
    return Status(201, touchpoint)


@router.get("/touchpoints/{touchpoint_id}", response=with_errors({200: TouchpointOut}, 404))
def touchpoints_detail(request: HttpRequest, touchpoint_id: uuid.UUID) -> Touchpoint:
    """One touchpoint."""
    return _touchpoint(request, touchpoint_id)


@router.patch(
    "/touchpoints/{touchpoint_id}", response=with_errors({200: TouchpointOut}, 403, 404, 422)
)
def touchpoints_update(
    request: HttpRequest, touchpoint_id: uuid.UUID, payload: TouchpointPatch
) -> Touchpoint:
    """Rename a touchpoint, change its description or move it (write scope)."""
    touchpoint = _touchpoint(request, touchpoint_id)
    if payload.name is not None or payload.description is not None:
        services.touchpoint_update(
            touchpoint=touchpoint,
            name=payload.name,
            description=payload.description,
            api_key=api_key(request),
        )
    if payload.position is not None:
        services.touchpoint_move_to(
            touchpoint=touchpoint, index=payload.position, api_key=api_key(request)
        )
    touchpoint.refresh_from_db()
    return touchpoint


@router.delete("/touchpoints/{touchpoint_id}", response=with_errors({204: None}, 403, 404))
def touchpoints_delete(request: HttpRequest, touchpoint_id: uuid.UUID) -> Status[None]:
    """Delete a touchpoint and its listening posts (write scope)."""
    services.touchpoint_delete(
        touchpoint=_touchpoint(request, touchpoint_id), api_key=api_key(request)
    )
    return Status(204, None)


@router.post(
    "/touchpoints/{touchpoint_id}/listening-posts",
    response=with_errors({201: ListeningPostOut}, 403, 404, 409, 422),
)
def listening_posts_create(
    request: HttpRequest, touchpoint_id: uuid.UUID, payload: ListeningPostIn
) -> Status[ListeningPost]:
    """Make a survey listen at the touchpoint through a channel (write scope)."""
    touchpoint = _touchpoint(request, touchpoint_id)
    survey = access_survey(organization=api_org(request), pk=payload.survey_id)
    post = services.listening_post_add(
        touchpoint=touchpoint, survey=survey, channel=payload.channel, api_key=api_key(request)
    )
    return Status(201, post)


@router.delete(
    "/touchpoints/{touchpoint_id}/listening-posts/{listening_post_id}",
    response=with_errors({204: None}, 403, 404),
)
def listening_posts_delete(
    request: HttpRequest, touchpoint_id: uuid.UUID, listening_post_id: uuid.UUID
) -> Status[None]:
    """Remove a listening post (write scope)."""
    touchpoint = _touchpoint(request, touchpoint_id)
    post = selectors.access_listening_post(touchpoint=touchpoint, pk=listening_post_id)
    services.listening_post_remove(post=post, api_key=api_key(request))
    return Status(204, None)


@router.get(
    "/touchpoints/{touchpoint_id}/qr",
    response=with_errors({200: None}, 404, 422),
    openapi_extra={
        "responses": {
            200: {
                "description": "The QR code of the survey's link for this touchpoint.",
                "content": {
                    "image/svg+xml": {"schema": {"type": "string"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def touchpoints_qr(
    request: HttpRequest,
    touchpoint_id: uuid.UUID,
    survey: str = "",
    format: Literal["svg", "png"] = "svg",
) -> HttpResponse:
    """The QR code (SVG or PNG, error correction M) of a survey's link at this touchpoint:
    `?survey=<id>` (by default the first survey listening here by QR code or web link) and
    `?format=svg|png`."""
    touchpoint = _touchpoint(request, touchpoint_id)
    target = selectors.qr_survey_for(touchpoint=touchpoint, survey_id=survey)
    if target is None:
        if survey:
            raise NotFoundError(_("No such survey."), field="survey", code="not_found")
        raise NotFoundError(selectors.no_survey_message(), field="survey", code="not_found")
    link = selectors.touchpoint_link(
        survey=target, touchpoint=touchpoint, channel=ListeningChannel.QR
    )
    body, content_type = qr_image(link, format, title=link)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="qr-{touchpoint.key}.{format}"'
    return response


@router.get("/journey", response=with_errors({200: JourneyOut}))
def journey(request: HttpRequest) -> dict[str, object]:
    """The journey: each touchpoint in order with its listeners, completed responses in the
    last 90 days, the score they give, and whether nobody listens there."""
    org = api_org(request)
    services.touchpoints_ensure_defaults(organization=org)
    stops = selectors.journey(organization=org)
    return {
        "window_days": selectors.WINDOW_DAYS,
        "touchpoints": [
            {
                "touchpoint": stop.touchpoint,
                "channels": [value for value, _label in stop.channels],
                "listeners": [
                    {
                        "survey_id": lis.survey.pk,
                        "survey_name": lis.survey.name,
                        "channel": lis.channel,
                        "source": lis.source,
                        "source_name": lis.source_name,
                        "listening_post_id": lis.post.pk if lis.post is not None else None,
                        "link": lis.link or None,
                    }
                    for lis in stop.listeners
                ],
                "responses": stop.responses,
                "score": (
                    {"metric": stop.score.metric, "value": stop.score.value, "n": stop.score.n}
                    if stop.score is not None
                    else None
                ),
                "no_listening_post": stop.no_listening_post,
            }
            for stop in stops
        ],
    }
