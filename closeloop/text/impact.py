"""Theme figures: how many comments mention each theme, their sentiment, the weekly trend, and
the theme's effect on NPS (the NPS of those who mention it against those who do not, each with
its n and margin, and the difference with its margin), ranked by the promoters it costs.

The unit is the response (a response with two open answers about the same theme counts once);
an imported comment with an NPS score is its own unit. Only comments with an NPS score
(score_type "nps") enter the NPS figures; counts, sentiment and trends use every comment.
Groups smaller than the organization's minimum group size are hidden, as everywhere else.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, DateField, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.analytics.metrics.stats import Comparison, Estimate, compare, nps_estimate
from closeloop.analytics.metrics.suppression import min_group_size
from closeloop.text.choices import Sentiment, ThemeStatus
from closeloop.text.models import Comment, CommentTheme, Theme

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

SENTIMENTS = (Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.MIXED, Sentiment.NEGATIVE)


@dataclass(frozen=True)
class Period:
    """Comments answered from `start` (inclusive) to `end` (exclusive); None is open."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    survey_id: uuid.UUID | None = None

    @classmethod
    def last_days(cls, days: int, *, survey_id: uuid.UUID | None = None) -> Period:
        """The last `days` days up to now (0: all time)."""
        if days <= 0:
            return cls(survey_id=survey_id)
        return cls(start=timezone.now() - dt.timedelta(days=days), survey_id=survey_id)


def period_comments(*, organization: Organization, period: Period) -> QuerySet[Comment]:
    """The organization's comments in the period."""
    qs = Comment.objects.filter(organization=organization)
    if period.start is not None:
        qs = qs.filter(answered_at__gte=period.start)
    if period.end is not None:
        qs = qs.filter(answered_at__lt=period.end)
    if period.survey_id is not None:
        qs = qs.filter(survey_id=period.survey_id)
    return qs


def active_themes(*, organization: Organization) -> list[Theme]:
    """The organization's active themes, by key."""
    return list(Theme.objects.filter(organization=organization, status=ThemeStatus.ACTIVE))


@dataclass
class ThemeImpact:
    """One theme's figures in a period."""

    theme: Theme
    mentions: int = 0
    sentiment: dict[str, int] = field(default_factory=dict)
    # NPS of the responses that mention the theme, of the others, and the comparison.
    with_theme: Estimate | None = None
    without_theme: Estimate | None = None
    comparison: Comparison | None = None
    # Promoters the theme costs: mentioners' count x (others' promoter share - theirs).
    promoters_lost: float | None = None
    # The theme's weight in the overall NPS: share of mentioners x NPS gap (negative: it costs).
    nps_effect: float | None = None
    hidden: bool = False

    @property
    def negative_share(self) -> float | None:
        if not self.mentions:
            return None
        return 100.0 * self.sentiment.get(Sentiment.NEGATIVE, 0) / self.mentions

    def sentiment_shares(self) -> list[tuple[str, str, int, float]]:
        """(label key, label, count, percent) of each sentiment, in a fixed order."""
        total = sum(self.sentiment.values()) or 1
        return [
            (
                str(s),
                str(s.label),
                self.sentiment.get(s, 0),
                100.0 * self.sentiment.get(s, 0) / total,
            )
            for s in SENTIMENTS
        ]


@dataclass
class ImpactReport:
    """Every active theme's figures, ranked by promoters lost (themes without figures last)."""

    themes: list[ThemeImpact]
    overall: Estimate
    comments: int
    threshold: int

    @property
    def costliest(self) -> ThemeImpact | None:
        """The theme that costs the most promoters, if any costs some (beyond hiding)."""
        for item in self.themes:
            if not item.hidden and item.promoters_lost is not None and item.promoters_lost > 0:
                return item
        return None


def _category(score: float) -> str:
    if score >= 9:
        return "promoters"
    if score >= 7:
        return "passives"
    return "detractors"


def _estimate(counts: dict[str, int]) -> Estimate:
    return nps_estimate(
        promoters=counts.get("promoters", 0),
        passives=counts.get("passives", 0),
        detractors=counts.get("detractors", 0),
    )


