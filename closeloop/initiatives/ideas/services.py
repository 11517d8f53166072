"""Writes of the idea portal: proposals, votes, comments, moderation, statuses with a public
reply, merging duplicates. The portal's settings (`portal`) and its visitors with their email
confirmation (`visitors`) are services too, importable from here as well."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import ApiKey, Organization, User
from closeloop.core.errors import ConflictError, NotFoundError
from closeloop.core.services import activity_record
from closeloop.initiatives.choices import PUBLIC_IDEA_STATUSES, IdeaStatus
from closeloop.initiatives.ideas import limits, notifications
from closeloop.initiatives.ideas.portal import (
    PORTAL_FIELDS,
    PortalError,
    _check_may_write,
    _language,
    portal_update,
)
from closeloop.initiatives.ideas.selectors import SETTABLE_STATUSES, portal_get
from closeloop.initiatives.ideas.visitors import (
    CONFIRM_LINK_HOURS,
    Confirmed,
    confirmation_visitor,
    visitor_block,
    visitor_confirm,
    visitor_from_widget_identity,
    visitor_get_or_create,
    visitor_request_confirmation,
    visitor_session_end,
    visitor_session_start,
    visitor_updates_off,
)
from closeloop.initiatives.models import (
    Idea,
    IdeaComment,
    IdeaPortal,
    IdeaStatusChange,
    IdeaVote,
    PortalVisitor,
)

MAX_TITLE = 200
MAX_BODY = 5000
MAX_COMMENT = 3000

__all__ = [
    "CONFIRM_LINK_HOURS",
    "MAX_BODY",
    "MAX_COMMENT",
    "MAX_TITLE",
    "PORTAL_FIELDS",
    "Confirmed",
    "PortalError",
    "comment_add",
    "comment_moderate",
    "confirmation_visitor",
    "idea_create",
    "idea_merge",
    "idea_propose",
    "idea_transition",
    "idea_unvote",
    "idea_update",
    "idea_vote",
    "idea_vote_toggle",
    "portal_update",
    "visitor_block",
    "visitor_confirm",
    "visitor_from_widget_identity",
    "visitor_get_or_create",
    "visitor_request_confirmation",
    "visitor_session_end",
    "visitor_session_start",
    "visitor_updates_off",
]


# --- ideas -------------------------------------------------------------------------------------


def _next_number(organization: Organization) -> int:
    # Lock the portal row so two proposals never take the same number.
    portal_get(organization=organization)
    IdeaPortal.objects.select_for_update().get(organization=organization)
    top = Idea.objects.filter(organization=organization).aggregate(m=Max("number"))["m"]
    return int(top or 0) + 1


def _clean_text(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise PortalError(_("Give your idea a short title."), field="title")
    if len(title) > MAX_TITLE:
        raise PortalError(
            _("Keep the title under %(n)d characters.") % {"n": MAX_TITLE}, field="title"
        )
    if len(body) > MAX_BODY:
        raise PortalError(
            _("Keep the description under %(n)d characters.") % {"n": MAX_BODY}, field="body"
        )
    return title, body


@transaction.atomic
def idea_propose(
    *, portal: IdeaPortal, visitor: PortalVisitor, title: str, body: str = "", language: str = ""
) -> Idea:
    """A verified visitor's proposal: awaiting review when the portal moderates ideas."""
    title, body = _clean_text(title, body)
    _check_may_write(portal, visitor)
    limits.check_daily(portal=portal, visitor=visitor, kind="idea")
    organization = portal.organization
    status = IdeaStatus.PENDING if portal.moderate_ideas else IdeaStatus.OPEN
    idea = Idea.objects.create(
        organization=organization, number=_next_number(organization), title=title, body=body,
        language=_language(language or visitor.language, portal), status=status, author=visitor,
    )  # fmt: skip
    IdeaStatusChange.objects.create(idea=idea, from_status="", to_status=status)
    activity_record(
        organization=organization, verb="idea.created", target=idea,
        data={"number": idea.number, "by": visitor.email, "status": status},
    )  # fmt: skip
    return idea


