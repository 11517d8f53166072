"""Writes for website widgets: staff set-up, and what the public script does (identify a visitor,
record a show or a dismissal, store an answer) under the same frequency rules as every channel."""

from __future__ import annotations

import hashlib
import hmac
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
from django.utils.translation import gettext_lazy

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
from closeloop.core.verbs import register_verbs
from closeloop.distribution.choices import InvitationStatus, ListeningChannel, WidgetPlacement
from closeloop.distribution.frequency import frequency_check
from closeloop.distribution.invitations import invitation_advance, invitation_create
from closeloop.distribution.models import (
    Invitation,
    ListeningPost,
    Touchpoint,
    Widget,
    new_identity_secret,
)
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

register_verbs(
    {
        "widget.created": gettext_lazy("created a website widget"),
        "widget.updated": gettext_lazy("changed a website widget"),
        "widget.deleted": gettext_lazy("deleted a website widget"),
        "widget.secret_regenerated": gettext_lazy("regenerated a widget's identity secret"),
    }
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
    for name in ("rate_limit_per_minute", "rate_limit_per_ip"):
        if name not in values:
            continue
        rate = values[name]
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 100_000:
            raise WidgetInvalid(_("Enter a whole number from 1 to 100000."), field=name)
    if "require_verified_identity" in values:
        values["require_verified_identity"] = bool(values["require_verified_identity"])
    return values


def _release_post(post_id: Any, widget: Widget) -> None:
    """Remove a listening post a widget made once no other widget keeps it."""
    if post_id is None:
        return
    if not Widget.objects.filter(listening_post_id=post_id).exclude(pk=widget.pk).exists():
        ListeningPost.objects.filter(pk=post_id).delete()


def _listen(widget: Widget) -> None:
    """Keep the widget's listening post where the widget listens: its survey at its touchpoint
    while it is active, none otherwise. A post someone added by hand is left alone."""
    old_id = widget.listening_post_id
    post: ListeningPost | None = None
    if widget.is_active and widget.touchpoint_id is not None:
        found = ListeningPost.objects.filter(
            touchpoint_id=widget.touchpoint_id,
            survey_id=widget.survey_id,
            channel=ListeningChannel.WIDGET,
        ).first()
        if found is None:
            post = ListeningPost.objects.create(
                organization=widget.organization,
                touchpoint_id=widget.touchpoint_id,
                survey_id=widget.survey_id,
                channel=ListeningChannel.WIDGET,
            )
        elif found.pk == old_id or found.widgets.exists():
            post = found  # made by this widget or another one: shared
    if (post.pk if post is not None else None) != old_id:
        widget.listening_post = post
        widget.save(update_fields=["listening_post", "updated_at"])
        _release_post(old_id, widget)


EDITABLE = (
    "name",
    "survey",
    "touchpoint",
    "placement",
    "allowed_origins",
    "triggers",
    "is_active",
    "rate_limit_per_minute",
    "rate_limit_per_ip",
    "require_verified_identity",
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
    rate_limit_per_minute: int = 6000,
    rate_limit_per_ip: int = 60,
    require_verified_identity: bool = False,
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
            "rate_limit_per_ip": rate_limit_per_ip,
            "require_verified_identity": require_verified_identity,
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
    """Delete a widget and the listening post it made; pages that still carry its snippet
    show nothing."""
    activity_record(
        organization=widget.organization, actor=actor, api_key=api_key, verb="widget.deleted",
        data={"name": widget.name, "key": widget.public_key},
    )  # fmt: skip
    post_id = widget.listening_post_id
    widget.delete()
    _release_post(post_id, widget)


@transaction.atomic
def widget_secret_regenerate(
    *, widget: Widget, actor: User | None, api_key: ApiKey | None = None
) -> Widget:
    """Give the widget a new identity secret; hashes made with the old one stop verifying."""
    widget.identity_secret = new_identity_secret()
    widget.save(update_fields=["identity_secret", "updated_at"])
    activity_record(
        organization=widget.organization, actor=actor, api_key=api_key,
        verb="widget.secret_regenerated", target=widget,
    )  # fmt: skip
    return widget


# --- the public script -------------------------------------------------------------------------


def origin_allowed(*, widget: Widget, origin: str | None, own_origin: str) -> bool:
    """Whether a browser request from `origin` may use the widget: exactly one of its allowed
    origins, or this app's own origin (the staff preview page)."""
    if not origin:
        return False
    return origin == own_origin or origin in (widget.allowed_origins or [])


def widget_rate_limited(*, widget: Widget, ip: str) -> int | None:
    """Count one request against the visitor's per-minute limit on this key (by IP) and the
    key's ceiling for every visitor together; seconds to wait when over either."""
    wait = ratelimit.hit("widget-ip", f"{widget.public_key}:{ip}", widget.rate_limit_per_ip)
    if wait is not None:
        return wait  # one busy visitor does not use up everyone's share
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


def identity_hash(*, widget: Widget, identifier: str) -> str:
    """The `user_hash` the host's server computes for a visitor: hex HMAC-SHA256 of the id
    (else the email) exactly as passed to identify, keyed by the widget's identity secret."""
    key = widget.identity_secret.encode()
    return hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()


def identity_verified(
    *, widget: Widget, external_id: str | None, email: str | None, user_hash: str | None
) -> bool:
    """Whether user_hash proves the host's server vouches for this id (else email)."""
    identifier = external_id or email
    if not identifier or not user_hash or len(user_hash) > 128:
        return False
    expected = identity_hash(widget=widget, identifier=identifier)
    return hmac.compare_digest(expected, user_hash.strip().lower())


@dataclass
class Identified:
    """What identify did: the contact (None when it counts as anonymous), whether a survey may
    be shown now and why not, and a due invitation from a trigger rule to show instead."""

    contact: Contact | None
    show: bool
    reason: str | None
    verified: bool = False
    invitation: Invitation | None = None
    ignored: list[str] = field(default_factory=list)

    @property
    def survey(self) -> Survey | None:
        """The survey to show: the due invitation's, else None (the widget's own)."""
        return self.invitation.survey if self.invitation is not None else None


def _unchanged(contact: Contact, values: Mapping[str, Any]) -> bool:
    for name, value in values.items():
        if name == "attributes":
            if any(contact.attributes.get(k) != v for k, v in value.items()):
                return False
        elif getattr(contact, name) != value:
            return False
    return True


def _upsert_verified(organization: Organization, values: dict[str, Any]) -> tuple[Contact, bool]:
    """The host vouched for the visitor: create or update the contact with everything sent."""
    match_by = DedupeBy.EXTERNAL_ID if values.get("external_id") else DedupeBy.EMAIL
    existing = find_existing(organization, values, match_by)
    if existing is not None and existing.erased_at is None and _unchanged(existing, values):
        return existing, False
    return contact_upsert_values(organization=organization, values=values, match_by=match_by)


def _link_unverified(organization: Organization, values: dict[str, Any]) -> tuple[Contact, bool]:
    """Nobody vouched for the visitor: link to the contact the id (else the email) names,
    changing nothing on it but attributes it has no value for, or create a new contact. An email
    that belongs to a contact with another id is neither linked to nor copied."""
    external_id, email = values.get("external_id"), values.get("email")
    live = Contact.objects.filter(organization=organization, erased_at__isnull=True)
    contact = live.filter(external_id=external_id).first() if external_id else None
    email_taken = False
    if contact is None and email:
        owner = live.filter(email=email).first()
        if owner is not None and (not external_id or not owner.external_id):
            contact = owner
        email_taken = owner is not None
    if contact is None:
        fresh = {k: v for k, v in values.items() if not (k == "email" and email_taken)}
        match_by = DedupeBy.EXTERNAL_ID if fresh.get("external_id") else DedupeBy.EMAIL
        return contact_upsert_values(organization=organization, values=fresh, match_by=match_by)
    current = contact.attributes or {}
    empty = {
        k: v
        for k, v in (values.get("attributes") or {}).items()
        if v not in (None, "") and current.get(k) in (None, "")
    }
    if empty:
        key = {"external_id": contact.external_id} if contact.external_id else {"email": email}
        match_by = DedupeBy.EXTERNAL_ID if contact.external_id else DedupeBy.EMAIL
        contact, _created = contact_upsert_values(
            organization=organization, values={**key, "attributes": empty}, match_by=match_by
        )
    return contact, False


def _due_invitation(widget: Widget, contact: Contact, now: Any) -> Invitation | None:
    """The contact's oldest widget invitation from a trigger rule that is due and whose survey
    is open. One the frequency rules now stop (the contact unsubscribed, say) is suppressed,
    naming the rule; its own pending self does not count against it."""
    due = (
        Invitation.objects.filter(
            organization=widget.organization,
            contact=contact,
            channel=ListeningChannel.WIDGET,
            status=InvitationStatus.QUEUED,
            send_after__lte=now,
            survey__status=SurveyStatus.ACTIVE,
            survey__current_version__published_at__isnull=False,
        )
        .select_related("survey", "survey__current_version", "touchpoint")
        .order_by("send_after", "created_at")
    )
    for invitation in due[:5]:
        reason = frequency_check(
            organization=widget.organization,
            survey=invitation.survey,
            contact=contact,
            channel=ListeningChannel.WIDGET,
            now=now,
            exclude_invitation_id=invitation.pk,
        )
        if reason is None:
            return invitation
        Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.QUEUED).update(
            status=InvitationStatus.SUPPRESSED, suppressed_reason=reason, updated_at=now
        )
    return None


@transaction.atomic
def widget_identify(
    *,
    widget: Widget,
    external_id: str | None,
    email: str | None,
    attributes: Mapping[str, Any] | None = None,
    user_hash: str | None = None,
    now: Any = None,
) -> Identified:
    """Tie the visitor to a contact and tell whether a survey may be shown to them now: a due
    widget invitation from a trigger rule first, else the widget's own survey, under the
    frequency rules. With a valid user_hash the contact is created or updated with what is
    sent; without one an existing contact is only linked to (see _link_unverified), or, when
    the widget requires verified identities, the visitor stays anonymous. Unknown attributes
    are ignored."""
    organization = widget.organization
    now = now or timezone.now()
    data: dict[str, Any] = {}
    if external_id:
        data["external_id"] = str(external_id)
    if email:
        data["email"] = str(email)
    if not data:
        raise ContactInvalid({"id": _("Give an id or an email address.")})
    verified = identity_verified(
        widget=widget, external_id=external_id, email=email, user_hash=user_hash
    )
    if not verified and widget.require_verified_identity:
        return Identified(contact=None, show=True, reason=None)
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(organization=organization)}
    values, errors = clean_contact_data({**data, "attributes": dict(attributes or {})}, definitions)
    ignored = sorted(k.removeprefix("attributes.") for k in errors if k.startswith("attributes."))
    errors = {k: v for k, v in errors.items() if not k.startswith("attributes.")}
    if errors:
        raise ContactInvalid(errors)
    if verified:
        contact, created = _upsert_verified(organization, values)
    else:
        contact, created = _link_unverified(organization, values)
    if created:
        activity_record(
            organization=organization, verb="contact.created", target=contact,
            data={"source": "widget", "widget": str(widget.pk), "verified": verified},
        )  # fmt: skip
    invitation = _due_invitation(widget, contact, now)
    if invitation is not None:
        return Identified(
            contact=contact, show=True, reason=None, verified=verified, invitation=invitation,
            ignored=ignored,
        )  # fmt: skip
    reason = frequency_check(
        organization=organization,
        survey=widget.survey,
        contact=contact,
        channel=ListeningChannel.WIDGET,
        now=now,
    )
    return Identified(
        contact=contact, show=reason is None, reason=reason, verified=verified, ignored=ignored
    )