def theme_impacts(
    *,
    organization: Organization,
    period: Period | None = None,
    themes: list[Theme] | None = None,
    threshold: int | None = None,
) -> ImpactReport:
    """Counts, sentiment and NPS impact of the organization's active themes in the period."""
    period = period or Period()
    themes = active_themes(organization=organization) if themes is None else themes
    threshold = min_group_size(organization=organization) if threshold is None else threshold
    comments = period_comments(organization=organization, period=period)
    by_id = {t.pk: ThemeImpact(theme=t) for t in themes}

    # Mentions and sentiment (every comment in the period).
    counts = (
        CommentTheme.objects.filter(comment__in=comments.values("pk"), theme_id__in=list(by_id))
        .values("theme_id", "comment__sentiment")
        .annotate(n=Count("id"))
    )
    for row in counts:
        item = by_id[row["theme_id"]]
        item.mentions += row["n"]
        label = row["comment__sentiment"] or Sentiment.NEUTRAL
        item.sentiment[label] = item.sentiment.get(label, 0) + row["n"]

    # NPS units: one per response (or per imported comment), its NPS score.
    scored = comments.filter(score_type="nps", score__isnull=False)
    unit_of: dict[uuid.UUID, str] = {}
    score_of: dict[str, float] = {}
    for pk, response_id, score in scored.values_list("pk", "response_id", "score"):
        if score is None:
            continue
        unit_key = f"r{response_id}" if response_id else f"c{pk}"
        unit_of[pk] = unit_key
        score_of.setdefault(unit_key, float(score))
    mentioned: dict[uuid.UUID, set[str]] = defaultdict(set)
    links = CommentTheme.objects.filter(
        comment__in=scored.values("pk"), theme_id__in=list(by_id)
    ).values_list("comment_id", "theme_id")
    for comment_id, theme_id in links:
        found = unit_of.get(comment_id)
        if found is not None:
            mentioned[theme_id].add(found)
    totals: dict[str, int] = defaultdict(int)
    for score in score_of.values():
        totals[_category(score)] += 1
    overall = _estimate(totals)
    n_all = overall.n
    for theme_id, item in by_id.items():
        units = mentioned.get(theme_id, set())
        inside: dict[str, int] = defaultdict(int)
        for unit in units:
            inside[_category(score_of[unit])] += 1
        outside = {
            key: totals[key] - inside[key] for key in ("promoters", "passives", "detractors")
        }
        item.with_theme = _estimate(inside)
        item.without_theme = _estimate(outside)
        n_in, n_out = item.with_theme.n, item.without_theme.n
        item.hidden = threshold > 1 and (0 < n_in < threshold or 0 < n_out < threshold)
        if n_in == 0 or n_out == 0:
            continue
        item.comparison = compare(item.with_theme, item.without_theme)
        share_in = inside["promoters"] / n_in
        share_out = outside["promoters"] / n_out
        item.promoters_lost = n_in * (share_out - share_in)
        assert item.with_theme.value is not None and item.without_theme.value is not None
        item.nps_effect = (n_in / n_all) * (item.with_theme.value - item.without_theme.value)

    ranked = sorted(
        by_id.values(),
        key=lambda i: (
            i.hidden or i.promoters_lost is None,
            -(i.promoters_lost or 0.0),
            -i.mentions,
            i.theme.key,
        ),
    )
    return ImpactReport(
        themes=ranked, overall=overall, comments=comments.count(), threshold=threshold
    )


def theme_impact(
    *, organization: Organization, theme: Theme, period: Period | None = None
) -> ThemeImpact:
    """One theme's figures (against every other response of the period)."""
    report = theme_impacts(organization=organization, period=period, themes=[theme])
    return report.themes[0]


def _fmt(value: float) -> str:
    text = f"{abs(value):.1f}".rstrip("0").rstrip(".")
    return text or "0"


