"""The widget registry: each kind's settings schema, how it reads its data, its template, and
the plotly figure drawn over its data table.

A widget renders on the server into HTML with a table of its numbers (usable without
JavaScript and on a phone); the chart, when there is one, is a JSON figure next to it that
static/analytics/dashboards.js draws with plotly. Hidden groups never reach the figure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.analytics.dashboards import data, schemas
from closeloop.analytics.dashboards.data import Point, Scope
from closeloop.analytics.metrics.stats import compare
from closeloop.analytics.models import Dashboard, Widget, WidgetKind

# Colours of the charts (the stylesheet's accent, muted and bad tones).
ACCENT = "#2f6f5e"
BAND = "rgba(47, 111, 94, 0.15)"
MUTED = "#8a999d"
GOOD = "#1f7a4d"
BAD = "#b42318"
CATEGORY_COLOURS = {"promoters": GOOD, "passives": MUTED, "detractors": BAD}


@dataclass
class WidgetContext:
    """Everything a widget needs to read its data and render."""

    widget: Widget
    dashboard: Dashboard
    config: Any
    scope: Scope
    public: bool = False


@dataclass(frozen=True)
class WidgetKindSpec:
    """One kind of widget."""

    kind: str
    label: str | Promise
    description: str | Promise
    build: Callable[[WidgetContext], dict[str, Any]]
    title: Callable[[Any], str]
    template: str
    wide: bool = False


REGISTRY: dict[str, WidgetKindSpec] = {}


def register(spec: WidgetKindSpec) -> WidgetKindSpec:
    REGISTRY[spec.kind] = spec
    return spec


def widget_title(widget: Widget) -> str:
    """The widget's own title, or one that says what it shows."""
    if widget.title:
        return widget.title
    spec = REGISTRY.get(widget.kind)
    if spec is None:
        return widget.get_kind_display()
    return spec.title(schemas.parse_config(widget.kind, widget.config))


@dataclass
class RenderedWidget:
    widget: Widget
    title: str
    html: str
    wide: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def render_widget(
    *,
    widget: Widget,
    dashboard: Dashboard,
    scope: Scope,
    public: bool = False,
    report: bool = False,
) -> RenderedWidget:
    """The widget's HTML (its frame, numbers, table and chart JSON); for a printable report
    every figure is unfolded and links into the app are left out."""
    spec = REGISTRY[widget.kind]
    config = schemas.parse_config(widget.kind, widget.config)
    ctx = WidgetContext(
        widget=widget, dashboard=dashboard, config=config, scope=scope, public=public
    )
    try:
        context = spec.build(ctx)
    except data.NoData as exc:
        context = {"message": exc.message, "chart": None}
        spec = replace(spec, template="analytics/dashboards/widgets/_message.html")
    title = widget_title(widget)
    context.update(
        {
            "widget": widget,
            "title": title,
            "config": config,
            "scope": scope,
            "public": public,
            "report": report,
            "wide": spec.wide,
            "chart_id": f"chart-{widget.pk}",
            "body_template": spec.template,
            "min_group_size": scope.min_group_size,
            "org_slug": scope.organization.slug,
        }
    )
    html = render_to_string("analytics/dashboards/widgets/_frame.html", context)
    return RenderedWidget(widget=widget, title=title, html=html, wide=spec.wide)


# --- formatting -------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    """A number for people (locale-aware), or an em dash."""
    if value is None:
        return "—"
    return formats.number_format(round(value, digits), digits)


