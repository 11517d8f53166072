"""REST endpoints for cases (list, read with timeline, create, change priority/team/assignee,
tags, transitions, assign, notes, replies, resolve), root causes and loop metrics. What an API
key does is on the case's timeline and in the audit log as "API key <name>".

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.models import Membership, Team
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.cases import config, selectors, services
from closeloop.cases.metrics import loop_metrics
from closeloop.cases.models import Case, CaseReply, RootCause
from closeloop.cases.schemas import (
    AssignIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePatch,
    LoopReportOut,
    NoteIn,
    NoteOut,
    ReplyIn,
    ReplyOut,
    ResolveIn,
    RootCauseIn,
    RootCauseOut,
    TagsIn,
    TransitionIn,
)
from closeloop.core.errors import DomainError

router = Router(tags=["cases"])


class LoopQuery(Schema):
    team: uuid.UUID | None = Field(None, description="A team id: that team's figures.")
    from_: dt.date | None = Field(None, alias="from", description="First day (org time zone).")
    to: dt.date | None = Field(None, description="Last day, included.")


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    return selectors.access_case(organization=api_org(request), pk=case_id)


def _detail(case: Case) -> Case:
    case.timeline = list(selectors.case_timeline(case=case))  # type: ignore[attr-defined]
    return case


def _team(request: HttpRequest, pk: uuid.UUID | None) -> Team | None:
    return selectors.access_team(organization=api_org(request), pk=pk) if pk else None


def _member(request: HttpRequest, pk: uuid.UUID | None) -> Membership | None:
    return selectors.access_member(organization=api_org(request), pk=pk) if pk else None


@router.get("/cases", response=with_errors({200: list[CaseOut]}, 400, 422))
@paginate(CursorPagination)
def cases_list(
    request: HttpRequest,
    status: str = "",
    team: str = "",
    assignee: str = "",
    priority: str = "",
    breached: bool | None = None,
    contact: str = "",
) -> QuerySet[Case]:
    """Cases, oldest first. Filters: status and priority (comma separated), team and assignee
    (ids, or "none"), breached, contact."""
    filters = selectors.CaseFilters(
        tab="all",
        status=[s for s in status.split(",") if s],
        priority=[p for p in priority.split(",") if p],
        team=team,
        assignee=assignee,
        breached=breached,
        contact=contact,
    )
    return selectors.case_list(organization=api_org(request), filters=filters).select_related(
        "assignee__user"
    )


@router.post(
    "/cases", response=with_errors({201: CaseDetailOut}, 400, 403, 404, 422), auth=write_required
)
def cases_create(request: HttpRequest, payload: CaseIn) -> Status[Case]:
    """Open a case by hand (write scope)."""
    org = api_org(request)
    response = None
    if payload.response:
        from closeloop.accounts.access import access_object
        from closeloop.responses.models import Response

        response = access_object(Response.objects.all(), organization=org, pk=payload.response)
    contact = None
    if payload.contact:
        from closeloop.contacts.selectors import access_contact

        contact = access_contact(organization=org, pk=payload.contact)
    case = services.case_create(
        organization=org,
        title=payload.title,
        team=_team(request, payload.team),
        priority=payload.priority,
        response=response,
        contact=contact,
        assignee=_member(request, payload.assignee),
        assignee_strategy=payload.assignee_strategy,
        tags=payload.tags,
        api_key=api_key(request),
    )
    return Status(201, _detail(selectors.access_case(organization=org, pk=case.pk)))


@router.get("/cases/{case_id}", response=with_errors({200: CaseDetailOut}, 404))
def cases_read(request: HttpRequest, case_id: uuid.UUID) -> Case:
    """A case with its timeline."""
    return _detail(_case(request, case_id))


@router.patch(
    "/cases/{case_id}",
    response=with_errors({200: CaseDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_update(request: HttpRequest, case_id: uuid.UUID, payload: CasePatch) -> Case:
    """Change the priority, the team and/or the assignee (fields left out stay); a new team or
    priority recomputes the due times not yet met or breached from its SLA policy."""
    case = _case(request, case_id)
    key = api_key(request)
    given = payload.model_fields_set
    if "priority" in given and payload.priority is None:
        raise DomainError(_("Choose a priority."), field="priority")
    team = _team(request, payload.team) if "team" in given else None
    assignee = _member(request, payload.assignee) if "assignee" in given else None
    with transaction.atomic():
        if "priority" in given and payload.priority is not None:
            case = services.case_set_priority(
                case=case, priority=payload.priority, actor=None, api_key=key
            )
        kwargs: dict[str, Any] = {}
        if "team" in given:
            kwargs["team"] = team
        if "assignee" in given:
            kwargs["assignee"] = assignee
        if kwargs:
            services.case_assign(case=case, actor=None, api_key=key, **kwargs)
    return _detail(_case(request, case_id))


@router.post(
    "/cases/{case_id}/tags",
    response=with_errors({200: CaseDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_tags(request: HttpRequest, case_id: uuid.UUID, payload: TagsIn) -> Case:
    """Add and/or remove tags (case-insensitive; at most 20 on a case)."""
    case = _case(request, case_id)
    key = api_key(request)
    with transaction.atomic():
        if payload.remove:
            case = services.case_remove_tags(
                case=case, tags=payload.remove, actor=None, api_key=key
            )
        if payload.add:
            services.case_add_tags(case=case, tags=payload.add, actor=None, api_key=key)
    return _detail(_case(request, case_id))


@router.post(
    "/cases/{case_id}/transition",
    response=with_errors({200: CaseDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_transition(request: HttpRequest, case_id: uuid.UUID, payload: TransitionIn) -> Case:
    """Move a case to another status; an invalid move is 400 naming the allowed ones."""
    case = services.case_transition(
        case=_case(request, case_id),
        to_status=payload.to_status,
        actor=None,
        api_key=api_key(request),
        note=payload.note,
    )
    return _detail(_case(request, case.pk))


@router.post(
    "/cases/{case_id}/assign",
    response=with_errors({200: CaseDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_assign(request: HttpRequest, case_id: uuid.UUID, payload: AssignIn) -> Case:
    """Assign to a member (membership id) or nobody and/or move to a team; a field left out
    stays as it is."""
    case = _case(request, case_id)
    kwargs: dict[str, Any] = {}
    if "team" in payload.model_fields_set:
        kwargs["team"] = _team(request, payload.team)
    if "assignee" in payload.model_fields_set:
        kwargs["assignee"] = _member(request, payload.assignee)
    services.case_assign(case=case, actor=None, api_key=api_key(request), **kwargs)
    return _detail(_case(request, case_id))


@router.post(
    "/cases/{case_id}/notes",
    response=with_errors({201: NoteOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_note(request: HttpRequest, case_id: uuid.UUID, payload: NoteIn) -> Status[dict[str, Any]]:
    """Add an internal note (never sent to the customer)."""
    event = services.case_add_note(
        case=_case(request, case_id), body=payload.body, actor=None, api_key=api_key(request)
    )
    return Status(
        201, {"kind": event.kind, "body": event.data["body"], "created_at": event.created_at}
    )


@router.post(
    "/cases/{case_id}/replies",
    response=with_errors({201: ReplyOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_reply(request: HttpRequest, case_id: uuid.UUID, payload: ReplyIn) -> Status[CaseReply]:
    """Email the customer from the case; counts as the first response."""
    case = _case(request, case_id)
    template = (
        selectors.access_reply_template(organization=api_org(request), pk=payload.template)
        if payload.template
        else None
    )
    reply = services.case_reply(
        case=case,
        body=payload.body,
        subject=payload.subject,
        template=template,
        actor=None,
        api_key=api_key(request),
    )
    return Status(201, reply)


@router.post(
    "/cases/{case_id}/resolve",
    response=with_errors({200: CaseDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def cases_resolve(request: HttpRequest, case_id: uuid.UUID, payload: ResolveIn) -> Case:
    """Resolve with a root cause and a note; the customer gets the follow-up."""
    case = _case(request, case_id)
    cause = selectors.access_root_cause(organization=api_org(request), pk=payload.root_cause)
    services.case_resolve(
        case=case, root_cause=cause, note=payload.note, actor=None, api_key=api_key(request)
    )
    return _detail(_case(request, case_id))


@router.get("/root-causes", response=with_errors({200: list[RootCauseOut]}, 400, 422))
@paginate(CursorPagination)
def root_causes_list(request: HttpRequest) -> QuerySet[RootCause]:
    """The org's root-cause taxonomy, paginated like every list."""
    org = api_org(request)
    config.case_defaults_ensure(organization=org)
    return config.root_causes(organization=org)


