"""Where the numbers come from: the daily rollups, or the raw answer facts, responses and
invitations. Both give the same rows (dimensions plus sums) so the engine folds them alike.

Dimensions a row can carry: `day` (the local date in the organization's time zone), `bucket`
(the first day of the query's period: day, week, month or quarter), `touchpoint_id`, `channel`,
`language`, `survey_id`, `attribute` (the respondent's contact attribute value, as text).
Score rows carry n, total, total_squares and score_0..score_10 per (survey_id,
version_number, question_key); choice rows a count per choice (the ANSWERED row: responses
that answered); response rows started, completed and started_completed; invitation rows sent,
bounced, started, completed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateField,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import (
    Coalesce,
    RowNumber,
    TruncDate,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
)

from closeloop.analytics.metrics.definitions import CHOICE_TYPES, SCORE_TYPES
from closeloop.analytics.models.rollups import (
    ANSWERED,
    SCORES,
    ChoiceRollup,
    ResponseRollup,
    ScoreDayRollup,
    ScoreRollup,
)

if TYPE_CHECKING:
    from closeloop.contacts.models import Segment

Row = dict[str, Any]
DayMap = Mapping[uuid.UUID, Sequence[dt.date]]

SCORE_MEASURES = ("n", "total", "total_squares", *(f"score_{i}" for i in SCORES))
QUESTION_FIELDS = ("survey_id", "version_number", "question_key")


def local_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The instant a local day begins in the zone (as an aware datetime)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _fields(*names: str) -> list[str]:
    """Field names without repeats (survey_id is both a dimension and part of a question)."""
    return list(dict.fromkeys(names))


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days merged into (first, last) ranges, both ends included."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


@dataclass(frozen=True)
class Scope:
    """The rows a query reads, whatever the source."""

    organization_id: uuid.UUID
    zone: ZoneInfo
    survey_ids: tuple[uuid.UUID, ...]
    question_keys: tuple[str, ...] | None = None
    question_types: tuple[str, ...] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    touchpoint_ids: tuple[uuid.UUID, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    team_id: uuid.UUID | None = None
    segment: Segment | None = None
    attribute: tuple[str, str] | None = None
    # (survey, version, question key) read exactly (the latest basis filters on it in SQL)
    idents: tuple[tuple[uuid.UUID, int, str], ...] = ()
    # only these days of these surveys (a rollup recompute, or patching dirty days)
    only_days: DayMap | None = None
    # rollups: leave these days out (they are dirty and read from the raw facts instead)
    skip_days: DayMap | None = None
    # the `bucket` dimension's period, and the contact attribute of the `attribute` dimension
    grain: str = "day"
    group_attribute: str = ""

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        start = local_start(self.date_from, self.zone) if self.date_from else None
        end = local_start(self.date_to + dt.timedelta(days=1), self.zone) if self.date_to else None
        return start, end


def _days_q(days: DayMap, instant_field: str, zone: ZoneInfo, survey_field: str) -> Q:
    """Rows of the given local days of each survey (instants in [start of day, next day))."""
    combined = Q(pk__in=[])
    for survey_id, survey_days in days.items():
        for first, last in day_ranges(survey_days):
            combined |= Q(
                **{
                    survey_field: survey_id,
                    f"{instant_field}__gte": local_start(first, zone),
                    f"{instant_field}__lt": local_start(last + dt.timedelta(days=1), zone),
                }
            )
    return combined


def _contact_filters(qs: QuerySet[Any], scope: Scope, contact_field: str) -> QuerySet[Any]:
    from closeloop.contacts.models import Contact
    from closeloop.contacts.selectors import segment_contacts

    if scope.segment is not None:
        qs = qs.filter(
            **{f"{contact_field}__in": segment_contacts(segment=scope.segment).values("pk")}
        )
    if scope.attribute is not None:
        key, value = scope.attribute
        contacts = (
            Contact.objects.filter(organization_id=scope.organization_id)
            .alias(_attr=KeyTextTransform(key, "attributes"))
            .filter(_attr__iexact=value)
            .values("pk")
        )
        qs = qs.filter(**{f"{contact_field}__in": contacts})
    return qs


def _team_filter(qs: QuerySet[Any], team_id: uuid.UUID, response_field: str) -> QuerySet[Any]:
    """The team's responses, as its inbox counts them: routed by a rule, tagged with a tag it
    owns, or with a case of the team."""
    from closeloop.accounts.models import Team
    from closeloop.cases.selectors import team_response_ids

    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return qs.none()
    match = Q()
    for ids in team_response_ids(team=team):
        match |= Q(**{f"{response_field}__in": ids})
    return qs.filter(match)


def _attribute_expr(key: str, contact_ref: str) -> Subquery:
    from closeloop.contacts.models import Contact

    return Subquery(
        Contact.objects.filter(pk=OuterRef(contact_ref))
        .annotate(_value=KeyTextTransform(key, "attributes"))
        .values("_value")[:1]
    )


_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _bucket_expr(instant: str | Expression, grain: str, zone: ZoneInfo) -> Expression:
    """The local first day of the period an instant falls in."""
    if grain == "day":
        return TruncDate(instant, tzinfo=zone)
    trunc: Expression = _TRUNC[grain](instant, tzinfo=zone, output_field=DateField())
    return trunc


def _dims(
    qs: QuerySet[Any], dims: Sequence[str], scope: Scope, instant: str | Expression,
    *, prefix: str = "", contact: str = "contact_id",
) -> QuerySet[Any]:  # fmt: skip
    """Annotate the dimensions that are not plain columns: `day`, `bucket` (from `instant`),
    `attribute`, and with a prefix (facts: "response__") the response's columns."""
    exprs: dict[str, Any] = {}
    for dim in dims:
        if dim == "day":
            exprs["day"] = TruncDate(instant, tzinfo=scope.zone)
        elif dim == "bucket":
            exprs["bucket"] = _bucket_expr(instant, scope.grain, scope.zone)
        elif dim == "attribute":
            exprs["attribute"] = _attribute_expr(scope.group_attribute, contact)
        elif prefix and dim in ("touchpoint_id", "channel", "language"):
            exprs[dim] = F(f"{prefix}{dim}")
    return qs.annotate(**exprs) if exprs else qs


