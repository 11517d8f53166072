"""Tasks the worker tests enqueue; a worker started in another process imports them by path."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.tasks import TaskContext, task

from closeloop.core.tasks import retrying


def _append(path: str, line: str) -> int:
    with Path(path).open("a") as f:
        f.write(line + "\n")
    return len(Path(path).read_text().splitlines())


@task
def record(path: str) -> int:
    """Append a line to `path`: the test reads how often the task ran."""
    return _append(path, "run")


@task
def slow_once(path: str, seconds: float = 300) -> int:
    """Record the start, then sleep on the first run only, as an idempotent task would skip
    work already done."""
    runs = _append(path, "started")
    if runs == 1:
        time.sleep(seconds)
    return runs


@retrying(max_attempts=5, base_delay=30, max_delay=3600)
@task(takes_context=True)
def flaky(context: TaskContext[Any, Any]) -> int:
    """Fail on the first two attempts, succeed on the third."""
    if context.attempt < 3:
        raise RuntimeError(f"flaky failure on attempt {context.attempt}")
    return context.attempt


@retrying(max_attempts=2, base_delay=1, max_delay=1)
@task
def always_fails_with_retries() -> None:
    raise RuntimeError("always fails")


@task
def always_fails() -> None:
    raise RuntimeError("always fails")


@task
def noop() -> None:
    return None
