"""Per-organization sentiment models: learn the organization's own vocabulary from its scored
comments, and keep the model only when it does better on held-out comments.

Weak labels come free with the score given beside a comment (0-6 negative, 7-8 neutral, 9-10
positive, on the 0-10 scale comments store); a person's correction beats the score and counts
three times. The candidate is trained on the seed corpus plus 80% of the organization's labelled
comments; both it and the model in use (the starting model, or the organization's current one)
are scored by macro-F1 on the other 20%, and the candidate replaces it only if it is better by
MIN_GAIN. A replacement raises the text-model version, so every comment is enriched again.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from closeloop.text import sentiment as sentiment_mod
from closeloop.text.choices import LabelSource
from closeloop.text.models import Comment, SentimentModel
from closeloop.text.services import text_version_bump

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

logger = logging.getLogger("closeloop.text")

MIN_SCORED = 200
HELDOUT_SHARE = 0.2
MIN_GAIN = 0.01
CORRECTION_WEIGHT = 3.0
MAX_ORG_COMMENTS = 20000
KEEP_MODELS = 5


def weak_label(score: float) -> str:
    """The sentiment a 0-10 score suggests: 0-6 negative, 7-8 neutral, 9-10 positive."""
    if score >= 9:
        return "positive"
    if score >= 7:
        return "neutral"
    return "negative"


def _labelled(organization: Organization, language: str) -> list[tuple[str, list[str], str, bool]]:
    """(text, tokens, label, corrected) of the organization's labelled comments in a language."""
    rows = (
        Comment.objects.filter(organization=organization, language=language, model_version__gt=0)
        .exclude(score__isnull=True, sentiment_source=LabelSource.MODEL)
        .exclude(score__isnull=True, sentiment_source="")
        .order_by("-answered_at")
        .values_list("text", "tokens", "score", "sentiment", "sentiment_source")[:MAX_ORG_COMMENTS]
    )
    out: list[tuple[str, list[str], str, bool]] = []
    for text, tokens, score, sentiment, source in rows:
        if source == LabelSource.CORRECTION and sentiment:
            out.append((text, tokens.split(), sentiment, True))
        elif score is not None:
            out.append((text, tokens.split(), weak_label(score), False))
    return out


def scored_count(organization: Organization, language: str) -> int:
    """How many of the organization's comments in `language` carry a score."""
    return Comment.objects.filter(
        organization=organization, language=language, score__isnull=False, model_version__gt=0
    ).count()


def _split(labels: list[str]) -> tuple[list[int], list[int]]:
    from sklearn.model_selection import train_test_split

    indexes = list(range(len(labels)))
    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 and len(counts) > 1 else None
    train, test = train_test_split(
        indexes, test_size=HELDOUT_SHARE, random_state=0, stratify=stratify
    )
    return list(train), list(test)


def _macro_f1(
    model: Any, texts: list[str], tokens: list[list[str]], truth: list[str], language: str
) -> float:
    from sklearn.metrics import f1_score

    predicted = [r.label for r in sentiment_mod.predict(model, texts, tokens, language)]
    return float(f1_score(truth, predicted, average="macro", zero_division=0))


def current_model(organization: Organization, language: str) -> tuple[Any, SentimentModel | None]:
    """The model in use for a language: the organization's active one, else the starting one."""
    row = SentimentModel.objects.filter(
        organization=organization, language=language, active=True
    ).first()
    if row is not None:
        return sentiment_mod.loads(bytes(row.blob)), row
    return sentiment_mod.starting_model(language), None


def sentiment_model_train(
    *, organization: Organization, language: str, min_scored: int = MIN_SCORED
) -> SentimentModel | None:
    """Train a candidate on the organization's labelled comments and keep it if it beats the
    model in use on held-out comments; None when there are too few scored comments."""
    if scored_count(organization, language) < min_scored:
        return None
    data = _labelled(organization, language)
    labels = [label for _t, _k, label, _c in data]
    train_idx, test_idx = _split(labels)
    seed_docs, seed_labels, seed_weights = (
        sentiment_mod.seed_training_set(language)
        if language in sentiment_mod.SEED_LANGUAGES
        else ([], [], [])
    )
    docs = [sentiment_mod.feature_doc(data[i][0], data[i][1], language) for i in train_idx]
    train_labels = seed_labels + [labels[i] for i in train_idx]
    if len(set(train_labels)) < 2:
        return None
    weights = seed_weights + [CORRECTION_WEIGHT if data[i][3] else 1.0 for i in train_idx]
    candidate = sentiment_mod.train(seed_docs + docs, train_labels, language, weights)
    texts = [data[i][0] for i in test_idx]
    tokens = [data[i][1] for i in test_idx]
    truth = [labels[i] for i in test_idx]
    in_use, _row = current_model(organization, language)
    candidate_f1 = _macro_f1(candidate, texts, tokens, truth, language)
    baseline_f1 = _macro_f1(in_use, texts, tokens, truth, language)
    keep = candidate_f1 >= baseline_f1 + MIN_GAIN
    logger.info(
        "Sentiment model for %s/%s: held-out macro-F1 %.3f against %.3f in use: %s",
        organization.slug, language, candidate_f1, baseline_f1, "kept" if keep else "not kept",
    )  # fmt: skip
    with transaction.atomic():
        if keep:
            SentimentModel.objects.filter(
                organization=organization, language=language, active=True
            ).update(active=False)
        row = SentimentModel.objects.create(
            organization=organization,
            language=language,
            blob=sentiment_mod.dumps(candidate),
            trained_at=timezone.now(),
            n_training=len(seed_docs) + len(train_idx),
            n_org=len(data),
            n_corrections=sum(1 for d in data if d[3]),
            heldout_size=len(test_idx),
            heldout_macro_f1=round(candidate_f1, 4),
            baseline_macro_f1=round(baseline_f1, 4),
            active=keep,
        )
        old = SentimentModel.objects.filter(
            organization=organization, language=language, active=False
        ).order_by("-trained_at")[KEEP_MODELS:]
        SentimentModel.objects.filter(pk__in=[m.pk for m in old]).delete()
        if keep:
            text_version_bump(
                organization=organization, reason=f"new sentiment model for {language}"
            )
    return row


def languages_to_train(organization: Organization) -> list[str]:
    """Languages with enough scored comments and new ones since the last model was trained."""
    from django.db.models import Count

    counts = (
        Comment.objects.filter(organization=organization, score__isnull=False, model_version__gt=0)
        .exclude(language="")
        .values("language")
        .annotate(n=Count("id"))
    )
    wanted = []
    for row in counts:
        language, n = row["language"], row["n"]
        if n < MIN_SCORED:
            continue
        last = (
            SentimentModel.objects.filter(organization=organization, language=language)
            .order_by("-trained_at")
            .first()
        )
        # Train again once a tenth more comments came in (or corrections were made).
        if (
            last is None
            or n >= last.n_org * 1.1
            or Comment.objects.filter(
                organization=organization,
                language=language,
                sentiment_source=LabelSource.CORRECTION,
                updated_at__gt=last.trained_at,
            ).exists()
        ):
            wanted.append(language)
    return wanted
