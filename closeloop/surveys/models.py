"""Surveys and their versions. A version's definition is a document validated by surveys.schema."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel, OrgOwnedModel
from closeloop.surveys.choices import SurveyKind, SurveyStatus


def new_public_token() -> str:
    return secrets.token_urlsafe(12)


class Survey(OrgOwnedModel):
    """A survey; what respondents see is its latest published version."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SurveyKind.choices, default=SurveyKind.CUSTOMER
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    template_id = models.CharField(max_length=60, blank=True)
    # The anonymous link is public by design (it is printed on receipts), so it is stored as is.
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token)
    single_response_per_browser = models.BooleanField(_("one response per browser"), default=False)
    response_limit = models.PositiveIntegerField(_("response limit"), null=True, blank=True)
    current_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(BaseModel):
    """One version of a survey's definition; frozen once published, a draft until then."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="uniq_survey_version"),
            # At most one draft: services lock the survey row before creating one.
            models.UniqueConstraint(
                fields=["survey"],
                condition=models.Q(published_at__isnull=True),
                name="uniq_survey_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None
