"""REST endpoints for accounts: who am I, teams, members (mounted by closeloop/api/api.py)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.access import access_object
from closeloop.accounts.models import ApiKey, Membership, Organization, Team
from closeloop.accounts.schemas import MemberOut, MeOut, TeamIn, TeamOut, TeamPatch
from closeloop.accounts.selectors import member_list, team_list
from closeloop.accounts.services import team_create, team_delete, team_update
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors

router = Router(tags=["accounts"])


def _team(request: HttpRequest, team_id: uuid.UUID) -> Team:
    return access_object(
        team_list(organization=api_org(request)), organization=api_org(request), pk=team_id
    )


@router.get("/me", response=with_errors({200: MeOut}))
def me(request: HttpRequest) -> dict[str, Organization | ApiKey]:
    """The calling API key and its organization."""
    key = api_key(request)
    return {"organization": key.organization, "key": key}


@router.get("/teams", response=with_errors({200: list[TeamOut]}, 400, 422))
@paginate(CursorPagination)
def teams_list(request: HttpRequest) -> QuerySet[Team]:
    """The organization's teams, oldest first."""
    return team_list(organization=api_org(request))


@router.post("/teams", response=with_errors({201: TeamOut}, 403, 409, 422), auth=write_required)
def teams_create(request: HttpRequest, payload: TeamIn) -> Status[Team]:
    """Create a team (write scope); a name already in use is 409."""
    team = team_create(
        organization=api_org(request),
        name=payload.name,
        description=payload.description,
        actor=None,
        api_key=api_key(request),
    )
    return Status(201, team)


@router.get("/teams/{team_id}", response=with_errors({200: TeamOut}, 404))
def teams_detail(request: HttpRequest, team_id: uuid.UUID) -> Team:
    """One team."""
    return _team(request, team_id)


@router.patch(
    "/teams/{team_id}",
    response=with_errors({200: TeamOut}, 403, 404, 409, 422),
    auth=write_required,
)
def teams_update(request: HttpRequest, team_id: uuid.UUID, payload: TeamPatch) -> Team:
    """Rename a team or change its description (write scope)."""
    team = _team(request, team_id)
    return team_update(
        team=team,
        name=payload.name if payload.name is not None else team.name,
        description=payload.description if payload.description is not None else team.description,
        actor=None,
        api_key=api_key(request),
    )


@router.delete("/teams/{team_id}", response=with_errors({204: None}, 403, 404), auth=write_required)
def teams_delete(request: HttpRequest, team_id: uuid.UUID) -> Status[None]:
    """Delete a team (write scope); its members stay in the organization."""
    team_delete(team=_team(request, team_id), actor=None, api_key=api_key(request))
    return Status(204, None)


@router.get("/members", response=with_errors({200: list[MemberOut]}, 400, 422))
@paginate(CursorPagination)
def members_list(request: HttpRequest) -> QuerySet[Membership]:
    """The organization's members with their roles and teams, oldest first."""
    return member_list(organization=api_org(request))
