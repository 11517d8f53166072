"""Writes of analytics: keeping the daily rollups current (dirty days, recompute, full rebuild)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, Field, Max, Min, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from closeloop.analytics.metrics.sources import (
    SCORE_MEASURES,
    Scope,
    raw_choice_querysets,
    raw_completed_queryset,
    raw_score_queryset,
    raw_started_queryset,
)
from closeloop.analytics.models.rollups import (
    ANSWERED,
    ChoiceRollup,
    ResponseRollup,
    RollupDirtyDay,
    RollupState,
    ScoreDayRollup,
    ScoreRollup,
)

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

logger = logging.getLogger("closeloop.analytics")

ROLLUP_DIMS = ("day", "touchpoint_id", "channel", "language")
ROLLUP_MODELS = (ScoreRollup, ScoreDayRollup, ChoiceRollup, ResponseRollup)
# A rebuild that has not reported progress for this long (its worker died) is taken over by
# the next periodic run.
REBUILD_STALE = dt.timedelta(minutes=15)

Progress = Callable[[int, int, str], None]


def _local_day(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def rollup_days_mark_dirty(*, organization_id: Any, survey_id: Any, days: Iterable[dt.date]) -> int:
    """Mark days of a survey for recomputing (already marked days stay as they are)."""
    rows = [
        RollupDirtyDay(organization_id=organization_id, survey_id=survey_id, day=day)
        for day in sorted(set(days))
    ]
    RollupDirtyDay.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def rollup_response_mark_dirty(*, response_id: Any) -> int:
    """Mark the local days a response counts on (the day it started and the day it was
    completed) dirty; returns how many days were marked."""
    from closeloop.responses.models import Response

    row = (
        Response.objects.filter(pk=response_id)
        .values(
            "organization_id",
            "survey_id",
            "started_at",
            "completed_at",
            "organization__time_zone",
        )
        .first()
    )
    if row is None:
        return 0
    zone = ZoneInfo(row["organization__time_zone"])
    days = {_local_day(at, zone) for at in (row["started_at"], row["completed_at"]) if at}
    return rollup_days_mark_dirty(
        organization_id=row["organization_id"], survey_id=row["survey_id"], days=days
    )


def _lock_survey(survey_id: Any) -> None:
    """Serialize rewrites of one survey's rollups (a dirty day against a rebuild)."""
    from closeloop.surveys.models import Survey

    list(Survey.objects.select_for_update().filter(pk=survey_id).values_list("pk"))


def _insert_select(
    model: type[Model], qs: QuerySet[Any], names: Sequence[str], constants: dict[str, Any]
) -> int:
    """INSERT INTO the model's table the rows of an aggregate query (columns named like the
    model's fields), plus constant columns: the database does the work, not Python."""
    sql, params = qs.query.sql_with_params()
    quote = connection.ops.quote_name
    fields: dict[str, Field[Any, Any]] = {}
    for name in [*constants, *names]:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        fields[name] = field
    target = ", ".join(quote(str(fields[name].column)) for name in [*constants, *names])
    values = [fields[name].get_db_prep_save(value, connection) for name, value in constants.items()]
    source = ", ".join(["%s"] * len(constants) + [f"sub.{quote(name)}" for name in names])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({target}) "  # noqa: S608
            f"SELECT {source} FROM ({sql}) sub",
            [*values, *params],
        )
        return int(cursor.rowcount or 0)


