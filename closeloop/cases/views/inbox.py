"""Team inboxes: every team's feedback (routed to it by rules or tagged with its tags), its
cases, scores and verbatims; and the tags a team owns."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Team
from closeloop.cases import config, selectors
from closeloop.cases.forms import TeamTagsForm
from closeloop.cases.metrics import routed_response_ids, score_summary
from closeloop.cases.views.common import CONFIG, READ, can, day_choices, days_of, org_of, user_of
from closeloop.core.crud import Crud, Labels

TAG_SUGGESTIONS = 20


@org_view(read=READ)
def inbox_list(request: HttpRequest) -> HttpResponse:
    """Every team with its inbox and open cases."""
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
    """One team's page: its inbox, its cases, scores and verbatims, the tags it owns, and its
    loop metrics over `?days=`."""
    from closeloop.automation.selectors import tag_counts

    org = org_of(request)
    team = selectors.access_team(organization=org, pk=team_id)
    responses = routed_response_ids(team) | selectors.team_case_response_ids(team=team)
    days = days_of(request)
    context: dict[str, Any] = {
        "team": team,
        "days": days,
        "day_choices": day_choices(days),
        "feedback": selectors.team_feedback(team=team),
        "cases": selectors.team_cases(team=team),
        "scores": score_summary(responses),
        "verbatims": selectors.team_verbatims(team=team, response_ids=responses),
        "can_config": can(request, CONFIG),
        "tags_form": TeamTagsForm(initial={"inbox_tags": ", ".join(team.inbox_tags or [])}),
        "tags_in_use": [tag for tag, _n in tag_counts(organization=org)[:TAG_SUGGESTIONS]],
    }
    return render(request, "cases/inbox_team.html", context)


team_tags = Crud[Team](
    read=READ,
    write=CONFIG,
    form=TeamTagsForm,
    access=lambda request, team_id: selectors.access_team(organization=org_of(request), pk=team_id),
    update=lambda request, team, data: config.team_inbox_tags_set(
        team=team, tags=data["inbox_tags"], actor=user_of(request)
    ),
    labels=Labels(saved=gettext_lazy("Inbox tags saved.")),
    success_url=lambda request, team: reverse("inbox:team", args=[org_of(request).slug, team.pk]),
)
# Save the tags a team owns (a form on the team's page).
inbox_team_tags = team_tags.edit_view()
