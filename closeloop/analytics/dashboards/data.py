"""What widgets read: a thin adapter over the metric engine (closeloop.analytics.metrics), plus
the lists the engine does not serve (verbatims) and the loop figures of closeloop.cases.

Every figure comes back with its n and margin, and with `hidden` set when its group is smaller
than the minimum group size: the value, n and counts of a hidden group are dropped here, so no
template or chart can leak them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from closeloop.analytics.dashboards.schemas import DateRange, PageFilters
from closeloop.analytics.metrics import GroupResult, MetricFilters, MetricResult, metric_compute
from closeloop.analytics.metrics.stats import Estimate, proportion_estimate
from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization, Team

DEFAULT_MIN_GROUP_SIZE = 5


class NoData(Exception):
    """A widget cannot show its figure for these filters; the message says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TEXT_TYPES = ("short_text", "long_text")
SCORE_TYPES = ("nps", "csat", "ces", "rating")
BANDS: dict[str, tuple[float, float]] = {
    "promoters": (9, 10),
    "passives": (7, 8),
    "detractors": (0, 6),
}


@dataclass
class Point:
    """One figure of a widget: a value with its n and margin, or hidden (too few responses)."""

    value: float | None
    n: int
    margin: float | None
    counts: dict[str, int] = field(default_factory=dict)
    hidden: bool = False
    key: str = ""
    label: str = ""
    estimate: Estimate | None = None

    @property
    def low(self) -> float | None:
        return self.estimate.low if self.estimate is not None and not self.hidden else None

    @property
    def high(self) -> float | None:
        return self.estimate.high if self.estimate is not None and not self.hidden else None

    @classmethod
    def of(cls, estimate: Estimate, *, key: str = "", label: str = "") -> Point:
        return cls(
            value=estimate.value,
            n=estimate.n,
            margin=estimate.margin_of_error,
            counts=dict(estimate.counts),
            key=key,
            label=label,
            estimate=estimate,
        )

    @classmethod
    def hidden_group(cls, *, key: str = "", label: str = "") -> Point:
        return cls(value=None, n=0, margin=None, hidden=True, key=key, label=label)


@dataclass
class Scope:
    """Who is asking and for what: the org, the page's filters and period, the dashboard's team,
    and the minimum group size that applies."""

    organization: Organization
    filters: PageFilters
    period: DateRange
    team: Team | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE


def share_of(estimate: Estimate, category: str) -> Estimate:
    """The share of promoters, passives or detractors behind an NPS estimate, in percent."""
    counts = estimate.counts
    return proportion_estimate(
        successes=int(counts.get(category, 0)), n=estimate.n, success_label=category
    )


# --- responses matching the page ----------------------------------------------------------------


