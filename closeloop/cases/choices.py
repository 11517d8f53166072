"""Case statuses, priorities, timeline kinds and the transitions allowed between statuses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER: list[str] = [
    CasePriority.LOW,
    CasePriority.NORMAL,
    CasePriority.HIGH,
    CasePriority.URGENT,
]


def priority_raised(priority: str) -> str:
    """One step up (urgent stays urgent)."""
    index = PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else 1
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


class CaseEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    NOTE = "note", _("Internal note")
    REPLY_SENT = "reply_sent", _("Reply sent")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    ESCALATED = "escalated", _("Escalated")
    FOLLOW_UP_SENT = "follow_up_sent", _("Follow-up sent")
    FOLLOW_UP_ANSWERED = "follow_up_answered", _("Follow-up answered")
    FOLLOW_UP_SKIPPED = "follow_up_skipped", _("Follow-up not sent")
    EMAIL_FAILED = "email_failed", _("Email not delivered")
    TAGGED = "tagged", _("Tagged")
    UNTAGGED = "untagged", _("Tags removed")
    ROOT_CAUSE_SET = "root_cause_set", _("Root cause set")


class AssigneeStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin within the team")
    LEAST_OPEN = "least_open", _("Fewest open cases within the team")
    NONE = "none", _("Leave unassigned")


# Statuses in which the customer still waits for us.
ACTIVE_STATUSES = frozenset(
    {CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.REOPENED}
)
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# Statuses in which the SLA clock runs: waiting on the customer pauses it.
SLA_CLOCK_STATUSES = ACTIVE_STATUSES - {CaseStatus.WAITING}

# from -> allowed targets. Resolving goes through case_resolve (root cause + note).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.REOPENED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.REOPENED}),
    CaseStatus.REOPENED: frozenset(
        {CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
}

# The root causes every organization starts with (names are data, written in the org's language).
DEFAULT_ROOT_CAUSES = [
    ("product-defect", _("Product defect")),
    ("delivery-delay", _("Delivery delay")),
    ("billing-error", _("Billing error")),
    ("missing-feature", _("Missing feature")),
    ("staff-behaviour", _("Staff behaviour")),
    ("website-usability", _("Website usability")),
    ("expectation-mismatch", _("Expectation mismatch")),
    ("other", _("Other")),
]

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
