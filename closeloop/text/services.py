"""Writes of the text app: comments (from responses, the API, imports), corrections, themes and
their transitions, and the organization's text-model version.

Enrichment itself (language, tokens, sentiment, themes) is in enrichment.py, per-organization
sentiment training in learning.py, theme proposals in proposals.py, CSV imports in importing.py.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from closeloop.core import events
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record
from closeloop.core.tasks import enqueue_on_commit
from closeloop.text.choices import (
    CommentSource,
    CorrectionKind,
    LabelSource,
    Sentiment,
    ThemeStatus,
)
from closeloop.text.models import Comment, CommentTheme, Correction, TextModelVersion, Theme

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.responses.models import Response

DEFAULT_THEMES_PATH = Path(__file__).resolve().parent / "data" / "default_themes.yaml"
OPEN_TEXT_TYPES = frozenset({"long_text", "short_text"})
# A short-text answer needs this many words to count as a comment (not a name or a product).
SHORT_TEXT_MIN_WORDS = 3
TEXT_MAX = 10000
ENRICH_BATCH = 200
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
SCORE_TYPES = ("nps", "csat", "ces", "rating")
SENTIMENT_SCORE: dict[str, float] = {
    "positive": 1.0,
    "negative": -1.0,
    "neutral": 0.0,
    "mixed": 0.0,
}


# --- enrichment scheduling ------------------------------------------------------------------------


def comments_enqueue_enrichment(*, comment_ids: Sequence[Any]) -> int:
    """Enqueue enrichment of the comments in batches (after the transaction commits)."""
    from closeloop.text.tasks import text_enrich_comments

    ids = [str(pk) for pk in comment_ids]
    for start in range(0, len(ids), ENRICH_BATCH):
        enqueue_on_commit(text_enrich_comments, ids[start : start + ENRICH_BATCH])
    return len(ids)


# --- comments from survey responses ---------------------------------------------------------------


def _normalized_score(question_type: str, value: float, question: Any) -> float | None:
    """A scale answer on 0-10: NPS as it is, CSAT/rating/CES stretched over their points."""
    if question_type == "nps":
        return float(value)
    if question_type == "ces":
        low, high = 1, 7
    else:
        low, high = 1, int(getattr(question, "points", 5) or 5)
    if high <= low:
        return None
    return round((float(value) - low) / (high - low) * 10, 2)


def _response_score(response: Response, facts: Sequence[Any]) -> tuple[float | None, str]:
    from closeloop.responses.selectors import definition_of

    definition = definition_of(response.version)
    for kind in SCORE_TYPES:
        for fact in facts:
            if fact.question_type == kind and fact.number is not None and not fact.row_key:
                question = definition.question(fact.question_key)
                return _normalized_score(kind, fact.number, question), kind
    return None, ""


def _is_comment(question_type: str, text: str) -> bool:
    text = text.strip()
    if not text or question_type not in OPEN_TEXT_TYPES:
        return False
    if question_type == "short_text":
        # Names, emails and product names are short answers too; a comment says something.
        spaced = len(text.split()) >= SHORT_TEXT_MIN_WORDS
        unspaced = not text.isascii() and len(text) >= 8
        return spaced or unspaced
    return True


def comments_from_response(*, response: Response) -> list[Comment]:
    """Create the comments of a completed response's open answers (again: nothing new)."""
    from closeloop.responses.models import AnswerFact

    facts = list(AnswerFact.objects.filter(response=response).order_by("id"))
    texts = [f for f in facts if _is_comment(f.question_type, f.text)]
    if not texts:
        return []
    score, score_type = _response_score(response, facts)
    rows = [
        Comment(
            organization_id=response.organization_id,
            response=response,
            question_key=fact.question_key,
            contact_id=response.contact_id,
            survey_id=response.survey_id,
            touchpoint_id=response.touchpoint_id,
            text=fact.text[:TEXT_MAX],
            source=CommentSource.SURVEY,
            answered_at=fact.answered_at,
            score=score,
            score_type=score_type,
            language_hint=response.language,
        )
        for fact in texts
    ]
    existing = set(Comment.objects.filter(response=response).values_list("question_key", flat=True))
    new = [row for row in rows if row.question_key not in existing]
    if new:
        Comment.objects.bulk_create(new, ignore_conflicts=True)
    return list(Comment.objects.filter(response=response).order_by("question_key"))


