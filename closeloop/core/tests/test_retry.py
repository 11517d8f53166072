"""Retries: a task with a retry policy goes back to READY with a growing delay until it succeeds
or its attempts are used up; a task without one fails at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from closeloop.core.tasks import RetryPolicy
from closeloop.core.tests.tasks_for_tests import always_fails, always_fails_with_retries, flaky

pytestmark = pytest.mark.django_db(transaction=True)


def _time_passes(row: DBTaskResult) -> None:
    DBTaskResult.objects.filter(id=row.id).update(run_after=timezone.now())


def test_failing_task_is_retried_with_backoff_until_it_succeeds(
    run_worker: Callable[..., str],
) -> None:
    result = flaky.enqueue()
    row = DBTaskResult.objects.get(id=result.id)
    run_afters = []

    for attempt in (1, 2):
        before = timezone.now()
        run_worker()
        row.refresh_from_db()
        assert row.status == TaskResultStatus.READY
        assert len(row.worker_ids) == attempt
        delay = timedelta(seconds=30 * 2 ** (attempt - 1))
        assert before + delay <= row.run_after <= timezone.now() + delay * 1.1
        assert row.exception_class_path == "builtins.RuntimeError"
        run_afters.append(row.run_after)
        run_worker()  # not due yet: nothing runs
        row.refresh_from_db()
        assert len(row.worker_ids) == attempt
        _time_passes(row)

    run_worker()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 3
    assert row.return_value == 3
    assert row.traceback == ""
    assert run_afters[1] > run_afters[0]


def test_task_fails_when_its_attempts_are_used_up(run_worker: Callable[..., str]) -> None:
    result = always_fails_with_retries.enqueue()
    row = DBTaskResult.objects.get(id=result.id)

    run_worker()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    _time_passes(row)
    run_worker()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert len(row.worker_ids) == 2
    assert "always fails" in row.traceback


def test_task_without_retry_policy_fails_once(run_worker: Callable[..., str]) -> None:
    result = always_fails.enqueue()

    run_worker()
    run_worker()

    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert len(row.worker_ids) == 1
    assert row.exception_class_path == "builtins.RuntimeError"


def test_backoff_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=30, max_delay=3600)

    delays = [policy.delay(attempt).total_seconds() for attempt in (1, 2, 3, 9)]

    assert 30 <= delays[0] <= 33
    assert 60 <= delays[1] <= 66
    assert 120 <= delays[2] <= 132
    assert 3600 <= delays[3] <= 3960
