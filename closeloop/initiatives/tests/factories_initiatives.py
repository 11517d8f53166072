"""Initiatives for tests (and the tenant-isolation walker), made through the services."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Organization, Team
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.services import initiative_create
from closeloop.text.choices import ThemeStatus
from closeloop.text.models import Theme


def a_theme(organization: Organization) -> Theme:
    """An active theme of the organization (the defaults exist from its setup)."""
    found = Theme.objects.filter(organization=organization, status=ThemeStatus.ACTIVE).first()
    if found is not None:
        return found
    return Theme.objects.create(
        organization=organization, key="delivery", names={"en": "Delivery", "ko": "배송"}
    )


def a_team(organization: Organization, slug: str = "support") -> Team:
    team = Team.objects.filter(organization=organization, slug=slug).first()
    if team is None:
        team = Team.objects.create(organization=organization, slug=slug, name=slug.title())
    return team


def make_initiative(organization: Organization, **kwargs: Any) -> Initiative:
    kwargs.setdefault("title", "Deliver within two days")
    kwargs.setdefault("actor", None)
    return initiative_create(organization=organization, **kwargs)


def isolation_initiative(organization: Organization) -> Initiative:
    return make_initiative(organization, title="Isolation initiative")
