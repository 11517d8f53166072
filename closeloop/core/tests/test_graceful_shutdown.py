"""SIGTERM while a task runs: the worker finishes the task, then exits 0."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from closeloop.core.tests.conftest import wait_until
from closeloop.core.tests.tasks_for_tests import slow_once


def test_sigterm_lets_the_running_task_finish(
    start_worker: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    result = slow_once.enqueue(str(marker), seconds=2)
    worker = start_worker("--no-scheduler")
    wait_until(marker.exists, what="the task to start")

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
