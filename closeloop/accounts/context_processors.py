"""What the base layout needs on every page: the current organization and the switcher."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from closeloop.accounts.choices import Role
from closeloop.accounts.roles import MATRIX


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
        context["perms_here"] = {p.value for p in MATRIX[Role(membership.role)]}
    return context
