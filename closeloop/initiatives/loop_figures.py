"""Loop-closure figures for the CX overview: is the outer loop closing?

Over the last `days` days (365 by default, days in the organization's time zone):

- Detractor themes: active themes with at least the minimum group size of NPS-scored responses
  mentioning them (and not hidden by it) where either more than half of those responses are
  detractors (0-6), or the theme's NPS impact is negative beyond the noise (those who mention it
  give a lower NPS than those who do not, by more than the margin of the difference; see
  `closeloop.text.impact.theme_impacts`). Figure: how many of them have an initiative (any
  status but dropped, linked through its themes or as its target theme), of how many.
- Time to act: for each theme linked to an initiative created in the period (its earliest such
  initiative, dropped ones excluded), the days from the theme's rise to the initiative's
  creation, and to its shipping when shipped. The rise is the first week (Monday, org time
  zone) before the initiative whose count of comments about the theme was at least RISE_MIN
  and more than twice the average of the up to BASELINE_WEEKS weeks before it (counted from
  the theme's first comment); when no week qualifies, the day of the theme's first comment.
  Themes without a comment before the initiative are left out. Figures: the medians, with n.
- Customers told: contacts with an announcement sent in the period (status sent or opened),
  and how many opened it.
- Their score change: the NPS answers (customer surveys, every response) of those contacts
  after their first announcement in the period against their answers in the year before it,
  with the margin of the difference (`stats.compare`); each side hidden under the minimum
  group size.
See docs/impact.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Min, Q
from django.utils import timezone

from closeloop.analytics.metrics.stats import Comparison, Estimate, compare, nps_estimate
from closeloop.analytics.metrics.suppression import min_group_size

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.initiatives.models import Initiative
    from closeloop.text.models import Theme

DEFAULT_DAYS = 365
RISE_MIN = 3
BASELINE_WEEKS = 8
CACHE_SECONDS = 120


@dataclass(frozen=True)
class ThemeTiming:
    """One theme with an initiative: when it rose, when the initiative was created and shipped."""

    theme: Theme
    initiative: Initiative
    rise_on: dt.date
    rise_kind: str  # "rise" (a week above its baseline) or "first_comment"
    created_on: dt.date
    shipped_on: dt.date | None

    @property
    def days_to_initiative(self) -> int:
        return max(0, (self.created_on - self.rise_on).days)

    @property
    def days_to_ship(self) -> int | None:
        if self.shipped_on is None:
            return None
        return max(0, (self.shipped_on - self.rise_on).days)


@dataclass
class LoopFigures:
    """The organization's loop-closure figures (see the module docstring)."""

    since: dt.date
    today: dt.date
    days: int
    min_group_size: int
    detractor_themes: list[Theme] = field(default_factory=list)
    with_initiative: list[Theme] = field(default_factory=list)
    timings: list[ThemeTiming] = field(default_factory=list)
    told: int = 0
    opened: int = 0
    told_before: Estimate | None = None
    told_after: Estimate | None = None
    told_before_hidden: bool = False
    told_after_hidden: bool = False
    told_change: Comparison | None = None

    @property
    def detractor_count(self) -> int:
        return len(self.detractor_themes)

    @property
    def with_initiative_count(self) -> int:
        return len(self.with_initiative)

    @property
    def share_with_initiative(self) -> float | None:
        if not self.detractor_themes:
            return None
        return 100.0 * len(self.with_initiative) / len(self.detractor_themes)

    @property
    def without_initiative(self) -> list[Theme]:
        ids = {t.pk for t in self.with_initiative}
        return [t for t in self.detractor_themes if t.pk not in ids]

    @property
    def median_days_to_initiative(self) -> float | None:
        values = [t.days_to_initiative for t in self.timings]
        return float(statistics.median(values)) if values else None

    @property
    def median_days_to_ship(self) -> float | None:
        values = [d for t in self.timings if (d := t.days_to_ship) is not None]
        return float(statistics.median(values)) if values else None

    @property
    def median_days_to_initiative_whole(self) -> int | None:
        value = self.median_days_to_initiative
        return None if value is None else round(value)

    @property
    def median_days_to_ship_whole(self) -> int | None:
        value = self.median_days_to_ship
        return None if value is None else round(value)

    @property
    def n_to_initiative(self) -> int:
        return len(self.timings)

    @property
    def n_to_ship(self) -> int:
        return sum(1 for t in self.timings if t.shipped_on is not None)

    @property
    def open_rate(self) -> float | None:
        return 100.0 * self.opened / self.told if self.told else None


