"""Comments made through the engine's real services (created, then enriched as the worker
does), for the explorer, theme, API and automation tests; and the objects the tenant-isolation
walker needs for the text pages and endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from closeloop.accounts.models import Organization
from closeloop.text.choices import ThemeStatus
from closeloop.text.enrichment import comments_enrich
from closeloop.text.models import Comment, Theme
from closeloop.text.services import comment_create


def add_comments(organization: Organization, rows: list[dict[str, Any]]) -> list[Comment]:
    """Import comments (text, score, language, source, answered_at, contact_id, source_ref)
    and enrich them now, in order."""
    created = [
        comment_create(
            organization=organization,
            text=row["text"],
            score=row.get("score"),
            language=row.get("language", ""),
            source=row.get("source", "api"),
            source_ref=row.get("source_ref", ""),
            answered_at=row.get("answered_at"),
            contact_id=row.get("contact_id"),
        )
        for row in rows
    ]
    comments_enrich(comment_ids=[c.pk for c in created])
    by_id = Comment.objects.in_bulk([c.pk for c in created])
    return [by_id[c.pk] for c in created]


def add_comment(
    organization: Organization, text: str, score: float | None = None, **extra: Any
) -> Comment:
    return add_comments(organization, [{"text": text, "score": score, **extra}])[0]


def days_ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def theme(organization: Organization, key: str) -> Theme:
    return Theme.objects.get(organization=organization, key=key)


def themes_of(comment: Comment) -> set[str]:
    return set(comment.theme_links.values_list("theme__key", flat=True))


def isolation_comment(organization: Organization) -> Comment:
    return comment_create(organization=organization, text="Isolation comment", score=5)


def isolation_theme(organization: Organization) -> Theme:
    found = Theme.objects.filter(organization=organization, status=ThemeStatus.ACTIVE).first()
    if found is not None:
        return found
    return Theme.objects.create(organization=organization, key="isolation", names={"en": "Iso"})