def comments_backfill(*, organization: Organization, batch: int = 500) -> int:
    """Comments for every completed response of the organization that has none yet (history
    stored in bulk, a new installation); returns how many comments were created."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact, Response

    with_text = AnswerFact.objects.filter(
        organization_id=organization.pk, question_type__in=OPEN_TEXT_TYPES
    ).exclude(text="")
    response_ids = (
        Response.objects.filter(
            organization=organization,
            status=ResponseStatus.COMPLETE,
            pk__in=with_text.values("response_id"),
        )
        .exclude(pk__in=Comment.objects.filter(organization=organization).values("response_id"))
        .values_list("pk", flat=True)
    )
    created = 0
    pending = list(response_ids)
    for start in range(0, len(pending), batch):
        chunk = Response.objects.filter(pk__in=pending[start : start + batch]).select_related(
            "version"
        )
        new_ids: list[Any] = []
        with transaction.atomic():
            for response in chunk:
                comments = comments_from_response(response=response)
                new_ids.extend(c.pk for c in comments if c.model_version == 0)
            comments_enqueue_enrichment(comment_ids=new_ids)
        created += len(new_ids)
    return created


# --- comments from other sources ------------------------------------------------------------------


def clean_language(value: str | None, *, field: str = "language") -> str:
    """A language code such as ko, th or pt-br (lower case), or ""."""
    code = (value or "").strip().lower().replace("_", "-")
    if code and not LANGUAGE_RE.match(code):
        raise DomainError(
            _("Give the language as a code such as en, ko or th."), field=field, code="language"
        )
    return code


def clean_score(value: Any, *, field: str = "score") -> float | None:
    """A score from 0 to 10 (NPS scale), or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise DomainError(
            _("The score must be a number from 0 to 10."), field=field, code="score"
        ) from None
    if isinstance(value, bool) or not 0 <= score <= 10 or score != score:
        raise DomainError(_("The score must be a number from 0 to 10."), field=field, code="score")
    return score


def clean_source(value: str | None, *, field: str = "source") -> str:
    source = (value or CommentSource.API).strip().lower()
    allowed = [c for c in CommentSource.values if c != CommentSource.SURVEY]
    if source not in allowed:
        raise DomainError(
            _("The source must be one of: %(choices)s.") % {"choices": ", ".join(allowed)},
            field=field,
            code="source",
        )
    return source


def clean_text(value: Any, *, field: str = "text") -> str:
    text = str(value or "").replace("\x00", "").strip()
    if not text:
        raise DomainError(_("The text is empty."), field=field, code="required")
    if len(text) > TEXT_MAX:
        raise DomainError(
            _("Keep the text within %(max)d characters.") % {"max": TEXT_MAX},
            field=field,
            code="too-long",
        )
    return text


def comment_create(
    *,
    organization: Organization,
    text: str,
    score: float | None = None,
    language: str = "",
    source: str = CommentSource.API,
    source_ref: str = "",
    answered_at: dt.datetime | None = None,
    contact_id: uuid.UUID | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Comment:
    """Store a comment from another source (review, ticket, chat, import, API) and enqueue its
    enrichment; the same source and source_ref twice return the first comment."""
    text = clean_text(text)
    score = clean_score(score)
    language = clean_language(language)
    source = clean_source(source)
    source_ref = (source_ref or "").strip()[:200]
    if answered_at is not None and timezone.is_naive(answered_at):
        raise DomainError(_("Give the time with its time zone."), field="time", code="time")
    if source_ref:
        existing = Comment.objects.filter(
            organization=organization, source=source, source_ref=source_ref
        ).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                organization=organization,
                text=text,
                score=score,
                score_type="nps" if score is not None else "",
                language_hint=language,
                # A language the importer gives is taken as it is.
                language=language,
                source=source,
                source_ref=source_ref,
                answered_at=answered_at or timezone.now(),
                contact_id=contact_id,
            )
            if actor is not None or api_key is not None:
                activity_record(
                    organization=organization,
                    verb="comment.created",
                    actor=actor,
                    api_key=api_key,
                    target=comment,
                    data={"source": source},
                )
            comments_enqueue_enrichment(comment_ids=[comment.pk])
    except IntegrityError:
        existing = Comment.objects.filter(
            organization=organization, source=source, source_ref=source_ref
        ).first()
        if existing is None:
            raise
        return existing
    return comment


