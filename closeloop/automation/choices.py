"""Choices of the automation app: triggers (a registry later issues extend), match modes,
subjects and action outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class SubjectType(models.TextChoices):
    RESPONSE = "response", _("Response")
    CASE = "case", _("Case")
    CONTACT = "contact", _("Contact")


@dataclass(frozen=True)
class Trigger:
    """An event rules can listen to and the kind of object it is about."""

    name: str
    label: str | Promise
    subject: SubjectType


TRIGGERS: dict[str, Trigger] = {}


def trigger_register(name: str, label: str | Promise, subject: SubjectType) -> Trigger:
    """Make an event available as a rule trigger (later apps add e.g. comment.enriched).

    The app emitting the event must also be subscribed to in automation.handlers, or call
    `automation.handlers.listen(name)` from its own ready()."""
    trigger = Trigger(name, label, subject)
    TRIGGERS[name] = trigger
    return trigger


RESPONSE_COMPLETED = trigger_register(
    "response.completed", _("A response is completed"), SubjectType.RESPONSE
)
CASE_CREATED = trigger_register("case.created", _("A case is created"), SubjectType.CASE)
CASE_CHANGED = trigger_register("case.changed", _("A case changes"), SubjectType.CASE)
CASE_REOPENED = trigger_register("case.reopened", _("A case is reopened"), SubjectType.CASE)
CASE_SLA_BREACHED = trigger_register(
    "case.sla_breached", _("A case breaches its SLA"), SubjectType.CASE
)
CONTACT_UNSUBSCRIBED = trigger_register(
    "contact.unsubscribed", _("A contact unsubscribes"), SubjectType.CONTACT
)


def trigger_choices() -> list[tuple[str, str]]:
    return [(t.name, str(t.label)) for t in TRIGGERS.values()]


class MatchMode(models.TextChoices):
    ALL = "all", _("all conditions hold")
    ANY = "any", _("any condition holds")


class ActionStatus(models.TextChoices):
    OK = "ok", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class AssigneeStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin within the team")
    LEAST_OPEN = "least_open", _("Fewest open cases within the team")
    NONE = "none", _("Leave unassigned")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")
