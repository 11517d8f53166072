"""Writes for cases: create (number, assignment, SLA due times), the one status transition,
assign, team, priority, tags, internal notes, replies to the customer, resolve and close.

The SLA clock of a case starts when it is opened and again when it is reopened. Its due times
are that start plus the hours of the policy of its team and priority, plus the time it has
waited on the customer since (business time for a business-hours policy): waiting pauses the
clock, and the paused time is added when the case leaves that status. A new team or priority
recomputes the due times from the same start with the new policy; a due time already met or
already breached stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import ApiKey, Membership, Organization, Team, TeamMember, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.cases.choices import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    AssigneeStrategy,
    CaseEventKind,
    CasePriority,
    CaseStatus,
)
from closeloop.cases.config import case_defaults_ensure, org_calendar, sla_policy_for
from closeloop.cases.models import (
    Case,
    CaseEvent,
    CaseReply,
    CaseSettings,
    ReplyTemplate,
    RootCause,
)
from closeloop.cases.sla import add_hours, elapsed
from closeloop.core import events
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.integrations.models import DeliveryKind
from closeloop.integrations.outbox import delivery_enqueue

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact
    from closeloop.responses.models import Response

MAX_TAGS = 20
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
# Placeholders of reply templates (shown on the templates page).
REPLY_PLACEHOLDERS = (
    "contact.first_name", "contact.name", "contact.email", "case.number", "case.title",
    "team.name", "agent.name", "org.name",
)  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


def _event(
    case: Case,
    kind: str,
    actor: User | None = None,
    at: datetime | None = None,
    *,
    api_key: ApiKey | None = None,
    by_customer: bool = False,
    **data: Any,
) -> CaseEvent:
    return CaseEvent.objects.create(
        organization_id=case.organization_id,
        case=case,
        kind=kind,
        actor=actor,
        api_key=api_key if actor is None else None,
        api_key_name=api_key.name if api_key is not None and actor is None else "",
        by_customer=by_customer and actor is None and api_key is None,
        data=data,
        created_at=at or timezone.now(),
    )


def _emit(name: str, case: Case, **extra: Any) -> None:
    events.emit(name, case_id=str(case.pk), organization_id=str(case.organization_id), **extra)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("organization").get(pk=case.pk)


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        clean = str(tag).strip()[:60]
        if clean and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
    return list(seen.values())[:MAX_TAGS]


def response_nps(response: Response | None) -> int | None:
    """The NPS answer (0-10) of a response, if it has one."""
    if response is None:
        return None
    fact = response.facts.filter(question_type="nps", number__isnull=False).order_by("id").first()
    return int(fact.number) if fact is not None and fact.number is not None else None


def _contact_of(response: Response | None) -> Contact | None:
    if response is None or response.contact_id is None:
        return None
    from closeloop.contacts.models import Contact

    return Contact.objects.filter(pk=response.contact_id).first()


def can_work_cases(membership: Membership) -> bool:
    return has_perm(membership.role, Perm.WORK_CASES)


def team_agents(team: Team) -> list[Membership]:
    """The team's members who may work cases, in a stable order (the round-robin order)."""
    rows = (
        TeamMember.objects.filter(team=team)
        .select_related("membership__user")
        .order_by("membership__created_at", "membership__id")
    )
    return [r.membership for r in rows if can_work_cases(r.membership)]


def _pick_assignee(team: Team | None, strategy: str) -> Membership | None:
    if team is None or strategy == AssigneeStrategy.NONE:
        return None
    agents = team_agents(team)
    if not agents:
        return None
    if strategy == AssigneeStrategy.LEAST_OPEN:
        counts = dict(
            Case.objects.filter(assignee__in=agents, status__in=ACTIVE_STATUSES)
            .values_list("assignee")
            .annotate(n=Count("id"))
            .values_list("assignee", "n")
        )
        return min(agents, key=lambda m: (counts.get(m.pk, 0), agents.index(m)))
    # Round robin: the member after the one who got the team's last assigned case.
    last = (
        Case.objects.filter(team=team, assignee__in=agents)
        .order_by("-number")
        .values_list("assignee_id", flat=True)
        .first()
    )
    ids = [m.pk for m in agents]
    if last not in ids:
        return agents[0]
    return agents[(ids.index(last) + 1) % len(agents)]


