"""The review's themes: top themes by NPS impact and by volume, with their weekly trend, the
change against the previous period, the latest decisions and initiatives, and the customers'
newest comments (verbatims) behind each one. One query per section (window functions pick the
newest rows of each theme), never one per row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from closeloop.initiatives.choices import InitiativeStatus
from closeloop.initiatives.models import Decision, Initiative
from closeloop.initiatives.review.period import ReviewPeriod

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.text.impact import ThemeImpact
    from closeloop.text.models import Theme

VERBATIMS = 3
DECISIONS_PER_THEME = 3


@dataclass
class Verbatim:
    """One customer comment behind a theme or a root cause."""

    comment_id: uuid.UUID
    text: str
    language: str
    score: float | None
    score_type: str
    sentiment: str
    answered_at: dt.datetime


@dataclass
class ThemeRow:
    """One theme of the review: its figures in the period and against the previous one."""

    theme: Theme
    name: str
    mentions: int = 0
    previous_mentions: int = 0
    negative: int = 0
    impact: ThemeImpact | None = None
    previous_promoters_lost: float | None = None
    trend: list[int] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    verbatims: list[Verbatim] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.mentions - self.previous_mentions

    @property
    def latest_decision(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def has_initiative(self) -> bool:
        return bool(self.initiatives)

    @property
    def impact_shown(self) -> bool:
        return (
            self.impact is not None
            and not self.impact.hidden
            and self.impact.comparison is not None
        )


def _employee_surveys(organization: Organization) -> QuerySet[Any]:
    from closeloop.surveys.choices import SurveyKind
    from closeloop.surveys.models import Survey

    return Survey.objects.filter(organization=organization, kind=SurveyKind.EMPLOYEE).values("pk")


def _verbatim(comment: Any) -> Verbatim:
    return Verbatim(
        comment_id=comment.pk,
        text=comment.text,
        language=comment.language or comment.language_hint,
        score=comment.score,
        score_type=comment.score_type,
        sentiment=comment.sentiment,
        answered_at=comment.answered_at,
    )


def theme_verbatims(
    *, organization: Organization, theme_ids: list[uuid.UUID], period: ReviewPeriod,
    limit: int = VERBATIMS,
) -> dict[uuid.UUID, list[Verbatim]]:  # fmt: skip
    """The newest `limit` comments of each theme in the period (one query; employee feedback
    never leaves its dashboards in words)."""
    from closeloop.text.models import CommentTheme

    if not theme_ids:
        return {}
    ranked = (
        CommentTheme.objects.filter(
            theme_id__in=theme_ids,
            comment__organization=organization,
            comment__answered_at__gte=period.start,
            comment__answered_at__lt=period.end,
        )
        .exclude(comment__survey_id__in=_employee_surveys(organization))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("theme_id")],
                order_by=[F("comment__answered_at").desc(), F("comment_id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .select_related("comment")
        .order_by("theme_id", "rank")
    )
    out: dict[uuid.UUID, list[Verbatim]] = defaultdict(list)
    for link in ranked:
        out[link.theme_id].append(_verbatim(link.comment))
    return out


def _decisions_by_theme(
    organization: Organization, theme_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Decision]]:
    ranked = (
        Decision.objects.filter(organization=organization, theme_id__in=theme_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("theme_id")],
                order_by=[F("meeting_on").desc(), F("created_at").desc()],
            )
        )
        .filter(rank__lte=DECISIONS_PER_THEME)
        .select_related("initiative", "author")
        .order_by("theme_id", "rank")
    )
    out: dict[uuid.UUID, list[Decision]] = defaultdict(list)
    for decision in ranked:
        assert decision.theme_id is not None
        out[decision.theme_id].append(decision)
    return out


def _initiatives_by_theme(
    organization: Organization, theme_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Initiative]]:
    through = Initiative.themes.through
    links = (
        through.objects.filter(theme_id__in=theme_ids, initiative__organization=organization)
        .exclude(initiative__status=InitiativeStatus.DROPPED)
        .values_list("theme_id", "initiative_id")
    )
    pairs = set(links)
    pairs |= set(
        Initiative.objects.filter(organization=organization, target_theme_id__in=theme_ids)
        .exclude(status=InitiativeStatus.DROPPED)
        .values_list("target_theme_id", "pk")
    )
    found = Initiative.objects.in_bulk({pk for _t, pk in pairs})
    out: dict[uuid.UUID, list[Initiative]] = defaultdict(list)
    for theme_id, pk in sorted(pairs, key=lambda p: (str(p[0]), -found[p[1]].number)):
        out[theme_id].append(found[pk])
    return out


def _theme_rows(
    organization: Organization, period: ReviewPeriod, language: str, top: int
) -> tuple[list[ThemeRow], list[ThemeRow], Any, list[dt.date]]:
    from closeloop.text.impact import theme_impacts, themes_trend
    from closeloop.text.selectors import theme_counts

    report = theme_impacts(organization=organization, period=period.text_period())
    impacts = {i.theme.pk: i for i in report.themes}
    counts = theme_counts(organization, since=period.start, until=period.end)
    previous = period.previous()
    before = {
        c.theme.pk: c.comments
        for c in theme_counts(organization, since=previous.start, until=previous.end)
    }
    rows: dict[uuid.UUID, ThemeRow] = {}

    def row(theme: Theme) -> ThemeRow:
        if theme.pk not in rows:
            rows[theme.pk] = ThemeRow(
                theme=theme,
                name=theme.name_in(language),
                previous_mentions=before.get(theme.pk, 0),
                impact=impacts.get(theme.pk),
            )
        return rows[theme.pk]

    by_impact = [
        row(i.theme)
        for i in report.themes
        if not i.hidden and i.promoters_lost is not None and i.promoters_lost > 0
    ][:top]
    by_volume = [row(c.theme) for c in counts if c.comments > 0][:top]
    for c in counts:
        if c.theme.pk in rows:
            rows[c.theme.pk].mentions = c.comments
            rows[c.theme.pk].negative = c.negative
    ids = list(rows)
    if not ids:
        return [], [], report, []
    themes = [r.theme for r in rows.values()]
    if by_impact:
        earlier = theme_impacts(
            organization=organization,
            period=previous.text_period(),
            themes=[r.theme for r in by_impact],
            threshold=report.threshold,
        )
        for item in earlier.themes:
            if not item.hidden:
                rows[item.theme.pk].previous_promoters_lost = item.promoters_lost
    weeks, trend = themes_trend(
        organization=organization, themes=themes, period=period.text_period()
    )
    verbatims = theme_verbatims(organization=organization, theme_ids=ids, period=period)
    decisions = _decisions_by_theme(organization, ids)
    initiatives = _initiatives_by_theme(organization, ids)
    for pk, theme_row in rows.items():
        theme_row.trend = trend.get(pk, [])
        theme_row.verbatims = verbatims.get(pk, [])
        theme_row.decisions = decisions.get(pk, [])
        theme_row.initiatives = initiatives.get(pk, [])
    return by_impact, by_volume, report, weeks