def _responses(scope: Scope, *, period: DateRange | None = None) -> QuerySet[Any]:
    """Completed responses of the org in the period that match the page's filters."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    rng = period or scope.period
    f = scope.filters
    qs = Response.objects.filter(
        organization=scope.organization,
        status=ResponseStatus.COMPLETE,
        completed_at__gte=rng.start,
        completed_at__lt=rng.end,
    )
    # Employee surveys only when chosen: their answers never mix into customer figures.
    qs = qs.filter(survey_id=f.survey) if f.survey else qs.exclude(survey__kind="employee")
    if f.touchpoint:
        qs = qs.filter(touchpoint_id=f.touchpoint)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.language:
        qs = qs.filter(language=f.language)
    if f.segment:
        qs = qs.filter(contact_id__in=_segment_contact_ids(scope.organization, f.segment))
    return qs


def _segment_contact_ids(organization: Organization, segment_id: uuid.UUID) -> QuerySet[Any]:
    from closeloop.contacts.models import Contact, Segment
    from closeloop.contacts.selectors import segment_contacts

    segment = Segment.objects.filter(organization=organization, pk=segment_id).first()
    if segment is None:
        return Contact.objects.none().values("pk")
    return segment_contacts(segment=segment).values("pk")


def is_employee_scope(scope: Scope) -> bool:
    """Whether the page shows an employee survey (minimum group size always on)."""
    from closeloop.surveys.models import Survey

    if not scope.filters.survey:
        return False
    return Survey.objects.filter(
        organization=scope.organization, pk=scope.filters.survey, kind="employee"
    ).exists()


# --- verbatims --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verbatim:
    response_id: uuid.UUID
    text: str
    score: float | None
    score_type: str
    answered_at: dt.datetime
    survey_name: str
    language: str


@dataclass
class VerbatimList:
    rows: list[Verbatim]
    hidden: bool = False  # an employee survey with fewer answers than the minimum group size


def verbatims(
    scope: Scope,
    *,
    limit: int,
    band: str = "any",
    contains: list[str] | None = None,
    tags: list[str] | None = None,
    team_inbox: bool = False,
) -> VerbatimList:
    """The latest open answers matching the page's filters, with the response's first score."""
    from closeloop.responses.models import AnswerFact

    responses = _responses(scope)
    if band in BANDS:
        low, high = BANDS[band]
        nps = AnswerFact.objects.filter(
            response_id=OuterRef("pk"), question_type="nps", number__gte=low, number__lte=high
        )
        responses = responses.filter(Exists(nps))
    if tags:
        from closeloop.automation.models import ResponseTag

        tagged = ResponseTag.objects.filter(
            response_id=OuterRef("pk"), tag__in=[t.casefold() for t in tags]
        )
        responses = responses.filter(Exists(tagged))
    if team_inbox:
        if scope.team is None:
            return VerbatimList(rows=[])
        from closeloop.cases.metrics import routed_response_ids

        # The team's inbox, as the cases app defines it (routed by a rule, or tagged for it).
        responses = responses.filter(pk__in=list(routed_response_ids(scope.team)))
    facts = AnswerFact.objects.filter(
        organization_id=scope.organization.pk,
        question_type__in=TEXT_TYPES,
        response__in=responses,
    ).exclude(text="")
    if contains:
        words = Q()
        for word in contains:
            words |= Q(text__icontains=word)
        facts = facts.filter(words)
    if is_employee_scope(scope) and responses.count() < scope.min_group_size:
        return VerbatimList(rows=[], hidden=True)
    rows = list(
        facts.select_related("response", "response__survey").order_by("-answered_at", "-id")[
            : limit * 2
        ]
    )
    seen: set[uuid.UUID] = set()
    picked = []
    for fact in rows:
        if fact.response_id in seen:  # one comment per response: its first open answer
            continue
        seen.add(fact.response_id)
        picked.append(fact)
        if len(picked) == limit:
            break
    scores: dict[uuid.UUID, tuple[float | None, str]] = {}
    score_rows = (
        AnswerFact.objects.filter(
            response_id__in=[f.response_id for f in picked],
            question_type__in=SCORE_TYPES,
            number__isnull=False,
        )
        .order_by("id")
        .values_list("response_id", "number", "question_type")
    )
    for response_id, number, kind in score_rows:
        scores.setdefault(response_id, (number, kind))
    return VerbatimList(
        rows=[
            Verbatim(
                response_id=f.response_id,
                text=f.text,
                score=scores.get(f.response_id, (None, ""))[0],
                score_type=scores.get(f.response_id, (None, ""))[1],
                answered_at=f.answered_at,
                survey_name=f.response.survey.name,
                language=f.response.language,
            )
            for f in picked
        ]
    )


# --- cases ------------------------------------------------------------------------------------


@dataclass
class CaseFigures:
    """Live case counts (open now, breached or due within hours) and the period's loop figures."""

    open: int
    breached: int
    due_soon: int
    median_first_response: dt.timedelta | None
    first_response_n: int
    recovered: int
    closed_loop_rate: float | None
    detractors: int
    detractors_contacted: int
    cases: int


def case_figures(scope: Scope, *, team_only: bool) -> CaseFigures:
    """Open and breaching cases now, and median first response and recovered customers over
    the page's period (closeloop.cases.metrics)."""
    from closeloop.cases.choices import ACTIVE_STATUSES
    from closeloop.cases.escalation import breaching_soon_q
    from closeloop.cases.metrics import loop_metrics
    from closeloop.cases.models import Case

    team = scope.team if team_only else None
    active = Case.objects.filter(organization=scope.organization, status__in=ACTIVE_STATUSES)
    if team is not None:
        active = active.filter(team=team)
    now = timezone.now()
    report = loop_metrics(
        organization=scope.organization,
        team=team,
        start=scope.period.start,
        end=min(scope.period.end, now),
        weekly=False,
    )
    m = report.total
    return CaseFigures(
        open=active.count(),
        breached=active.filter(Q(breached_first_response=True) | Q(breached_resolution=True))
        .distinct()
        .count(),
        due_soon=active.filter(breaching_soon_q(now)).count(),
        median_first_response=m.median_first_response,
        first_response_n=m.first_response_n,
        recovered=m.recovered,
        closed_loop_rate=m.closed_loop_rate,
        detractors=m.detractors,
        detractors_contacted=m.detractors_contacted,
        cases=m.cases,
    )


