"""Reads for cases: access helpers, the queue (tabs, filters, sort), the board, the timeline,
and a team's inbox (routed feedback, cases, verbatims)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

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

TEXT_TYPES = ("long_text", "short_text")


def team_feedback(*, team: Team, limit: int = 100) -> list[Any]:
    """Responses routed to the team by rules (newest first), with score and first comment."""
    try:
        from closeloop.automation.models import TeamFeedback
    except ImportError:  # automation not installed
        return []
    rows = list(
        TeamFeedback.objects.filter(team=team)
        .select_related("response__survey", "rule")
        .order_by("-created_at")[:limit]
    )
    _annotate_scores([r.response for r in rows])
    return rows


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
    return (
        Case.objects.filter(team=team)
        .select_related("assignee__user", "contact")
        .order_by("-created_at")[:limit]
    )


def team_active_counts(*, organization: Organization) -> dict[Any, int]:
    from django.db.models import Count

    rows = (
        Case.objects.filter(
            organization=organization, status__in=ACTIVE_STATUSES, team__isnull=False
        )
        .values_list("team")
        .annotate(n=Count("id"))
        .values_list("team", "n")
    )
    return dict(rows)


def team_feedback_counts(*, organization: Organization) -> dict[Any, int]:
    try:
        from closeloop.automation.models import TeamFeedback
    except ImportError:
        return {}
    from django.db.models import Count

    rows = (
        TeamFeedback.objects.filter(organization=organization)
        .values_list("team")
        .annotate(n=Count("id"))
        .values_list("team", "n")
    )
    return dict(rows)