def widget_shown(
    *, widget: Widget, contact: Contact | None, invitation_id: Any = None
) -> Invitation | None:
    """Record that a survey was shown to an identified visitor, so it counts against the
    frequency rules: the trigger rule's queued widget invitation it delivered is marked sent;
    otherwise a new widget invitation for the widget's survey, sent (or suppressed, naming the
    rule). None if anonymous."""
    if contact is None:
        return None
    delivered = _invitation(widget, invitation_id, contact)
    if delivered is not None and delivered.status != InvitationStatus.SUPPRESSED:
        if delivered.status == InvitationStatus.QUEUED:
            invitation_advance(invitation_id=delivered.pk, status=InvitationStatus.SENT)
            delivered.refresh_from_db()
        return delivered
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
    """The visitor's own widget invitation by id (for the widget's survey or a trigger's)."""
    if contact is None or not invitation_id:
        return None
    try:
        pk = uuid.UUID(str(invitation_id))
    except ValueError:
        return None
    return (
        Invitation.objects.filter(
            organization=widget.organization,
            contact=contact,
            channel=ListeningChannel.WIDGET,
            pk=pk,
        )
        .select_related("survey", "survey__current_version")
        .first()
    )


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
    # A trigger rule's invitation may ask another survey than the widget's own.
    survey = invitation.survey if invitation is not None else widget.survey
    touchpoint_id = (
        invitation.touchpoint_id
        if invitation is not None and invitation.touchpoint_id
        else widget.touchpoint_id
    )
    key = f"widget:{idempotency_key}"[:100] if idempotency_key else None
    with transaction.atomic():
        response = response_create_complete(
            survey=survey,
            answers=dict(answers),
            channel=Channel.WIDGET,
            language=language,
            hidden=dict(hidden or {}),
            contact_id=contact.pk if contact is not None else None,
            idempotency_key=key,
        )
        link_id = invitation.personal_link_id if invitation is not None else None
        if response.touchpoint_id is None and (touchpoint_id or link_id):
            # The response.completed handlers run after commit and see these too.
            Response.objects.filter(pk=response.pk).update(
                touchpoint_id=touchpoint_id, personal_link_id=link_id
            )
            response.touchpoint_id = touchpoint_id
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
