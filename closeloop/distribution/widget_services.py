"""Writes for website widgets: staff set-up, and what the public script does (identify a visitor,
record a show or a dismissal, store an answer) under the same frequency rules as every channel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.contacts.choices import DedupeBy
from closeloop.contacts.models import AttributeDefinition, Contact
from closeloop.contacts.services import (
    ContactInvalid,
    clean_contact_data,
    contact_upsert_values,
    find_existing,
)
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.distribution.choices import InvitationStatus, ListeningChannel, WidgetPlacement
from closeloop.distribution.frequency import frequency_check
from closeloop.distribution.invitations import invitation_advance, invitation_create
from closeloop.distribution.models import Invitation, ListeningPost, Touchpoint, Widget
from closeloop.responses import ratelimit
from closeloop.responses.choices import Channel
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.surveys.choices import SurveyStatus

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.surveys.models import Survey

VISITOR_SALT = "closeloop.distribution.widget.visitor"
VISITOR_MAX_AGE = 60 * 60 * 24 * 30
MAX_ORIGINS = 50
TRIGGER_KEYS = ("url_pattern", "min_seconds", "scroll_percent", "exit_intent", "event")
EVENT_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
HOST_RE = re.compile(
    r"^([0-9a-f:.]+|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)$"
)


class WidgetInvalid(DomainError):
    """Widget settings with a field at fault."""

    status = 422


# --- settings ----------------------------------------------------------------------------------


def clean_origin(value: str) -> str:
    """One allowed origin as scheme://host[:port] (lower-case, no path), or WidgetInvalid."""
    text = value.strip()
    parts = urlsplit(text)
    try:
        port = parts.port
        valid = bool(
            parts.scheme in ("http", "https")
            and parts.hostname
            and HOST_RE.match(parts.hostname)
            and parts.username is None
            and parts.path in ("", "/")
            and not parts.query
            and not parts.fragment
        )
    except ValueError:
        valid = False
    if not valid or parts.hostname is None:
        raise WidgetInvalid(
            _("“%(origin)s” is not an origin: write scheme://host or scheme://host:port.")
            % {"origin": text[:100]},
            field="allowed_origins",
            code="validation",
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def clean_origins(values: list[str]) -> list[str]:
    """Allowed origins, validated, without duplicates, in the given order."""
    origins: list[str] = []
    for value in values:
        if not value.strip():
            continue
        origin = clean_origin(value)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise WidgetInvalid(
            _("List at most %(n)d origins.") % {"n": MAX_ORIGINS}, field="allowed_origins"
        )
    return origins


def clean_triggers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Trigger settings with the right types; empty ones are left out."""
    unknown = set(raw) - set(TRIGGER_KEYS)
    if unknown:
        raise WidgetInvalid(
            _("Unknown trigger “%(name)s”.") % {"name": sorted(unknown)[0]}, field="triggers"
        )
    triggers: dict[str, Any] = {}
    pattern = str(raw.get("url_pattern") or "").strip()
    if len(pattern) > 500:
        raise WidgetInvalid(_("The page pattern is too long."), field="triggers.url_pattern")
    if pattern:
        triggers["url_pattern"] = pattern
    for name, high in (("min_seconds", 3600), ("scroll_percent", 100)):
        value = raw.get(name)
        if value in (None, "", 0):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= high:
            raise WidgetInvalid(
                _("Enter a whole number from 1 to %(high)d.") % {"high": high},
                field=f"triggers.{name}",
            )
        triggers[name] = value
    if raw.get("exit_intent"):
        triggers["exit_intent"] = True
    event = str(raw.get("event") or "").strip()
    if event:
        if not EVENT_RE.match(event):
            raise WidgetInvalid(
                _("An event name is letters, digits, and _ . : - (at most 100)."),
                field="triggers.event",
            )
        triggers["event"] = event
    return triggers


def _check_survey(survey: Survey, organization: Organization) -> None:
    if survey.organization_id != organization.pk:
        raise WidgetInvalid(_("Choose one of your surveys."), field="survey")
    version = survey.current_version
    if survey.status != SurveyStatus.ACTIVE or version is None or version.published_at is None:
        raise WidgetInvalid(_("Choose a published, open survey."), field="survey")


def _check_fields(organization: Organization, values: dict[str, Any]) -> dict[str, Any]:
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()[:200]
        if not values["name"]:
            raise WidgetInvalid(_("Give the widget a name."), field="name")
    if "survey" in values:
        _check_survey(values["survey"], organization)
    touchpoint = values.get("touchpoint")
    if touchpoint is not None and touchpoint.organization_id != organization.pk:
        raise WidgetInvalid(_("Choose one of your touchpoints."), field="touchpoint")
    if "placement" in values and values["placement"] not in WidgetPlacement.values:
        raise WidgetInvalid(_("Choose pop-up or slide-in."), field="placement")
    if "allowed_origins" in values:
        values["allowed_origins"] = clean_origins(list(values["allowed_origins"] or []))
    if "triggers" in values:
        values["triggers"] = clean_triggers(values["triggers"] or {})
    if "rate_limit_per_minute" in values:
        rate = values["rate_limit_per_minute"]
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 100_000:
            raise WidgetInvalid(
                _("Enter a whole number from 1 to 100000."), field="rate_limit_per_minute"
            )
    return values


def _listen(widget: Widget) -> None:
    """The journey shows the survey listening at the widget's touchpoint."""
    if widget.touchpoint_id is not None:
        ListeningPost.objects.get_or_create(
            organization=widget.organization,
            touchpoint_id=widget.touchpoint_id,
            survey=widget.survey,
            channel=ListeningChannel.WIDGET,
        )


EDITABLE = (
    "name",
    "survey",
    "touchpoint",
    "placement",
    "allowed_origins",
    "triggers",
    "is_active",
    "rate_limit_per_minute",
)


@transaction.atomic
def widget_create(
    *,
    organization: Organization,
    actor: User | None,
    name: str,
    survey: Survey,
    touchpoint: Touchpoint | None = None,
    placement: str = WidgetPlacement.SLIDE_IN,
    allowed_origins: list[str] | None = None,
    triggers: Mapping[str, Any] | None = None,
    is_active: bool = True,
    rate_limit_per_minute: int = 120,
    api_key: ApiKey | None = None,
) -> Widget:
    """Create a widget showing a published survey on the listed origins."""
    values = _check_fields(
        organization,
        {
            "name": name,
            "survey": survey,
            "touchpoint": touchpoint,
            "placement": placement,
            "allowed_origins": allowed_origins or [],
            "triggers": dict(triggers or {}),
            "is_active": bool(is_active),
            "rate_limit_per_minute": rate_limit_per_minute,
        },
    )
    widget = Widget.objects.create(organization=organization, **values)
    _listen(widget)
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="widget.created",
        target=widget, data={"survey": str(survey.pk)},
    )  # fmt: skip
    return widget


