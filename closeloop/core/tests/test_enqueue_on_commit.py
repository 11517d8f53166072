"""enqueue_on_commit: a task runs only if the transaction that enqueued it commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from closeloop.core.tasks import enqueue_on_commit
from closeloop.core.tests.tasks_for_tests import record

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_enqueued_in_a_rolled_back_transaction_never_runs(
    run_worker: Callable[..., str], tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(record, str(marker))
        raise RuntimeError("the business write failed")

    assert not DBTaskResult.objects.exists()
    run_worker()
    assert not marker.exists()


def test_task_enqueued_in_a_committed_transaction_runs_once(
    run_worker: Callable[..., str], tmp_path: Path
) -> None:
    marker = tmp_path / "runs.txt"
    with transaction.atomic():
        enqueue_on_commit(record, str(marker))

    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    output = run_worker()
    run_worker()

    assert "closeloop worker" in output
    assert marker.read_text() == "run\n"
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 1
