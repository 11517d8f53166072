"""Reads for cases: access helpers, the queue (tabs, filters, sort), the board, the timeline,
and a team's inbox (routed feedback, cases, verbatims)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object
from closeloop.accounts.models import Membership, Organization, Team
from closeloop.cases.choices import ACTIVE_STATUSES, CasePriority, CaseStatus
from closeloop.cases.escalation import breaching_soon_q
from closeloop.cases.models import (
    Case,
    CaseEvent,
    Holiday,
    ReplyTemplate,
    RootCause,
    SlaPolicy,
)
from closeloop.cases.services import can_work_cases

TABS = ("mine", "team", "unassigned", "breaching", "all")
SORTS = {
    "newest": ("-created_at",),
    "oldest": ("created_at",),
    "due": ("first_response_due_at", "resolution_due_at"),
    "priority": ("-priority_rank", "-created_at"),
    "number": ("-number",),
}


def access_case(*, organization: Organization, pk: Any) -> Case:
    return access_object(
        Case.objects.select_related(
            "organization", "team", "assignee__user", "contact", "response", "root_cause"
        ),
        organization=organization,
        pk=pk,
    )


def access_root_cause(*, organization: Organization, pk: Any) -> RootCause:
    return access_object(RootCause.objects.all(), organization=organization, pk=pk)


def access_sla_policy(*, organization: Organization, pk: Any) -> SlaPolicy:
    return access_object(SlaPolicy.objects.all(), organization=organization, pk=pk)


def access_holiday(*, organization: Organization, pk: Any) -> Holiday:
    return access_object(Holiday.objects.all(), organization=organization, pk=pk)


def access_reply_template(*, organization: Organization, pk: Any) -> ReplyTemplate:
    return access_object(ReplyTemplate.objects.all(), organization=organization, pk=pk)


def access_team(*, organization: Organization, pk: Any) -> Team:
    return access_object(Team.objects.all(), organization=organization, pk=pk)


def access_member(*, organization: Organization, pk: Any) -> Membership:
    return access_object(
        Membership.objects.select_related("user"), organization=organization, pk=pk
    )


def case_agents(*, organization: Organization) -> list[Membership]:
    """Members who may be assigned cases."""
    members = Membership.objects.filter(organization=organization).select_related("user")
    return [m for m in members.order_by("user__full_name", "user__email") if can_work_cases(m)]


@dataclass
class CaseFilters:
    """What the queue shows: a tab plus optional filters and a sort."""

    tab: str = "all"
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    team: str = ""
    assignee: str = ""
    tag: str = ""
    breached: bool | None = None
    contact: str = ""
    q: str = ""
    sort: str = "newest"


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _priority_rank() -> Any:
    from django.db.models import Case as When_
    from django.db.models import IntegerField, Value, When

    return When_(
        When(priority=CasePriority.URGENT, then=Value(3)),
        When(priority=CasePriority.HIGH, then=Value(2)),
        When(priority=CasePriority.NORMAL, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def case_list(
    *,
    organization: Organization,
    filters: CaseFilters | None = None,
    membership: Membership | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """The queue: a tab (mine, my team's, unassigned, breaching soon, all) and filters."""
    f = filters or CaseFilters()
    now = now or timezone.now()
    qs = Case.objects.filter(organization=organization).select_related(
        "team", "assignee__user", "contact", "root_cause"
    )
    if f.tab == "mine":
        qs = qs.filter(assignee=membership, status__in=ACTIVE_STATUSES)
    elif f.tab == "team":
        team_ids = list(membership.teams.values_list("pk", flat=True)) if membership else []
        qs = qs.filter(team__in=team_ids, status__in=ACTIVE_STATUSES)
    elif f.tab == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=ACTIVE_STATUSES)
    elif f.tab == "breaching":
        qs = qs.filter(breaching_soon_q(now))
    statuses = [s for s in f.status if s in CaseStatus.values]
    if statuses:
        qs = qs.filter(status__in=statuses)
    priorities = [p for p in f.priority if p in CasePriority.values]
    if priorities:
        qs = qs.filter(priority__in=priorities)
    if f.team == "none":
        qs = qs.filter(team__isnull=True)
    elif f.team:
        team_id = _uuid(f.team)
        qs = qs.filter(team_id=team_id) if team_id else qs.none()
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee:
        assignee_id = _uuid(f.assignee)
        qs = qs.filter(assignee_id=assignee_id) if assignee_id else qs.none()
    if f.contact:
        contact_id = _uuid(f.contact)
        qs = qs.filter(contact_id=contact_id) if contact_id else qs.none()
    if f.breached is True:
        qs = qs.filter(Q(breached_first_response=True) | Q(breached_resolution=True))
    elif f.breached is False:
        qs = qs.filter(breached_first_response=False, breached_resolution=False)
    if f.tag:
        qs = qs.filter(tags__icontains=f.tag.strip())
    if f.q:
        term = f.q.strip().lstrip("#")
        cond = Q(title__icontains=term) | Q(contact__email__icontains=term)
        if term.isdigit():
            cond |= Q(number=int(term))
        qs = qs.filter(cond)
    sort = SORTS.get(f.sort, SORTS["newest"])
    if f.sort == "priority":
        qs = qs.annotate(priority_rank=_priority_rank())
    return qs.order_by(*sort, "-number")