# --- raw answer facts --------------------------------------------------------------------------


def _facts(scope: Scope) -> QuerySet[Any]:
    from closeloop.responses.models import AnswerFact

    qs = AnswerFact.objects.filter(
        organization_id=scope.organization_id, survey_id__in=scope.survey_ids, row_key=""
    )
    if scope.question_keys is not None:
        qs = qs.filter(question_key__in=scope.question_keys)
    if scope.question_types is not None:
        qs = qs.filter(question_type__in=scope.question_types)
    start, end = scope.bounds()
    if start is not None:
        qs = qs.filter(answered_at__gte=start)
    if end is not None:
        qs = qs.filter(answered_at__lt=end)
    if scope.only_days is not None:
        qs = qs.filter(_days_q(scope.only_days, "answered_at", scope.zone, "survey_id"))
    if scope.touchpoint_ids:
        qs = qs.filter(response__touchpoint_id__in=scope.touchpoint_ids)
    if scope.channels:
        qs = qs.filter(response__channel__in=scope.channels)
    if scope.languages:
        qs = qs.filter(response__language__in=scope.languages)
    if scope.team_id is not None:
        qs = _team_filter(qs, scope.team_id, "response_id")
    qs = _contact_filters(qs, scope, "response__contact_id")
    return qs.order_by()


def _fact_dims(qs: QuerySet[Any], dims: Sequence[str], scope: Scope) -> QuerySet[Any]:
    return _dims(
        qs, dims, scope, "answered_at", prefix="response__", contact="response__contact_id"
    )


def _score_aggregates() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "total": Sum("number"),
        "total_squares": Sum(F("number") * F("number")),
        **{f"score_{i}": Count("id", filter=Q(number=i)) for i in SCORES},
    }


def raw_score_queryset(
    scope: Scope, dims: Sequence[str], *, with_type: bool = False
) -> QuerySet[Any]:
    """Score facts summed per dimensions and (survey, version, question[, type])."""
    qs = _fact_dims(
        _facts(scope).filter(number__isnull=False, question_type__in=SCORE_TYPES), dims, scope
    )
    fields = _fields(*dims, *QUESTION_FIELDS, *(("question_type",) if with_type else ()))
    summed: QuerySet[Any] = qs.values(*fields).annotate(**_score_aggregates()).order_by()
    return summed


def raw_score_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    return list(raw_score_queryset(scope, dims))


def _idents_q(scope: Scope) -> Q:
    combined = Q(pk__in=[])
    for survey_id, version, key in scope.idents:
        combined |= Q(survey_id=survey_id, version_number=version, question_key=key)
    return combined


def _latest(qs: QuerySet[Any], dims: Sequence[str]) -> QuerySet[Any]:
    """Keep each contact's latest fact per combination of dimensions."""
    latest: QuerySet[Any] = (
        qs.exclude(response__contact_id=None)
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("response__contact_id"), *(F(d) for d in dims)],
                order_by=[F("answered_at").desc(), F("id").desc()],
            )
        )
        .filter(_rank=1)
    )
    return latest


