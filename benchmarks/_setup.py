"""What every benchmark does first: a throwaway database, Django set up and migrated, an owner
and an organization; and the percentile of a list of latencies.

SQLite in a temporary folder, or, when DATABASE_URL points to a PostgreSQL server, a fresh
database on it with the benchmark's own name (dropped and created again on every run). Imported
by the benchmark scripts as `_setup` (their folder is the first entry of sys.path).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def prepare_database(name: str) -> str:
    """Point DATABASE_URL at a fresh database called `name`; return a label for the report."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ["CLOSELOOP_VAR_DIR"] = tempfile.mkdtemp(prefix="closeloop-bench-")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        return f"PostgreSQL ({parts.hostname}/{name})"
    path = Path(os.environ["CLOSELOOP_VAR_DIR"]) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return f"SQLite ({path})"


def setup_django(
    database: str, *, env: dict[str, str] | None = None, test_client: bool = False
) -> str:
    """A fresh database, then settings from the environment (plus `env`), django.setup() and
    every migration; `test_client` prepares for django.test.Client. Returns the database label."""
    label = prepare_database(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    os.environ.update(env or {})

    import django

    django.setup()
    from django.core.management import call_command

    if test_client:
        from django.test.utils import setup_test_environment

        setup_test_environment()
    call_command("migrate", verbosity=0)
    return label


def bench_org(name: str = "Bench", time_zone: str = "UTC") -> tuple[Any, Any]:
    """The owner (bench@example.com) and a new organization of theirs (with its defaults)."""
    from closeloop.accounts.models import User
    from closeloop.accounts.services import organization_create

    owner = User.objects.create_user(email="bench@example.com", password="bench-password-1")
    return owner, organization_create(name=name, owner=owner, time_zone=time_zone)


def percentile(values: list[float], q: float) -> float:
    """The value at quantile q (0..1) of the values, by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]