def signed(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = fmt(abs(value), digits)
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + text


def _digits(metric: str, figure: str = "score") -> int:
    """NPS in whole points, shares in whole percent, the CES mean with one decimal."""
    return 1 if metric == "ces" and figure == "score" else 0


def _unit(metric: str, figure: str = "score") -> str:
    if figure != "score" or metric == "csat":
        return "%"
    return ""


def metric_label(metric: str, figure: str = "score") -> str:
    base = str(schemas.METRIC_LABELS.get(metric, metric))
    if figure == "promoters":
        return _("Promoters (%(metric)s)") % {"metric": base}
    if figure == "passives":
        return _("Passives (%(metric)s)") % {"metric": base}
    if figure == "detractors":
        return _("Detractors (%(metric)s)") % {"metric": base}
    return base


def metric_help(metric: str, figure: str = "score") -> str:
    """What the figure means, in one line."""
    if figure in ("promoters", "passives", "detractors"):
        return {
            "promoters": _("Share of answers 9-10."),
            "passives": _("Share of answers 7-8."),
            "detractors": _("Share of answers 0-6."),
        }[figure]
    return {
        "nps": _("% promoters (9-10) minus % detractors (0-6), from -100 to 100."),
        "enps": _("NPS of the employee question, from -100 to 100."),
        "csat": _("Share of satisfied answers (4-5 on a 5-point scale)."),
        "ces": _("Mean agreement that it was easy, from 1 to 7; 5-7 counts as easy."),
    }.get(metric, "")


def _period_label(start: dt.date, interval: str) -> str:
    if interval == "month":
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    if interval == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return formats.date_format(start, "SHORT_DATE_FORMAT")


def _row(point: Point, digits: int, unit: str) -> dict[str, Any]:
    """A table row of a figure: hidden groups carry nothing but their label."""
    if point.hidden:
        return {"key": point.key, "label": point.label, "hidden": True}
    return {
        "key": point.key,
        "label": point.label,
        "hidden": False,
        "value": fmt(point.value, digits) + (unit if point.value is not None else ""),
        "n": point.n,
        "margin": ("±" + fmt(point.margin, 1)) if point.margin is not None else "—",
        "low": fmt(point.low, 1),
        "high": fmt(point.high, 1),
        "counts": point.counts,
    }


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
        "height": 260,
        "showlegend": False,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "xaxis": {"fixedrange": True, "automargin": True},
        "yaxis": {"fixedrange": True, "automargin": True, "zeroline": True},
    }
    layout.update(extra)
    return layout


# --- metric card ------------------------------------------------------------------------------


def _figure_point(
    scope: Scope,
    metric: str,
    figure: str,
    period: schemas.DateRange,
    point: Point | None = None,
) -> Point:
    """The metric's score, or the share of promoters, passives or detractors behind it."""
    if point is None:
        point = data.metric_point(scope, metric=metric, period=period)
    if figure == "score" or point.hidden or point.estimate is None:
        return point
    if point.n == 0:
        return Point(value=None, n=0, margin=None)
    return Point.of(data.share_of(point.estimate, figure))


def _count_rows(metric: str, counts: dict[str, int]) -> list[tuple[str, int]]:
    labels: dict[str, str]
    if metric in ("nps", "enps"):
        labels = {
            "promoters": _("Promoters"),
            "passives": _("Passives"),
            "detractors": _("Detractors"),
        }
    elif metric == "csat":
        labels = {"satisfied": _("Satisfied"), "other": _("Not satisfied")}
    else:
        labels = {"easy": _("Easy (5-7)"), "other": _("Not easy (1-4)")}
    return [(label, int(counts[key])) for key, label in labels.items() if key in counts]