def _next_number(organization: Organization) -> int:
    """The org's next case number. The UPDATE locks the counter row until the transaction ends,
    so concurrent creators wait their turn and never share a number."""
    updated = CaseSettings.objects.filter(organization=organization).update(
        last_number=F("last_number") + 1
    )
    if not updated:
        case_defaults_ensure(organization=organization)
        CaseSettings.objects.filter(organization=organization).update(
            last_number=F("last_number") + 1
        )
    return CaseSettings.objects.values_list("last_number", flat=True).get(organization=organization)


SLA_FIELDS = [
    "sla_policy", "first_response_due_at", "resolution_due_at", "sla_started_at",
    "waiting_since", "sla_paused", "sla_paused_business",
]  # fmt: skip


def _apply_sla(case: Case, *, fresh: bool = False) -> None:
    """Set the due times from the policy of the case's team and priority: the clock's start
    plus the policy's hours plus the time paused (waiting on the customer). A due time met or
    breached already is kept, unless `fresh` (a new clock): then only a met one is kept."""
    policy = sla_policy_for(organization=case.organization, team=case.team, priority=case.priority)
    case.sla_policy = policy
    start = case.sla_started_at or case.created_at or timezone.now()
    keep_first = case.first_responded_at is not None or (case.breached_first_response and not fresh)
    keep_resolution = not fresh and (not case.is_active or case.breached_resolution)
    if policy is None:
        if not keep_first:
            case.first_response_due_at = None
        if not keep_resolution:
            case.resolution_due_at = None
        return
    calendar = org_calendar(organization=case.organization)
    business = policy.business_hours_only
    paused = case.sla_paused_business if business else case.sla_paused
    paused_hours = paused.total_seconds() / 3600 if paused else 0.0
    if not keep_first:
        case.first_response_due_at = add_hours(
            start,
            float(policy.first_response_hours) + paused_hours,
            calendar,
            business_hours_only=business,
        )
    if not keep_resolution:
        case.resolution_due_at = add_hours(
            start,
            float(policy.resolution_hours) + paused_hours,
            calendar,
            business_hours_only=business,
        )


def _pause_end(case: Case, now: datetime) -> dict[str, float]:
    """Stop the pause of a case leaving "waiting on customer": add the time waited (calendar
    and business) to its clock. Returns the hours added, for the timeline."""
    since = case.waiting_since
    case.waiting_since = None
    if since is None:
        return {}
    calendar = org_calendar(organization=case.organization)
    plain = elapsed(since, now, calendar, business_hours_only=False)
    business = elapsed(since, now, calendar, business_hours_only=True)
    case.sla_paused += plain
    case.sla_paused_business += business
    return {
        "paused_hours": round(plain.total_seconds() / 3600, 2),
        "paused_business_hours": round(business.total_seconds() / 3600, 2),
    }


# --- create ---------------------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    organization: Organization,
    title: str,
    team: Team | None = None,
    priority: str = CasePriority.NORMAL,
    response: Response | None = None,
    contact: Contact | None = None,
    assignee_strategy: str = AssigneeStrategy.ROUND_ROBIN,
    assignee: Membership | None = None,
    rule: object | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    tags: list[str] | None = None,
    created_at: datetime | None = None,
) -> Case:
    """Open a case: the org's next number, an assignee (given, or round robin / least open
    within the team), due times from the matching SLA policy; emits case.created."""
    title = (title or "").strip()[:300]
    if not title:
        raise DomainError(_("Give the case a title."), field="title")
    if priority not in CasePriority.values:
        raise DomainError(_("Choose a priority."), field="priority")
    if team is not None and team.organization_id != organization.pk:
        raise DomainError(_("Choose one of your teams."), field="team")
    if assignee is not None and assignee.organization_id != organization.pk:
        raise DomainError(_("Choose a member of your organization."), field="assignee")
    if assignee_strategy not in AssigneeStrategy.values:
        raise DomainError(_("Choose how to assign the case."), field="assignee_strategy")
    case_defaults_ensure(organization=organization)
    if contact is None:
        contact = _contact_of(response)
    number = _next_number(organization)  # from here on the org's counter row is locked
    chosen = assignee is not None
    if assignee is None:
        assignee = _pick_assignee(team, assignee_strategy)
    now = created_at or timezone.now()
    language = (
        (contact.language if contact is not None else "")
        or (response.language if response is not None else "")
        or organization.default_language
    )
    case = Case(
        organization=organization,
        number=number,
        title=title,
        team=team,
        priority=priority,
        response=response,
        contact=contact,
        assignee=assignee,
        tags=_clean_tags(tags or []),
        language=language[:10],
        original_score=response_nps(response),
        rule=getattr(rule, "pk", None) if rule is not None else None,
        created_by=actor,
        sla_started_at=now,
    )
    _apply_sla(case)
    case.save()
    if created_at is not None:
        Case.objects.filter(pk=case.pk).update(created_at=created_at)
        case.created_at = created_at
    _event(
        case,
        CaseEventKind.CREATED,
        actor,
        at=now,
        api_key=api_key,
        title=title,
        team=team.name if team else "",
        priority=priority,
        rule=str(case.rule) if case.rule else "",
    )
    if assignee is not None:
        _event(
            case,
            CaseEventKind.ASSIGNED,
            actor,
            at=now,
            api_key=api_key,
            to=str(assignee.pk),
            to_name=assignee.user.display_name,
            strategy="manual" if chosen else assignee_strategy,
        )
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="case.created",
        target=case,
        data={"number": number, "team": str(team.pk) if team else None},
    )
    _emit(
        "case.created",
        case,
        number=number,
        team_id=str(team.pk) if team else None,
        priority=priority,
        response_id=str(response.pk) if response else None,
    )
    return case