@transaction.atomic
def idea_create(
    *,
    organization: Organization,
    title: str,
    body: str = "",
    language: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
    themes: Any = (),
    initiative: Any = None,
) -> Idea:
    """An idea added by staff (page or API): open straight away."""
    title, body = _clean_text(title, body)
    portal = portal_get(organization=organization)
    idea = Idea.objects.create(
        organization=organization, number=_next_number(organization), title=title, body=body,
        language=_language(language, portal), status=IdeaStatus.OPEN, author_user=actor,
        initiative=initiative,
    )  # fmt: skip
    if themes:
        idea.themes.set(themes)
    IdeaStatusChange.objects.create(
        idea=idea, from_status="", to_status=IdeaStatus.OPEN, actor=actor
    )
    activity_record(
        organization=organization, verb="idea.created", actor=actor, api_key=api_key,
        target=idea, data={"number": idea.number},
    )  # fmt: skip
    return idea


_UNSET: Any = object()


@transaction.atomic
def idea_update(
    *,
    idea: Idea,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    title: str | None = None,
    body: str | None = None,
    themes: Any = _UNSET,
    initiative: Any = _UNSET,
) -> Idea:
    """Change an idea's wording, its themes and its initiative (only what is given)."""
    changed: list[str] = []
    if title is not None or body is not None:
        new_title, new_body = _clean_text(
            title if title is not None else idea.title, body if body is not None else idea.body
        )
        if new_title != idea.title:
            idea.title = new_title
            changed.append("title")
        if new_body != idea.body:
            idea.body = new_body
            changed.append("body")
    if initiative is not _UNSET and initiative != idea.initiative:
        if initiative is not None and initiative.organization_id != idea.organization_id:
            raise NotFoundError(_("No such initiative."), field="initiative")
        idea.initiative = initiative
        changed.append("initiative")
    if changed:
        idea.save(update_fields=[*changed, "updated_at"])
    if themes is not _UNSET:
        themes = list(themes)
        if any(t.organization_id != idea.organization_id for t in themes):
            raise NotFoundError(_("No such theme."), field="themes")
        if {t.pk for t in themes} != set(idea.themes.values_list("pk", flat=True)):
            idea.themes.set(themes)
            changed.append("themes")
    if changed:
        activity_record(
            organization=idea.organization, verb="idea.updated", actor=actor, api_key=api_key,
            target=idea, data={"fields": changed},
        )  # fmt: skip
    return idea


def _recount(*ideas: Idea) -> None:
    for idea in ideas:
        votes = IdeaVote.objects.filter(idea_id=idea.pk).count()
        comments = IdeaComment.objects.filter(
            idea_id=idea.pk, approved=True, removed_at__isnull=True
        ).count()
        Idea.objects.filter(pk=idea.pk).update(vote_count=votes, comment_count=comments)
        idea.vote_count, idea.comment_count = votes, comments


def _check_open(idea: Idea) -> None:
    if idea.status not in PUBLIC_IDEA_STATUSES:
        raise PortalError(_("This idea is not open for votes or comments."), field="idea")


@transaction.atomic
def idea_vote(
    *,
    idea: Idea,
    visitor: PortalVisitor,
    portal: IdeaPortal | None = None,
    check_limits: bool = True,
) -> tuple[IdeaVote, bool]:
    """The visitor's vote on the idea (one per person: an existing vote is returned)."""
    portal = portal or portal_get(organization=idea.organization)
    _check_open(idea)
    if visitor.verified_at is None:
        raise PortalError(_("Confirm your email address first."), field="email")
    _check_may_write(portal, visitor)
    existing = IdeaVote.objects.filter(idea=idea, visitor=visitor).first()
    if existing is not None:
        return existing, False
    if check_limits:
        limits.check_daily(portal=portal, visitor=visitor, kind="vote")
    try:
        with transaction.atomic():
            vote = IdeaVote.objects.create(idea=idea, visitor=visitor)
    except IntegrityError:
        return IdeaVote.objects.get(idea=idea, visitor=visitor), False
    _recount(idea)
    return vote, True


