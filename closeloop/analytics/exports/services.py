"""Exports: ask for one (export_create enqueues the task), build it (export_run, in the worker,
with progress every few hundred rows), download it, and let it expire (exports_expire, daily).

Every status change goes through export_transition: a conditional UPDATE from the statuses that
may change, with the activity record in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from closeloop.analytics.exports.columns import (
    Column,
    ExportContext,
    Row,
    hidden_columns,
    merge,
    meta_columns,
    metadata_columns,
    question_columns,
)
from closeloop.analytics.exports.format_csv import write_csv
from closeloop.analytics.exports.format_sav import write_sav
from closeloop.analytics.exports.format_xlsx import Sheet, write_xlsx
from closeloop.analytics.exports.selectors import export_responses, iter_rows, metadata_keys
from closeloop.analytics.models import Export, ExportFormat, ExportKind, ExportStatus
from closeloop.core.errors import ConflictError, DomainError, NotFoundError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.responses.choices import Channel
from closeloop.surveys.choices import SurveyKind
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import SurveyDefinition

if TYPE_CHECKING:
    from django.core.files.storage import Storage

    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.contacts.models import Contact

logger = logging.getLogger(__name__)

EXPIRES_AFTER = dt.timedelta(days=7)
PROGRESS_EVERY = 500  # rows between two progress updates
MAX_ACTIVE = 10  # queued or running exports per organization
STATUS_FILTERS = ("complete", "partial", "all")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
CONTENT_TYPES: dict[str, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.SAV: "application/x-spss-sav",
}

register_verbs(
    {
        "export.requested": _("asked for an export"),
        "export.finished": _("finished an export"),
        "export.failed": _("export failed"),
        "export.downloaded": _("downloaded an export"),
        "export.expired": _("export expired"),
    }
)

# Which statuses each status may be reached from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ExportStatus.RUNNING: (ExportStatus.QUEUED, ExportStatus.RUNNING),
    ExportStatus.DONE: (ExportStatus.RUNNING,),
    ExportStatus.FAILED: (ExportStatus.QUEUED, ExportStatus.RUNNING),
    ExportStatus.EXPIRED: (ExportStatus.DONE, ExportStatus.FAILED),
}
VERBS: dict[str, str] = {
    ExportStatus.DONE: "export.finished",
    ExportStatus.FAILED: "export.failed",
    ExportStatus.EXPIRED: "export.expired",
}


class ExportExpired(DomainError):
    """The export's file was deleted when it expired."""

    status = 410


# --- asking for an export ----------------------------------------------------------------------


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field=field) from None


