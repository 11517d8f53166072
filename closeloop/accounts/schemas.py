"""API schemas for accounts: the key's organization, teams and members."""

from __future__ import annotations

import uuid
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from closeloop.accounts.models import Membership, Team

TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class OrganizationOut(Schema):
    """The organization an API key belongs to."""

    id: uuid.UUID
    name: str
    slug: str
    time_zone: str
    default_language: str


class ApiKeyOut(Schema):
    """An API key, never its secret."""

    id: uuid.UUID
    name: str
    scope: str


class MeOut(Schema):
    """Who is calling: the key and its organization."""

    organization: OrganizationOut
    key: ApiKeyOut


class TeamOut(Schema):
    """A team (department) of the organization."""

    id: uuid.UUID
    name: str
    slug: str
    description: str
    member_count: int
    inbox_tags: list[str] = Field(
        default_factory=list, description="Tags this team owns (PUT /teams/{id}/inbox-tags)."
    )

    @staticmethod
    def resolve_member_count(obj: Team) -> int:
        # len() of .all() uses the selector's prefetch instead of one COUNT per team
        return len(obj.members.all())


class TeamIn(Schema):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: TeamName
    description: Description = ""


class TeamPatch(Schema):
    """Changes to a team; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: TeamName | None = None
    description: Description | None = None


class TeamRef(Schema):
    """A team a member belongs to."""

    id: uuid.UUID
    name: str
    slug: str


class MemberOut(Schema):
    """A member of the organization and their role."""

    id: uuid.UUID = Field(description="The membership id.")
    email: str
    full_name: str
    role: str
    teams: list[TeamRef]

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_full_name(obj: Membership) -> str:
        return obj.user.full_name

    @staticmethod
    def resolve_teams(obj: Membership) -> list[Team]:
        return sorted(obj.teams.all(), key=lambda t: t.name.lower())
