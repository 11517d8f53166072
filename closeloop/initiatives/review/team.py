"""Who takes part in the review (the advocacy team, admins and owners), the initiatives in
progress, and the decisions recorded at the review meetings."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Team, TeamMember
from closeloop.initiatives.choices import OPEN_STATUSES, InitiativeStatus
from closeloop.initiatives.models import Decision, Initiative
from closeloop.initiatives.review.period import ReviewPeriod

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


def is_advocate(membership: Membership) -> bool:
    """Whether the member belongs to a team flagged as the customer advocacy team."""
    return TeamMember.objects.filter(membership=membership, team__is_advocacy_team=True).exists()


def can_use_review(membership: Membership) -> bool:
    """Who sees the review and records decisions: the advocacy team, admins and owners."""
    return membership.role in ADMIN_ROLES or is_advocate(membership)


@dataclass
class Advocate:
    membership: Membership
    departments: list[str]


@dataclass
class AdvocacyTeam:
    """The flagged team(s), their members with the departments each belongs to, and the
    departments (other teams) that have nobody on it."""

    teams: list[Team]
    members: list[Advocate]
    uncovered: list[Team]

    @property
    def flagged(self) -> bool:
        return bool(self.teams)


def advocacy_team(*, organization: Organization) -> AdvocacyTeam:
    """Who is on the advocacy team and which departments it misses (three queries)."""
    teams = list(Team.objects.filter(organization=organization).order_by("name"))
    by_id = {t.pk: t for t in teams}
    links = TeamMember.objects.filter(team__organization=organization).values_list(
        "team_id", "membership_id"
    )
    teams_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    members_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for team_id, membership_id in links:
        teams_of[membership_id].add(team_id)
        members_of[team_id].add(membership_id)
    flagged = [t for t in teams if t.is_advocacy_team]
    advocate_ids = set().union(*(members_of[t.pk] for t in flagged)) if flagged else set()
    memberships = Membership.objects.filter(pk__in=advocate_ids).select_related("user")
    members = sorted(
        (
            Advocate(
                membership=m,
                departments=sorted(
                    by_id[t].name for t in teams_of[m.pk] if not by_id[t].is_advocacy_team
                ),
            )
            for m in memberships
        ),
        key=lambda a: a.membership.user.display_name.casefold(),
    )
    uncovered = [
        t for t in teams if not t.is_advocacy_team and not (members_of[t.pk] & advocate_ids)
    ]
    return AdvocacyTeam(teams=flagged, members=members, uncovered=uncovered if flagged else [])


def advocacy_memberships(*, organization: Organization) -> list[Membership]:
    """Members of the advocacy team(s), each once, with their users."""
    return list(
        Membership.objects.filter(
            organization=organization,
            pk__in=TeamMember.objects.filter(
                team__organization=organization, team__is_advocacy_team=True
            ).values("membership_id"),
        )
        .select_related("user")
        .order_by("user__email")
    )


def initiatives_in_progress(
    *, organization: Organization, period: ReviewPeriod
) -> list[Initiative]:
    """Proposed, planned and in-progress initiatives, and those shipped in the period, by due
    date (none last)."""
    rows = (
        Initiative.objects.filter(organization=organization)
        .filter(
            Q(status__in=OPEN_STATUSES)
            | Q(
                status__in=(InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED),
                shipped_at__gte=period.start,
                shipped_at__lt=period.end,
            )
        )
        .select_related("owner_team", "owner")
        .prefetch_related("themes")
    )
    order = {s: i for i, s in enumerate(("in_progress", "planned", "proposed", "shipped",
                                         "measured"))}  # fmt: skip
    return sorted(
        rows,
        key=lambda i: (order.get(i.status, 9), i.due_date is None, i.due_date or dt.date.max,
                       i.number),
    )  # fmt: skip


def decision_list(
    *,
    organization: Organization,
    meeting_from: dt.date | None = None,
    meeting_to: dt.date | None = None,
    theme_id: uuid.UUID | None = None,
) -> QuerySet[Decision]:
    """The organization's decisions, newest meeting first, optionally between two dates."""
    rows = Decision.objects.filter(organization=organization).select_related(
        "theme", "initiative", "author"
    )
    if meeting_from is not None:
        rows = rows.filter(meeting_on__gte=meeting_from)
    if meeting_to is not None:
        rows = rows.filter(meeting_on__lte=meeting_to)
    if theme_id is not None:
        rows = rows.filter(theme_id=theme_id)
    return rows.order_by("-meeting_on", "-created_at")


def meeting_dates(*, organization: Organization, limit: int = 26) -> list[dt.date]:
    """The dates of the latest meetings that recorded decisions."""
    rows = (
        Decision.objects.filter(organization=organization)
        .values_list("meeting_on", flat=True)
        .distinct()
        .order_by("-meeting_on")
    )
    return list(rows[:limit])


def last_meeting(
    *, organization: Organization, today: dt.date
) -> tuple[dt.date | None, list[Decision]]:
    """The latest meeting on or before `today` with decisions, and its decisions."""
    latest = (
        Decision.objects.filter(organization=organization, meeting_on__lte=today)
        .order_by("-meeting_on")
        .values_list("meeting_on", flat=True)
        .first()
    )
    if latest is None:
        return None, []
    return latest, list(decision_list(organization=organization, meeting_from=latest,
                                      meeting_to=latest))  # fmt: skip


def with_theme_names(decisions: list[Decision], language: str) -> list[Decision]:
    """Set `theme_name` (in `language`, "" without a theme) on each decision."""
    for decision in decisions:
        theme = decision.theme
        decision.theme_name = theme.name_in(language) if theme else ""  # type: ignore[attr-defined]
    return decisions
