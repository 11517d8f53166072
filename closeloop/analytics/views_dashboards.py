"""Dashboard pages: the list, the CX overview, one dashboard with its page filters, each widget
(lazy-loaded by htmx, or opened on its own without JavaScript), the printable report, the editor,
the share panel, and the public read-only page (and report) behind a secret link.

Reading needs VIEW (every member, viewers included); changing needs EDIT_SURVEYS (owners,
admins, analysts). Views only parse, call a service or a selector, and render."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm
from closeloop.analytics.dashboards import schemas, selectors, services
from closeloop.analytics.dashboards.data import Scope
from closeloop.analytics.dashboards.widgets import REGISTRY, render_widget, widget_title
from closeloop.analytics.forms_dashboards import (
    DashboardForm,
    PageFilterForm,
    ShareLinkForm,
    WidgetAddForm,
    WidgetConfigForm,
)
from closeloop.analytics.metrics.suppression import min_group_size
from closeloop.analytics.models import Dashboard, DashboardKind, ShareLink, Widget
from closeloop.core.errors import DomainError

logger = logging.getLogger(__name__)

FILTER_FIELDS = tuple(PageFilterForm.base_fields)


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _membership(request: HttpRequest) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    return membership


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _dashboard(request: HttpRequest, dashboard_id: Any) -> Dashboard:
    return selectors.access_dashboard(
        organization=_org(request), membership=_membership(request), pk=dashboard_id
    )


def _can_edit(request: HttpRequest) -> bool:
    return selectors.can_edit_dashboards(_membership(request))


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- filters ----------------------------------------------------------------------------------


def page_filters(
    request: HttpRequest, dashboard: Dashboard
) -> tuple[schemas.PageFilters, PageFilterForm]:
    """The filters of this page view: the query string's when it has any, else the saved ones."""
    saved = schemas.parse_filters(dashboard.filters)
    org = dashboard.organization
    if any(key in request.GET for key in FILTER_FIELDS):
        form = PageFilterForm(request.GET, organization=org)
        if form.is_valid():
            return form.filters, form
        return saved, form
    return saved, PageFilterForm(initial=PageFilterForm.initial_for(saved), organization=org)


def filters_query(filters: schemas.PageFilters) -> str:
    """The filters as a query string, so each widget's request reads the same page filters."""
    values = filters.model_dump(mode="json")
    return urlencode({k: ("" if v is None else v) for k, v in values.items()})


def _employee(organization: Organization, filters: schemas.PageFilters) -> bool:
    if not filters.survey:
        return False
    from closeloop.surveys.models import Survey

    return Survey.objects.filter(
        organization=organization, pk=filters.survey, kind="employee"
    ).exists()


def make_scope(dashboard: Dashboard, filters: schemas.PageFilters) -> Scope:
    """What the widgets of this page read: the org, filters, period and group-size threshold."""
    org = dashboard.organization
    today = timezone.localdate(timezone=_zone(org))
    return Scope(
        organization=org,
        filters=filters,
        period=schemas.date_range(filters, time_zone=org.time_zone, today=today),
        team=dashboard.team,
        min_group_size=min_group_size(organization=org, employee=_employee(org, filters)),
    )


def _zone(org: Organization) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(org.time_zone)


def _placeholders(widgets: list[Widget], *, url_for: Any, query: str) -> list[dict[str, Any]]:
    out = []
    for widget in widgets:
        spec = REGISTRY.get(widget.kind)
        url = url_for(widget) + (f"?{query}" if query else "")
        out.append(
            {
                "widget": widget,
                "title": widget_title(widget),
                "wide": spec.wide if spec else False,
                "url": url,
            }
        )
    return out


def _render_safely(
    widget: Widget, dashboard: Dashboard, scope: Scope, *, public: bool, report: bool = False
) -> str:
    """One widget's HTML; a failure shows in the widget and never breaks the page."""
    try:
        return render_widget(
            widget=widget, dashboard=dashboard, scope=scope, public=public, report=report
        ).html
    except Exception:
        logger.exception("dashboard widget %s failed", widget.pk)
        from django.template.loader import render_to_string

        return render_to_string(
            "analytics/dashboards/widgets/_failed.html",
            {"widget": widget, "title": widget_title(widget)},
        )


