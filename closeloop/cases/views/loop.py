"""The loop metrics page: the org's figures, per team, and week by week, over `?days=`."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from closeloop.accounts.access import org_view
from closeloop.cases.metrics import loop_metrics_by_team
from closeloop.cases.templatetags.case_metrics import _hours, _pct
from closeloop.cases.views.common import READ, day_choices, days_of, org_of


@org_view(read=READ)
def loop_page(request: HttpRequest) -> HttpResponse:
    """Closed-loop rate, response and resolution times, SLA compliance, recovered customers."""
    org = org_of(request)
    days = days_of(request)
    end = timezone.now()
    start = end - dt.timedelta(days=days)
    teams = [
        {
            "team": team,
            "m": m,
            "closed_loop": _pct(m.closed_loop_rate),
            "first_response": _hours(m.median_first_response),
            "resolution": _hours(m.median_resolution),
            "sla": _pct(m.sla_compliance),
            "unresolved": _pct(m.unresolved_share),
        }
        for team, m in loop_metrics_by_team(organization=org, start=start, end=end)
    ]
    context = {"teams": teams, "days": days, "day_choices": day_choices(days), "end": end}
    return render(request, "cases/loop.html", context)
