"""Portal visitors: who they are (by email), confirming their address by a link that also does
what they asked, their portal sessions, visitors vouched for by the website widget's identity
check, blocking, and turning their emails off."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization, User
from closeloop.core.errors import DomainError, NotFoundError
from closeloop.core.services import activity_record
from closeloop.initiatives.choices import PUBLIC_IDEA_STATUSES, PortalVisibility
from closeloop.initiatives.ideas import limits, notifications
from closeloop.initiatives.ideas.portal import PortalError, _check_may_write, _language
from closeloop.initiatives.ideas.selectors import visitor_is_member
from closeloop.initiatives.models import Idea, IdeaPortal, PortalVisitor
from closeloop.lib.tokens import hash_token, new_token

CONFIRM_LINK_HOURS = 48


def _normal_email(email: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise PortalError(_("Enter a valid email address."), field="email") from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _link_contact(visitor: PortalVisitor) -> None:
    if visitor.contact_id is not None:
        return
    from closeloop.contacts.models import Contact

    contact = (
        Contact.objects.filter(
            organization_id=visitor.organization_id,
            email__iexact=visitor.email,
            erased_at__isnull=True,
        )
        .order_by("created_at")
        .first()
    )
    if contact is not None:
        visitor.contact = contact


def visitor_get_or_create(
    *, organization: Organization, email: str, name: str = "", language: str = ""
) -> PortalVisitor:
    """The portal visitor with this email (made, unverified, if new); name and language kept
    up to date."""
    email = _normal_email(email)
    visitor = PortalVisitor.objects.filter(organization=organization, email__iexact=email).first()
    if visitor is None:
        try:
            with transaction.atomic():
                visitor = PortalVisitor.objects.create(
                    organization=organization, email=email, name=name.strip()[:120],
                    language=language,
                )  # fmt: skip
        except IntegrityError:
            visitor = PortalVisitor.objects.get(organization=organization, email__iexact=email)
    updates = []
    if name.strip() and visitor.name != name.strip()[:120]:
        visitor.name = name.strip()[:120]
        updates.append("name")
    if language and visitor.language != language:
        visitor.language = language
        updates.append("language")
    if visitor.contact_id is None:
        _link_contact(visitor)
        if visitor.contact_id is not None:
            updates.append("contact")
    if updates:
        visitor.save(update_fields=[*updates, "updated_at"])
    return visitor


def visitor_session_start(*, visitor: PortalVisitor) -> str:
    """A new portal session for a verified visitor: the raw token for the cookie (stored
    hashed; a new session replaces the previous one)."""
    token = new_token("ps_")
    visitor.session_token_hash = hash_token(token)
    visitor.save(update_fields=["session_token_hash", "updated_at"])
    return token


def visitor_session_end(*, visitor: PortalVisitor) -> None:
    visitor.session_token_hash = ""
    visitor.save(update_fields=["session_token_hash", "updated_at"])


@transaction.atomic
def visitor_request_confirmation(
    *,
    portal: IdeaPortal,
    email: str,
    name: str,
    language: str,
    action: dict[str, Any],
    ip: str,
) -> PortalVisitor:
    """Keep what the visitor asked to do and email them a link (valid 48 hours) that confirms
    their address and does it. A members-only portal sends nothing to unknown addresses."""
    language = _language(language, portal)
    if action.get("kind") != "signin" and not name.strip():
        raise PortalError(_("Tell us your name."), field="name")
    email = _normal_email(email)
    organization = portal.organization
    if portal.visibility == PortalVisibility.MEMBERS:
        probe = PortalVisitor(organization=organization, email=email)
        if not visitor_is_member(probe):
            # Say nothing about who is a customer: no visitor, no email.
            return probe
    limits.check_confirmation_email(organization_id=organization.pk, ip=ip, email=email)
    visitor = visitor_get_or_create(
        organization=organization, email=email, name=name, language=language
    )
    _check_may_write(portal, visitor)
    token = new_token("pc_")
    visitor.confirm_token_hash = hash_token(token)
    visitor.confirm_sent_at = timezone.now()
    visitor.pending_action = action
    visitor.save(
        update_fields=["confirm_token_hash", "confirm_sent_at", "pending_action", "updated_at"]
    )
    notifications.send_confirmation(portal=portal, visitor=visitor, token=token)
    return visitor


@dataclass
class Confirmed:
    """What following a confirmation link did."""

    visitor: PortalVisitor
    session_token: str
    kind: str = "signin"
    idea: Idea | None = None
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def confirmation_visitor(*, portal: IdeaPortal, token: str) -> PortalVisitor | None:
    """The visitor a confirmation link names while it is valid, else None."""
    if not token or len(token) > 200:
        return None
    visitor = PortalVisitor.objects.filter(
        organization_id=portal.organization_id, confirm_token_hash=hash_token(token)
    ).first()
    if visitor is None or visitor.confirm_sent_at is None:
        return None
    if timezone.now() - visitor.confirm_sent_at > dt.timedelta(hours=CONFIRM_LINK_HOURS):
        return None
    return visitor


@transaction.atomic
def visitor_confirm(*, portal: IdeaPortal, token: str) -> Confirmed:
    """Verify the visitor's email, start their portal session and do what they asked."""
    found = confirmation_visitor(portal=portal, token=token)
    if found is None:
        raise NotFoundError(
            _("This link has expired or was already used. Please try again."), field="token"
        )
    visitor = PortalVisitor.objects.select_for_update().get(pk=found.pk)
    if visitor.confirm_token_hash != hash_token(token):
        raise NotFoundError(_("This link was already used."), field="token")
    action = dict(visitor.pending_action or {})
    visitor.confirm_token_hash = ""
    visitor.pending_action = {}
    if visitor.verified_at is None:
        visitor.verified_at = timezone.now()
    _link_contact(visitor)
    visitor.save(
        update_fields=[
            "confirm_token_hash", "pending_action", "verified_at", "contact", "updated_at",
        ]
    )  # fmt: skip
    result = Confirmed(
        visitor=visitor,
        session_token=visitor_session_start(visitor=visitor),
        kind=str(action.get("kind") or "signin"),
    )
    try:
        with transaction.atomic():
            result.idea = _do_action(portal, visitor, action)
    except DomainError as exc:
        result.error = exc.message
    return result