def _page_context(
    request: HttpRequest, dashboard: Dashboard, *, public_token: str | None = None
) -> dict[str, Any]:
    if public_token is None:
        filters, form = page_filters(request, dashboard)
    else:
        filters, form = schemas.parse_filters(dashboard.filters), None
    scope = make_scope(dashboard, filters)
    widgets = selectors.widget_list(dashboard=dashboard)
    query = filters_query(filters) if public_token is None else ""
    org_slug = dashboard.organization.slug

    def url_for(widget: Widget) -> str:
        if public_token is not None:
            return reverse("analytics_public:widget", args=[public_token, widget.pk])
        return reverse("analytics:widget", args=[org_slug, dashboard.pk, widget.pk])

    inline = request.GET.get("all") == "1"
    items = _placeholders(widgets, url_for=url_for, query=query)
    if inline:
        for item in items:
            item["html"] = _render_safely(
                item["widget"], dashboard, scope, public=public_token is not None
            )
    saved = schemas.parse_filters(dashboard.filters)
    return {
        "dashboard": dashboard,
        "filters": filters,
        "filter_form": form,
        "scope": scope,
        "items": items,
        "inline": inline,
        "query": query,
        "filters_changed": filters != saved,
        "period_labels": schemas.PERIOD_LABELS,
    }


# --- pages for members ------------------------------------------------------------------------


@org_view(read=Perm.VIEW)
@require_safe
def dashboard_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    services.dashboards_ensure_defaults(organization=org)
    dashboards = selectors.dashboard_list(organization=org, membership=_membership(request))
    return render(
        request,
        "analytics/dashboards/list.html",
        {"dashboards": dashboards, "can_edit": _can_edit(request)},
    )


@org_view(read=Perm.VIEW)
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """The CX overview: the organization's own dashboard, made on first visit."""
    org = _org(request)
    services.dashboards_ensure_defaults(organization=org)
    dashboard = selectors.overview_dashboard(organization=org)
    if dashboard is None:  # pragma: no cover - ensure_defaults just made it
        raise Http404
    return _detail(request, dashboard)


