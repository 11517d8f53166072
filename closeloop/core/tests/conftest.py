"""Fixtures for the worker tests: run the worker in this process, or start real worker processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.fixture
def run_worker() -> Callable[..., str]:
    """Run `closeloop_worker --batch` in this process (every ready task, then exit)."""

    def run(*options: str) -> str:
        out = io.StringIO()
        call_command("closeloop_worker", "--batch", "--no-scheduler", *options, stdout=out)
        return out.getvalue()

    return run


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.1)


@pytest.fixture
def start_worker(
    transactional_db: None, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real `manage.py closeloop_worker` processes on the test database; always killed."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CLOSELOOP_VAR_DIR": str(settings.VAR_DIR),
        "WORKER_STALE_SECONDS": "5",
    }
    started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(*options: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started) + 1}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "manage.py", "closeloop_worker", "--interval", "0.1", *options],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append((proc, log))
        return proc

    try:
        yield start
    finally:
        for proc, log in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
            sys.stderr.write(f"--- {log.name} ---\n{log.read_text()}")
