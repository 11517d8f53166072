"""The review's cases: open and breaching cases by team, root causes of the cases resolved in
the period, and the customers won back.

Recovered customers (a contact counts once, with every reason that applies):
- "follow-up resolved": a case of theirs was resolved in the period and they answered its
  follow-up "yes, resolved";
- "follow-up score": the case's follow-up counted as recovered (closeloop.cases.followup: a
  detractor whose follow-up score rose to 7 or more), answered in the period;
- "new score": their NPS answer in the period is 7 or more, an earlier NPS answer of theirs (any
  time before) was 0-6, and they gave no 0-6 answer after it within the period.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from closeloop.initiatives.choices import InitiativeStatus
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.review.period import ReviewPeriod
from closeloop.initiatives.review.themes import (
    VERBATIMS,
    Verbatim,
    _employee_surveys,
    _verbatim,
)

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

RECOVERED_LISTED = 50
DETRACTOR_MAX = 6


@dataclass
class TeamCases:
    """Open cases of one team now: how many, breached, due within hours (not breached yet)."""

    team_id: uuid.UUID | None
    name: str
    open: int
    breached: int
    due_soon: int
    breaching: int


@dataclass
class RootCauseRow:
    root_cause_id: uuid.UUID
    name: str
    count: int
    previous: int
    initiatives: list[Initiative] = field(default_factory=list)
    verbatims: list[Verbatim] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass
class RecoveredCustomer:
    contact_id: uuid.UUID
    name: str
    reasons: list[str] = field(default_factory=list)
    before: int | None = None
    after: int | None = None
    case_number: int | None = None
    case_id: uuid.UUID | None = None


def cases_by_team(*, organization: Organization, now: dt.datetime | None = None) -> list[TeamCases]:
    """Open cases per team now (one query): breached, and due within the warning window."""
    from closeloop.cases.choices import ACTIVE_STATUSES
    from closeloop.cases.escalation import breaching_soon_q
    from closeloop.cases.models import Case

    now = now or timezone.now()
    breached = Q(breached_first_response=True) | Q(breached_resolution=True)
    soon = breaching_soon_q(now)
    rows = (
        Case.objects.filter(organization=organization, status__in=ACTIVE_STATUSES)
        .values("team_id", "team__name")
        .annotate(
            n_open=Count("id"),
            n_breached=Count("id", filter=breached),
            n_due_soon=Count("id", filter=soon),
            n_breaching=Count("id", filter=breached | soon),
        )
    )
    out = [
        TeamCases(
            team_id=r["team_id"],
            name=r["team__name"] or "",
            open=r["n_open"],
            breached=r["n_breached"],
            due_soon=r["n_due_soon"],
            breaching=r["n_breaching"],
        )
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r.breaching, -r.open, r.team_id is None, r.name))


def root_causes(
    *, organization: Organization, period: ReviewPeriod, limit: int = VERBATIMS
) -> list[RootCauseRow]:
    """Root causes of the cases resolved in the period, most first, with the previous period's
    count, linked initiatives and the customers' own words (comments of the cases' responses)."""
    from closeloop.cases.models import Case, RootCause
    from closeloop.text.models import Comment

    def counted(p: ReviewPeriod) -> dict[uuid.UUID, int]:
        rows = (
            Case.objects.filter(
                organization=organization,
                resolved_at__gte=p.start,
                resolved_at__lt=p.end,
                root_cause__isnull=False,
            )
            .values("root_cause_id")
            .annotate(n=Count("id"))
        )
        return {r["root_cause_id"]: r["n"] for r in rows}

    now_counts, before = counted(period), counted(period.previous())
    if not now_counts:
        return []
    causes = RootCause.objects.in_bulk(list(now_counts))
    ids = list(now_counts)
    through = Initiative.root_causes.through
    linked = (
        through.objects.filter(rootcause_id__in=ids, initiative__organization=organization)
        .exclude(initiative__status=InitiativeStatus.DROPPED)
        .select_related("initiative")
    )
    initiatives: dict[uuid.UUID, list[Initiative]] = defaultdict(list)
    for link in linked:
        initiatives[link.rootcause_id].append(link.initiative)
    # The customers' words: the newest cases of each cause that came from a response.
    cases = (
        Case.objects.filter(
            organization=organization,
            resolved_at__gte=period.start,
            resolved_at__lt=period.end,
            root_cause_id__in=ids,
            response_id__isnull=False,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("root_cause_id")],
                order_by=[F("resolved_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .values_list("root_cause_id", "response_id")
    )
    cause_of = {rid: cause_id for cause_id, rid in cases if rid is not None and cause_id}
    comments = (
        Comment.objects.filter(organization=organization, response_id__in=list(cause_of))
        .exclude(survey_id__in=_employee_surveys(organization))
        .order_by("-answered_at")
    )
    verbatims: dict[uuid.UUID, list[Verbatim]] = defaultdict(list)
    for comment in comments:
        if comment.response_id is None or comment.response_id not in cause_of:
            continue
        bucket = verbatims[cause_of[comment.response_id]]
        if len(bucket) < limit:
            bucket.append(_verbatim(comment))
    rows = [
        RootCauseRow(
            root_cause_id=pk,
            name=causes[pk].name if pk in causes else "",
            count=n,
            previous=before.get(pk, 0),
            initiatives=initiatives.get(pk, []),
            verbatims=verbatims.get(pk, []),
        )
        for pk, n in now_counts.items()
    ]
    return sorted(rows, key=lambda r: (-r.count, r.name))


REASON_FOLLOW_UP = "follow_up_resolved"
REASON_FOLLOW_UP_SCORE = "follow_up_score"
REASON_NEW_SCORE = "new_score"


def recovered_customers(
    *, organization: Organization, period: ReviewPeriod, limit: int = RECOVERED_LISTED
) -> tuple[list[RecoveredCustomer], int]:
    """Customers won back in the period (see the module's docstring), newest first: up to
    `limit` of them, and how many in all."""
    from closeloop.cases.models import Case
    from closeloop.contacts.models import Contact
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact

    found: dict[uuid.UUID, RecoveredCustomer] = {}
    when: dict[uuid.UUID, dt.datetime] = {}

    def add(contact_id: uuid.UUID, at: dt.datetime, reason: str, **kw: Any) -> None:
        item = found.setdefault(contact_id, RecoveredCustomer(contact_id=contact_id, name=""))
        if reason not in item.reasons:
            item.reasons.append(reason)
        for key, value in kw.items():
            if value is not None and getattr(item, key) is None:
                setattr(item, key, value)
        when[contact_id] = max(when.get(contact_id, at), at)

    cases = Case.objects.filter(organization=organization, contact_id__isnull=False)
    resolved = cases.filter(
        resolved_at__gte=period.start, resolved_at__lt=period.end, follow_up_resolved=True
    ).values_list("contact_id", "resolved_at", "number", "pk", "original_score", "follow_up_score")
    for contact_id, at, number, pk, before, after in resolved:
        if at is None:
            continue
        add(contact_id, at, REASON_FOLLOW_UP, case_number=number, case_id=pk, before=before,
            after=after)  # fmt: skip
    rescored = cases.filter(
        recovered=True,
        follow_up_answered_at__gte=period.start,
        follow_up_answered_at__lt=period.end,
    ).values_list(
        "contact_id", "follow_up_answered_at", "number", "pk", "original_score", "follow_up_score"
    )
    for contact_id, at, number, pk, before, after in rescored:
        if at is None:
            continue
        add(contact_id, at, REASON_FOLLOW_UP_SCORE, case_number=number, case_id=pk,
            before=before, after=after)  # fmt: skip

    nps = AnswerFact.objects.filter(
        organization_id=organization.pk,
        question_type="nps",
        number__isnull=False,
        response__status=ResponseStatus.COMPLETE,
    )
    earlier_detractor = nps.filter(
        response__contact_id=OuterRef("response__contact_id"),
        number__lte=DETRACTOR_MAX,
        answered_at__lt=OuterRef("answered_at"),
    )
    later_detractor = nps.filter(
        response__contact_id=OuterRef("response__contact_id"),
        number__lte=DETRACTOR_MAX,
        answered_at__gt=OuterRef("answered_at"),
        answered_at__lt=period.end,
    )
    won_back = (
        nps.filter(
            answered_at__gte=period.start,
            answered_at__lt=period.end,
            number__gt=DETRACTOR_MAX,
            response__contact_id__isnull=False,
        )
        .filter(Exists(earlier_detractor), ~Exists(later_detractor))
        .values_list("response__contact_id", "answered_at", "number")
        .order_by("-answered_at")[:2000]
    )
    won = list(won_back)
    previous_scores: dict[uuid.UUID, int] = {}
    if won:
        rows = (
            nps.filter(
                response__contact_id__in={c for c, _a, _n in won},
                number__lte=DETRACTOR_MAX,
                answered_at__lt=period.end,
            )
            .values_list("response__contact_id", "number")
            .order_by("answered_at")
        )
        for who, score in rows:
            if who is not None and score is not None:
                previous_scores[who] = int(score)
    for who, at, score in won:
        if who is None or score is None:
            continue
        add(who, at, REASON_NEW_SCORE, before=previous_scores.get(who), after=int(score))

    total = len(found)
    listed = sorted(found.values(), key=lambda r: when[r.contact_id], reverse=True)[:limit]
    contacts = Contact.objects.in_bulk([r.contact_id for r in listed])
    for item in listed:
        contact = contacts.get(item.contact_id)
        item.name = str(contact) if contact is not None else ""
    return listed, total
