"""Outbound messages. In the demo, email is stored here and read in the app's mailbox page."""

from __future__ import annotations

from django.db import models

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
