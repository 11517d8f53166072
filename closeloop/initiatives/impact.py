"""An initiative's impact: its target metric before and after the ship date, each with n and a
95% margin, the change with the margin of the difference, the target theme's share of comments
before and after, a weekly series for the chart, and one plain verdict.

Windows are whole days in the organization's time zone: before = [ship day - before_days,
ship day - 1], after = [ship day, min(ship day + after_days - 1, today)]. The metric comes from
the metric engine (`closeloop.analytics.metrics`), so it reads the same rollups, applies the
same minimum group size and gives the same numbers as the dashboards. See docs/impact.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import Count, DateField
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.analytics.metrics import (
    Comparison,
    Estimate,
    MetricFilters,
    compare,
    metric_compute,
    min_group_size,
)
from closeloop.analytics.metrics.stats import SMALL_N, proportion_estimate
from closeloop.core.errors import DomainError
from closeloop.initiatives.impact_words import change_verdict, fmt_number

logger = logging.getLogger("closeloop.initiatives")

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.initiatives.models import Initiative
    from closeloop.text.models import Theme

# Fewer answers than this on either side and the verdict says it is too early (or too few
# before) rather than reading a change into a handful of answers: the engine's own small-sample
# threshold, under which margins come from the adjusted intervals.
MIN_ANSWERS = SMALL_N

SCORE_METRICS = ("nps", "csat", "ces")
VerdictKind = Literal[
    "improved", "worsened", "noise", "too_early", "no_baseline", "hidden", "no_data", "not_shipped"
]


@dataclass(frozen=True)
class Window:
    """Days in the organization's time zone, both ends included (empty when end < start)."""

    start: dt.date
    end: dt.date
    # The window's full length; the after window is shorter while it is still running.
    planned_days: int = 0

    @property
    def days(self) -> int:
        return max(0, (self.end - self.start).days + 1)

    @property
    def complete(self) -> bool:
        return self.days >= self.planned_days


@dataclass(frozen=True)
class Figure:
    """One window's figure: the estimate (its value None when hidden or empty) and whether the
    minimum group size hid it."""

    estimate: Estimate
    hidden: bool = False
    # Theme share only: how many comments in the window, how many about the themes.
    comments: int | None = None
    mentions: int | None = None

    @property
    def n(self) -> int:
        return self.estimate.n


@dataclass(frozen=True)
class WeekPoint:
    """One week (its Monday) of the chart: the value, n and margin (None when hidden/empty)."""

    week: dt.date
    value: float | None
    n: int
    margin: float | None
    hidden: bool = False
    low: float | None = None
    high: float | None = None


@dataclass
class InitiativeImpact:
    """Everything the impact panel, the API and the frozen `Initiative.impact` show."""

    initiative: Initiative
    # the score metric measured (nps, csat, ces); NPS when the target is a theme share
    metric: str
    # what the verdict is about: "metric" or "theme_share"
    primary: Literal["metric", "theme_share"]
    today: dt.date
    shipped_on: dt.date | None = None
    before_window: Window | None = None
    after_window: Window | None = None
    min_group_size: int = 5
    before: Figure | None = None
    after: Figure | None = None
    comparison: Comparison | None = None
    metric_error: str = ""
    themes: list[Theme] = field(default_factory=list)
    share_before: Figure | None = None
    share_after: Figure | None = None
    share_comparison: Comparison | None = None
    weekly: list[WeekPoint] = field(default_factory=list)
    share_weekly: list[WeekPoint] = field(default_factory=list)
    verdict_kind: VerdictKind = "not_shipped"
    verdict: str = ""

    @property
    def shipped(self) -> bool:
        return self.shipped_on is not None

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)

    @property
    def min_answers(self) -> int:
        return MIN_ANSWERS

    @property
    def share_sentence(self) -> str:
        """The theme share's change in the verdict's words (empty without a comparison)."""
        comparison = self.share_comparison
        if comparison is None or comparison.difference is None:
            return ""
        return change_verdict(_("The theme's share of comments"), comparison)

    @property
    def expected_change_text(self) -> str:
        """The expected change with its sign ("+10"), empty when none was set."""
        value = self.initiative.expected_change
        if value is None:
            return ""
        kind = "mean" if self.metric == "ces" and self.primary == "metric" else "nps"
        text = fmt_number(value, kind)
        return f"+{text}" if value > 0 else text

    @property
    def exceeds_noise(self) -> bool:
        """Whether the primary change is beyond its margin, with enough answers on both sides."""
        if self.verdict_kind not in ("improved", "worsened"):
            return False
        chosen = self.share_comparison if self.primary == "theme_share" else self.comparison
        return chosen is not None and chosen.exceeds_noise

    @property
    def primary_comparison(self) -> Comparison | None:
        return self.share_comparison if self.primary == "theme_share" else self.comparison

    @property
    def theme_names(self) -> str:
        language = self.initiative.organization.default_language or "en"
        return ", ".join(t.name_in(language) for t in self.themes)


