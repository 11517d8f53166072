"""Reads of the idea portal, every one scoped to an organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from closeloop.accounts.access import access_object
from closeloop.accounts.models import Organization
from closeloop.initiatives.choices import PUBLIC_IDEA_STATUSES, IdeaStatus, PortalVisibility
from closeloop.initiatives.models import (
    Idea,
    IdeaComment,
    IdeaPortal,
    IdeaStatusChange,
    IdeaVote,
    PortalVisitor,
)
from closeloop.lib.tokens import hash_token

PORTAL_LANGUAGES = ("en", "ko", "th")
# Statuses staff may set with a public reply (approval and merging have their own actions).
SETTABLE_STATUSES = (
    IdeaStatus.OPEN,
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
    IdeaStatus.SHIPPED,
    IdeaStatus.DECLINED,
)
SORTS = ("votes", "newest")


def portal_get(*, organization: Organization) -> IdeaPortal:
    """The organization's portal settings (made, closed, on first use)."""
    portal, _created = IdeaPortal.objects.get_or_create(
        organization=organization,
        defaults={"default_language": organization.default_language or "en"},
    )
    return portal


def portal_by_slug(*, org_slug: str) -> IdeaPortal:
    """The open portal of the organization with this slug, or 404 (also when it is closed)."""
    portal = (
        IdeaPortal.objects.select_related("organization")
        .filter(organization__slug=org_slug, enabled=True)
        .first()
    )
    if portal is None:
        raise Http404
    return portal


def portal_text(portal: IdeaPortal, field: str, language: str) -> str:
    """The portal's title or intro in `language`, else its default language, else any."""
    values: dict[str, str] = getattr(portal, field) or {}
    return str(
        values.get(language)
        or values.get(portal.default_language)
        or next((v for v in values.values() if v), "")
    )


def visitor_by_session(*, portal: IdeaPortal, token: str) -> PortalVisitor | None:
    """The verified, unblocked visitor a portal session cookie names, or None."""
    if not token or len(token) > 200:
        return None
    return (
        PortalVisitor.objects.filter(
            organization_id=portal.organization_id,
            session_token_hash=hash_token(token),
            verified_at__isnull=False,
            blocked_at__isnull=True,
        )
        .select_related("contact")
        .first()
    )


def visitor_is_member(visitor: PortalVisitor | None) -> bool:
    """Whether the visitor may use a members-only portal: their email is a live contact's."""
    if visitor is None:
        return False
    from closeloop.contacts.models import Contact

    return Contact.objects.filter(
        organization_id=visitor.organization_id,
        email__iexact=visitor.email,
        erased_at__isnull=True,
    ).exists()


def may_read(portal: IdeaPortal, visitor: PortalVisitor | None) -> bool:
    return portal.visibility == PortalVisibility.PUBLIC or visitor_is_member(visitor)


def public_ideas(
    *, portal: IdeaPortal, status: str = "", q: str = "", sort: str = "votes"
) -> QuerySet[Idea]:
    """The ideas anyone on the portal sees (not pending, rejected or merged)."""
    ideas = Idea.objects.filter(
        organization_id=portal.organization_id, status__in=PUBLIC_IDEA_STATUSES
    )
    if status in PUBLIC_IDEA_STATUSES:
        ideas = ideas.filter(status=status)
    if q:
        ideas = ideas.filter(Q(title__icontains=q) | Q(body__icontains=q))
    order = ["-created_at"] if sort == "newest" else ["-vote_count", "-created_at"]
    return ideas.order_by(*order)


def own_pending_ideas(*, portal: IdeaPortal, visitor: PortalVisitor | None) -> QuerySet[Idea]:
    """The visitor's ideas still awaiting review (shown to them alone)."""
    if visitor is None:
        return Idea.objects.none()
    return Idea.objects.filter(
        organization_id=portal.organization_id, author=visitor, status=IdeaStatus.PENDING
    ).order_by("-created_at")


def portal_idea(*, portal: IdeaPortal, number: int, visitor: PortalVisitor | None) -> Idea:
    """One idea on the portal by number: public ones, merged ones (the page redirects), and the
    visitor's own pending ones; 404 otherwise."""
    idea = (
        Idea.objects.filter(organization_id=portal.organization_id, number=number)
        .select_related("merged_into", "author")
        .first()
    )
    if idea is None:
        raise Http404
    if idea.status in PUBLIC_IDEA_STATUSES or idea.status == IdeaStatus.MERGED:
        return idea
    if idea.status == IdeaStatus.PENDING and visitor is not None and idea.author_id == visitor.pk:
        return idea
    raise Http404


def public_comments(*, idea: Idea, visitor: PortalVisitor | None) -> list[IdeaComment]:
    """Approved comments, plus the visitor's own awaiting approval."""
    rows = idea.comments.filter(removed_at__isnull=True).select_related("visitor", "author_user")
    mine = Q(visitor=visitor) if visitor is not None else Q(pk__in=[])
    return list(rows.filter(Q(approved=True) | mine))


