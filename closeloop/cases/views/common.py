"""Helpers shared by the case pages."""

from __future__ import annotations

from typing import Any, cast

from django.forms import Form
from django.http import HttpRequest

from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError

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


def form_error(form: Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names (or the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def pct(value: Any) -> str:
    return "—" if value is None else f"{round(value * 100)}%"
