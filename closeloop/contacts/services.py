"""Writes for contacts: create, update, bulk upsert, consent, attributes, segments, GDPR."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.contacts import gdpr
from closeloop.contacts.attributes import KEY_RE, AttributeValueError, normalize
from closeloop.contacts.choices import AttributeType, ContactKind, DedupeBy
from closeloop.contacts.models import AttributeDefinition, Contact, Segment
from closeloop.contacts.rules import validate_definition
from closeloop.core import events
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User

UNSUBSCRIBE_SALT = "closeloop.contacts.unsubscribe"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,38}$")
FIELDS = ("kind", "email", "phone", "first_name", "last_name", "language", "external_id")
MAX_LENGTHS = {"phone": 40, "first_name": 120, "last_name": 120, "external_id": 200}
MAX_BULK = 1000


class ContactInvalid(DomainError):
    """Contact input with one or more fields at fault; `errors` maps each field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, message = next(iter(errors.items()))
        super().__init__(message, field=first_field, code="validation")
        self.errors = errors


# --- validation --------------------------------------------------------------------------------


def _definitions(organization: Organization) -> dict[str, AttributeDefinition]:
    return {d.key: d for d in AttributeDefinition.objects.filter(organization=organization)}


def clean_attributes(
    raw: Mapping[str, Any], definitions: Mapping[str, AttributeDefinition]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed attribute values (None = remove the key) and errors keyed "attributes.<key>"."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        definition = definitions.get(str(key))
        if definition is None:
            errors[f"attributes.{key}"] = _("There is no attribute “%(key)s”. Define it first.") % {
                "key": key
            }
            continue
        try:
            values[definition.key] = normalize(definition.type, value)
        except AttributeValueError as exc:
            errors[f"attributes.{key}"] = str(exc)
    return values, errors


def clean_contact_data(
    data: Mapping[str, Any], definitions: Mapping[str, AttributeDefinition]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The given contact fields normalised, and a message per field at fault."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if isinstance(raw, float) and raw.is_integer():  # spreadsheets turn ids into floats
            raw = int(raw)
        value = "" if raw is None else str(raw).strip()
        if name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
            errors[name] = _("Keep this under %(max)d characters.") % {"max": MAX_LENGTHS[name]}
            continue
        if name == "kind":
            value = value.lower() or ContactKind.CUSTOMER
            if value not in ContactKind.values:
                errors[name] = _("Kind is “customer” or “employee”.")
                continue
        elif name == "email":
            value = value.lower()
            if value:
                try:
                    validate_email(value)
                except ValidationError:
                    errors[name] = _("Enter a valid email address.")
                    continue
        elif name == "language":
            value = value.lower().replace("_", "-")
            if value and not LANGUAGE_RE.match(value):
                errors[name] = _("Enter a language code such as en, ko or th.")
                continue
        elif name == "phone" and value and not PHONE_RE.match(value):
            errors[name] = _("Enter a phone number of digits, optionally starting with +.")
            continue
        if name in ("email", "external_id"):
            clean[name] = value or None
        else:
            clean[name] = value
    if "attributes" in data and data["attributes"] is not None:
        if not isinstance(data["attributes"], Mapping):
            errors["attributes"] = _("Attributes must be an object of key and value.")
        else:
            values, attr_errors = clean_attributes(data["attributes"], definitions)
            clean["attributes"] = values
            errors.update(attr_errors)
    return clean, errors


def _check_unique(organization: Organization, values: Mapping[str, Any], exclude: Any) -> None:
    for name in ("email", "external_id"):
        value = values.get(name)
        if not value:
            continue
        clash = Contact.objects.filter(organization=organization, **{name: value})
        if exclude is not None:
            clash = clash.exclude(pk=exclude)
        if clash.exists():
            message = (
                _("Another contact already has this email address.")
                if name == "email"
                else _("Another contact already has this external id.")
            )
            raise ConflictError(message, field=name, code="duplicate")


def _merge_attributes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _save(contact: Contact, values: Mapping[str, Any]) -> Contact:
    """Apply cleaned values and save; a unique clash that raced in is a ConflictError."""
    for name, value in values.items():
        if name == "attributes":
            contact.attributes = _merge_attributes(contact.attributes, value)
        else:
            setattr(contact, name, value)
    if not (contact.email or contact.external_id or contact.phone):
        raise ContactInvalid(
            {"email": _("Give an email address, a phone number or an external id.")}
        )
    _check_unique(contact.organization, values, contact.pk if not contact._state.adding else None)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        _check_unique(contact.organization, values, contact.pk)
        raise
    return contact


# --- contacts ----------------------------------------------------------------------------------


def contact_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    data: Mapping[str, Any],
) -> Contact:
    """Create a contact from fields and typed attributes; a duplicate email or id is a conflict."""
    values, errors = clean_contact_data(data, _definitions(organization))
    if errors:
        raise ContactInvalid(errors)
    contact = _save(Contact(organization=organization), values)
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="contact.created",
        target=contact,
    )  # fmt: skip
    return contact