# --- metrics (closeloop.analytics.metrics) -----------------------------------------------------


def _metric_filters(
    scope: Scope, period: DateRange, *, survey: uuid.UUID | None = None, question: str = ""
) -> MetricFilters:
    """The page's filters as the engine takes them (objects of the org, days in its zone)."""
    from django.utils.translation import gettext as _

    from closeloop.contacts.models import Segment
    from closeloop.distribution.models import Touchpoint
    from closeloop.surveys.models import Survey

    f = scope.filters
    org = scope.organization
    surveys: tuple[Any, ...] = ()
    survey_id = survey or f.survey
    if survey_id:
        found = Survey.objects.filter(organization=org, pk=survey_id).first()
        if found is None:
            raise NoData(_("The survey in the filters no longer exists."))
        surveys = (found,)
    touchpoints: tuple[Any, ...] = ()
    if f.touchpoint:
        point = Touchpoint.objects.filter(organization=org, pk=f.touchpoint).first()
        if point is None:
            raise NoData(_("The touchpoint in the filters no longer exists."))
        touchpoints = (point,)
    segment = None
    if f.segment:
        segment = Segment.objects.filter(organization=org, pk=f.segment).first()
        if segment is None:
            raise NoData(_("The segment in the filters no longer exists."))
    return MetricFilters(
        surveys=surveys,
        question=question or None,
        date_from=period.first_day,
        date_to=period.last_day,
        touchpoints=touchpoints,
        channels=(f.channel,) if f.channel else (),
        languages=(f.language,) if f.language else (),
        segment=segment,
    )


def _engine_metric(scope: Scope, metric: str) -> str:
    """NPS of an employee survey is eNPS (the same maths on the employee question)."""
    if metric == "nps" and is_employee_scope(scope):
        return "enps"
    return metric


def _compute(
    scope: Scope,
    *,
    metric: str,
    period: DateRange,
    group_by: str = "none",
    survey: uuid.UUID | None = None,
    question: str = "",
) -> MetricResult:
    try:
        return metric_compute(
            organization=scope.organization,
            metric=_engine_metric(scope, metric),
            filters=_metric_filters(scope, period, survey=survey, question=question),
            group_by=group_by,
            basis=scope.filters.basis,
            min_group_size=scope.min_group_size,
        )
    except DomainError as exc:
        raise NoData(exc.message) from None


def _point(group: GroupResult) -> Point:
    """A group of the engine as a widget's figure; a hidden group keeps only its label."""
    if group.hidden:
        return Point.hidden_group(key=group.key, label=group.label)
    return Point.of(group.estimate, key=group.key, label=group.label)


def metric_point(scope: Scope, *, metric: str, period: DateRange | None = None) -> Point:
    """The metric over the period (default: the page's) for the page's filters."""
    result = _compute(scope, metric=metric, period=period or scope.period)
    point = _point(result.total)
    if not result.total.hidden and result.total.parts:
        point.counts = {p.key: p.estimate.counts.get(p.key, 0) for p in result.total.parts}
        point.counts.update(result.total.estimate.counts)
    return point


def metric_series(scope: Scope, *, metric: str, interval: str) -> list[Point]:
    """The metric by day, week, month or quarter over the page's period (empty periods too)."""
    result = _compute(scope, metric=metric, period=scope.period, group_by=interval)
    return [_point(g) for g in result.groups]


def metric_groups(scope: Scope, *, metric: str, by: str, attribute: str = "") -> list[Point]:
    """The metric by touchpoint, channel, language, survey or attribute value, largest first;
    groups under the minimum size (and those that would give them away) hidden."""
    group_by = f"attribute:{attribute}" if by == "attribute" else by
    result = _compute(scope, metric=metric, period=scope.period, group_by=group_by)
    return [_point(g) for g in result.groups]


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float
    category: str = ""


