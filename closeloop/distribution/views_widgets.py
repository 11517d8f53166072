"""Staff pages for website widgets: list, create, edit, delete, and a live preview."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError
from closeloop.distribution import widget_selectors as selectors
from closeloop.distribution import widget_services as services
from closeloop.distribution.forms_widgets import WidgetForm
from closeloop.distribution.models import Widget


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can_edit(request: HttpRequest) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, Perm.EDIT_SURVEYS)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def widget_list(request: HttpRequest) -> HttpResponse:
    base = _base_url(request)
    widgets = [
        (widget, selectors.widget_snippet(widget=widget, base_url=base))
        for widget in selectors.widget_list(organization=_org(request))
    ]
    return render(
        request,
        "distribution/widgets_list.html",
        {"widgets": widgets, "can_edit": _can_edit(request)},
    )


def _form_page(request: HttpRequest, form: WidgetForm, widget: Widget | None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    snippet = selectors.widget_snippet(widget=widget, base_url=_base_url(request)) if widget else ""
    return render(
        request,
        "distribution/widgets_form.html",
        {"form": form, "widget": widget, "snippet": snippet},
        status=status,
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def widget_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = WidgetForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            widget = services.widget_create(
                organization=org, actor=_user(request), **form.service_data()
            )
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Widget created. Paste the snippet into your pages."))
            return redirect("widgets:edit", org.slug, widget.pk)
    return _form_page(request, form, None)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def widget_edit(request: HttpRequest, widget_id: Any) -> HttpResponse:
    org = _org(request)
    widget = selectors.access_widget(organization=org, pk=widget_id)
    form = WidgetForm(request.POST or None, organization=org, widget=widget)
    if request.method == "POST" and form.is_valid():
        try:
            services.widget_update(widget=widget, actor=_user(request), changes=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Widget saved."))
            return redirect("widgets:edit", org.slug, widget.pk)
    return _form_page(request, form, widget)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def widget_delete(request: HttpRequest, widget_id: Any) -> HttpResponse:
    org = _org(request)
    widget = selectors.access_widget(organization=org, pk=widget_id)
    services.widget_delete(widget=widget, actor=_user(request))
    messages.success(request, _("Widget deleted."))
    return redirect("widgets:list", org.slug)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def widget_secret_regenerate(request: HttpRequest, widget_id: Any) -> HttpResponse:
    org = _org(request)
    widget = selectors.access_widget(organization=org, pk=widget_id)
    services.widget_secret_regenerate(widget=widget, actor=_user(request))
    messages.success(
        request, _("New identity secret. Update your server: hashes made with the old one fail.")
    )
    return redirect("widgets:edit", org.slug, widget.pk)


@org_view(read=Perm.VIEW)
def widget_preview(request: HttpRequest, widget_id: Any) -> HttpResponse:
    """A test page on this app's own origin that loads the real widget.js with the widget's key
    (the app's own origin is always allowed, so the preview needs no entry in allowed origins)."""
    widget = selectors.access_widget(organization=_org(request), pk=widget_id)
    return render(
        request,
        "distribution/widgets_preview.html",
        {
            "widget": widget,
            "snippet": selectors.widget_snippet(widget=widget, base_url=_base_url(request)),
            "event": (widget.triggers or {}).get("event", ""),
        },
    )