@transaction.atomic
def widget_update(
    *,
    widget: Widget,
    actor: User | None,
    changes: Mapping[str, Any],
    api_key: ApiKey | None = None,
) -> Widget:
    """Change a widget's settings (only the given fields)."""
    values = _check_fields(widget.organization, {k: v for k, v in changes.items() if k in EDITABLE})
    for name, value in values.items():
        setattr(widget, name, value)
    widget.save()
    _listen(widget)
    activity_record(
        organization=widget.organization, actor=actor, api_key=api_key, verb="widget.updated",
        target=widget, data={"fields": sorted(values)},
    )  # fmt: skip
    return widget


@transaction.atomic
def widget_delete(*, widget: Widget, actor: User | None, api_key: ApiKey | None = None) -> None:
    """Delete a widget; pages that still carry its snippet show nothing."""
    activity_record(
        organization=widget.organization, actor=actor, api_key=api_key, verb="widget.deleted",
        data={"name": widget.name, "key": widget.public_key},
    )  # fmt: skip
    widget.delete()


# --- the public script -------------------------------------------------------------------------


def origin_allowed(*, widget: Widget, origin: str | None, own_origin: str) -> bool:
    """Whether a browser request from `origin` may use the widget: exactly one of its allowed
    origins, or this app's own origin (the staff preview page)."""
    if not origin:
        return False
    return origin == own_origin or origin in (widget.allowed_origins or [])


def widget_rate_limited(*, widget: Widget) -> int | None:
    """Count one request against the widget's per-minute limit; seconds to wait when over it."""
    return ratelimit.hit("widget", widget.public_key, widget.rate_limit_per_minute)


def visitor_token(*, widget: Widget, contact: Contact) -> str:
    """A signed reference to an identified visitor, handed to the script for later calls."""
    return signing.dumps({"w": str(widget.pk), "c": str(contact.pk)}, salt=VISITOR_SALT)


