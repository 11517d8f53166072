"""Exports: a file of responses or metric results built in the background, kept for a while."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel

__all__ = ["Export", "ExportFormat", "ExportKind", "ExportStatus", "export_upload_to"]


class ExportKind(models.TextChoices):
    RESPONSES = "responses", _("Responses")
    METRICS = "metrics", _("Metrics")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (Excel, any tool)")
    XLSX = "xlsx", _("Excel workbook (.xlsx)")
    SAV = "sav", _("SPSS (.sav)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def export_upload_to(instance: Export, filename: str) -> str:
    """Where the file lives in the storage: one folder per organization and export."""
    return f"exports/{instance.organization_id}/{instance.pk}/{filename}"


class Export(OrgOwnedModel):
    """A file of responses or metric results built by the worker; it expires after some days."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=ExportKind.choices, default=ExportKind.RESPONSES
    )
    survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exports",
        verbose_name=_("survey"),
    )
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    # Response filters (from, to, status, touchpoint, channel, language) or the metric query.
    filters = models.JSONField(default=dict, blank=True)
    # The language of the file's own labels (column headers that are not survey texts).
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to=export_upload_to, max_length=500, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name or f"export {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def is_ready(self) -> bool:
        """Done, with its file, and not past its expiry (the hourly cleanup may not have run)."""
        if self.status != ExportStatus.DONE or not self.file:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
