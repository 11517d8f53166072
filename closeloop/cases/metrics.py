"""Loop metrics: is every unhappy customer getting a human answer, fast, and are they won back?

Definitions (per organization or per team, over a period, and by week in the org's time zone):

- closed-loop rate: of the detractor responses (NPS 0-6, completed, not historical imports)
  completed in the period, the share that has a case whose customer was contacted (the case's
  first_responded_at is set). For a team: the detractor responses in its inbox (routed by a
  rule, or tagged with a tag the team owns) or with a case of the team, contacted through a
  case of the team.
- median time to first response / to resolution: over the cases opened in the period that
  have one (wall-clock time from opening).
- SLA compliance: of the cases opened in the period whose SLA outcome is known (resolved or
  closed, or already breached), the share that breached neither due time.
- unresolved share: of the cases opened in the period, those not resolved or closed yet.
- recovered customers: cases opened in the period whose follow-up counts as recovered (see
  closeloop.cases.followup: a detractor whose follow-up score rose to 7 or more).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from pydantic import ValidationError

from closeloop.accounts.models import Organization, Team
from closeloop.cases.choices import DONE_STATUSES
from closeloop.cases.models import Case

logger = logging.getLogger(__name__)

DETRACTOR_MAX = 6
DEFAULT_DAYS = 90


@dataclass
class LoopMetrics:
    """The loop figures of one scope and period, each with the counts behind it."""

    detractors: int = 0
    detractors_contacted: int = 0
    cases: int = 0
    first_response_n: int = 0
    median_first_response: dt.timedelta | None = None
    resolution_n: int = 0
    median_resolution: dt.timedelta | None = None
    sla_decided: int = 0
    sla_met: int = 0
    unresolved: int = 0
    recovered: int = 0

    @property
    def closed_loop_rate(self) -> float | None:
        return self.detractors_contacted / self.detractors if self.detractors else None

    @property
    def sla_compliance(self) -> float | None:
        return self.sla_met / self.sla_decided if self.sla_decided else None

    @property
    def unresolved_share(self) -> float | None:
        return self.unresolved / self.cases if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        def hours(value: dt.timedelta | None) -> float | None:
            return round(value.total_seconds() / 3600, 2) if value is not None else None

        return {
            "detractors": self.detractors,
            "detractors_contacted": self.detractors_contacted,
            "closed_loop_rate": self.closed_loop_rate,
            "cases": self.cases,
            "median_first_response_hours": hours(self.median_first_response),
            "first_response_n": self.first_response_n,
            "median_resolution_hours": hours(self.median_resolution),
            "resolution_n": self.resolution_n,
            "sla_compliance": self.sla_compliance,
            "sla_decided": self.sla_decided,
            "sla_met": self.sla_met,
            "unresolved_share": self.unresolved_share,
            "unresolved": self.unresolved,
            "recovered": self.recovered,
        }


@dataclass
class LoopReport:
    """The period's figures and the same figures week by week (weeks start on Monday)."""

    start: dt.datetime
    end: dt.datetime
    total: LoopMetrics
    weeks: list[tuple[dt.date, LoopMetrics]] = field(default_factory=list)


@dataclass(frozen=True)
class _CaseRow:
    created_at: dt.datetime
    status: str
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    breached: bool
    has_sla: bool
    recovered: bool | None
    response_id: uuid.UUID | None


def _median(values: list[dt.timedelta]) -> dt.timedelta | None:
    if not values:
        return None
    return dt.timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _compute(
    detractors: Iterable[uuid.UUID], contacted: set[uuid.UUID], cases: list[_CaseRow]
) -> LoopMetrics:
    ids = set(detractors)
    first = [c.first_responded_at - c.created_at for c in cases if c.first_responded_at]
    resolved = [c.resolved_at - c.created_at for c in cases if c.resolved_at]
    decided = [c for c in cases if c.has_sla and (c.status in DONE_STATUSES or c.breached)]
    return LoopMetrics(
        detractors=len(ids),
        detractors_contacted=len(ids & contacted),
        cases=len(cases),
        first_response_n=len(first),
        median_first_response=_median(first),
        resolution_n=len(resolved),
        median_resolution=_median(resolved),
        sla_decided=len(decided),
        sla_met=sum(1 for c in decided if not c.breached),
        unresolved=sum(1 for c in cases if c.status not in DONE_STATUSES),
        recovered=sum(1 for c in cases if c.recovered),
    )


def _week(value: dt.datetime, zone: ZoneInfo) -> dt.date:
    local = value.astimezone(zone).date()
    return local - dt.timedelta(days=local.weekday())


def routed_response_ids(team: Team) -> set[uuid.UUID]:
    """Responses in the team's inbox: routed by a rule, or tagged with a tag the team owns."""
    from closeloop.cases.selectors import team_routed_response_ids

    return team_routed_response_ids(team)


def _detractor_responses(
    organization: Organization, start: dt.datetime, end: dt.datetime
) -> dict[uuid.UUID, dt.datetime]:
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact

    rows = (
        AnswerFact.objects.filter(
            organization_id=organization.pk,
            question_type="nps",
            number__isnull=False,
            number__lte=DETRACTOR_MAX,
            response__status=ResponseStatus.COMPLETE,
            response__historical=False,
            response__completed_at__gte=start,
            response__completed_at__lt=end,
        )
        .values_list("response_id", "response__completed_at")
        .distinct()
    )
    return {rid: at for rid, at in rows if at is not None}