@router.post(
    "/root-causes", response=with_errors({201: RootCauseOut}, 403, 409, 422), auth=write_required
)
def root_causes_create(request: HttpRequest, payload: RootCauseIn) -> Status[RootCause]:
    """Add a root cause."""
    org = api_org(request)
    config.case_defaults_ensure(organization=org)
    cause = config.root_cause_create(
        organization=org, name=payload.name, description=payload.description
    )
    return Status(201, cause)


@router.get("/loop-metrics", response=with_errors({200: LoopReportOut}, 404, 422))
def loop_metrics_read(request: HttpRequest, filters: Query[LoopQuery]) -> dict[str, Any]:
    """Closed-loop rate, median times, SLA compliance, unresolved share and recovered
    customers, in total and by week (org time zone); `from`/`to` are dates (default: 90 days)."""
    import zoneinfo

    org = api_org(request)
    zone = zoneinfo.ZoneInfo(org.time_zone)
    from_, to = filters.from_, filters.to
    start = dt.datetime.combine(from_, dt.time(), tzinfo=zone) if from_ else None
    end = dt.datetime.combine(to + dt.timedelta(days=1), dt.time(), tzinfo=zone) if to else None
    team_obj = _team(request, filters.team)
    report = loop_metrics(organization=org, team=team_obj, start=start, end=end)
    return {
        "team": team_obj.pk if team_obj else None,
        "start": report.start,
        "end": report.end,
        "total": report.total.as_dict(),
        "weeks": [{"week_start": w, **m.as_dict()} for w, m in report.weeks],
    }
