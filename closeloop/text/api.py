"""REST endpoints for comments (import one, list with filters and search, read, correct),
themes and their impact on NPS. Imported comments go through the same enrichment as survey
answers (in the background); corrections are kept and teach later enrichment.

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.access import access_object
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError
from closeloop.text import explorer, impact
from closeloop.text.choices import CommentSource, Sentiment, ThemeStatus
from closeloop.text.comment_writes import comment_correct, comment_import
from closeloop.text.models import Comment, Theme
from closeloop.text.schemas import (
    CommentIn,
    CommentOut,
    CommentPatch,
    ImpactQuery,
    ThemeImpactOut,
    ThemeOut,
)

router = Router(tags=["text"])


def _comments() -> QuerySet[Comment]:
    return Comment.objects.select_related("organization").prefetch_related("theme_links__theme")


def _comment(request: HttpRequest, comment_id: uuid.UUID) -> Comment:
    return access_object(_comments(), organization=api_org(request), pk=comment_id)


def _theme(request: HttpRequest, theme_id: uuid.UUID) -> Theme:
    return access_object(
        Theme.objects.select_related("organization"), organization=api_org(request), pk=theme_id
    )


def _uuid_param(value: str, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise DomainError(
            _("%(field)s must be an id.") % {"field": field}, field=field, code="invalid"
        ) from None


@router.post(
    "/comments", response=with_errors({201: CommentOut}, 400, 403, 422), auth=write_required
)
def comments_create(request: HttpRequest, payload: CommentIn) -> Status[Comment]:
    """Import one comment from another source (a review, a support ticket, a chat): it is
    enriched like survey answers (language, sentiment, themes) in the background. The same
    `source` and `source_ref` twice return the first comment."""
    org = api_org(request)
    comment = comment_import(
        organization=org,
        text=payload.text,
        score=payload.score,
        language=payload.language,
        source=payload.source,
        source_ref=payload.source_ref,
        answered_at=payload.time,
        contact_id=payload.contact,
        email=payload.email,
        api_key=api_key(request),
    )
    return Status(201, _comment(request, comment.pk))


@router.get("/comments", response=with_errors({200: list[CommentOut]}, 400, 422))
@paginate(CursorPagination)
def comments_list(
    request: HttpRequest,
    survey: str = "",
    source: str = "",
    language: str = "",
    theme: str = "",
    sentiment: str = "",
    q: str = "",
) -> QuerySet[Comment]:
    """Open answers and imported comments, oldest first. Filters: survey (id), source, language
    (ISO 639-1), theme (id), sentiment, and q (words or "a phrase", in any language: matched on
    the same tokens as the explorer)."""
    org = api_org(request)
    if source and source not in CommentSource.values:
        raise DomainError(
            _("source must be one of: %(values)s.") % {"values": ", ".join(CommentSource.values)},
            field="source",
        )
    if sentiment and sentiment not in Sentiment.values:
        raise DomainError(
            _("sentiment must be one of: %(values)s.") % {"values": ", ".join(Sentiment.values)},
            field="sentiment",
        )
    theme_id = _uuid_param(theme, "theme")
    theme_obj = None
    if theme_id is not None:
        theme_obj = Theme.objects.filter(organization=org, pk=theme_id).first()
        if theme_obj is None:
            raise DomainError(_("No theme of your organization has this id."), field="theme")
    filters = explorer.CommentFilters(
        q=q[: explorer.MAX_QUERY],
        theme=theme_obj,
        sentiment=sentiment,
        language=language.strip().lower(),
        source=source,
        survey_id=_uuid_param(survey, "survey"),
    ).with_terms()
    return (
        explorer.comment_search(organization=org, filters=filters)
        .select_related("organization")
        .prefetch_related("theme_links__theme")
    )


@router.get("/comments/{comment_id}", response=with_errors({200: CommentOut}, 404))
def comments_read(request: HttpRequest, comment_id: uuid.UUID) -> Comment:
    """One comment with its enrichment."""
    return _comment(request, comment_id)


@router.patch(
    "/comments/{comment_id}",
    response=with_errors({200: CommentOut}, 400, 403, 404, 422),
    auth=write_required,
)
def comments_correct(request: HttpRequest, comment_id: uuid.UUID, payload: CommentPatch) -> Comment:
    """Correct the sentiment and/or the themes (the full list of theme ids; [] for none); a
    field left out stays. Corrections are kept and teach later enrichment."""
    comment = _comment(request, comment_id)
    given = payload.model_fields_set
    if not given & {"sentiment", "themes"}:
        raise DomainError(_("Give a sentiment or the themes."), field="sentiment")
    if "sentiment" in given and payload.sentiment is None:
        raise DomainError(_("Choose a sentiment."), field="sentiment")
    if "themes" in given and payload.themes is None:
        raise DomainError(_("Give the list of theme ids ([] for none)."), field="themes")
    comment_correct(
        comment=comment,
        sentiment=payload.sentiment if "sentiment" in given else None,
        theme_ids=payload.themes if "themes" in given else None,
        api_key=api_key(request),
    )
    return _comment(request, comment_id)


@router.get("/themes", response=with_errors({200: list[ThemeOut]}, 400, 422))
@paginate(CursorPagination)
def themes_list(request: HttpRequest, status: str = "active") -> QuerySet[Theme]:
    """The organization's themes: active by default; status=proposed for proposals, or all."""
    qs = Theme.objects.filter(organization=api_org(request)).select_related("organization")
    if status != "all":
        if status not in ThemeStatus.values:
            raise DomainError(
                _("status must be all or one of: %(values)s.")
                % {"values": ", ".join(ThemeStatus.values)},
                field="status",
            )
        qs = qs.filter(status=status)
    return qs


