"""The `closeloop` command: demo, serve, worker, migrate, createorg, check, apikey, survey,
contacts, export, campaign, analytics, manage."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

SETTINGS_MODULE = "closeloop.settings"
WSGI_APP = "closeloop.wsgi:application"


class CliError(Exception):
    """A problem the person at the terminal can fix; printed without a traceback."""

    def __init__(self, message: str, *, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"closeloop: {message}", file=sys.stderr)
    raise SystemExit(code)


def _setup_django() -> None:
    """Load the settings (a bad environment variable stops here, naming it) and the apps."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from closeloop.env import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        _fail(f"configuration error: {exc}", 2)
    from closeloop.core.i18n import compile_catalogs

    with contextlib.suppress(OSError):  # a read-only install keeps the catalogs it shipped with
        compile_catalogs()


# --- argument types -------------------------------------------------------------------------


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return number


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {value!r} (use a name like Asia/Seoul)"
        ) from None
    return value


# --- child processes ------------------------------------------------------------------------


def _default_threads() -> int:
    return (os.cpu_count() or 1) * 2 + 1


def _granian_argv(host: str, port: int, workers: int = 1, threads: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads or _default_threads()),
        "--no-ws",
        WSGI_APP,
    ]  # fmt: skip


def _url_host(host: str) -> str:
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class _Supervisor:
    """Child processes in one tree; SIGINT/SIGTERM stop them all, a dead child stops the rest."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False
        self._previous = {
            s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)
        }

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        # Each child leads its own process group: a Ctrl-C at the terminal reaches only this
        # process, which then stops each child's whole group (granian's workers too) in order.
        self.children[name] = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, process_group=0
        )
        return self.children[name]

    def dead_child(self) -> tuple[str, int] | None:
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                return name, code
        return None

    def wait_until_up(self, url: str, timeout: float = 60.0) -> bool:
        """Poll /healthz until the web server answers, a child dies or a signal arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping and self.dead_child() is None:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        return False

    def run(self) -> int:
        """Wait for a signal (exit 0) or a child's death (exit 1), then stop every child."""
        try:
            while not self.stopping:
                dead = self.dead_child()
                if dead is not None:
                    print(
                        f"closeloop: the {dead[0]} stopped unexpectedly (exit code {dead[1]}); "
                        "stopping the rest",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.stop()
                    return 1
                time.sleep(0.2)
            print("\nStopping closeloop…", flush=True)
            self.stop()
            return 0
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)

    def stop(self, grace: float = 15.0) -> None:
        for child in self.children.values():
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
            _signal_group(child, signal.SIGKILL)  # anything the child left behind in its group


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


