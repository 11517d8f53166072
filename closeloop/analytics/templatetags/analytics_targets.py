"""Template tags for targets and benchmarks on metric cards and charts.

    {% load analytics_targets %}
    {% target_gaps "nps" estimate.value estimate.margin_of_error survey=survey as gaps %}
    {% for gap in gaps %}<p class="gap">{{ gap.sentence }}</p>{% endfor %}
    {% reference_lines "nps" survey=survey date_from=start date_to=end as lines %}

The organization is the page's `current_org`. A hidden figure (value None) has no gap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from closeloop.analytics.alerts.targets import Gap, ReferenceLine, target_gaps, targets_for

register = template.Library()


@register.simple_tag(takes_context=True, name="target_gaps")
def target_gaps_tag(
    context: template.Context,
    metric: str,
    value: float | None,
    margin: float | None = None,
    *,
    survey: Any = None,
    segment: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[Gap]:
    """The gaps of a shown figure to its target and benchmark ("4 points below target")."""
    organization = context.get("current_org")
    if organization is None or value is None:
        return []
    return target_gaps(
        organization,
        metric,
        value,
        margin=margin,
        survey=survey,
        segment=segment,
        date_from=date_from,
        date_to=date_to,
    )


@register.simple_tag(takes_context=True, name="reference_lines")
def reference_lines_tag(
    context: template.Context,
    metric: str,
    *,
    survey: Any = None,
    segment: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[ReferenceLine]:
    """The targets and benchmarks to draw on a chart of the metric."""
    organization = context.get("current_org")
    if organization is None:
        return []
    return targets_for(
        organization, metric, survey=survey, segment=segment, date_from=date_from, date_to=date_to
    )
