"""REST endpoints for initiatives: list, create, read (links, votes of linked ideas, impact
figures), change fields and links, and move between statuses. Write keys write; read keys only
read. What a key does is on the initiative's activity as "API key <name>".

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import uuid
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError
from closeloop.initiatives import selectors, services
from closeloop.initiatives.choices import InitiativeStatus
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.schemas import (
    InitiativeDetailOut,
    InitiativeIn,
    InitiativeOut,
    InitiativePatch,
    InitiativeTransitionIn,
)

router = Router(tags=["initiatives"])

REFS: dict[str, tuple[str, str]] = {
    "owner_team": ("closeloop.accounts.models", "Team"),
    "contributors": ("closeloop.accounts.models", "Team"),
    "target_survey": ("closeloop.surveys.models", "Survey"),
    "target_touchpoint": ("closeloop.distribution.models", "Touchpoint"),
    "target_segment": ("closeloop.contacts.models", "Segment"),
    "target_theme": ("closeloop.text.models", "Theme"),
    "themes": ("closeloop.text.models", "Theme"),
    "root_causes": ("closeloop.cases.models", "RootCause"),
    "cases": ("closeloop.cases.models", "Case"),
    "contacts": ("closeloop.contacts.models", "Contact"),
    "ideas": ("closeloop.initiatives.models", "Idea"),
}
LISTS = ("contributors", "themes", "root_causes", "cases", "contacts", "ideas")


def _model(field: str) -> type[Model]:
    import importlib

    module, name = REFS[field]
    model: type[Model] = getattr(importlib.import_module(module), name)
    return model


def _one(org: Organization, field: str, pk: uuid.UUID | None) -> Any:
    """The org's object of that id, or a 400 naming the field (never another org's)."""
    if pk is None:
        return None
    obj = _model(field)._default_manager.filter(organization=org, pk=pk).first()
    if obj is None:
        raise DomainError(_("No such item in your organization: %(id)s.") % {"id": pk}, field=field)
    return obj


def _many(org: Organization, field: str, ids: list[uuid.UUID]) -> list[Any]:
    found = {o.pk: o for o in _model(field)._default_manager.filter(organization=org, pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise DomainError(
            _("No such item in your organization: %(id)s.") % {"id": ", ".join(missing)},
            field=field,
        )
    return [found[i] for i in dict.fromkeys(ids)]


def _owner(org: Organization, email: str | None) -> User | None:
    if not email:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=org, user__email__iexact=email.strip())
        .first()
    )
    if membership is None:
        raise DomainError(_("The owner must be a member of your organization."), field="owner")
    return membership.user


def _impact(initiative: Initiative) -> dict[str, Any] | None:
    """The impact figures once shipped (frozen ones when measured), else null."""
    if initiative.status not in (InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED):
        return None
    if initiative.status == InitiativeStatus.MEASURED and initiative.impact:
        return dict(initiative.impact)
    from closeloop.initiatives.impact import impact_snapshot

    return impact_snapshot(initiative)


def _detail(initiative: Initiative) -> Initiative:
    org = initiative.organization
    fresh = selectors.access_initiative(organization=org, pk=initiative.pk)
    links = selectors.initiative_links(fresh)
    language = org.default_language or "en"
    extra: dict[str, Any] = {
        "themes": [
            {
                "id": t.pk,
                "key": t.key,
                "name": t.name_in(language),
                "comment_count": getattr(t, "comment_count", 0),
            }
            for t in links.themes
        ],
        "root_causes": [r.pk for r in links.root_causes],
        "cases": [c.pk for c in links.cases],
        "contacts": list(fresh.contacts.values_list("pk", flat=True)),
        "ideas": links.ideas,
        "votes": links.votes,
        "allowed_statuses": services.allowed_statuses(fresh.status),
        "impact": _impact(fresh),
    }
    for key, value in extra.items():
        setattr(fresh, f"_api_{key}", value)
    return fresh


def _initiative(request: HttpRequest, initiative_id: uuid.UUID) -> Initiative:
    return selectors.access_initiative(organization=api_org(request), pk=initiative_id)


@router.get("/initiatives", response=with_errors({200: list[InitiativeOut]}, 400, 422))
@paginate(CursorPagination)
def initiatives_list(
    request: HttpRequest, team: str = "", status: str = "", q: str = ""
) -> QuerySet[Initiative]:
    """Initiatives, oldest first. Filters: team (id: owned or contributed to), status (comma
    separated), q (title, description or I-number)."""
    org = api_org(request)
    team_obj: Team | None = None
    if team:
        try:
            key = uuid.UUID(team)
        except ValueError:
            raise DomainError(_("Give a team id."), field="team") from None
        team_obj = _one(org, "owner_team", key)
        if team_obj is None:  # pragma: no cover - _one raises
            raise DomainError(_("Give a team id."), field="team")
    statuses = [s for s in status.split(",") if s]
    unknown = [s for s in statuses if s not in InitiativeStatus.values]
    if unknown:
        raise DomainError(
            _("Unknown status: %(list)s.") % {"list": ", ".join(unknown)}, field="status"
        )
    return selectors.initiative_list(organization=org, team=team_obj, status=statuses, search=q)


@router.post(
    "/initiatives",
    response=with_errors({201: InitiativeDetailOut}, 400, 403, 422),
    auth=write_required,
)
def initiatives_create(request: HttpRequest, payload: InitiativeIn) -> Status[Initiative]:
    """Create an initiative (write scope), with its owner, target and links."""
    org = api_org(request)
    initiative = services.initiative_create(
        organization=org,
        actor=None,
        api_key=api_key(request),
        title=payload.title,
        description=payload.description,
        origin=payload.origin,
        owner_team=_one(org, "owner_team", payload.owner_team),
        owner=_owner(org, payload.owner),
        contributors=_many(org, "contributors", payload.contributors),
        due_date=payload.due_date,
        target_metric=payload.target_metric,
        target_survey=_one(org, "target_survey", payload.target_survey),
        target_touchpoint=_one(org, "target_touchpoint", payload.target_touchpoint),
        target_segment=_one(org, "target_segment", payload.target_segment),
        target_theme=_one(org, "target_theme", payload.target_theme),
        expected_change=payload.expected_change,
        before_days=payload.before_days,
        after_days=payload.after_days,
        themes=_many(org, "themes", payload.themes),
        root_causes=_many(org, "root_causes", payload.root_causes),
        cases=_many(org, "cases", payload.cases),
        contacts=_many(org, "contacts", payload.contacts),
        ideas=_many(org, "ideas", payload.ideas),
    )
    return Status(201, _detail(initiative))


@router.get("/initiatives/{initiative_id}", response=with_errors({200: InitiativeDetailOut}, 404))
def initiatives_read(request: HttpRequest, initiative_id: uuid.UUID) -> Initiative:
    """An initiative with its links, the votes of its ideas and, once shipped, its impact."""
    return _detail(_initiative(request, initiative_id))


@router.patch(
    "/initiatives/{initiative_id}",
    response=with_errors({200: InitiativeDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def initiatives_update(
    request: HttpRequest, initiative_id: uuid.UUID, payload: InitiativePatch
) -> Initiative:
    """Change fields (those left out stay); a link list (themes, root_causes, cases, contacts,
    ideas, contributors) replaces the current links. The status changes by /transition."""
    initiative = _initiative(request, initiative_id)
    org = initiative.organization
    changes: dict[str, Any] = {}
    for name in payload.model_fields_set:
        value = getattr(payload, name)
        if name in ("title", "target_metric", "before_days", "after_days") and value is None:
            raise DomainError(_("This field cannot be empty."), field=name)
        if name == "owner":
            changes[name] = _owner(org, value)
        elif name in LISTS:
            changes[name] = _many(org, name, value or [])
        elif name in REFS:
            changes[name] = _one(org, name, value)
        else:
            changes[name] = value
    services.initiative_update(
        initiative=initiative, actor=None, api_key=api_key(request), **changes
    )
    return _detail(initiative)


@router.post(
    "/initiatives/{initiative_id}/transition",
    response=with_errors({200: InitiativeDetailOut}, 400, 403, 404, 422),
    auth=write_required,
)
def initiatives_transition(
    request: HttpRequest, initiative_id: uuid.UUID, payload: InitiativeTransitionIn
) -> Initiative:
    """Move to another status; a move not allowed is 400 naming `status` and the allowed ones;
    dropping without a reason is 400 naming `reason`."""
    initiative = services.initiative_transition(
        initiative=_initiative(request, initiative_id),
        to_status=payload.status,
        actor=None,
        api_key=api_key(request),
        reason=payload.reason,
    )
    return _detail(initiative)