# --- corrections ----------------------------------------------------------------------------------


def _actor_label(actor: User | None, api_key: ApiKey | None) -> str:
    if actor is not None:
        return actor.email
    if api_key is not None:
        return f"API key {api_key.name}"
    return "system"


def comment_set_sentiment(
    *,
    comment: Comment,
    sentiment: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Comment:
    """A person sets a comment's sentiment: it stays through later enrichment and teaches the
    organization's sentiment model."""
    if sentiment not in Sentiment.values:
        raise DomainError(
            _("The sentiment must be one of: %(choices)s.")
            % {"choices": ", ".join(Sentiment.values)},
            field="sentiment",
            code="sentiment",
        )
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        before = locked.sentiment
        locked.sentiment = sentiment
        locked.sentiment_score = SENTIMENT_SCORE[sentiment]
        locked.sentiment_source = LabelSource.CORRECTION
        locked.save(
            update_fields=["sentiment", "sentiment_score", "sentiment_source", "updated_at"]
        )
        Correction.objects.create(
            organization_id=locked.organization_id,
            comment=locked,
            kind=CorrectionKind.SENTIMENT,
            before=before,
            after=sentiment,
            actor=actor,
            actor_label=_actor_label(actor, api_key),
        )
        activity_record(
            organization=locked.organization,
            verb="comment.sentiment_corrected",
            actor=actor,
            api_key=api_key,
            target=locked,
            data={"before": before, "after": sentiment},
        )
    return locked


def comment_set_themes(
    *,
    comment: Comment,
    themes: Iterable[Theme],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Comment:
    """A person says which themes a comment is about: added ones stay, removed ones never come
    back by themselves, and both become examples for later assignment."""
    wanted = {t.pk: t for t in themes}
    for theme in wanted.values():
        if theme.organization_id != comment.organization_id:
            raise DomainError(_("Unknown theme."), field="themes", code="theme")
        if theme.status != ThemeStatus.ACTIVE:
            raise DomainError(
                _("Theme %(name)s is not active.") % {"name": theme.name_in("en")},
                field="themes",
                code="theme-inactive",
            )
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        current = {link.theme_id: link for link in locked.theme_links.all()}
        added = [pk for pk in wanted if pk not in current]
        removed = [pk for pk in current if pk not in wanted]
        kept = [pk for pk in wanted if pk in current]
        label = _actor_label(actor, api_key)
        corrections = []
        for pk in added:
            CommentTheme.objects.create(
                comment=locked, theme_id=pk, confidence=1.0, source=LabelSource.CORRECTION
            )
            corrections.append((CorrectionKind.THEME_ADDED, pk))
        if removed:
            CommentTheme.objects.filter(comment=locked, theme_id__in=removed).delete()
            corrections.extend((CorrectionKind.THEME_REMOVED, pk) for pk in removed)
        # A theme the person kept is confirmed: it stays even if the engine changes its mind.
        CommentTheme.objects.filter(comment=locked, theme_id__in=kept).update(
            source=LabelSource.CORRECTION, confidence=1.0
        )
        Correction.objects.bulk_create(
            [
                Correction(
                    organization_id=locked.organization_id,
                    comment=locked,
                    kind=kind,
                    theme_id=pk,
                    actor=actor,
                    actor_label=label,
                )
                for kind, pk in corrections
            ]
        )
        if corrections:
            activity_record(
                organization=locked.organization,
                verb="comment.themes_corrected",
                actor=actor,
                api_key=api_key,
                target=locked,
                data={
                    "added": [str(pk) for pk in added],
                    "removed": [str(pk) for pk in removed],
                },
            )
    return locked


# --- the text-model version -----------------------------------------------------------------------


def text_version_get(*, organization: Organization) -> TextModelVersion:
    """The organization's text-model version row (created at version 1)."""
    from closeloop.text.engine import engine_stamp

    version, _created = TextModelVersion.objects.get_or_create(
        organization=organization,
        defaults={"number": 1, "engine": engine_stamp(), "changed_at": timezone.now()},
    )
    return version


def text_version_bump(*, organization: Organization, reason: str) -> TextModelVersion:
    """A new text-model version: every comment of the organization is enriched again in the
    background, with progress on this row."""
    from closeloop.text.engine import engine_stamp
    from closeloop.text.tasks import text_reenrich

    text_version_get(organization=organization)
    with transaction.atomic():
        version = TextModelVersion.objects.select_for_update().get(organization=organization)
        now = timezone.now()
        version.number += 1
        version.reason = reason[:200]
        version.engine = engine_stamp()
        version.changed_at = now
        version.corrections_seen_at = now
        version.reenrich_total = Comment.objects.filter(organization=organization).count()
        version.reenrich_done = 0
        version.reenrich_started_at = now
        version.reenrich_finished_at = None
        version.save()
        enqueue_on_commit(text_reenrich, str(organization.pk))
    return version


# --- themes ------------------------------------------------------------------------------------


@cache
def default_theme_specs() -> tuple[dict[str, Any], ...]:
    """The default theme set shipped in data/default_themes.yaml."""
    with DEFAULT_THEMES_PATH.open(encoding="utf-8") as file:
        data = yaml.safe_load(file) or []
    return tuple(dict(item) for item in data if isinstance(item, dict) and item.get("key"))


def themes_ensure_defaults(organization: Organization) -> list[Theme]:
    """Give an organization the default themes (delivery, price and value, support, ...) once;
    a default the organization changed or removed is left as it is."""
    if Theme.objects.filter(organization=organization, is_default=True).exists():
        return []
    existing = set(Theme.objects.filter(organization=organization).values_list("key", flat=True))
    rows = [
        Theme(
            organization=organization,
            key=str(spec["key"])[:64],
            names=spec.get("names") or {},
            descriptions=spec.get("descriptions") or {},
            keywords=spec.get("keywords") or {},
            examples=spec.get("examples") or {},
            status=ThemeStatus.ACTIVE,
            is_default=True,
        )
        for spec in default_theme_specs()
        if str(spec["key"]) not in existing
    ]
    return Theme.objects.bulk_create(rows)


def _clean_localized(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise DomainError(_("Give one text per language."), field=field, code="invalid")
    out: dict[str, str] = {}
    for lang, text in value.items():
        code = clean_language(str(lang), field=field)
        text = str(text or "").strip()
        if code and text:
            out[code] = text[:500]
    return out


def _clean_lists(value: Any, field: str, *, limit: int, item_max: int) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise DomainError(_("Give a list per language."), field=field, code="invalid")
    out: dict[str, list[str]] = {}
    for lang, items in value.items():
        code = clean_language(str(lang), field=field)
        if isinstance(items, str):
            items = [i for i in re.split(r"[,\n]", items)]
        cleaned: list[str] = []
        for item in items or []:
            text = str(item).strip()[:item_max]
            if text and text not in cleaned:
                cleaned.append(text)
        if code and cleaned:
            out[code] = cleaned[:limit]
    return out


def _unique_key(organization: Organization, wanted: str, exclude: Any = None) -> str:
    base = slugify(wanted)[:56] or "theme"
    key = base
    n = 2
    others = Theme.objects.filter(organization=organization)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    while others.filter(key=key).exists():
        key = f"{base}-{n}"
        n += 1
    return key


def theme_create(
    *,
    organization: Organization,
    names: dict[str, str],
    keywords: dict[str, list[str]] | None = None,
    examples: dict[str, list[str]] | None = None,
    descriptions: dict[str, str] | None = None,
    key: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Theme:
    """Add an active theme; comments are assigned to it again in the background."""
    clean_names = _clean_localized(names, "names")
    if not clean_names:
        raise DomainError(_("Give the theme a name."), field="names", code="required")
    with transaction.atomic():
        theme = Theme.objects.create(
            organization=organization,
            key=_unique_key(organization, key or next(iter(clean_names.values()))),
            names=clean_names,
            descriptions=_clean_localized(descriptions or {}, "descriptions"),
            keywords=_clean_lists(keywords or {}, "keywords", limit=200, item_max=100),
            examples=_clean_lists(examples or {}, "examples", limit=50, item_max=1000),
            status=ThemeStatus.ACTIVE,
        )
        activity_record(
            organization=organization, verb="theme.created", actor=actor, api_key=api_key,
            target=theme,
        )  # fmt: skip
        text_version_bump(organization=organization, reason=f"theme {theme.key} created")
    return theme


def theme_update(
    *,
    theme: Theme,
    names: dict[str, str] | None = None,
    keywords: dict[str, list[str]] | None = None,
    examples: dict[str, list[str]] | None = None,
    descriptions: dict[str, str] | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Theme:
    """Rename a theme or change its keywords, examples or descriptions; an active theme's
    comments are assigned again in the background."""
    with transaction.atomic():
        locked = Theme.objects.select_for_update().get(pk=theme.pk)
        changed: list[str] = []
        if names is not None:
            clean_names = _clean_localized(names, "names")
            if not clean_names:
                raise DomainError(_("Give the theme a name."), field="names", code="required")
            locked.names, changed = clean_names, [*changed, "names"]
        if descriptions is not None:
            locked.descriptions = _clean_localized(descriptions, "descriptions")
            changed.append("descriptions")
        if keywords is not None:
            locked.keywords = _clean_lists(keywords, "keywords", limit=200, item_max=100)
            changed.append("keywords")
        if examples is not None:
            locked.examples = _clean_lists(examples, "examples", limit=50, item_max=1000)
            changed.append("examples")
        if not changed:
            return locked
        locked.save()
        activity_record(
            organization=locked.organization, verb="theme.updated", actor=actor,
            api_key=api_key, target=locked, data={"changed": changed},
        )  # fmt: skip
        matching = {"keywords", "examples"} & set(changed)
        if matching and locked.status == ThemeStatus.ACTIVE:
            text_version_bump(organization=locked.organization, reason=f"theme {locked.key} edited")
    return locked


def theme_rename(
    *,
    theme: Theme,
    names: dict[str, str],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Theme:
    """Give a theme (often a proposal) a better name in one or more languages."""
    merged = {**(theme.names or {}), **names}
    return theme_update(theme=theme, names=merged, actor=actor, api_key=api_key)


_TRANSITIONS: dict[str, set[str]] = {
    ThemeStatus.PROPOSED: {ThemeStatus.ACTIVE, ThemeStatus.REJECTED, ThemeStatus.MERGED},
    ThemeStatus.ACTIVE: {ThemeStatus.REJECTED, ThemeStatus.MERGED},
    ThemeStatus.REJECTED: {ThemeStatus.ACTIVE},
    ThemeStatus.MERGED: set(),
}


def theme_transition(
    *,
    theme: Theme,
    to: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    into: Theme | None = None,
    names: dict[str, str] | None = None,
) -> Theme:
    """Move a theme to another status (accept, reject, merge): the one place that does it.
    Locks the row, records the change, and assigns comments again in the background."""
    with transaction.atomic():
        locked = Theme.objects.select_for_update().get(pk=theme.pk)
        if to not in _TRANSITIONS.get(locked.status, set()):
            raise ConflictError(
                _("A %(status)s theme cannot become %(to)s.")
                % {"status": locked.get_status_display(), "to": ThemeStatus(to).label},
                field="status",
                code="transition",
            )
        before = locked.status
        data: dict[str, Any] = {"from": before, "to": to}
        if to == ThemeStatus.MERGED:
            if (
                into is None
                or into.organization_id != locked.organization_id
                or into.pk == locked.pk
            ):
                raise DomainError(_("Choose another theme to merge into."), field="into")
            target = Theme.objects.select_for_update().get(pk=into.pk)
            if target.status != ThemeStatus.ACTIVE:
                raise DomainError(_("Merge into an active theme."), field="into", code="inactive")
            _merge_content(locked, target)
            _move_links(locked, target)
            locked.merged_into = target
            data["into"] = str(target.pk)
        if names:
            locked.names = {**(locked.names or {}), **_clean_localized(names, "names")}
        locked.status = to
        locked.save()
        verb = {
            ThemeStatus.ACTIVE: "theme.accepted"
            if before == ThemeStatus.PROPOSED
            else "theme.restored",
            ThemeStatus.REJECTED: "theme.rejected",
            ThemeStatus.MERGED: "theme.merged",
        }[ThemeStatus(to)]
        activity_record(
            organization=locked.organization, verb=verb, actor=actor, api_key=api_key,
            target=locked, data=data,
        )  # fmt: skip
        if before == ThemeStatus.ACTIVE or to == ThemeStatus.ACTIVE or to == ThemeStatus.MERGED:
            text_version_bump(organization=locked.organization, reason=f"theme {locked.key} {to}")
    return locked


def _merge_content(source: Theme, target: Theme) -> None:
    """The target learns the merged theme's keywords and examples."""
    for attr, limit in (("keywords", 200), ("examples", 50)):
        merged: dict[str, list[str]] = {
            k: list(v) for k, v in (getattr(target, attr) or {}).items()
        }
        for lang, items in (getattr(source, attr) or {}).items():
            bucket = merged.setdefault(lang, [])
            for item in items:
                if item not in bucket:
                    bucket.append(item)
            merged[lang] = bucket[:limit]
        setattr(target, attr, merged)
    target.save(update_fields=["keywords", "examples", "updated_at"])


def _move_links(source: Theme, target: Theme) -> None:
    """Comments of the merged theme (corrections included) now belong to the target."""
    already = set(CommentTheme.objects.filter(theme=target).values_list("comment_id", flat=True))
    for link in CommentTheme.objects.filter(theme=source):
        if link.comment_id in already:
            if link.source == LabelSource.CORRECTION:
                CommentTheme.objects.filter(theme=target, comment_id=link.comment_id).update(
                    source=LabelSource.CORRECTION, confidence=1.0
                )
            link.delete()
        else:
            link.theme = target
            link.save(update_fields=["theme"])
    Correction.objects.filter(theme=source).update(theme=target)


def theme_accept(
    *,
    theme: Theme,
    names: dict[str, str] | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Theme:
    """Accept a proposed theme (optionally renamed): it becomes active."""
    return theme_transition(
        theme=theme, to=ThemeStatus.ACTIVE, names=names, actor=actor, api_key=api_key
    )


def theme_reject(
    *, theme: Theme, actor: User | None = None, api_key: ApiKey | None = None
) -> Theme:
    """Reject a proposal (it is not proposed again) or retire an active theme."""
    return theme_transition(theme=theme, to=ThemeStatus.REJECTED, actor=actor, api_key=api_key)


def theme_merge(
    *, theme: Theme, into: Theme, actor: User | None = None, api_key: ApiKey | None = None
) -> Theme:
    """Merge a theme (or proposal) into an active theme: its comments, keywords and examples
    move there."""
    return theme_transition(
        theme=theme, to=ThemeStatus.MERGED, into=into, actor=actor, api_key=api_key
    )


def corrections_since(*, organization: Organization, since: dt.datetime | None) -> int:
    """How many corrections were made after `since` (all when None)."""
    rows = Correction.objects.filter(organization=organization)
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    return rows.count()


def emit_enriched(comment: Comment, theme_keys: list[str]) -> None:
    """Announce a comment's first enrichment (automation can act on its themes)."""
    events.emit(
        "comment.enriched",
        comment_id=str(comment.pk),
        organization_id=str(comment.organization_id),
        response_id=str(comment.response_id) if comment.response_id else None,
        sentiment=comment.sentiment,
        themes=theme_keys,
        language=comment.language,
    )
