"""Email sent by accounts: invitations (password-reset mail goes through Django's reset form)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from closeloop.accounts.models import Invitation
from closeloop.integrations.mailbox import ORG_HEADER


def absolute_url(path: str) -> str:
    """A link for an email: the configured BASE_URL, never the request's Host header."""
    return settings.BASE_URL.rstrip("/") + path


def invitation_url(token: str) -> str:
    return absolute_url(reverse("accounts:invitation_accept", args=[token]))


def send_invitation_email(*, invitation: Invitation, token: str) -> None:
    """Email the one-time invitation link, in the organization's default language."""
    org = invitation.organization
    context = {
        "invitation": invitation,
        "organization": org,
        "inviter": invitation.invited_by,
        "role": invitation.get_role_display,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
    }
    with translation.override(org.default_language or settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/invitation_subject.txt", context)
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[invitation.email],
        headers={ORG_HEADER: str(org.pk)},
    )
    message.attach_alternative(html, "text/html")
    message.send()
