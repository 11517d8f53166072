"""task_stats(): what the check command and pages show about background work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from closeloop.core.models import WorkerHeartbeat
from closeloop.core.selectors import task_stats
from closeloop.core.tests.tasks_for_tests import always_fails, noop


@pytest.mark.django_db(transaction=True)
def test_task_stats_counts_tasks_and_live_workers(run_worker: Callable[..., str]) -> None:
    noop.enqueue()
    always_fails.enqueue()
    run_worker()
    waiting = noop.enqueue()
    DBTaskResult.objects.filter(id=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    noop.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()  # not due: not waiting
    WorkerHeartbeat.objects.create(worker_id="alive", last_seen=timezone.now())
    WorkerHeartbeat.objects.create(worker_id="dead", last_seen=timezone.now() - timedelta(days=1))

    stats = task_stats()

    assert stats.counts == {"READY": 2, "RUNNING": 0, "SUCCESSFUL": 1, "FAILED": 1}
    assert stats.oldest_ready_age is not None
    assert timedelta(minutes=10) <= stats.oldest_ready_age < timedelta(minutes=11)
    assert stats.live_workers == 1


@pytest.mark.django_db
def test_task_stats_of_an_idle_system() -> None:
    stats = task_stats()

    assert stats.counts == {"READY": 0, "RUNNING": 0, "SUCCESSFUL": 0, "FAILED": 0}
    assert stats.oldest_ready_age is None
    assert stats.live_workers == 0
