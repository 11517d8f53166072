"""Enriching stored comments: the engine run with an organization's own models, themes and
corrections, written back; and re-enrichment after a version bump, with progress.

Per organization the worker keeps (in memory, rebuilt when they change) its theme matcher with
corrected comments as examples, its active sentiment models, and the sentiment corrections. A
correction always wins on its own comment; a comment corrected to a sentiment also decides the
sentiment of later comments with the very same text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from closeloop.text import engine
from closeloop.text import sentiment as sentiment_mod
from closeloop.text.choices import CorrectionKind, LabelSource, ThemeStatus
from closeloop.text.models import (
    Comment,
    CommentTheme,
    Correction,
    SentimentModel,
    TextModelVersion,
    Theme,
)
from closeloop.text.services import SENTIMENT_SCORE, emit_enriched, text_version_get
from closeloop.text.themes import Example, ThemeMatcher, ThemeSpec
from closeloop.text.tokens import joined, normalize

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

Progress = Callable[[int, int], None]
CORRECTION_EXAMPLES = 3000
CACHE_ORGS = 32
REENRICH_BATCH = 200


@dataclass
class OrgModels:
    """What enrichment uses for one organization, built once per change."""

    matcher: ThemeMatcher
    theme_keys: dict[str, str]
    models: dict[str, Any]
    corrected: dict[str, str]

    def model_for(self, language: str) -> Any:
        return self.models.get(language) or sentiment_mod.starting_model(language)


class _Cache:
    def __init__(self) -> None:
        self._items: OrderedDict[Any, tuple[Any, OrgModels]] = OrderedDict()
        self._blobs: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, org_id: Any, stamp: Any) -> OrgModels | None:
        with self._lock:
            item = self._items.get(org_id)
            if item is None or item[0] != stamp:
                return None
            self._items.move_to_end(org_id)
            return item[1]

    def put(self, org_id: Any, stamp: Any, models: OrgModels) -> None:
        with self._lock:
            self._items[org_id] = (stamp, models)
            self._items.move_to_end(org_id)
            while len(self._items) > CACHE_ORGS:
                self._items.popitem(last=False)

    def model(self, row_id: Any, load: Callable[[], Any]) -> Any:
        with self._lock:
            if row_id in self._blobs:
                self._blobs.move_to_end(row_id)
                return self._blobs[row_id]
        model = load()
        with self._lock:
            self._blobs[row_id] = model
            while len(self._blobs) > CACHE_ORGS * 3:
                self._blobs.popitem(last=False)
        return model

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._blobs.clear()


CACHE = _Cache()


def _stamp(organization_id: Any) -> tuple[Any, ...]:
    themes = Theme.objects.filter(organization_id=organization_id).aggregate(m=Max("updated_at"))
    corrections = Correction.objects.filter(organization_id=organization_id).aggregate(
        m=Max("created_at")
    )
    models = SentimentModel.objects.filter(organization_id=organization_id, active=True).aggregate(
        m=Max("trained_at")
    )
    version = (
        TextModelVersion.objects.filter(organization_id=organization_id)
        .values_list("number", flat=True)
        .first()
    )
    return (version, themes["m"], corrections["m"], models["m"])


def _latest_theme_corrections(organization_id: Any) -> dict[tuple[Any, Any], str]:
    """(comment id, theme id) -> the latest theme correction's kind."""
    latest: dict[tuple[Any, Any], str] = {}
    rows = (
        Correction.objects.filter(
            organization_id=organization_id,
            kind__in=[CorrectionKind.THEME_ADDED, CorrectionKind.THEME_REMOVED],
        )
        .order_by("-created_at", "-id")
        .values_list("comment_id", "theme_id", "kind")[: CORRECTION_EXAMPLES * 2]
    )
    for comment_id, theme_id, kind in rows:
        latest.setdefault((comment_id, theme_id), kind)
    return latest


def org_models(organization_id: Any) -> OrgModels:
    """The organization's matcher, sentiment models and corrections (cached until changed)."""
    stamp = _stamp(organization_id)
    cached = CACHE.get(organization_id, stamp)
    if cached is not None:
        return cached
    themes = list(Theme.objects.filter(organization_id=organization_id, status=ThemeStatus.ACTIVE))
    specs = [ThemeSpec(str(t.pk), t.keywords or {}, t.examples or {}) for t in themes]
    latest = _latest_theme_corrections(organization_id)
    comment_ids = {comment_id for comment_id, _theme in latest}
    comments = {
        c.pk: c for c in Comment.objects.filter(pk__in=comment_ids).only("pk", "text", "language")
    }
    examples = [
        Example(str(theme_id), comments[comment_id].text, comments[comment_id].language,
                positive=kind == CorrectionKind.THEME_ADDED)
        for (comment_id, theme_id), kind in latest.items()
        if comment_id in comments and comments[comment_id].language
    ]  # fmt: skip
    # Comments a person confirmed (kept in a theme) are positive examples too.
    confirmed = (
        CommentTheme.objects.filter(
            comment__organization_id=organization_id, source=LabelSource.CORRECTION
        )
        .exclude(comment_id__in=comment_ids)
        .select_related("comment")
        .order_by("-id")[:CORRECTION_EXAMPLES]
    )
    examples.extend(
        Example(str(link.theme_id), link.comment.text, link.comment.language)
        for link in confirmed
        if link.comment.language
    )
    models: dict[str, Any] = {}
    for row in SentimentModel.objects.filter(organization_id=organization_id, active=True).only(
        "pk", "language"
    ):
        models[row.language] = CACHE.model(row.pk, partial(_load_model, row.pk))
    corrected: dict[str, str] = {}
    for text, label in (
        Comment.objects.filter(
            organization_id=organization_id, sentiment_source=LabelSource.CORRECTION
        )
        .order_by("updated_at")
        .values_list("text", "sentiment")[:CORRECTION_EXAMPLES]
    ):
        corrected[normalize(text).strip()] = label
    built = OrgModels(
        matcher=ThemeMatcher(specs, examples),
        theme_keys={str(t.pk): t.key for t in themes},
        models=models,
        corrected=corrected,
    )
    CACHE.put(organization_id, stamp, built)
    return built