def metric_label(metric: str) -> str:
    labels = {"nps": _("NPS"), "csat": _("CSAT"), "ces": _("CES"), "theme_share": _("Theme share")}
    return labels.get(metric, metric)


# --- windows ----------------------------------------------------------------------------------


def _zone(organization: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(organization.time_zone or "UTC")


def local_today(organization: Organization) -> dt.date:
    """Today in the organization's time zone."""
    return timezone.now().astimezone(_zone(organization)).date()


def windows(
    *, ship_day: dt.date, before_days: int, after_days: int, today: dt.date
) -> tuple[Window, Window]:
    """The before and after windows around a ship day (see the module docstring)."""
    before = Window(
        start=ship_day - dt.timedelta(days=before_days),
        end=ship_day - dt.timedelta(days=1),
        planned_days=before_days,
    )
    planned_end = ship_day + dt.timedelta(days=max(after_days, 1) - 1)
    after = Window(start=ship_day, end=min(planned_end, today), planned_days=after_days)
    return before, after


def _bounds(window: Window, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The window as [start, end) instants."""
    start = dt.datetime.combine(window.start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


# --- the metric -------------------------------------------------------------------------------


def _filters(initiative: Initiative, date_from: dt.date, date_to: dt.date) -> MetricFilters:
    return MetricFilters(
        surveys=(initiative.target_survey,) if initiative.target_survey is not None else (),
        touchpoints=(
            (initiative.target_touchpoint,) if initiative.target_touchpoint is not None else ()
        ),
        segment=initiative.target_segment,
        date_from=date_from,
        date_to=date_to,
    )


def _metric_figure(initiative: Initiative, metric: str, window: Window) -> Figure:
    if window.days == 0:
        return Figure(estimate=Estimate(value=None, n=0, margin_of_error=None, kind=_kind(metric)))
    result = metric_compute(
        organization=initiative.organization,
        metric=metric,
        filters=_filters(initiative, window.start, window.end),
    )
    return Figure(estimate=result.total.estimate, hidden=result.total.hidden)


def _kind(metric: str) -> Literal["nps", "proportion", "mean"]:
    return "nps" if metric == "nps" else "mean" if metric == "ces" else "proportion"


def _metric_weekly(
    initiative: Initiative, metric: str, start: dt.date, end: dt.date
) -> list[WeekPoint]:
    result = metric_compute(
        organization=initiative.organization,
        metric=metric,
        filters=_filters(initiative, start, end),
        group_by="week",
    )
    points = []
    for group in result.groups:
        assert group.start is not None
        estimate = group.estimate
        points.append(
            WeekPoint(
                week=group.start,
                value=estimate.value,
                n=estimate.n,
                margin=estimate.margin_of_error,
                hidden=group.hidden,
                low=estimate.low,
                high=estimate.high,
            )
        )
    return points


# --- theme share ------------------------------------------------------------------------------


def impact_themes(initiative: Initiative) -> list[Theme]:
    """The themes whose share is measured: the target theme, else the linked themes."""
    if initiative.target_theme is not None:
        return [initiative.target_theme]
    return list(initiative.themes.all())


def _share_figure(
    organization: Organization, theme_ids: list[uuid.UUID], window: Window, threshold: int
) -> Figure:
    from closeloop.text.models import Comment, CommentTheme

    if window.days == 0:
        return Figure(estimate=proportion_estimate(successes=0, n=0), comments=0, mentions=0)
    start, end = _bounds(window, _zone(organization))
    comments = Comment.objects.filter(
        organization=organization, answered_at__gte=start, answered_at__lt=end
    )
    total = comments.count()
    mentions = (
        CommentTheme.objects.filter(theme_id__in=theme_ids, comment__in=comments.values("pk"))
        .values("comment_id")
        .distinct()
        .count()
    )
    estimate = proportion_estimate(
        successes=mentions, n=total, success_label="about_theme", failure_label="other"
    )
    hidden = threshold > 1 and 0 < total < threshold
    if hidden:
        estimate = Estimate(value=None, n=total, margin_of_error=None, kind="proportion")
    return Figure(estimate=estimate, hidden=hidden, comments=total, mentions=mentions)


def _share_weekly(
    organization: Organization,
    theme_ids: list[uuid.UUID],
    start_day: dt.date,
    end_day: dt.date,
    threshold: int,
) -> list[WeekPoint]:
    from closeloop.text.models import Comment, CommentTheme

    zone = _zone(organization)
    start, end = _bounds(Window(start_day, end_day), zone)
    comments = Comment.objects.filter(
        organization=organization, answered_at__gte=start, answered_at__lt=end
    )
    about = comments.filter(
        pk__in=CommentTheme.objects.filter(theme_id__in=theme_ids).values("comment_id")
    )

    def per_week(qs: Any) -> dict[dt.date, int]:
        rows = (
            qs.annotate(week=TruncWeek("answered_at", tzinfo=zone, output_field=DateField()))
            .values("week")
            .annotate(n=Count("id"))
            .order_by()
        )
        out: dict[dt.date, int] = {}
        for row in rows:
            week = row["week"]
            if isinstance(week, dt.datetime):
                week = week.date()
            out[week] = out.get(week, 0) + row["n"]
        return out

    totals, mentions = per_week(comments), per_week(about)
    points = []
    week = start_day - dt.timedelta(days=start_day.weekday())
    while week <= end_day:
        n = totals.get(week, 0)
        hidden = threshold > 1 and 0 < n < threshold
        estimate = proportion_estimate(successes=min(mentions.get(week, 0), n), n=n)
        points.append(
            WeekPoint(
                week=week,
                value=None if hidden else estimate.value,
                n=n,
                margin=None if hidden else estimate.margin_of_error,
                hidden=hidden,
                low=None if hidden else estimate.low,
                high=None if hidden else estimate.high,
            )
        )
        week += dt.timedelta(days=7)
    return points


# --- the verdict ----------------------------------------------------------------------------------


def _verdict(impact: InitiativeImpact) -> tuple[VerdictKind, str]:
    if not impact.shipped:
        return "not_shipped", _("Not shipped yet: the impact is measured from the ship date.")
    if impact.primary == "theme_share":
        if not impact.themes:
            return "no_data", _("No theme is linked: link a theme to measure its share.")
        before, after, comparison = impact.share_before, impact.share_after, impact.share_comparison
        label = _("The theme's share of comments")
        unit_after = ngettext(
            "Too early to tell: only %(n)s comment since shipping (at least %(min)s are needed).",
            "Too early to tell: only %(n)s comments since shipping (at least %(min)s are needed).",
            after.n if after else 0,
        )
        unit_before = ngettext(
            "Too few comments before shipping to compare: only %(n)s (at least %(min)s are "
            "needed).",
            "Too few comments before shipping to compare: only %(n)s (at least %(min)s are "
            "needed).",
            before.n if before else 0,
        )
    else:
        if impact.metric_error:
            return "no_data", impact.metric_error
        before, after, comparison = impact.before, impact.after, impact.comparison
        label = impact.metric_label
        unit_after = ngettext(
            "Too early to tell: only %(n)s answer since shipping (at least %(min)s are needed).",
            "Too early to tell: only %(n)s answers since shipping (at least %(min)s are needed).",
            after.n if after else 0,
        )
        unit_before = ngettext(
            "Too few answers before shipping to compare: only %(n)s (at least %(min)s are needed).",
            "Too few answers before shipping to compare: only %(n)s (at least %(min)s are needed).",
            before.n if before else 0,
        )
    assert before is not None and after is not None
    if after.n < MIN_ANSWERS:
        return "too_early", unit_after % {"n": after.n, "min": MIN_ANSWERS}
    if before.n < MIN_ANSWERS:
        return "no_baseline", unit_before % {"n": before.n, "min": MIN_ANSWERS}
    if before.hidden or after.hidden or comparison is None or comparison.difference is None:
        return "hidden", _(
            "Hidden: fewer than %(min)s answers on one side of the ship date (the minimum "
            "group size)."
        ) % {"min": impact.min_group_size}
    sentence = change_verdict(label, comparison)
    if not comparison.exceeds_noise:
        return "noise", sentence
    better = comparison.difference > 0
    if impact.primary == "theme_share":
        better = not better  # fewer comments about the problem is the improvement
    return ("improved" if better else "worsened"), sentence


# --- the whole ---------------------------------------------------------------------------------


def initiative_impact(initiative: Initiative, *, today: dt.date | None = None) -> InitiativeImpact:
    """Measure an initiative's impact around its ship date (see the module docstring)."""
    organization = initiative.organization
    today = today or local_today(organization)
    target = initiative.target_metric
    metric = target if target in SCORE_METRICS else "nps"
    impact = InitiativeImpact(
        initiative=initiative,
        metric=metric,
        primary="theme_share" if target == "theme_share" else "metric",
        today=today,
        min_group_size=min_group_size(organization=organization),
        themes=impact_themes(initiative),
    )
    if initiative.shipped_at is not None:
        _measure(impact, initiative, metric, today)
    impact.verdict_kind, impact.verdict = _verdict(impact)
    return impact


def _measure(impact: InitiativeImpact, initiative: Initiative, metric: str, today: dt.date) -> None:
    organization = initiative.organization
    assert initiative.shipped_at is not None
    ship_day = initiative.shipped_at.astimezone(_zone(organization)).date()
    before, after = windows(
        ship_day=ship_day,
        before_days=initiative.before_days,
        after_days=initiative.after_days,
        today=today,
    )
    impact.shipped_on, impact.before_window, impact.after_window = ship_day, before, after
    chart_end = max(after.end, before.end)
    try:
        impact.before = _metric_figure(initiative, metric, before)
        impact.after = _metric_figure(initiative, metric, after)
        impact.weekly = _metric_weekly(initiative, metric, before.start, chart_end)
    except DomainError as error:
        impact.metric_error = str(error.message)
        impact.before = impact.after = None
        impact.weekly = []
    else:
        impact.comparison = compare(impact.after.estimate, impact.before.estimate)
    if impact.themes:
        ids = [t.pk for t in impact.themes]
        threshold = impact.min_group_size
        impact.share_before = _share_figure(organization, ids, before, threshold)
        impact.share_after = _share_figure(organization, ids, after, threshold)
        impact.share_comparison = compare(impact.share_after.estimate, impact.share_before.estimate)
        impact.share_weekly = _share_weekly(organization, ids, before.start, chart_end, threshold)


# --- JSON -------------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _estimate_data(figure: Figure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    e = figure.estimate
    data: dict[str, Any] = {
        "value": _round(e.value),
        "n": e.n,
        "margin": _round(e.margin_of_error),
        "low": _round(e.low),
        "high": _round(e.high),
        "hidden": figure.hidden,
        "counts": {} if figure.hidden else dict(e.counts),
    }
    if figure.comments is not None:
        data["comments"] = figure.comments
        data["mentions"] = None if figure.hidden else figure.mentions
    return data


def _comparison_data(comparison: Comparison | None, enough: bool) -> dict[str, Any]:
    if comparison is None:
        return {
            "difference": None,
            "difference_margin": None,
            "exceeds_noise": False,
            "sentence": "",
        }
    return {
        "difference": _round(comparison.difference),
        "difference_margin": _round(comparison.margin_of_error),
        "exceeds_noise": bool(comparison.exceeds_noise and enough),
        "sentence": comparison.sentence,
    }


def _window_data(window: Window | None) -> dict[str, Any] | None:
    if window is None:
        return None
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "days": window.days,
        "planned_days": window.planned_days,
        "complete": window.complete,
    }


def _weeks_data(points: list[WeekPoint]) -> list[dict[str, Any]]:
    return [
        {
            "week": p.week.isoformat(),
            "value": _round(p.value),
            "n": p.n,
            "margin": _round(p.margin),
            "low": _round(p.low),
            "high": _round(p.high),
            "hidden": p.hidden,
        }
        for p in points
    ]


def _enough(before: Figure | None, after: Figure | None) -> bool:
    return (
        before is not None
        and after is not None
        and before.n >= MIN_ANSWERS
        and after.n >= MIN_ANSWERS
        and not before.hidden
        and not after.hidden
    )


def impact_data(impact: InitiativeImpact) -> dict[str, Any]:
    """The impact as JSON-ready data (the API, the chart, and `Initiative.impact` when measured).

    `exceeds_noise` is true only when the change is beyond its margin with at least
    MIN_ANSWERS on both sides; the comparison's own flag is in `metric`/`theme_share`."""
    initiative = impact.initiative
    metric_part = {
        "metric": impact.metric,
        "label": impact.metric_label,
        "before": _estimate_data(impact.before),
        "after": _estimate_data(impact.after),
        **_comparison_data(impact.comparison, _enough(impact.before, impact.after)),
        "error": impact.metric_error,
    }
    share_part: dict[str, Any] | None = None
    if impact.themes:
        share_part = {
            "themes": [
                {
                    "id": str(t.pk),
                    "key": t.key,
                    "name": t.name_in(initiative.organization.default_language or "en"),
                }
                for t in impact.themes
            ],
            "before": _estimate_data(impact.share_before),
            "after": _estimate_data(impact.share_after),
            **_comparison_data(
                impact.share_comparison, _enough(impact.share_before, impact.share_after)
            ),
            "weekly": _weeks_data(impact.share_weekly),
        }
    primary = share_part if impact.primary == "theme_share" else metric_part
    return {
        "initiative": str(initiative.pk),
        "target_metric": initiative.target_metric,
        "primary": impact.primary,
        "metric": impact.metric,
        "metric_label": impact.metric_label,
        "shipped_on": impact.shipped_on.isoformat() if impact.shipped_on else None,
        "today": impact.today.isoformat(),
        "computed_at": timezone.now().isoformat(),
        "windows": {
            "before": _window_data(impact.before_window),
            "after": _window_data(impact.after_window),
        },
        "min_group_size": impact.min_group_size,
        "min_answers": MIN_ANSWERS,
        "expected_change": initiative.expected_change,
        "before": primary["before"] if primary else None,
        "after": primary["after"] if primary else None,
        "difference": primary["difference"] if primary else None,
        "difference_margin": primary["difference_margin"] if primary else None,
        "exceeds_noise": impact.exceeds_noise,
        "verdict_kind": impact.verdict_kind,
        "verdict": impact.verdict,
        "sentence": impact.verdict,
        "metric_figures": metric_part,
        "theme_share": share_part,
        "weekly": _weeks_data(impact.weekly),
    }


def impact_snapshot(initiative: Initiative) -> dict[str, Any] | None:
    """impact_data of the initiative's impact now, or None (logged) when it cannot be computed:
    the figures accompany a status change or an API answer and must not make them fail."""
    try:
        return dict(impact_data(initiative_impact(initiative)))
    except Exception:
        logger.exception("Impact of initiative %s could not be computed", initiative.pk)
        return None
