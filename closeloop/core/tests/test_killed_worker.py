"""A task left RUNNING by a worker killed with SIGKILL is run again by another worker."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from closeloop.core.models import WorkerHeartbeat
from closeloop.core.tests.conftest import wait_until
from closeloop.core.tests.tasks_for_tests import slow_once


def _status(task_id: str) -> str:
    return DBTaskResult.objects.get(id=task_id).status


def test_task_of_a_killed_worker_is_run_again_by_another_worker(
    start_worker: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    result = slow_once.enqueue(str(marker))

    first = start_worker("--worker-id", "first")
    wait_until(marker.exists, what="the task to start on the first worker")
    second = start_worker("--worker-id", "second")

    # While the first worker lives, its heartbeat goes on during the long task, and the
    # second worker's scheduler leaves the task alone even past WORKER_STALE_SECONDS (5).
    started_at = DBTaskResult.objects.get(id=result.id).started_at
    wait_until(
        lambda: (
            WorkerHeartbeat.objects.get(worker_id="first").last_seen
            > started_at + timedelta(seconds=6)
        ),
        timeout=30,
        what="the first worker's heartbeat during the task",
    )
    row = DBTaskResult.objects.get(id=result.id)
    assert (row.status, row.worker_ids) == (TaskResultStatus.RUNNING, ["first"])

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    wait_until(
        lambda: _status(result.id) == TaskResultStatus.SUCCESSFUL,
        timeout=60,
        what="the task to be recovered and finished",
    )

    row = DBTaskResult.objects.get(id=result.id)
    assert row.worker_ids == ["first", "second"]
    assert row.return_value == 2
    assert marker.read_text().splitlines() == ["started", "started"]
    assert second.poll() is None

    # A graceful stop: exit 0 and forget the heartbeat.
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert not WorkerHeartbeat.objects.filter(worker_id="second").exists()
