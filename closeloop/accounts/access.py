"""access_* helpers: every org-owned lookup goes through here (404 for outsiders, 403 for roles)."""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def access_membership(*, user: User | Any, org_slug: str) -> Membership:
    """The user's membership in the organization, or 404 (never reveal that it exists)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def require_perm(membership: Membership, perm: Perm) -> None:
    if not has_perm(membership.role, perm):
        raise PermissionDenied


def access_object[M: Model](queryset: QuerySet[M], *, organization: Organization, pk: Any) -> M:
    """One org-owned object by its public id, or 404 if it is missing or another org's."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise Http404 from None
    obj = queryset.filter(organization=organization, pk=key).first()
    if obj is None:
        raise Http404
    return obj


ViewFunc = Callable[..., HttpResponse]


def org_view(read: Perm = Perm.VIEW, write: Perm | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a view under /o/<org_slug>/: resolve the membership, check the role, use the org's
    time zone. `write` is the permission needed for POST and other unsafe methods."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = access_membership(user=request.user, org_slug=org_slug)
            perm = read if request.method in SAFE_METHODS else (write or read)
            require_perm(membership, perm)
            request.membership = membership  # type: ignore[attr-defined]
            request.org = membership.organization  # type: ignore[attr-defined]
            request.session["current_org"] = org_slug
            timezone.activate(zoneinfo.ZoneInfo(membership.organization.time_zone))
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        wrapper.org_view = True  # type: ignore[attr-defined]
        wrapper.read_perm = read  # type: ignore[attr-defined]
        wrapper.write_perm = write or read  # type: ignore[attr-defined]
        return wrapper

    return decorator
