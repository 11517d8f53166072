"""What the base layout needs on every page: the current organization and the switcher."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from closeloop.accounts.choices import Role
from closeloop.accounts.roles import MATRIX
from closeloop.core.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"LANGUAGES_AVAILABLE": settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    membership = getattr(request, "membership", None)
    context["current_org"] = getattr(request, "org", None)
    context["current_membership"] = membership
    context["my_memberships"] = list(
        user.memberships.select_related("organization").order_by("organization__name")
    )
    if membership is not None:
        perms = {p.value for p in MATRIX[Role(membership.role)]}
        context["perms_here"] = perms
        context["nav_sections"] = navigation_for(
            org_slug=membership.organization.slug, perms=perms, path=request.path
        )
    return context
