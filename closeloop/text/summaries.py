"""Summaries of a theme's comments: extractive always, and from an OpenAI-compatible endpoint
when the operator configured one (TEXT_SUMMARY_URL, TEXT_SUMMARY_MODEL, TEXT_SUMMARY_API_KEY).

Extractive: the most representative comments of each language, the ones closest to the theme's
centroid in TF-IDF space over the engine's tokens, skipping near-duplicates. Nothing depends on
the provider: without it (or when it fails) the page shows the extractive summary alone.

The provider is called through the guarded outbound client (lib/http.py: timeouts, no
redirects, logged). The operator chose the URL, so a model on the same machine or network
(http://127.0.0.1:11434/v1 for a local server) is allowed without OUTBOUND_ALLOW_PRIVATE. A
summary is kept in the cache for a day, keyed by the theme's comments, so a page view never
waits for it twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.lib.http import http_post
from closeloop.text.models import Comment, CommentTheme, Theme

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

logger = logging.getLogger("closeloop.text")

EXTRACTIVE_PER_LANGUAGE = 3
EXTRACTIVE_LANGUAGES = 3
# Comments read to find the representative ones (the newest).
EXTRACTIVE_POOL = 400
# Two chosen comments more similar than this are near-duplicates: the second is skipped.
DUPLICATE_SIMILARITY = 0.8
PROVIDER_COMMENTS = 60
PROVIDER_COMMENT_CHARS = 400
PROVIDER_TIMEOUT = 60.0
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Representative:
    """A comment chosen as representative, with its similarity to the centroid."""

    comment: Comment
    similarity: float


@dataclass(frozen=True)
class LanguageSummary:
    """The representative comments of one language."""

    language: str
    total: int
    comments: list[Representative]


def _theme_comments(theme: Theme) -> Any:
    return Comment.objects.filter(
        organization_id=theme.organization_id,
        pk__in=CommentTheme.objects.filter(theme=theme).values("comment_id"),
    )


def representative(
    comments: list[Comment], *, k: int = EXTRACTIVE_PER_LANGUAGE
) -> list[Representative]:
    """The `k` comments closest to the centroid of `comments` (TF-IDF over their tokens),
    near-duplicates skipped."""
    usable = [c for c in comments if c.tokens.strip()]
    if not usable:
        return [Representative(c, 0.0) for c in comments[:k]]
    if len(usable) <= k:
        return [Representative(c, 1.0) for c in usable]
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=1, lowercase=False)
    matrix = vectorizer.fit_transform([c.tokens for c in usable])
    centroid = np.asarray(matrix.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid)) or 1.0
    similarity = np.asarray(matrix @ centroid).ravel() / norm
    order = np.argsort(-similarity, kind="stable")
    chosen: list[int] = []
    for index in order:
        row = matrix[int(index)]
        if any(float((row @ matrix[j].T).toarray()[0, 0]) > DUPLICATE_SIMILARITY for j in chosen):
            continue
        chosen.append(int(index))
        if len(chosen) >= k:
            break
    return [Representative(usable[i], round(float(similarity[i]), 3)) for i in chosen]


def extractive_summary(
    *, theme: Theme, language: str = "", per_language: int = EXTRACTIVE_PER_LANGUAGE
) -> list[LanguageSummary]:
    """The most representative comments of the theme, per language: `language` first when the
    theme has comments in it, then the languages with the most comments."""
    pool = list(_theme_comments(theme).order_by("-answered_at")[:EXTRACTIVE_POOL])
    by_language: dict[str, list[Comment]] = {}
    for comment in pool:
        by_language.setdefault(comment.language or "", []).append(comment)
    order = sorted(by_language, key=lambda code: (code != language, -len(by_language[code]), code))
    return [
        LanguageSummary(
            code, len(by_language[code]), representative(by_language[code], k=per_language)
        )
        for code in order[:EXTRACTIVE_LANGUAGES]
    ]


# --- the provider -------------------------------------------------------------------------------


class SummaryUnavailable(DomainError):
    """The provider is not configured, or did not give a summary."""

    status = 502


def provider_configured() -> bool:
    """Whether the operator set TEXT_SUMMARY_URL."""
    return bool(getattr(settings, "TEXT_SUMMARY_URL", ""))


def provider_model() -> str:
    return str(getattr(settings, "TEXT_SUMMARY_MODEL", ""))


def completions_url() -> str:
    """<TEXT_SUMMARY_URL>/chat/completions (the URL itself if it already ends so)."""
    base = str(settings.TEXT_SUMMARY_URL).rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name"])
    except KeyError:
        return code or "English"


def _cache_key(theme: Theme, language: str) -> str:
    stamp = _theme_comments(theme).aggregate(latest=Max("updated_at"))["latest"]
    count = _theme_comments(theme).count()
    raw = f"{theme.pk}|{language}|{count}|{stamp}|{provider_model()}|{completions_url()}"
    return "text-summary:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_provider_summary(*, theme: Theme, language: str) -> str:
    """The provider's summary of the theme if one is cached for its current comments."""
    if not provider_configured():
        return ""
    return str(cache.get(_cache_key(theme, language)) or "")


