"""The hourly alert check: each active rule looks at its period(s) and records an AlertEvent
when it fires, at most one per rule and period (a unique constraint), and only then queues its
notifications, in the same transaction. Running the check again finds the event already there
and sends nothing.

- score drop: the last full week (Monday to Sunday, org time zone) against the week before,
  with `metric_compare`; it fires when the drop is larger than the margin of error of the
  change (and at least the rule's minimum drop). Period: that week.
- count above: detractors (or passives, promoters, responses) in the current and the previous
  window (clock hour, quarter day, day or week in the org time zone); fires when the count
  goes above the level. Period: the window.
- silence: no response at the touchpoint for the rule's hours, while the four weeks before
  would have led us to expect at least 3 in that time (a Poisson chance of seeing none of
  under 5%). Period: the silence, keyed by its last response, so one alert per silence.

Minimum group size: a score whose week (or the week before) has fewer responses than the
threshold is not judged, and a count of detractors, passives or promoters among fewer scored
responses than the threshold is not judged either: an alert must not reveal a hidden group.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from closeloop.analytics.alerts.channels import alert_event_notify
from closeloop.analytics.metrics import MetricFilters, metric_compare, min_group_size
from closeloop.analytics.models import AlertCount, AlertEvent, AlertKind, AlertRule
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record

logger = logging.getLogger("closeloop.analytics")

BASELINE_DAYS = 28
# Below this many expected responses, a silence is not unusual: P(0 | Poisson(3)) ~ 5%.
SILENCE_MIN_EXPECTED = 3.0


@dataclass
class Finding:
    """What one check of one period found."""

    status: str  # fired, quiet, too_few, no_data, usually_quiet
    period_key: str = ""
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        return self.status == "fired"


def _zone(rule: AlertRule) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(rule.organization.time_zone)


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _is_employee(rule: AlertRule) -> bool:
    from closeloop.surveys.choices import SurveyKind

    return rule.survey is not None and rule.survey.kind == SurveyKind.EMPLOYEE


def _threshold(rule: AlertRule) -> int:
    return min_group_size(organization=rule.organization, employee=_is_employee(rule))


# --- score drop ----------------------------------------------------------------------------


def last_full_week(now: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the last complete week in the time zone."""
    today = now.astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)


