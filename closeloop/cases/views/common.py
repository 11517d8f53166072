"""Helpers shared by the case pages."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest

from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.crud import form_error as form_error  # for the case pages' forms

DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 90
MIN_DAYS, MAX_DAYS = 7, 730

READ = Perm.VIEW
WORK = Perm.WORK_CASES
CONFIG = Perm.MANAGE_TEAMS


def org_of(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def membership_of(request: HttpRequest) -> Membership:
    return cast(Membership, request.membership)  # type: ignore[attr-defined]


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


def can(request: HttpRequest, perm: Perm) -> bool:
    return has_perm(membership_of(request).role, perm)


def pct(value: Any) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def days_of(request: HttpRequest) -> int:
    """The `?days=` of a metrics page: 7 to 730, 90 when missing or not a number."""
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return max(MIN_DAYS, min(MAX_DAYS, days))


def day_choices(days: int) -> list[int]:
    """The period select's options: 7, 30, 90 and 365 days, and the current one if another."""
    return sorted({*DAY_CHOICES, days})