def build_metric_card(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.MetricCardConfig = ctx.config
    digits, unit = _digits(c.metric, c.figure), _unit(c.metric, c.figure)
    score = data.metric_point(ctx.scope, metric=c.metric, period=ctx.scope.period)
    current = _figure_point(ctx.scope, c.metric, c.figure, ctx.scope.period, score)
    out: dict[str, Any] = {
        "current": _row(current, digits, unit),
        "point": current,
        "basis": schemas.BASIS_LABELS[ctx.scope.filters.basis]
        if ctx.scope.filters.basis != "response"
        else "",
        "help": metric_help(c.metric, c.figure),
        "counts": [] if score.hidden else _count_rows(c.metric, score.counts),
        "period": ctx.scope.period,
    }
    if c.figure == "score" and not current.hidden and current.estimate is not None:
        from closeloop.analytics.alerts.targets import target_gaps

        out["gaps"] = [
            gap.sentence
            for gap in target_gaps(
                ctx.scope.organization,
                c.metric,
                current.estimate.value,
                margin=current.estimate.margin_of_error,
                survey=ctx.scope.filters.survey,
                segment=ctx.scope.filters.segment,
                date_from=ctx.scope.period.first_day,
                date_to=ctx.scope.period.last_day,
            )
        ]
    if c.metric == "ces" and c.figure == "score" and not current.hidden and current.n:
        easy = current.counts.get("easy", 0)
        out["easy_share"] = fmt(100 * easy / current.n) + "%"
    if c.compare and not current.hidden:
        previous_period = ctx.scope.period.previous()
        previous = _figure_point(ctx.scope, c.metric, c.figure, previous_period)
        out["previous_period"] = previous_period
        out["previous"] = _row(previous, digits, unit)
        comparison = None
        if previous.hidden or current.estimate is None or previous.estimate is None:
            out["sentence"] = _("Not enough responses in the previous period to compare.")
        elif not previous.n:
            out["sentence"] = _("No responses in the previous period to compare with.")
        else:
            comparison = compare(current.estimate, previous.estimate)
            out["sentence"] = comparison.sentence
        if comparison is not None and comparison.difference is not None:
            out["comparison"] = {
                "difference": signed(comparison.difference, 1),
                "margin": ("±" + fmt(comparison.margin_of_error, 1))
                if comparison.margin_of_error is not None
                else "—",
                "exceeds": comparison.exceeds_noise,
                "direction": (comparison.difference or 0) > 0,
            }
    return out


register(
    WidgetKindSpec(
        kind=WidgetKind.METRIC_CARD,
        label=WidgetKind.METRIC_CARD.label,
        description=gettext_lazy(
            "One figure with its n and margin, compared with the previous period in words."
        ),
        build=build_metric_card,
        title=lambda c: metric_label(c.metric, c.figure),
        template="analytics/dashboards/widgets/metric_card.html",
    )
)


# --- trend line -------------------------------------------------------------------------------


def build_trend(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.TrendConfig = ctx.config
    digits, unit = _digits(c.metric, c.figure), _unit(c.metric, c.figure)
    points = data.metric_series(ctx.scope, metric=c.metric, interval=c.interval)
    if c.figure != "score":
        points = [
            p
            if p.hidden or p.estimate is None or p.n == 0
            else Point.of(data.share_of(p.estimate, c.figure), key=p.key, label=p.label)
            for p in points
        ]
    rows = []
    for p in points:
        p.label = _period_label(dt.date.fromisoformat(p.key), c.interval)
        rows.append(_row(p, digits, unit))
    if not any(p.n or p.hidden for p in points):
        rows = []  # an empty period: say so once, not once per week
    shown = [p for p in points if not p.hidden and p.value is not None]
    chart = None
    if shown:
        x = [p.key for p in shown]
        traces: list[dict[str, Any]] = []
        if any(p.margin is not None for p in shown):
            traces.append(
                {
                    "type": "scatter",
                    "x": x + x[::-1],
                    "y": [_round(p.high if p.high is not None else p.value) for p in shown]
                    + [_round(p.low if p.low is not None else p.value) for p in shown][::-1],
                    "mode": "lines",
                    "fill": "toself",
                    "fillcolor": BAND,
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "name": _("95% margin"),
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [_round(p.value) for p in shown],
                "customdata": [p.n for p in shown],
                "line": {"color": ACCENT, "width": 2},
                # a lone point has no band to sit in: its margin as an error bar
                "error_y": {
                    "type": "data",
                    "array": [_round(p.margin or 0) for p in shown],
                    "color": MUTED,
                    "thickness": 1,
                    "visible": len(shown) == 1,
                },
                "name": metric_label(c.metric, c.figure),
                "hovertemplate": "%{x}: %{y}" + unit + " (n=%{customdata})<extra></extra>",
            }
        )
        for ref in data.reference_lines(ctx.scope, metric=c.metric, figure=c.figure):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [x[0], x[-1]],
                    "y": [ref["value"], ref["value"]],
                    "line": {"color": MUTED, "dash": "dash", "width": 1},
                    "name": ref["label"],
                    "hovertemplate": ref["label"] + ": %{y}<extra></extra>",
                }
            )
        # The whole period on the x axis, so one visible point still sits in its place.
        first = ctx.scope.period.first_day - dt.timedelta(days=1)
        last = ctx.scope.period.last_day + dt.timedelta(days=1)
        xaxis = {"type": "date", "fixedrange": True, "range": [first.isoformat(), last.isoformat()]}
        chart = {"data": traces, "layout": _layout(xaxis=xaxis)}
    return {
        "rows": rows,
        "chart": chart,
        "interval": c.interval,
        "hidden_count": sum(1 for p in points if p.hidden),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


register(
    WidgetKindSpec(
        kind=WidgetKind.TREND,
        label=WidgetKind.TREND.label,
        description=gettext_lazy("A figure by day, week, month or quarter, with its margin."),
        build=build_trend,
        title=lambda c: (
            _("%(metric)s by %(interval)s")
            % {
                "metric": metric_label(c.metric, c.figure),
                "interval": str(schemas.INTERVAL_LABELS[c.interval]).lower(),
            }
        ),
        template="analytics/dashboards/widgets/trend.html",
        wide=True,
    )
)


# --- breakdown bar ----------------------------------------------------------------------------


def build_breakdown(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.BreakdownConfig = ctx.config
    digits, unit = _digits(c.metric), _unit(c.metric)
    groups = data.metric_groups(ctx.scope, metric=c.metric, by=c.by, attribute=c.attribute)
    rows = [_row(p, digits, unit) for p in groups]
    shown = [p for p in groups if not p.hidden and p.value is not None]
    chart = None
    if shown:
        chart = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [p.label for p in shown][::-1],
                    "x": [_round(p.value) for p in shown][::-1],
                    "customdata": [p.n for p in shown][::-1],
                    "error_x": {
                        "type": "data",
                        "array": [_round(p.margin or 0) for p in shown][::-1],
                        "color": MUTED,
                        "thickness": 1,
                    },
                    "marker": {"color": ACCENT},
                    "hovertemplate": "%{y}: %{x}" + unit + " (n=%{customdata})<extra></extra>",
                }
            ],
            "layout": _layout(
                height=max(160, 40 + 34 * len(shown)),
                margin={"l": 10, "r": 10, "t": 10, "b": 30},
            ),
        }
    return {
        "rows": rows,
        "chart": chart,
        "hidden_count": sum(1 for p in groups if p.hidden),
        "by_label": schemas.BREAKDOWN_LABELS[c.by],
    }


