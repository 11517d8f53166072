"""Our worker: django_tasks_db's Worker plus retries with backoff, a heartbeat, recovery of tasks
left running by a dead worker, and the periodic-job scheduler.

Tasks are claimed by django_tasks_db (SELECT ... FOR UPDATE SKIP LOCKED, exclusive on SQLite).
Every status change made here is a conditional UPDATE fenced on the claim's `started_at`, so a
worker that lost a task to recovery cannot overwrite what the new owner does with it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from traceback import format_exception
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connections
from django.tasks import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules, import_string
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import retry

from closeloop.core.models import WorkerHeartbeat
from closeloop.core.periodic import run_due_jobs
from closeloop.core.tasks import retry_policy_for

logger = logging.getLogger("closeloop.worker")

# A task whose worker died this many times is given up, so one that kills its worker
# (out of memory, say) cannot take every worker down forever. A retry policy overrides it.
DEFAULT_MAX_RECOVERIES = 3


class WorkerLost(Exception):
    """The worker running a task stopped without finishing it, too many times."""


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"


def heartbeat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "last_seen": timezone.now(),
        },
    )


def _fail(row_filter: dict[str, Any], exc: BaseException) -> int:
    return DBTaskResult.objects.filter(**row_filter).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
        traceback="".join(format_exception(exc)),
        return_value=None,
    )


def _max_attempts(task_path: str) -> int:
    try:
        import_string(task_path)  # registers the task's retry policy, if it has one
    except ImportError:
        return DEFAULT_MAX_RECOVERIES
    policy = retry_policy_for(task_path)
    return policy.max_attempts if policy else DEFAULT_MAX_RECOVERIES


def recover_stale_tasks(*, now: datetime | None = None) -> int:
    """Put RUNNING tasks whose worker went silent back to READY; return how many."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    beats = dict(WorkerHeartbeat.objects.values_list("worker_id", "last_seen"))
    recovered = 0
    running = DBTaskResult.objects.running().order_by()
    for task_id, task_path, worker_ids, started_at in running.values_list(
        "id", "task_path", "worker_ids", "started_at"
    ):
        worker_id = worker_ids[-1] if worker_ids else ""
        last_seen = beats.get(worker_id)
        if last_seen is None:
            # No heartbeat row: a worker that never wrote one, or one removed long ago.
            last_seen = started_at
        if last_seen is not None and last_seen >= stale_before:
            continue
        row = {"id": task_id, "status": TaskResultStatus.RUNNING, "started_at": started_at}
        if len(worker_ids) >= _max_attempts(task_path):
            lost = WorkerLost(f"worker {worker_id} stopped; {len(worker_ids)} attempts used")
            if _fail(row, lost):
                logger.error("Task id=%s path=%s given up: %s", task_id, task_path, lost)
            continue
        if DBTaskResult.objects.filter(**row).update(status=TaskResultStatus.READY):
            recovered += 1
            logger.warning(
                "Task id=%s path=%s was left running by worker %s (last seen %s); queued again",
                task_id,
                task_path,
                worker_id,
                last_seen,
            )
    return recovered


def prune_dead_heartbeats(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    keep = max(timedelta(hours=1), timedelta(seconds=10 * settings.WORKER_STALE_SECONDS))
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - keep).delete()
    return deleted


def scheduler_pass() -> None:
    """One pass of housekeeping; every worker runs it, and any number may run at once."""
    recover_stale_tasks()
    prune_dead_heartbeats()
    run_due_jobs()


class _Ticker(threading.Thread):
    """Calls `fn` every `interval` seconds on its own database connection until stopped."""

    def __init__(self, name: str, interval: float, fn: Callable[[], object]) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.fn = fn
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    self.fn()
                except Exception:
                    # Keep going: a heartbeat thread that dies would get our tasks re-run.
                    logger.exception("Worker %s thread failed; trying again", self.name)
                self.stopped.wait(self.interval)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


class Worker(DbWorker):
    """django_tasks_db's worker with retries, a heartbeat thread and a scheduler thread."""

    def __init__(self, *, background: bool = True, scheduler: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("backend_name", "default")
        kwargs.setdefault("excluded_queue_names", [])
        kwargs.setdefault("startup_delay", False)
        kwargs.setdefault("max_tasks", None)
        kwargs.setdefault("worker_id", default_worker_id())
        super().__init__(**kwargs)
        # Without background threads (tests on one connection) there is no heartbeat either.
        self.background = background
        self.scheduler = scheduler and background

    def run(self) -> None:
        tickers: list[_Ticker] = []
        if self.background:
            heartbeat(self.worker_id)  # before the first claim, so every claim is covered
            beat = partial(heartbeat, self.worker_id)
            tickers.append(_Ticker("heartbeat", settings.WORKER_HEARTBEAT_SECONDS, beat))
        if self.scheduler:
            autodiscover_modules("tasks")  # registers every app's periodic jobs
            interval = min(5.0, settings.WORKER_HEARTBEAT_SECONDS)
            tickers.append(_Ticker("scheduler", interval, scheduler_pass))
        for ticker in tickers:
            ticker.start()
        try:
            super().run()
        finally:
            for ticker in tickers:
                ticker.stop()
            if self.background:
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        self.running_task = True
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=task_result)
            args, kwargs = task_result.args, task_result.kwargs
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *args, **kwargs)
            else:
                value = task.call(*args, **kwargs)
            db_task_result.set_successful(value)
            task_finished.send(sender=sender, task_result=db_task_result.task_result)
        except Exception as exc:
            if not self._retry_later(db_task_result, exc):
                db_task_result.set_failed(exc)
                self._send_finished(db_task_result)
        except BaseException:
            # Forced shutdown (a second Ctrl-C): hand the task back rather than fail it.
            DBTaskResult.objects.filter(
                id=db_task_result.id,
                status=TaskResultStatus.RUNNING,
                started_at=db_task_result.started_at,
            ).update(status=TaskResultStatus.READY)
            raise
        finally:
            self.running_task = False
            self._run_tasks += 1

    @retry()
    def _retry_later(self, db_task_result: DBTaskResult[Any, Any], exc: Exception) -> bool:
        policy = retry_policy_for(db_task_result.task_path)
        attempt = len(db_task_result.worker_ids)
        if policy is None or attempt >= policy.max_attempts:
            return False
        delay = policy.delay(attempt)
        DBTaskResult.objects.filter(
            id=db_task_result.id,
            status=TaskResultStatus.RUNNING,
            started_at=db_task_result.started_at,
        ).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now() + delay,
            # Kept for whoever looks at a task that keeps failing; cleared on success.
            exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
            traceback="".join(format_exception(exc)),
        )
        logger.warning(
            "Task id=%s path=%s failed (attempt %d of %d); retrying in %ds: %r",
            db_task_result.id,
            db_task_result.task_path,
            attempt,
            policy.max_attempts,
            delay.total_seconds(),
            exc,
        )
        return True

    def _send_finished(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        try:
            sender = type(db_task_result.task.get_backend())
            task_result = db_task_result.task_result
        except (ImportError, SuspiciousOperation):
            logger.exception("Task id=%s failed unexpectedly", db_task_result.id)
        else:
            task_finished.send(sender=sender, task_result=task_result)


def run_ready_tasks(*, queue_names: list[str] | None = None) -> int:
    """Run every task that is ready, in this process and on this connection; for tests."""
    worker = Worker(queue_names=queue_names or ["*"], interval=0, batch=True, background=False)
    worker.run()
    return worker._run_tasks
