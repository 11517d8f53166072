"""`closeloop check`: the settings in effect and whether the database, email, worker and static
files work. Each result is OK, WARN or FAIL."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection

Status = Literal["OK", "WARN", "FAIL"]


@dataclass(frozen=True)
class CheckResult:
    """One line of the report."""

    status: Status
    name: str
    detail: str


def _database_label() -> str:
    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite3 {db['NAME']}"
    host = db.get("HOST") or "local socket"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    user = f"{db['USER']}@" if db.get("USER") else ""
    password = ":***" if db.get("PASSWORD") else ""
    return f"{engine} {user.rstrip('@')}{password}{'@' if user else ''}{host}{port}/{db['NAME']}"


def _mailer() -> tuple[str, dict[str, Any]]:
    """The default mailer's backend path and options (settings.MAILERS)."""
    mailers: dict[str, dict[str, Any]] = getattr(settings, "MAILERS", {})
    config = mailers.get("default", {})
    return str(config.get("BACKEND", "")), dict(config.get("OPTIONS", {}))


def _email_label() -> str:
    backend, options = _mailer()
    if backend.endswith("smtp.EmailBackend"):
        if options.get("use_ssl"):
            security = "TLS"
        elif options.get("use_tls"):
            security = "STARTTLS"
        else:
            security = "plain"
        user = f"{options['username']}:***@" if options.get("username") else ""
        return f"SMTP {user}{options.get('host')}:{options.get('port')} ({security})"
    if backend.endswith("MailboxBackend"):
        return "in-app mailbox (messages are kept, not sent)"
    return backend


def settings_report() -> list[CheckResult]:
    """The settings in effect, secrets masked."""
    base = urlsplit(settings.BASE_URL)
    local = base.hostname in {"localhost", "127.0.0.1", "::1"}
    if base.scheme == "https" or local:
        base_url = CheckResult("OK", "BASE_URL", settings.BASE_URL)
    else:
        base_url = CheckResult(
            "WARN", "BASE_URL", f"{settings.BASE_URL} (not https: logins travel unencrypted)"
        )
    key_source = (
        "from the environment"
        if os.environ.get("SECRET_KEY", "").strip()
        else (f"generated, kept in {settings.VAR_DIR / 'secret_key'}")
    )
    return [
        CheckResult("OK", "database", _database_label()),
        base_url,
        CheckResult("OK", "email", _email_label()),
        CheckResult("OK", "time zone", settings.TIME_ZONE),
        CheckResult(
            "WARN" if settings.DEBUG else "OK",
            "DEBUG",
            "on (never in production: error pages show settings)" if settings.DEBUG else "off",
        ),
        CheckResult("OK", "SECRET_KEY", f"*** ({key_source})"),
        CheckResult("OK", "data folder", str(settings.VAR_DIR)),
    ]


def check_database() -> list[CheckResult]:
    """The database answers and every migration is applied."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return [CheckResult("FAIL", "database reachable", str(exc).strip().splitlines()[0])]
    results = [CheckResult("OK", "database reachable", connection.vendor)]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan)
        results.append(
            CheckResult("FAIL", "migrations", f"not applied: {names} (run: closeloop migrate)")
        )
    else:
        results.append(CheckResult("OK", "migrations", "all applied"))
    return results


def check_email(timeout: float = 5.0) -> CheckResult:
    """For SMTP, connect (and log in, if configured) and quit."""
    backend, options = _mailer()
    if not backend.endswith("smtp.EmailBackend"):
        if backend.endswith("console.EmailBackend"):
            return CheckResult("WARN", "email delivery", "console: messages are printed, not sent")
        return CheckResult("OK", "email delivery", "no server to reach")
    from django.utils.module_loading import import_string

    where = f"{options.get('host')}:{options.get('port')}"
    try:
        connection_ = import_string(backend)(
            alias="default", **{**options, "timeout": timeout, "fail_silently": False}
        )
        connection_.open()
        connection_.close()
    except Exception as exc:  # any failure here is the operator's to see
        return CheckResult("FAIL", "email delivery", f"cannot reach {where}: {exc}")
    return CheckResult("OK", "email delivery", f"connected to {where}")


def check_worker() -> CheckResult:
    """A worker has sent a heartbeat recently."""
    from django.utils import timezone

    from closeloop.core.models import WorkerHeartbeat

    try:
        latest = WorkerHeartbeat.objects.order_by("-last_seen").first()
    except DatabaseError:
        return CheckResult("FAIL", "worker", "cannot read worker heartbeats")
    window = dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    if latest is None:
        return CheckResult("WARN", "worker", "no worker has run yet (start one: closeloop worker)")
    age = timezone.now() - latest.last_seen
    if age > window:
        seconds = int(age.total_seconds())
        return CheckResult(
            "WARN", "worker", f"last heard of {seconds} s ago (start one: closeloop worker)"
        )
    return CheckResult(
        "OK",
        "worker",
        f"{latest.hostname or latest.worker_id} seen {int(age.total_seconds())} s ago",
    )


def check_static() -> CheckResult:
    """The stylesheet and script the pages link to can be found."""
    from django.contrib.staticfiles import finders

    missing = [p for p in ("closeloop/app.css", "closeloop/app.js") if not finders.find(p)]
    if missing:
        return CheckResult("FAIL", "static files", "missing: " + ", ".join(missing))
    return CheckResult("OK", "static files", "found (served by whitenoise)")


def run_checks() -> list[CheckResult]:
    """Every check, in the order the report prints them."""
    results = settings_report()
    database = check_database()
    results += database
    results.append(check_email())
    if all(r.status != "FAIL" for r in database):
        results.append(check_worker())
    results.append(check_static())
    return results


def format_report(results: list[CheckResult]) -> str:
    width = max(len(r.name) for r in results)
    return "\n".join(f"{r.status:<4}  {r.name:<{width}}  {r.detail}" for r in results)