def clean_filters(*, organization: Organization, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Response filters as stored on an export, or DomainError naming the filter at fault."""
    from closeloop.distribution.models import Touchpoint

    clean: dict[str, Any] = {}
    status = filters.get("status") or "complete"
    if status not in STATUS_FILTERS:
        raise DomainError(_("Choose complete, partial or all."), field="status")
    clean["status"] = status
    start, end = _date(filters.get("from"), "from"), _date(filters.get("to"), "to")
    if start and end and start > end:
        raise DomainError(_("The end date is before the start date."), field="to")
    if start:
        clean["from"] = start.isoformat()
    if end:
        clean["to"] = end.isoformat()
    touchpoint = filters.get("touchpoint")
    if touchpoint:
        try:
            key = uuid.UUID(str(touchpoint))
        except ValueError:
            key = None
        if key is None or not Touchpoint.objects.filter(organization=organization, pk=key).exists():
            raise DomainError(_("There is no such touchpoint."), field="touchpoint")
        clean["touchpoint"] = str(key)
    channel = filters.get("channel")
    if channel:
        if channel not in Channel.values:
            raise DomainError(
                _("Choose one of: %(channels)s.") % {"channels": ", ".join(Channel.values)},
                field="channel",
            )
        clean["channel"] = channel
    language = filters.get("language")
    if language:
        if not isinstance(language, str) or not LANGUAGE_RE.match(language):
            raise DomainError(_("Enter a language code such as en, ko or th."), field="language")
        clean["language"] = language
    return clean


def _check_capacity(organization: Organization) -> None:
    active = Export.objects.filter(
        organization=organization, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)
    ).count()
    if active >= MAX_ACTIVE:
        raise ConflictError(
            _("%(n)d exports are already waiting or running; try again when one is ready.")
            % {"n": active},
            code="too-many-exports",
        )


def _label_language(language: str | None, organization: Organization) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    for candidate in (language, organization.default_language):
        if candidate and candidate in codes:
            return candidate
    return settings.LANGUAGE_CODE


def export_create(
    *,
    organization: Organization,
    survey: Survey,
    format: str,
    filters: Mapping[str, Any] | None = None,
    language: str | None = None,
    requested_by: User | None = None,
    api_key: ApiKey | None = None,
) -> Export:
    """Ask for a file of a survey's responses; the worker builds it (export_run)."""
    from closeloop.analytics.tasks_exports import run_export
    from closeloop.core.tasks import enqueue_on_commit

    if survey.organization_id != organization.pk:
        raise NotFoundError(_("There is no such survey."), field="survey")
    if format not in ExportFormat.values:
        raise DomainError(_("Choose csv, xlsx or sav."), field="format")
    clean = clean_filters(organization=organization, filters=filters or {})
    with transaction.atomic():
        _check_capacity(organization)
        export = Export.objects.create(
            organization=organization,
            kind=ExportKind.RESPONSES,
            survey=survey,
            format=format,
            filters=clean,
            language=_label_language(language, organization),
            requested_by=requested_by,
            api_key=api_key,
        )
        activity_record(
            organization=organization, verb="export.requested", actor=requested_by,
            api_key=api_key, target=export,
            data={"survey": str(survey.pk), "format": format, "filters": clean},
        )  # fmt: skip
        enqueue_on_commit(run_export, str(export.pk))
    return export


def export_metrics_create(
    *,
    organization: Organization,
    query: Mapping[str, Any],
    format: str,
    language: str | None = None,
    requested_by: User | None = None,
    api_key: ApiKey | None = None,
) -> Export:
    """Ask for a file of a metric result (groups with value, n, margin and counts)."""
    from closeloop.analytics.exports.metrics import METRIC_FORMATS, clean_metric_query
    from closeloop.analytics.tasks_exports import run_export
    from closeloop.core.tasks import enqueue_on_commit

    if format not in METRIC_FORMATS:
        raise DomainError(_("Metric results export as csv or xlsx."), field="format")
    clean = clean_metric_query(organization=organization, query=query)
    surveys = clean.get("surveys") or []
    with transaction.atomic():
        _check_capacity(organization)
        export = Export.objects.create(
            organization=organization,
            kind=ExportKind.METRICS,
            survey_id=surveys[0] if len(surveys) == 1 else None,
            format=format,
            filters=clean,
            language=_label_language(language, organization),
            requested_by=requested_by,
            api_key=api_key,
        )
        activity_record(
            organization=organization, verb="export.requested", actor=requested_by,
            api_key=api_key, target=export, data={"format": format, "query": clean},
        )  # fmt: skip
        enqueue_on_commit(run_export, str(export.pk))
    return export


# --- status changes ----------------------------------------------------------------------------


def export_transition(*, export: Export, to: str, reason: str = "", **changes: Any) -> bool:
    """Move the export to `to` if its current status allows it (a conditional UPDATE, so two
    workers never both claim it); record the activity (with `reason`, when one is given);
    False if it was not allowed."""
    now = timezone.now()
    allowed = Q(status__in=[s for s in TRANSITIONS[to] if s != ExportStatus.RUNNING])
    if ExportStatus.RUNNING in TRANSITIONS[to]:
        running = Q(status=ExportStatus.RUNNING)
        if to == ExportStatus.RUNNING:
            # A run abandoned by a dead worker (no progress for a while) may be taken over.
            stale = now - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)
            running &= Q(updated_at__lt=stale)
        allowed |= running
    with transaction.atomic():
        changed = (
            Export.objects.filter(allowed, pk=export.pk)
            .update(status=to, updated_at=now, **changes)
        )  # fmt: skip
        if not changed:
            return False
        for name, value in {"status": to, "updated_at": now, **changes}.items():
            setattr(export, name, value)
        if to in VERBS:
            actor = export.requested_by if to != ExportStatus.EXPIRED else None
            data: dict[str, Any] = {"rows": export.progress_done}
            if to == ExportStatus.FAILED:
                data["error"] = export.error[:500]
            if reason:
                data["reason"] = reason
            activity_record(
                organization=export.organization, verb=VERBS[to], actor=actor, target=export,
                data=data,
            )  # fmt: skip
    return True


