"""The loop metrics page: the org's figures, per team, and week by week."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closeloop.accounts.access import org_view
from closeloop.cases.metrics import loop_metrics_by_team
from closeloop.cases.templatetags.case_metrics import _hours, _pct
from closeloop.cases.views.common import READ, org_of


@org_view(read=READ)
def loop_page(request: HttpRequest) -> HttpResponse:
    """Closed-loop rate, response and resolution times, SLA compliance, recovered customers."""
    org = org_of(request)
    try:
        days = max(7, min(730, int(request.GET.get("days", "90"))))
    except ValueError:
        days = 90
    from django.utils import timezone

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
    return render(request, "cases/loop.html", {"teams": teams, "days": days})
