"""The whole review for one period (`review_summary`), and the same as JSON-ready data for the
API and the digest (`summary_data`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from closeloop.initiatives.models import Decision, Initiative
from closeloop.initiatives.review.cases import (
    RecoveredCustomer,
    RootCauseRow,
    TeamCases,
    cases_by_team,
    recovered_customers,
    root_causes,
)
from closeloop.initiatives.review.period import ReviewPeriod
from closeloop.initiatives.review.team import (
    initiatives_in_progress,
    last_meeting,
    with_theme_names,
)
from closeloop.initiatives.review.themes import ThemeRow, Verbatim, _theme_rows

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.analytics.metrics.stats import Estimate

TOP = 5


@dataclass
class ReviewSummary:
    """Everything the review page, its digest and its API show for one period."""

    organization: Organization
    period: ReviewPeriod
    language: str
    overall: Estimate
    comments: int
    previous_comments: int
    threshold: int
    weeks: list[dt.date]
    by_impact: list[ThemeRow]
    by_volume: list[ThemeRow]
    cases_by_team: list[TeamCases]
    root_causes: list[RootCauseRow]
    recovered: list[RecoveredCustomer]
    recovered_total: int
    initiatives: list[Initiative]
    last_meeting: dt.date | None
    last_meeting_decisions: list[Decision]
    now: dt.datetime

    @property
    def themes(self) -> list[ThemeRow]:
        """Every theme shown (by impact, then by volume), each once."""
        seen: set[uuid.UUID] = set()
        rows = []
        for row in (*self.by_impact, *self.by_volume):
            if row.theme.pk not in seen:
                seen.add(row.theme.pk)
                rows.append(row)
        return rows

    @property
    def open_cases(self) -> int:
        return sum(r.open for r in self.cases_by_team)

    @property
    def breaching_cases(self) -> int:
        return sum(r.breaching for r in self.cases_by_team)


def review_summary(
    *,
    organization: Organization,
    period: ReviewPeriod,
    language: str = "en",
    now: dt.datetime | None = None,
    top: int = TOP,
) -> ReviewSummary:
    """The review for one period (themes, cases, root causes, recovered customers,
    initiatives, the last meeting's decisions), theme names in `language`."""
    from closeloop.text.impact import period_comments

    now = now or timezone.now()
    by_impact, by_volume, report, weeks = _theme_rows(organization, period, language, top)
    recovered, recovered_total = recovered_customers(organization=organization, period=period)
    today = now.astimezone(period.zone).date()
    meeting, decisions = last_meeting(organization=organization, today=today)
    previous = period.previous()
    return ReviewSummary(
        organization=organization,
        period=period,
        language=language,
        overall=report.overall,
        comments=report.comments,
        previous_comments=period_comments(
            organization=organization, period=previous.text_period()
        ).count(),
        threshold=report.threshold,
        weeks=weeks,
        by_impact=by_impact,
        by_volume=by_volume,
        cases_by_team=cases_by_team(organization=organization, now=now),
        root_causes=root_causes(organization=organization, period=period),
        recovered=recovered,
        recovered_total=recovered_total,
        initiatives=initiatives_in_progress(organization=organization, period=period),
        last_meeting=meeting,
        last_meeting_decisions=with_theme_names(decisions, language),
        now=now,
    )


# --- as data (the API and the digest) -----------------------------------------------------------


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _estimate(est: Estimate | None) -> dict[str, Any] | None:
    if est is None:
        return None
    return {"value": _r(est.value), "n": est.n, "margin": _r(est.margin_of_error)}


def _verbatims(rows: list[Verbatim]) -> list[dict[str, Any]]:
    return [
        {
            "comment": str(v.comment_id),
            "text": v.text,
            "language": v.language,
            "score": v.score,
            "score_type": v.score_type,
            "sentiment": v.sentiment,
            "answered_at": v.answered_at.isoformat(),
        }
        for v in rows
    ]


def _initiative(i: Initiative) -> dict[str, Any]:
    return {
        "id": str(i.pk),
        "number": i.number,
        "title": i.title,
        "status": i.status,
        "owner_team": i.owner_team.name if i.owner_team else None,
        "owner_team_id": str(i.owner_team_id) if i.owner_team_id else None,
        "due_date": i.due_date.isoformat() if i.due_date else None,
        "shipped_at": i.shipped_at.isoformat() if i.shipped_at else None,
    }


def decision_data(d: Decision) -> dict[str, Any]:
    return {
        "id": str(d.pk),
        "meeting_on": d.meeting_on.isoformat(),
        "theme": str(d.theme_id) if d.theme_id else None,
        "kind": d.kind,
        "text": d.text,
        "initiative": str(d.initiative_id) if d.initiative_id else None,
        "author": d.author.email if d.author_id and d.author else None,
        "created_at": d.created_at.isoformat(),
    }


def _theme(row: ThemeRow) -> dict[str, Any]:
    impact = row.impact
    shown = row.impact_shown
    assert impact is not None or not shown
    comparison = impact.comparison if impact is not None and shown else None
    return {
        "theme": str(row.theme.pk),
        "key": row.theme.key,
        "name": row.name,
        "mentions": row.mentions,
        "previous_mentions": row.previous_mentions,
        "change": row.change,
        "negative": row.negative,
        "nps_with_theme": _estimate(impact.with_theme) if impact and shown else None,
        "nps_without_theme": _estimate(impact.without_theme) if impact and shown else None,
        "nps_gap": _r(comparison.difference) if comparison else None,
        "nps_gap_margin": _r(comparison.margin_of_error) if comparison else None,
        "exceeds_noise": comparison.exceeds_noise if comparison else None,
        "promoters_lost": _r(impact.promoters_lost) if impact and shown else None,
        "previous_promoters_lost": _r(row.previous_promoters_lost),
        "hidden": bool(impact and impact.hidden),
        "trend": row.trend,
        "latest_decision": decision_data(row.latest_decision) if row.latest_decision else None,
        "has_initiative": row.has_initiative,
        "initiatives": [_initiative(i) for i in row.initiatives],
        "verbatims": _verbatims(row.verbatims),
    }


def summary_data(summary: ReviewSummary) -> dict[str, Any]:
    """The summary as JSON-ready data."""
    p = summary.period
    return {
        "period": {
            "from": p.first_day.isoformat(),
            "to": p.last_day.isoformat(),
            "days": p.days,
            "time_zone": p.time_zone,
            "previous_from": p.previous().first_day.isoformat(),
            "previous_to": p.previous().last_day.isoformat(),
        },
        "nps": _estimate(summary.overall),
        "comments": summary.comments,
        "previous_comments": summary.previous_comments,
        "min_group_size": summary.threshold,
        "weeks": [w.isoformat() for w in summary.weeks],
        "themes_by_impact": [_theme(r) for r in summary.by_impact],
        "themes_by_volume": [_theme(r) for r in summary.by_volume],
        "cases_by_team": [
            {
                "team": str(r.team_id) if r.team_id else None,
                "name": r.name,
                "open": r.open,
                "breached": r.breached,
                "due_soon": r.due_soon,
                "breaching": r.breaching,
            }
            for r in summary.cases_by_team
        ],
        "root_causes": [
            {
                "root_cause": str(r.root_cause_id),
                "name": r.name,
                "cases": r.count,
                "previous_cases": r.previous,
                "initiatives": [_initiative(i) for i in r.initiatives],
                "verbatims": _verbatims(r.verbatims),
            }
            for r in summary.root_causes
        ],
        "recovered_customers": {
            "total": summary.recovered_total,
            "listed": [
                {
                    "contact": str(r.contact_id),
                    "name": r.name,
                    "reasons": r.reasons,
                    "before": r.before,
                    "after": r.after,
                    "case_number": r.case_number,
                }
                for r in summary.recovered
            ],
        },
        "initiatives": [_initiative(i) for i in summary.initiatives],
        "last_meeting": summary.last_meeting.isoformat() if summary.last_meeting else None,
        "last_meeting_decisions": [decision_data(d) for d in summary.last_meeting_decisions],
    }