def contact_update(
    *,
    contact: Contact,
    actor: User | None,
    api_key: ApiKey | None = None,
    data: Mapping[str, Any],
) -> Contact:
    """Change the given fields; attributes merge (a null value removes one)."""
    if contact.erased_at is not None:
        raise DomainError(_("This contact was erased and cannot be changed."), code="erased")
    values, errors = clean_contact_data(data, _definitions(contact.organization))
    if errors:
        raise ContactInvalid(errors)
    _save(contact, values)
    activity_record(
        organization=contact.organization, actor=actor, api_key=api_key, verb="contact.updated",
        target=contact, data={"fields": sorted(values)},
    )  # fmt: skip
    return contact


def find_existing(
    organization: Organization, values: Mapping[str, Any], match_by: str
) -> Contact | None:
    """The contact a record stands for: by `match_by`, else by the other key."""
    order = ("email", "external_id") if match_by == DedupeBy.EMAIL else ("external_id", "email")
    for name in order:
        if values.get(name):
            found = Contact.objects.filter(
                organization=organization, **{name: values[name]}
            ).first()
            if found is not None:
                return found
    return None


def contact_upsert_values(
    *, organization: Organization, values: Mapping[str, Any], match_by: str
) -> tuple[Contact, bool]:
    """Update the matching contact with cleaned values or create one; (contact, created)."""
    if not (values.get("email") or values.get("external_id")):
        raise ContactInvalid({"email": _("Give an email address or an external id.")})
    existing = find_existing(organization, values, match_by)
    if existing is not None and existing.erased_at is not None:
        existing = None
    contact = existing or Contact(organization=organization)
    _save(contact, values)
    return contact, existing is None


@dataclass
class BulkResult:
    """What happened to one item of a bulk upsert."""

    index: int
    status: str  # created | updated | error
    id: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def contact_bulk_upsert(
    *,
    organization: Organization,
    items: Sequence[Mapping[str, Any]],
    match_by: str = DedupeBy.EMAIL,
    api_key: ApiKey | None = None,
    actor: User | None = None,
) -> list[BulkResult]:
    """Create or update up to 1000 contacts matched by email or external id; one result each."""
    if match_by not in DedupeBy.values:
        raise DomainError(_("Match by “email” or “external_id”."), field="match_by")
    if len(items) > MAX_BULK:
        raise DomainError(
            _("Send at most %(max)d contacts at a time.") % {"max": MAX_BULK}, field="items"
        )
    definitions = _definitions(organization)
    results: list[BulkResult] = []
    counts = {"created": 0, "updated": 0, "error": 0}
    for index, item in enumerate(items):
        prefix = f"items[{index}]"
        values, errors = clean_contact_data(item, definitions)
        result = BulkResult(index=index, status="error")
        if errors:
            result.errors = [{"field": f"{prefix}.{k}", "message": v} for k, v in errors.items()]
        else:
            try:
                with transaction.atomic():
                    contact, created = contact_upsert_values(
                        organization=organization, values=values, match_by=match_by
                    )
                result.status = "created" if created else "updated"
                result.id = str(contact.pk)
            except DomainError as exc:
                errors = getattr(exc, "errors", None) or {exc.field or "": exc.message}
                result.errors = [
                    {"field": f"{prefix}.{k}" if k else prefix, "message": v}
                    for k, v in errors.items()
                ]
        counts[result.status] += 1
        results.append(result)
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="contacts.bulk_upserted",
        data=counts,
    )  # fmt: skip
    return results


# --- consent -----------------------------------------------------------------------------------