# --- the transition -------------------------------------------------------------------------


def _move(
    case: Case,
    to_status: str,
    actor: User | None,
    note: str,
    *,
    api_key: ApiKey | None = None,
    by_customer: bool = False,
    **data: Any,
) -> str:
    """Change the status of a locked case: validate, stamp, pause or restart the SLA clock,
    timeline, activity, events."""
    old = case.status
    if to_status not in CaseStatus.values:
        raise DomainError(_("Choose a status."), field="to_status")
    if to_status == old:
        raise DomainError(
            _("The case is %(status)s already.") % {"status": CaseStatus(old).label},
            field="to_status",
            code="invalid-transition",
        )
    if to_status not in TRANSITIONS.get(old, frozenset()):
        allowed = ", ".join(str(CaseStatus(s).label) for s in sorted(TRANSITIONS.get(old, ())))
        raise DomainError(
            _("A case that is %(from)s cannot become %(to)s. It can become: %(allowed)s.")
            % {
                "from": CaseStatus(old).label,
                "to": CaseStatus(to_status).label,
                "allowed": allowed or "—",
            },
            field="to_status",
            code="invalid-transition",
        )
    now = timezone.now()
    case.status = to_status
    fields = ["status", "updated_at"]
    if to_status == CaseStatus.RESOLVED:
        case.resolved_at = now
        fields.append("resolved_at")
    elif to_status == CaseStatus.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
        if case.resolved_at is None:
            case.resolved_at = now
            fields.append("resolved_at")
    elif to_status == CaseStatus.REOPENED:
        case.resolved_at = None
        case.closed_at = None
        fields += ["resolved_at", "closed_at"]
    sla: dict[str, Any] = {}
    if old == CaseStatus.WAITING:
        sla = _pause_end(case, now)
    if to_status == CaseStatus.WAITING:
        case.waiting_since = now
    if to_status == CaseStatus.REOPENED:
        # A new clock from now: the old due times are long past and would breach at once.
        case.sla_started_at = now
        case.sla_paused = timedelta(0)
        case.sla_paused_business = timedelta(0)
        _apply_sla(case, fresh=True)
    elif sla:
        _apply_sla(case)
    if sla or to_status in (CaseStatus.WAITING, CaseStatus.REOPENED):
        fields += SLA_FIELDS
        sla["first_response_due_at"] = _iso(case.first_response_due_at)
        sla["resolution_due_at"] = _iso(case.resolution_due_at)
    case.save(update_fields=fields)
    _event(
        case,
        CaseEventKind.STATUS_CHANGED,
        actor,
        at=now,
        api_key=api_key,
        by_customer=by_customer,
        note=note,
        **{"from": old, "to": to_status},
        **sla,
        **data,
    )
    activity_record(
        organization=case.organization,
        actor=actor,
        api_key=api_key,
        verb="case.status_changed",
        target=case,
        data={"from": old, "to": to_status},
    )
    changes: dict[str, list[Any]] = {"status": [old, to_status]}
    _emit("case.changed", case, changes=changes)
    if to_status == CaseStatus.RESOLVED:
        _emit("case.resolved", case, root_cause=case.root_cause.name if case.root_cause else "")
    elif to_status == CaseStatus.REOPENED:
        _emit("case.reopened", case, changes=changes)
    return old


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: User | None,
    api_key: ApiKey | None = None,
    note: str = "",
) -> Case:
    """Move a case to another status (locks the row; invalid moves are refused with the ones
    allowed). Resolving needs a root cause: use case_resolve."""
    locked = _lock(case)
    if to_status == CaseStatus.RESOLVED:
        raise DomainError(
            _("Resolve the case with a root cause and a resolution note."),
            field="to_status",
            code="needs-root-cause",
        )
    _move(locked, to_status, actor, note.strip(), api_key=api_key)
    return locked


