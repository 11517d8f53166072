"""Reads for initiatives: access, the list and board (per team), per-team counts, the links
shown on an initiative's page, its timeline, and the prefill of a new initiative made from a
theme, a root cause, cases or an idea."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from closeloop.accounts.access import access_object
from closeloop.accounts.models import Membership, Organization, Team
from closeloop.core.models import Activity
from closeloop.initiatives.choices import (
    INITIATIVE_TRANSITIONS,
    OPEN_STATUSES,
    InitiativeOrigin,
    InitiativeStatus,
    TargetMetric,
)
from closeloop.initiatives.models import Idea, Initiative

if TYPE_CHECKING:
    from closeloop.cases.models import Case, RootCause
    from closeloop.contacts.models import Contact
    from closeloop.surveys.models import Survey
    from closeloop.text.models import Theme

RESOLVED_CASE_STATUSES = ("resolved", "closed")


def _base() -> QuerySet[Initiative]:
    return Initiative.objects.select_related("organization", "owner_team", "owner")


def access_initiative(*, organization: Organization, pk: Any) -> Initiative:
    """One initiative of the organization by id, or 404."""
    return access_object(_base(), organization=organization, pk=pk)


def initiative_list(
    *,
    organization: Organization,
    team: Team | None = None,
    status: str | list[str] | None = None,
    search: str = "",
) -> QuerySet[Initiative]:
    """The organization's initiatives, newest first; `team` keeps those it owns or contributes
    to, `status` one status or several, `search` the title, description or "I-<number>"."""
    qs = _base().filter(organization=organization)
    if team is not None:
        owned = Initiative.objects.filter(organization=organization, owner_team=team)
        contributed = Initiative.objects.filter(organization=organization, contributors=team)
        qs = qs.filter(Q(pk__in=owned.values("pk")) | Q(pk__in=contributed.values("pk")))
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        qs = qs.filter(status__in=statuses)
    text = search.strip()
    if text:
        cond = Q(title__icontains=text) | Q(description__icontains=text)
        number = text.upper().removeprefix("I-").removeprefix("#")
        if number.isdigit():
            cond |= Q(number=int(number))
        qs = qs.filter(cond)
    return qs.prefetch_related("contributors").order_by("-created_at", "-number")


def member_teams(membership: Membership) -> list[Team]:
    """The teams a member belongs to."""
    return list(Team.objects.filter(members=membership).order_by("name"))


def default_team(membership: Membership) -> Team | None:
    """The team a list opens on: the member's one team, if they are in exactly one."""
    teams = member_teams(membership)
    return teams[0] if len(teams) == 1 else None


def list_team(membership: Membership) -> Team | None:
    """The team the list and board open on: the member's one team when it has initiatives of
    its own; everyone else (the advocacy team, members of several teams) starts on all."""
    team = default_team(membership)
    if team is None or team.is_advocacy_team:
        return None
    if not initiative_list(organization=membership.organization, team=team).exists():
        return None
    return team


def board_columns(
    initiatives: list[Initiative],
) -> list[tuple[str, str, list[Initiative]]]:
    """(status, label, cards) for every status, in the statuses' order."""
    by_status: dict[str, list[Initiative]] = {s: [] for s in InitiativeStatus.values}
    for initiative in initiatives:
        by_status.setdefault(initiative.status, []).append(initiative)
    return [(s, str(InitiativeStatus(s).label), by_status[s]) for s in InitiativeStatus.values]


def allowed_moves(status: str) -> list[tuple[str, str]]:
    """(status, label) of the statuses an initiative in `status` may move to."""
    allowed = INITIATIVE_TRANSITIONS.get(status, frozenset())
    return [(s, str(InitiativeStatus(s).label)) for s in InitiativeStatus.values if s in allowed]


@dataclass
class TeamCount:
    team: Team
    open: int
    shipped: int
    total: int


