"""REST endpoints for review sites (the links offered in review invitations)."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.advocacy import selectors, services
from closeloop.advocacy.models import ReviewSite, ReviewSiteKind
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors

router = Router(tags=["advocacy"])


class ReviewSiteIn(Schema):
    name: str = Field(max_length=120)
    url: str = Field(max_length=1000, description="The review page customers are sent to.")
    kind: str = Field(ReviewSiteKind.OTHER, description=", ".join(ReviewSiteKind.values))
    is_active: bool = True


class ReviewSitePatch(Schema):
    name: str | None = Field(None, max_length=120)
    url: str | None = Field(None, max_length=1000)
    kind: str | None = None
    is_active: bool | None = None


class ReviewSiteOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    url: str
    is_active: bool
    position: int
    created_at: dt.datetime


def _site(request: HttpRequest, pk: uuid.UUID) -> ReviewSite:
    return selectors.access_review_site(organization=api_org(request), pk=pk)


@router.get("/review-sites", response=with_errors({200: list[ReviewSiteOut]}, 400, 422))
@paginate(CursorPagination)
def review_sites_list(request: HttpRequest) -> QuerySet[ReviewSite]:
    """The organization's review sites."""
    return ReviewSite.objects.filter(organization=api_org(request))


@router.post(
    "/review-sites",
    response=with_errors({201: ReviewSiteOut}, 400, 403, 422),
    auth=write_required,
)
def review_sites_create(request: HttpRequest, payload: ReviewSiteIn) -> Status[ReviewSite]:
    """Add a review site at the end of the list (write scope)."""
    site = services.review_site_create(
        organization=api_org(request), api_key=api_key(request), **payload.dict()
    )
    return Status(201, site)


@router.get("/review-sites/{review_site_id}", response=with_errors({200: ReviewSiteOut}, 404))
def review_sites_detail(request: HttpRequest, review_site_id: uuid.UUID) -> Any:
    """One review site."""
    return _site(request, review_site_id)


@router.patch(
    "/review-sites/{review_site_id}",
    response=with_errors({200: ReviewSiteOut}, 400, 403, 404, 422),
    auth=write_required,
)
def review_sites_update(
    request: HttpRequest, review_site_id: uuid.UUID, payload: ReviewSitePatch
) -> Any:
    """Change a review site (write scope)."""
    return services.review_site_update(
        site=_site(request, review_site_id),
        api_key=api_key(request),
        **payload.dict(exclude_unset=True),
    )


@router.delete(
    "/review-sites/{review_site_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def review_sites_delete(request: HttpRequest, review_site_id: uuid.UUID) -> Status[None]:
    """Remove a review site (write scope)."""
    services.review_site_delete(site=_site(request, review_site_id), api_key=api_key(request))
    return Status(204, None)
