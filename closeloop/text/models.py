"""Comments (open answers and imported texts), their enrichment, themes, corrections, and the
per-organization models and version that decide when everything is enriched again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel, OrgOwnedModel
from closeloop.text.choices import (
    CommentSource,
    CorrectionKind,
    LabelSource,
    Sentiment,
    ThemeStatus,
)


class Comment(OrgOwnedModel):
    """One piece of customer text: an open answer of a response, or an imported comment."""

    response = models.ForeignKey(
        "responses.Response",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    question_key = models.CharField(max_length=64, blank=True)
    contact_id = models.UUIDField(null=True, blank=True, db_index=True)
    survey_id = models.UUIDField(null=True, blank=True)
    touchpoint_id = models.UUIDField(null=True, blank=True)
    text = models.TextField(_("text"))
    source = models.CharField(
        _("source"), max_length=20, choices=CommentSource.choices, default=CommentSource.SURVEY
    )
    # The id of the review, ticket or chat where it came from (an import's idempotency key).
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    # The NPS/CSAT/CES/rating score given with the comment, normalized to 0-10.
    score = models.FloatField(_("score"), null=True, blank=True)
    score_type = models.CharField(max_length=20, blank=True)
    # The language the respondent chose (or the importer gave): the fallback for short texts.
    language_hint = models.CharField(max_length=16, blank=True)

    # Enrichment.
    language = models.CharField(_("language"), max_length=16, blank=True, db_index=True)
    script = models.CharField(max_length=20, blank=True)
    # Normalized tokens, space separated with a space at both ends, so a word or a phrase is
    # found with `tokens__contains=" word next "` in any language.
    tokens = models.TextField(blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    sentiment_source = models.CharField(max_length=12, choices=LabelSource.choices, blank=True)
    enriched_at = models.DateTimeField(null=True, blank=True)
    # The organization's TextModelVersion.number this comment was enriched with (0: never).
    model_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-answered_at"]
        indexes = [
            models.Index(fields=["organization", "-answered_at"]),
            models.Index(fields=["organization", "model_version"]),
            models.Index(fields=["organization", "sentiment"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question_key"],
                condition=models.Q(response__isnull=False),
                name="uniq_comment_per_answer",
            ),
            models.UniqueConstraint(
                fields=["organization", "source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="uniq_comment_source_ref",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def token_list(self) -> list[str]:
        return self.tokens.split()


class Theme(OrgOwnedModel):
    """A topic customers write about; names, keywords and examples per language."""

    key = models.SlugField(_("key"), max_length=64)
    names = models.JSONField(_("names"), default=dict, blank=True)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    keywords = models.JSONField(_("keywords"), default=dict, blank=True)
    examples = models.JSONField(_("examples"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ThemeStatus.choices, default=ThemeStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    is_default = models.BooleanField(default=False)
    # A proposal: its language, how many unassigned comments it groups, their ids.
    proposal = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_theme_key"),
        ]

    def __str__(self) -> str:
        return self.name_in("en")

    def name_in(self, language: str) -> str:
        """The theme's name in `language`, else English, else any name, else its key."""
        names = self.names or {}
        return str(names.get(language) or names.get("en") or next(iter(names.values()), self.key))


class CommentTheme(models.Model):
    """A comment is about a theme, with the engine's confidence or because a person said so."""

    id = models.BigAutoField(primary_key=True)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="comment_links")
    confidence = models.FloatField(default=1.0)
    source = models.CharField(max_length=12, choices=LabelSource.choices, default=LabelSource.MODEL)
    # The keywords that matched (for highlighting), empty when assigned by similarity.
    matched = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "theme"], name="uniq_comment_theme"),
        ]
        indexes = [models.Index(fields=["theme", "comment"])]

    def __str__(self) -> str:
        return f"{self.comment_id} -> {self.theme_id}"


class Correction(OrgOwnedModel):
    """A person corrected a comment's sentiment or themes; kept and used by later enrichment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    before = models.CharField(max_length=20, blank=True)
    after = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["organization", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.before}->{self.after}"


class SentimentModel(OrgOwnedModel):
    """A sentiment model trained on an organization's own scored comments in one language."""

    language = models.CharField(max_length=16)
    # A pickled scikit-learn pipeline, written and read only by this app.
    blob = models.BinaryField()
    trained_at = models.DateTimeField()
    n_training = models.PositiveIntegerField(default=0)
    n_org = models.PositiveIntegerField(default=0)
    n_corrections = models.PositiveIntegerField(default=0)
    heldout_size = models.PositiveIntegerField(default=0)
    heldout_macro_f1 = models.FloatField(default=0.0)
    # The starting model's macro-F1 on the same held-out comments: the bar to beat.
    baseline_macro_f1 = models.FloatField(default=0.0)
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-trained_at"]
        indexes = [models.Index(fields=["organization", "language", "active"])]

    def __str__(self) -> str:
        return f"sentiment {self.language} {self.trained_at:%Y-%m-%d}"


class TextModelVersion(BaseModel):
    """The organization's text-model version: bumped when its themes or sentiment models
    change, so every comment enriched with an older number is enriched again (with progress)."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=200, blank=True)
    # The engine (code and bundled data) the number was set with; a new engine bumps it.
    engine = models.CharField(max_length=40, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    reenrich_total = models.PositiveIntegerField(default=0)
    reenrich_done = models.PositiveIntegerField(default=0)
    reenrich_started_at = models.DateTimeField(null=True, blank=True)
    reenrich_finished_at = models.DateTimeField(null=True, blank=True)
    # The last correction taken into account by a bump (later ones are picked up nightly).
    corrections_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"text v{self.number}"
