"""Automation conditions on what customers wrote: "a comment is about theme X" and "a comment's
sentiment is negative (or ...)", for rules on responses and on cases with a response.

Rules run from the `response.completed` event, and so does enrichment: both are background
tasks and either may run first. So a condition never guesses: when the response has open
answers that are not enriched yet, it enriches them right there, in the rule's task, through
the engine's own services (`comments_from_response`, `comments_enrich`), the same code and
models the enrichment task uses. The enrichment task that runs later finds them enriched and
changes nothing. A response is enriched at most once per rule run (the result is kept on the
event's context and shared by every rule), and responses without open answers cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from closeloop.text.choices import ThemeStatus
from closeloop.text.models import Comment, Theme

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.automation.context import EventContext

_COMMENTS = "_text_comments"
_THEMES = "_text_themes"
MERGE_DEPTH = 5


def response_comments(ctx: EventContext) -> list[Comment]:
    """The enriched comments of the event's response (enriching them now if needed)."""
    cached: list[Comment] | None = ctx.__dict__.get(_COMMENTS)
    if cached is not None:
        return cached
    comments: list[Comment] = []
    response = ctx.response
    if response is not None and ctx.texts:
        comments = list(Comment.objects.filter(response=response))
        if not comments or any(c.enriched_at is None for c in comments):
            from closeloop.text.enrichment import comments_enrich
            from closeloop.text.services import comments_from_response

            created = comments_from_response(response=response)
            pending = [c.pk for c in created if c.enriched_at is None]
            if pending:
                comments_enrich(comment_ids=pending)
            comments = list(Comment.objects.filter(response=response))
    ctx.__dict__[_COMMENTS] = comments
    return comments


def _theme_ids(ctx: EventContext) -> dict[Any, set[Any]]:
    """Theme ids per comment of the response (one query, kept on the context)."""
    cached: dict[Any, set[Any]] | None = ctx.__dict__.get(_THEMES)
    if cached is not None:
        return cached
    from closeloop.text.models import CommentTheme

    comments = response_comments(ctx)
    found: dict[Any, set[Any]] = {c.pk: set() for c in comments}
    if comments:
        links = CommentTheme.objects.filter(comment_id__in=list(found)).values_list(
            "comment_id", "theme_id"
        )
        for comment_id, theme_id in links:
            found[comment_id].add(theme_id)
    ctx.__dict__[_THEMES] = found
    return found


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def themes_named(organization: Organization, words: Iterable[str]) -> tuple[set[Any], list[str]]:
    """The ids of the organization's themes that the words name (a key, or a name in any
    language; a merged theme stands for the theme it was merged into), and the words that name
    no theme."""
    wanted = {_fold(w): str(w) for w in words if str(w).strip()}
    themes = list(Theme.objects.filter(organization=organization))
    by_id = {t.pk: t for t in themes}
    found: set[Any] = set()
    named: set[str] = set()
    for theme in themes:
        labels = {_fold(theme.key), *(_fold(n) for n in (theme.names or {}).values() if n)}
        hits = labels & set(wanted)
        if not hits:
            continue
        named |= hits
        target = theme
        for _step in range(MERGE_DEPTH):
            if target.status != ThemeStatus.MERGED or target.merged_into_id not in by_id:
                break
            target = by_id[target.merged_into_id]
        if target.status != ThemeStatus.REJECTED:
            found.add(target.pk)
    return found, [original for folded, original in wanted.items() if folded not in named]


def unknown_themes(organization: Organization, words: Iterable[str]) -> list[str]:
    """The words that name none of the organization's themes (for saving a rule)."""
    return themes_named(organization, words)[1]


def theme_holds(ctx: EventContext, condition: dict[str, Any]) -> bool:
    """A comment of the response is about one of the themes."""
    wanted, _unknown = themes_named(ctx.organization, condition.get("value") or [])
    if not wanted:
        return False
    return any(ids & wanted for ids in _theme_ids(ctx).values())


def sentiment_holds(ctx: EventContext, condition: dict[str, Any]) -> bool:
    """A comment of the response has one of the sentiments."""
    wanted = {str(v) for v in condition.get("value") or []}
    return any(c.sentiment in wanted for c in response_comments(ctx) if c.sentiment)


HOLDS = {"theme": theme_holds, "sentiment": sentiment_holds}


def condition_holds(name: str, ctx: EventContext, condition: dict[str, Any]) -> bool:
    """Evaluate the text condition `name` (theme or sentiment)."""
    return HOLDS[name](ctx, condition)
