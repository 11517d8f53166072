"""Contacts, segments and imports for tests, made through the services."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Organization
from closeloop.contacts.importers import contact_import_create
from closeloop.contacts.models import Contact, ContactImport, Segment
from closeloop.contacts.services import contact_create, segment_create


def make_contact(organization: Organization, **data: Any) -> Contact:
    data.setdefault("email", f"contact-{Contact.objects.count() + 1}@example.com")
    return contact_create(organization=organization, actor=None, data=data)


def make_segment(organization: Organization, name: str = "Isolation segment") -> Segment:
    return segment_create(
        organization=organization,
        name=name,
        definition={"match": "all", "rules": [{"field": "kind", "op": "eq", "value": "customer"}]},
        actor=None,
    )


def make_import(organization: Organization) -> ContactImport:
    return contact_import_create(
        organization=organization,
        file_name="isolation.csv",
        content=b"email,first_name\nisolation@example.com,Iso\n",
        created_by=None,
    )