@router.get("/themes/{theme_id}", response=with_errors({200: ThemeOut}, 404))
def themes_read(request: HttpRequest, theme_id: uuid.UUID) -> Theme:
    """One theme with its names, keywords and examples per language."""
    return _theme(request, theme_id)


def _estimate(estimate: Any, hidden: bool) -> dict[str, Any] | None:
    if estimate is None:
        return None
    counts = estimate.counts or {}
    return {
        "value": None if hidden else estimate.value,
        "n": estimate.n,
        "margin_of_error": None if hidden else estimate.margin_of_error,
        "promoters": 0 if hidden else counts.get("promoters", 0),
        "passives": 0 if hidden else counts.get("passives", 0),
        "detractors": 0 if hidden else counts.get("detractors", 0),
    }


@router.get("/themes/{theme_id}/impact", response=with_errors({200: ThemeImpactOut}, 404, 422))
def themes_impact(
    request: HttpRequest, theme_id: uuid.UUID, filters: Query[ImpactQuery]
) -> dict[str, Any]:
    """The theme's mentions, sentiment and effect on NPS in the last `days` days: the NPS of
    the responses that mention it against the others' (each with n and 95% margin), the
    difference with its margin, and the promoters it costs. Groups under the organization's
    minimum group size are hidden."""
    org = api_org(request)
    theme = _theme(request, theme_id)
    period = impact.Period.last_days(filters.days, survey_id=filters.survey)
    item = impact.theme_impact(organization=org, theme=theme, period=period)
    comparison = item.comparison
    hidden = item.hidden
    language = org.default_language
    if hidden:
        sentence = _("Hidden: a group has too few scored responses.")
    elif comparison is not None:
        sentence = comparison.sentence
    else:
        sentence = _("No scored responses mention it yet.")
    return {
        "theme": theme,
        "mentions": item.mentions,
        "sentiment": {str(k): v for k, v in item.sentiment.items()},
        "nps_with_theme": _estimate(item.with_theme, hidden),
        "nps_without_theme": _estimate(item.without_theme, hidden),
        "difference": None if hidden or comparison is None else comparison.difference,
        "difference_margin": None if hidden or comparison is None else comparison.margin_of_error,
        "exceeds_noise": bool(comparison and comparison.exceeds_noise and not hidden),
        "promoters_lost": None if hidden else item.promoters_lost,
        "nps_effect": None if hidden else item.nps_effect,
        "hidden": hidden,
        "sentence": f"{theme.name_in(language)}: {sentence}",
    }
