"""Reads for integrations: the demo mailbox as one organization sees it."""

from __future__ import annotations

import uuid
from email.utils import getaddresses
from typing import Any

from django.db.models import Q
from django.http import Http404

from closeloop.accounts.models import Invitation, Membership, Organization
from closeloop.integrations.models import MailboxMessage

MAILBOX_LIMIT = 200


def _org_addresses(organization: Organization) -> set[str]:
    """Email addresses of the organization's members and invitees, lower-cased."""
    members = Membership.objects.filter(organization=organization).values_list(
        "user__email", flat=True
    )
    invitees = Invitation.objects.filter(organization=organization).values_list("email", flat=True)
    return {e.lower() for e in [*members, *invitees] if e}


def _recipients(message: MailboxMessage) -> set[str]:
    to: Any = message.to or []
    return {addr.lower() for _name, addr in getaddresses([str(a) for a in to]) if addr}


def _visible(message: MailboxMessage, organization: Organization, addresses: set[str]) -> bool:
    return message.organization_id == organization.pk or bool(_recipients(message) & addresses)


def mailbox_message_list(*, organization: Organization) -> list[MailboxMessage]:
    """Messages for this organization (by header) or addressed to its members and invitees."""
    addresses = _org_addresses(organization)
    match = Q(organization=organization)
    for address in addresses:
        # A text match narrows the rows in SQL; the exact address check below removes look-alikes.
        match |= Q(to__icontains=address)
    candidates = MailboxMessage.objects.filter(match).order_by("-created_at")[: MAILBOX_LIMIT * 2]
    return [m for m in candidates if _visible(m, organization, addresses)][:MAILBOX_LIMIT]


def access_mailbox_message(*, organization: Organization, message_id: Any) -> MailboxMessage:
    """One mailbox message this organization may read, or 404."""
    try:
        key = uuid.UUID(str(message_id))
    except ValueError:
        raise Http404 from None
    message = MailboxMessage.objects.filter(pk=key).first()
    if message is None or not _visible(message, organization, _org_addresses(organization)):
        raise Http404
    return message
