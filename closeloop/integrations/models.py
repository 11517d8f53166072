"""Outbound messages. In the demo, email is stored here and read in the app's mailbox page."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel


class MailboxMessage(BaseModel):
    """An email the mailbox backend kept instead of sending (demo and development)."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    from_email = models.CharField(max_length=300)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class DeliveryKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Will retry")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Delivery(BaseModel):
    """An outbox row: one external side effect (an email, a webhook call) with its attempts,
    backoff and final state, so a crash loses nothing and sends nothing twice."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    target = models.CharField(_("to"), max_length=1000)
    payload = models.JSONField(default=dict)
    # Guards against sending the same thing twice (e.g. "invitation:<id>:reminder:1").
    idempotency_key = models.CharField(max_length=200, unique=True)
    related_type = models.CharField(max_length=40, blank=True)
    related_id = models.CharField(max_length=64, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    # The headers of the last request (webhooks: webhook-id, -timestamp, -signature).
    request_headers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["organization", "kind", "-created_at"]),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.kind} to {self.target} ({self.status})"


class WebhookEndpoint(BaseModel):
    """A URL of the organization that receives signed events (Standard Webhooks) it chose."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(_("URL"), max_length=1000)
    description = models.CharField(_("description"), max_length=300, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    # "whsec_" + base64 of 32 random bytes; receivers verify signatures with it.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=300, blank=True)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url