# --- building the file -------------------------------------------------------------------------


class Progress:
    """Counts written rows and saves the count every PROGRESS_EVERY rows."""

    def __init__(self, export: Export) -> None:
        self.export = export
        self.done = 0
        self._saved = 0

    def tick(self) -> None:
        self.done += 1
        if self.done - self._saved >= PROGRESS_EVERY:
            self.save()

    def save(self) -> None:
        Export.objects.filter(pk=self.export.pk, status=ExportStatus.RUNNING).update(
            progress_done=self.done, updated_at=timezone.now()
        )
        self._saved = self.done


def _versions(survey: Survey, responses: Any) -> list[SurveyVersion]:
    """The versions to show, newest first: the current one, and every other that has responses."""
    versions = list(
        SurveyVersion.objects.filter(survey=survey, published_at__isnull=False).order_by("-number")
    )
    if not versions:
        latest = SurveyVersion.objects.filter(survey=survey).order_by("-number").first()
        return [latest] if latest is not None else []
    current = survey.current_version_id or versions[0].pk
    return [v for v in versions if v.pk == current or responses.filter(version=v).exists()]


def _file_name(survey: Survey, fmt: str, tz: zoneinfo.ZoneInfo) -> str:
    base = slugify(survey.name, allow_unicode=True)[:80] or "survey"
    return f"{base}-responses-{timezone.now().astimezone(tz):%Y%m%d}.{fmt}"


def _filters_text(filters: Mapping[str, Any]) -> str:
    names = {
        "status": _("status"),
        "from": _("from"),
        "to": _("to"),
        "touchpoint": _("touchpoint"),
        "channel": _("channel"),
        "language": _("language"),
    }
    return ", ".join(f"{names.get(k, k)}: {v}" for k, v in filters.items())


class _Plan:
    """What a responses export holds: its versions, columns and rows."""

    def __init__(self, export: Export) -> None:
        from closeloop.distribution.models import Touchpoint

        assert export.survey is not None
        self.survey = survey = export.survey
        self.tz = zoneinfo.ZoneInfo(export.organization.time_zone)
        self.responses = export_responses(survey=survey, filters=export.filters)
        self.versions = _versions(survey, self.responses)
        self.definitions = {
            v.pk: SurveyDefinition.model_validate(v.definition) for v in self.versions
        }
        self.anonymous = survey.kind == SurveyKind.EMPLOYEE
        touchpoints = Touchpoint.objects.filter(organization_id=survey.organization_id)
        self.context = ExportContext(
            time_zone=self.tz,
            anonymous=self.anonymous,
            touchpoints={str(pk): name for pk, name in touchpoints.values_list("pk", "name")},
            versions={
                str(pk): number
                for pk, number in SurveyVersion.objects.filter(survey=survey).values_list(
                    "pk", "number"
                )
            },
        )
        self.metadata = [] if self.anonymous else metadata_keys(self.responses)

    def columns(self, versions: Iterable[SurveyVersion]) -> list[Column]:
        """Response fields, hidden fields, metadata, then the questions (versions joined)."""
        versions = list(versions)
        columns = meta_columns(self.context)
        if not self.anonymous:
            hidden: list[str] = []
            for version in versions:
                for field in self.definitions[version.pk].hidden_fields:
                    if field.key not in hidden:
                        hidden.append(field.key)
            columns += hidden_columns(hidden)
            columns += metadata_columns(self.metadata)
        questions = [
            question_columns(self.definitions[v.pk], anonymous=self.anonymous) for v in versions
        ]
        return columns + merge(questions)

    def rows(self, version: SurveyVersion | None = None) -> Iterator[Row]:
        responses = self.responses if version is None else self.responses.filter(version=version)
        return iter_rows(responses)

    def about(self, export: Export, rows: int) -> list[tuple[str, str]]:
        about = [
            (_("Survey"), self.survey.name),
            (_("Exported at"), f"{timezone.now().astimezone(self.tz):%Y-%m-%d %H:%M} ({self.tz})"),
            (_("Time zone"), str(self.tz)),
            (_("Filters"), _filters_text(export.filters)),
            (_("Responses"), str(rows)),
        ]
        if self.anonymous:
            about.append(
                (
                    _("Anonymity"),
                    _(
                        "Employee survey: no response or contact ids, hidden fields, metadata "
                        "or email answers; dates without the time."
                    ),
                )
            )
        return about


