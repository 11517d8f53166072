"""Helpers shared by the text pages."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from django.utils import translation

from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.text.forms import DAY_CHOICES, DEFAULT_DAYS

READ = Perm.VIEW
EDIT = Perm.EDIT_SURVEYS  # themes, proposals and corrections
WORK = Perm.WORK_CASES  # a case from a comment


def org_of(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def membership_of(request: HttpRequest) -> Membership:
    return cast(Membership, request.membership)  # type: ignore[attr-defined]


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


def can(request: HttpRequest, perm: Perm) -> bool:
    return has_perm(membership_of(request).role, perm)


def ui_language(request: HttpRequest) -> str:
    """The language the page is shown in (theme names are shown in it when they have one)."""
    return (translation.get_language() or org_of(request).default_language).split("-")[0]


def days_of(request: HttpRequest) -> int:
    """The `?days=` of a theme page: one of DAY_CHOICES, DEFAULT_DAYS otherwise."""
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in {d for d, _label in DAY_CHOICES} else DEFAULT_DAYS
