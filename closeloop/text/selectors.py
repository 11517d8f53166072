"""Reads of the text app, scoped to an organization: comments with filters and search, themes,
their counts, corrections, models, and re-enrichment progress."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet

from closeloop.text.choices import ThemeStatus
from closeloop.text.language import detect
from closeloop.text.models import (
    Comment,
    CommentTheme,
    Correction,
    SentimentModel,
    TextModelVersion,
    Theme,
)
from closeloop.text.tokens import joined, tokenize

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


def comments_for(organization: Organization) -> QuerySet[Comment]:
    """Every comment of the organization, newest first, with its themes prefetched."""
    return (
        Comment.objects.filter(organization=organization)
        .prefetch_related(
            Prefetch("theme_links", queryset=CommentTheme.objects.select_related("theme"))
        )
        .order_by("-answered_at", "-id")
    )


def search_terms(query: str, language: str = "") -> list[str]:
    """The tokens a search for `query` looks for (tokenized like comments, in the query's own
    language when its script tells, else `language`)."""
    found = detect(query, language)
    return tokenize(query, found.language or language or "en")


def comments_search(
    comments: QuerySet[Comment], query: str, language: str = ""
) -> QuerySet[Comment]:
    """Comments containing the words (as a phrase, in order) of `query`, in any language; the
    raw text is searched too, so a word the tokenizer splits differently is still found."""
    query = query.strip()
    if not query:
        return comments
    phrase = joined(search_terms(query, language))
    condition = Q(text__icontains=query)
    if phrase:
        condition |= Q(tokens__contains=phrase)
    return comments.filter(condition)


def comments_filter(
    organization: Organization,
    *,
    survey_id: uuid.UUID | str | None = None,
    source: str | None = None,
    language: str | None = None,
    theme: Theme | uuid.UUID | str | None = None,
    sentiment: str | None = None,
    touchpoint_id: uuid.UUID | str | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    q: str | None = None,
) -> QuerySet[Comment]:
    """The organization's comments narrowed by any of the filters (None: not filtered)."""
    rows = comments_for(organization)
    if survey_id:
        rows = rows.filter(survey_id=survey_id)
    if source:
        rows = rows.filter(source=source)
    if language:
        rows = rows.filter(language=language)
    if theme is not None:
        theme_id = theme.pk if isinstance(theme, Theme) else theme
        rows = rows.filter(theme_links__theme_id=theme_id)
    if sentiment:
        rows = rows.filter(sentiment=sentiment)
    if touchpoint_id:
        rows = rows.filter(touchpoint_id=touchpoint_id)
    if score_min is not None:
        rows = rows.filter(score__gte=score_min)
    if score_max is not None:
        rows = rows.filter(score__lte=score_max)
    if since is not None:
        rows = rows.filter(answered_at__gte=since)
    if until is not None:
        rows = rows.filter(answered_at__lt=until)
    if q:
        rows = comments_search(rows, q, language or "")
    return rows.distinct() if theme is not None else rows


def comment_themes(comment: Comment) -> list[CommentTheme]:
    """A comment's theme links (with their themes), most confident first."""
    return list(
        CommentTheme.objects.filter(comment=comment)
        .select_related("theme")
        .order_by("-confidence", "theme__key")
    )


def themes_for(
    organization: Organization, status: str | None = ThemeStatus.ACTIVE
) -> QuerySet[Theme]:
    """The organization's themes with a status (all when None), by key."""
    rows = Theme.objects.filter(organization=organization)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.order_by("key")


def theme_proposals(organization: Organization) -> QuerySet[Theme]:
    """Proposed themes waiting for a person, largest cluster first."""
    return Theme.objects.filter(organization=organization, status=ThemeStatus.PROPOSED).order_by(
        "-created_at"
    )


@dataclass(frozen=True)
class ThemeCount:
    """How many comments a theme has, and how many of each sentiment."""

    theme: Theme
    comments: int
    positive: int
    negative: int
    neutral: int
    mixed: int


def theme_counts(
    organization: Organization,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[ThemeCount]:
    """Per active theme: comments and their sentiments (optionally in a period), most first."""
    links = CommentTheme.objects.filter(
        comment__organization=organization, theme__status=ThemeStatus.ACTIVE
    )
    if since is not None:
        links = links.filter(comment__answered_at__gte=since)
    if until is not None:
        links = links.filter(comment__answered_at__lt=until)
    rows = links.values("theme_id").annotate(
        n=Count("id"),
        positive=Count("id", filter=Q(comment__sentiment="positive")),
        negative=Count("id", filter=Q(comment__sentiment="negative")),
        neutral=Count("id", filter=Q(comment__sentiment="neutral")),
        mixed=Count("id", filter=Q(comment__sentiment="mixed")),
    )
    by_id: dict[Any, dict[str, Any]] = {row["theme_id"]: dict(row) for row in rows}
    out = []
    for theme in themes_for(organization):
        row = by_id.get(theme.pk, {})
        out.append(
            ThemeCount(
                theme=theme,
                comments=row.get("n", 0),
                positive=row.get("positive", 0),
                negative=row.get("negative", 0),
                neutral=row.get("neutral", 0),
                mixed=row.get("mixed", 0),
            )
        )
    return sorted(out, key=lambda c: (-c.comments, c.theme.key))


def corrections_for(comment: Comment) -> QuerySet[Correction]:
    """A comment's corrections, oldest first."""
    return Correction.objects.filter(comment=comment).select_related("theme").order_by("created_at")


def sentiment_models_for(organization: Organization) -> QuerySet[SentimentModel]:
    """The organization's trained sentiment models (without their bytes), newest first."""
    return (
        SentimentModel.objects.filter(organization=organization)
        .defer("blob")
        .order_by("language", "-trained_at")
    )


@dataclass(frozen=True)
class EnrichmentProgress:
    """Where re-enrichment stands: the version, comments done of the total, finished or not."""

    version: int
    reason: str
    done: int
    total: int
    finished: bool
    stale: int


def enrichment_progress(organization: Organization) -> EnrichmentProgress:
    """The organization's text-model version and its re-enrichment progress."""
    version = TextModelVersion.objects.filter(organization=organization).first()
    number = version.number if version else 1
    stale = Comment.objects.filter(organization=organization, model_version__lt=number).count()
    return EnrichmentProgress(
        version=number,
        reason=version.reason if version else "",
        done=version.reenrich_done if version else 0,
        total=version.reenrich_total if version else 0,
        finished=stale == 0,
        stale=stale,
    )
