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


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR as the web server sets it (behind a proxy, the proxy's middleware or
    # server settings decide what it holds).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _off(origin: str | None, **extra: Any) -> JsonResponse:
    """Show nothing, without an error in the host page's console: 200, readable from any
    origin (it says nothing but "off")."""
    response = _json({"off": True, **extra})
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def widget_endpoint(*methods: str) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Key lookup, origin check, preflight, rate limit and CORS headers for one endpoint.

    The settings (GET) answer 200 {"off": true} to an unknown key, a refused origin, a paused
    widget or a visitor over the rate limit, so a page carrying a stale or misplaced snippet
    shows nothing and logs nothing; the script then makes no other call. The write endpoints
    refuse those (404, 403, 410, 429) and store nothing."""

    def decorator(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(handler)
        def view(request: HttpRequest, key: str) -> HttpResponse:
            response: HttpResponse
            reads = request.method == "GET" and "GET" in methods
            origin = request.headers.get("Origin")
            if origin is None and request.headers.get("Sec-Fetch-Site") == "same-origin":
                origin = _own_origin(request)  # same-origin GETs carry no Origin header
            widget = selectors.widget_by_key(key=key)
            if widget is None:
                if reads:
                    return _off(origin)
                response = _json({"error": "unknown-key"}, status=404)
                response["Vary"] = "Origin"
                return response
            if not services.origin_allowed(
                widget=widget, origin=origin, own_origin=_own_origin(request)
            ):
                if reads:
                    return _off(origin)
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
            elif (
                wait := services.widget_rate_limited(widget=widget, ip=_client_ip(request))
            ) is not None:
                if reads:
                    response = _off(origin, retry_after=wait)
                else:
                    response = _json({"error": "rate-limited", "retry_after": wait}, status=429)
                response["Retry-After"] = str(wait)
            elif not selectors.widget_is_live(widget):
                # Paused, or its survey closed: pages still carrying the snippet show nothing.
                response = _off(origin) if reads else _json({"off": True}, status=410)
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


def _text(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value in (None, "") or isinstance(value, dict | list | bool):
        return None
    return str(value)[:limit]


@widget_endpoint("POST")
def identify(request: HttpRequest, widget: Widget) -> HttpResponse:
    """Tie the visitor to a contact (verified by user_hash: upserted; otherwise only linked or
    created) and say whether to show now, with the settings of the survey to show: a due
    invitation from a trigger rule, else the widget's own."""
    data = _body(request)
    attributes = data.get("attributes")
    result = services.widget_identify(
        widget=widget,
        external_id=_text(data, "id", 200),
        email=_text(data, "email", 254),
        attributes=attributes if isinstance(attributes, dict) else None,
        user_hash=_text(data, "user_hash", 128),
    )
    contact = result.contact
    answer: dict[str, Any] = {
        "visitor": services.visitor_token(widget=widget, contact=contact) if contact else None,
        "verified": result.verified,
        "show": result.show,
        "reason": result.reason,
        "ignored_attributes": result.ignored,
        "invitation": str(result.invitation.pk) if result.invitation is not None else None,
    }
    if result.show:
        answer["config"] = selectors.widget_config(
            widget=widget,
            language=(_text(data, "lang", 20) or ""),
            contact=contact,
            survey=result.survey,
        )
    return _json(answer)


@widget_endpoint("POST")
def shown(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The survey appeared: for an identified visitor, the trigger rule's invitation it
    delivered is sent, else a new widget invitation (sent, or suppressed naming the rule)."""
    data = _body(request)
    invitation = services.widget_shown(
        widget=widget, contact=_visitor(widget, data), invitation_id=data.get("invitation")
    )
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
