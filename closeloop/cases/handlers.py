"""Start-up wiring of cases: readable labels for the activity verbs its services record, and
the outbox hooks of case emails (consent check of follow-ups, failed replies on the timeline)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from closeloop.cases import followup  # noqa: F401  (registers the outbox check and hooks)
from closeloop.core.verbs import register_verbs

register_verbs(
    {
        "case.created": _("opened a case"),
        "case.status_changed": _("changed a case's status"),
        "case.assigned": _("assigned a case"),
        "case.priority_changed": _("changed a case's priority"),
        "case.tagged": _("tagged a case"),
        "case.untagged": _("removed tags from a case"),
        "case.note_added": _("added an internal note"),
        "case.replied": _("replied to a customer"),
        "case.sla_breached": _("a case breached its SLA"),
        "case.follow_up_answered": _("the customer answered the follow-up"),
        "root_cause.created": _("added a root cause"),
        "root_cause.updated": _("changed a root cause"),
        "root_cause.deleted": _("deleted a root cause"),
        "sla_policy.created": _("added an SLA policy"),
        "sla_policy.updated": _("changed an SLA policy"),
        "sla_policy.deleted": _("deleted an SLA policy"),
        "business_hours.updated": _("changed the business hours"),
        "holiday.added": _("added a holiday"),
        "holiday.deleted": _("removed a holiday"),
        "reply_template.created": _("added a reply template"),
        "reply_template.updated": _("changed a reply template"),
        "reply_template.deleted": _("deleted a reply template"),
    }
)