def _build_responses(export: Export, path: Path, progress: Progress) -> None:
    plan = _Plan(export)
    fmt = export.format
    total = plan.responses.count()
    Export.objects.filter(pk=export.pk).update(progress_total=total, updated_at=timezone.now())
    if fmt == ExportFormat.XLSX:
        sheets = [
            Sheet(
                _("Version %(n)d") % {"n": version.number},
                plan.columns([version]),
                plan.rows(version),
            )
            for version in plan.versions
        ]
        write_xlsx(path, sheets, plan.about(export, total), progress.tick)
    elif fmt == ExportFormat.SAV:
        write_sav(
            path, plan.columns(plan.versions), plan.rows(), progress.tick,
            file_label=plan.survey.name,
        )  # fmt: skip
    else:
        write_csv(path, plan.columns(plan.versions), plan.rows(), progress.tick)


def _builder(export: Export) -> Callable[[Export, Path, Progress], None]:
    if export.kind == ExportKind.METRICS:
        from closeloop.analytics.exports.metrics import build_metrics

        return build_metrics
    return _build_responses


def _file_name_for(export: Export) -> str:
    tz = zoneinfo.ZoneInfo(export.organization.time_zone)
    if export.kind == ExportKind.METRICS or export.survey is None:
        metric = slugify(str(export.filters.get("metric") or "")) or "metrics"
        return f"{metric}-{timezone.now().astimezone(tz):%Y%m%d}.{export.format}"
    return _file_name(export.survey, export.format, tz)


def export_run(*, export_id: str) -> Export | None:
    """Build the file of a queued export once (claimed by a conditional UPDATE), store it, and
    mark the export ready; a failure marks it failed with the reason."""
    export = (
        Export.objects.select_related("organization", "survey", "requested_by")
        .filter(pk=export_id)
        .first()
    )
    if export is None:
        return None
    started = timezone.now()
    if not export_transition(
        export=export, to=ExportStatus.RUNNING, started_at=started, progress_done=0, error=""
    ):
        return None
    progress = Progress(export)
    storage = Export._meta.get_field("file").storage  # type: ignore[attr-defined]
    stored = ""
    try:
        with tempfile.TemporaryDirectory(prefix="closeloop-export-") as folder:
            path = Path(folder) / f"export.{export.format}"
            with translation.override(export.language):
                _builder(export)(export, path, progress)
            file_name = _file_name_for(export)
            with path.open("rb") as handle:
                stored = storage.save(f"exports/{export.organization_id}/{export.pk}/{file_name}",
                                      File(handle))  # fmt: skip
            size = path.stat().st_size
    except Exception as exc:
        if stored:
            storage.delete(stored)
        export.error = str(exc)[:2000] or exc.__class__.__name__
        export.progress_done = progress.done
        export_transition(
            export=export, to=ExportStatus.FAILED, error=export.error,
            progress_done=progress.done, finished_at=timezone.now(),
        )  # fmt: skip
        raise
    finished = timezone.now()
    export.progress_done = progress.done
    done = export_transition(
        export=export,
        to=ExportStatus.DONE,
        file=stored,
        file_name=file_name,
        size=size,
        progress_done=progress.done,
        progress_total=max(progress.done, export.progress_total or 0),
        finished_at=finished,
        expires_at=finished + EXPIRES_AFTER,
    )
    if not done:  # taken over or cancelled meanwhile: keep nothing of this run
        storage.delete(stored)
        return None
    export.refresh_from_db()
    return export


