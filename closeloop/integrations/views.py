"""The demo mailbox: email that closeloop kept instead of sending, readable by member managers."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization
from closeloop.accounts.roles import Perm
from closeloop.integrations.selectors import access_mailbox_message, mailbox_message_list


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


@org_view(read=Perm.MANAGE_MEMBERS)
def mailbox(request: HttpRequest) -> HttpResponse:
    messages = mailbox_message_list(organization=_org(request))
    return render(request, "integrations/mailbox.html", {"mail": messages})


@org_view(read=Perm.MANAGE_MEMBERS)
def mailbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    message = access_mailbox_message(organization=_org(request), message_id=message_id)
    return render(request, "integrations/mailbox_message.html", {"message": message})