def _action_idea(portal: IdeaPortal, action: dict[str, Any]) -> Idea:
    import uuid

    try:
        uuid.UUID(str(action.get("idea")))
    except ValueError:
        raise PortalError(_("This idea is no longer open for votes or comments.")) from None
    idea = Idea.objects.filter(
        organization_id=portal.organization_id, pk=str(action.get("idea") or ""),
        status__in=PUBLIC_IDEA_STATUSES,
    ).first()  # fmt: skip
    if idea is None:
        raise PortalError(_("This idea is no longer open for votes or comments."))
    return idea


def _do_action(portal: IdeaPortal, visitor: PortalVisitor, action: dict[str, Any]) -> Idea | None:
    # The services of ideas import this module (they re-export it): import them when used.
    from closeloop.initiatives.ideas.services import comment_add, idea_propose, idea_vote

    kind = action.get("kind")
    if kind == "idea":
        return idea_propose(
            portal=portal, visitor=visitor, title=str(action.get("title", "")),
            body=str(action.get("body", "")), language=str(action.get("language", "")),
        )  # fmt: skip
    if kind == "vote":
        idea = _action_idea(portal, action)
        idea_vote(portal=portal, idea=idea, visitor=visitor)
        return idea
    if kind == "comment":
        idea = _action_idea(portal, action)
        comment_add(portal=portal, idea=idea, visitor=visitor, body=str(action.get("body", "")))
        return idea
    return None


def visitor_from_widget_identity(
    *,
    portal: IdeaPortal,
    widget_key: str,
    email: str,
    name: str = "",
    external_id: str = "",
    user_hash: str = "",
    language: str = "",
) -> PortalVisitor | None:
    """A visitor vouched for by the business's own server: the HMAC-SHA256 of their id (else
    their email) with the website widget's identity secret, as the widget checks it. Verified
    without an email; None when the hash does not check out."""
    from closeloop.distribution.widget_selectors import widget_by_key
    from closeloop.distribution.widget_services import identity_verified

    widget = widget_by_key(key=widget_key or "")
    if widget is None or widget.organization_id != portal.organization_id:
        return None
    if not widget.is_active or not email:
        return None
    if not identity_verified(
        widget=widget, external_id=external_id or None, email=email, user_hash=user_hash
    ):
        return None
    try:
        visitor = visitor_get_or_create(
            organization=portal.organization, email=email, name=name,
            language=_language(language, portal),
        )  # fmt: skip
    except PortalError:
        return None
    if visitor.contact_id is None and external_id:
        from closeloop.contacts.models import Contact

        contact = Contact.objects.filter(
            organization_id=portal.organization_id, external_id=external_id,
            erased_at__isnull=True,
        ).first()  # fmt: skip
        if contact is not None:
            visitor.contact = contact
            visitor.save(update_fields=["contact", "updated_at"])
    if visitor.blocked_at is not None:
        return None
    if portal.visibility == PortalVisibility.MEMBERS and visitor.contact_id is None:
        return None
    if visitor.verified_at is None:
        visitor.verified_at = timezone.now()
        visitor.save(update_fields=["verified_at", "updated_at"])
    return visitor


def visitor_block(
    *, visitor: PortalVisitor, actor: User | None, blocked: bool = True
) -> PortalVisitor:
    """Stop (or allow again) a visitor taking part; their session ends."""
    visitor.blocked_at = timezone.now() if blocked else None
    visitor.session_token_hash = "" if blocked else visitor.session_token_hash
    visitor.save(update_fields=["blocked_at", "session_token_hash", "updated_at"])
    activity_record(
        organization=visitor.organization,
        verb="portal_visitor.blocked" if blocked else "portal_visitor.unblocked",
        actor=actor, target=visitor, data={"email": visitor.email},
    )  # fmt: skip
    return visitor


def visitor_updates_off(*, visitor: PortalVisitor) -> PortalVisitor:
    """The visitor wants no more emails about ideas (from the link in every update)."""
    if visitor.updates_off_at is None:
        visitor.updates_off_at = timezone.now()
        visitor.save(update_fields=["updates_off_at", "updated_at"])
    return visitor