register(
    WidgetKindSpec(
        kind=WidgetKind.BREAKDOWN,
        label=WidgetKind.BREAKDOWN.label,
        description=gettext_lazy(
            "A figure by touchpoint, channel, language, survey or contact attribute; small "
            "groups are hidden."
        ),
        build=build_breakdown,
        title=lambda c: (
            _("%(metric)s by %(group)s")
            % {
                "metric": metric_label(c.metric),
                "group": (
                    c.attribute if c.by == "attribute" else str(schemas.BREAKDOWN_LABELS[c.by])
                ).lower(),
            }
        ),
        template="analytics/dashboards/widgets/breakdown.html",
    )
)


# --- distribution -----------------------------------------------------------------------------


def build_distribution(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.DistributionConfig = ctx.config
    dist = data.metric_distribution(
        ctx.scope, metric=c.metric, question=c.question, survey=c.survey
    )
    chart = None
    if not dist.hidden and dist.n:
        colours = [
            CATEGORY_COLOURS.get(b.category, ACCENT) if b.category else ACCENT for b in dist.bars
        ]
        chart = {
            "data": [
                {
                    "type": "bar",
                    "x": [b.label for b in dist.bars],
                    "y": [b.count for b in dist.bars],
                    "text": [fmt(b.share, 0) + "%" for b in dist.bars],
                    "textposition": "auto",
                    "marker": {"color": colours},
                    "hovertemplate": "%{x}: %{y} (%{text})<extra></extra>",
                }
            ],
            "layout": _layout(xaxis={"type": "category", "fixedrange": True}),
        }
    return {
        "dist": dist,
        "rows": [
            {"label": b.label, "count": b.count, "share": fmt(b.share, 1) + "%"} for b in dist.bars
        ]
        if not dist.hidden
        else [],
        "chart": chart,
    }


def _distribution_title(c: schemas.DistributionConfig) -> str:
    if c.metric == "choice":
        return _("Answers to %(question)s") % {"question": c.question}
    return _("%(metric)s answers") % {"metric": metric_label(c.metric)}


register(
    WidgetKindSpec(
        kind=WidgetKind.DISTRIBUTION,
        label=WidgetKind.DISTRIBUTION.label,
        description=gettext_lazy("How many gave each score, or the share of each choice."),
        build=build_distribution,
        title=_distribution_title,
        template="analytics/dashboards/widgets/distribution.html",
    )
)


# --- verbatims --------------------------------------------------------------------------------


def build_verbatims(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.VerbatimsConfig = ctx.config
    found = data.verbatims(
        ctx.scope,
        limit=c.limit,
        band=c.band,
        contains=c.contains,
        tags=c.tags,
        team_inbox=c.team_inbox,
    )
    return {"verbatims": found, "chart": None}


def _verbatims_title(c: schemas.VerbatimsConfig) -> str:
    if c.band == "promoters":
        return _("What promoters say")
    if c.band == "detractors":
        return _("What detractors say")
    if c.band == "passives":
        return _("What passives say")
    return _("Latest comments")


register(
    WidgetKindSpec(
        kind=WidgetKind.VERBATIMS,
        label=WidgetKind.VERBATIMS.label,
        description=gettext_lazy(
            "The latest open answers that match the filters, with their score."
        ),
        build=build_verbatims,
        title=_verbatims_title,
        template="analytics/dashboards/widgets/verbatims.html",
        wide=True,
    )
)


# --- driver matrix ----------------------------------------------------------------------------


def build_drivers(ctx: WidgetContext) -> dict[str, Any]:
    from closeloop.analytics.drivers.chart import QUADRANT_COLORS

    c: schemas.DriversConfig = ctx.config
    result = data.drivers(ctx.scope, target=c.target)
    chart = None
    analysis = result.analysis
    if analysis is not None and analysis.ok:
        plotted = [d for d in analysis.drivers if d.performance is not None]
        if plotted:
            shapes = []
            if analysis.performance_cut is not None:
                shapes.append(_cut_line("x", analysis.performance_cut))
            if analysis.importance_cut is not None:
                shapes.append(_cut_line("y", 100 * analysis.importance_cut))
            chart = {
                "data": [
                    {
                        "type": "scatter",
                        "mode": "markers+text",
                        "x": [round(d.performance or 0, 1) for d in plotted],
                        "y": [round(d.share_percent, 1) for d in plotted],
                        "text": [d.label[:24] for d in plotted],
                        "textposition": "top center",
                        "marker": {
                            "size": 10,
                            "color": [
                                QUADRANT_COLORS.get(d.quadrant or "", MUTED) for d in plotted
                            ],
                        },
                        "hovertemplate": "%{text}: %{y}% / %{x}<extra></extra>",
                    }
                ],
                "layout": _layout(
                    height=300,
                    xaxis={"title": {"text": _("Performance (0-100)")}, "fixedrange": True},
                    yaxis={"title": {"text": _("Importance (share of R², %)")}, "fixedrange": True},
                    shapes=shapes,
                ),
            }
    return {"result": result, "analysis": analysis, "chart": chart}


def _cut_line(axis: str, value: float) -> dict[str, Any]:
    line = {"color": MUTED, "dash": "dot", "width": 1}
    if axis == "x":
        return {
            "type": "line",
            "x0": value,
            "x1": value,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": line,
        }
    return {
        "type": "line",
        "y0": value,
        "y1": value,
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "line": line,
    }


register(
    WidgetKindSpec(
        kind=WidgetKind.DRIVERS,
        label=WidgetKind.DRIVERS.label,
        description=gettext_lazy(
            "Which questions and attributes explain NPS or CSAT: importance against performance."
        ),
        build=build_drivers,
        title=lambda c: _("What drives %(metric)s") % {"metric": metric_label(c.target)},
        template="analytics/dashboards/widgets/drivers.html",
        wide=True,
    )
)


# --- case metrics -----------------------------------------------------------------------------


def _duration(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return _("%(n)s h") % {"n": fmt(hours, 1)}
    return _("%(n)s d") % {"n": fmt(hours / 24, 1)}


def build_case_metrics(ctx: WidgetContext) -> dict[str, Any]:
    c: schemas.CaseMetricsConfig = ctx.config
    figures = data.case_figures(ctx.scope, team_only=c.team_only)
    return {
        "f": figures,
        "first_response": _duration(figures.median_first_response),
        "closed_loop": fmt(
            None if figures.closed_loop_rate is None else 100 * figures.closed_loop_rate
        )
        + ("%" if figures.closed_loop_rate is not None else ""),
        "team": ctx.scope.team if c.team_only else None,
        "now": timezone.now(),
        "chart": None,
    }


register(
    WidgetKindSpec(
        kind=WidgetKind.CASE_METRICS,
        label=WidgetKind.CASE_METRICS.label,
        description=gettext_lazy(
            "Open and breaching cases, median first response and recovered customers."
        ),
        build=build_case_metrics,
        title=lambda c: _("Closing the loop"),
        template="analytics/dashboards/widgets/case_metrics.html",
        wide=True,
    )
)
