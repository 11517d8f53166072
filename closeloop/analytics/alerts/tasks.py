"""Periodic jobs of alerts and digests (imported by closeloop/analytics/tasks.py, which the
worker discovers): both hourly, both idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from closeloop.core.periodic import periodic


@periodic(every=timedelta(hours=1), name="analytics.alerts_evaluate")
@task
def alerts_evaluate_task() -> int:
    """Check every active alert rule; one event per rule and period, notified once."""
    from closeloop.analytics.alerts.evaluation import alerts_evaluate

    return alerts_evaluate()


@periodic(every=timedelta(hours=1), name="analytics.digests_send")
@task
def digests_send_task() -> int:
    """Send the weekly team digests whose time has come (once per team and week)."""
    from closeloop.analytics.alerts.digest_services import digests_send_due

    return digests_send_due()
