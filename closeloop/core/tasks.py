"""Helpers for background tasks: transactional enqueue, retry policies, and core's own tasks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.tasks import Task, task
from django_tasks_db.backend import DatabaseBackend

from closeloop.core.periodic import periodic
from closeloop.core.services import finished_tasks_prune


def enqueue_on_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` so that it runs only if the surrounding transaction commits.

    With the database backend the task row is written inside the caller's transaction: it
    becomes visible to workers on commit, vanishes on rollback, and unlike an on_commit hook
    cannot be lost if the process dies between the commit and the hook.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing task is tried again."""

    max_attempts: int
    base_delay: float
    max_delay: float

    def delay(self, attempt: int) -> timedelta:
        """Backoff after the given (1-based) failed attempt, with jitter so retries spread out."""
        seconds = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return timedelta(seconds=seconds * random.uniform(1.0, 1.1))


# Keyed by Task.module_path, which is what a DBTaskResult row stores as task_path.
RETRY_POLICIES: dict[str, RetryPolicy] = {}


def retrying(
    *, max_attempts: int = 5, base_delay: float = 30, max_delay: float = 3600
) -> Callable[[Task[Any, Any]], Task[Any, Any]]:
    """Decorate a @task so the worker runs it again with exponential backoff when it raises."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    policy = RetryPolicy(max_attempts=max_attempts, base_delay=base_delay, max_delay=max_delay)

    def register(t: Task[Any, Any]) -> Task[Any, Any]:
        RETRY_POLICIES[t.module_path] = policy
        return t

    return register


def retry_policy_for(task_path: str) -> RetryPolicy | None:
    return RETRY_POLICIES.get(task_path)


@periodic(every=timedelta(days=1), name="core.prune_finished_tasks")
@task
def prune_finished_tasks() -> int:
    return finished_tasks_prune()