# --- downloading and expiring ------------------------------------------------------------------


def export_file_open(
    *, export: Export, actor: User | None = None, api_key: ApiKey | None = None
) -> Any:
    """Open a ready export's file for download and record who downloaded it."""
    if export.status == ExportStatus.EXPIRED or (
        export.expires_at is not None and export.expires_at <= timezone.now()
    ):
        raise ExportExpired(_("This export has expired; ask for a new one."), code="expired")
    if not export.is_ready:
        raise ConflictError(_("This export is not ready yet."), code="not-ready")
    handle = export.file.open("rb")
    activity_record(
        organization=export.organization, verb="export.downloaded", actor=actor,
        api_key=api_key, target=export,
    )  # fmt: skip
    return handle


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports past their expiry and mark them expired; return how many."""
    now = now or timezone.now()
    count = 0
    due = Export.objects.select_related("organization").filter(
        status=ExportStatus.DONE, expires_at__lte=now
    )
    for export in due.iterator(chunk_size=200):
        name = export.file.name
        if export_transition(export=export, to=ExportStatus.EXPIRED, file=""):
            if name:
                export.file.storage.delete(name)
            count += 1
    return count


def _delete_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the row is gone or expired either way; a stray file is only logged
        logger.exception("could not delete export file %s", name)


def export_file_discard(*, export: Export) -> None:
    """Delete the export's stored file once the transaction that deletes or expires the export
    commits (at once outside a transaction); a rolled-back change keeps the file."""
    _discard(export.file.storage, export.file.name)


def _discard(storage: Storage, name: str | None) -> None:
    if name:
        transaction.on_commit(lambda: _delete_file(storage, name))


ERASED_REASON = "contact_erased"


def exports_forget_contact(*, contact: Contact) -> int:
    """For a contact being erased (GDPR): expire the finished response exports that could hold
    them (those of every survey they answered, made before now) and delete their files after the
    erase commits; an export being built from those surveys fails, so its file is never kept.
    Must run before the contact's responses are detached from them. Returns how many exports
    were expired or failed."""
    from closeloop.responses.models import Response

    surveys = (
        Response.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
        .values_list("survey_id", flat=True)
        .distinct()
    )
    now = timezone.now()
    with transaction.atomic():
        # Locked (PostgreSQL): a worker claiming a queued export waits for the erase to commit,
        # then reads the anonymised answers; one already running is failed here, and the
        # worker then discards its file.
        exports = list(
            Export.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(
                organization_id=contact.organization_id,
                kind=ExportKind.RESPONSES,
                survey_id__in=list(surveys),
                created_at__lte=now,
                status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE),
            )
            .order_by("created_at")
        )
        count = 0
        for export in exports:
            if export.status == ExportStatus.QUEUED:
                continue
            if export.status == ExportStatus.DONE:
                storage, name = export.file.storage, export.file.name
                if export_transition(
                    export=export, to=ExportStatus.EXPIRED, reason=ERASED_REASON, file=""
                ):
                    _discard(storage, name)
                    count += 1
            elif export_transition(
                export=export,
                to=ExportStatus.FAILED,
                reason=ERASED_REASON,
                error=_(
                    "A contact whose answers are in this survey was erased while the export was "
                    "being built; ask for a new one."
                ),
                finished_at=now,
            ):
                count += 1
    return count
