"""The website widget's public side: /widget.js and the JSON endpoints under /widget/api/<key>/.

They authenticate by the widget's public key plus the browser's Origin (CORS, exact match with
the widget's allowed origins; this app's own origin is always allowed so the staff preview page
works). They set no cookies and take no CSRF token: there is no session to ride on.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from closeloop.contacts.models import Contact
from closeloop.core.errors import DomainError
from closeloop.distribution import widget_selectors as selectors
from closeloop.distribution import widget_services as services
from closeloop.distribution.models import Widget
from closeloop.responses.services import ResponseValidationError

SCRIPT_PATH = Path(__file__).resolve().parent / "static" / "distribution" / "widget.js"
SCRIPT_MAX_AGE = 60 * 60 * 24  # a day fresh, then a week served stale while revalidating
ALLOWED_HEADERS = "Content-Type"

Handler = Callable[[HttpRequest, Widget], HttpResponse]


@functools.cache
def _script() -> tuple[bytes, str]:
    body = SCRIPT_PATH.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """The script the business's pages load; cached long, revalidated by its ETag."""
    if settings.DEBUG:
        _script.cache_clear()
    body, etag = _script()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}, stale-while-revalidate=604800"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.method != "POST":
        return {}
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise DomainError(_("Send a JSON object."), code="bad-json") from None
    if not isinstance(data, dict):
        raise DomainError(_("Send a JSON object."), code="bad-json")
    return data


def widget_endpoint(*methods: str) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Key lookup, origin check, preflight, rate limit and CORS headers for one endpoint."""

    def decorator(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(handler)
        def view(request: HttpRequest, key: str) -> HttpResponse:
            response: HttpResponse
            widget = selectors.widget_by_key(key=key)
            if widget is None:
                response = _json({"error": "unknown-key"}, status=404)
                response["Vary"] = "Origin"
                return response
            origin = request.headers.get("Origin")
            if origin is None and request.headers.get("Sec-Fetch-Site") == "same-origin":
                origin = _own_origin(request)  # same-origin GETs carry no Origin header
            if not services.origin_allowed(
                widget=widget, origin=origin, own_origin=_own_origin(request)
            ):
                response = _json({"error": "origin-not-allowed"}, status=403)
                response["Vary"] = "Origin"
                return response
            assert origin is not None
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = "600"
            elif request.method not in methods:
                response = _json({"error": "method-not-allowed"}, status=405)
                response["Allow"] = ", ".join((*methods, "OPTIONS"))
            elif (wait := services.widget_rate_limited(widget=widget)) is not None:
                response = _json({"error": "rate-limited", "retry_after": wait}, status=429)
                response["Retry-After"] = str(wait)
            elif not selectors.widget_is_live(widget):
                # Paused, or its survey closed: pages still carrying the snippet show nothing,
                # quietly (a 404 would print an error in every page's console).
                off = request.method == "GET"
                response = _json({"off": True}, status=200 if off else 410)
            else:
                try:
                    response = handler(request, widget)
                except ResponseValidationError as error:
                    field = next(iter(error.errors))
                    response = _json(
                        {"error": "validation", "field": field, "errors": error.errors}, 400
                    )
                except DomainError as error:
                    errors = getattr(error, "errors", None) or {error.field or "": error.message}
                    response = _json(
                        {"error": error.code, "field": error.field, "errors": errors}, 400
                    )
            response["Access-Control-Allow-Origin"] = origin
            response["Vary"] = "Origin"
            return response

        return view

    return decorator


def _visitor(widget: Widget, data: dict[str, Any]) -> Contact | None:
    token = data.get("visitor")
    return services.visitor_contact(widget=widget, token=token if isinstance(token, str) else None)


@widget_endpoint("GET")
def config(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The widget's survey in the visitor's language, theme, placement and triggers."""
    contact = services.visitor_contact(widget=widget, token=request.GET.get("visitor"))
    language = request.GET.get("lang", "")[:20]
    return _json(selectors.widget_config(widget=widget, language=language, contact=contact))


@widget_endpoint("POST")
def identify(request: HttpRequest, widget: Widget) -> HttpResponse:
    """Tie the visitor to a contact (upserted by id or email) and say whether to show now."""
    data = _body(request)
    attributes = data.get("attributes")
    result = services.widget_identify(
        widget=widget,
        external_id=str(data["id"])[:200] if data.get("id") not in (None, "") else None,
        email=str(data["email"])[:254] if data.get("email") else None,
        attributes=attributes if isinstance(attributes, dict) else None,
    )
    return _json(
        {
            "visitor": services.visitor_token(widget=widget, contact=result.contact),
            "show": result.show,
            "reason": result.reason,
            "ignored_attributes": result.ignored,
        }
    )


@widget_endpoint("POST")
def shown(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The survey appeared: a widget invitation for an identified visitor (counts as sent)."""
    invitation = services.widget_shown(widget=widget, contact=_visitor(widget, _body(request)))
    if invitation is None:
        return _json({"invitation": None})
    if invitation.suppressed_reason:
        return _json({"invitation": None, "reason": invitation.suppressed_reason})
    from closeloop.distribution.invitations import invitation_token

    return _json({"invitation": str(invitation.pk), "url": f"/s/{invitation_token(invitation)}/"})


@widget_endpoint("POST")
def dismissed(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The visitor closed the survey without answering."""
    data = _body(request)
    declined = services.widget_dismissed(
        widget=widget, contact=_visitor(widget, data), invitation_id=data.get("invitation")
    )
    return _json({"declined": declined})


@widget_endpoint("POST")
def responses(request: HttpRequest, widget: Widget) -> HttpResponse:
    """Store the answers (keyed by question key) as a completed response on the widget channel."""
    data = _body(request)
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise DomainError(_("Send the answers as an object."), field="answers")
    hidden = data.get("hidden")
    language = data.get("lang")
    response = services.widget_response_submit(
        widget=widget,
        answers=answers,
        language=language if isinstance(language, str) else None,
        hidden=hidden if isinstance(hidden, dict) else None,
        contact=_visitor(widget, data),
        invitation_id=data.get("invitation"),
        idempotency_key=str(data.get("nonce") or "")[:64] or None,
    )
    return _json({"response": str(response.pk)}, status=201)