@org_view(read=Perm.VIEW)
@require_safe
def dashboard_detail(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    return _detail(request, _dashboard(request, dashboard_id))


def _detail(request: HttpRequest, dashboard: Dashboard) -> HttpResponse:
    context = _page_context(request, dashboard)
    context["can_edit"] = _can_edit(request)
    return render(request, "analytics/dashboards/detail.html", context)


@org_view(read=Perm.VIEW)
@require_safe
def widget_detail(
    request: HttpRequest, dashboard_id: Any, dashboard_widget_id: Any
) -> HttpResponse:
    """One widget: the fragment htmx swaps into the page, or (without JavaScript) a page."""
    dashboard = _dashboard(request, dashboard_id)
    widget = selectors.access_widget(dashboard=dashboard, pk=dashboard_widget_id)
    filters, _form = page_filters(request, dashboard)
    html = _render_safely(widget, dashboard, make_scope(dashboard, filters), public=False)
    if _is_htmx(request):
        return HttpResponse(html)
    return render(
        request,
        "analytics/dashboards/widget_page.html",
        {"dashboard": dashboard, "widget_html": html, "query": filters_query(filters)},
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def dashboard_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = DashboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dashboard = services.dashboard_create(
                organization=org,
                name=form.cleaned_data["name"],
                visibility=form.cleaned_data["visibility"],
                actor=_user(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Dashboard created. Add its first widget."))
            return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)
    return render(request, "analytics/dashboards/new.html", {"form": form})


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def dashboard_edit(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    """Rename the dashboard; add, remove and reorder its widgets."""
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    initial = {"name": dashboard.name, "visibility": dashboard.visibility}
    form = DashboardForm(request.POST or None, initial=initial)
    if dashboard.kind != DashboardKind.CUSTOM:
        del form.fields["visibility"]
    if request.method == "POST" and form.is_valid():
        try:
            services.dashboard_update(
                dashboard=dashboard,
                actor=_user(request),
                name=form.cleaned_data["name"],
                visibility=form.cleaned_data.get("visibility"),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Dashboard saved."))
            return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)
    widgets = selectors.widget_list(dashboard=dashboard)
    rows = [
        {"widget": w, "title": widget_title(w), "first": n == 0, "last": n == len(widgets) - 1}
        for n, w in enumerate(widgets)
    ]
    return render(
        request,
        "analytics/dashboards/edit.html",
        {
            "dashboard": dashboard,
            "form": form,
            "rows": rows,
            "add_form": WidgetAddForm(),
            "kinds": [(k, REGISTRY[k]) for k in REGISTRY],
        },
        status=400 if request.method == "POST" else 200,
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def dashboard_save_filters(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    """Keep the page's current filters as the ones it opens with."""
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    form = PageFilterForm(request.POST, organization=org)
    if form.is_valid():
        services.dashboard_set_filters(
            dashboard=dashboard, filters=form.filters, actor=_user(request)
        )
        messages.success(request, _("These filters now open the dashboard."))
        return redirect(_detail_url(dashboard))
    messages.error(request, _("Check the filters: some values are not valid."))
    return redirect(_detail_url(dashboard) + "?" + request.POST.urlencode())


def _detail_url(dashboard: Dashboard) -> str:
    slug = dashboard.organization.slug
    if dashboard.kind == DashboardKind.OVERVIEW:
        return reverse("analytics:overview", args=[slug])
    return reverse("analytics:dashboard", args=[slug, dashboard.pk])


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def dashboard_delete(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    try:
        services.dashboard_delete(dashboard=dashboard, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)
    messages.success(request, _("Dashboard deleted."))
    return redirect("analytics:dashboards", org.slug)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def widget_add(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    form = WidgetAddForm(request.POST)
    if form.is_valid():
        try:
            widget = services.widget_add(
                dashboard=dashboard,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                actor=_user(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Widget added. Choose what it shows."))
            return redirect("analytics:widget_edit", org.slug, dashboard.pk, widget.pk)
    else:
        messages.error(request, _("Choose a kind of widget."))
    return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def widget_edit(request: HttpRequest, dashboard_id: Any, dashboard_widget_id: Any) -> HttpResponse:
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    widget = selectors.access_widget(dashboard=dashboard, pk=dashboard_widget_id)
    config = schemas.parse_config(widget.kind, widget.config)
    form = WidgetConfigForm(
        request.POST or None,
        kind=widget.kind,
        organization=org,
        initial=WidgetConfigForm.initial_for(widget.title, config),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.widget_update(
                widget=widget,
                actor=_user(request),
                title=form.cleaned_data["title"],
                config=form.config(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Widget saved."))
            return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)
    return render(
        request,
        "analytics/dashboards/widget_edit.html",
        {
            "dashboard": dashboard,
            "widget": widget,
            "form": form,
            "spec": REGISTRY[widget.kind],
            "title": widget_title(widget),
        },
        status=400 if request.method == "POST" else 200,
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def widget_remove(
    request: HttpRequest, dashboard_id: Any, dashboard_widget_id: Any
) -> HttpResponse:
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    widget = selectors.access_widget(dashboard=dashboard, pk=dashboard_widget_id)
    services.widget_remove(widget=widget, actor=_user(request))
    messages.success(request, _("Widget removed."))
    return redirect("analytics:dashboard_edit", org.slug, dashboard.pk)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def widget_move(request: HttpRequest, dashboard_id: Any, dashboard_widget_id: Any) -> HttpResponse:
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    widget = selectors.access_widget(dashboard=dashboard, pk=dashboard_widget_id)
    try:
        services.widget_move(
            widget=widget, direction=request.POST.get("direction", ""), actor=_user(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(
        reverse("analytics:dashboard_edit", args=[org.slug, dashboard.pk]) + f"#row-{widget.pk}"
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@never_cache
def dashboard_share(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    """Who can see the dashboard, and its secret links: create one (shown once) or revoke."""
    org = _org(request)
    dashboard = _dashboard(request, dashboard_id)
    form = ShareLinkForm(request.POST or None)
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create" and form.is_valid():
            _link, token = services.share_link_create(
                dashboard=dashboard, actor=_user(request), label=form.cleaned_data["label"]
            )
            new_url = request.build_absolute_uri(
                reverse("analytics_public:dashboard", args=[token])
            )
            form = ShareLinkForm()
        elif action == "revoke":
            link = selectors.access_share_link(dashboard=dashboard, pk=request.POST.get("link"))
            services.share_link_revoke(link=link, actor=_user(request))
            messages.success(request, _("The link no longer works."))
            return redirect("analytics:dashboard_share", org.slug, dashboard.pk)
        elif action == "visibility":
            try:
                services.dashboard_update(
                    dashboard=dashboard,
                    actor=_user(request),
                    name=dashboard.name,
                    visibility=request.POST.get("visibility", ""),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved who can see the dashboard."))
            return redirect("analytics:dashboard_share", org.slug, dashboard.pk)
    return render(
        request,
        "analytics/dashboards/share.html",
        {
            "dashboard": dashboard,
            "form": form,
            "links": selectors.share_link_list(dashboard=dashboard),
            "new_url": new_url,
            "member_count": Membership.objects.filter(organization=org).count(),
        },
    )


# --- the printable report ---------------------------------------------------------------------


def _report_context(
    request: HttpRequest, dashboard: Dashboard, *, public_token: str | None = None
) -> dict[str, Any]:
    """Every widget drawn at once (nothing lazy), with the filters, period, organization and the
    time the report was made in the organization's time zone."""
    org = dashboard.organization
    public = public_token is not None
    if public:
        filters = schemas.parse_filters(dashboard.filters)
    else:
        filters, _form = page_filters(request, dashboard)
    scope = make_scope(dashboard, filters)
    items = [
        {
            "widget": widget,
            "html": _render_safely(widget, dashboard, scope, public=public, report=True),
        }
        for widget in selectors.widget_list(dashboard=dashboard)
    ]
    return {
        "dashboard": dashboard,
        "organization": org,
        "filters": filters,
        "scope": scope,
        "items": items,
        "period_label": schemas.PERIOD_LABELS[filters.period],
        "filter_rows": selectors.filters_described(organization=org, filters=filters),
        "generated_at": timezone.localtime(timezone.now(), _zone(org)),
        "min_group_size": scope.min_group_size,
        "public": public,
    }


@org_view(read=Perm.VIEW)
@require_safe
def dashboard_report(request: HttpRequest, dashboard_id: Any) -> HttpResponse:
    """A printable report of the dashboard with the page's filters (print or save as PDF)."""
    dashboard = _dashboard(request, dashboard_id)
    context = _report_context(request, dashboard)
    context["plotly_url"] = reverse("analytics:plotly_js", args=[dashboard.organization.slug])
    context["back_url"] = _detail_url(dashboard) + "?" + filters_query(context["filters"])
    return render(request, "analytics/dashboards/report.html", context)


# --- the public page behind a secret link -----------------------------------------------------


def _shared_link(token: str) -> ShareLink:
    link = selectors.share_link_by_token(token=token)
    if link is None:
        raise Http404
    return link


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def shared_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    """A dashboard opened by its secret link: read-only, no navigation, not indexed."""
    link = _shared_link(token)
    services.share_link_touch(link=link)
    dashboard = link.dashboard
    timezone.activate(_zone(dashboard.organization))
    try:
        context = _page_context(request, dashboard, public_token=token)
        context["token"] = token
        return _public(render(request, "analytics/dashboards/public.html", context))
    finally:
        timezone.deactivate()


@require_safe
def shared_widget(request: HttpRequest, token: str, widget_id: Any) -> HttpResponse:
    link = _shared_link(token)
    dashboard = link.dashboard
    widget = selectors.access_widget(dashboard=dashboard, pk=widget_id)
    timezone.activate(_zone(dashboard.organization))
    try:
        scope = make_scope(dashboard, schemas.parse_filters(dashboard.filters))
        html = _render_safely(widget, dashboard, scope, public=True)
    finally:
        timezone.deactivate()
    if _is_htmx(request):
        return _public(HttpResponse(html))
    return _public(
        render(
            request,
            "analytics/dashboards/public_widget.html",
            {"dashboard": dashboard, "widget_html": html, "token": token},
        )
    )


@require_safe
def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """The printable report of a dashboard opened by its secret link, with its saved filters."""
    link = _shared_link(token)
    services.share_link_touch(link=link)
    dashboard = link.dashboard
    timezone.activate(_zone(dashboard.organization))
    try:
        context = _report_context(request, dashboard, public_token=token)
        context["plotly_url"] = reverse("analytics_public:plotly_js", args=[token])
        context["back_url"] = reverse("analytics_public:dashboard", args=[token])
        return _public(render(request, "analytics/dashboards/report.html", context))
    finally:
        timezone.deactivate()


@require_safe
def shared_plotly(request: HttpRequest, token: str) -> HttpResponse:
    """plotly.min.js for a page opened by a secret link (the members' copy needs a login)."""
    from closeloop.analytics.views_drivers import plotly_js_response

    _shared_link(token)
    return plotly_js_response(request)


# --- the organization's home page -------------------------------------------------------------


def overview_panel(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    """The CX overview's widgets for the organization's home page (lazy-loaded like the
    overview itself), with the overview's saved filters."""
    services.dashboards_ensure_defaults(organization=organization)
    dashboard = selectors.overview_dashboard(organization=organization)
    if dashboard is None:  # pragma: no cover - ensure_defaults just made it
        return {}
    filters = schemas.parse_filters(dashboard.filters)
    query = filters_query(filters)
    items = _placeholders(
        selectors.widget_list(dashboard=dashboard),
        url_for=lambda w: reverse("analytics:widget", args=[organization.slug, dashboard.pk, w.pk]),
        query=query,
    )
    return {
        "overview": {
            "dashboard": dashboard,
            "items": items,
            "query": query,
            "scope": make_scope(dashboard, filters),
        }
    }