@dataclass
class DistributionData:
    n: int
    bars: list[Bar]
    hidden: bool = False
    unit: str = "score"


def _category(score: int, metric: str) -> str:
    if metric not in ("nps", "enps"):
        return ""
    if score >= 9:
        return "promoters"
    if score >= 7:
        return "passives"
    return "detractors"


def metric_distribution(
    scope: Scope, *, metric: str, question: str = "", survey: uuid.UUID | None = None
) -> DistributionData:
    """How many gave each score (NPS, CSAT, CES) or the share of each choice of a question."""
    result = _compute(scope, metric=metric, period=scope.period, survey=survey, question=question)
    total = result.total
    if total.hidden:
        return DistributionData(n=0, bars=[], hidden=True)
    n = total.estimate.n
    if metric == "choice":
        bars = [
            Bar(
                label=part.label,
                count=int(total.estimate.counts.get(part.key, 0)),
                share=part.estimate.value or 0.0,
            )
            for part in total.parts
        ]
        return DistributionData(n=n, bars=bars, unit="choice")
    histogram = total.histogram or {}
    bars = [
        Bar(
            label=str(score),
            count=count,
            share=100.0 * count / n if n else 0.0,
            category=_category(score, metric),
        )
        for score, count in sorted(histogram.items())
    ]
    return DistributionData(n=n, bars=bars)


def reference_lines(scope: Scope, *, metric: str, figure: str) -> list[dict[str, Any]]:
    """The org's targets and industry benchmarks for a trend of the metric's score (value,
    label, kind, source), those of the page's survey and segment included."""
    if figure != "score":  # targets are set on the score, not on a category's share
        return []
    from closeloop.analytics.alerts.targets import targets_for

    lines = targets_for(
        scope.organization,
        metric,
        survey=scope.filters.survey,
        segment=scope.filters.segment,
        date_from=scope.period.first_day,
        date_to=scope.period.last_day,
    )
    return [line.as_dict() for line in lines]


# --- key drivers (closeloop.analytics.drivers) -------------------------------------------------


@dataclass
class DriverResult:
    survey: Any = None
    analysis: Any = None
    message: str = ""
    link_query: str = ""


def drivers(scope: Scope, *, target: str) -> DriverResult:
    """The key drivers of the page's survey (or the org's busiest one) for NPS or CSAT."""
    from urllib.parse import urlencode

    from django.utils.translation import gettext as _

    try:
        from closeloop.analytics.drivers import (
            DriverFilters,
            DriverInputError,
            default_driver_survey,
            driver_analysis,
        )
    except ImportError:  # pragma: no cover - the drivers module is optional
        return DriverResult(message=_("Key drivers are not available."))
    from closeloop.contacts.models import Segment
    from closeloop.surveys.models import Survey

    f = scope.filters
    if f.survey:
        survey = Survey.objects.filter(organization=scope.organization, pk=f.survey).first()
    else:
        survey = default_driver_survey(organization=scope.organization)
    if survey is None:
        return DriverResult(
            message=_("Key drivers need a survey with an NPS or CSAT question and answers.")
        )
    segment = (
        Segment.objects.filter(organization=scope.organization, pk=f.segment).first()
        if f.segment
        else None
    )
    filters = DriverFilters(
        date_from=scope.period.first_day,
        date_to=scope.period.last_day,
        touchpoint_id=f.touchpoint,
        channel=f.channel or "",
        language=f.language or "",
        segment=segment,
    )
    query = {
        "survey": str(survey.pk),
        "target": target,
        "from": scope.period.first_day.isoformat(),
        "to": scope.period.last_day.isoformat(),
    }
    for key in ("touchpoint", "channel", "language", "segment"):
        value = getattr(f, key)
        if value:
            query[key] = str(value)
    link_query = urlencode(query)
    try:
        analysis = driver_analysis(survey=survey, target=target, filters=filters)
    except DriverInputError as exc:
        return DriverResult(survey=survey, message=exc.message, link_query=link_query)
    return DriverResult(
        survey=survey,
        analysis=analysis,
        message="" if analysis.ok else analysis.message,
        link_query=link_query,
    )