@transaction.atomic
def idea_unvote(*, idea: Idea, visitor: PortalVisitor) -> bool:
    """Take the visitor's vote back; False when there was none."""
    deleted, _rows = IdeaVote.objects.filter(idea=idea, visitor=visitor).delete()
    if deleted:
        _recount(idea)
    return bool(deleted)


def idea_vote_toggle(*, portal: IdeaPortal, idea: Idea, visitor: PortalVisitor) -> bool:
    """Vote, or take the vote back when there is one; True when the visitor now votes."""
    if IdeaVote.objects.filter(idea=idea, visitor=visitor).exists():
        idea_unvote(idea=idea, visitor=visitor)
        return False
    idea_vote(portal=portal, idea=idea, visitor=visitor)
    return True


@transaction.atomic
def comment_add(
    *,
    idea: Idea,
    body: str,
    portal: IdeaPortal | None = None,
    visitor: PortalVisitor | None = None,
    author_user: User | None = None,
) -> IdeaComment:
    """A comment by a verified visitor (awaiting approval when the portal moderates comments),
    or an official one by staff."""
    portal = portal or portal_get(organization=idea.organization)
    body = (body or "").strip()
    if not body:
        raise PortalError(_("Write a comment first."), field="body")
    if len(body) > MAX_COMMENT:
        raise PortalError(
            _("Keep the comment under %(n)d characters.") % {"n": MAX_COMMENT}, field="body"
        )
    approved = True
    if author_user is None:
        if visitor is None or visitor.verified_at is None:
            raise PortalError(_("Confirm your email address first."), field="email")
        _check_open(idea)
        _check_may_write(portal, visitor)
        limits.check_daily(portal=portal, visitor=visitor, kind="comment")
        approved = not portal.moderate_comments
    comment = IdeaComment.objects.create(
        idea=idea, visitor=visitor if author_user is None else None, author_user=author_user,
        body=body, approved=approved,
    )  # fmt: skip
    _recount(idea)
    if author_user is not None:
        activity_record(
            organization=idea.organization, verb="idea.commented", actor=author_user, target=idea,
        )  # fmt: skip
    return comment


@transaction.atomic
def comment_moderate(*, comment: IdeaComment, approve: bool, actor: User | None) -> IdeaComment:
    """Approve a comment awaiting review, or remove it."""
    if approve:
        comment.approved = True
        comment.removed_at = None
    else:
        comment.removed_at = timezone.now()
    comment.save(update_fields=["approved", "removed_at", "updated_at"])
    _recount(comment.idea)
    activity_record(
        organization=comment.idea.organization, verb="idea.comment_moderated", actor=actor,
        target=comment.idea, data={"approved": approve},
    )  # fmt: skip
    return comment


# --- statuses ----------------------------------------------------------------------------------


