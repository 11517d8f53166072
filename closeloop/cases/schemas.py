"""API schemas of cases, root causes and loop metrics.

No `from __future__ import annotations`: ninja evaluates annotations at import."""

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from closeloop.cases.models import Case, CaseEvent

StatusName = Literal["new", "open", "waiting_on_customer", "resolved", "closed", "reopened"]
PriorityName = Literal["low", "normal", "high", "urgent"]


class CaseOut(Schema):
    """A case."""

    id: uuid.UUID
    number: int
    title: str
    status: str
    priority: str
    team: uuid.UUID | None
    team_name: str | None
    assignee: uuid.UUID | None = Field(description="The assignee's membership id.")
    assignee_email: str | None
    contact: uuid.UUID | None
    response: uuid.UUID | None
    tags: list[str]
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    sla_started_at: dt.datetime | None = Field(
        description="When the SLA clock started: the opening, or the last reopening."
    )
    waiting_since: dt.datetime | None = Field(
        description="Waiting on the customer since (the SLA clock is paused), or null."
    )
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    breached_first_response: bool
    breached_resolution: bool
    escalated_at: dt.datetime | None
    root_cause: str | None
    resolution_note: str
    follow_up_sent_at: dt.datetime | None
    follow_up_resolved: bool | None
    follow_up_score: int | None
    original_score: int | None
    recovered: bool | None
    rule: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_team(obj: Case) -> Any:
        return obj.team_id

    @staticmethod
    def resolve_team_name(obj: Case) -> str | None:
        return obj.team.name if obj.team else None

    @staticmethod
    def resolve_assignee(obj: Case) -> Any:
        return obj.assignee_id

    @staticmethod
    def resolve_assignee_email(obj: Case) -> str | None:
        return obj.assignee.user.email if obj.assignee else None

    @staticmethod
    def resolve_contact(obj: Case) -> Any:
        return obj.contact_id

    @staticmethod
    def resolve_response(obj: Case) -> Any:
        return obj.response_id

    @staticmethod
    def resolve_root_cause(obj: Case) -> str | None:
        return obj.root_cause.name if obj.root_cause else None


class CaseEventOut(Schema):
    """One timeline entry."""

    kind: str
    actor: str | None = Field(description="The email of the member who acted, if one did.")
    actor_label: str = Field(
        description='Who acted: a member\'s name, "API key <name>", the customer or the system.'
    )
    api_key: uuid.UUID | None = Field(description="The API key that acted, if one did.")
    data: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: CaseEvent) -> str | None:
        return obj.actor.email if obj.actor else None

    @staticmethod
    def resolve_actor_label(obj: CaseEvent) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_api_key(obj: CaseEvent) -> Any:
        return obj.api_key_id


class CaseDetailOut(CaseOut):
    """A case with its timeline (oldest first)."""

    timeline: list[CaseEventOut]


class CaseIn(Schema):
    """A case opened by hand."""

    model_config = ConfigDict(extra="forbid")

    title: str
    team: uuid.UUID | None = None
    priority: PriorityName = "normal"
    contact: uuid.UUID | None = None
    response: uuid.UUID | None = None
    assignee: uuid.UUID | None = Field(None, description="A membership id; else by strategy.")
    assignee_strategy: Literal["round_robin", "least_open", "none"] = "round_robin"
    tags: list[str] = Field(default_factory=list)


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to_status: StatusName = Field(description="Resolving needs /resolve (root cause and note).")
    note: str = ""


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    assignee: uuid.UUID | None = Field(
        None, description="A membership id, or null: nobody (leave out to keep)."
    )
    team: uuid.UUID | None = Field(None, description="Move to this team (leave out to keep).")


class CasePatch(Schema):
    """Changes to a case; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    priority: PriorityName | None = Field(
        None, description="A new priority: the due times not yet met follow its SLA policy."
    )
    team: uuid.UUID | None = Field(
        None, description="Move to this team (null: no team); its SLA policy applies."
    )
    assignee: uuid.UUID | None = Field(None, description="A membership id, or null: nobody.")


class TagsIn(Schema):
    """Tags to add and tags to remove (case-insensitive)."""

    model_config = ConfigDict(extra="forbid")

    add: list[str] = Field(default_factory=list, max_length=20)
    remove: list[str] = Field(default_factory=list, max_length=100)


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str


class NoteOut(Schema):
    kind: str
    body: str
    created_at: dt.datetime


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="The message; {{placeholders}} are filled in.")
    subject: str = ""
    template: uuid.UUID | None = None


class ReplyOut(Schema):
    id: uuid.UUID
    subject: str
    body: str
    to_email: str
    reply_link: str
    delivery: uuid.UUID | None
    delivery_status: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_delivery(obj: Any) -> Any:
        return obj.delivery_id

    @staticmethod
    def resolve_delivery_status(obj: Any) -> str | None:
        return obj.delivery.status if obj.delivery else None


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    root_cause: uuid.UUID
    note: str


class RootCauseOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    is_active: bool


class RootCauseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""


class LoopMetricsOut(Schema):
    """Loop metrics; rates are 0..1 (null without data), times in hours."""

    detractors: int
    detractors_contacted: int
    closed_loop_rate: float | None
    cases: int
    median_first_response_hours: float | None
    first_response_n: int
    median_resolution_hours: float | None
    resolution_n: int
    sla_compliance: float | None
    sla_decided: int
    sla_met: int
    unresolved_share: float | None
    unresolved: int
    recovered: int


class LoopWeekOut(LoopMetricsOut):
    week_start: dt.date


class LoopReportOut(Schema):
    team: uuid.UUID | None
    start: dt.datetime
    end: dt.datetime
    total: LoopMetricsOut
    weeks: list[LoopWeekOut]
