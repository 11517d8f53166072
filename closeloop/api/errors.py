"""Every API error as application/problem+json (RFC 9457), naming the field at fault."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from closeloop.core.errors import DomainError

logger = logging.getLogger("closeloop.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:closeloop:problem:"


def problem(
    *,
    status: int,
    title: str,
    detail: str = "",
    code: str | None = None,
    field: str | None = None,
    errors: Sequence[dict[str, str]] | None = None,
) -> HttpResponse:
    """A problem+json response; `code` becomes the problem type URN (about:blank if absent)."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = list(errors)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )


def _field_path(loc: Sequence[Any]) -> str:
    """pydantic's error location as a dotted path: ("body", "payload", "name") -> "body.name"."""
    parts = [str(p) for p in loc]
    # ninja puts the handler's parameter name after the source for body and pagination models
    if len(parts) > 2 and parts[1] in {"payload", "data", "ninja_pagination", "filters"}:
        del parts[1]
    return ".".join(parts) or "body"


def _validation_message(error: dict[str, Any]) -> str:
    msg = error.get("msg")
    if msg:
        return str(msg)
    # ninja's own errors (e.g. a cursor) are {"name": "message"}
    return "; ".join(f"{k}: {v}" for k, v in error.items())


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = error.get("loc")
        field = _field_path(loc) if loc else next(iter(error), "body")
        errors.append({"field": field, "message": _validation_message(error)})
    first = errors[0]["field"] if errors else None
    detail = errors[0]["message"] if errors else ""
    return problem(
        status=422,
        title=_("The request is not valid."),
        detail=f"{first}: {detail}" if first else detail,
        code="validation",
        field=first,
        errors=errors,
    )


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        status=401,
        title=_("Authentication required."),
        detail=_("Send a valid, unrevoked API key as 'Authorization: Bearer <key>'."),
        code="unauthenticated",
    )
    response["WWW-Authenticate"] = 'Bearer realm="closeloop"'
    return response


def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    detail = exc.message if exc.message != "Forbidden" else ""
    return problem(
        status=403,
        title=_("Not allowed."),
        detail=detail or _("This API key may not do this."),
        code="forbidden",
    )


def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(
        status=403,
        title=_("Not allowed."),
        detail=_("This API key may not do this."),
        code="forbidden",
    )


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return problem(
            status=400,
            title=_("The request body is not valid JSON."),
            detail=_("Send a JSON object with 'Content-Type: application/json'."),
            code="malformed-body",
            field="body",
            errors=[{"field": "body", "message": _("The request body is not valid JSON.")}],
        )
    return problem(status=exc.status_code, title=str(exc), code=f"http-{exc.status_code}")


def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Never say whether the object exists in another organization.
    return problem(
        status=404,
        title=_("Not found."),
        detail=_("There is nothing here, or it belongs to another organization."),
        code="not-found",
    )


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    titles = {404: _("Not found."), 409: _("Conflict with existing data.")}
    return problem(
        status=exc.status,
        title=titles.get(exc.status, _("The request cannot be carried out.")),
        detail=exc.message,
        code=exc.code,
        field=exc.field,
        errors=errors,
    )


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(
        status=500,
        title=_("Something went wrong on our side."),
        detail=_("The error was logged. Try again later."),
        code="server-error",
    )


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """An unknown path under the API answers 404 problem+json, not the HTML page."""
    return problem(
        status=404,
        title=_("Not found."),
        detail=_("There is no API endpoint at this path."),
        code="not-found",
    )


not_found_view.csrf_exempt = True  # type: ignore[attr-defined]


def method_not_allowed(allowed: str) -> HttpResponse:
    response = problem(
        status=405,
        title=_("Method not allowed."),
        detail=_("This endpoint accepts: %(methods)s.") % {"methods": allowed},
        code="method-not-allowed",
    )
    response["Allow"] = allowed
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the problem+json handlers; the most specific class wins (looked up by MRO)."""
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (ValidationError, on_validation_error),
        (AuthenticationError, on_authentication_error),
        (AuthorizationError, on_authorization_error),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (PermissionDenied, on_permission_denied),
        (DomainError, on_domain_error),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
