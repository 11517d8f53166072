"""Long work from the command line: start it in the background and follow its progress.

A worker runs the job when one is alive (`closeloop worker`); otherwise the command runs it in a
thread of its own. Either way the terminal shows the same progress the page shows.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Progress:
    status: str
    done: int
    total: int
    finished: bool
    summary: str = ""


def worker_alive() -> bool:
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from closeloop.core.models import WorkerHeartbeat

    since = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(last_seen__gte=since).exists()


def follow(
    read: Callable[[], Progress], run_here: Callable[[], Any], *, out: Any = None
) -> Progress:
    """Print progress until the job finishes, running it in a thread if no worker is alive."""
    from django.db import connection

    out = out or sys.stdout
    failure: list[BaseException] = []
    if not worker_alive():
        print("No worker is running: doing the work here.", file=out)

        def target() -> None:
            try:
                run_here()
            except BaseException as exc:  # reported below, after the progress line
                failure.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
    last = ""
    while True:
        progress = read()
        line = f"{progress.status}: {progress.done}/{progress.total}"
        if progress.total:
            line += f" ({100 * progress.done // progress.total}%)"
        if line != last:
            print(line, file=out, flush=True)
            last = line
        if progress.finished or failure:
            break
        time.sleep(POLL_SECONDS)
    if failure:
        raise failure[0]
    if progress.summary:
        print(progress.summary, file=out)
    return progress


def contacts_import(
    *, path: str, org_slug: str, dedupe_by: str, mapping: list[str], wait: bool
) -> int:
    """Import a CSV or XLSX file of contacts; columns map by their header unless --map says."""
    from closeloop.accounts.models import Organization
    from closeloop.contacts.importers import (
        contact_import_configure,
        contact_import_create,
        contact_import_run,
        suggest_target,
    )
    from closeloop.contacts.models import AttributeDefinition, ContactImport
    from closeloop.core.errors import DomainError

    org = Organization.objects.filter(slug=org_slug).first()
    if org is None:
        print(f"closeloop: no organization with the slug {org_slug!r}", file=sys.stderr)
        return 1
    file = Path(path)
    if not file.is_file():
        print(f"closeloop: no such file: {path}", file=sys.stderr)
        return 1
    try:
        ci = contact_import_create(
            organization=org, file_name=file.name, content=file.read_bytes(), created_by=None
        )
        definitions = {d.key: d for d in AttributeDefinition.objects.filter(organization=org)}
        targets = {i: suggest_target(c, definitions) for i, c in enumerate(ci.columns)}
        for item in mapping:
            column, _, target = item.partition("=")
            if column not in ci.columns or not target:
                print(f"closeloop: --map {item!r}: use COLUMN=FIELD with a column of the file "
                      f"({', '.join(ci.columns)})", file=sys.stderr)  # fmt: skip
                return 2
            targets[ci.columns.index(column)] = target
        ci = contact_import_configure(
            contact_import=ci, mapping=targets, dedupe_by=dedupe_by, actor=None
        )
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"closeloop: {exc.message}{where}", file=sys.stderr)
        return 1
    print(f"Import {ci.pk}: {ci.total_rows} rows from {file.name}")
    if not wait:
        return 0

    def read() -> Progress:
        row = ContactImport.objects.get(pk=ci.pk)
        return Progress(
            status=row.get_status_display(),
            done=row.processed,
            total=row.total_rows,
            finished=row.status in {"done", "failed"},
            summary=f"created {row.created}, updated {row.updated}, rejected {row.rejected}",
        )

    follow(read, lambda: contact_import_run(contact_import_id=str(ci.pk)))
    final = ContactImport.objects.get(pk=ci.pk)
    for rejected in final.rejected_rows[:50]:
        print(f"  line {rejected['line']}: {rejected['reason']}")
    if final.rejected > 50:
        print(f"  ... and {final.rejected - 50} more (download them from the import page)")
    return 1 if final.status == "failed" else 0


def campaign_send(*, campaign_id: str, wait: bool) -> int:
    """Send a campaign now and follow it; `--no-wait` returns once it is queued."""
    import uuid

    from closeloop.core.errors import DomainError
    from closeloop.distribution.campaigns_services import campaign_send_now
    from closeloop.distribution.models import Campaign
    from closeloop.distribution.sending import campaign_process

    try:
        campaign = Campaign.objects.get(pk=uuid.UUID(campaign_id))
    except (ValueError, Campaign.DoesNotExist):
        print(f"closeloop: no campaign with the id {campaign_id!r}", file=sys.stderr)
        return 1
    try:
        campaign = campaign_send_now(campaign=campaign)
    except DomainError as exc:
        print(f"closeloop: {exc.message}", file=sys.stderr)
        return 1
    print(f"Sending {campaign.name!r}")
    if not wait:
        return 0
    follow(
        lambda: _campaign_progress(campaign.pk), lambda: campaign_process(campaign_id=campaign.pk)
    )
    return 0


def _campaign_progress(campaign_pk: Any) -> Progress:
    from django.db.models import Count

    from closeloop.distribution.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_pk)
    counts = dict(campaign.invitations.values_list("status").annotate(n=Count("id")).order_by())
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    return Progress(
        status=campaign.get_status_display(),
        done=campaign.processed,
        total=campaign.total,
        finished=campaign.status != "sending",
        summary=summary,
    )


def campaign_status(*, campaign_id: str) -> int:
    import uuid

    from closeloop.distribution.models import Campaign

    try:
        progress = _campaign_progress(uuid.UUID(campaign_id))
    except (ValueError, Campaign.DoesNotExist):
        print(f"closeloop: no campaign with the id {campaign_id!r}", file=sys.stderr)
        return 1
    print(f"{progress.status}: {progress.done}/{progress.total}")
    if progress.summary:
        print(progress.summary)
    return 0


def export_responses(
    *,
    org_slug: str,
    survey_id: str,
    fmt: str,
    filters: dict[str, Any],
    output: str | None,
    wait: bool,
) -> int:
    """Export a survey's responses to a file in the background, follow it, then save the file."""
    import shutil
    import uuid

    from closeloop.accounts.models import Organization
    from closeloop.analytics.exports.services import export_create, export_file_open, export_run
    from closeloop.analytics.models import Export
    from closeloop.core.errors import DomainError
    from closeloop.surveys.models import Survey

    org = Organization.objects.filter(slug=org_slug).first()
    if org is None:
        print(f"closeloop: no organization with the slug {org_slug!r}", file=sys.stderr)
        return 1
    try:
        survey = Survey.objects.filter(organization=org, pk=uuid.UUID(survey_id)).first()
    except ValueError:
        survey = None
    if survey is None:
        print(f"closeloop: no survey with the id {survey_id!r} in {org_slug}", file=sys.stderr)
        return 1
    try:
        export = export_create(
            organization=org, survey=survey, format=fmt, filters=filters,
            language=org.default_language,
        )  # fmt: skip
    except DomainError as exc:
        where = f" (--{exc.field})" if exc.field else ""
        print(f"closeloop: {exc.message}{where}", file=sys.stderr)
        return 1
    print(f"Export {export.pk}: responses of {survey.name!r} as {fmt}")
    if not wait:
        return 0

    def read() -> Progress:
        row = Export.objects.get(pk=export.pk)
        return Progress(
            status=row.get_status_display(),
            done=row.progress_done,
            total=row.progress_total,
            finished=not row.is_active,
            summary=row.error if row.status == "failed" else f"{row.size} bytes",
        )

    follow(read, lambda: export_run(export_id=str(export.pk)))
    final = Export.objects.get(pk=export.pk)
    if final.status != "done":
        return 1
    target = Path(output) if output else Path(final.file_name)
    if target.is_dir():
        target = target / final.file_name
    with export_file_open(export=final) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    print(f"Saved {target}")
    return 0


def _rebuild_progress() -> Callable[[int, int, str], None]:
    """A progress printer: one line per percent done."""
    last = [-1]

    def show(done: int, total: int, what: str) -> None:
        percent = 100 * done // total if total else 100
        if percent != last[0] or done == total:
            print(f"  {done}/{total} ({percent}%) {what}".rstrip(), flush=True)
            last[0] = percent

    return show


def analytics_rebuild(*, org_slug: str | None) -> int:
    """Rebuild the analytics rollups of one organization (or all), printing progress."""
    from closeloop.accounts.models import Organization
    from closeloop.analytics.services import rollups_rebuild

    orgs = Organization.objects.order_by("slug")
    if org_slug:
        orgs = orgs.filter(slug=org_slug)
        if not orgs.exists():
            print(f"closeloop: no organization with the slug {org_slug!r}", file=sys.stderr)
            return 1
    for org in orgs:
        print(f"Rebuilding the analytics rollups of {org.slug} ({org.time_zone})", flush=True)
        started = time.monotonic()
        rollups_rebuild(organization=org, progress=_rebuild_progress())
        print(f"  done in {time.monotonic() - started:.1f}s", flush=True)
    return 0