def team_counts(*, organization: Organization) -> list[TeamCount]:
    """Per team: initiatives it owns or contributes to, open (proposed to in progress), shipped
    or measured, and in all."""
    teams = Team.objects.filter(organization=organization).order_by("name")
    result = []
    for team in teams:
        qs = initiative_list(organization=organization, team=team)
        counts = qs.aggregate(
            total=Count("pk", distinct=True),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES), distinct=True),
            shipped=Count("pk", filter=Q(status__in=("shipped", "measured")), distinct=True),
        )
        if counts["total"]:
            result.append(
                TeamCount(
                    team=team, open=counts["open"], shipped=counts["shipped"], total=counts["total"]
                )
            )
    return result


def is_overdue(initiative: Initiative, today: dt.date | None = None) -> bool:
    """Due before today and still open."""
    today = today or timezone.localdate()
    return (
        initiative.due_date is not None
        and initiative.due_date < today
        and initiative.status in OPEN_STATUSES
    )


# --- the detail page ----------------------------------------------------------------------------


@dataclass
class Links:
    themes: list[Theme]
    root_causes: list[RootCause]
    cases: list[Case]
    ideas: list[Idea]
    contacts: list[Contact]
    contacts_count: int
    votes: int


def linked_ideas(initiative: Initiative) -> QuerySet[Idea]:
    """The ideas linked to the initiative, most voted first."""
    return Idea.objects.filter(organization_id=initiative.organization_id, initiative=initiative)


def initiative_links(initiative: Initiative) -> Links:
    """What is linked: themes with their comment counts, root causes, cases with status and
    customer, ideas with their votes, and the contacts linked directly."""
    themes: list[Theme] = list(
        initiative.themes.annotate(comment_count=Count("comment_links")).order_by("key")
    )
    cases = list(
        initiative.cases.select_related("contact", "team", "root_cause").order_by("-number")
    )
    ideas = list(linked_ideas(initiative).order_by("-vote_count", "number"))
    contacts_qs = initiative.contacts.order_by("first_name", "email")
    return Links(
        themes=themes,
        root_causes=list(initiative.root_causes.order_by("position", "name")),
        cases=cases,
        ideas=ideas,
        contacts=list(contacts_qs[:50]),
        contacts_count=contacts_qs.count(),
        votes=sum(i.vote_count for i in ideas),
    )


def initiative_timeline(initiative: Initiative) -> QuerySet[Activity]:
    """The initiative's activity, newest first."""
    return Activity.objects.filter(
        organization_id=initiative.organization_id,
        object_type="initiative",
        object_id=str(initiative.pk),
    ).select_related("actor")


def target_text(initiative: Initiative, language: str) -> str:
    """The target in words: metric, where, and the expected change."""
    parts = [str(TargetMetric(initiative.target_metric).label)]
    if initiative.target_metric == TargetMetric.THEME_SHARE and initiative.target_theme:
        parts.append(initiative.target_theme.name_in(language))
    if initiative.target_survey_id:
        parts.append(str(initiative.target_survey))
    if initiative.target_touchpoint_id:
        parts.append(str(initiative.target_touchpoint))
    if initiative.target_segment_id:
        parts.append(str(initiative.target_segment))
    if initiative.target_theme_id and initiative.target_metric != TargetMetric.THEME_SHARE:
        parts.append(initiative.target_theme.name_in(language))  # type: ignore[union-attr]
    return " · ".join(parts)


# --- prefill of a new initiative ---------------------------------------------------------------


@dataclass
class Prefill:
    """What a new initiative starts with when made from something."""

    origin: str = InitiativeOrigin.MANUAL
    title: str = ""
    description: str = ""
    target_metric: str = TargetMetric.NPS
    target_theme: Theme | None = None
    themes: list[Theme] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    ideas: list[Idea] = field(default_factory=list)

    def create_kwargs(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "title": self.title,
            "description": self.description,
            "target_metric": self.target_metric,
            "target_theme": self.target_theme,
            "themes": self.themes,
            "root_causes": self.root_causes,
            "cases": self.cases,
            "contacts": self.contacts,
            "ideas": self.ideas,
        }


