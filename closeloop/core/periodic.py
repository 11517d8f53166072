"""Periodic jobs: a registry of tasks to enqueue every so often, and the pass that enqueues them.

Every worker runs the pass; a PeriodicJob row per job holds when it is next due, and a run is
claimed by a conditional UPDATE on that time, so two workers never enqueue the same run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.tasks import Task
from django.utils import timezone

from closeloop.core.models import PeriodicJob

logger = logging.getLogger("closeloop.worker")


@dataclass(frozen=True)
class PeriodicSpec:
    """A task without arguments to enqueue every `every`."""

    name: str
    task: Task[[], Any]
    every: timedelta


REGISTRY: dict[str, PeriodicSpec] = {}


def register_periodic(name: str, task: Task[[], Any], every: timedelta) -> PeriodicSpec:
    if every <= timedelta(0):
        raise ValueError("every must be positive")
    spec = PeriodicSpec(name=name, task=task, every=every)
    REGISTRY[name] = spec
    return spec


def periodic(
    *, every: timedelta, name: str | None = None
) -> Callable[[Task[[], Any]], Task[[], Any]]:
    """Decorate a @task (taking no arguments) to be enqueued every `every`."""

    def register(t: Task[[], Any]) -> Task[[], Any]:
        register_periodic(name or t.module_path, t, every)
        return t

    return register


def run_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due; return the names of the jobs enqueued."""
    now = now or timezone.now()
    enqueued = []
    for spec in list(REGISTRY.values()):
        # A job seen for the first time is due at once.
        job, _ = PeriodicJob.objects.get_or_create(name=spec.name, defaults={"next_run_at": now})
        if job.next_run_at > now:
            continue
        next_run_at = job.next_run_at + spec.every
        if next_run_at <= now:
            # After downtime run once and start afresh rather than catching up every missed run.
            next_run_at = now + spec.every
        with transaction.atomic():
            claimed = PeriodicJob.objects.filter(
                name=spec.name, next_run_at=job.next_run_at
            ).update(next_run_at=next_run_at, last_run_at=now)
            if claimed:
                # In the same transaction: a failed enqueue leaves the run unclaimed.
                spec.task.enqueue()
        if claimed:
            logger.info("Enqueued periodic job %s; next run at %s", spec.name, next_run_at)
            enqueued.append(spec.name)
    return enqueued
