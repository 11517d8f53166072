"""Advocacy: the organization's review sites, how it asks for reviews, invitations and clicks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel, OrgOwnedModel


class ReviewSiteKind(models.TextChoices):
    GOOGLE = "google", _("Google")
    G2 = "g2", _("G2")
    TRUSTPILOT = "trustpilot", _("Trustpilot")
    CAPTERRA = "capterra", _("Capterra")
    APP_STORE = "app_store", _("App Store")
    PLAY_STORE = "play_store", _("Google Play")
    OTHER = "other", _("Other")


class ReviewMode(models.TextChoices):
    EVERYONE = "everyone", _("Everyone who completes a survey (recommended)")
    PROMOTERS_ONLY = "promoters_only", _("Promoters only (selective asking)")


class ScoreBand(models.TextChoices):
    """How happy the response's score says the customer is, on any scale (see
    automation.scales): the wording of the invitation follows it, never the links."""

    PROMOTERS = "promoters", _("Happy: NPS 9-10, CSAT top box, CES 5-7")
    PASSIVES = "passives", _("Neutral, or no score")
    DETRACTORS = "detractors", _("Unhappy: NPS 0-6, CSAT below the middle, CES 1-3")


class ClickSource(models.TextChoices):
    EMAIL = "email", _("Invitation email")
    ENDING = "ending", _("Survey's thank-you page")


class ReviewSite(OrgOwnedModel):
    """A place where customers can review the organization (Google, Trustpilot, any URL)."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ReviewSiteKind.choices, default=ReviewSiteKind.OTHER
    )
    url = models.URLField(_("review page URL"), max_length=1000)
    is_active = models.BooleanField(_("offered in invitations"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.name


class ReviewSettings(BaseModel):
    """How an organization asks for reviews: who is asked and the wording per score band."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(
        _("who is asked"), max_length=20, choices=ReviewMode.choices, default=ReviewMode.EVERYONE
    )
    # Promoters-only needs someone to have acknowledged that Google and Trustpilot forbid it.
    acknowledged_selective_asking_warning_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {language: {band: {"subject": ..., "body": ...}}}; empty entries use the built-in wording.
    texts = models.JSONField(default=dict, blank=True)
    show_on_ending = models.BooleanField(
        _("show the review links on the survey's thank-you page"), default=False
    )

    def __str__(self) -> str:
        return f"review settings of {self.organization_id}"


class ReviewInvitation(OrgOwnedModel):
    """A review invitation emailed to the respondent of one response."""

    response = models.OneToOneField(
        "responses.Response", on_delete=models.CASCADE, related_name="review_invitation"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.ForeignKey(
        "integrations.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    # Which question the score answers: nps, csat or ces (empty: no score).
    metric = models.CharField(_("metric"), max_length=10, blank=True)
    band = models.CharField(_("score band"), max_length=20, choices=ScoreBand.choices)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"review invitation {self.pk}"


class ReviewClick(BaseModel):
    """A click on a review link, in an invitation email or on a survey's thank-you page (the
    user agent only as a hash)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # The invitation whose email carried the link (empty for a thank-you page's link).
    invitation = models.ForeignKey(
        ReviewInvitation, null=True, blank=True, on_delete=models.CASCADE, related_name="clicks"
    )
    # The response whose thank-you page showed the link (empty for an email's link).
    response = models.ForeignKey(
        "responses.Response", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=10, choices=ClickSource.choices, default=ClickSource.EMAIL)
    band = models.CharField(max_length=20, choices=ScoreBand.choices, blank=True)
    site = models.ForeignKey(ReviewSite, on_delete=models.CASCADE, related_name="clicks")
    clicked_at = models.DateTimeField()
    user_agent_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-clicked_at"]

    def __str__(self) -> str:
        return f"click on {self.site_id}"