def initiative_prefill(
    *,
    organization: Organization,
    theme: Theme | None = None,
    root_cause: RootCause | None = None,
    cases: list[Case] | None = None,
    idea: Idea | None = None,
    language: str | None = None,
) -> Prefill:
    """The title, target and links of an initiative made from a theme (named after it, NPS,
    the theme targeted), a root cause (its resolved cases), cases (and their customers) or an
    idea (and its themes)."""
    lang = (language or organization.default_language or "en").split("-")[0]
    prefill = Prefill()
    if theme is not None:
        prefill.origin = InitiativeOrigin.THEME
        prefill.title = theme.name_in(lang)
        prefill.description = str((theme.descriptions or {}).get(lang, ""))
        prefill.target_theme = theme
        prefill.themes = [theme]
    if root_cause is not None:
        from closeloop.cases.models import Case

        prefill.origin = InitiativeOrigin.ROOT_CAUSE
        prefill.title = prefill.title or root_cause.name
        prefill.description = prefill.description or root_cause.description
        prefill.root_causes = [root_cause]
        prefill.cases = list(
            Case.objects.filter(
                organization=organization,
                root_cause=root_cause,
                status__in=RESOLVED_CASE_STATUSES,
            ).order_by("-number")[:200]
        )
    if cases:
        prefill.origin = InitiativeOrigin.CASES
        prefill.cases = list({c.pk: c for c in [*prefill.cases, *cases]}.values())
        prefill.title = prefill.title or (cases[0].title if len(cases) == 1 else "")
        contacts = {c.contact_id: c.contact for c in cases if c.contact_id is not None}
        prefill.contacts = [c for c in contacts.values() if c is not None]
        causes = {c.root_cause_id: c.root_cause for c in cases if c.root_cause_id is not None}
        prefill.root_causes = prefill.root_causes or [c for c in causes.values() if c is not None]
    if idea is not None:
        prefill.origin = InitiativeOrigin.IDEA
        prefill.title = prefill.title or idea.title
        prefill.description = prefill.description or idea.body
        prefill.ideas = [idea]
        for t in idea.themes.all():
            if t.pk not in {x.pk for x in prefill.themes}:
                prefill.themes.append(t)
    return prefill


def main_nps_survey(organization: Organization) -> Survey | None:
    """The survey with the most NPS answers (the one an org-wide NPS target usually means)."""
    from closeloop.responses.models import AnswerFact
    from closeloop.surveys.models import Survey

    row = (
        AnswerFact.objects.filter(organization_id=organization.pk, question_type="nps")
        .values("survey_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if row is None:
        return None
    return Survey.objects.filter(organization=organization, pk=row["survey_id"]).first()


def link_candidates(initiative: Initiative, language: str) -> dict[str, Any]:
    """What can still be linked to the initiative, for the pickers of its page."""
    from closeloop.cases.models import RootCause
    from closeloop.text.choices import ThemeStatus
    from closeloop.text.models import Theme

    org_id = initiative.organization_id
    themes = Theme.objects.filter(organization_id=org_id, status=ThemeStatus.ACTIVE).exclude(
        initiatives=initiative
    )
    return {
        "themes": [(t.pk, t.name_in(language)) for t in themes],
        "root_causes": list(
            RootCause.objects.filter(organization_id=org_id, is_active=True)
            .exclude(initiatives=initiative)
            .order_by("position", "name")
        ),
        "ideas": list(
            Idea.objects.filter(organization_id=org_id, initiative__isnull=True)
            .exclude(status__in=("merged", "rejected", "pending"))
            .order_by("-vote_count")[:100]
        ),
        "teams": list(
            Team.objects.filter(organization_id=org_id)
            .exclude(pk__in=[initiative.owner_team_id] if initiative.owner_team_id else [])
            .exclude(contributed_initiatives=initiative)
            .order_by("name")
        ),
    }