def latest_score_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Each contact's latest score (per combination of dimensions), one row each."""
    qs = _fact_dims(_facts(scope).filter(_idents_q(scope), number__isnull=False), dims, scope)
    rows: list[Row] = []
    for row in _latest(qs, dims).values(*_fields(*dims, *QUESTION_FIELDS, "number")):
        number = float(row.pop("number"))
        row.update(n=1, total=number, total_squares=number * number)
        for i in SCORES:
            row[f"score_{i}"] = 1 if number == i else 0
        rows.append(row)
    return rows


def raw_choice_querysets(scope: Scope, dims: Sequence[str]) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """Choice facts counted per dimensions, question and choice; and per dimensions and
    question, the responses that answered (the ANSWERED rows, without a choice column)."""
    base = _fact_dims(_facts(scope).filter(question_type__in=CHOICE_TYPES), dims, scope)
    fields = _fields(*dims, *QUESTION_FIELDS)
    picked = base.exclude(choice="").values(*fields, "choice").annotate(count=Count("id"))
    answered = base.values(*fields).annotate(count=Count("response_id", distinct=True))
    return picked.order_by(), answered.order_by()


def _with_answered(picked: QuerySet[Any], answered: QuerySet[Any]) -> list[Row]:
    rows = list(picked)
    for row in answered:
        row["choice"] = ANSWERED
        rows.append(row)
    return rows


def raw_choice_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    return _with_answered(*raw_choice_querysets(scope, dims))


def latest_choice_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Choices of each contact's latest answer (per combination of dimensions)."""
    from closeloop.responses.models import AnswerFact

    answered = _fact_dims(_facts(scope).filter(_idents_q(scope)), dims, scope)
    latest_ids = list(_latest(answered, dims).values_list("response_id", flat=True))
    if not latest_ids:
        return []
    qs = _fact_dims(
        AnswerFact.objects.filter(response_id__in=latest_ids).filter(_idents_q(scope)),
        dims,
        scope,
    ).order_by()
    fields = _fields(*dims, *QUESTION_FIELDS)
    return _with_answered(
        qs.exclude(choice="").values(*fields, "choice").annotate(count=Count("id")).order_by(),
        qs.values(*fields).annotate(count=Count("response_id", distinct=True)).order_by(),
    )


# --- raw responses and invitations ---------------------------------------------------------------


def _responses(scope: Scope, instant_field: str) -> QuerySet[Any]:
    from closeloop.responses.models import Response

    qs = Response.objects.filter(
        organization_id=scope.organization_id, survey_id__in=scope.survey_ids
    )
    start, end = scope.bounds()
    if start is not None:
        qs = qs.filter(**{f"{instant_field}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{instant_field}__lt": end})
    if scope.only_days is not None:
        qs = qs.filter(_days_q(scope.only_days, instant_field, scope.zone, "survey_id"))
    if scope.touchpoint_ids:
        qs = qs.filter(touchpoint_id__in=scope.touchpoint_ids)
    if scope.channels:
        qs = qs.filter(channel__in=scope.channels)
    if scope.languages:
        qs = qs.filter(language__in=scope.languages)
    if scope.team_id is not None:
        qs = _team_filter(qs, scope.team_id, "pk")
    return _contact_filters(qs, scope, "contact_id").order_by()


def raw_started_queryset(scope: Scope, dims: Sequence[str]) -> QuerySet[Any]:
    """Responses started per day (historical imports left out), and how many of them are
    complete now."""
    from closeloop.responses.choices import ResponseStatus

    qs = _dims(_responses(scope, "started_at").filter(historical=False), dims, scope, "started_at")
    counted: QuerySet[Any] = (
        qs.values(*dims)
        .annotate(
            started=Count("id"),
            started_completed=Count("id", filter=Q(status=ResponseStatus.COMPLETE)),
        )
        .order_by()
    )
    return counted


def raw_started_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    return list(raw_started_queryset(scope, dims))


def raw_completed_queryset(scope: Scope, dims: Sequence[str]) -> QuerySet[Any]:
    """Responses completed per day (historical imports included)."""
    qs = _dims(
        _responses(scope, "completed_at").filter(completed_at__isnull=False),
        dims,
        scope,
        "completed_at",
    )
    counted: QuerySet[Any] = qs.values(*dims).annotate(completed=Count("id")).order_by()
    return counted


