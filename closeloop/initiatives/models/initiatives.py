"""Initiatives (a recurring problem turned into owned work with a target metric), the decisions
of the customer advocacy review, and the organization's outer-loop settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel
from closeloop.initiatives.choices import (
    DecisionKind,
    InitiativeOrigin,
    InitiativeStatus,
    TargetMetric,
)


class Initiative(OrgOwnedModel):
    """Work an owner team takes on to fix a recurring cause, measured on a target metric."""

    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=InitiativeStatus.choices,
        default=InitiativeStatus.PROPOSED,
    )  # fmt: skip
    origin = models.CharField(
        _("origin"), max_length=20, choices=InitiativeOrigin.choices,
        default=InitiativeOrigin.MANUAL,
    )  # fmt: skip
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_initiatives", verbose_name=_("owner team"),
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("owner"),
    )  # fmt: skip
    contributors = models.ManyToManyField(
        "accounts.Team", blank=True, related_name="contributed_initiatives",
        verbose_name=_("contributing teams"),
    )  # fmt: skip
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # What should move: a metric of a survey (optionally one touchpoint or segment), or the share
    # of comments about the target theme.
    target_metric = models.CharField(
        _("target metric"), max_length=20, choices=TargetMetric.choices, default=TargetMetric.NPS
    )
    target_survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("survey"),
    )  # fmt: skip
    target_touchpoint = models.ForeignKey(
        "distribution.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("touchpoint"),
    )  # fmt: skip
    target_segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("segment"),
    )  # fmt: skip
    target_theme = models.ForeignKey(
        "text.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("theme"),
    )  # fmt: skip
    # In the metric's unit: NPS points, CSAT percentage points, CES score, theme share points.
    expected_change = models.FloatField(_("expected change"), null=True, blank=True)
    # Impact windows around the ship date, in days.
    before_days = models.PositiveIntegerField(_("days before shipping"), default=60)
    after_days = models.PositiveIntegerField(_("days after shipping"), default=60)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    # The impact figures frozen when the initiative is marked measured.
    impact = models.JSONField(default=dict, blank=True)
    dropped_reason = models.CharField(_("why dropped"), max_length=300, blank=True)
    themes = models.ManyToManyField("text.Theme", blank=True, related_name="initiatives")
    root_causes = models.ManyToManyField("cases.RootCause", blank=True, related_name="initiatives")
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="initiatives")
    contacts = models.ManyToManyField("contacts.Contact", blank=True, related_name="initiatives")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="uniq_initiative_number"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"I-{self.number} {self.title}"


class Decision(OrgOwnedModel):
    """What the customer advocacy review decided about a theme (or in general) at a meeting."""

    meeting_on = models.DateField(_("meeting date"))
    theme = models.ForeignKey(
        "text.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
        verbose_name=_("theme"),
    )  # fmt: skip
    kind = models.CharField(
        _("decision"), max_length=20, choices=DecisionKind.choices, default=DecisionKind.WATCH
    )
    text = models.TextField(_("what was decided"))
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
        verbose_name=_("initiative"),
    )  # fmt: skip
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-meeting_on", "-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class OuterLoopSettings(OrgOwnedModel):
    """Per organization: the advocacy review's meeting and digest, and how often one contact
    may receive announcements (counted apart from survey invitations)."""

    # 0 = Monday ... 6 = Sunday; the digest goes out `digest_hours_before` the meeting.
    meeting_weekday = models.PositiveSmallIntegerField(_("meeting day"), default=1)
    meeting_time = models.TimeField(_("meeting time"), default="10:00")
    digest_hours_before = models.PositiveIntegerField(_("digest hours before"), default=24)
    review_period_days = models.PositiveIntegerField(_("review period (days)"), default=30)
    digest_enabled = models.BooleanField(_("send the digest"), default=True)
    last_digest_for = models.DateField(null=True, blank=True)
    announcement_min_days_between = models.PositiveIntegerField(
        _("days between announcements to one contact"), default=14
    )
    announcement_max_per_month = models.PositiveIntegerField(
        _("announcements per contact per month"), default=2
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_outer_loop_settings"),
        ]

    def __str__(self) -> str:
        return f"outer loop settings {self.organization_id}"
