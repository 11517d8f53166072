"""Choices of the text app: where a comment comes from, sentiment labels, theme states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommentSource(models.TextChoices):
    SURVEY = "survey", _("Survey answer")
    REVIEW = "review", _("Review")
    TICKET = "ticket", _("Support ticket")
    CHAT = "chat", _("Chat transcript")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    MIXED = "mixed", _("Mixed")


class LabelSource(models.TextChoices):
    """Who decided a comment's sentiment or theme: the engine, or a person correcting it."""

    MODEL = "model", _("Model")
    CORRECTION = "correction", _("Correction")


class ThemeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PROPOSED = "proposed", _("Proposed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


class CorrectionKind(models.TextChoices):
    SENTIMENT = "sentiment", _("Sentiment set")
    THEME_ADDED = "theme_added", _("Theme added")
    THEME_REMOVED = "theme_removed", _("Theme removed")


# Languages with their own tokenizer, stopwords, seed sentiment model and default themes.
CORE_LANGUAGES = ("en", "ko", "th")
