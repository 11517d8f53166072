"""Responses, stored for speed at millions: one row per response plus one typed fact per answer."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel
from closeloop.responses.choices import Channel, ResponseStatus


class PersonalLink(OrgOwnedModel):
    """A link for one contact: an unguessable token (stored hashed) that ties answers to them."""

    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="personal_links"
    )
    contact_id = models.UUIDField(null=True, blank=True, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=10, blank=True)
    hidden = models.JSONField(default=dict, blank=True)
    # Where the contact was asked (a distribution Touchpoint); their response counts there.
    touchpoint_id = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for {self.survey_id}"


class Response(models.Model):
    """A respondent's answers to one survey version; partial until completed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(
        "surveys.SurveyVersion", on_delete=models.PROTECT, related_name="responses"
    )
    contact_id = models.UUIDField(null=True, blank=True, db_index=True)
    personal_link = models.ForeignKey(
        PersonalLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.LINK
    )
    touchpoint_id = models.UUIDField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.PARTIAL
    )
    current_page = models.CharField(max_length=64, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    hidden = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    historical = models.BooleanField(default=False)
    # The browser keeps the raw token in a cookie to resume; we keep its hash.
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # The form nonce of the POST that created the response and of the last page accepted: a
    # repeated POST (double click, reload) of the same rendered form is recognised and ignored.
    start_nonce = models.CharField(max_length=40, blank=True)
    last_nonce = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["survey", "status", "completed_at"]),
            models.Index(fields=["organization", "completed_at"]),
            models.Index(fields=["organization", "-started_at"]),
            models.Index(fields=["survey", "created_at", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="uniq_response_idempotency",
            ),
            models.UniqueConstraint(
                fields=["survey", "start_nonce"],
                condition=~models.Q(start_nonce=""),
                name="uniq_response_start_nonce",
            ),
        ]

    def __str__(self) -> str:
        return f"response {self.id}"


class AnswerFact(models.Model):
    """One typed answer (a number, a choice, a text) for metric queries; matrix rows and
    multiple choices give one fact each."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.UUIDField()
    survey_id = models.UUIDField()
    version_number = models.PositiveIntegerField()
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="facts")
    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=20)
    row_key = models.CharField(max_length=64, blank=True)
    number = models.FloatField(null=True, blank=True)
    choice = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["survey_id", "question_key", "answered_at"]),
            models.Index(fields=["organization_id", "question_type", "answered_at"]),
        ]

    def __str__(self) -> str:
        value = self.number if self.number is not None else self.choice or self.text[:20]
        return f"{self.question_key}={value}"