def tab_counts(
    *, organization: Organization, membership: Membership | None, now: dt.datetime | None = None
) -> dict[str, int]:
    return {
        tab: case_list(
            organization=organization, filters=CaseFilters(tab=tab), membership=membership, now=now
        ).count()
        for tab in TABS
    }


def board_columns(cases: Iterable[Case]) -> list[tuple[str, str, list[Case]]]:
    """The board: (status, label, cases) in workflow order."""
    columns: dict[str, list[Case]] = {s: [] for s in CaseStatus.values}
    for case in cases:
        columns[case.status].append(case)
    return [(s, str(CaseStatus(s).label), columns[s]) for s in CaseStatus.values]


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")


def case_answers(*, case: Case) -> list[dict[str, Any]]:
    """The answers of the case's response: question title and the answer, in survey order."""
    response = case.response
    if response is None:
        return []
    from closeloop.responses.selectors import definition_of

    try:
        definition = definition_of(response.version)
    except Exception:  # a definition that no longer parses still shows the raw answers
        return [{"key": k, "title": k, "value": v} for k, v in (response.answers or {}).items()]
    rows = []
    lang = response.language
    for page in definition.pages:
        for question in page.questions:
            if question.key not in (response.answers or {}):
                continue
            title = (
                question.title.get(lang)
                or question.title.get(definition.default_language)
                or question.key
            )
            value = response.answers[question.key]
            rows.append({"key": question.key, "title": _title(title), "value": _display(value)})
    return rows


PIPE_RE = re.compile(r"\{\{\s*[^}|]*\|?([^}]*)\}\}")


def _title(text: str) -> str:
    """A question title without its piping placeholders (their fallback text stays)."""
    return PIPE_RE.sub(lambda m: m.group(1).strip(), text)


def _display(value: Any) -> str:
    if isinstance(value, dict) and "choices" in value:
        parts = [str(c) for c in value.get("choices") or []]
        if value.get("other"):
            parts.append(str(value["other"]))
        return ", ".join(parts)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def contact_history(*, case: Case, limit: int = 10) -> dict[str, Any]:
    """The customer's other responses and cases."""
    if case.contact_id is None:
        return {"responses": [], "cases": []}
    from closeloop.responses.models import Response

    responses = (
        Response.objects.filter(organization_id=case.organization_id, contact_id=case.contact_id)
        .exclude(completed_at__isnull=True)
        .select_related("survey")
        .order_by("-completed_at")[:limit]
    )
    cases = (
        Case.objects.filter(organization_id=case.organization_id, contact_id=case.contact_id)
        .exclude(pk=case.pk)
        .order_by("-created_at")[:limit]
    )
    return {"responses": list(responses), "cases": list(cases)}


