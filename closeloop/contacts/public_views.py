"""The public one-click unsubscribe page at /u/<token>/ (no login).

GET shows a confirm button; its form POSTs back with a CSRF token. A POST whose body is
`List-Unsubscribe=One-Click` (RFC 8058, sent by mail clients from the List-Unsubscribe-Post
header) unsubscribes at once: the mail client has no CSRF token, so only that POST is exempt.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from closeloop.contacts.models import Contact
from closeloop.contacts.services import contact_from_unsubscribe_token, contact_unsubscribe

ONE_CLICK_BODY = "One-Click"


def _csrf_rejection(request: HttpRequest) -> HttpResponse | None:
    """Run Django's CSRF check for a view that is exempt only for the one-click POST."""
    checker = CsrfViewMiddleware(lambda r: HttpResponse())
    return checker.process_view(request, lambda r: HttpResponse(), (), {})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    contact = contact_from_unsubscribe_token(token)
    if contact is None:
        return render(request, "contacts/unsubscribe_invalid.html", status=404)
    # The page speaks the contact's language when we have it, else the browser's.
    language = contact.language.split("-")[0]
    if language in {code for code, _name in settings.LANGUAGES}:
        with translation.override(language):
            return _unsubscribe(request, token, contact)
    return _unsubscribe(request, token, contact)


def _unsubscribe(request: HttpRequest, token: str, contact: Contact) -> HttpResponse:
    context = {"organization": contact.organization, "token": token}
    if request.method != "POST":
        context["done"] = contact.unsubscribed_at is not None
        response = render(request, "contacts/unsubscribe.html", context)
        response["X-Robots-Tag"] = "noindex"
        return response
    if request.POST.get("List-Unsubscribe") == ONE_CLICK_BODY:
        contact_unsubscribe(contact=contact, via="one-click")
        return HttpResponse(status=200, content_type="text/plain")
    rejection = _csrf_rejection(request)
    if rejection is not None:
        return rejection
    contact_unsubscribe(contact=contact, via="link", reason=request.POST.get("reason", "")[:300])
    context["done"] = True
    return render(request, "contacts/unsubscribe.html", context)
