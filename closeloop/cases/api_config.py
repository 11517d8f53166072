"""REST endpoints for the case settings: SLA policies, business hours, holidays, reply templates
and the root-cause taxonomy (reading and adding root causes is in cases/api.py).

Read keys may only GET; every change needs a write key and is recorded as done by that key.
Another organization's ids answer 404. No `from __future__ import annotations`: @paginate
evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict, StringConstraints

from closeloop.accounts.models import Team
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.cases import config, selectors
from closeloop.cases.models import BusinessHours, Holiday, ReplyTemplate, RootCause, SlaPolicy
from closeloop.cases.schemas import PriorityName, RootCauseOut
from closeloop.core.errors import DomainError, NotFoundError

router = Router(tags=["case settings"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Hours = Annotated[Decimal, Field(ge=Decimal("0.25"), max_digits=7, decimal_places=2)]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 is Monday, 6 is Sunday.")]


@contextmanager
def _fields(rename: Callable[[str], str]) -> Iterator[None]:
    """Name a service's refusal after the API's field rather than the form's."""
    try:
        yield
    except DomainError as exc:
        if exc.field:
            exc.field = rename(exc.field)
        raise


# --- SLA policies ---------------------------------------------------------------------------


class SlaPolicyOut(Schema):
    """Due times for a team (null: every team) and a priority (null: any priority)."""

    id: uuid.UUID
    name: str
    team: uuid.UUID | None = Field(description="The team's id; null for every team.")
    team_name: str | None
    priority: str | None = Field(description="low, normal, high or urgent; null for any.")
    first_response_hours: float
    resolution_hours: float
    business_hours_only: bool = Field(description="Count only business hours and skip holidays.")
    escalate_to_lead: bool = Field(description="Email the team's leads when a due time passes.")
    raise_priority: bool = Field(description="Raise the priority one step on breach (once).")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_team(obj: SlaPolicy) -> uuid.UUID | None:
        return obj.team_id

    @staticmethod
    def resolve_team_name(obj: SlaPolicy) -> str | None:
        return obj.team.name if obj.team is not None else None

    @staticmethod
    def resolve_priority(obj: SlaPolicy) -> str | None:
        return obj.priority or None


class SlaPolicyIn(Schema):
    """A new SLA policy; one per team (or every team) and priority (or any)."""

    model_config = ConfigDict(extra="forbid")

    name: OptionalName = ""
    team: uuid.UUID | None = Field(None, description="A team's id; null or absent: every team.")
    priority: PriorityName | None = Field(None, description="Null or absent: any priority.")
    first_response_hours: Hours
    resolution_hours: Hours = Field(description="Not less than first_response_hours.")
    business_hours_only: bool = True
    escalate_to_lead: bool = True
    raise_priority: bool = True


class SlaPolicyPatch(Schema):
    """Changes to an SLA policy; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: OptionalName | None = None
    team: uuid.UUID | None = Field(None, description="A team's id, or null for every team.")
    priority: PriorityName | None = Field(None, description="A priority, or null for any.")
    first_response_hours: Hours | None = None
    resolution_hours: Hours | None = None
    business_hours_only: bool | None = None
    escalate_to_lead: bool | None = None
    raise_priority: bool | None = None


def _team(request: HttpRequest, pk: uuid.UUID | None) -> Team | None:
    if pk is None:
        return None
    try:
        return selectors.access_team(organization=api_org(request), pk=pk)
    except Http404:
        raise NotFoundError(_("There is no such team."), field="team") from None


def _policy(request: HttpRequest, sla_policy_id: uuid.UUID) -> SlaPolicy:
    return selectors.access_sla_policy(organization=api_org(request), pk=sla_policy_id)


def _policy_out(policy: SlaPolicy) -> SlaPolicy:
    return config.sla_policies(organization=policy.organization).get(pk=policy.pk)


@router.get("/sla-policies", response=with_errors({200: list[SlaPolicyOut]}, 400, 422))
@paginate(CursorPagination)
def sla_policies_list(request: HttpRequest) -> QuerySet[SlaPolicy]:
    """The organization's SLA policies. A new case takes the policy of its team and priority,
    else its team's for any priority, else every team's for its priority, else every team's."""
    org = api_org(request)
    config.case_defaults_ensure(organization=org)
    return config.sla_policies(organization=org)