def loop_metrics(
    *,
    organization: Organization,
    team: Team | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    weekly: bool = True,
) -> LoopReport:
    """The loop metrics of the org (or one team) over [start, end), in total and by week."""
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    zone = ZoneInfo(organization.time_zone)
    detractors = _detractor_responses(organization, start, end)
    cases_qs = Case.objects.filter(organization=organization)
    contacted_qs = cases_qs.filter(response_id__isnull=False, first_responded_at__isnull=False)
    if team is not None:
        cases_qs = cases_qs.filter(team=team)
        contacted_qs = contacted_qs.filter(team=team)
        in_scope = routed_response_ids(team) | set(
            cases_qs.filter(response_id__isnull=False).values_list("response_id", flat=True)
        )
        detractors = {rid: at for rid, at in detractors.items() if rid in in_scope}
    contacted = set(
        contacted_qs.filter(response_id__in=list(detractors)).values_list("response_id", flat=True)
    )
    cases = [
        _CaseRow(
            created_at=c["created_at"],
            status=c["status"],
            first_responded_at=c["first_responded_at"],
            resolved_at=c["resolved_at"],
            breached=c["breached_first_response"] or c["breached_resolution"],
            has_sla=c["first_response_due_at"] is not None or c["resolution_due_at"] is not None,
            recovered=c["recovered"],
            response_id=c["response_id"],
        )
        for c in cases_qs.filter(created_at__gte=start, created_at__lt=end).values(
            "created_at", "status", "first_responded_at", "resolved_at",
            "breached_first_response", "breached_resolution", "first_response_due_at",
            "resolution_due_at", "recovered", "response_id",
        )
    ]  # fmt: skip
    report = LoopReport(start=start, end=end, total=_compute(detractors, contacted, cases))
    if weekly:
        by_week_d: dict[dt.date, list[uuid.UUID]] = defaultdict(list)
        for rid, at in detractors.items():
            by_week_d[_week(at, zone)].append(rid)
        by_week_c: dict[dt.date, list[_CaseRow]] = defaultdict(list)
        for row in cases:
            by_week_c[_week(row.created_at, zone)].append(row)
        weeks = sorted(set(by_week_d) | set(by_week_c))
        report.weeks = [
            (w, _compute(by_week_d.get(w, []), contacted, by_week_c.get(w, []))) for w in weeks
        ]
    return report


def loop_metrics_by_team(
    *, organization: Organization, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[tuple[Team, LoopMetrics]]:
    """The period's figures of every team that has cases or routed feedback."""
    teams = Team.objects.filter(organization=organization).order_by("name")
    rows = []
    for team in teams:
        total = loop_metrics(
            organization=organization, team=team, start=start, end=end, weekly=False
        ).total
        if total.cases or total.detractors:
            rows.append((team, total))
    return rows


@dataclass
class ScoreSummary:
    """NPS and CSAT of a set of responses, with their n."""

    nps: float | None
    nps_n: int
    promoters: int
    passives: int
    detractors: int
    csat: float | None
    csat_n: int


CSAT_DEFAULT_POINTS = 5


def csat_points(
    keys: Iterable[tuple[uuid.UUID, int, str]],
) -> dict[tuple[uuid.UUID, int, str], int]:
    """The scale length (3, 4, 5, 7 or 10) of each (survey, version number, question key) CSAT
    question, from its survey version's definition; 5 when the question cannot be found."""
    from closeloop.responses.selectors import definition_of
    from closeloop.surveys.models import SurveyVersion

    wanted = set(keys)
    points = dict.fromkeys(wanted, CSAT_DEFAULT_POINTS)
    versions = {(s, n) for s, n, _k in wanted}
    if not versions:
        return points
    cond = Q()
    for survey_id, number in versions:
        cond |= Q(survey_id=survey_id, number=number)
    for version in SurveyVersion.objects.filter(cond):
        try:
            definition = definition_of(version)
        except ValidationError:  # a definition that no longer parses: keep the 5-point default
            logger.warning("survey version %s does not parse", version.pk)
            continue
        for survey_id, number, key in wanted:
            if (survey_id, number) != (version.survey_id, version.number):
                continue
            question = definition.question(key)
            scale = getattr(question, "points", None)
            if isinstance(scale, int) and scale > 0:
                points[(survey_id, number, key)] = scale
    return points


def score_summary(response_ids: Iterable[uuid.UUID]) -> ScoreSummary:
    """NPS (%promoters - %detractors) and CSAT: the share of satisfied answers, the top box(es)
    of each question's own scale (3-point 3; 4 to 7 points the top 2; 10-point 8-10)."""
    from closeloop.responses.models import AnswerFact
    from closeloop.surveys.questions import csat_is_satisfied

    ids = list(response_ids)
    nps_values: dict[uuid.UUID, float] = {}
    csat_values: dict[uuid.UUID, tuple[float, tuple[uuid.UUID, int, str]]] = {}
    facts = AnswerFact.objects.filter(
        response_id__in=ids, question_type__in=("nps", "csat"), number__isnull=False
    ).order_by("id")
    rows = facts.values_list(
        "response_id", "question_type", "number", "survey_id", "version_number", "question_key"
    )
    for rid, kind, number, survey_id, version_number, key in rows:
        if number is None:
            continue
        if kind == "nps":
            nps_values.setdefault(rid, number)
        else:
            csat_values.setdefault(rid, (number, (survey_id, version_number, key)))
    scales = csat_points(question for _n, question in csat_values.values())
    satisfied = sum(1 for n, q in csat_values.values() if csat_is_satisfied(n, scales[q]))
    promoters = sum(1 for v in nps_values.values() if v >= 9)
    detractors = sum(1 for v in nps_values.values() if v <= DETRACTOR_MAX)
    n = len(nps_values)
    return ScoreSummary(
        nps=round(100 * (promoters - detractors) / n, 1) if n else None,
        nps_n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        csat=round(100 * satisfied / len(csat_values), 1) if csat_values else None,
        csat_n=len(csat_values),
    )
