"""What a team's weekly digest says: its scores with margins and the change from the week before
in plain words, an eight-week NPS trend (a table and a Unicode sparkline), the newest
detractor and promoter comments of its inbox, and its open and breaching cases.

Built in the active language (the sender switches to each member's language), from the metric
engine (`MetricFilters(team=...)`, so small groups stay hidden) and the cases app's team inbox
selectors. When the team has no scored feedback of its own, the organization's scores are shown
and the digest says so.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization, Team
from closeloop.analytics.alerts.describe import METRIC_KIND, metric_label, number
from closeloop.analytics.alerts.targets import target_gaps
from closeloop.analytics.metrics import MetricFilters, metric_compare, metric_compute

DIGEST_METRICS = ("nps", "csat", "ces")
TREND_WEEKS = 8
COMMENTS = 3
CASES_LISTED = 5
SPARK = "▁▂▃▄▅▆▇█"


@dataclass
class ScoreCard:
    """One score of the week: value, margin, n, the change in words, gaps to targets."""

    metric: str
    label: str
    value: str = ""
    margin: str = ""
    n: int = 0
    hidden: bool = False
    change: str = ""
    gaps: list[str] = field(default_factory=list)


@dataclass
class TrendRow:
    label: str
    value: str
    n: int
    margin: str
    hidden: bool


@dataclass
class Comment:
    text: str
    score: int
    survey: str
    when: str
    url: str


@dataclass
class CaseLine:
    number: int
    title: str
    status: str
    breached: bool
    age_days: int
    url: str


@dataclass
class Digest:
    """Everything one digest email shows (already in the active language)."""

    organization: Organization
    team: Team
    week_start: dt.date
    week_end: dt.date
    period: str
    team_scope: bool
    cards: list[ScoreCard]
    trend: list[TrendRow]
    sparkline: str
    detractor_comments: list[Comment]
    promoter_comments: list[Comment]
    open_cases: int
    breached_cases: int
    new_cases: int
    cases: list[CaseLine]
    min_group_size: int
    links: dict[str, str]

    @property
    def is_empty(self) -> bool:
        return not (self.cards or self.detractor_comments or self.promoter_comments) and not (
            self.open_cases or self.new_cases
        )


def _url(name: str, *args: Any) -> str:
    try:
        return settings.BASE_URL.rstrip("/") + reverse(name, args=list(args))
    except NoReverseMatch:
        return ""


def previous_week(today: dt.date) -> dt.date:
    """The Monday of the last full week before `today`."""
    return today - dt.timedelta(days=today.weekday() + 7)


def _cards(
    org: Organization, filters: MetricFilters, week_end: dt.date
) -> tuple[list[ScoreCard], int]:
    cards, threshold = [], 0
    for metric in DIGEST_METRICS:
        comparison = metric_compare(organization=org, metric=metric, filters=filters)
        current, previous = comparison.current.total, comparison.previous.total
        threshold = comparison.current.min_group_size
        if current.estimate.n == 0 and previous.estimate.n == 0:
            continue
        kind = METRIC_KIND[metric]
        card = ScoreCard(metric=metric, label=metric_label(metric))
        if current.hidden:
            card.hidden = True
            card.change = _("Fewer than %(min)s responses this week: not shown.") % {
                "min": threshold
            }
        elif current.estimate.value is None:
            card.change = _("No responses this week.")
        else:
            est = current.estimate
            card.value = number(est.value, kind)
            card.margin = number(est.margin_of_error, kind) if est.margin_of_error else ""
            card.n = est.n
            if previous.hidden:
                card.change = _("Too few responses the week before to compare.")
            else:
                card.change = comparison.change.sentence
            card.gaps = [
                g.sentence
                for g in target_gaps(
                    org,
                    metric,
                    est.value,
                    margin=est.margin_of_error,
                    date_from=filters.date_from,
                    date_to=week_end,
                )
            ]
        cards.append(card)
    return cards, threshold


def _sparkline(values: list[float | None]) -> str:
    shown = [v for v in values if v is not None]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = high - low or 1.0
    return "".join(
        "·" if v is None else SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values
    )


def _trend(org: Organization, filters: MetricFilters) -> tuple[list[TrendRow], str]:
    result = metric_compute(organization=org, metric="nps", filters=filters, group_by="week")
    rows, values = [], []
    for group in result.groups:
        est = group.estimate
        shown = not group.hidden and est.value is not None
        values.append(est.value if shown else None)
        rows.append(
            TrendRow(
                label=formats.date_format(group.start, "SHORT_DATE_FORMAT")
                if group.start
                else group.label,
                value=number(est.value) if shown else "—",
                n=est.n if not group.hidden else 0,
                margin=number(est.margin_of_error) if shown and est.margin_of_error else "",
                hidden=group.hidden,
            )
        )
    if not any(v is not None for v in values):
        return [], ""
    while rows and rows[0].n == 0 and not rows[0].hidden:  # weeks before the first answer
        rows, values = rows[1:], values[1:]
    return rows, _sparkline(values)


def _comments(
    org: Organization, team: Team, start: dt.datetime, end: dt.datetime
) -> tuple[list[Comment], list[Comment]]:
    from closeloop.cases.selectors import team_feedback
    from closeloop.surveys.choices import SurveyKind

    detractors: list[Comment] = []
    promoters: list[Comment] = []
    for entry in team_feedback(team=team, limit=300):
        response = entry.response
        completed = response.completed_at
        score = getattr(response, "nps_score", None)
        text = getattr(response, "first_comment", "")
        # employee feedback never leaves its dashboards in words: it could name someone
        if (
            completed is None
            or not start <= completed < end
            or score is None
            or not text
            or response.survey.kind == SurveyKind.EMPLOYEE
        ):
            continue
        bucket = detractors if score <= 6 else promoters if score >= 9 else None
        if bucket is None or len(bucket) >= COMMENTS:
            continue
        bucket.append(
            Comment(
                text=text[:400] + ("…" if len(text) > 400 else ""),
                score=score,
                survey=response.survey.name,
                when=formats.date_format(
                    completed.astimezone(start.tzinfo), "SHORT_DATETIME_FORMAT"
                ),
                url=_url("responses:detail", org.slug, response.pk),
            )
        )
    return detractors, promoters


def _cases(
    org: Organization, team: Team, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[int, int, int, list[CaseLine]]:
    from closeloop.cases.selectors import team_cases

    cases = list(team_cases(team=team, limit=2000))
    active = [c for c in cases if c.is_active]
    breached = [c for c in active if c.breached]
    new = sum(1 for c in cases if start <= c.created_at < end)
    listed = sorted(active, key=lambda c: (not c.breached, c.created_at))[:CASES_LISTED]
    lines = [
        CaseLine(
            number=c.number,
            title=c.title,
            status=c.get_status_display(),
            breached=c.breached,
            age_days=max(0, (now - c.created_at).days),
            url=_url("cases:detail", org.slug, c.pk),
        )
        for c in listed
    ]
    return len(active), len(breached), new, lines


def digest_build(*, team: Team, week_start: dt.date, now: dt.datetime) -> Digest:
    """The digest of one team for the week starting `week_start`, in the active language."""
    org = team.organization
    zone = zoneinfo.ZoneInfo(org.time_zone)
    week_end = week_start + dt.timedelta(days=6)
    start = dt.datetime.combine(week_start, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(week_end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    team_filters = MetricFilters(team=team, date_from=week_start, date_to=week_end)
    cards, threshold = _cards(org, team_filters, week_end)
    team_scope = bool(cards)
    if not cards:
        cards, threshold = _cards(
            org, MetricFilters(date_from=week_start, date_to=week_end), week_end
        )
    trend_from = week_start - dt.timedelta(days=7 * (TREND_WEEKS - 1))
    trend_filters = MetricFilters(
        team=team if team_scope else None, date_from=trend_from, date_to=week_end
    )
    trend, sparkline = _trend(org, trend_filters)
    detractors, promoters = _comments(org, team, start, end)
    open_cases, breached, new, cases = _cases(org, team, start, end, now)
    period = _("%(start)s to %(end)s") % {
        "start": formats.date_format(week_start, "DATE_FORMAT"),
        "end": formats.date_format(week_end, "DATE_FORMAT"),
    }
    return Digest(
        organization=org,
        team=team,
        week_start=week_start,
        week_end=week_end,
        period=period,
        team_scope=team_scope,
        cards=cards,
        trend=trend,
        sparkline=sparkline,
        detractor_comments=detractors,
        promoter_comments=promoters,
        open_cases=open_cases,
        breached_cases=breached,
        new_cases=new,
        cases=cases,
        min_group_size=threshold,
        links={
            "inbox": _url("inbox:team", org.slug, team.pk),
            "dashboards": _url("analytics:dashboards", org.slug),
            "digest": _url("analytics:digest", org.slug),
        },
    )


def digest_render(digest: Digest, *, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of a digest email, in the active language."""
    subject = _("%(team)s weekly digest: %(period)s") % {
        "team": digest.team.name,
        "period": digest.period,
    }
    context = {"digest": digest, "language": language, "subject": subject}
    text = render_to_string("analytics/email/digest.txt", context)
    html = render_to_string("analytics/email/digest.html", context)
    return subject, text, html