# --- assign, priority, tags, notes ----------------------------------------------------------

_KEEP: Any = object()


@transaction.atomic
def case_assign(
    *,
    case: Case,
    assignee: Membership | None = _KEEP,
    actor: User | None,
    api_key: ApiKey | None = None,
    team: Team | None = _KEEP,
) -> Case:
    """Give the case to a member (or nobody) and/or another team; a new team's SLA policy
    recomputes the due times not yet met or breached."""
    locked = _lock(case)
    if assignee is _KEEP:
        assignee = locked.assignee
    if assignee is not None and assignee.organization_id != locked.organization_id:
        raise DomainError(_("Choose a member of your organization."), field="assignee")
    if assignee is not None and not has_perm(assignee.role, Perm.WORK_CASES):
        raise DomainError(
            _("%(name)s cannot work cases with the %(role)s role.")
            % {"name": assignee.user, "role": assignee.get_role_display()},
            field="assignee",
        )
    if team is not _KEEP and team is not None and team.organization_id != locked.organization_id:
        raise DomainError(_("Choose one of your teams."), field="team")
    changes: dict[str, list[Any]] = {}
    if team is not _KEEP and team != locked.team:
        changes["team"] = [
            str(locked.team_id) if locked.team_id else None,
            str(team.pk) if team else None,
        ]
        locked.team = team
    if assignee != locked.assignee:
        changes["assignee"] = [
            str(locked.assignee_id) if locked.assignee_id else None,
            str(assignee.pk) if assignee else None,
        ]
        locked.assignee = assignee
    if not changes:
        return locked
    fields = ["team", "assignee", "updated_at"]
    due: dict[str, Any] = {}
    if "team" in changes:
        _apply_sla(locked)
        fields += SLA_FIELDS
        due = {
            "first_response_due_at": _iso(locked.first_response_due_at),
            "resolution_due_at": _iso(locked.resolution_due_at),
        }
    locked.save(update_fields=fields)
    _event(
        locked,
        CaseEventKind.ASSIGNED,
        actor,
        api_key=api_key,
        to=str(assignee.pk) if assignee else "",
        to_name=assignee.user.display_name if assignee else "",
        team=locked.team.name if locked.team else "",
        team_changed="team" in changes,
        **due,
    )
    activity_record(
        organization=locked.organization,
        actor=actor,
        api_key=api_key,
        verb="case.assigned",
        target=locked,
        data=changes,
    )
    _emit("case.changed", locked, changes=changes)
    return locked


