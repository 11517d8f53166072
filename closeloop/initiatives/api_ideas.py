"""REST endpoints of the idea portal: ideas (list, create, read, change), statuses with a
public reply, merging, and votes (list, add on behalf of an identified person, remove).

A vote added through the API counts as verified: the API key's holder vouches for the person
(as the widget's signed identity does). Per-person daily limits answer 429 with Retry-After.

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.errors import problem
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError, NotFoundError
from closeloop.initiatives.ideas import limits, selectors, services
from closeloop.initiatives.models import Idea, IdeaStatusChange, IdeaVote

router = Router(tags=["ideas"])


class IdeaOut(Schema):
    id: uuid.UUID
    number: int
    title: str
    body: str
    language: str
    status: str
    public_reply: str
    status_changed_at: dt.datetime | None
    vote_count: int
    comment_count: int
    merged_into: uuid.UUID | None = Field(None, description="The surviving idea, when merged.")
    initiative: uuid.UUID | None = None
    themes: list[uuid.UUID] = []
    author_email: str | None = None
    author_name: str | None = None
    portal_url: str | None = Field(None, description="The idea's page on the public portal.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_merged_into(obj: Idea) -> Any:
        return obj.merged_into_id

    @staticmethod
    def resolve_initiative(obj: Idea) -> Any:
        return obj.initiative_id

    @staticmethod
    def resolve_themes(obj: Idea) -> list[Any]:
        return [t.pk for t in obj.themes.all()]

    @staticmethod
    def resolve_author_email(obj: Idea) -> str | None:
        return obj.author.email if obj.author is not None else None

    @staticmethod
    def resolve_author_name(obj: Idea) -> str | None:
        return obj.author.name if obj.author is not None else None

    @staticmethod
    def resolve_portal_url(obj: Idea) -> str | None:
        from closeloop.initiatives.choices import PUBLIC_IDEA_STATUSES
        from closeloop.initiatives.ideas.notifications import absolute

        if obj.status not in PUBLIC_IDEA_STATUSES:
            return None
        return absolute(f"/ideas/{obj.organization.slug}/{obj.number}/")


class IdeaIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=5000)
    language: str = Field("", max_length=16)
    themes: list[uuid.UUID] = []
    initiative: uuid.UUID | None = None


class IdeaPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, max_length=5000)
    themes: list[uuid.UUID] | None = None
    initiative: uuid.UUID | None = None


class StatusIn(Schema):
    status: str = Field(
        description="open, under_review, planned, in_progress, shipped, declined "
        "(or rejected for a pending idea)."
    )
    reply: str = Field("", max_length=5000, description="The public reply, emailed to voters.")


class StatusOut(Schema):
    idea: IdeaOut
    from_status: str
    to_status: str
    reply: str
    notified: int = Field(description="How many voters and authors were emailed.")


class MergeIn(Schema):
    into: uuid.UUID = Field(description="The idea to keep.")


class VoteIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field("", max_length=120)
    language: str = Field("", max_length=16)


class VoteOut(Schema):
    id: uuid.UUID
    email: str
    name: str
    contact: uuid.UUID | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_email(obj: IdeaVote) -> str:
        return obj.visitor.email

    @staticmethod
    def resolve_name(obj: IdeaVote) -> str:
        return obj.visitor.name

    @staticmethod
    def resolve_contact(obj: IdeaVote) -> Any:
        return obj.visitor.contact_id


def _idea(request: HttpRequest, idea_id: uuid.UUID) -> Idea:
    return selectors.access_idea(organization=api_org(request), pk=idea_id)


def _themes(request: HttpRequest, ids: list[uuid.UUID]) -> list[Any]:
    from closeloop.text.models import Theme

    org = api_org(request)
    found = list(Theme.objects.filter(organization=org, pk__in=ids))
    if len(found) != len(set(ids)):
        raise NotFoundError(_("One of these themes does not exist."), field="themes")
    return found


def _initiative(request: HttpRequest, pk: uuid.UUID | None) -> Any:
    if pk is None:
        return None
    from closeloop.initiatives.models import Initiative

    found = Initiative.objects.filter(organization=api_org(request), pk=pk).first()
    if found is None:
        raise NotFoundError(_("This initiative does not exist."), field="initiative")
    return found


def _fresh(idea: Idea) -> Idea:
    return Idea.objects.select_related("author", "organization").get(pk=idea.pk)


def _limited(exc: limits.RateLimited) -> HttpResponse:
    response = problem(
        status=429, title=_("Too many requests."), detail=exc.message, code="rate-limited",
        field=exc.field,
    )  # fmt: skip
    response["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/ideas", response=with_errors({200: list[IdeaOut]}, 400, 404, 422))
@paginate(CursorPagination)
def ideas_list(
    request: HttpRequest,
    status: str = "",
    theme: str = "",
    initiative: str = "",
    q: str = "",
) -> QuerySet[Idea]:
    """Ideas, oldest first. Filters: status (or "moderation"; all but rejected and merged
    by default), theme id, initiative id (or "none"), q (words in the title or description)."""
    filters = selectors.IdeaFilters(status=status, theme=theme, initiative=initiative, q=q)
    return (
        selectors.idea_list(organization=api_org(request), filters=filters)
        .select_related("organization")
        .prefetch_related("themes")
    )


@router.post(
    "/ideas", response=with_errors({201: IdeaOut}, 400, 403, 404, 422), auth=write_required
)
def ideas_create(request: HttpRequest, payload: IdeaIn) -> Status[Idea]:
    """Add an idea (staff-created, open straight away)."""
    idea = services.idea_create(
        organization=api_org(request), title=payload.title, body=payload.body,
        language=payload.language, api_key=api_key(request),
        themes=_themes(request, payload.themes),
        initiative=_initiative(request, payload.initiative),
    )  # fmt: skip
    return Status(201, _fresh(idea))


@router.get("/ideas/{idea_id}", response=with_errors({200: IdeaOut}, 404))
def ideas_read(request: HttpRequest, idea_id: uuid.UUID) -> Idea:
    """One idea."""
    return _fresh(_idea(request, idea_id))


@router.patch(
    "/ideas/{idea_id}",
    response=with_errors({200: IdeaOut}, 400, 403, 404, 422),
    auth=write_required,
)
def ideas_update(request: HttpRequest, idea_id: uuid.UUID, payload: IdeaPatch) -> Idea:
    """Change the title, description, themes or initiative (fields left out stay; initiative
    null unlinks)."""
    idea = _idea(request, idea_id)
    given = payload.model_fields_set
    kwargs: dict[str, Any] = {}
    if "title" in given:
        if payload.title is None:
            raise DomainError(_("Give the idea a title."), field="title")
        kwargs["title"] = payload.title
    if "body" in given:
        kwargs["body"] = payload.body or ""
    if "themes" in given:
        kwargs["themes"] = _themes(request, payload.themes or [])
    if "initiative" in given:
        kwargs["initiative"] = _initiative(request, payload.initiative)
    services.idea_update(idea=idea, api_key=api_key(request), **kwargs)
    return _fresh(idea)


@router.post(
    "/ideas/{idea_id}/status",
    response=with_errors({200: StatusOut}, 400, 403, 404, 422),
    auth=write_required,
)
def ideas_status(request: HttpRequest, idea_id: uuid.UUID, payload: StatusIn) -> dict[str, Any]:
    """Set the status with a public reply; every voter and the author are emailed in their
    language. An invalid status is 400 naming "status"."""
    change: IdeaStatusChange = services.idea_transition(
        idea=_idea(request, idea_id), to_status=payload.status, reply=payload.reply,
        api_key=api_key(request),
    )  # fmt: skip
    return {
        "idea": _fresh(change.idea),
        "from_status": change.from_status,
        "to_status": change.to_status,
        "reply": change.reply,
        "notified": change.notified,
    }


@router.post(
    "/ideas/{idea_id}/merge",
    response=with_errors({200: IdeaOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def ideas_merge(request: HttpRequest, idea_id: uuid.UUID, payload: MergeIn) -> Idea:
    """Merge this idea into `into`; returns the surviving idea with the combined votes (a
    person who voted for both counts once)."""
    idea = _idea(request, idea_id)
    try:
        into = selectors.access_idea(organization=api_org(request), pk=payload.into)
    except Exception:
        raise NotFoundError(_("There is no such idea."), field="into") from None
    keep = services.idea_merge(idea=idea, into=into, api_key=api_key(request))
    return _fresh(keep)


@router.get("/ideas/{idea_id}/votes", response=with_errors({200: list[VoteOut]}, 400, 404, 422))
@paginate(CursorPagination)
def votes_list(request: HttpRequest, idea_id: uuid.UUID) -> QuerySet[IdeaVote]:
    """Who voted, oldest first."""
    return selectors.idea_votes(idea=_idea(request, idea_id))


@router.post(
    "/ideas/{idea_id}/votes",
    response=with_errors({200: VoteOut, 201: VoteOut}, 400, 403, 404, 422, 429),
    auth=write_required,
)
def votes_add(request: HttpRequest, idea_id: uuid.UUID, payload: VoteIn) -> Any:
    """A vote on behalf of a person the API key's holder has identified (e.g. a signed-in
    customer of your app): they count as verified. 201 when new, 200 when they had voted."""
    idea = _idea(request, idea_id)
    org = api_org(request)
    portal = selectors.portal_get(organization=org)
    try:
        visitor = services.visitor_get_or_create(
            organization=org, email=payload.email, name=payload.name,
            language=payload.language if payload.language in selectors.PORTAL_LANGUAGES else "",
        )  # fmt: skip
        if visitor.verified_at is None:
            visitor.verified_at = timezone.now()
            visitor.save(update_fields=["verified_at", "updated_at"])
        vote, created = services.idea_vote(idea=idea, visitor=visitor, portal=portal)
    except limits.RateLimited as exc:
        return _limited(exc)
    return Status(
        201 if created else 200, IdeaVote.objects.select_related("visitor").get(pk=vote.pk)
    )


@router.delete(
    "/ideas/{idea_id}/votes/{vote_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def votes_delete(request: HttpRequest, idea_id: uuid.UUID, vote_id: uuid.UUID) -> Status[None]:
    """Take a vote back."""
    idea = _idea(request, idea_id)
    vote = IdeaVote.objects.filter(idea=idea, pk=vote_id).select_related("visitor").first()
    if vote is None:
        raise NotFoundError(_("This vote does not exist."), field="vote_id")
    services.idea_unvote(idea=idea, visitor=vote.visitor)
    return Status(204, None)
