"""API schemas for contacts, segments and attribute definitions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema


class ContactIn(Schema):
    """A new contact: at least an email, a phone or an external id."""

    kind: Literal["customer", "employee"] = "customer"
    email: str | None = None
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    language: str = ""
    external_id: str | None = None
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Values of defined attributes, typed by their definition."
    )


class ContactPatch(Schema):
    """Fields to change; attributes merge, and a null attribute value removes it."""

    kind: Literal["customer", "employee"] | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    external_id: str | None = None
    attributes: dict[str, Any] | None = None


class ContactOut(Schema):
    """A contact."""

    id: uuid.UUID
    kind: str
    email: str | None
    phone: str
    first_name: str
    last_name: str
    language: str
    external_id: str | None
    attributes: dict[str, Any]
    subscribed: bool = Field(description="False once unsubscribed or erased.")
    unsubscribed_at: dt.datetime | None
    erased_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_subscribed(obj: Any) -> bool:
        return bool(obj.is_subscribed)


class BulkIn(Schema):
    """Up to 1000 contacts to create or update, matched by email or external id."""

    match_by: Literal["email", "external_id"] = "email"
    items: list[dict[str, Any]] = Field(max_length=1000)


class BulkError(Schema):
    field: str
    message: str


class BulkItemOut(Schema):
    """What happened to one item: created, updated or error (with the fields at fault)."""

    index: int
    status: Literal["created", "updated", "error"]
    id: uuid.UUID | None = None
    errors: list[BulkError] = []


class BulkOut(Schema):
    created: int
    updated: int
    errors: int
    results: list[BulkItemOut]


class SegmentIn(Schema):
    """A segment: a name and rules (see the contacts guide for the rule format)."""

    name: str
    description: str = ""
    definition: dict[str, Any] = Field(
        description='{"match": "all"|"any", "rules": [{"field": ..., "op": ..., "value": ...}, '
        '{"survey_history": ..., "survey": <id>|null, "within_days": 90}]}'
    )


class SegmentOut(Schema):
    """A segment and how many contacts it holds now."""

    id: uuid.UUID
    name: str
    description: str
    definition: dict[str, Any]
    contact_count: int | None = None
    created_at: dt.datetime


class AttributeIn(Schema):
    """A typed contact attribute."""

    key: str
    label: str = ""
    type: Literal["text", "number", "date", "boolean"] = "text"


class AttributeOut(Schema):
    id: uuid.UUID
    key: str
    label: str
    type: str
    created_at: dt.datetime