def unsubscribe_token_for(contact: Contact) -> str:
    """A signed token for the contact's one-click unsubscribe link (it never expires)."""
    return signing.dumps(str(contact.pk), salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(contact: Contact) -> str:
    """The absolute one-click unsubscribe link for the contact (for emails and their headers)."""
    path = reverse("contacts_public:unsubscribe", args=[unsubscribe_token_for(contact)])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def list_unsubscribe_headers(contact: Contact) -> dict[str, str]:
    """`List-Unsubscribe` and RFC 8058 `List-Unsubscribe-Post` headers for an email."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def contact_from_unsubscribe_token(token: str) -> Contact | None:
    """The contact a token was made for, or None if it was tampered with or is unknown."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).select_related("organization").first()


def contact_unsubscribe(
    *,
    contact: Contact,
    reason: str = "",
    via: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Contact:
    """Stop sending anything to the contact; unsubscribing twice changes nothing."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.unsubscribed_at is not None:
            return locked
        locked.unsubscribed_at = timezone.now()
        locked.unsubscribe_reason = reason.strip()[:300]
        locked.save(update_fields=["unsubscribed_at", "unsubscribe_reason", "updated_at"])
        activity_record(
            organization=locked.organization, actor=actor, api_key=api_key,
            verb="contact.unsubscribed", target=locked, data={"via": via},
        )  # fmt: skip
        events.emit(
            "contact.unsubscribed",
            contact_id=str(locked.pk),
            organization_id=str(locked.organization_id),
            via=via,
        )
    return locked


def contact_resubscribe(*, contact: Contact, actor: User, reason: str) -> Contact:
    """Staff only: undo an unsubscribe, for a recorded reason (e.g. the customer asked)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why this contact may be contacted again."), field="reason")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.unsubscribed_at is None:
            return locked
        locked.unsubscribed_at = None
        locked.unsubscribe_reason = ""
        locked.save(update_fields=["unsubscribed_at", "unsubscribe_reason", "updated_at"])
        activity_record(
            organization=locked.organization, actor=actor, verb="contact.resubscribed",
            target=locked, data={"reason": reason[:300]},
        )  # fmt: skip
    return locked


# --- GDPR --------------------------------------------------------------------------------------


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """Everything stored about the contact, from every registered exporter."""
    return gdpr.export(contact)


def contact_erase(
    *, contact: Contact, actor: User | None, api_key: ApiKey | None = None
) -> Contact:
    """Erase the contact's identity everywhere; their answers stay, anonymous."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.erased_at is not None:
            return locked
        terms = gdpr.identity_terms(locked)
        gdpr.erase(locked, terms)
        locked.email = None
        locked.external_id = None
        locked.phone = ""
        locked.first_name = ""
        locked.last_name = ""
        locked.attributes = {}
        locked.unsubscribe_reason = ""
        locked.erased_at = timezone.now()
        if locked.unsubscribed_at is None:
            locked.unsubscribed_at = locked.erased_at
        locked.save()
        activity_record(
            organization=locked.organization, actor=actor, api_key=api_key,
            verb="contact.erased", target=locked,
        )  # fmt: skip
    return locked


# --- attribute definitions ---------------------------------------------------------------------


def attribute_definition_create(
    *,
    organization: Organization,
    key: str,
    label: str = "",
    type: str = AttributeType.TEXT,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> AttributeDefinition:
    """Define a typed contact attribute; its key is fixed once created."""
    key = key.strip().lower()
    if not KEY_RE.match(key) or "__" in key:
        raise DomainError(
            _("Use lower-case letters, digits and single underscores, starting with a letter."),
            field="key",
        )
    if type not in AttributeType.values:
        raise DomainError(
            _("Type is one of: %(types)s.") % {"types": ", ".join(AttributeType.values)},
            field="type",
        )
    if AttributeDefinition.objects.filter(organization=organization, key=key).exists():
        raise ConflictError(_("An attribute with this key exists."), field="key", code="duplicate")
    definition = AttributeDefinition.objects.create(
        organization=organization,
        key=key,
        label=label.strip()[:120] or key.replace("_", " ").capitalize(),
        type=type,
    )
    activity_record(
        organization=organization, actor=actor, api_key=api_key,
        verb="contact_attribute.created", target=definition, data={"type": type},
    )  # fmt: skip
    return definition


# --- segments ----------------------------------------------------------------------------------


def _segment_name(organization: Organization, name: str, exclude: Any = None) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the segment a name."), field="name")
    if len(name) > 120:
        raise DomainError(_("Keep the name under 120 characters."), field="name")
    clash = Segment.objects.filter(organization=organization, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ConflictError(_("A segment with this name exists."), field="name", code="duplicate")
    return name


def segment_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    definition: Any,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> Segment:
    """Save a segment: a named, validated set of rules."""
    segment = Segment.objects.create(
        organization=organization,
        name=_segment_name(organization, name),
        description=description.strip(),
        definition=validate_definition(organization, definition),
        created_by=actor,
    )
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="segment.created",
        target=segment,
    )  # fmt: skip
    return segment


def segment_update(
    *,
    segment: Segment,
    name: str,
    description: str = "",
    definition: Any,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> Segment:
    """Rename a segment or change its rules."""
    segment.name = _segment_name(segment.organization, name, exclude=segment.pk)
    segment.description = description.strip()
    segment.definition = validate_definition(segment.organization, definition)
    segment.save()
    activity_record(
        organization=segment.organization, actor=actor, api_key=api_key, verb="segment.updated",
        target=segment,
    )  # fmt: skip
    return segment


def segment_delete(*, segment: Segment, actor: User | None) -> None:
    """Delete a segment; its contacts stay."""
    activity_record(
        organization=segment.organization, actor=actor, verb="segment.deleted", target=segment
    )
    segment.delete()