def _rewrite(
    *, organization_id: uuid.UUID, survey_id: uuid.UUID, zone: ZoneInfo, first: dt.date,
    last: dt.date,
) -> int:  # fmt: skip
    """Replace the rollups of days first..last of a survey by the raw aggregate, one
    INSERT ... SELECT (GROUP BY) per rollup (call inside a transaction holding the survey
    lock); returns the rows written."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    for model in ROLLUP_MODELS:
        model.objects.filter(survey_id=survey_id, day__gte=first, day__lte=last).delete()
    scope = Scope(
        organization_id=organization_id,
        zone=zone,
        survey_ids=(survey_id,),
        only_days={survey_id: days},
    )
    dims = list(ROLLUP_DIMS)
    org = {"organization_id": organization_id}
    both = {**org, "survey_id": survey_id}
    keys = [*dims, "survey_id", "version_number", "question_key"]
    picked, answered = raw_choice_querysets(scope, dims)
    written = _insert_select(
        ScoreRollup,
        raw_score_queryset(scope, dims, with_type=True),
        [*keys, "question_type", *SCORE_MEASURES],
        org,
    )
    written += _insert_select(
        ScoreDayRollup,
        raw_score_queryset(scope, ["day"], with_type=True),
        ["day", *keys[len(dims) :], "question_type", *SCORE_MEASURES],
        org,
    )
    written += _insert_select(ChoiceRollup, picked, [*keys, "choice", "count"], org)
    written += _insert_select(ChoiceRollup, answered, [*keys, "count"], {**org, "choice": ANSWERED})
    # started and completed counts land on different days: two kinds of rows (always summed)
    written += _insert_select(
        ResponseRollup,
        raw_started_queryset(scope, dims),
        [*dims, "started", "started_completed"],
        {**both, "completed": 0},
    )
    written += _insert_select(
        ResponseRollup,
        raw_completed_queryset(scope, dims),
        [*dims, "completed"],
        {**both, "started": 0, "started_completed": 0},
    )
    return written


def rollup_day_recompute(*, organization: Organization, survey_id: Any, day: dt.date) -> int:
    """Recompute one day of a survey from its answers and clear its dirty mark, atomically."""
    with transaction.atomic():
        _lock_survey(survey_id)
        RollupDirtyDay.objects.filter(survey_id=survey_id, day=day).delete()
        return _rewrite(
            organization_id=organization.pk,
            survey_id=uuid.UUID(str(survey_id)),
            zone=ZoneInfo(organization.time_zone),
            first=day,
            last=day,
        )


def rollups_recompute_dirty(*, limit: int = 500) -> int:
    """Recompute up to `limit` dirty days, oldest mark first; returns how many were done.

    Each day is its own transaction: the mark is removed only if it is still there (another
    worker may have taken it), together with the new rollups."""
    from closeloop.accounts.models import Organization

    marks = list(
        RollupDirtyDay.objects.order_by("marked_at", "id").values_list(
            "pk", "organization_id", "survey_id", "day"
        )[:limit]
    )
    zones = dict(
        Organization.objects.filter(pk__in={m[1] for m in marks}).values_list("pk", "time_zone")
    )
    done = 0
    for pk, organization_id, survey_id, day in marks:
        with transaction.atomic():
            _lock_survey(survey_id)
            claimed, _details = RollupDirtyDay.objects.filter(pk=pk).delete()
            if not claimed:
                continue
            _rewrite(
                organization_id=organization_id,
                survey_id=survey_id,
                zone=ZoneInfo(zones[organization_id]),
                first=day,
                last=day,
            )
        done += 1
    return done


@dataclass(frozen=True)
class _Chunk:
    survey_id: uuid.UUID
    survey_name: str
    first: dt.date
    last: dt.date


def _month_chunks(survey_id: uuid.UUID, name: str, first: dt.date, last: dt.date) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    start = first
    while start <= last:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(last, next_month - dt.timedelta(days=1))
        chunks.append(_Chunk(survey_id, name, start, end))
        start = next_month
    return chunks


def rollups_rebuild(*, organization: Organization, progress: Progress | None = None) -> RollupState:
    """Rebuild every rollup of the organization from its answers, a survey-month at a time
    (each in its own transaction, so dashboards keep working), reporting (done, total, what)."""
    from closeloop.responses.models import Response
    from closeloop.surveys.models import Survey

    started = timezone.now()
    zone_name = organization.time_zone
    zone = ZoneInfo(zone_name)
    state, _created = RollupState.objects.get_or_create(
        organization=organization, defaults={"time_zone": zone_name}
    )
    RollupState.objects.filter(pk=state.pk).update(rebuild_started_at=started)
    chunks: list[_Chunk] = []
    for survey_id, name in Survey.objects.filter(organization=organization).values_list(
        "pk", "name"
    ):
        span = Response.objects.filter(survey_id=survey_id).aggregate(
            first_start=Min("started_at"),
            last_start=Max("started_at"),
            first_done=Min("completed_at"),
            last_done=Max("completed_at"),
        )
        instants = [v for v in span.values() if v is not None]
        if not instants:
            for model in ROLLUP_MODELS:
                model.objects.filter(survey_id=survey_id).delete()
            continue
        first, last = _local_day(min(instants), zone), _local_day(max(instants), zone)
        for model in ROLLUP_MODELS:
            model.objects.filter(survey_id=survey_id).filter(
                Q(day__lt=first) | Q(day__gt=last)
            ).delete()
        chunks.extend(_month_chunks(survey_id, name, first, last))
    total = len(chunks)
    if progress is not None:
        progress(0, total, "")
    for index, chunk in enumerate(chunks, start=1):
        with transaction.atomic():
            _lock_survey(chunk.survey_id)
            _rewrite(
                organization_id=organization.pk,
                survey_id=chunk.survey_id,
                zone=zone,
                first=chunk.first,
                last=chunk.last,
            )
        # still at it: no other worker takes the rebuild over, however long it runs
        RollupState.objects.filter(pk=state.pk).update(rebuild_started_at=timezone.now())
        if progress is not None:
            progress(index, total, f"{chunk.survey_name} {chunk.first:%Y-%m}")
    _analyze()
    # Marks made before the rebuild began are covered by it.
    RollupDirtyDay.objects.filter(organization=organization, marked_at__lt=started).delete()
    RollupState.objects.filter(pk=state.pk).update(
        time_zone=zone_name, built_at=timezone.now(), rebuild_started_at=None
    )
    state.refresh_from_db()
    return state


def _analyze() -> None:
    """Fresh statistics after a bulk build, so PostgreSQL plans the dashboards' queries well."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in ROLLUP_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def rollup_state_init(*, organization: Organization) -> RollupState:
    """A new organization has no answers: its (empty) rollups are complete from the start."""
    state, _created = RollupState.objects.update_or_create(
        organization=organization,
        defaults={"time_zone": organization.time_zone, "built_at": timezone.now()},
    )
    return state


