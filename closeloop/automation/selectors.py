"""Reads for automation: rules with their recent activity, the run log, tags and team routing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from closeloop.accounts.access import access_object
from closeloop.automation.actions import ACTIONS
from closeloop.automation.models import ResponseTag, Rule, RuleRun, TeamFeedback
from closeloop.automation.params import SECRET_KINDS, mask_secret

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization, Team


def access_rule(*, organization: Organization, pk: Any) -> Rule:
    """One of the organization's rules, or 404."""
    return access_object(Rule.objects.all(), organization=organization, pk=pk)


def access_run(*, organization: Organization, pk: Any) -> RuleRun:
    """One run of the organization's log, or 404."""
    return access_object(RuleRun.objects.select_related("rule"), organization=organization, pk=pk)


def rule_list(*, organization: Organization) -> QuerySet[Rule]:
    """The organization's rules in order, with the last run and the matches of the last 30
    days."""
    since = timezone.now() - timedelta(days=30)
    return (
        Rule.objects.filter(organization=organization)
        .annotate(
            last_run_at=Max("runs__created_at"),
            matches_30d=Count("runs", filter=Q(runs__matched=True, runs__created_at__gte=since)),
        )
        .order_by("position", "created_at")
    )


def run_list(
    *,
    organization: Organization,
    rule: Rule | None = None,
    matched: bool | None = None,
    failed: bool | None = None,
) -> QuerySet[RuleRun]:
    """The run log, newest first, filtered by rule, matched, and failed actions."""
    qs = RuleRun.objects.filter(organization=organization).select_related("rule")
    if rule is not None:
        qs = qs.filter(rule=rule)
    if matched is not None:
        qs = qs.filter(matched=matched)
    if failed is not None:
        qs = qs.filter(failed=failed)
    return qs.order_by("-created_at", "-id")


def masked_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions as shown after saving: webhook URLs and secrets shortened."""
    out: list[dict[str, Any]] = []
    for action in actions or []:
        params = dict(action.get("params") or {})
        kind = ACTIONS.get(str(action.get("type")))
        for p in kind.params if kind else ():
            if p.kind in SECRET_KINDS and params.get(p.name):
                params[p.name] = mask_secret(str(params[p.name]))
        out.append({"type": action.get("type"), "params": params})
    return out


def response_tags(response_ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, list[str]]:
    """The tags rules put on each of these responses (missing ids have none)."""
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    for response_id, tag in ResponseTag.objects.filter(
        response_id__in=list(response_ids)
    ).values_list("response_id", "tag"):
        out[response_id].append(tag)
    return dict(out)


def responses_tagged(*, organization: Organization, tag: str) -> QuerySet[ResponseTag]:
    """The organization's responses with a tag, newest first."""
    return (
        ResponseTag.objects.filter(organization=organization, tag=tag.casefold())
        .select_related("response", "response__survey")
        .order_by("-created_at")
    )


def tag_counts(*, organization: Organization) -> list[tuple[str, int]]:
    """Every tag in use and how many responses carry it."""
    return list(
        ResponseTag.objects.filter(organization=organization)
        .values_list("tag")
        .annotate(n=Count("id"))
        .order_by("-n", "tag")
    )


def team_feedback(*, team: Team) -> QuerySet[TeamFeedback]:
    """The feedback routed to a team's inbox, newest first (for the team inbox page)."""
    return (
        TeamFeedback.objects.filter(team=team, organization_id=team.organization_id)
        .select_related("response", "response__survey", "rule")
        .order_by("-created_at")
    )


def team_feedback_counts(*, organization: Organization) -> dict[uuid.UUID, int]:
    """How many responses each team's inbox holds."""
    return dict(
        TeamFeedback.objects.filter(organization=organization)
        .values_list("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
