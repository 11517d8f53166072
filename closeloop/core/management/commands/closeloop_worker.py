"""Run a closeloop worker: background tasks, retries, heartbeat, recovery and periodic jobs."""

from __future__ import annotations

import signal
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import (
    valid_interval,
    valid_max_tasks,
    validate_worker_id,
)

from closeloop.core.worker import Worker, default_worker_id


def _queue_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise ArgumentTypeError("give at least one queue name, or * for every queue")
    return names


class Command(BaseCommand):
    help = (
        "Run a worker: claim queued tasks, retry failures, recover stuck tasks, run periodic jobs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            type=_queue_names,
            default=["*"],
            dest="queue_names",
            help="queues to process, comma-separated; * for all (default: *)",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="seconds to wait when no task is ready (default: 1)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run every ready task, then exit",
        )
        parser.add_argument(
            "--max-tasks",
            type=valid_max_tasks,
            default=None,
            help="exit after running this many tasks",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="do not recover stuck tasks or enqueue periodic jobs in this worker",
        )
        parser.add_argument(
            "--worker-id",
            type=validate_worker_id,
            default=None,
            help="unique id of this worker (default: host-pid-random)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(
            queue_names=options["queue_names"],
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"] or default_worker_id(),
            startup_delay=not options["batch"],
            scheduler=options["scheduler"],
        )
        self.stdout.write(
            _("closeloop worker %(id)s started: queues %(queues)s, scheduler %(scheduler)s")
            % {
                "id": worker.worker_id,
                "queues": ",".join(worker.queue_names),
                "scheduler": _("on") if worker.scheduler else _("off"),
            }
        )
        self.stdout.flush()
        # The first SIGINT/SIGTERM lets the current task finish; restore the old handlers
        # afterwards so an in-process caller (the CLI, a test) is left as it was.
        signals = [signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", signal.SIGTERM)]
        previous = {sig: signal.getsignal(sig) for sig in signals}
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
