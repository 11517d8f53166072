"""Every page under /o/<org_slug>/ and every API route refuses other organizations.

This is the pattern each app reuses: it walks the URL configuration and the API, so a new view or
endpoint is covered the moment it is routed. When a new URL takes an object id (`<uuid:x_id>`),
add a factory for `x_id` to OBJECT_FACTORIES (pages) or API_OBJECT_FACTORIES (API) below, so the
checks reach the view's permission check with a real object of the personas' organization.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from closeloop.accounts.choices import ApiKeyScope, Role
from closeloop.accounts.models import Membership
from closeloop.accounts.roles import Perm, has_perm
from closeloop.accounts.services import api_key_create, invitation_create, team_create
from closeloop.accounts.tests.factories import MembershipFactory, UserFactory
from closeloop.advocacy.tests.factories import isolation_review_site
from closeloop.analytics.dashboards.testing import (
    isolation_dashboard,
    isolation_dashboard_widget,
)
from closeloop.analytics.tests.alerts_factories import isolation_alert_rule, isolation_target
from closeloop.analytics.tests.exports_factories import isolation_export
from closeloop.api.api import api
from closeloop.api.testing import ApiClient, make_keys
from closeloop.automation.tests.factories import make_rule
from closeloop.cases.tests import factories as case_factories
from closeloop.contacts.tests.factories import make_contact, make_import, make_segment
from closeloop.distribution.tests.campaigns_factories import (
    isolation_campaign,
    isolation_email_template,
)
from closeloop.distribution.tests.events_factories import isolation_event, isolation_rule
from closeloop.distribution.tests.journey_factories import isolation_post, isolation_touchpoint
from closeloop.distribution.tests.widget_factories import isolation_widget
from closeloop.initiatives.tests.announce_factories import isolation_announcement
from closeloop.initiatives.tests.factories_initiatives import isolation_initiative
from closeloop.initiatives.tests.ideas_helpers import (
    isolation_idea,
    isolation_idea_comment,
    isolation_visitor,
    isolation_vote,
)
from closeloop.integrations.models import MailboxMessage
from closeloop.integrations.tests.factories import isolation_delivery, isolation_endpoint
from closeloop.responses.testing import isolation_response
from closeloop.surveys.services import survey_create
from closeloop.text.tests.ui_factories import isolation_comment, isolation_theme
from conftest import Personas

ORG_PARAM = "org_slug"
PARAM_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
API_PARAM_RE = re.compile(r"{(?:(?P<converter>[^}:]+):)?(?P<name>[^}]+)}")

# param name -> a real object of the personas' organization (extend for new URLs).
OBJECT_FACTORIES: dict[str, Callable[[Personas], Model]] = {
    "team_id": lambda p: team_create(organization=p.org, name="Isolation team", actor=None),
    "membership_id": lambda p: MembershipFactory(
        organization=p.org, user=UserFactory(email="member@acme.test"), role=Role.VIEWER
    ),
    "invitation_id": lambda p: invitation_create(
        organization=p.org, email="invitee@acme.test", role=Role.VIEWER, invited_by=p.owner
    )[0],
    "key_id": lambda p: api_key_create(
        organization=p.org, name="isolation", scope=ApiKeyScope.READ, created_by=p.owner
    )[0],
    "message_id": lambda p: MailboxMessage.objects.create(
        organization=p.org,
        from_email="noreply@localhost",
        to=["owner@acme.test"],
        subject="Isolation",
    ),
    "survey_id": lambda p: survey_create(organization=p.org, actor=None, name="Isolation"),
    "contact_id": lambda p: make_contact(p.org, first_name="Isolation"),
    "segment_id": lambda p: make_segment(p.org),
    "import_id": lambda p: make_import(p.org),
    "response_id": lambda p: isolation_response(p.org),
    "touchpoint_id": lambda p: isolation_touchpoint(p.org),
    "listening_post_id": lambda p: isolation_post(p.org),
    "widget_id": lambda p: isolation_widget(p.org),
    "event_id": lambda p: isolation_event(p.org),
    "rule_id": lambda p: isolation_rule(p.org),
    "automation_rule_id": lambda p: make_rule(p.org, [], name="Isolation rule"),
    "campaign_id": lambda p: isolation_campaign(p.org),
    "email_template_id": lambda p: isolation_email_template(p.org),
    "webhook_endpoint_id": lambda p: isolation_endpoint(p.org),
    "delivery_id": lambda p: isolation_delivery(p.org),
    "review_site_id": lambda p: isolation_review_site(p.org),
    "case_id": lambda p: case_factories.isolation_case(p.org),
    "root_cause_id": lambda p: case_factories.isolation_root_cause(p.org),
    "sla_policy_id": lambda p: case_factories.isolation_sla_policy(p.org),
    "holiday_id": lambda p: case_factories.isolation_holiday(p.org),
    "reply_template_id": lambda p: case_factories.isolation_reply_template(p.org),
    "comment_id": lambda p: isolation_comment(p.org),
    "theme_id": lambda p: isolation_theme(p.org),
    "export_id": lambda p: isolation_export(p.org),
    "dashboard_id": lambda p: isolation_dashboard(p.org),
    "dashboard_widget_id": lambda p: isolation_dashboard_widget(p.org),
    "alert_rule_id": lambda p: isolation_alert_rule(p.org),
    "target_id": lambda p: isolation_target(p.org),
}

# Pages whose id parameter is a plain `pk`: (path below /o/<org_slug>/ up to it, name) -> object.
SCOPED_FACTORIES: dict[tuple[str, str], Callable[[Personas], Model]] = {
    ("initiatives/", "pk"): lambda p: isolation_initiative(p.org),
    ("announcements/new/", "initiative_pk"): lambda p: isolation_initiative(p.org),
    ("announcements/", "pk"): lambda p: isolation_announcement(p.org),
    ("ideas/comments/", "pk"): lambda p: isolation_idea_comment(p.org),
    ("ideas/visitors/", "pk"): lambda p: isolation_visitor(p.org),
    ("ideas/", "pk"): lambda p: isolation_idea(p.org),
}


def _factory(route: str, name: str) -> tuple[str, Callable[[Personas], Model]] | None:
    """The factory for a parameter of a route, and the key its object is kept under."""
    if name in OBJECT_FACTORIES:
        return name, OBJECT_FACTORIES[name]
    below = route.split(f"<slug:{ORG_PARAM}>/", 1)[-1]
    for (prefix, param), factory in SCOPED_FACTORIES.items():
        if param == name and below.startswith(prefix):
            return f"{prefix}{param}", factory
    return None


# API path parameter name -> a real object of the personas' organization.
API_OBJECT_FACTORIES: dict[str, Callable[[Personas], Model]] = {
    "team_id": OBJECT_FACTORIES["team_id"],
    "survey_id": OBJECT_FACTORIES["survey_id"],
    "contact_id": OBJECT_FACTORIES["contact_id"],
    "segment_id": OBJECT_FACTORIES["segment_id"],
    "response_id": OBJECT_FACTORIES["response_id"],
    "touchpoint_id": OBJECT_FACTORIES["touchpoint_id"],
    "listening_post_id": OBJECT_FACTORIES["listening_post_id"],
    "widget_id": OBJECT_FACTORIES["widget_id"],
    "event_id": OBJECT_FACTORIES["event_id"],
    "rule_id": OBJECT_FACTORIES["rule_id"],
    "automation_rule_id": OBJECT_FACTORIES["automation_rule_id"],
    "campaign_id": OBJECT_FACTORIES["campaign_id"],
    "webhook_endpoint_id": OBJECT_FACTORIES["webhook_endpoint_id"],
    "delivery_id": OBJECT_FACTORIES["delivery_id"],
    "review_site_id": OBJECT_FACTORIES["review_site_id"],
    "case_id": OBJECT_FACTORIES["case_id"],
    "comment_id": OBJECT_FACTORIES["comment_id"],
    "theme_id": OBJECT_FACTORIES["theme_id"],
    "export_id": OBJECT_FACTORIES["export_id"],
    "alert_rule_id": OBJECT_FACTORIES["alert_rule_id"],
    "target_id": OBJECT_FACTORIES["target_id"],
    "root_cause_id": OBJECT_FACTORIES["root_cause_id"],
    "sla_policy_id": OBJECT_FACTORIES["sla_policy_id"],
    "holiday_id": OBJECT_FACTORIES["holiday_id"],
    "reply_template_id": OBJECT_FACTORIES["reply_template_id"],
    "initiative_id": lambda p: isolation_initiative(p.org),
    "announcement_id": lambda p: isolation_announcement(p.org),
    "idea_id": lambda p: isolation_idea(p.org),
    "vote_id": lambda p: isolation_vote(p.org),
}

# (METHOD, path template) -> a valid body, for write routes whose body has required fields:
# without one, validation (422) would answer before the object lookup (404).
API_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/surveys/{survey_id}/responses"): {"answers": {"q1": 9}},
    ("POST", "/api/v1/touchpoints/{touchpoint_id}/listening-posts"): {
        "survey_id": str(uuid.uuid4()),
        "channel": "qr",
    },
    ("PUT", "/api/v1/surveys/{survey_id}/frequency-policy"): {"min_days_between": 30},
    ("POST", "/api/v1/cases/{case_id}/transition"): {"to_status": "open"},
    ("POST", "/api/v1/cases/{case_id}/notes"): {"body": "x"},
    ("POST", "/api/v1/cases/{case_id}/replies"): {"body": "x"},
    ("POST", "/api/v1/cases/{case_id}/resolve"): {"root_cause": str(uuid.uuid4()), "note": "x"},
    ("PATCH", "/api/v1/sla-policies/{sla_policy_id}"): {"first_response_hours": 2},
    ("PATCH", "/api/v1/reply-templates/{reply_template_id}"): {"name": "Isolation?"},
    ("PATCH", "/api/v1/root-causes/{root_cause_id}"): {"name": "Isolation?"},
    ("PUT", "/api/v1/teams/{team_id}/inbox-tags"): {"tags": ["isolation"]},
    ("PATCH", "/api/v1/comments/{comment_id}"): {"sentiment": "positive"},
    ("POST", "/api/v1/initiatives/{initiative_id}/transition"): {"status": "planned"},
    ("POST", "/api/v1/ideas/{idea_id}/merge"): {"into": str(uuid.uuid4())},
    ("POST", "/api/v1/ideas/{idea_id}/status"): {"status": "planned", "reply": "x"},
    ("POST", "/api/v1/ideas/{idea_id}/votes"): {"email": "voter@example.com", "name": "V"},
}

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


# --- pages -----------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def org_routes() -> list[tuple[str, URLPattern]]:
    """Every routed page whose path takes the organization's slug."""
    routes = [
        ("/" + route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        # public pages that name an organization (its idea portal) are not member pages
        if route.startswith(f"o/<slug:{ORG_PARAM}>/")
    ]
    assert routes, "no URL takes <slug:org_slug>: the walker is broken"
    return routes


ORG_ROUTES = org_routes()


def _params(route: str) -> list[tuple[str, str]]:
    return [(m["converter"] or "str", m["name"]) for m in PARAM_RE.finditer(route)]


def fill(route: str, personas: Personas, objects: dict[str, Model] | None = None) -> str:
    """A concrete URL: the personas' org slug, real objects where known, else fresh values."""
    objects = {} if objects is None else objects

    def value(match: re.Match[str]) -> str:
        converter, name = match["converter"] or "str", match["name"]
        if name == ORG_PARAM:
            return personas.org.slug
        found = _factory(route[: match.start()], name)
        if found is not None:
            key, factory = found
            if key not in objects:
                objects[key] = factory(personas)
            return str(objects[key].pk)
        if converter == "uuid":
            return str(uuid.uuid4())
        if converter == "int":
            return "1"
        return "x"

    return PARAM_RE.sub(value, route)


def _is_login_redirect(response: Any) -> bool:
    login = str(settings.LOGIN_URL)
    return response.status_code in (301, 302) and (
        "login" in response["Location"] or login in response["Location"]
    )


def test_every_object_param_has_a_factory() -> None:
    """A new <uuid:...> parameter needs an entry in OBJECT_FACTORIES to be tested for real."""
    missing = {
        f"{route} {m['name']}"
        for route, _ in ORG_ROUTES
        for m in PARAM_RE.finditer(route)
        if m["converter"] == "uuid" and _factory(route[: m.start()], m["name"]) is None
    }
    assert not missing, f"add factories for {sorted(missing)} to OBJECT_FACTORIES"


@pytest.mark.parametrize(("route", "pattern"), ORG_ROUTES, ids=[r for r, _ in ORG_ROUTES])
def test_outsider_gets_404(personas: Personas, route: str, pattern: URLPattern) -> None:
    url = fill(route, personas)
    # the owner reaches the page, so the outsider's 404 is about the org, not a bad URL
    assert personas.client_for(personas.owner).get(url).status_code != 404, url
    client = personas.client_for(personas.outsider)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


@pytest.mark.parametrize(("route", "pattern"), ORG_ROUTES, ids=[r for r, _ in ORG_ROUTES])
def test_anonymous_gets_404_or_login(personas: Personas, route: str, pattern: URLPattern) -> None:
    url = fill(route, personas)
    client = Client()
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 404 or _is_login_redirect(response), (
            f"{method.upper()} {url}: {response.status_code}"
        )


@pytest.mark.parametrize(("route", "pattern"), ORG_ROUTES, ids=[r for r, _ in ORG_ROUTES])
def test_org_pages_use_org_view(route: str, pattern: URLPattern) -> None:
    """Every page under /o/<org_slug>/ resolves the membership through access.org_view."""
    assert getattr(pattern.callback, "org_view", False), f"{route} is not decorated by org_view"


def _guarded(kind: str) -> list[tuple[str, URLPattern]]:
    """Routes some persona role may not read (kind "read") or write (kind "write")."""
    result = []
    for route, pattern in ORG_ROUTES:
        perm = getattr(pattern.callback, f"{kind}_perm", None)
        if perm is not None and not all(has_perm(role, Perm(perm)) for role in Role):
            result.append((route, pattern))
    return result


WRITE_GUARDED = _guarded("write")
READ_GUARDED = _guarded("read")


def _members_lacking(personas: Personas, perm: Perm) -> list[Membership]:
    users = [personas.owner, personas.admin, personas.analyst, personas.agent, personas.viewer]
    lacking = [personas.membership(u) for u in users]
    return [m for m in lacking if not has_perm(m.role, perm)]


@pytest.mark.parametrize(("route", "pattern"), WRITE_GUARDED, ids=[r for r, _ in WRITE_GUARDED])
def test_role_without_write_perm_gets_403(
    personas: Personas, route: str, pattern: URLPattern
) -> None:
    perm = Perm(pattern.callback.write_perm)  # type: ignore[attr-defined]
    members = _members_lacking(personas, perm)
    assert any(m.role == Role.VIEWER for m in members)
    objects: dict[str, Model] = {}
    url = fill(route, personas, objects)
    for membership in members:
        response = personas.client_for(membership.user).post(url, {"name": "x"})
        assert response.status_code == 403, f"{membership.role} POST {url}"
    for obj in objects.values():  # nothing was changed away
        assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(("route", "pattern"), READ_GUARDED, ids=[r for r, _ in READ_GUARDED])
def test_role_without_read_perm_gets_403(
    personas: Personas, route: str, pattern: URLPattern
) -> None:
    perm = Perm(pattern.callback.read_perm)  # type: ignore[attr-defined]
    url = fill(route, personas)
    for membership in _members_lacking(personas, perm):
        response = personas.client_for(membership.user).get(url)
        assert response.status_code == 403, f"{membership.role} GET {url}"


# --- API -------------------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation in the OpenAPI document."""
    paths = api.get_openapi_schema()["paths"]
    ops = [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert ops, "the API has no operations: the walker is broken"
    return sorted(ops)


API_OPERATIONS = api_operations()
API_IDS = [f"{m} {p}" for m, p in API_OPERATIONS]
API_OBJECT_OPERATIONS = [(m, p) for m, p in API_OPERATIONS if "{" in p]
API_WRITE_OPERATIONS = [(m, p) for m, p in API_OPERATIONS if m in UNSAFE]


def fill_api(path: str, personas: Personas, objects: dict[str, Model]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match["name"]
        if name in API_OBJECT_FACTORIES:
            if name not in objects:
                objects[name] = API_OBJECT_FACTORIES[name](personas)
            return str(objects[name].pk)
        return str(uuid.uuid4())

    return API_PARAM_RE.sub(value, path)


def test_every_api_object_param_has_a_factory() -> None:
    missing = {
        m["name"] for _, path in API_OBJECT_OPERATIONS for m in API_PARAM_RE.finditer(path)
    } - set(API_OBJECT_FACTORIES)
    assert not missing, f"add factories for {sorted(missing)} to API_OBJECT_FACTORIES"


@pytest.mark.parametrize(("method", "path"), API_OPERATIONS, ids=API_IDS)
def test_api_without_key_is_401(personas: Personas, method: str, path: str) -> None:
    url = fill_api(path, personas, {})
    response = ApiClient().request(method, url, API_BODIES.get((method, path), {}))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("method", "path"), API_OBJECT_OPERATIONS, ids=[f"{m} {p}" for m, p in API_OBJECT_OPERATIONS]
)
def test_api_other_orgs_key_gets_404(personas: Personas, method: str, path: str) -> None:
    objects: dict[str, Model] = {}
    url = fill_api(path, personas, objects)
    if method == "GET":  # the org's own key finds it, so the 404 below is about the org
        # A write key: some reads (the delivery log) are for write keys only.
        assert ApiClient(make_keys(personas.org).write).get(url).status_code == 200
    secret = make_keys(personas.other_org).write
    response = ApiClient(secret).request(method, url, API_BODIES.get((method, path), {}))
    assert response.status_code == 404, response.content
    for obj in objects.values():
        assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(
    ("method", "path"), API_WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p in API_WRITE_OPERATIONS]
)
def test_api_read_key_cannot_write(personas: Personas, method: str, path: str) -> None:
    objects: dict[str, Model] = {}
    url = fill_api(path, personas, objects)
    keys = make_keys(personas.org)
    response = ApiClient(keys.read).request(method, url, API_BODIES.get((method, path), {}))
    assert response.status_code == 403, response.content
    for obj in objects.values():
        assert type(obj).objects.filter(pk=obj.pk).exists()
