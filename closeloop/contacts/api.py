"""REST endpoints for contacts, segments and contact attributes (mounted by api/api.py)."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.contacts import selectors, services
from closeloop.contacts.models import AttributeDefinition, Contact, Segment
from closeloop.contacts.schemas import (
    AttributeIn,
    AttributeOut,
    BulkIn,
    BulkOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    SegmentIn,
    SegmentOut,
)

router = Router(tags=["contacts"])


def _contact(request: HttpRequest, contact_id: uuid.UUID) -> Contact:
    return selectors.access_contact(organization=api_org(request), pk=contact_id)


def _segment(request: HttpRequest, segment_id: uuid.UUID) -> Segment:
    return selectors.access_segment(organization=api_org(request), pk=segment_id)


@router.get("/contacts", response=with_errors({200: list[ContactOut]}, 400, 404, 422))
@paginate(CursorPagination)
def contacts_list(
    request: HttpRequest, q: str = "", kind: str = "", segment: uuid.UUID | None = None
) -> QuerySet[Contact]:
    """Contacts, oldest first; `q` searches names, email, external id and phone."""
    org = api_org(request)
    seg = selectors.access_segment(organization=org, pk=segment) if segment else None
    return selectors.contact_search(organization=org, q=q, kind=kind, segment=seg)


@router.post(
    "/contacts", response=with_errors({201: ContactOut}, 400, 403, 409, 422), auth=write_required
)
def contacts_create(request: HttpRequest, payload: ContactIn) -> Status[Contact]:
    """Create a contact (write scope); a duplicate email or external id is 409 naming it."""
    contact = services.contact_create(
        organization=api_org(request),
        actor=None,
        api_key=api_key(request),
        data=payload.dict(),
    )
    return Status(201, contact)


@router.post(
    "/contacts/bulk", response=with_errors({200: BulkOut}, 400, 403, 422), auth=write_required
)
def contacts_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Create or update up to 1000 contacts matched by email or external id (write scope);
    each item's result names its index and the fields at fault."""
    results = services.contact_bulk_upsert(
        organization=api_org(request),
        items=payload.items,
        match_by=payload.match_by,
        api_key=api_key(request),
    )
    return {
        "created": sum(r.status == "created" for r in results),
        "updated": sum(r.status == "updated" for r in results),
        "errors": sum(r.status == "error" for r in results),
        "results": [r.__dict__ for r in results],
    }


@router.get("/contacts/{contact_id}", response=with_errors({200: ContactOut}, 404))
def contacts_detail(request: HttpRequest, contact_id: uuid.UUID) -> Contact:
    """One contact."""
    return _contact(request, contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response=with_errors({200: ContactOut}, 400, 403, 404, 409, 422),
    auth=write_required,
)
def contacts_update(request: HttpRequest, contact_id: uuid.UUID, payload: ContactPatch) -> Contact:
    """Change a contact's fields (write scope); attributes merge, null removes one."""
    return services.contact_update(
        contact=_contact(request, contact_id),
        actor=None,
        api_key=api_key(request),
        data=payload.dict(exclude_unset=True),
    )


@router.delete(
    "/contacts/{contact_id}", response=with_errors({204: None}, 403, 404), auth=write_required
)
def contacts_erase(request: HttpRequest, contact_id: uuid.UUID) -> Status[None]:
    """GDPR erase (write scope): the identity goes everywhere, answers stay anonymous."""
    services.contact_erase(
        contact=_contact(request, contact_id), actor=None, api_key=api_key(request)
    )
    return Status(204, None)


@router.get("/contacts/{contact_id}/export", response=with_errors({200: dict[str, Any]}, 404))
def contacts_export(request: HttpRequest, contact_id: uuid.UUID) -> dict[str, Any]:
    """Everything stored about a contact (GDPR access request), as JSON."""
    return services.contact_export(contact=_contact(request, contact_id))


def _segment_out(segment: Segment, *, count: bool) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "definition": segment.definition,
        "contact_count": selectors.segment_contacts(segment=segment).count() if count else None,
        "created_at": segment.created_at,
    }


@router.get("/segments", response=with_errors({200: list[SegmentOut]}, 400, 422))
@paginate(CursorPagination)
def segments_list(request: HttpRequest) -> QuerySet[Segment]:
    """Segments, oldest first."""
    return selectors.segment_list(organization=api_org(request))


@router.post(
    "/segments", response=with_errors({201: SegmentOut}, 400, 403, 409, 422), auth=write_required
)
def segments_create(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    """Save a segment (write scope); a bad rule is 400 naming it, e.g. definition.rules[1].op."""
    segment = services.segment_create(
        organization=api_org(request),
        name=payload.name,
        description=payload.description,
        definition=payload.definition,
        actor=None,
        api_key=api_key(request),
    )
    return Status(201, _segment_out(segment, count=True))


@router.get("/segments/{segment_id}", response=with_errors({200: SegmentOut}, 404))
def segments_detail(request: HttpRequest, segment_id: uuid.UUID) -> dict[str, Any]:
    """One segment, with how many contacts match it now."""
    return _segment_out(_segment(request, segment_id), count=True)


@router.get(
    "/segments/{segment_id}/contacts",
    response=with_errors({200: list[ContactOut]}, 400, 404, 422),
)
@paginate(CursorPagination)
def segments_contacts(request: HttpRequest, segment_id: uuid.UUID) -> QuerySet[Contact]:
    """The contacts in a segment now."""
    return selectors.segment_contacts(segment=_segment(request, segment_id))


@router.get("/contact-attributes", response=with_errors({200: list[AttributeOut]}, 400, 422))
@paginate(CursorPagination)
def attributes_list(request: HttpRequest) -> QuerySet[AttributeDefinition]:
    """The organization's typed contact attributes."""
    return selectors.attribute_definitions(organization=api_org(request))


@router.post(
    "/contact-attributes",
    response=with_errors({201: AttributeOut}, 400, 403, 409, 422),
    auth=write_required,
)
def attributes_create(request: HttpRequest, payload: AttributeIn) -> Status[AttributeDefinition]:
    """Define a typed contact attribute (write scope)."""
    definition = services.attribute_definition_create(
        organization=api_org(request),
        key=payload.key,
        label=payload.label,
        type=payload.type,
        actor=None,
        api_key=api_key(request),
    )
    return Status(201, definition)
