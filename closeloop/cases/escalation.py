"""The SLA breach check: cases past a due time are marked breached once, and escalated as
their policy says (email the team lead(s), raise the priority one step, once per case). A case
waiting on the customer is never marked: its clock is paused."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import TeamMember
from closeloop.cases.choices import SLA_CLOCK_STATUSES, CaseEventKind, priority_raised
from closeloop.cases.models import Case
from closeloop.cases.services import _emit, _event, _lock
from closeloop.core.services import activity_record
from closeloop.integrations.models import DeliveryKind
from closeloop.integrations.outbox import delivery_enqueue

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
BATCH = 500


def breach_candidates(*, now: dt.datetime) -> list[tuple[str, str]]:
    """(case id, kind) of every case past a due time and not marked yet."""
    first = Case.objects.filter(
        status__in=SLA_CLOCK_STATUSES,
        first_responded_at__isnull=True,
        breached_first_response=False,
        first_response_due_at__lt=now,
    ).values_list("pk", flat=True)[:BATCH]
    resolution = Case.objects.filter(
        status__in=SLA_CLOCK_STATUSES,
        breached_resolution=False,
        resolution_due_at__lt=now,
    ).values_list("pk", flat=True)[:BATCH]
    return [(str(pk), FIRST_RESPONSE) for pk in first] + [
        (str(pk), RESOLUTION) for pk in resolution
    ]


def _still_breached(case: Case, kind: str, now: dt.datetime) -> bool:
    if case.status not in SLA_CLOCK_STATUSES:
        return False
    if kind == FIRST_RESPONSE:
        return (
            not case.breached_first_response
            and case.first_responded_at is None
            and case.first_response_due_at is not None
            and case.first_response_due_at < now
        )
    return (
        not case.breached_resolution
        and case.resolution_due_at is not None
        and case.resolution_due_at < now
    )


def _notify_leads(case: Case, kind: str) -> list[str]:
    if case.team_id is None:
        return []
    leads = TeamMember.objects.filter(team_id=case.team_id, is_lead=True).select_related(
        "membership__user"
    )
    sent = []
    url = settings.BASE_URL.rstrip("/") + reverse(
        "cases:detail", args=[case.organization.slug, case.pk]
    )
    for lead in leads:
        user = lead.membership.user
        with translation.override(user.language or case.organization.default_language):
            what = _("first response") if kind == FIRST_RESPONSE else _("resolution")
            subject = _("SLA breached: case #%(number)s (%(what)s)") % {
                "number": case.number,
                "what": what,
            }
            context = {"case": case, "what": what, "url": url, "lead": user}
            text = render_to_string("cases/email/escalation.txt", context)
        delivery_enqueue(
            organization=case.organization,
            kind=DeliveryKind.EMAIL,
            target=user.email,
            payload={"subject": subject, "text": text, "html": "", "headers": {}},
            idempotency_key=f"case-escalation:{case.pk}:{kind}:{user.pk}",
            related_type="case_escalation",
            related_id=str(case.pk),
        )
        sent.append(user.email)
    return sent


def case_breach_mark(*, case_id: str, kind: str, now: dt.datetime | None = None) -> bool:
    """Mark one breach (locks the row; a second call does nothing), record it, emit
    case.sla_breached, and escalate per the case's policy."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.filter(pk=case_id).first()
        if case is None:
            return False
        case = _lock(case)
        if not _still_breached(case, kind, now):
            return False
        if kind == FIRST_RESPONSE:
            case.breached_first_response = True
        else:
            case.breached_resolution = True
        fields = ["breached_first_response", "breached_resolution", "updated_at"]
        due = case.first_response_due_at if kind == FIRST_RESPONSE else case.resolution_due_at
        _event(
            case,
            CaseEventKind.SLA_BREACHED,
            None,
            at=now,
            sla=kind,
            due=due.isoformat() if due else "",
        )
        policy = case.sla_policy
        notified: list[str] = []
        raised_from = ""
        if policy is not None and policy.escalate_to_lead:
            notified = _notify_leads(case, kind)
        if policy is not None and policy.raise_priority and case.escalated_at is None:
            raised_from = case.priority
            case.priority = priority_raised(case.priority)
            fields.append("priority")
        if notified or raised_from:
            case.escalated_at = case.escalated_at or now
            fields.append("escalated_at")
            _event(
                case,
                CaseEventKind.ESCALATED,
                None,
                at=now,
                sla=kind,
                notified=notified,
                priority_from=raised_from,
                priority_to=case.priority if raised_from else "",
            )
        case.save(update_fields=fields)
        activity_record(
            organization=case.organization,
            verb="case.sla_breached",
            target=case,
            data={"sla": kind, "notified": notified, "priority_from": raised_from},
        )
        _emit("case.sla_breached", case, sla=kind, kind=kind)
        if raised_from:
            _emit("case.changed", case, changes={"priority": [raised_from, case.priority]})
    return True


def sla_breaches_check(*, now: dt.datetime | None = None) -> int:
    """Mark every new breach; returns how many were marked (safe to run again)."""
    now = now or timezone.now()
    return sum(
        case_breach_mark(case_id=case_id, kind=kind, now=now)
        for case_id, kind in breach_candidates(now=now)
    )


def breaching_soon_q(now: dt.datetime, hours: int = 4) -> Q:
    """Cases whose clock runs, with a due time in the next `hours` (not breached yet)."""
    soon = now + dt.timedelta(hours=hours)
    return Q(status__in=SLA_CLOCK_STATUSES) & (
        Q(
            first_responded_at__isnull=True,
            breached_first_response=False,
            first_response_due_at__lte=soon,
        )
        | Q(breached_resolution=False, resolution_due_at__lte=soon)
    )
