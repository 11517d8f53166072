"""Background tasks of automation: run the rules of one event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.tasks import task

from closeloop.core.periodic import periodic
from closeloop.core.tasks import retrying


@retrying(max_attempts=5, base_delay=30, max_delay=1800)
@task
def automation_run_event(
    trigger: str,
    subject_type: str,
    subject_id: str,
    event_key: str,
    organization_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Evaluate the rules for one event and run matching actions; returns how many matched.
    Running it again for the same event does nothing new."""
    from closeloop.automation.engine import event_run

    runs = event_run(
        trigger=trigger,
        subject_type=subject_type,
        subject_id=subject_id,
        event_key=event_key,
        organization_id=organization_id,
        payload=payload,
    )
    return sum(1 for r in runs if r.matched)


@periodic(every=timedelta(days=1), name="automation.prune_runs")
@task
def automation_prune_runs() -> int:
    """Forget the runs of rules that did not match, after 30 days."""
    from closeloop.automation.engine import runs_prune

    return runs_prune()