@router.post(
    "/sla-policies",
    response=with_errors({201: SlaPolicyOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def sla_policies_create(request: HttpRequest, payload: SlaPolicyIn) -> Status[SlaPolicy]:
    """Add a policy (write scope); a second policy for the same team and priority is 409."""
    org = api_org(request)
    config.case_defaults_ensure(organization=org)
    data = payload.model_dump()
    data["team"] = _team(request, payload.team)
    data["priority"] = payload.priority or ""
    policy = config.sla_policy_save(organization=org, api_key=api_key(request), **data)
    return Status(201, _policy_out(policy))


@router.get("/sla-policies/{sla_policy_id}", response=with_errors({200: SlaPolicyOut}, 404))
def sla_policies_read(request: HttpRequest, sla_policy_id: uuid.UUID) -> SlaPolicy:
    """One SLA policy."""
    return _policy(request, sla_policy_id)


@router.patch(
    "/sla-policies/{sla_policy_id}",
    response=with_errors({200: SlaPolicyOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def sla_policies_update(
    request: HttpRequest, sla_policy_id: uuid.UUID, payload: SlaPolicyPatch
) -> SlaPolicy:
    """Change a policy (write scope). Open cases keep the due times they have."""
    policy = _policy(request, sla_policy_id)
    given = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {
        "name": policy.name,
        "team": policy.team,
        "priority": policy.priority,
        "first_response_hours": policy.first_response_hours,
        "resolution_hours": policy.resolution_hours,
        "business_hours_only": policy.business_hours_only,
        "escalate_to_lead": policy.escalate_to_lead,
        "raise_priority": policy.raise_priority,
    }
    for key, value in given.items():
        if value is None and key not in ("team", "priority"):
            raise DomainError(_("Give a value, or leave the field out."), field=key)
        data[key] = value
    if "team" in given:
        data["team"] = _team(request, payload.team)
    if "priority" in given:
        data["priority"] = payload.priority or ""
    config.sla_policy_save(
        organization=policy.organization, policy=policy, api_key=api_key(request), **data
    )
    return _policy_out(policy)


@router.delete(
    "/sla-policies/{sla_policy_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def sla_policies_delete(request: HttpRequest, sla_policy_id: uuid.UUID) -> Status[None]:
    """Delete a policy (write scope); cases keep the due times they have."""
    config.sla_policy_delete(policy=_policy(request, sla_policy_id), api_key=api_key(request))
    return Status(204, None)


# --- business hours -------------------------------------------------------------------------


class DayHours(Schema):
    """The opening hours of one weekday."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    opens: dt.time
    closes: dt.time = Field(description="After opens.")


class BusinessHoursOut(Schema):
    """Opening hours in the organization's time zone; a weekday not listed is closed."""

    time_zone: str
    days: list[DayHours]


class BusinessHoursIn(Schema):
    """Every open weekday; the ones left out are closed."""

    model_config = ConfigDict(extra="forbid")

    days: list[DayHours] = Field(max_length=7)


def _hours_out(request: HttpRequest) -> dict[str, Any]:
    org = api_org(request)
    rows = BusinessHours.objects.filter(organization=org).order_by("weekday")
    return {
        "time_zone": org.time_zone,
        "days": [{"weekday": h.weekday, "opens": h.start, "closes": h.end} for h in rows],
    }


@router.get("/business-hours", response=with_errors({200: BusinessHoursOut}))
def business_hours_read(request: HttpRequest) -> dict[str, Any]:
    """The opening hours SLA clocks count in (when a policy counts business hours only)."""
    config.case_defaults_ensure(organization=api_org(request))
    return _hours_out(request)


@router.put(
    "/business-hours", response=with_errors({200: BusinessHoursOut}, 400, 403, 422),
    auth=write_required,
)  # fmt: skip
def business_hours_replace(request: HttpRequest, payload: BusinessHoursIn) -> dict[str, Any]:
    """Replace the opening hours (write scope): list every open weekday."""
    org = api_org(request)
    config.case_defaults_ensure(organization=org)
    hours: dict[int, tuple[dt.time, dt.time] | None] = dict.fromkeys(range(7))
    index: dict[int, int] = {}
    for i, day in enumerate(payload.days):
        if day.weekday in index:
            raise DomainError(_("Each weekday can be listed once."), field=f"days.{i}.weekday")
        index[day.weekday] = i
        hours[day.weekday] = (day.opens, day.closes)

    def rename(field: str) -> str:  # the service names a weekday "day_<n>"
        day = int(field.removeprefix("day_")) if field.startswith("day_") else None
        return f"days.{index[day]}.closes" if day in index else field

    with _fields(rename):
        config.business_hours_set(organization=org, hours=hours, api_key=api_key(request))
    return _hours_out(request)


# --- holidays -------------------------------------------------------------------------------


class HolidayOut(Schema):
    """A day the organization is closed: SLA clocks in business hours skip it."""

    id: uuid.UUID
    date: dt.date
    name: str
    created_at: dt.datetime


class HolidayIn(Schema):
    """A new holiday."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    name: Name


def _holiday(request: HttpRequest, holiday_id: uuid.UUID) -> Holiday:
    return selectors.access_holiday(organization=api_org(request), pk=holiday_id)


@router.get("/holidays", response=with_errors({200: list[HolidayOut]}, 400, 422))
@paginate(CursorPagination)
def holidays_list(request: HttpRequest) -> QuerySet[Holiday]:
    """The organization's holidays, in the order they were added."""
    return Holiday.objects.filter(organization=api_org(request))


@router.post(
    "/holidays", response=with_errors({201: HolidayOut}, 400, 403, 409, 422), auth=write_required
)
def holidays_create(request: HttpRequest, payload: HolidayIn) -> Status[Holiday]:
    """Add a holiday (write scope); a date that is a holiday already is 409."""
    holiday = config.holiday_add(
        organization=api_org(request),
        date=payload.date,
        name=payload.name,
        api_key=api_key(request),
    )
    return Status(201, holiday)


@router.get("/holidays/{holiday_id}", response=with_errors({200: HolidayOut}, 404))
def holidays_read(request: HttpRequest, holiday_id: uuid.UUID) -> Holiday:
    """One holiday."""
    return _holiday(request, holiday_id)


@router.delete(
    "/holidays/{holiday_id}", response=with_errors({204: None}, 403, 404), auth=write_required
)
def holidays_delete(request: HttpRequest, holiday_id: uuid.UUID) -> Status[None]:
    """Remove a holiday (write scope)."""
    config.holiday_delete(holiday=_holiday(request, holiday_id), api_key=api_key(request))
    return Status(204, None)


# --- reply templates ------------------------------------------------------------------------


class TemplateText(Schema):
    """A template's subject and message in one language, with {{placeholders}}."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field("", max_length=280)
    body: str = ""


class ReplyTemplateOut(Schema):
    """A reply agents start from."""

    id: uuid.UUID
    name: str
    is_active: bool
    texts: dict[str, TemplateText] = Field(description='Per language: {"en": {...}, "ko": ...}.')
    created_at: dt.datetime
    updated_at: dt.datetime


class ReplyTemplateIn(Schema):
    """A new reply template: a message in at least one of the app's languages."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    texts: dict[str, TemplateText]
    is_active: bool = True


class ReplyTemplatePatch(Schema):
    """Changes to a reply template; `texts` replaces every language at once."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    texts: dict[str, TemplateText] | None = None
    is_active: bool | None = None


def _template(request: HttpRequest, reply_template_id: uuid.UUID) -> ReplyTemplate:
    return selectors.access_reply_template(organization=api_org(request), pk=reply_template_id)


def _texts_field(field: str) -> str:
    """The form's "body_ko" is the API's "texts.ko.body"."""
    if field.startswith(("body_", "subject_")):
        part, lang = field.split("_", 1)
        return f"texts.{lang}.{part}"
    return field


@router.get("/reply-templates", response=with_errors({200: list[ReplyTemplateOut]}, 400, 422))
@paginate(CursorPagination)
def reply_templates_list(
    request: HttpRequest, active: bool | None = None
) -> QuerySet[ReplyTemplate]:
    """The organization's reply templates; `?active=true` for those agents can pick."""
    qs = config.reply_templates(organization=api_org(request))
    return qs if active is None else qs.filter(is_active=active)


@router.post(
    "/reply-templates",
    response=with_errors({201: ReplyTemplateOut}, 400, 403, 409, 422),
    auth=write_required,
)
def reply_templates_create(request: HttpRequest, payload: ReplyTemplateIn) -> Status[ReplyTemplate]:
    """Add a reply template (write scope); a name in use is 409."""
    with _fields(_texts_field):
        template = config.reply_template_save(
            organization=api_org(request),
            name=payload.name,
            texts=payload.model_dump()["texts"],
            is_active=payload.is_active,
            api_key=api_key(request),
        )
    return Status(201, template)


@router.get(
    "/reply-templates/{reply_template_id}", response=with_errors({200: ReplyTemplateOut}, 404)
)
def reply_templates_read(request: HttpRequest, reply_template_id: uuid.UUID) -> ReplyTemplate:
    """One reply template."""
    return _template(request, reply_template_id)


@router.patch(
    "/reply-templates/{reply_template_id}",
    response=with_errors({200: ReplyTemplateOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def reply_templates_update(
    request: HttpRequest, reply_template_id: uuid.UUID, payload: ReplyTemplatePatch
) -> ReplyTemplate:
    """Rename, rewrite, retire or bring back a reply template (write scope)."""
    template = _template(request, reply_template_id)
    given = payload.model_dump(exclude_unset=True)
    with _fields(_texts_field):
        return config.reply_template_save(
            organization=template.organization,
            name=given.get("name") or template.name,
            texts=given["texts"] if given.get("texts") is not None else template.texts,
            is_active=template.is_active if given.get("is_active") is None else given["is_active"],
            template=template,
            api_key=api_key(request),
        )


@router.delete(
    "/reply-templates/{reply_template_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def reply_templates_delete(request: HttpRequest, reply_template_id: uuid.UUID) -> Status[None]:
    """Delete a reply template (write scope); replies sent from it keep their text."""
    config.reply_template_delete(
        template=_template(request, reply_template_id), api_key=api_key(request)
    )
    return Status(204, None)


# --- root causes (list and add: cases/api.py) -----------------------------------------------


class RootCausePatch(Schema):
    """Changes to a root cause; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(None, max_length=300)
    is_active: bool | None = Field(None, description="False retires it; it stays on past cases.")


def _root_cause(request: HttpRequest, root_cause_id: uuid.UUID) -> RootCause:
    return selectors.access_root_cause(organization=api_org(request), pk=root_cause_id)


@router.get("/root-causes/{root_cause_id}", response=with_errors({200: RootCauseOut}, 404))
def root_causes_read(request: HttpRequest, root_cause_id: uuid.UUID) -> RootCause:
    """One root cause."""
    return _root_cause(request, root_cause_id)


@router.patch(
    "/root-causes/{root_cause_id}",
    response=with_errors({200: RootCauseOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def root_causes_update(
    request: HttpRequest, root_cause_id: uuid.UUID, payload: RootCausePatch
) -> RootCause:
    """Rename, describe, retire or bring back a root cause (write scope)."""
    cause = _root_cause(request, root_cause_id)
    return config.root_cause_update(
        root_cause=cause,
        name=payload.name if payload.name is not None else cause.name,
        description=payload.description if payload.description is not None else cause.description,
        is_active=payload.is_active if payload.is_active is not None else cause.is_active,
        api_key=api_key(request),
    )


@router.delete(
    "/root-causes/{root_cause_id}",
    response=with_errors({204: None}, 403, 404, 409),
    auth=write_required,
)
def root_causes_delete(request: HttpRequest, root_cause_id: uuid.UUID) -> Status[None]:
    """Delete an unused root cause (write scope); one used on cases is 409: retire it instead."""
    config.root_cause_delete(
        root_cause=_root_cause(request, root_cause_id), api_key=api_key(request)
    )
    return Status(204, None)


# --- team inbox tags ------------------------------------------------------------------------


class InboxTagsIn(Schema):
    """The tags a team owns: responses and cases carrying any of them show in its inbox."""

    model_config = ConfigDict(extra="forbid")

    tags: list[Annotated[str, StringConstraints(max_length=60)]] = Field(max_length=200)


class InboxTagsOut(Schema):
    """A team's inbox tags."""

    team: uuid.UUID
    tags: list[str]


@router.put(
    "/teams/{team_id}/inbox-tags",
    response=with_errors({200: InboxTagsOut}, 400, 403, 404, 422),
    auth=write_required,
)
def team_inbox_tags_put(
    request: HttpRequest, team_id: uuid.UUID, payload: InboxTagsIn
) -> dict[str, Any]:
    """Replace the tags a team owns (write scope); its inbox then shows feedback tagged so."""
    team = _team(request, team_id)
    assert team is not None
    with _fields(lambda field: "tags" if field == "inbox_tags" else field):
        config.team_inbox_tags_set(team=team, tags=payload.tags, api_key=api_key(request))
    return {"team": team.pk, "tags": list(team.inbox_tags or [])}