def _load_model(pk: Any) -> Any:
    blob = SentimentModel.objects.values_list("blob", flat=True).get(pk=pk)
    return sentiment_mod.loads(bytes(blob))


def comments_enrich(*, comment_ids: Sequence[Any]) -> int:
    """Enrich the comments (language, tokens, sentiment, themes); corrections stay. Running it
    again gives the same result; returns how many comments were enriched."""
    comments = list(Comment.objects.filter(pk__in=list(comment_ids)).order_by("organization_id"))
    by_org: dict[Any, list[Comment]] = {}
    for comment in comments:
        by_org.setdefault(comment.organization_id, []).append(comment)
    for organization_id, group in by_org.items():
        _enrich_group(organization_id, group)
    return len(comments)


def _enrich_group(organization_id: Any, comments: list[Comment]) -> None:
    from closeloop.accounts.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    version = text_version_get(organization=organization)
    models = org_models(organization_id)
    results = engine.enrich(
        [c.text for c in comments],
        [c.language_hint for c in comments],
        model_for=models.model_for,
        matcher=models.matcher,
        # A language the importer gave is taken as it is; a respondent's is only a hint.
        languages=[
            c.language_hint if c.source != "survey" and c.language_hint else None for c in comments
        ],
    )
    latest = _latest_theme_corrections(organization_id)
    removed = {(c, t) for (c, t), kind in latest.items() if kind == CorrectionKind.THEME_REMOVED}
    now = timezone.now()
    first_time: list[tuple[Comment, list[str]]] = []
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Comment.objects.select_for_update().filter(pk__in=[c.pk for c in comments])
        }
        corrected_links = {
            (link.comment_id, link.theme_id)
            for link in CommentTheme.objects.filter(
                comment_id__in=list(locked), source=LabelSource.CORRECTION
            )
        }
        CommentTheme.objects.filter(comment_id__in=list(locked), source=LabelSource.MODEL).delete()
        links: list[CommentTheme] = []
        for original, result in zip(comments, results, strict=True):
            comment = locked.get(original.pk)
            if comment is None:
                continue
            was_new = comment.model_version == 0
            comment.language = result.language
            comment.script = result.script
            comment.tokens = joined(result.tokens)
            if comment.sentiment_source != LabelSource.CORRECTION:
                same_text = models.corrected.get(normalize(comment.text).strip())
                comment.sentiment = result.sentiment
                comment.sentiment_score = result.sentiment_score
                if same_text and same_text != result.sentiment:
                    comment.sentiment = same_text
                    comment.sentiment_score = SENTIMENT_SCORE.get(same_text, 0.0)
                comment.sentiment_source = LabelSource.MODEL
            comment.enriched_at = now
            comment.model_version = version.number
            keys: list[str] = []
            for hit in result.themes:
                key = (comment.pk, _uuid(hit.theme_id))
                if key in removed or key in corrected_links:
                    continue
                links.append(
                    CommentTheme(
                        comment=comment,
                        theme_id=key[1],
                        confidence=round(hit.confidence, 4),
                        source=LabelSource.MODEL,
                        matched=list(hit.matched),
                    )
                )
                keys.append(models.theme_keys.get(hit.theme_id, ""))
            if was_new:
                first_time.append((comment, keys))
        Comment.objects.bulk_update(
            list(locked.values()),
            [
                "language", "script", "tokens", "sentiment", "sentiment_score",
                "sentiment_source", "enriched_at", "model_version",
            ],
        )  # fmt: skip
        CommentTheme.objects.bulk_create(links, ignore_conflicts=True)
        for comment, keys in first_time:
            emit_enriched(comment, keys)


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


def reenrich_run(
    *,
    organization: Organization,
    limit: int | None = None,
    progress: Progress | None = None,
    batch: int = REENRICH_BATCH,
) -> int:
    """Enrich again the organization's comments enriched with an older version (or never), in
    batches, recording progress; stops after `limit` comments. Returns how many it enriched."""
    version = text_version_get(organization=organization)
    number = version.number
    stale = Comment.objects.filter(organization=organization, model_version__lt=number)
    total = version.reenrich_total or stale.count()
    done_before = version.reenrich_done
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        ids = list(stale.order_by("answered_at", "id").values_list("pk", flat=True)[:size])
        if not ids:
            break
        comments_enrich(comment_ids=ids)
        done += len(ids)
        TextModelVersion.objects.filter(pk=version.pk, number=number).update(
            reenrich_done=min(total, done_before + done) if total else done_before + done
        )
        if progress is not None:
            progress(min(total, done_before + done), max(total, done_before + done))
    if not stale.exists():
        TextModelVersion.objects.filter(pk=version.pk, number=number).update(
            reenrich_finished_at=timezone.now(),
            reenrich_done=total,
        )
    return done
