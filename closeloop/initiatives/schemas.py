"""API schemas of initiatives.

No `from __future__ import annotations`: ninja evaluates annotations at import."""

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema

from closeloop.initiatives.models import Initiative

StatusName = Literal["proposed", "planned", "in_progress", "shipped", "measured", "dropped"]
MetricName = Literal["nps", "csat", "ces", "theme_share"]
OriginName = Literal["manual", "theme", "root_cause", "cases", "idea"]


class InitiativeOut(Schema):
    """An initiative."""

    id: uuid.UUID
    number: int = Field(description='Shown as "I-<number>".')
    title: str
    description: str
    status: str
    origin: str
    owner_team: uuid.UUID | None
    owner_team_name: str | None
    owner: str | None = Field(description="The owner's email.")
    contributors: list[uuid.UUID] = Field(description="Ids of the contributing teams.")
    due_date: dt.date | None
    target_metric: str
    target_survey: uuid.UUID | None
    target_touchpoint: uuid.UUID | None
    target_segment: uuid.UUID | None
    target_theme: uuid.UUID | None
    expected_change: float | None = Field(description="In the metric's points.")
    before_days: int
    after_days: int
    shipped_at: dt.datetime | None
    measured_at: dt.datetime | None
    dropped_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner_team(obj: Initiative) -> Any:
        return obj.owner_team_id

    @staticmethod
    def resolve_owner_team_name(obj: Initiative) -> str | None:
        return obj.owner_team.name if obj.owner_team else None

    @staticmethod
    def resolve_owner(obj: Initiative) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_contributors(obj: Initiative) -> list[Any]:
        return [t.pk for t in obj.contributors.all()]

    @staticmethod
    def resolve_target_survey(obj: Initiative) -> Any:
        return obj.target_survey_id

    @staticmethod
    def resolve_target_touchpoint(obj: Initiative) -> Any:
        return obj.target_touchpoint_id

    @staticmethod
    def resolve_target_segment(obj: Initiative) -> Any:
        return obj.target_segment_id

    @staticmethod
    def resolve_target_theme(obj: Initiative) -> Any:
        return obj.target_theme_id


class LinkedIdeaOut(Schema):
    """An idea linked to the initiative, with its votes."""

    id: uuid.UUID
    number: int
    title: str
    status: str
    vote_count: int


class LinkedThemeOut(Schema):
    id: uuid.UUID
    key: str
    name: str
    comment_count: int


class InitiativeDetailOut(InitiativeOut):
    """An initiative with its links, the votes of its ideas and its impact figures."""

    themes: list[LinkedThemeOut]
    root_causes: list[uuid.UUID]
    cases: list[uuid.UUID]
    contacts: list[uuid.UUID] = Field(description="Contacts linked directly.")
    ideas: list[LinkedIdeaOut]
    votes: int = Field(description="Votes of the linked ideas, in all.")
    allowed_statuses: list[str] = Field(description="The statuses it may move to now.")
    impact: dict[str, Any] | None = Field(
        description="Before/after figures of the target metric with n and margins, once shipped "
        "(frozen when measured); null before."
    )

    @staticmethod
    def resolve_themes(obj: Any) -> Any:
        return obj._api_themes

    @staticmethod
    def resolve_root_causes(obj: Any) -> Any:
        return obj._api_root_causes

    @staticmethod
    def resolve_cases(obj: Any) -> Any:
        return obj._api_cases

    @staticmethod
    def resolve_contacts(obj: Any) -> Any:
        return obj._api_contacts

    @staticmethod
    def resolve_ideas(obj: Any) -> Any:
        return obj._api_ideas

    @staticmethod
    def resolve_votes(obj: Any) -> Any:
        return obj._api_votes

    @staticmethod
    def resolve_allowed_statuses(obj: Any) -> Any:
        return obj._api_allowed_statuses

    @staticmethod
    def resolve_impact(obj: Any) -> Any:
        return obj._api_impact


class InitiativeIn(Schema):
    """A new initiative. Links are lists of ids of the organization's objects."""

    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    origin: OriginName = "manual"
    owner_team: uuid.UUID | None = None
    owner: str | None = Field(None, description="The owner's email (a member).")
    contributors: list[uuid.UUID] = []
    due_date: dt.date | None = None
    target_metric: MetricName = "nps"
    target_survey: uuid.UUID | None = None
    target_touchpoint: uuid.UUID | None = None
    target_segment: uuid.UUID | None = None
    target_theme: uuid.UUID | None = None
    expected_change: float | None = None
    before_days: int = Field(60, ge=7, le=365)
    after_days: int = Field(60, ge=7, le=365)
    themes: list[uuid.UUID] = []
    root_causes: list[uuid.UUID] = []
    cases: list[uuid.UUID] = []
    contacts: list[uuid.UUID] = []
    ideas: list[uuid.UUID] = []


class InitiativePatch(Schema):
    """Fields to change; those left out stay. A link list replaces the current links."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    owner_team: uuid.UUID | None = None
    owner: str | None = None
    contributors: list[uuid.UUID] | None = None
    due_date: dt.date | None = None
    target_metric: MetricName | None = None
    target_survey: uuid.UUID | None = None
    target_touchpoint: uuid.UUID | None = None
    target_segment: uuid.UUID | None = None
    target_theme: uuid.UUID | None = None
    expected_change: float | None = None
    before_days: int | None = Field(None, ge=7, le=365)
    after_days: int | None = Field(None, ge=7, le=365)
    themes: list[uuid.UUID] | None = None
    root_causes: list[uuid.UUID] | None = None
    cases: list[uuid.UUID] | None = None
    contacts: list[uuid.UUID] | None = None
    ideas: list[uuid.UUID] | None = None


class InitiativeTransitionIn(Schema):
    """Move to another status; dropping needs a reason."""

    status: StatusName
    reason: str = Field("", max_length=300)
