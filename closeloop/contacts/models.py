"""Contacts: the people a business listens to, their typed attributes, segments and imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.contacts.choices import (
    AttributeType,
    ContactKind,
    DedupeBy,
    ImportStatus,
)
from closeloop.core.models import OrgOwnedModel


class Contact(OrgOwnedModel):
    """A customer or employee; email and external id are unique in the organization when set."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=ContactKind.choices, default=ContactKind.CUSTOMER
    )
    # Stored lower-case; NULL (not "") when absent so the unique constraint ignores it.
    email = models.EmailField(_("email"), max_length=254, null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=200, null=True, blank=True
    )
    # Typed by the organization's AttributeDefinitions: numbers as numbers, dates as ISO strings.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    unsubscribe_reason = models.CharField(_("unsubscribe reason"), max_length=300, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(email__isnull=False),
                name="uniq_contact_email",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="uniq_contact_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"]),
            models.Index(fields=["organization", "kind"]),
        ]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return str(_("Erased contact"))
        return self.full_name or self.email or self.external_id or self.phone or str(self.pk)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_subscribed(self) -> bool:
        return self.unsubscribed_at is None and self.erased_at is None


class AttributeDefinition(OrgOwnedModel):
    """A custom contact attribute and its type; its values are validated against the type."""

    key = models.SlugField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=120)
    type = models.CharField(
        _("type"), max_length=10, choices=AttributeType.choices, default=AttributeType.TEXT
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_attribute_key")
        ]

    def __str__(self) -> str:
        return self.label or self.key


class Segment(OrgOwnedModel):
    """A saved filter over contacts: rules on fields, attributes and survey history."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("definition"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_segment_name")
        ]

    def __str__(self) -> str:
        return self.name


class ContactImport(OrgOwnedModel):
    """A CSV or XLSX import run in the background, with its progress and rejected rows."""

    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=8, default="csv")
    # The uploaded file, kept until the import has run.
    file_data = models.BinaryField(default=b"", editable=False)
    columns = models.JSONField(default=list, blank=True)
    preview_rows = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejected_rows = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    dedupe_by = models.CharField(
        _("match existing contacts by"),
        max_length=20,
        choices=DedupeBy.choices,
        default=DedupeBy.EMAIL,
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed / self.total_rows))