@transaction.atomic
def idea_transition(
    *,
    idea: Idea,
    to_status: str,
    reply: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> IdeaStatusChange:
    """The one way an idea changes status: lock it, record the change with its public reply,
    and email every voter and the author (once each, in their language) through the outbox.
    Approving moves a pending idea to open; rejecting removes it without telling anyone."""
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    from_status = locked.status
    allowed = set(SETTABLE_STATUSES)
    if from_status == IdeaStatus.PENDING:
        allowed = {IdeaStatus.OPEN, IdeaStatus.REJECTED, *SETTABLE_STATUSES}
    elif from_status == IdeaStatus.REJECTED:
        allowed = {IdeaStatus.PENDING, IdeaStatus.OPEN}
    elif from_status == IdeaStatus.MERGED:
        allowed = set()
    if to_status not in allowed:
        raise PortalError(
            _("An idea that is %(from)s cannot become %(to)s.")
            % {"from": IdeaStatus(from_status).label, "to": _status_label(to_status)},
            field="status",
            code="invalid-transition",
        )
    reply = (reply or "").strip()
    if to_status == from_status and reply == locked.public_reply:
        raise PortalError(_("The idea already has this status."), field="status")
    now = timezone.now()
    locked.status = to_status
    locked.status_changed_at = now
    if to_status not in (IdeaStatus.REJECTED, IdeaStatus.PENDING):
        locked.public_reply = reply
    locked.save(update_fields=["status", "status_changed_at", "public_reply", "updated_at"])
    change = IdeaStatusChange.objects.create(
        idea=locked, from_status=from_status, to_status=to_status, reply=reply, actor=actor
    )
    activity_record(
        organization=locked.organization, verb="idea.status_changed", actor=actor,
        api_key=api_key, target=locked,
        data={"from": from_status, "to": to_status, "number": locked.number},
    )  # fmt: skip
    if to_status in PUBLIC_IDEA_STATUSES:
        change.notified = notifications.notify_status_change(change=change)
        change.save(update_fields=["notified", "updated_at"])
    idea.status, idea.public_reply, idea.status_changed_at = (
        locked.status,
        locked.public_reply,
        locked.status_changed_at,
    )
    return change


def _status_label(value: str) -> str:
    try:
        return str(IdeaStatus(value).label)
    except ValueError:
        return value


@transaction.atomic
def idea_merge(
    *, idea: Idea, into: Idea, actor: User | None = None, api_key: ApiKey | None = None
) -> Idea:
    """Merge a duplicate into the surviving idea: votes move (a person who voted on both counts
    once), comments and themes move, the duplicate shows "merged into" and its voters are told."""
    if idea.organization_id != into.organization_id:
        raise NotFoundError(_("No such idea."), field="into")
    if idea.pk == into.pk:
        raise PortalError(_("Pick another idea to merge into."), field="into")
    first, second = sorted([idea, into], key=lambda i: str(i.pk))
    locked = {
        i.pk: i for i in Idea.objects.select_for_update().filter(pk__in=[first.pk, second.pk])
    }
    dup, keep = locked[idea.pk], locked[into.pk]
    if dup.status == IdeaStatus.MERGED:
        raise ConflictError(_("This idea was already merged."), field="idea")
    if keep.status in (IdeaStatus.MERGED, IdeaStatus.REJECTED):
        raise PortalError(_("Merge into an idea that is still on the portal."), field="into")
    # Tell the duplicate's voters before their votes move.
    from_status = dup.status
    change = IdeaStatusChange.objects.create(
        idea=dup, from_status=from_status, to_status=IdeaStatus.MERGED,
        reply=f"#{keep.number} {keep.title}", actor=actor,
    )  # fmt: skip
    dup.status = IdeaStatus.MERGED
    dup.merged_into = keep
    dup.status_changed_at = timezone.now()
    dup.save(update_fields=["status", "merged_into", "status_changed_at", "updated_at"])
    if from_status in PUBLIC_IDEA_STATUSES:
        change.notified = notifications.notify_merge(change=change, into=keep)
        change.save(update_fields=["notified", "updated_at"])
    already = IdeaVote.objects.filter(idea=keep).values("visitor_id")
    IdeaVote.objects.filter(idea=dup, visitor_id__in=Subquery(already)).delete()
    moved_votes = IdeaVote.objects.filter(idea=dup).update(idea=keep)
    IdeaComment.objects.filter(idea=dup).update(idea=keep)
    keep.themes.add(*dup.themes.all())
    if keep.initiative_id is None and dup.initiative_id is not None:
        keep.initiative_id = dup.initiative_id
        keep.save(update_fields=["initiative", "updated_at"])
    _recount(dup, keep)
    activity_record(
        organization=keep.organization, verb="idea.merged", actor=actor, api_key=api_key,
        target=keep, data={"merged": dup.number, "into": keep.number, "votes_moved": moved_votes},
    )  # fmt: skip
    idea.status, idea.merged_into = dup.status, keep
    return keep
