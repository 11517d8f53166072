"""Reads for event-triggered surveys: events and what they did, trigger rules, frequency rules."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object
from closeloop.distribution.choices import EventOutcome, ListeningChannel, SuppressionReason
from closeloop.distribution.conditions import condition_label
from closeloop.distribution.events_services import (
    RESULT_CONDITIONS,
    RESULT_SAMPLED_OUT,
    RESULT_SCHEDULED,
    RESULT_SUPPRESSED,
)
from closeloop.distribution.frequency import org_policy
from closeloop.distribution.models import Event, FrequencyPolicy, TriggerRule

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


def access_event(*, organization: Organization, pk: Any) -> Event:
    """One event of the organization, or 404."""
    return access_object(Event.objects.select_related("contact"), organization=organization, pk=pk)


def access_trigger_rule(*, organization: Organization, pk: Any) -> TriggerRule:
    """One trigger rule of the organization, or 404."""
    return access_object(
        TriggerRule.objects.select_related("survey", "touchpoint", "template"),
        organization=organization,
        pk=pk,
    )


def _contact_q(contact: str) -> Q:
    """A contact given as its id, email or external id."""
    contact = contact.strip()
    try:
        return Q(contact_id=uuid.UUID(contact))
    except ValueError:
        pass
    return Q(contact__email=contact.lower()) | Q(contact__external_id=contact)


def event_list(
    *,
    organization: Organization,
    event_type: str | None = None,
    outcome: str | None = None,
    contact: str | None = None,
) -> QuerySet[Event]:
    """The organization's events, newest first, filtered by type, outcome and contact."""
    qs = Event.objects.filter(organization=organization).select_related("contact")
    if event_type:
        qs = qs.filter(event_type=event_type.strip())
    if outcome == EventOutcome.DUPLICATE:
        # Never an outcome of its own: the events whose id was sent more than once.
        qs = qs.filter(duplicates__gt=0)
    elif outcome:
        qs = qs.filter(outcome=outcome)
    if contact and contact.strip():
        qs = qs.filter(_contact_q(contact))
    return qs.order_by("-occurred_at", "-created_at")


def event_types_seen(*, organization: Organization) -> list[str]:
    """Every event type received or listened for, sorted (for the rule form's suggestions)."""
    received = Event.objects.filter(organization=organization).values_list("event_type", flat=True)
    listened = TriggerRule.objects.filter(organization=organization).values_list(
        "event_type", flat=True
    )
    return sorted(set(received.distinct()) | set(listened.distinct()))


def trigger_rule_list(
    *, organization: Organization, event_type: str | None = None
) -> QuerySet[TriggerRule]:
    """The organization's trigger rules by event type and name."""
    qs = TriggerRule.objects.filter(organization=organization).select_related(
        "survey", "touchpoint", "template"
    )
    if event_type:
        qs = qs.filter(event_type=event_type)
    return qs.order_by("event_type", "name", "created_at")


@dataclass(frozen=True)
class Policies:
    """The org-wide frequency rules and the surveys that have their own."""

    org: FrequencyPolicy
    overrides: list[FrequencyPolicy]


def frequency_policies(*, organization: Organization) -> Policies:
    """The org-wide policy (created with defaults if missing) and each survey's own."""
    overrides = list(
        FrequencyPolicy.objects.filter(organization=organization, survey__isnull=False)
        .select_related("survey")
        .order_by("survey__name")
    )
    return Policies(org=org_policy(organization), overrides=overrides)


def survey_policy(*, organization: Organization, survey: Any) -> FrequencyPolicy | None:
    """The survey's own frequency rules, or None when the org-wide ones apply."""
    return FrequencyPolicy.objects.filter(organization=organization, survey=survey).first()


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def detail_message(detail: dict[str, Any]) -> str:
    """What one trigger rule did with an event, in the reader's language and time zone."""
    result = detail.get("result")
    if result == RESULT_SCHEDULED:
        channel = detail.get("channel")
        if channel == ListeningChannel.WIDGET:
            return _(
                "Invitation scheduled for %(time)s (shown by the widget on the next visit)"
            ) % {"time": _when(detail.get("send_after"))}
        return _("Invitation scheduled for %(time)s") % {"time": _when(detail.get("send_after"))}
    if result == RESULT_CONDITIONS:
        condition = detail.get("condition") or {}
        actual = detail.get("actual")
        shown = _("not set") if actual is None else str(actual)
        return _("Conditions not met: %(condition)s (was %(actual)s)") % {
            "condition": condition_label(condition),
            "actual": shown,
        }
    if result == RESULT_SAMPLED_OUT:
        return _("Sampled out (%(percent)s%% of events are sampled)") % {
            "percent": detail.get("sample_percent", "")
        }
    if result == RESULT_SUPPRESSED:
        reason = detail.get("reason") or ""
        label = SuppressionReason(reason).label if reason in SuppressionReason.values else reason
        return _("Not sent: %(reason)s") % {"reason": label}
    return str(result or "")


def event_details(event: Event) -> list[dict[str, Any]]:
    """The event's per-rule details, each with a readable `message`."""
    return [{**d, "message": detail_message(d)} for d in (event.details or [])]
