"""The scheduler pass: tasks of silent workers are queued again, or given up after too many
lost attempts; heartbeats of long-dead workers are removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from closeloop.core.models import WorkerHeartbeat
from closeloop.core.tests.tasks_for_tests import always_fails_with_retries, noop
from closeloop.core.worker import prune_dead_heartbeats, recover_stale_tasks

pytestmark = pytest.mark.django_db


def _running(result_id: str, worker_ids: list[str], minutes_ago: float) -> None:
    DBTaskResult.objects.filter(id=result_id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _beat(worker_id: str, minutes_ago: float) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, last_seen=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_only_tasks_of_silent_workers_are_queued_again() -> None:
    alive, silent, unknown, just_started = (noop.enqueue().id for _ in range(4))
    _beat("alive", minutes_ago=0)
    _beat("silent", minutes_ago=10)
    _running(alive, ["alive"], minutes_ago=60)
    _running(silent, ["silent"], minutes_ago=60)
    _running(unknown, ["never-beat"], minutes_ago=60)
    _running(just_started, ["never-beat-2"], minutes_ago=0)

    assert recover_stale_tasks() == 2

    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert {str(k): v for k, v in status.items()} == {
        alive: TaskResultStatus.RUNNING,
        silent: TaskResultStatus.READY,
        unknown: TaskResultStatus.READY,
        just_started: TaskResultStatus.RUNNING,
    }
    assert recover_stale_tasks() == 0


def test_task_that_keeps_losing_its_worker_is_given_up() -> None:
    plain = noop.enqueue().id
    with_policy = always_fails_with_retries.enqueue().id  # max_attempts=2
    _running(plain, ["a", "b", "c"], minutes_ago=60)
    _running(with_policy, ["a", "b"], minutes_ago=60)

    assert recover_stale_tasks() == 0

    for result_id in (plain, with_policy):
        row = DBTaskResult.objects.get(id=result_id)
        assert row.status == TaskResultStatus.FAILED
        assert row.exception_class_path == "closeloop.core.worker.WorkerLost"


def test_heartbeats_of_long_dead_workers_are_removed() -> None:
    _beat("recent", minutes_ago=5)
    _beat("dead", minutes_ago=24 * 60)

    assert prune_dead_heartbeats() == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]