# --- subcommands ----------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    url = f"http://{_url_host(args.host)}:{args.port}"
    if os.environ.get("BASE_URL", "").strip():
        url = os.environ["BASE_URL"].strip().rstrip("/")
    else:
        os.environ["BASE_URL"] = url  # the children build links to the address being served
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from closeloop.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo

    print(f"Preparing the database ({settings.DATABASES['default']['NAME']})…", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    seed_demo()
    logins = demo_logins()
    connections.close_all()
    _prepare_static_root()

    env = dict(os.environ)
    supervisor = _Supervisor()
    supervisor.start("web server", _granian_argv(args.host, args.port), env)
    supervisor.start("worker", [sys.executable, "-m", "closeloop.cli", "worker"], env)
    if supervisor.wait_until_up(url):
        lines = [
            "",
            f"closeloop demo is running at {url}/",
            "",
            f"  Log in as the owner:  {logins[0][0]}  /  password: {DEMO_PASSWORD}",
            "  Other demo people (same password):",
            *(f"    {email:<32} {role}" for email, role in logins[1:]),
            "",
            f"  Data lives in {settings.VAR_DIR}",
            "  Press Ctrl-C to stop.",
            "",
        ]
        print("\n".join(lines), flush=True)
    return supervisor.run()


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()  # fail fast on a bad environment, before granian starts its workers
    _prepare_static_root()
    supervisor = _Supervisor()
    supervisor.start(
        "web server",
        _granian_argv(args.host, args.port, args.workers, args.threads),
        dict(os.environ),
    )
    return supervisor.run()


def _prepare_static_root() -> None:
    """whitenoise serves from the finders, but warns at every start if STATIC_ROOT is missing."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    options: list[str] = []
    if args.interval is not None:
        options += ["--interval", str(args.interval)]
    if args.queue_name is not None:
        options += ["--queue-name", args.queue_name]
    if args.batch:
        options.append("--batch")
    if args.max_tasks is not None:
        options += ["--max-tasks", str(args.max_tasks)]
    if args.no_scheduler:
        options.append("--no-scheduler")
    call_command("closeloop_worker", *options)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_createorg(args: argparse.Namespace) -> int:
    _setup_django()
    from django.db import transaction

    from closeloop.accounts.models import User
    from closeloop.accounts.services import organization_create, user_create
    from closeloop.core.errors import DomainError

    try:
        with transaction.atomic():
            existing = User.objects.filter(email__iexact=args.owner_email.strip()).first()
            if existing is not None:
                if not args.existing_owner:
                    raise CliError(
                        f"an account with the email {args.owner_email} already exists; "
                        "pass --existing-owner to make that person the owner"
                    )
                if not existing.check_password(args.password):
                    raise CliError(f"the password does not match the account {existing.email}")
                owner = existing
            else:
                owner = user_create(
                    email=args.owner_email, password=args.password, language=args.language
                )
            org = organization_create(
                name=args.name,
                owner=owner,
                time_zone=args.time_zone,
                default_language=args.language or "en",
            )
    except DomainError as exc:
        raise CliError(exc.message) from None
    print(org.slug)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.core.checks import format_report, run_checks

    results = run_checks()
    print(format_report(results))
    return 1 if any(r.status == "FAIL" for r in results) else 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.accounts.models import Organization
    from closeloop.accounts.services import api_key_create

    org = Organization.objects.filter(slug=args.org).first()
    if org is None:
        raise CliError(f"no organization with the slug {args.org!r}")
    _key, secret = api_key_create(
        organization=org, name=args.name, scope=args.scope, created_by=None
    )
    print(secret)
    return 0


def cmd_survey_import(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.surveys.cli import survey_import_command

    return survey_import_command(args.file, args.org, args.format, args.name)


def cmd_survey_export(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.surveys.cli import survey_export_command

    return survey_export_command(args.survey_id, args.format, args.version)


def cmd_contacts_import(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.cli_work import contacts_import

    return contacts_import(
        path=args.file, org_slug=args.org, dedupe_by=args.dedupe_by, mapping=args.map,
        wait=not args.no_wait,
    )  # fmt: skip


def cmd_export_responses(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.cli_work import export_responses

    filters = {
        "from": args.date_from, "to": args.date_to, "status": args.status,
        "touchpoint": args.touchpoint, "channel": args.channel, "language": args.language,
    }  # fmt: skip
    return export_responses(
        org_slug=args.org, survey_id=args.survey, fmt=args.format, filters=filters,
        output=args.output, wait=not args.no_wait,
    )  # fmt: skip


def cmd_campaign_send(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.cli_work import campaign_send

    return campaign_send(campaign_id=args.campaign_id, wait=not args.no_wait)


def cmd_campaign_status(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.cli_work import campaign_status

    return campaign_status(campaign_id=args.campaign_id)


def cmd_announcements_status(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.initiatives.announcements import announcement_status_cli

    return announcement_status_cli(announcement_id=args.announcement_id)


def cmd_analytics_rebuild(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.cli_work import analytics_rebuild

    return analytics_rebuild(org_slug=args.org)


def cmd_text_reenrich(args: argparse.Namespace) -> int:
    _setup_django()
    from closeloop.text.cli import text_reenrich_command

    return text_reenrich_command(args.org)


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    from closeloop.env import ConfigError

    try:
        execute_from_command_line(["closeloop manage", *args.arguments])
    except ConfigError as exc:
        _fail(f"configuration error: {exc}", 2)
    return 0


# --- the parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="closeloop",
        description="closeloop: a self-hosted customer-experience platform that closes the "
        "feedback loop. Settings come from the environment (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="try closeloop: migrate, load demo data, run the web server and a worker",
        description="Prepare the database (SQLite under ./var/ unless DATABASE_URL is set), load "
        "the demo organizations, then run the web server and a worker until Ctrl-C.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    demo.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve",
        help="run the production web server (granian, WSGI)",
        description="Run the web server. Static files are served by whitenoise; run "
        "`closeloop worker` beside it for background work.",
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    serve.add_argument("--workers", type=_positive_int, default=2, help="web processes (2)")
    serve.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help=f"request threads per web process (2 x CPUs + 1 = {_default_threads()})",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run background tasks and periodic jobs",
        description="Run the worker: it claims queued tasks and runs the periodic scheduler.",
    )
    worker.add_argument(
        "--interval", type=_positive_float, help="seconds to wait when no task is ready (1)"
    )
    worker.add_argument(
        "--queue-name", help="queues to process, comma-separated; * for all (default: *)"
    )
    worker.add_argument("--batch", action="store_true", help="run every ready task, then exit")
    worker.add_argument("--max-tasks", type=_positive_int, help="exit after this many tasks")
    worker.add_argument(
        "--no-scheduler", action="store_true", help="do not run periodic jobs in this worker"
    )
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser(
        "migrate", help="create or update the database tables", description="Apply migrations."
    )
    migrate.add_argument("--verbosity", type=int, choices=[0, 1, 2, 3], default=1)
    migrate.set_defaults(func=cmd_migrate)

    createorg = sub.add_parser(
        "createorg",
        help="create an organization and its owner; prints the organization's slug",
        description="Create an organization and its owner without prompts. Prints only the new "
        "organization's slug.",
    )
    createorg.add_argument("--name", required=True, help="organization name")
    createorg.add_argument("--owner-email", required=True, help="the owner's login email")
    createorg.add_argument("--password", required=True, help="the owner's password")
    createorg.add_argument(
        "--time-zone", type=_time_zone, default=None, help="e.g. Asia/Seoul (default TIME_ZONE)"
    )
    createorg.add_argument(
        "--language", choices=["en", "ko", "th"], default="", help="default language"
    )
    createorg.add_argument(
        "--existing-owner",
        action="store_true",
        help="if the email already has an account, make it the owner (the password must match)",
    )
    createorg.set_defaults(func=cmd_createorg)

    check = sub.add_parser(
        "check",
        help="report configuration and connectivity (database, email, worker, static files)",
        description="Print the settings in effect and test the database, email, worker and "
        "static files. Each line is OK, WARN or FAIL; exits 1 if anything failed.",
    )
    check.set_defaults(func=cmd_check)

    apikey = sub.add_parser("apikey", help="manage API keys", description="Manage API keys.")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", metavar="ACTION", required=True)
    create = apikey_sub.add_parser(
        "create",
        help="create an API key and print it (shown once)",
        description="Create an API key for an organization and print it. It is shown only once.",
    )
    create.add_argument("--org", required=True, help="the organization's slug")
    create.add_argument("--scope", required=True, choices=["read", "write"])
    create.add_argument("--name", default="Command line", help="a name to recognise the key by")
    create.set_defaults(func=cmd_apikey_create)

    survey = sub.add_parser(
        "survey",
        help="import or export survey definitions (JSON or YAML)",
        description="Keep surveys in a git repository: import a definition file into an "
        "organization, or print a survey's definition.",
    )
    survey_sub = survey.add_subparsers(dest="survey_command", metavar="ACTION", required=True)
    s_import = survey_sub.add_parser(
        "import",
        help="create a survey (or a new draft of one) from a JSON or YAML file",
        description="Import a survey definition file; prints the new survey's id.",
    )
    s_import.add_argument("file", help="path to a .json, .yaml or .yml file")
    s_import.add_argument("--org", required=True, help="the organization's slug")
    s_import.add_argument("--format", choices=["json", "yaml"], help="default: from the extension")
    s_import.add_argument("--name", help="survey name (default: from the file)")
    s_import.set_defaults(func=cmd_survey_import)
    s_export = survey_sub.add_parser(
        "export",
        help="print a survey's definition as JSON or YAML",
        description="Print a survey's definition (its newest version, or --version N).",
    )
    s_export.add_argument("survey_id", help="the survey's id (a UUID)")
    s_export.add_argument("--format", choices=["json", "yaml"], default="yaml")
    s_export.add_argument("--version", type=_positive_int, help="a version number")
    s_export.set_defaults(func=cmd_survey_export)

    contacts = sub.add_parser(
        "contacts", help="import contacts", description="Work with the contacts directory."
    )
    contacts_sub = contacts.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)
    c_import = contacts_sub.add_parser(
        "import",
        help="import a CSV or XLSX file of contacts, showing progress",
        description="Import contacts in the background and follow the progress. Columns are "
        "matched by their header (email, first_name, phone, an attribute key, ...) unless --map "
        "says otherwise. Rejected rows are listed with their line numbers; good rows import.",
    )
    c_import.add_argument("file", help="a .csv or .xlsx file whose first row names the columns")
    c_import.add_argument("--org", required=True, help="the organization's slug")
    c_import.add_argument(
        "--dedupe-by", choices=["email", "external_id"], default="email",
        help="match existing contacts by (email)",
    )  # fmt: skip
    c_import.add_argument(
        "--map", action="append", default=[], metavar="COLUMN=FIELD",
        help="map a column to a field or attribute:<key> (repeatable)",
    )  # fmt: skip
    c_import.add_argument("--no-wait", action="store_true", help="queue it and return")
    c_import.set_defaults(func=cmd_contacts_import)

    export = sub.add_parser("export", help="export responses", description="Export data to files.")
    export_sub = export.add_subparsers(dest="export_command", metavar="ACTION", required=True)
    e_responses = export_sub.add_parser(
        "responses",
        help="export a survey's responses as CSV, XLSX or SPSS .sav, showing progress",
        description="Build a file of a survey's responses in the background, follow the "
        "progress, then save it (to --output, or the current folder). Completed responses only "
        "unless --status says otherwise; --from and --to are whole days in the organization's "
        "time zone.",
    )
    e_responses.add_argument("--org", required=True, help="the organization's slug")
    e_responses.add_argument("--survey", required=True, help="the survey's id (a UUID)")
    e_responses.add_argument("--format", required=True, choices=["csv", "xlsx", "sav"])
    e_responses.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day")
    e_responses.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day")
    e_responses.add_argument(
        "--status", choices=["complete", "partial", "all"], default="complete",
        help="which responses (complete)",
    )  # fmt: skip
    e_responses.add_argument("--touchpoint", help="only this touchpoint (its id)")
    e_responses.add_argument("--channel", help="only this channel (link, email, widget, qr, ...)")
    e_responses.add_argument("--language", help="only responses in this language (e.g. ko)")
    e_responses.add_argument("--output", help="file or folder to save to (default: here)")
    e_responses.add_argument("--no-wait", action="store_true", help="queue it and return")
    e_responses.set_defaults(func=cmd_export_responses)

    campaign = sub.add_parser(
        "campaign", help="send email campaigns", description="Send a campaign, or see its state."
    )
    campaign_sub = campaign.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    c_send = campaign_sub.add_parser(
        "send",
        help="send a campaign now, showing progress",
        description="Send a campaign now (in the background) and follow its progress.",
    )
    c_send.add_argument("campaign_id", help="the campaign's id (a UUID)")
    c_send.add_argument("--no-wait", action="store_true", help="queue it and return")
    c_send.set_defaults(func=cmd_campaign_send)
    c_status = campaign_sub.add_parser(
        "status", help="a campaign's progress and invitation statuses",
        description="Print a campaign's progress and how many invitations are in each status.",
    )  # fmt: skip
    c_status.add_argument("campaign_id", help="the campaign's id (a UUID)")
    c_status.set_defaults(func=cmd_campaign_status)

    announcements = sub.add_parser(
        "announcements", help="announcements of shipped initiatives",
        description="See how an announcement to customers is going.",
    )  # fmt: skip
    ann_sub = announcements.add_subparsers(dest="ann_command", metavar="ACTION", required=True)
    ann_status = ann_sub.add_parser(
        "status", help="an announcement's progress and recipient statuses",
        description="Print an announcement's progress and how many recipients are in each status.",
    )  # fmt: skip
    ann_status.add_argument("announcement_id", help="the announcement's id (a UUID)")
    ann_status.set_defaults(func=cmd_announcements_status)

    analytics = sub.add_parser(
        "analytics", help="analytics upkeep", description="Maintain the analytics rollups."
    )
    analytics_sub = analytics.add_subparsers(
        dest="analytics_command", metavar="ACTION", required=True
    )
    a_rebuild = analytics_sub.add_parser(
        "rebuild",
        help="rebuild the daily rollups from the answers, showing progress",
        description="Recompute every daily rollup the dashboards read from the stored answers "
        "(of one organization, or all). Dashboards keep working meanwhile.",
    )
    a_rebuild.add_argument("--org", help="only this organization (its slug)")
    a_rebuild.set_defaults(func=cmd_analytics_rebuild)

    text = sub.add_parser(
        "text", help="text analytics upkeep", description="Maintain the text analytics."
    )
    text_sub = text.add_subparsers(dest="text_command", metavar="ACTION", required=True)
    t_reenrich = text_sub.add_parser(
        "reenrich",
        help="enrich every comment again (language, sentiment, themes), showing progress",
        description="Create comments for stored open answers that have none, raise the text "
        "model version and enrich every comment again (of one organization, or all).",
    )
    t_reenrich.add_argument("--org", help="only this organization (its slug)")
    t_reenrich.set_defaults(func=cmd_text_reenrich)

    manage = sub.add_parser(
        "manage",
        help="run a Django management command (closeloop manage help)",
        description="Pass the arguments to Django's management utility.",
        add_help=False,
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        _fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