def raise_if_not_org(obj: Any, organization: Organization) -> None:
    if getattr(obj, "organization_id", None) != organization.pk:
        raise Http404


# --- team inbox ------------------------------------------------------------------------------
# A team's inbox holds the responses a rule routed to it (automation's TeamFeedback) and the
# responses tagged with a tag the team owns (Team.inbox_tags, matched against the tags rules
# put on responses); its cases are the team's own and those carrying one of its tags.

TEXT_TYPES = ("long_text", "short_text")


def owned_tags(team: Team) -> set[str]:
    """The tags a team owns, case-folded like the tags rules put on responses."""
    return {str(t).casefold() for t in team.inbox_tags or [] if str(t).strip()}


def team_response_ids(*, team: Team) -> list[QuerySet[Any]]:
    """Subqueries of the ids of the responses that are the team's: routed to it by a rule,
    tagged with a tag it owns, or with a case of the team (what its inbox and its figures
    count). Filter with `Q(response__in=a) | Q(response__in=b) | ...`."""
    from closeloop.automation.models import ResponseTag, TeamFeedback
    from closeloop.cases.models import Case

    parts: list[QuerySet[Any]] = [
        TeamFeedback.objects.filter(team_id=team.pk).values("response_id"),
        Case.objects.filter(team_id=team.pk, response__isnull=False).values("response_id"),
    ]
    owned = owned_tags(team)
    if owned:
        parts.append(
            ResponseTag.objects.filter(organization_id=team.organization_id, tag__in=owned).values(
                "response_id"
            )
        )
    return parts


def _owns_any(tags: Iterable[Any], owned: set[str]) -> bool:
    return any(str(t).casefold() in owned for t in tags or [])


@dataclass
class InboxEntry:
    """A response in a team's inbox: when it arrived and every reason it is there."""

    response: Any
    created_at: dt.datetime
    reasons: list[str] = field(default_factory=list)

    @property
    def response_id(self) -> Any:
        return self.response.pk


def team_feedback(*, team: Team, limit: int = 100) -> list[InboxEntry]:
    """The team's inbox, newest first: responses routed by a rule or tagged with its tags."""
    from closeloop.automation.models import ResponseTag, TeamFeedback

    entries: dict[Any, InboxEntry] = {}

    def add(response: Any, at: dt.datetime, reason: str) -> None:
        entry = entries.setdefault(response.pk, InboxEntry(response=response, created_at=at))
        entry.created_at = min(entry.created_at, at)
        if reason and reason not in entry.reasons:
            entry.reasons.append(reason)

    routed = (
        TeamFeedback.objects.filter(team=team)
        .select_related("response__survey", "rule")
        .order_by("-created_at")[:limit]
    )
    for row in routed:
        add(row.response, row.created_at, _route_reason(row.reason, row.rule))
    owned = owned_tags(team)
    if owned:
        tagged = (
            ResponseTag.objects.filter(organization_id=team.organization_id, tag__in=owned)
            .select_related("response__survey")
            .order_by("-created_at")[:limit]
        )
        for tag_row in tagged:
            add(tag_row.response, tag_row.created_at, _("tagged %(tag)s") % {"tag": tag_row.tag})
    rows = sorted(entries.values(), key=lambda e: e.created_at, reverse=True)[:limit]
    _annotate_scores([e.response for e in rows])
    return rows


def _route_reason(reason: str, rule: Any) -> str:
    """The rule's reason and its name ("Late delivery (Delivery complaints)"), once each."""
    name = rule.name if rule is not None else ""
    if reason and name and reason != name:
        return f"{reason} ({name})"
    return reason or name


def team_routed_response_ids(team: Team) -> set[uuid.UUID]:
    """Every response in the team's inbox: routed by a rule, or tagged with one of its tags."""
    from closeloop.automation.models import ResponseTag, TeamFeedback

    ids = set(TeamFeedback.objects.filter(team=team).values_list("response_id", flat=True))
    owned = owned_tags(team)
    if owned:
        ids |= set(
            ResponseTag.objects.filter(
                organization_id=team.organization_id, tag__in=owned
            ).values_list("response_id", flat=True)
        )
    return ids