def rollups_stale_organizations() -> list[Organization]:
    """Organizations whose rollups were never built or were cut in another time zone, and
    that no live rebuild is working on."""
    from closeloop.accounts.models import Organization

    current = RollupState.objects.filter(
        organization=OuterRef("pk"), built_at__isnull=False, time_zone=OuterRef("time_zone")
    )
    busy = RollupState.objects.filter(
        organization=OuterRef("pk"), rebuild_started_at__gte=timezone.now() - REBUILD_STALE
    )
    return list(
        Organization.objects.annotate(current=Exists(current), busy=Exists(busy))
        .filter(current=False, busy=False)
        .order_by("created_at")
    )


def _claim_rebuild(organization: Organization) -> bool:
    """Claim an organization's rebuild with a conditional UPDATE (one worker wins)."""
    now = timezone.now()
    RollupState.objects.get_or_create(
        organization=organization, defaults={"time_zone": organization.time_zone}
    )
    claimed = (
        RollupState.objects.filter(organization=organization)
        .filter(Q(rebuild_started_at__isnull=True) | Q(rebuild_started_at__lt=now - REBUILD_STALE))
        .update(rebuild_started_at=now)
    )
    return bool(claimed)


def rollups_refresh(*, dirty_limit: int = 500, rebuild_limit: int = 3) -> int:
    """The worker's periodic pass: rebuild stale organizations (a few per pass), then
    recompute dirty days. Returns how many days and organizations were done."""
    done = 0
    for organization in rollups_stale_organizations()[:rebuild_limit]:
        if not _claim_rebuild(organization):
            continue  # another worker took it
        logger.info("Rebuilding the analytics rollups of %s", organization.slug)
        rollups_rebuild(organization=organization)
        done += 1
    return done + rollups_recompute_dirty(limit=dirty_limit)
