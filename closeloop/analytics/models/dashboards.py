"""Dashboards: pages of widgets with filters for the whole page, shared with every member or by
a secret link (stored hashed, revocable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel

__all__ = [
    "Dashboard",
    "DashboardKind",
    "DashboardVisibility",
    "ShareLink",
    "Widget",
    "WidgetKind",
]


class DashboardKind(models.TextChoices):
    OVERVIEW = "overview", _("CX overview")
    TEAM = "team", _("Team")
    CUSTOM = "custom", _("Custom")


class DashboardVisibility(models.TextChoices):
    MEMBERS = "members", _("Every member of the organization")
    PRIVATE = "private", _("Only me (and owners and admins)")


class WidgetKind(models.TextChoices):
    METRIC_CARD = "metric_card", _("Metric card")
    TREND = "trend", _("Trend line")
    BREAKDOWN = "breakdown", _("Breakdown bar")
    DISTRIBUTION = "distribution", _("Distribution")
    VERBATIMS = "verbatims", _("Verbatim list")
    DRIVERS = "drivers", _("Driver matrix")
    CASE_METRICS = "case_metrics", _("Case metrics")


class Dashboard(OrgOwnedModel):
    """A page of widgets: the org's CX overview, a team's dashboard, or one built by a member."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=DashboardKind.choices, default=DashboardKind.CUSTOM
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
    )
    visibility = models.CharField(
        _("who can see it"),
        max_length=20,
        choices=DashboardVisibility.choices,
        default=DashboardVisibility.MEMBERS,
    )
    # Filters for the whole page (survey, period, touchpoint, channel, language, segment),
    # validated by closeloop.analytics.dashboards.schemas.PageFilters.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(kind="overview"),
                name="uniq_overview_dashboard",
            ),
            models.UniqueConstraint(
                fields=["team"], condition=models.Q(kind="team"), name="uniq_team_dashboard"
            ),
        ]
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")

    def __str__(self) -> str:
        return self.name


class Widget(OrgOwnedModel):
    """One figure, chart or list on a dashboard; `config` is validated by its kind's schema."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=WidgetKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["dashboard", "position"])]
        verbose_name = _("widget")
        verbose_name_plural = _("widgets")

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class ShareLink(OrgOwnedModel):
    """A secret read-only link to a dashboard: the token is shown once and stored hashed."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="share_links")
    label = models.CharField(_("label"), max_length=120, blank=True)
    # The first characters of the token, so a member can tell links apart; not enough to guess.
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self) -> str:
        return self.label or f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