def _tagged_cases(team: Team, qs: QuerySet[Case]) -> list[tuple[Any, Any]]:
    """(id, response id) of the cases of `qs` that carry one of the team's tags."""
    owned = owned_tags(team)
    if not owned:
        return []
    # Case tags keep the agent's spelling; matching is case-insensitive, so it is done here
    # rather than in SQL (JSON text differs between SQLite and PostgreSQL for non-ASCII).
    rows = qs.filter(organization_id=team.organization_id).exclude(tags=[])
    return [
        (pk, rid)
        for pk, rid, tags in rows.values_list("pk", "response_id", "tags")
        if _owns_any(tags, owned)
    ]


def team_case_response_ids(*, team: Team) -> set[uuid.UUID]:
    """The responses of the team's cases and of the cases carrying its tags."""
    with_response = Case.objects.filter(response__isnull=False)
    ids = set(with_response.filter(team=team).values_list("response_id", flat=True))
    ids |= {rid for _pk, rid in _tagged_cases(team, with_response)}
    return ids


def _annotate_scores(responses: list[Any]) -> None:
    from closeloop.responses.models import AnswerFact

    ids = [r.pk for r in responses]
    scores: dict[Any, float] = {}
    texts: dict[Any, str] = {}
    facts = AnswerFact.objects.filter(response_id__in=ids).order_by("id")
    for rid, kind, number, text in facts.values_list(
        "response_id", "question_type", "number", "text"
    ):
        if kind == "nps" and number is not None:
            scores.setdefault(rid, number)
        if kind in TEXT_TYPES and text:
            texts.setdefault(rid, text)
    for response in responses:
        response.nps_score = int(scores[response.pk]) if response.pk in scores else None
        response.first_comment = texts.get(response.pk, "")


def team_verbatims(*, team: Team, response_ids: Iterable[Any], limit: int = 50) -> list[Any]:
    """Open-text answers of the team's responses, newest first."""
    from closeloop.responses.models import AnswerFact

    facts = list(
        AnswerFact.objects.filter(response_id__in=list(response_ids), question_type__in=TEXT_TYPES)
        .exclude(text="")
        .select_related("response")
        .order_by("-answered_at")[:limit]
    )
    return facts


def team_cases(*, team: Team, limit: int = 50) -> QuerySet[Case]:
    """The team's cases and the cases carrying one of its tags, newest first."""
    tagged = [pk for pk, _rid in _tagged_cases(team, Case.objects.all())]
    return (
        Case.objects.filter(Q(team=team) | Q(pk__in=tagged))
        .select_related("assignee__user", "contact", "team")
        .order_by("-created_at")[:limit]
    )


def team_active_counts(*, organization: Organization) -> dict[Any, int]:
    """Per team: its open cases, and the open cases of other teams carrying one of its tags."""
    from django.db.models import Count

    active = Case.objects.filter(organization=organization, status__in=ACTIVE_STATUSES)
    counts: dict[Any, int] = defaultdict(int)
    own = active.filter(team__isnull=False).values_list("team").annotate(n=Count("id"))
    counts.update(own.values_list("team", "n"))
    teams = [(t.pk, owned_tags(t)) for t in Team.objects.filter(organization=organization)]
    if any(owned for _pk, owned in teams):
        tagged = list(active.exclude(tags=[]).values_list("team_id", "tags"))
        for team_id, owned in teams:
            counts[team_id] += sum(
                1 for case_team, tags in tagged if case_team != team_id and _owns_any(tags, owned)
            )
    return dict(counts)


def team_feedback_counts(*, organization: Organization) -> dict[Any, int]:
    """Per team: how many responses its inbox holds."""
    from closeloop.responses.models import Response

    counts: dict[Any, int] = {}
    for team in Team.objects.filter(organization=organization):
        cond = Q(team_feedback__team=team)
        owned = owned_tags(team)
        if owned:
            cond |= Q(automation_tags__tag__in=owned)
        counts[team.pk] = (
            Response.objects.filter(organization=organization).filter(cond).distinct().count()
        )
    return counts