def _signed(value: float) -> str:
    """+31, \u221212 (a real minus sign), 0."""
    text = _fmt(value)
    if text == "0":
        return text
    return ("+" if value > 0 else "\u2212") + text


def costliest_sentence(report: ImpactReport, *, language: str) -> str:
    """Which problem costs the most promoters, in one plain sentence (empty if none does)."""
    item = report.costliest
    if item is None:
        if any(not i.hidden and i.comparison is not None for i in report.themes):
            return _("No theme costs promoters: those who mention a theme are as likely to "
                     "recommend you as those who do not.")  # fmt: skip
        return ""
    assert item.with_theme is not None and item.without_theme is not None
    assert item.with_theme.value is not None and item.without_theme.value is not None
    comparison = item.comparison
    lost = round(item.promoters_lost or 0.0)
    values = {
        "theme": item.theme.name_in(language),
        "n": item.with_theme.n,
        "lost": lost if lost >= 1 else _fmt(item.promoters_lost or 0.0),
        "with": _signed(item.with_theme.value),
        "without": _signed(item.without_theme.value),
        "effect": _fmt(item.nps_effect or 0.0),
    }
    sentence = (
        _(
            "%(theme)s costs the most promoters: the %(n)s customers who mention it give an NPS "
            "of %(with)s against %(without)s from the others, about %(lost)s promoters lost, and "
            "%(effect)s points off your overall NPS."
        )
        % values
    )
    if comparison is not None and not comparison.exceeds_noise:
        sentence += " " + _("The gap is within the margin of error, so it could be noise.")
    return str(sentence)


# --- trends -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekRow:
    """One week (its Monday) and the mentions in it, per sentiment."""

    week: dt.date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _weeks(organization: Organization, qs: QuerySet[CommentTheme]) -> dict[dt.date, dict[str, int]]:
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    rows = (
        qs.annotate(week=TruncWeek("comment__answered_at", tzinfo=zone, output_field=DateField()))
        .values("week", "comment__sentiment")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    out: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        week = row["week"]
        if isinstance(week, dt.datetime):
            week = week.date()
        label = row["comment__sentiment"] or Sentiment.NEUTRAL
        out.setdefault(week, {})
        out[week][label] = out[week].get(label, 0) + row["n"]
    return out


def _fill(weeks: dict[dt.date, dict[str, int]]) -> list[WeekRow]:
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    rows: list[WeekRow] = []
    day = first
    while day <= last:
        rows.append(WeekRow(day, weeks.get(day, {})))
        day += dt.timedelta(days=7)
    return rows


def theme_trend(
    *, organization: Organization, theme: Theme, period: Period | None = None
) -> list[WeekRow]:
    """Weekly mentions of one theme by sentiment (weeks start on Monday, org time zone)."""
    period = period or Period()
    comments = period_comments(organization=organization, period=period)
    qs = CommentTheme.objects.filter(theme=theme, comment__in=comments.values("pk"))
    return _fill(_weeks(organization, qs))


def themes_trend(
    *, organization: Organization, themes: list[Theme], period: Period | None = None
) -> tuple[list[dt.date], dict[uuid.UUID, list[int]]]:
    """Weekly mentions of several themes: the weeks, and a count per week for each theme."""
    period = period or Period()
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    comments = period_comments(organization=organization, period=period)
    rows = (
        CommentTheme.objects.filter(
            theme_id__in=[t.pk for t in themes], comment__in=comments.values("pk")
        )
        .annotate(week=TruncWeek("comment__answered_at", tzinfo=zone, output_field=DateField()))
        .values("week", "theme_id")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    found: dict[tuple[dt.date, uuid.UUID], int] = {}
    weeks: set[dt.date] = set()
    for row in rows:
        week = row["week"]
        if isinstance(week, dt.datetime):
            week = week.date()
        weeks.add(week)
        found[(week, row["theme_id"])] = row["n"]
    if not weeks:
        return [], {t.pk: [] for t in themes}
    axis = [row.week for row in _fill({w: {} for w in weeks})]
    return axis, {t.pk: [found.get((w, t.pk), 0) for w in axis] for t in themes}
