"""The demo's trigger rules and events: a mix of outcomes, and running it twice adds nothing."""

from __future__ import annotations

from collections import Counter

from closeloop.demo.events import seed_events
from closeloop.distribution.models import Event, TriggerRule
from conftest import Personas


def test_demo_events_show_every_kind_of_outcome(personas: Personas) -> None:
    seed_events(personas.org)
    assert TriggerRule.objects.filter(organization=personas.org).count() == 3
    events = Event.objects.filter(organization=personas.org)
    assert 35 <= events.count() <= 45
    outcomes = Counter(events.values_list("outcome", flat=True))
    assert outcomes["triggered"] and outcomes["suppressed"] and outcomes["no_rule"]
    results = Counter(d["result"] for e in events for d in e.details)
    reasons = Counter(d.get("reason") for e in events for d in e.details)
    assert results["scheduled"] and results["conditions_not_met"] and results["sampled_out"]
    assert reasons["min_days_between"]
    seed_events(personas.org)
    assert Event.objects.filter(organization=personas.org).count() == events.count()
    page = personas.client_for(personas.owner).get(f"/o/{personas.org.slug}/events/")
    assert page.status_code == 200
