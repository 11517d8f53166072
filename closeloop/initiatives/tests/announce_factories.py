"""Initiatives with linked customers, for the announcement tests (and the isolation walker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact
from closeloop.contacts.services import contact_create
from closeloop.initiatives.models import Announcement, Initiative
from closeloop.initiatives.tests import factories_initiatives
from closeloop.text.models import Comment, CommentTheme, Theme


def make_initiative(
    organization: Organization, status: str = "shipped", **kwargs: Any
) -> Initiative:
    """An initiative made through the service, then put straight into `status` (shipped a day
    ago unless `shipped_at` says otherwise)."""
    shipped_at = kwargs.pop("shipped_at", None)
    kwargs.setdefault("title", "Keep the beans fresh")
    kwargs.setdefault("description", "Beans now ship within 24 hours of roasting.")
    initiative = factories_initiatives.make_initiative(organization, **kwargs)
    initiative.status = status
    if status in ("shipped", "measured"):
        initiative.shipped_at = shipped_at or timezone.now() - timedelta(days=1)
    initiative.save(update_fields=["status", "shipped_at", "updated_at"])
    return initiative


def make_theme(organization: Organization, key: str = "freshness") -> Theme:
    theme, _created = Theme.objects.get_or_create(
        organization=organization, key=key, defaults={"names": {"en": key.title()}}
    )
    return theme


def person(
    organization: Organization, email: str, first_name: str, language: str = "", **data: Any
) -> Contact:
    return contact_create(
        organization=organization,
        actor=None,
        data={"email": email, "first_name": first_name, "language": language, **data},
    )


def say(
    organization: Organization,
    contact: Contact | None,
    theme: Theme,
    text: str,
    *,
    days_ago: int = 10,
    language: str = "",
) -> Comment:
    """A comment of the contact about the theme."""
    comment = Comment.objects.create(
        organization=organization,
        contact_id=contact.pk if contact is not None else None,
        text=text,
        answered_at=timezone.now() - timedelta(days=days_ago),
        language=language,
    )
    CommentTheme.objects.create(comment=comment, theme=theme)
    return comment


def isolation_announcement(organization: Organization) -> Announcement:
    """A draft announcement of a shipped initiative (for the tenant-isolation walker)."""
    from closeloop.initiatives.announcements import announcement_create

    return announcement_create(initiative=make_initiative(organization, title="Isolation"))
