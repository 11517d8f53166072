"""The main navigation: sections of links, each shown to the roles that may use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    perm: str = "view"


@dataclass(frozen=True)
class NavSection:
    label: str | Promise
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavSection, ...] = (
    NavSection(
        _("Listen"),
        (
            NavItem("surveys:list", _("Surveys")),
            NavItem("journey:list", _("Journey")),
            NavItem("campaigns:list", _("Email campaigns")),
            NavItem("events:list", _("Event triggers")),
            NavItem("widgets:list", _("Website widget")),
            NavItem("contacts:list", _("Contacts")),
        ),
    ),
    NavSection(
        _("Understand"),
        (
            NavItem("responses:list", _("Responses")),
            NavItem("analytics:dashboards", _("Dashboards")),
            NavItem("analytics:drivers", _("Key drivers")),
            NavItem("text:comments", _("Comments")),
            NavItem("text:themes", _("Themes")),
            NavItem("analytics:exports", _("Exports"), "export"),
            NavItem("analytics:alerts", _("Alerts")),
            NavItem("analytics:targets", _("Targets and benchmarks")),
            NavItem("analytics:business", _("Business metrics")),
            NavItem("analytics:digest", _("Weekly digest")),
        ),
    ),
    NavSection(
        _("Act"),
        (
            NavItem("cases:list", _("Cases")),
            NavItem("inbox:list", _("Team inbox")),
            NavItem("automation:list", _("Automation")),
            NavItem("advocacy:list", _("Reviews and advocates")),
            NavItem("review:page", _("Advocacy review")),
            NavItem("initiatives:list", _("Initiatives")),
            NavItem("announcements:list", _("Announcements")),
            NavItem("ideas:list", _("Ideas")),
        ),
    ),
    NavSection(
        _("Settings"),
        (
            NavItem("accounts:members", _("Members")),
            NavItem("accounts:teams", _("Teams")),
            NavItem("accounts:api_keys", _("API keys"), "manage_api_keys"),
            NavItem("integrations_ui:list", _("Webhooks and deliveries"), "manage_api_keys"),
            NavItem("accounts:audit", _("Audit log"), "view_audit"),
            NavItem("accounts:org_settings", _("Organization"), "manage_org"),
            NavItem("integrations:mailbox", _("Mailbox"), "manage_members"),
        ),
    ),
)


def navigation_for(*, org_slug: str, perms: set[str], path: str) -> list[dict[str, object]]:
    """The sections and links this member may see, with the current page marked."""
    sections: list[dict[str, object]] = []
    for section in NAVIGATION:
        links: list[dict[str, object]] = []
        for item in section.items:
            if item.perm not in perms:
                continue
            try:
                url = reverse(item.url_name, kwargs={"org_slug": org_slug})
            except NoReverseMatch:  # an app that is not installed
                continue
            links.append({"url": url, "label": item.label, "active": path.startswith(url)})
        if links:
            sections.append({"label": section.label, "links": links})
    return sections
