"""Choices of the outer loop: initiative statuses and targets, announcements, ideas."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("initiative status", "Proposed")
    PLANNED = "planned", pgettext_lazy("initiative status", "Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("initiative status", "In progress")
    SHIPPED = "shipped", pgettext_lazy("initiative status", "Shipped")
    MEASURED = "measured", pgettext_lazy("initiative status", "Measured")
    DROPPED = "dropped", pgettext_lazy("initiative status", "Dropped")


# Which status may follow which (one transition service enforces it).
INITIATIVE_TRANSITIONS: dict[str, frozenset[str]] = {
    InitiativeStatus.PROPOSED: frozenset({"planned", "in_progress", "dropped"}),
    InitiativeStatus.PLANNED: frozenset({"proposed", "in_progress", "shipped", "dropped"}),
    InitiativeStatus.IN_PROGRESS: frozenset({"planned", "shipped", "dropped"}),
    InitiativeStatus.SHIPPED: frozenset({"in_progress", "measured"}),
    InitiativeStatus.MEASURED: frozenset({"shipped"}),
    InitiativeStatus.DROPPED: frozenset({"proposed"}),
}

OPEN_STATUSES = ("proposed", "planned", "in_progress")


class InitiativeOrigin(models.TextChoices):
    MANUAL = "manual", _("By hand")
    THEME = "theme", _("From a theme")
    ROOT_CAUSE = "root_cause", _("From a root cause")
    CASES = "cases", _("From cases")
    IDEA = "idea", _("From an idea")


class TargetMetric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")
    THEME_SHARE = "theme_share", _("Theme share of comments")


class DecisionKind(models.TextChoices):
    INITIATIVE = "initiative", _("Start or change an initiative")
    WATCH = "watch", _("Watch it")
    NO_ACTION = "no_action", _("No action")
    ESCALATE = "escalate", _("Escalate")


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("announcement status", "Draft")
    SENDING = "sending", pgettext_lazy("announcement status", "Sending")
    SENT = "sent", pgettext_lazy("announcement status", "Sent")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("recipient status", "Waiting")
    SENT = "sent", pgettext_lazy("recipient status", "Sent")
    OPENED = "opened", pgettext_lazy("recipient status", "Opened")
    SKIPPED = "skipped", pgettext_lazy("recipient status", "Not sent")
    FAILED = "failed", pgettext_lazy("recipient status", "Failed")


class PortalVisibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone with the link")
    MEMBERS = "members", _("Members only: known customers")


class IdeaStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("idea status", "Awaiting moderation")
    OPEN = "open", pgettext_lazy("idea status", "Open")
    UNDER_REVIEW = "under_review", pgettext_lazy("idea status", "Under review")
    PLANNED = "planned", pgettext_lazy("idea status", "Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("idea status", "In progress")
    SHIPPED = "shipped", pgettext_lazy("idea status", "Shipped")
    DECLINED = "declined", pgettext_lazy("idea status", "Declined")
    MERGED = "merged", pgettext_lazy("idea status", "Merged")
    REJECTED = "rejected", pgettext_lazy("idea status", "Removed by moderator")


# Statuses shown on the portal (the rest are staff-only).
PUBLIC_IDEA_STATUSES = ("open", "under_review", "planned", "in_progress", "shipped", "declined")
