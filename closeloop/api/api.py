"""Assembles every app's api.py under /api/v1: one NinjaAPI, bearer API keys, problem+json."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Router
from ninja.openapi.docs import Swagger

from closeloop.accounts.api import router as accounts_router
from closeloop.advocacy.api import router as advocacy_router
from closeloop.analytics.api import router as analytics_router
from closeloop.analytics.api_alerts import router as alerts_router
from closeloop.analytics.api_drivers import router as drivers_router
from closeloop.analytics.api_exports import router as exports_router
from closeloop.api.auth import api_key_auth
from closeloop.api.errors import (
    PROBLEM_CONTENT_TYPE,
    install_error_handlers,
    method_not_allowed,
    not_found_view,
)
from closeloop.automation.api import router as automation_router
from closeloop.cases.api import router as cases_router
from closeloop.cases.api_config import router as case_settings_router
from closeloop.contacts.api import router as contacts_router
from closeloop.distribution.api_campaigns import router as campaigns_router
from closeloop.distribution.api_events import router as events_router
from closeloop.distribution.api_journey import router as journey_router
from closeloop.distribution.api_widgets import router as widgets_router
from closeloop.initiatives.api import router as initiatives_router
from closeloop.initiatives.api_announcements import router as announcements_router
from closeloop.initiatives.api_ideas import router as ideas_router
from closeloop.initiatives.api_review import router as review_router
from closeloop.integrations.api import router as integrations_router
from closeloop.responses.api import router as responses_router
from closeloop.surveys.api import router as surveys_router
from closeloop.text.api import router as text_router

# Every app's router, in the order they appear in the docs. Add new apps here.
ROUTERS: list[tuple[str, Router]] = [
    ("/", accounts_router),
    ("/", surveys_router),
    ("/", responses_router),
    ("/", contacts_router),
    ("/", campaigns_router),
    ("/", journey_router),
    ("/", events_router),
    ("/", widgets_router),
    ("/", integrations_router),
    ("/", advocacy_router),
    ("/", automation_router),
    ("/", cases_router),
    ("/", case_settings_router),
    ("/", analytics_router),
    ("/", drivers_router),
    ("/", exports_router),
    ("/", alerts_router),
    ("/", text_router),
    ("/", initiatives_router),
    ("/", announcements_router),
    ("/", ideas_router),
    ("/", review_router),
]

DESCRIPTION = (
    "Authenticate with an API key from the organization's settings: "
    "`Authorization: Bearer <key>`. Read keys may only use GET. "
    "Errors are `application/problem+json` (RFC 9457) naming the field at fault. "
    "Lists are paginated with `?limit=` and `?cursor=` (the previous page's `next_cursor`)."
)


def _problem_405(view: Any) -> Any:
    """ninja answers a wrong method with a plain-text 405; make it problem+json too."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = view(request, *args, **kwargs)
        if response.status_code == 405 and PROBLEM_CONTENT_TYPE not in response.get(
            "Content-Type", ""
        ):
            return method_not_allowed(response.get("Allow", ""))
        return response

    return wrapper


class CloseloopAPI(NinjaAPI):
    """NinjaAPI whose unknown paths and wrong methods also answer problem+json."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = super()._get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            is_sync_view = callback is not None and not inspect.iscoroutinefunction(callback)
            if isinstance(pattern, URLPattern) and is_sync_view:
                pattern.callback = _problem_405(callback)
        urls.append(re_path(r"^.*$", not_found_view, name="not-found"))
        return urls

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The OpenAPI document, with error responses typed application/problem+json."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content") or {}
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = CloseloopAPI(
    title="closeloop API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=api_key_auth,
    # validatorUrl None: swagger-ui would otherwise load a badge from validator.swagger.io
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api)

for _prefix, _router in ROUTERS:
    api.add_router(_prefix, _router)