def case_bulk_assign(
    *,
    organization: Organization,
    cases: Iterable[Case],
    assignee: Membership | None,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> int:
    """Assign several cases at once; returns how many changed hands."""
    changed = 0
    for case in cases:
        if case.organization_id != organization.pk:
            continue
        before = case.assignee_id
        after = case_assign(case=case, assignee=assignee, actor=actor, api_key=api_key)
        changed += int(after.assignee_id != before)
    return changed


@transaction.atomic
def case_set_priority(
    *, case: Case, priority: str, actor: User | None, api_key: ApiKey | None = None
) -> Case:
    """Change the priority; due times not yet met or breached follow the new SLA policy."""
    if priority not in CasePriority.values:
        raise DomainError(_("Choose a priority."), field="priority")
    locked = _lock(case)
    old = locked.priority
    if old == priority:
        return locked
    locked.priority = priority
    _apply_sla(locked)
    locked.save(update_fields=["priority", *SLA_FIELDS, "updated_at"])
    change: dict[str, Any] = {
        "from": old,
        "to": priority,
        "first_response_due_at": _iso(locked.first_response_due_at),
        "resolution_due_at": _iso(locked.resolution_due_at),
    }
    _event(locked, CaseEventKind.PRIORITY_CHANGED, actor, api_key=api_key, **change)
    activity_record(
        organization=locked.organization,
        actor=actor,
        api_key=api_key,
        verb="case.priority_changed",
        target=locked,
        data={"from": old, "to": priority},
    )
    _emit("case.changed", locked, changes={"priority": [old, priority]})
    return locked


@transaction.atomic
def case_add_tags(
    *, case: Case, tags: list[str], actor: User | None = None, api_key: ApiKey | None = None
) -> Case:
    """Add tags to a case (existing ones are kept; case-insensitive)."""
    locked = _lock(case)
    current = list(locked.tags or [])
    merged = _clean_tags([*current, *tags])
    added = [t for t in merged if t not in current]
    if not added:
        return locked
    locked.tags = merged
    locked.save(update_fields=["tags", "updated_at"])
    _event(locked, CaseEventKind.TAGGED, actor, api_key=api_key, added=added)
    activity_record(
        organization=locked.organization,
        actor=actor,
        api_key=api_key,
        verb="case.tagged",
        target=locked,
        data={"added": added},
    )
    _emit("case.changed", locked, changes={"tags": [current, merged]})
    return locked


@transaction.atomic
def case_remove_tags(
    *, case: Case, tags: list[str], actor: User | None = None, api_key: ApiKey | None = None
) -> Case:
    """Remove tags from a case (case-insensitive; tags it does not have are ignored)."""
    locked = _lock(case)
    current = list(locked.tags or [])
    drop = {str(t).strip().casefold() for t in tags}
    kept = [t for t in current if t.casefold() not in drop]
    removed = [t for t in current if t.casefold() in drop]
    if not removed:
        return locked
    locked.tags = kept
    locked.save(update_fields=["tags", "updated_at"])
    _event(locked, CaseEventKind.UNTAGGED, actor, api_key=api_key, removed=removed)
    activity_record(
        organization=locked.organization,
        actor=actor,
        api_key=api_key,
        verb="case.untagged",
        target=locked,
        data={"removed": removed},
    )
    _emit("case.changed", locked, changes={"tags": [current, kept]})
    return locked


def case_add_note(
    *, case: Case, body: str, actor: User | None, api_key: ApiKey | None = None
) -> CaseEvent:
    """An internal note on the timeline; never sent to the customer."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write the note."), field="body")
    note = _event(case, CaseEventKind.NOTE, actor, api_key=api_key, body=body[:10000])
    activity_record(
        organization=case.organization,
        actor=actor,
        api_key=api_key,
        verb="case.note_added",
        target=case,
    )
    return note


# --- replies --------------------------------------------------------------------------------


def placeholder_values(case: Case, agent: User | None) -> dict[str, str]:
    contact = case.contact
    return {
        "contact.first_name": (contact.first_name if contact else "") or "",
        "contact.name": (contact.full_name or str(contact)) if contact else "",
        "contact.email": (contact.email or "") if contact else "",
        "case.number": str(case.number),
        "case.title": case.title,
        "team.name": case.team.name if case.team else "",
        "agent.name": agent.display_name if agent else "",
        "org.name": case.organization.name,
    }


def render_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace {{name}} with its value; unknown names render empty."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), text or "")


def reply_draft(
    *, case: Case, template: ReplyTemplate | None, agent: User | None
) -> dict[str, str]:
    """Subject and body an agent starts from: the template in the case's language, filled in."""
    values = placeholder_values(case, agent)
    if template is None:
        return {"subject": "", "body": ""}
    text = template.text_for(case.language, case.organization.default_language)
    return {
        "subject": render_placeholders(text["subject"], values),
        "body": render_placeholders(text["body"], values),
    }


def _with_number(subject: str, case: Case) -> str:
    tag = f"[#{case.number}]"
    return subject if tag in subject else f"{subject} {tag}".strip()


@transaction.atomic
def case_reply(
    *,
    case: Case,
    body: str,
    actor: User | None,
    api_key: ApiKey | None = None,
    subject: str = "",
    template: ReplyTemplate | None = None,
) -> CaseReply:
    """Email the customer from the case (through the outbox, HTML and text). It counts as the
    first response, and the case then waits on the customer."""
    locked = _lock(case)
    contact = locked.contact
    if contact is None or not contact.email or contact.erased_at is not None:
        raise DomainError(_("This customer has no email address to reply to."), field="body")
    if template is not None and template.organization_id != locked.organization_id:
        raise DomainError(_("Choose one of your templates."), field="template")
    values = placeholder_values(locked, actor)
    body = render_placeholders((body or "").strip(), values)
    if not body:
        raise DomainError(_("Write the message."), field="body")
    if not subject.strip() and template is not None:
        subject = template.text_for(locked.language, locked.organization.default_language)[
            "subject"
        ]
    subject = render_placeholders(subject.strip(), values)
    if not subject:
        with translation.override(locked.language or locked.organization.default_language):
            subject = _("About your feedback")
    subject = _with_number(subject[:280], locked)
    reply = CaseReply.objects.create(
        organization_id=locked.organization_id,
        case=locked,
        subject=subject,
        body=body,
        to_email=contact.email,
        language=locked.language,
        template=template,
        sent_by=actor,
    )
    reply_to = actor.email if actor is not None else ""
    reply.reply_link = (
        f"mailto:{reply_to or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}?subject="
        + quote(f"Re: {subject}")
    )
    context = {"case": locked, "reply": reply, "org": locked.organization, "agent": actor}
    with translation.override(locked.language or locked.organization.default_language):
        text = render_to_string("cases/email/reply.txt", context)
        html = render_to_string("cases/email/reply.html", context)
    headers = {"Reply-To": reply_to} if reply_to else {}
    delivery = delivery_enqueue(
        organization=locked.organization,
        kind=DeliveryKind.EMAIL,
        target=contact.email,
        # No "from": the outbox sends an organization's email in its name.
        payload={"subject": subject, "text": text, "html": html, "headers": headers},
        idempotency_key=f"case-reply:{reply.pk}",
        related_type="case_reply",
        related_id=str(reply.pk),
    )
    reply.delivery = delivery
    reply.save(update_fields=["reply_link", "delivery", "updated_at"])
    _event(
        locked,
        CaseEventKind.REPLY_SENT,
        actor,
        api_key=api_key,
        reply=str(reply.pk),
        subject=subject,
        to=contact.email,
        body=body[:10000],
        reply_link=reply.reply_link,
    )
    changes: dict[str, Any] = {}
    if locked.first_responded_at is None:
        locked.first_responded_at = timezone.now()
        locked.save(update_fields=["first_responded_at", "updated_at"])
        changes["first_responded_at"] = [None, locked.first_responded_at.isoformat()]
    activity_record(
        organization=locked.organization,
        actor=actor,
        api_key=api_key,
        verb="case.replied",
        target=locked,
    )
    if CaseStatus.WAITING in TRANSITIONS.get(locked.status, frozenset()):
        _move(locked, CaseStatus.WAITING, actor, "", api_key=api_key, reason="reply_sent")
    elif changes:
        _emit("case.changed", locked, changes=changes)
    return reply


# --- resolve and close ----------------------------------------------------------------------


@transaction.atomic
def case_resolve(
    *,
    case: Case,
    root_cause: RootCause | None,
    note: str,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> Case:
    """Resolve with a root cause from the taxonomy and a resolution note, then send the
    customer the follow-up micro-survey."""
    from closeloop.cases.followup import follow_up_send

    if root_cause is None:
        raise DomainError(_("Choose a root cause."), field="root_cause", code="needs-root-cause")
    if root_cause.organization_id != case.organization_id or not root_cause.is_active:
        raise DomainError(_("Choose a root cause from the list."), field="root_cause")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write how the case was resolved."), field="note")
    locked = _lock(case)
    if CaseStatus.RESOLVED not in TRANSITIONS.get(locked.status, frozenset()):
        _move(locked, CaseStatus.RESOLVED, actor, note, api_key=api_key)  # raises: allowed moves
    locked.root_cause = root_cause
    locked.resolution_note = note[:10000]
    locked.save(update_fields=["root_cause", "resolution_note", "updated_at"])
    _event(
        locked,
        CaseEventKind.ROOT_CAUSE_SET,
        actor,
        api_key=api_key,
        root_cause=root_cause.name,
        id=str(root_cause.pk),
    )
    _move(locked, CaseStatus.RESOLVED, actor, note, api_key=api_key)
    follow_up_send(case=locked)
    return locked


@transaction.atomic
def case_close(
    *, case: Case, actor: User | None, api_key: ApiKey | None = None, note: str = ""
) -> Case:
    """Close a case (after resolution, or directly for a duplicate or spam)."""
    locked = _lock(case)
    _move(locked, CaseStatus.CLOSED, actor, note.strip(), api_key=api_key)
    return locked


def active_case_q() -> Q:
    return Q(status__in=ACTIVE_STATUSES)