def visitor_contact(*, widget: Widget, token: str | None) -> Contact | None:
    """The contact a visitor token names, if it is valid for this widget and the contact remains."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_SALT, max_age=VISITOR_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("w") != str(widget.pk):
        return None
    try:
        contact_id = uuid.UUID(str(data.get("c")))
    except ValueError:
        return None
    return Contact.objects.filter(
        organization=widget.organization, pk=contact_id, erased_at__isnull=True
    ).first()


@dataclass
class Identified:
    """What identify did: the contact, whether the survey may be shown now, and why not."""

    contact: Contact
    show: bool
    reason: str | None
    ignored: list[str] = field(default_factory=list)


def _unchanged(contact: Contact, values: Mapping[str, Any]) -> bool:
    for name, value in values.items():
        if name == "attributes":
            if any(contact.attributes.get(k) != v for k, v in value.items()):
                return False
        elif getattr(contact, name) != value:
            return False
    return True


@transaction.atomic
def widget_identify(
    *,
    widget: Widget,
    external_id: str | None,
    email: str | None,
    attributes: Mapping[str, Any] | None = None,
    now: Any = None,
) -> Identified:
    """Create or update the visitor's contact (by external id, else email) and tell whether the
    frequency rules allow showing the survey to them now. Unknown attributes are ignored."""
    organization = widget.organization
    data: dict[str, Any] = {}
    if external_id:
        data["external_id"] = str(external_id)
    if email:
        data["email"] = str(email)
    if not data:
        raise ContactInvalid({"id": _("Give an id or an email address.")})
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(organization=organization)}
    values, errors = clean_contact_data({**data, "attributes": dict(attributes or {})}, definitions)
    ignored = sorted(k.removeprefix("attributes.") for k in errors if k.startswith("attributes."))
    errors = {k: v for k, v in errors.items() if not k.startswith("attributes.")}
    if errors:
        raise ContactInvalid(errors)
    match_by = DedupeBy.EXTERNAL_ID if values.get("external_id") else DedupeBy.EMAIL
    existing = find_existing(organization, values, match_by)
    if existing is not None and existing.erased_at is None and _unchanged(existing, values):
        contact = existing
    else:
        contact, created = contact_upsert_values(
            organization=organization, values=values, match_by=match_by
        )
        if created:
            activity_record(
                organization=organization, verb="contact.created", target=contact,
                data={"source": "widget", "widget": str(widget.pk)},
            )  # fmt: skip
    reason = frequency_check(
        organization=organization,
        survey=widget.survey,
        contact=contact,
        channel=ListeningChannel.WIDGET,
        now=now,
    )
    return Identified(contact=contact, show=reason is None, reason=reason, ignored=ignored)


def widget_shown(*, widget: Widget, contact: Contact | None) -> Invitation | None:
    """Record that the survey was shown to an identified visitor: a widget invitation, sent, so
    it counts against the frequency rules (or suppressed, naming the rule). None if anonymous."""
    if contact is None:
        return None
    invitation = invitation_create(
        organization=widget.organization,
        survey=widget.survey,
        contact=contact,
        channel=ListeningChannel.WIDGET,
        touchpoint=widget.touchpoint,
    )
    if invitation.status == InvitationStatus.QUEUED:
        invitation_advance(invitation_id=invitation.pk, status=InvitationStatus.SENT)
        invitation.refresh_from_db()
    return invitation


def _invitation(widget: Widget, invitation_id: Any, contact: Contact | None) -> Invitation | None:
    if contact is None or not invitation_id:
        return None
    try:
        pk = uuid.UUID(str(invitation_id))
    except ValueError:
        return None
    return Invitation.objects.filter(
        organization=widget.organization,
        survey=widget.survey,
        contact=contact,
        channel=ListeningChannel.WIDGET,
        pk=pk,
    ).first()


def widget_dismissed(*, widget: Widget, contact: Contact | None, invitation_id: Any) -> bool:
    """The visitor closed the survey without answering: the invitation is declined (once)."""
    invitation = _invitation(widget, invitation_id, contact)
    if invitation is None:
        return False
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, declined_at__isnull=True, completed_at__isnull=True
        ).update(declined_at=timezone.now(), updated_at=timezone.now())
    )


def widget_response_submit(
    *,
    widget: Widget,
    answers: Mapping[str, Any],
    language: str | None,
    hidden: Mapping[str, Any] | None,
    contact: Contact | None,
    invitation_id: Any = None,
    idempotency_key: str | None = None,
) -> Response:
    """Store the visitor's answers as a completed response on the widget channel, like any
    other response (validated by the survey, announced to automation and analytics); the
    invitation, if any, is completed. ResponseValidationError names the question at fault."""
    invitation = _invitation(widget, invitation_id, contact)
    key = f"widget:{idempotency_key}"[:100] if idempotency_key else None
    with transaction.atomic():
        response = response_create_complete(
            survey=widget.survey,
            answers=dict(answers),
            channel=Channel.WIDGET,
            language=language,
            hidden=dict(hidden or {}),
            contact_id=contact.pk if contact is not None else None,
            idempotency_key=key,
        )
        link_id = invitation.personal_link_id if invitation is not None else None
        if response.touchpoint_id is None and (widget.touchpoint_id or link_id):
            # The response.completed handlers run after commit and see these too.
            Response.objects.filter(pk=response.pk).update(
                touchpoint_id=widget.touchpoint_id, personal_link_id=link_id
            )
            response.touchpoint_id = widget.touchpoint_id
        if invitation is not None:
            Invitation.objects.filter(pk=invitation.pk, response__isnull=True).update(
                response=response
            )
            invitation_advance(
                invitation_id=invitation.pk,
                status=InvitationStatus.COMPLETED,
                at=response.completed_at,
            )
    return response
