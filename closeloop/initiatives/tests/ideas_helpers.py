"""Helpers for the idea portal's tests: an open portal, verified visitors, the emailed link."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.initiatives.ideas import services
from closeloop.initiatives.ideas.selectors import portal_get
from closeloop.initiatives.models import Idea, IdeaComment, IdeaPortal, IdeaVote, PortalVisitor
from closeloop.integrations.models import Delivery

CONFIRM_RE = re.compile(r"(http://\S+/ideas/[\w-]+/confirm/[\w-]+/)\?lang=(\w+)")


def open_portal(org: Organization, **values: Any) -> IdeaPortal:
    cache.clear()
    portal = portal_get(organization=org)
    defaults: dict[str, Any] = {
        "enabled": True, "moderate_ideas": False,
        "title": {"en": "Acme ideas", "ko": "아크미 아이디어"},
    }  # fmt: skip
    defaults.update(values)
    return services.portal_update(portal=portal, actor=None, **defaults)


def verified(org: Organization, email: str, name: str = "", language: str = "en") -> PortalVisitor:
    visitor = services.visitor_get_or_create(
        organization=org, email=email, name=name or email.split("@")[0], language=language
    )
    visitor.verified_at = timezone.now()
    visitor.save(update_fields=["verified_at"])
    return visitor


def signed_in_client(org: Organization, visitor: PortalVisitor) -> Client:
    client = Client()
    token = services.visitor_session_start(visitor=visitor)
    client.cookies["cl_portal"] = token
    client.cookies["cl_portal"]["path"] = f"/ideas/{org.slug}/"
    return client


def confirm_link(email: str) -> str:
    """The path of the latest confirmation link emailed to `email`."""
    row = (
        Delivery.objects.filter(target=email, related_type="idea")
        .filter(payload__subject__icontains="confirm")
        .order_by("-created_at")
        .first()
    ) or Delivery.objects.filter(target=email, related_type="idea").order_by("-created_at").first()
    assert row is not None, f"no email to {email}"
    match = CONFIRM_RE.search(row.payload["text"])
    assert match, row.payload["text"]
    return "/" + match.group(1).split("://", 1)[1].split("/", 1)[1]


def emails_to(email: str) -> list[Delivery]:
    return list(Delivery.objects.filter(target=email).order_by("created_at"))


# --- for the tenant-isolation walker ---------------------------------------------------------


def isolation_idea(org: Organization) -> Idea:
    return services.idea_create(organization=org, title="Isolation idea")


def isolation_visitor(org: Organization) -> PortalVisitor:
    return verified(org, "isolation.visitor@example.com", "Isolation")


def isolation_idea_comment(org: Organization) -> IdeaComment:
    open_portal(org)
    return services.comment_add(
        idea=isolation_idea(org), body="Isolation", visitor=isolation_visitor(org)
    )


def isolation_vote(org: Organization) -> IdeaVote:
    open_portal(org)
    idea = isolation_idea(org)
    services.idea_vote(
        portal=portal_get(organization=org), idea=idea, visitor=isolation_visitor(org)
    )
    return IdeaVote.objects.get(idea=idea)
