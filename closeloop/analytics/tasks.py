"""Background work of analytics: keep the daily rollups current (registered by the worker)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from closeloop.analytics import tasks_exports  # noqa: F401 - registers the exports' cleanup job
from closeloop.analytics.alerts import tasks as alerts_tasks  # noqa: F401 - alerts and digests
from closeloop.core.periodic import periodic


@periodic(every=timedelta(minutes=1), name="analytics.rollups_refresh")
@task
def rollups_refresh_task() -> int:
    """Rebuild organizations whose rollups are stale, then recompute dirty days."""
    from closeloop.analytics.services import rollups_refresh

    return rollups_refresh()
