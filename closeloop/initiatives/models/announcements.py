"""Announcements: "we heard you" messages about a shipped initiative, one per recipient."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel, OrgOwnedModel
from closeloop.initiatives.choices import AnnouncementStatus, RecipientStatus


class Announcement(OrgOwnedModel):
    """The message about a shipped initiative, written per language, sent to its contacts."""

    initiative = models.ForeignKey(
        "initiatives.Initiative", on_delete=models.CASCADE, related_name="announcements"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AnnouncementStatus.choices,
        default=AnnouncementStatus.DRAFT,
    )  # fmt: skip
    # {"en": {"subject": ..., "body": ...}, "ko": {...}}; the body may use {{ first_name }},
    # {{ what_they_said }} and {{ what_changed }}.
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    what_changed = models.JSONField(_("what changed"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"announcement {self.pk}"


class AnnouncementRecipient(BaseModel):
    """One contact told about an initiative: what they said, the message's fate, and when they
    were told (their later answers are compared with their earlier ones)."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="recipients"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="announcements_received"
    )
    language = models.CharField(max_length=16, blank=True)
    # Why this contact is linked: [{"kind": "comment"|"case"|"idea"|"contact", "id": ..,
    # "text": what they said}]
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=20, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    skip_reason = models.CharField(max_length=300, blank=True)
    delivery = models.ForeignKey(
        "integrations.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    open_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "contact"], name="uniq_announcement_recipient"
            ),
        ]
        indexes = [models.Index(fields=["organization", "contact", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} ({self.status})"
