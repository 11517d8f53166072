"""Reads shared by every app: the activity log, the state of background work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from closeloop.core.models import Activity, WorkerHeartbeat

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


def activity_list(*, organization: Organization, verb: str | None = None) -> QuerySet[Activity]:
    qs = Activity.objects.filter(organization=organization).select_related("actor")
    if verb:
        qs = qs.filter(verb=verb)
    return qs


@dataclass(frozen=True)
class TaskStats:
    """Background work at a glance: task counts by status, how long the queue waits, workers."""

    counts: dict[str, int]
    oldest_ready_age: timedelta | None
    live_workers: int


def task_stats() -> TaskStats:
    now = timezone.now()
    counts = {status: 0 for status in TaskResultStatus.values}
    for row in DBTaskResult.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    # A task waits from when it was enqueued, or, if deferred (a retry), from its run_after.
    ready = DBTaskResult.objects.ready().order_by()
    waiting_since = [
        ready.filter(run_after=get_date_max()).aggregate(t=Min("enqueued_at"))["t"],
        ready.exclude(run_after=get_date_max()).aggregate(t=Min("run_after"))["t"],
    ]
    oldest = min((t for t in waiting_since if t is not None), default=None)
    live = WorkerHeartbeat.objects.filter(
        last_seen__gte=now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    ).count()
    return TaskStats(
        counts=counts,
        oldest_ready_age=now - oldest if oldest is not None else None,
        live_workers=live,
    )
