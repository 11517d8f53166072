"""Team inboxes: every team's feedback routed to it by rules, its cases, scores and verbatims."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Team
from closeloop.cases import selectors
from closeloop.cases.metrics import routed_response_ids, score_summary
from closeloop.cases.models import Case
from closeloop.cases.views.common import READ, org_of


@org_view(read=READ)
def inbox_list(request: HttpRequest) -> HttpResponse:
    """Every team with its routed feedback and open cases."""
    org = org_of(request)
    feedback = selectors.team_feedback_counts(organization=org)
    active = selectors.team_active_counts(organization=org)
    mine = set(request.membership.teams.values_list("pk", flat=True))  # type: ignore[attr-defined]
    ordered = sorted(
        Team.objects.filter(organization=org), key=lambda t: (t.pk not in mine, t.name)
    )
    teams = [
        {
            "team": t,
            "feedback": feedback.get(t.pk, 0),
            "active": active.get(t.pk, 0),
            "mine": t.pk in mine,
        }
        for t in ordered
    ]
    return render(request, "cases/inbox_list.html", {"teams": teams})


@org_view(read=READ)
def inbox_team(request: HttpRequest, team_id: Any) -> HttpResponse:
    """One team's page: its inbox of routed feedback, its cases, scores and verbatims."""
    org = org_of(request)
    team = selectors.access_team(organization=org, pk=team_id)
    feedback = selectors.team_feedback(team=team)
    routed = routed_response_ids(team)
    case_responses = set(
        Case.objects.filter(team=team, response__isnull=False).values_list("response_id", flat=True)
    )
    context: dict[str, Any] = {
        "team": team,
        "feedback": feedback,
        "cases": selectors.team_cases(team=team),
        "scores": score_summary(routed | case_responses),
        "verbatims": selectors.team_verbatims(team=team, response_ids=routed | case_responses),
    }
    return render(request, "cases/inbox_team.html", context)
