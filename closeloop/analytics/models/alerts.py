"""Alerts, weekly digests, targets and benchmarks.

An alert rule watches a score (drop week over week), a count (above a level in a window) or a
touchpoint (silent for hours when it usually is not); the hourly job records at most one
AlertEvent per rule and period (a unique constraint), so re-runs never notify twice. Digest
settings say when each team's weekly digest goes out; DigestSend records that it did (one per
team and week); DigestOptOut keeps a member's choice not to receive a team's digest. A
MetricTarget is a goal or an industry benchmark for a metric, drawn as a reference line.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel

__all__ = [
    "AlertCount",
    "AlertEvent",
    "AlertKind",
    "AlertMetric",
    "AlertRule",
    "DigestOptOut",
    "DigestSend",
    "DigestSettings",
    "MetricTarget",
    "TargetKind",
    "TargetMetric",
]


class AlertKind(models.TextChoices):
    SCORE_DROP = "score_drop", _("A score drops week over week")
    COUNT_ABOVE = "count_above", _("A count goes above a level")
    SILENCE = "silence", _("A touchpoint goes silent")


class AlertMetric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")


class AlertCount(models.TextChoices):
    DETRACTORS = "detractors", _("Detractors")
    PASSIVES = "passives", _("Passives")
    PROMOTERS = "promoters", _("Promoters")
    RESPONSES = "responses", _("Responses")


class AlertRule(OrgOwnedModel):
    """What to watch, how it is judged and who hears about it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # score_drop: which score; it must fall by more than the margin of error (and min_drop)
    metric = models.CharField(_("metric"), max_length=10, choices=AlertMetric.choices, blank=True)
    min_drop = models.FloatField(_("minimum drop"), default=0)
    # count_above: what to count, the level, and the window
    count_of = models.CharField(
        _("count of"), max_length=20, choices=AlertCount.choices, blank=True
    )
    level = models.PositiveIntegerField(_("level"), null=True, blank=True)
    # count_above: 1, 6, 24 or 168 hours; silence: hours without a response
    window_hours = models.PositiveIntegerField(_("window (hours)"), default=24)
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    touchpoint = models.ForeignKey(
        "distribution.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    email_teams = models.ManyToManyField("accounts.Team", blank=True, related_name="+")
    email_members = models.ManyToManyField("accounts.Membership", blank=True, related_name="+")
    slack_webhook_url = models.CharField(_("Slack webhook URL"), max_length=500, blank=True)
    teams_webhook_url = models.CharField(
        _("Microsoft Teams webhook URL"), max_length=500, blank=True
    )
    webhook_url = models.CharField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # What the last evaluation found (status and figures), shown on the rules page.
    last_check = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active"])]

    def __str__(self) -> str:
        return self.name


class AlertEvent(OrgOwnedModel):
    """An alert that fired: the rule, the period it concerns and the figures behind it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    period_key = models.CharField(max_length=80)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    # The figures (value, previous, difference, margin, n, count, level, expected, ...).
    data = models.JSONField(default=dict, blank=True)
    # What was queued: [{"channel": "email", "to": 3}, {"channel": "slack"}, ...]
    channels = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "period_key"], name="uniq_alert_event_period")
        ]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.period_key}"


class DigestSettings(OrgOwnedModel):
    """When the weekly team digests go out (weekday and hour in the organization's time zone)."""

    enabled = models.BooleanField(_("send weekly digests"), default=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)  # 0 is Monday
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_digest_settings_org")
        ]

    def __str__(self) -> str:
        return f"digest {self.weekday} {self.hour}:00"


class DigestOptOut(OrgOwnedModel):
    """A member who does not want a team's weekly digest."""

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "team"], name="uniq_digest_opt_out")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} opted out of {self.team_id}"


class DigestSend(OrgOwnedModel):
    """A team's digest for one week was sent (scheduled: once per team and week)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    manual = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "week_start"],
                condition=Q(manual=False),
                name="uniq_digest_team_week",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.week_start}"


class TargetKind(models.TextChoices):
    TARGET = "target", _("Target")
    BENCHMARK = "benchmark", _("Industry benchmark")


class TargetMetric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")
    ENPS = "enps", _("eNPS")
    RESPONSE_RATE = "response_rate", _("Response rate")


class MetricTarget(OrgOwnedModel):
    """A goal the organization sets, or an industry figure it compares with (with its source)."""

    kind = models.CharField(
        _("kind"), max_length=10, choices=TargetKind.choices, default=TargetKind.TARGET
    )
    metric = models.CharField(_("metric"), max_length=20, choices=TargetMetric.choices)
    value = models.FloatField(_("value"))
    label = models.CharField(_("label"), max_length=120, blank=True)
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["metric", "kind", "-value"]
        indexes = [models.Index(fields=["organization", "metric"])]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} {self.metric} {self.value:g}"
