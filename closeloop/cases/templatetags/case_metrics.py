"""{% loop_metrics_panel org %} / {% loop_metrics_panel org team days=30 %}: the loop metrics
card (the last `days` days, default 90), for the overview page, the team page and the cases
pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from closeloop.cases.metrics import DEFAULT_DAYS, loop_metrics

register = template.Library()


def _hours(value: Any) -> str:
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


@register.inclusion_tag("cases/_loop_metrics_panel.html")
def loop_metrics_panel(
    organization: Any, team: Any = None, weeks: int = 8, days: int = DEFAULT_DAYS, end: Any = None
) -> dict[str, Any]:
    if organization is None:
        return {"report": None}
    end = end or timezone.now()
    start = end - dt.timedelta(days=days)
    report = loop_metrics(organization=organization, team=team, start=start, end=end)
    m = report.total
    return {
        "org": organization,
        "team": team,
        "days": days,
        "report": report,
        "m": m,
        "closed_loop": _pct(m.closed_loop_rate),
        "first_response": _hours(m.median_first_response),
        "resolution": _hours(m.median_resolution),
        "sla": _pct(m.sla_compliance),
        "unresolved": _pct(m.unresolved_share),
        "weeks": [
            {
                "start": start,
                "closed_loop": _pct(w.closed_loop_rate),
                "detractors": w.detractors,
                "cases": w.cases,
                "first_response": _hours(w.median_first_response),
                "sla": _pct(w.sla_compliance),
                "recovered": w.recovered,
            }
            for start, w in report.weeks[-weeks:]
        ],
    }