def _prompt(theme: Theme, language: str, texts: list[str]) -> list[dict[str, str]]:
    name = theme.name_in(language)
    system = (
        "You summarize customer feedback for a customer-experience team. Be factual, do not "
        "invent anything that is not in the comments, and do not name or quote individual "
        f"customers. Answer in {_language_name(language)}."
    )
    listing = "\n".join(f"- {t}" for t in texts)
    user = (
        f"These are customer comments about the theme “{name}”. Summarize in 3 to 5 short "
        "bullet points what customers say: the main problems first, then what they like, "
        f"with rough proportions.\n\n{listing}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _content(body: str) -> str:
    data = json.loads(body)
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices:
        raise ValueError("no choices")
    message = choices[0].get("message") or {}
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ValueError("no content")
    return content.strip()


def provider_summary(*, organization: Organization, theme: Theme, language: str) -> str:
    """Ask the configured endpoint to summarize the theme's comments (newest first, at most
    PROVIDER_COMMENTS); cached for a day. SummaryUnavailable says why there is none."""
    if not provider_configured():
        raise SummaryUnavailable(
            _("No summary provider is configured (TEXT_SUMMARY_URL)."), code="no-provider"
        )
    if theme.organization_id != organization.pk:
        raise SummaryUnavailable(_("Unknown theme."), field="theme", code="unknown-theme")
    key = _cache_key(theme, language)
    found = cache.get(key)
    if found:
        return str(found)
    texts = [
        " ".join(t.split())[:PROVIDER_COMMENT_CHARS]
        for t in _theme_comments(theme)
        .order_by("-answered_at")
        .values_list("text", flat=True)[:PROVIDER_COMMENTS]
    ]
    if not texts:
        raise SummaryUnavailable(_("This theme has no comments to summarize yet."), code="empty")
    headers = {"Accept": "application/json"}
    if getattr(settings, "TEXT_SUMMARY_API_KEY", ""):
        headers["Authorization"] = f"Bearer {settings.TEXT_SUMMARY_API_KEY}"
    result = http_post(
        completions_url(),
        json={
            "model": provider_model(),
            "messages": _prompt(theme, language, texts),
            "temperature": 0.2,
        },
        headers=headers,
        timeout=PROVIDER_TIMEOUT,
        allow_private=True,
    )
    if not result.ok:
        logger.warning(
            "summary provider failed: status=%s error=%s", result.status, result.error or "-"
        )
        raise SummaryUnavailable(
            _(
                "The summary provider did not answer (%(reason)s). The representative comments "
                "below still say what customers write."
            )
            % {"reason": result.error or f"HTTP {result.status}"},
            code="provider-failed",
        )
    try:
        summary = _content(result.body)
    except (ValueError, AttributeError, TypeError):
        raise SummaryUnavailable(
            _("The summary provider's answer could not be read."), code="provider-failed"
        ) from None
    summary = summary[:4000]
    cache.set(key, summary, CACHE_SECONDS)
    return summary
