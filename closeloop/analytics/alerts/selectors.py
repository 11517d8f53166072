"""Reads for alerts, digests and targets, always scoped to one organization."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from closeloop.accounts.access import access_object
from closeloop.accounts.models import Membership, Organization, Team, TeamMember, User
from closeloop.analytics.models import (
    AlertEvent,
    AlertRule,
    DigestOptOut,
    DigestSettings,
    MetricTarget,
)


def alert_rule_list(*, organization: Organization) -> QuerySet[AlertRule]:
    """The organization's alert rules by name, with what they filter on and who they notify."""
    return (
        AlertRule.objects.filter(organization=organization)
        .select_related("survey", "segment", "touchpoint")
        .prefetch_related(
            "email_teams",
            Prefetch("email_members", queryset=Membership.objects.select_related("user")),
        )
        .order_by("name", "created_at")
    )


def access_alert_rule(*, organization: Organization, pk: Any) -> AlertRule:
    """One alert rule of the organization, or 404."""
    return access_object(
        alert_rule_list(organization=organization), organization=organization, pk=pk
    )


def alert_event_list(
    *, organization: Organization, rule: AlertRule | None = None
) -> QuerySet[AlertEvent]:
    """Alert events, newest first (of one rule, if given)."""
    qs = AlertEvent.objects.filter(organization=organization).select_related(
        "rule", "rule__survey", "rule__segment", "rule__touchpoint"
    )
    if rule is not None:
        qs = qs.filter(rule=rule)
    return qs.order_by("-created_at", "-id")


def alert_recipients(rule: AlertRule) -> list[User]:
    """The active users an alert emails: members of its teams and the members it names."""
    users: dict[Any, User] = {}
    team_ids = [t.pk for t in rule.email_teams.all()]
    if team_ids:
        rows = TeamMember.objects.filter(
            team_id__in=team_ids, team__organization_id=rule.organization_id
        ).select_related("membership__user")
        for row in rows:
            users[row.membership.user.pk] = row.membership.user
    for membership in rule.email_members.all():
        if membership.organization_id == rule.organization_id:
            users[membership.user.pk] = membership.user
    return sorted(
        (u for u in users.values() if u.is_active and u.email), key=lambda u: u.email.lower()
    )


def target_list(*, organization: Organization, metric: str | None = None) -> QuerySet[MetricTarget]:
    """Targets and benchmarks, by metric, kind and value."""
    qs = MetricTarget.objects.filter(organization=organization).select_related("survey", "segment")
    if metric:
        qs = qs.filter(metric=metric)
    return qs.order_by("metric", "kind", "-value", "created_at")


def access_target(*, organization: Organization, pk: Any) -> MetricTarget:
    """One target or benchmark of the organization, or 404."""
    return access_object(target_list(organization=organization), organization=organization, pk=pk)


def digest_settings_of(organization: Organization) -> DigestSettings:
    """The organization's digest settings (the defaults, unsaved, until someone changes them)."""
    found = DigestSettings.objects.filter(organization=organization).first()
    return found or DigestSettings(organization=organization)


def member_teams(membership: Membership) -> list[Team]:
    """The teams a member belongs to (whose digests they receive unless they opt out)."""
    return list(
        Team.objects.filter(organization_id=membership.organization_id, members=membership)
        .distinct()
        .order_by("name")
    )


def opted_out_team_ids(membership: Membership) -> set[Any]:
    """The teams whose digest the member does not want."""
    return set(DigestOptOut.objects.filter(membership=membership).values_list("team_id", flat=True))


def digest_recipients(team: Team) -> list[User]:
    """The team's active members with an email address who did not opt out of its digest."""
    out = set(DigestOptOut.objects.filter(team=team).values_list("membership_id", flat=True))
    rows = TeamMember.objects.filter(team=team).select_related("membership__user")
    users = {
        row.membership.user.pk: row.membership.user
        for row in rows
        if row.membership_id not in out
        and row.membership.user.is_active
        and row.membership.user.email
    }
    return sorted(users.values(), key=lambda u: u.email.lower())