def raw_invitation_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Invitations sent per day (when sent, else when created, for widget asks), with how many
    bounced, were started and were completed."""
    from closeloop.distribution.choices import InvitationStatus as S
    from closeloop.distribution.models import Invitation

    qs = (
        Invitation.objects.filter(
            organization_id=scope.organization_id, survey_id__in=scope.survey_ids
        )
        .filter(
            Q(sent_at__isnull=False) | Q(status__in=[S.BOUNCED, S.OPENED, S.STARTED, S.COMPLETED])
        )
        .alias(sent_on=Coalesce("sent_at", "created_at"))
    )
    start, end = scope.bounds()
    if start is not None:
        qs = qs.filter(sent_on__gte=start)
    if end is not None:
        qs = qs.filter(sent_on__lt=end)
    if scope.touchpoint_ids:
        qs = qs.filter(touchpoint_id__in=scope.touchpoint_ids)
    if scope.channels:
        qs = qs.filter(channel__in=scope.channels)
    if scope.languages:
        qs = qs.filter(language__in=scope.languages)
    qs = _contact_filters(qs, scope, "contact_id").order_by()
    qs = _dims(qs, dims, scope, Coalesce("sent_at", "created_at"))
    started = Q(started_at__isnull=False) | Q(status__in=[S.STARTED, S.COMPLETED])
    completed = Q(completed_at__isnull=False) | Q(status=S.COMPLETED)
    return list(
        qs.values(*dims)
        .annotate(
            sent=Count("id"),
            bounced=Count("id", filter=Q(status=S.BOUNCED)),
            started=Count("id", filter=started & ~Q(status=S.BOUNCED)),
            completed=Count("id", filter=completed & ~Q(status=S.BOUNCED)),
        )
        .order_by()
    )


# --- rollups -------------------------------------------------------------------------------


_DAY_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _rollup_filter(qs: QuerySet[Any], scope: Scope, dims: Sequence[str]) -> QuerySet[Any]:
    qs = qs.filter(organization_id=scope.organization_id, survey_id__in=scope.survey_ids)
    if scope.date_from is not None:
        qs = qs.filter(day__gte=scope.date_from)
    if scope.date_to is not None:
        qs = qs.filter(day__lte=scope.date_to)
    if scope.touchpoint_ids:
        qs = qs.filter(touchpoint_id__in=scope.touchpoint_ids)
    if scope.channels:
        qs = qs.filter(channel__in=scope.channels)
    if scope.languages:
        qs = qs.filter(language__in=scope.languages)
    for survey_id, days in (scope.skip_days or {}).items():
        qs = qs.exclude(survey_id=survey_id, day__in=list(days))
    if "bucket" in dims:
        # the days are local already: the period's first day straight from the date
        bucket = F("day") if scope.grain == "day" else _DAY_TRUNC[scope.grain]("day")
        qs = qs.annotate(bucket=bucket)
    return qs.order_by()


def _whole_days(scope: Scope, dims: Sequence[str]) -> bool:
    """Whether the query needs no touchpoint, channel or language: whole-day rollups do."""
    return not (scope.touchpoint_ids or scope.channels or scope.languages) and set(dims) <= {
        "bucket",
        "day",
        "survey_id",
    }


def rollup_score_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Score rollups summed per dimensions and (survey, version, question): the whole-day
    rollups when the query does not look at touchpoints, channels or languages."""
    model = ScoreDayRollup if _whole_days(scope, dims) else ScoreRollup
    qs = _rollup_filter(model.objects.all(), scope, dims)
    if scope.question_keys is not None:
        qs = qs.filter(question_key__in=scope.question_keys)
    if scope.question_types is not None:
        qs = qs.filter(question_type__in=scope.question_types)
    return list(
        qs.values(*_fields(*dims, *QUESTION_FIELDS))
        .annotate(**{m: Sum(m) for m in SCORE_MEASURES})
        .order_by()
    )


def rollup_choice_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Choice rollups summed per dimensions, question and choice."""
    qs = _rollup_filter(ChoiceRollup.objects.all(), scope, dims)
    if scope.question_keys is not None:
        qs = qs.filter(question_key__in=scope.question_keys)
    return list(
        qs.values(*_fields(*dims, *QUESTION_FIELDS, "choice"))
        .annotate(count=Sum("count"))
        .order_by()
    )


def rollup_started_rows(scope: Scope, dims: Sequence[str]) -> list[Row]:
    """Response rollups: started and started-then-completed per dimensions."""
    qs = _rollup_filter(ResponseRollup.objects.all(), scope, dims)
    return list(
        qs.values(*dims)
        .annotate(started=Sum("started"), started_completed=Sum("started_completed"))
        .order_by()
    )
