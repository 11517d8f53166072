"""Objects of the events part for other tests (the tenant-isolation walker)."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.distribution.events_services import event_ingest, trigger_rule_create
from closeloop.distribution.models import Event, TriggerRule
from closeloop.responses.testing import five_question_definition, publish_survey


def isolation_event(organization: Organization) -> Event:
    """An event of the organization."""
    return event_ingest(
        organization=organization,
        contact={"email": "isolation-event@example.com"},
        event_type="isolation",
    ).event


def isolation_rule(organization: Organization) -> TriggerRule:
    """A trigger rule of the organization, on a published survey."""
    survey = publish_survey(organization, five_question_definition(), name="Isolation trigger")
    return trigger_rule_create(
        organization=organization,
        actor=None,
        data={"name": "Isolation", "event_type": "isolation", "survey": survey},
    )
