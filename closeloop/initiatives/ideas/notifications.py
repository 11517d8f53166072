"""Emails of the idea portal, each in the visitor's language through the outbox: the
confirmation link, status changes with the public reply, and merges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from closeloop.initiatives.models import Idea, IdeaPortal, IdeaStatusChange, PortalVisitor

UPDATES_OFF_SALT = "closeloop.ideas.updates-off"
RELATED_TYPE = "idea"


def absolute(path: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def idea_url(idea: Idea, language: str) -> str:
    path = reverse(
        "portal:idea", kwargs={"org_slug": idea.organization.slug, "number": idea.number}
    )
    return absolute(f"{path}?lang={language}")


def updates_off_token(visitor: PortalVisitor) -> str:
    return signing.dumps(str(visitor.pk), salt=UPDATES_OFF_SALT, compress=True)


def visitor_from_updates_off_token(token: str) -> Any:
    from closeloop.initiatives.models import PortalVisitor

    try:
        pk = signing.loads(token, salt=UPDATES_OFF_SALT)
    except signing.BadSignature:
        return None
    return PortalVisitor.objects.filter(pk=pk).select_related("organization").first()


def updates_off_url(visitor: PortalVisitor) -> str:
    org_slug = visitor.organization.slug
    return absolute(
        reverse(
            "portal:updates_off",
            kwargs={"org_slug": org_slug, "token": updates_off_token(visitor)},
        )
    )


def _language(visitor: PortalVisitor, portal: IdeaPortal | None, fallback: str = "en") -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    for candidate in (visitor.language, portal.default_language if portal else "", fallback):
        if candidate in codes:
            return str(candidate)
    return "en"


def _send(
    *,
    organization: Any,
    visitor: PortalVisitor,
    subject: str,
    template: str,
    context: dict[str, Any],
    key: str,
    language: str,
    updates: bool,
) -> None:
    from closeloop.distribution.emails import from_address
    from closeloop.integrations.mailbox import ORG_HEADER
    from closeloop.integrations.notify import notify_email

    headers = {ORG_HEADER: str(organization.pk)}
    if updates:
        url = updates_off_url(visitor)
        context["updates_off_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context.update({"organization": organization, "visitor": visitor, "language": language})
    with translation.override(language):
        text = render_to_string(f"initiatives/portal/email/{template}.txt", context)
        html = render_to_string(f"initiatives/portal/email/{template}.html", context)
    notify_email(
        organization=organization,
        to=[visitor.email],
        subject=subject,
        text=text,
        html=html,
        idempotency_key=key,
        language=language,
        headers=headers,
        related_type=RELATED_TYPE,
        related_id=str(getattr(context.get("idea"), "pk", None) or visitor.pk),
        from_email=from_address(organization),
    )


def _portal_title(portal: IdeaPortal, language: str) -> str:
    from closeloop.initiatives.ideas.selectors import portal_text

    return portal_text(portal, "title", language) or portal.organization.name


def send_confirmation(*, portal: IdeaPortal, visitor: PortalVisitor, token: str) -> None:
    """The link that confirms the visitor's email and does what they asked (48 hours)."""
    language = _language(visitor, portal)
    organization = portal.organization
    path = reverse("portal:confirm", kwargs={"org_slug": organization.slug, "token": token})
    kind = (visitor.pending_action or {}).get("kind", "signin")
    with translation.override(language):
        subjects = {
            "idea": _("Confirm your email to send your idea"),
            "vote": _("Confirm your email to count your vote"),
            "comment": _("Confirm your email to post your comment"),
        }
        subject = subjects.get(kind, _("Your sign-in link for %(portal)s")) % {
            "portal": _portal_title(portal, language)
        }
    _send(
        organization=organization,
        visitor=visitor,
        subject=subject,
        template="confirm",
        context={
            "url": absolute(f"{path}?lang={language}"),
            "kind": kind,
            "action": visitor.pending_action,
            "portal_title": _portal_title(portal, language),
            "hours": 48,
        },
        key=f"idea-portal-confirm:{token[-16:]}",
        language=language,
        updates=False,
    )


def notify_status_change(*, change: IdeaStatusChange) -> int:
    """Email the idea's voters and author about the new status and reply; the count sent."""
    from closeloop.initiatives.choices import IdeaStatus
    from closeloop.initiatives.ideas.selectors import idea_voter_recipients, portal_get

    idea = change.idea
    organization = idea.organization
    portal = portal_get(organization=organization)
    recipients = idea_voter_recipients(idea=idea)
    for visitor in recipients:
        language = _language(visitor, portal)
        with translation.override(language):
            status = str(IdeaStatus(change.to_status).label)
            subject = _("Update on “%(title)s”: %(status)s") % {
                "title": idea.title,
                "status": status,
            }
        _send(
            organization=organization,
            visitor=visitor,
            subject=subject,
            template="status",
            context={
                "idea": idea,
                "change": change,
                "status_label": status,
                "url": idea_url(idea, language),
                "is_author": idea.author_id == visitor.pk,
                "portal_title": _portal_title(portal, language),
            },
            key=f"idea-status:{change.pk}",
            language=language,
            updates=True,
        )
    return len(recipients)


def notify_merge(*, change: IdeaStatusChange, into: Idea) -> int:
    """Tell the duplicate's voters and author where their votes went; the count sent."""
    from closeloop.initiatives.ideas.selectors import idea_voter_recipients, portal_get

    idea = change.idea
    organization = idea.organization
    portal = portal_get(organization=organization)
    recipients = idea_voter_recipients(idea=idea)
    for visitor in recipients:
        language = _language(visitor, portal)
        with translation.override(language):
            subject = _("“%(title)s” was merged into a similar idea") % {"title": idea.title}
        _send(
            organization=organization,
            visitor=visitor,
            subject=subject,
            template="merged",
            context={
                "idea": idea,
                "into": into,
                "url": idea_url(into, language),
                "portal_title": _portal_title(portal, language),
            },
            key=f"idea-merged:{change.pk}",
            language=language,
            updates=True,
        )
    return len(recipients)