def public_status_changes(*, idea: Idea) -> QuerySet[IdeaStatusChange]:
    return idea.status_changes.exclude(to_status__in=("pending", "rejected")).order_by("created_at")


def voted_idea_ids(*, visitor: PortalVisitor | None, ideas: list[Idea]) -> set[Any]:
    if visitor is None or not ideas:
        return set()
    return set(
        IdeaVote.objects.filter(visitor=visitor, idea__in=ideas).values_list("idea_id", flat=True)
    )


# --- staff ---------------------------------------------------------------------------------


@dataclass
class IdeaFilters:
    status: str = ""
    theme: str = ""
    initiative: str = ""
    q: str = ""
    sort: str = "votes"


def idea_list(*, organization: Organization, filters: IdeaFilters | None = None) -> QuerySet[Idea]:
    """The organization's ideas with the staff filters: status (or "moderation"), theme id,
    initiative id (or "none"), a search and the sort."""
    f = filters or IdeaFilters()
    ideas = Idea.objects.filter(organization=organization).select_related("author", "initiative")
    if f.status == "moderation":
        ideas = ideas.filter(status=IdeaStatus.PENDING)
    elif f.status in IdeaStatus.values:
        ideas = ideas.filter(status=f.status)
    elif not f.status:
        ideas = ideas.exclude(status__in=(IdeaStatus.REJECTED, IdeaStatus.MERGED))
    if f.theme:
        ideas = ideas.filter(themes__pk=_uuid_or_404(f.theme))
    if f.initiative == "none":
        ideas = ideas.filter(initiative__isnull=True)
    elif f.initiative:
        ideas = ideas.filter(initiative__pk=_uuid_or_404(f.initiative))
    if f.q:
        query = Q(title__icontains=f.q) | Q(body__icontains=f.q)
        if f.q.lstrip("#").isdigit():
            query |= Q(number=int(f.q.lstrip("#")))
        ideas = ideas.filter(query)
    order = ["-created_at"] if f.sort == "newest" else ["-vote_count", "-created_at"]
    return ideas.distinct().order_by(*order)


def _uuid_or_404(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Http404 from None


def access_idea(*, organization: Organization, pk: Any) -> Idea:
    """One idea of the organization by id, or 404 (also for another organization's)."""
    return access_object(
        Idea.objects.select_related("author", "initiative", "merged_into", "author_user"),
        organization=organization,
        pk=pk,
    )


def access_comment(*, organization: Organization, pk: Any) -> IdeaComment:
    comment = IdeaComment.objects.filter(pk=_uuid_or_404(str(pk)), idea__organization=organization)
    found = comment.select_related("idea").first()
    if found is None:
        raise Http404
    return found


def access_visitor(*, organization: Organization, pk: Any) -> PortalVisitor:
    return access_object(PortalVisitor.objects.all(), organization=organization, pk=pk)


def idea_votes(*, idea: Idea) -> QuerySet[IdeaVote]:
    return idea.votes.select_related("visitor", "visitor__contact").order_by("created_at")


def moderation_queue(*, organization: Organization) -> dict[str, Any]:
    """Pending ideas and comments awaiting approval, oldest first."""
    ideas = Idea.objects.filter(organization=organization, status=IdeaStatus.PENDING).order_by(
        "created_at"
    )
    comments = (
        IdeaComment.objects.filter(
            idea__organization=organization, approved=False, removed_at__isnull=True
        )
        .select_related("idea", "visitor")
        .order_by("created_at")
    )
    return {"ideas": ideas.select_related("author"), "comments": comments}


def moderation_count(*, organization: Organization) -> int:
    return (
        Idea.objects.filter(organization=organization, status=IdeaStatus.PENDING).count()
        + IdeaComment.objects.filter(
            idea__organization=organization, approved=False, removed_at__isnull=True
        ).count()
    )


def idea_voter_recipients(*, idea: Idea) -> list[PortalVisitor]:
    """Who hears about a status change: the voters and the author, once each, unless blocked,
    opted out, or their contact unsubscribed or was erased."""
    visitors: dict[Any, PortalVisitor] = {}
    for vote in idea.votes.select_related("visitor", "visitor__contact"):
        visitors[vote.visitor.pk] = vote.visitor
    if idea.author_id is not None:
        author = PortalVisitor.objects.select_related("contact").get(pk=idea.author_id)
        visitors.setdefault(author.pk, author)
    out = []
    for v in visitors.values():
        if v.blocked_at or v.updates_off_at or not v.verified_at:
            continue
        if v.contact is not None and not v.contact.is_subscribed:
            continue
        out.append(v)
    return sorted(out, key=lambda v: v.email)