def _zone(organization: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(organization.time_zone or "UTC")


def _start_of(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


# --- detractor themes -------------------------------------------------------------------------


def detractor_themes(
    *, organization: Organization, since: dt.datetime, threshold: int
) -> list[Theme]:
    """Active themes whose mentioners are mostly detractors or whose NPS impact is negative
    beyond the noise (see the module docstring)."""
    from closeloop.text.impact import Period, theme_impacts

    report = theme_impacts(
        organization=organization, period=Period(start=since), threshold=threshold
    )
    found: list[Theme] = []
    for item in report.themes:
        inside = item.with_theme
        if item.hidden or inside is None or inside.n == 0 or inside.n < max(threshold, 1):
            continue
        mostly = inside.counts.get("detractors", 0) * 2 > inside.n
        comparison = item.comparison
        costly = (
            comparison is not None
            and comparison.exceeds_noise
            and comparison.difference is not None
            and comparison.difference < 0
        )
        if mostly or costly:
            found.append(item.theme)
    return found


def _initiatives_by_theme(organization: Organization) -> dict[uuid.UUID, list[Initiative]]:
    """Every theme's initiatives (dropped ones left out), oldest first."""
    from closeloop.initiatives.models import Initiative

    initiatives = (
        Initiative.objects.filter(organization=organization)
        .exclude(status="dropped")
        .prefetch_related("themes")
        .order_by("created_at")
    )
    out: dict[uuid.UUID, list[Initiative]] = {}
    for initiative in initiatives:
        ids = {t.pk for t in initiative.themes.all()}
        if initiative.target_theme_id is not None:
            ids.add(initiative.target_theme_id)
        for theme_id in ids:
            out.setdefault(theme_id, []).append(initiative)
    return out


# --- time to act ------------------------------------------------------------------------------


def theme_rise(
    *, organization: Organization, theme: Theme, before: dt.datetime
) -> tuple[dt.date, str] | None:
    """When the theme rose before an instant: (day, "rise") for the first week above its
    baseline, else (day of its first comment, "first_comment"); None without comments."""
    from closeloop.text.impact import Period, theme_trend
    from closeloop.text.models import Comment

    zone = _zone(organization)
    first = (
        Comment.objects.filter(
            organization=organization, theme_links__theme=theme, answered_at__lt=before
        )
        .aggregate(first=Min("answered_at"))
        .get("first")
    )
    if first is None:
        return None
    weeks = theme_trend(organization=organization, theme=theme, period=Period(end=before))
    for index, row in enumerate(weeks):
        if index == 0:
            continue
        prior = [w.total for w in weeks[max(0, index - BASELINE_WEEKS) : index]]
        baseline = sum(prior) / len(prior)
        if row.total >= RISE_MIN and row.total > 2 * baseline:
            return row.week, "rise"
    return first.astimezone(zone).date(), "first_comment"


def theme_timings(
    *, organization: Organization, since: dt.datetime, by_theme: dict[uuid.UUID, list[Initiative]]
) -> list[ThemeTiming]:
    """For each theme with an initiative created since `since`: its rise, creation, shipping."""
    from closeloop.text.models import Theme

    zone = _zone(organization)
    themes = {t.pk: t for t in Theme.objects.filter(organization=organization, pk__in=by_theme)}
    timings: list[ThemeTiming] = []
    for theme_id, initiatives in by_theme.items():
        theme = themes.get(theme_id)
        if theme is None:
            continue
        initiative = initiatives[0]
        if initiative.created_at < since:
            continue
        rise = theme_rise(organization=organization, theme=theme, before=initiative.created_at)
        if rise is None:
            continue
        shipped = initiative.shipped_at
        timings.append(
            ThemeTiming(
                theme=theme,
                initiative=initiative,
                rise_on=rise[0],
                rise_kind=rise[1],
                created_on=initiative.created_at.astimezone(zone).date(),
                shipped_on=shipped.astimezone(zone).date() if shipped is not None else None,
            )
        )
    timings.sort(key=lambda t: t.theme.key)
    return timings


# --- customers told ---------------------------------------------------------------------------


def _told(
    organization: Organization, since: dt.datetime
) -> tuple[dict[uuid.UUID, dt.datetime], int]:
    """Contacts told since `since` (their first sending in the period) and how many opened."""
    from closeloop.initiatives.models import AnnouncementRecipient

    rows = AnnouncementRecipient.objects.filter(
        organization=organization,
        status__in=("sent", "opened"),
        sent_at__isnull=False,
        sent_at__gte=since,
    )
    first: dict[uuid.UUID, dt.datetime] = {}
    for contact_id, sent_at in rows.values_list("contact_id", "sent_at"):
        if sent_at is None:
            continue
        if contact_id not in first or sent_at < first[contact_id]:
            first[contact_id] = sent_at
    opened = (
        rows.filter(Q(status="opened") | Q(opened_at__isnull=False))
        .values("contact_id")
        .distinct()
        .count()
    )
    return first, opened


def _told_scores(
    organization: Organization, told: dict[uuid.UUID, dt.datetime]
) -> tuple[Estimate, Estimate]:
    """NPS of the told contacts' answers in the year before being told, and after."""
    from closeloop.responses.models import AnswerFact

    counts = {
        "before": {"promoters": 0, "passives": 0, "detractors": 0},
        "after": {"promoters": 0, "passives": 0, "detractors": 0},
    }
    if told:
        earliest = min(told.values()) - dt.timedelta(days=DEFAULT_DAYS)
        facts = AnswerFact.objects.filter(
            organization_id=organization.pk,
            question_type="nps",
            number__isnull=False,
            answered_at__gte=earliest,
            response__contact_id__in=list(told),
            response__survey__kind="customer",
        ).values_list("response__contact_id", "number", "answered_at")
        for contact_id, number, answered_at in facts:
            if contact_id is None or number is None:
                continue
            sent_at = told[contact_id]
            if answered_at >= sent_at:
                side = "after"
            elif answered_at >= sent_at - dt.timedelta(days=DEFAULT_DAYS):
                side = "before"
            else:
                continue
            key = "promoters" if number >= 9 else "passives" if number >= 7 else "detractors"
            counts[side][key] += 1
    return nps_estimate(**counts["before"]), nps_estimate(**counts["after"])


# --- the whole --------------------------------------------------------------------------------


def loop_figures(
    *, organization: Organization, today: dt.date | None = None, days: int = DEFAULT_DAYS
) -> LoopFigures:
    """The organization's loop-closure figures over the last `days` days."""
    zone = _zone(organization)
    today = today or timezone.now().astimezone(zone).date()
    since_day = today - dt.timedelta(days=days - 1)
    since = _start_of(since_day, zone)
    threshold = min_group_size(organization=organization)
    figures = LoopFigures(since=since_day, today=today, days=days, min_group_size=threshold)

    by_theme = _initiatives_by_theme(organization)
    figures.detractor_themes = detractor_themes(
        organization=organization, since=since, threshold=threshold
    )
    figures.with_initiative = [t for t in figures.detractor_themes if t.pk in by_theme]
    figures.timings = theme_timings(organization=organization, since=since, by_theme=by_theme)

    told, opened = _told(organization, since)
    figures.told, figures.opened = len(told), opened
    before, after = _told_scores(organization, told)
    figures.told_before_hidden = threshold > 1 and 0 < before.n < threshold
    figures.told_after_hidden = threshold > 1 and 0 < after.n < threshold
    figures.told_before, figures.told_after = before, after
    if not figures.told_before_hidden and not figures.told_after_hidden:
        figures.told_change = compare(after, before)
    return figures


def loop_figures_cached(*, organization: Organization) -> LoopFigures:
    """`loop_figures` for today, kept a couple of minutes (the overview is the home page)."""
    today = timezone.now().astimezone(_zone(organization)).date()
    key = f"initiatives:loop-figures:{organization.pk}:{today.isoformat()}"
    found = cache.get(key)
    if isinstance(found, LoopFigures):
        return found
    figures = loop_figures(organization=organization, today=today)
    cache.set(key, figures, CACHE_SECONDS)
    return figures


def _estimate_data(estimate: Estimate | None, hidden: bool) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "value": None if hidden or estimate.value is None else round(estimate.value, 2),
        "n": estimate.n,
        "margin": None
        if hidden or estimate.margin_of_error is None
        else round(estimate.margin_of_error, 2),
        "hidden": hidden,
    }


def loop_figures_data(figures: LoopFigures) -> dict[str, Any]:
    """The figures as JSON-ready data."""
    change = figures.told_change
    return {
        "since": figures.since.isoformat(),
        "today": figures.today.isoformat(),
        "days": figures.days,
        "min_group_size": figures.min_group_size,
        "detractor_themes": figures.detractor_count,
        "detractor_themes_with_initiative": figures.with_initiative_count,
        "share_with_initiative": figures.share_with_initiative,
        "median_days_to_initiative": figures.median_days_to_initiative,
        "n_to_initiative": figures.n_to_initiative,
        "median_days_to_ship": figures.median_days_to_ship,
        "n_to_ship": figures.n_to_ship,
        "customers_told": figures.told,
        "customers_opened": figures.opened,
        "told_nps_before": _estimate_data(figures.told_before, figures.told_before_hidden),
        "told_nps_after": _estimate_data(figures.told_after, figures.told_after_hidden),
        "told_nps_difference": None
        if change is None or change.difference is None
        else round(change.difference, 2),
        "told_nps_difference_margin": None
        if change is None or change.margin_of_error is None
        else round(change.margin_of_error, 2),
        "told_nps_exceeds_noise": bool(change and change.exceeds_noise),
    }