def _score_drop(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    zone = _zone(rule)
    start, end = last_full_week(now, zone)
    metric = rule.metric
    if metric == "nps" and _is_employee(rule):
        metric = "enps"
    filters = MetricFilters(
        surveys=(rule.survey,) if rule.survey is not None else (),
        touchpoints=(rule.touchpoint,) if rule.touchpoint is not None else (),
        segment=rule.segment,
        date_from=start,
        date_to=end,
    )
    comparison = metric_compare(organization=rule.organization, metric=metric, filters=filters)
    current, previous = comparison.current, comparison.previous
    threshold = current.min_group_size
    finding = Finding(
        status="quiet",
        period_key=f"week:{start.isoformat()}",
        period_start=_midnight(start, zone),
        period_end=_midnight(end + dt.timedelta(days=1), zone),
        data={"metric": metric, "week": start.isoformat(), "min_group_size": threshold},
    )
    if current.total.hidden or previous.total.hidden:
        finding.status = "too_few"
        return [finding]
    now_est, before_est = current.total.estimate, previous.total.estimate
    if now_est.value is None or before_est.value is None:
        finding.status = "no_data"
        finding.data.update(n=now_est.n, previous_n=before_est.n)
        return [finding]
    change = comparison.change
    finding.data.update(
        value=now_est.value,
        n=now_est.n,
        margin_value=now_est.margin_of_error,
        previous=before_est.value,
        previous_n=before_est.n,
        difference=change.difference,
        margin=change.margin_of_error,
        exceeds_noise=change.exceeds_noise,
        min_drop=rule.min_drop,
    )
    difference = change.difference or 0.0
    if change.exceeds_noise and difference < 0 and -difference >= rule.min_drop:
        finding.status = "fired"
    return [finding]


# --- counts and silence --------------------------------------------------------------------


def rule_responses(rule: AlertRule) -> QuerySet[Any]:
    """Completed responses the rule looks at: its survey (else every customer survey), its
    touchpoint and its segment's contacts."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response
    from closeloop.surveys.choices import SurveyKind

    qs = Response.objects.filter(
        organization=rule.organization,
        status=ResponseStatus.COMPLETE,
        completed_at__isnull=False,
    )
    if rule.survey_id:
        qs = qs.filter(survey_id=rule.survey_id)
    else:
        qs = qs.filter(survey__kind=SurveyKind.CUSTOMER)
    if rule.touchpoint_id:
        qs = qs.filter(touchpoint_id=rule.touchpoint_id)
    if rule.segment is not None:
        from closeloop.contacts.selectors import segment_contacts

        qs = qs.filter(contact_id__in=segment_contacts(segment=rule.segment).values("pk"))
    return qs


def _first_nps() -> Subquery:
    from closeloop.responses.models import AnswerFact

    return Subquery(
        AnswerFact.objects.filter(
            response_id=OuterRef("pk"), question_type="nps", number__isnull=False
        )
        .order_by("id")
        .values("number")[:1]
    )


def count_windows(
    now: dt.datetime, hours: int, zone: zoneinfo.ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The window that holds `now` and the one before it, on the org's clock."""
    local = now.astimezone(zone)
    if hours == 168:
        monday = local.date() - dt.timedelta(days=local.weekday())
        start = _midnight(monday, zone)
        step = dt.timedelta(days=7)
    elif hours == 24:
        start = _midnight(local.date(), zone)
        step = dt.timedelta(days=1)
    else:
        block = (local.hour // hours) * hours
        start = dt.datetime.combine(local.date(), dt.time(block), tzinfo=zone)
        step = dt.timedelta(hours=hours)
    # wall-clock arithmetic on aware datetimes keeps days whole across DST changes
    return [(start - step, start), (start, start + step)]


def _count_above(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    zone = _zone(rule)
    threshold = _threshold(rule)
    findings = []
    for start, end in count_windows(now, rule.window_hours, zone):
        qs = rule_responses(rule).filter(completed_at__gte=start, completed_at__lt=end)
        figures = qs.annotate(first_nps=_first_nps()).aggregate(
            responses=Count("pk"),
            scored=Count("pk", filter=Q(first_nps__isnull=False)),
            detractors=Count("pk", filter=Q(first_nps__lte=6)),
            passives=Count("pk", filter=Q(first_nps__gte=7, first_nps__lte=8)),
            promoters=Count("pk", filter=Q(first_nps__gte=9)),
        )
        finding = Finding(
            status="quiet",
            period_key=f"count:{start.isoformat()}",
            period_start=start,
            period_end=end,
            data={
                "count_of": rule.count_of,
                "level": rule.level,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "window_hours": rule.window_hours,
                "min_group_size": threshold,
            },
        )
        if rule.count_of == AlertCount.RESPONSES:
            count = figures["responses"]
        else:
            scored = figures["scored"]
            if 0 < scored < threshold:
                finding.status = "too_few"
                findings.append(finding)
                continue
            count = figures[rule.count_of]
            finding.data["n"] = scored
        finding.data["count"] = count
        if count > (rule.level or 0):
            finding.status = "fired"
        findings.append(finding)
    return findings


def _silence(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    qs = rule_responses(rule).filter(completed_at__lte=now)
    last = qs.aggregate(last=Max("completed_at"))["last"]
    if last is None:
        return [Finding(status="no_data", data={"hours": rule.window_hours})]
    hours = rule.window_hours
    silent = now - last
    data: dict[str, Any] = {"hours": hours, "last_response_at": last.isoformat()}
    if silent < dt.timedelta(hours=hours):
        return [Finding(status="quiet", data=data)]
    window_start = now - dt.timedelta(hours=hours)
    baseline = qs.filter(
        completed_at__gte=window_start - dt.timedelta(days=BASELINE_DAYS),
        completed_at__lt=window_start,
    ).count()
    expected = baseline * hours / (BASELINE_DAYS * 24)
    data.update(
        baseline=baseline,
        expected=round(expected, 2),
        silent_hours=int(silent.total_seconds() // 3600),
    )
    return [
        Finding(
            status="fired" if expected >= SILENCE_MIN_EXPECTED else "usually_quiet",
            period_key=f"silence:{last.isoformat()}",
            period_start=last,
            period_end=now,
            data=data,
        )
    ]


CHECKS = {
    AlertKind.SCORE_DROP: _score_drop,
    AlertKind.COUNT_ABOVE: _count_above,
    AlertKind.SILENCE: _silence,
}


def rule_check(*, rule: AlertRule, now: dt.datetime | None = None) -> list[Finding]:
    """What the rule finds now, per period (nothing is recorded)."""
    return CHECKS[AlertKind(rule.kind)](rule, now or timezone.now())


# --- recording and notifying ----------------------------------------------------------------


def _record(rule: AlertRule, finding: Finding) -> AlertEvent | None:
    """The event for a fired finding, with its notifications queued; None if this period
    already has one (a re-run, or another worker got there first)."""
    assert finding.period_start is not None and finding.period_end is not None
    if AlertEvent.objects.filter(rule=rule, period_key=finding.period_key).exists():
        return None
    data = {**finding.data, "status": finding.status}
    try:
        with transaction.atomic():
            event = AlertEvent.objects.create(
                organization=rule.organization,
                rule=rule,
                period_key=finding.period_key,
                period_start=finding.period_start,
                period_end=finding.period_end,
                data=data,
            )
            event.channels = alert_event_notify(event)
            event.save(update_fields=["channels", "updated_at"])
            activity_record(
                organization=rule.organization, verb="alert.triggered", target=rule,
                data={"alert_event": str(event.pk), "period": finding.period_key},
            )  # fmt: skip
    except IntegrityError:
        return None
    return event


def alert_rule_evaluate(*, rule: AlertRule, now: dt.datetime | None = None) -> list[AlertEvent]:
    """Check one rule, record (and notify) what fired, remember the latest finding."""
    now = now or timezone.now()
    try:
        findings = rule_check(rule=rule, now=now)
    except DomainError as exc:  # e.g. the survey no longer fits the metric
        findings = [Finding(status="error", data={"error": exc.message})]
    events = [e for f in findings if f.fired and (e := _record(rule, f)) is not None]
    latest = findings[-1]
    rule.last_checked_at = now
    rule.last_check = {**latest.data, "status": latest.status}
    AlertRule.objects.filter(pk=rule.pk).update(
        last_checked_at=rule.last_checked_at, last_check=rule.last_check
    )
    return events


def alerts_evaluate(*, now: dt.datetime | None = None, organization: Any = None) -> int:
    """Check every active rule (of one organization, if given); returns how many alerts
    fired. One failing rule is logged and does not stop the others."""
    now = now or timezone.now()
    rules = AlertRule.objects.filter(is_active=True).select_related(
        "organization", "survey", "segment", "touchpoint"
    )
    if organization is not None:
        rules = rules.filter(organization=organization)
    fired = 0
    for rule in rules.order_by("created_at"):
        try:
            fired += len(alert_rule_evaluate(rule=rule, now=now))
        except Exception:
            logger.exception("Alert rule %s could not be checked", rule.pk)
    return fired
