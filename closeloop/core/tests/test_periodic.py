"""Periodic jobs: each due run is enqueued exactly once, however many workers look at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from closeloop.core import periodic
from closeloop.core.models import PeriodicJob
from closeloop.core.tests.tasks_for_tests import always_fails, noop, record


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(periodic, "REGISTRY", {})
    yield


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry")
def test_concurrent_scheduler_passes_enqueue_a_due_job_once() -> None:
    periodic.register_periodic("test.noop", noop, every=timedelta(hours=1))
    now = timezone.now()
    barrier = threading.Barrier(2)
    enqueued: list[list[str]] = []

    def scheduler_pass() -> None:
        try:
            barrier.wait()
            enqueued.append(periodic.run_due_jobs(now=now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(enqueued) == [[], ["test.noop"]]
    assert DBTaskResult.objects.filter(task_path=noop.module_path).count() == 1
    job = PeriodicJob.objects.get(name="test.noop")
    assert job.next_run_at == now + timedelta(hours=1)
    assert job.last_run_at == now


@pytest.mark.django_db
@pytest.mark.usefixtures("registry")
def test_next_run_advances_and_a_long_downtime_runs_once() -> None:
    periodic.register_periodic("test.noop", noop, every=timedelta(hours=1))
    now = timezone.now()

    assert periodic.run_due_jobs(now=now) == ["test.noop"]
    assert periodic.run_due_jobs(now=now + timedelta(minutes=59)) == []
    assert periodic.run_due_jobs(now=now + timedelta(hours=1)) == ["test.noop"]
    assert PeriodicJob.objects.get().next_run_at == now + timedelta(hours=2)
    # Down for a day: one run, then every hour from now on.
    later = now + timedelta(days=1)
    assert periodic.run_due_jobs(now=later) == ["test.noop"]
    assert periodic.run_due_jobs(now=later) == []
    assert PeriodicJob.objects.get().next_run_at == later + timedelta(hours=1)
    assert DBTaskResult.objects.filter(task_path=noop.module_path).count() == 3


@pytest.mark.django_db(transaction=True)
def test_prune_finished_tasks_runs_daily_and_keeps_recent_results(
    run_worker: Callable[..., str], tmp_path: object
) -> None:
    import closeloop.core.tasks  # noqa: F401  registers core.prune_finished_tasks

    ages = {"ok_old": 15, "ok_recent": 13, "failed_old": 31, "failed_recent": 20}
    ids = {}
    for name in ages:
        task = always_fails if name.startswith("failed") else record
        args = () if task is always_fails else (f"{tmp_path}/{name}",)
        ids[name] = task.enqueue(*args).id
    run_worker()
    for name, days in ages.items():
        DBTaskResult.objects.filter(id=ids[name]).update(
            finished_at=timezone.now() - timedelta(days=days)
        )

    assert "core.prune_finished_tasks" in periodic.run_due_jobs()
    run_worker()

    remaining = set(DBTaskResult.objects.values_list("id", flat=True))
    assert {str(i) for i in remaining} >= {ids["ok_recent"], ids["failed_recent"]}
    assert ids["ok_old"] not in {str(i) for i in remaining}
    assert ids["failed_old"] not in {str(i) for i in remaining}
    prune = DBTaskResult.objects.get(task_path="closeloop.core.tasks.prune_finished_tasks")
    assert prune.status == TaskResultStatus.SUCCESSFUL
    assert prune.return_value == 2
    assert PeriodicJob.objects.get(name="core.prune_finished_tasks").next_run_at > timezone.now()
