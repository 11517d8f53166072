"""Advocacy pages (under /o/<org_slug>/advocacy/) and the public review-link redirect."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.advocacy import selectors, services
from closeloop.advocacy.forms import PoolFilterForm, ReviewSettingsForm, ReviewSiteForm
from closeloop.advocacy.models import ReviewMode, ScoreBand
from closeloop.core.errors import DomainError

EXPORT_CHUNK = 500


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can(request: HttpRequest, perm: Perm) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, perm)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def site_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    return render(
        request,
        "advocacy/sites.html",
        {
            "sites": selectors.review_site_list(organization=org),
            "settings_row": services.review_settings_get(organization=org),
            "review_rules": selectors.review_rules(organization=org),
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
    )


def _site_form_view(request: HttpRequest, site: Any) -> HttpResponse:
    org = _org(request)
    initial = (
        {"name": site.name, "kind": site.kind, "url": site.url, "is_active": site.is_active}
        if site is not None
        else {"is_active": True}
    )
    form = ReviewSiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if site is None:
                services.review_site_create(
                    organization=org, actor=_user(request), **form.cleaned_data
                )
            else:
                services.review_site_update(site=site, actor=_user(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Review site saved."))
            return redirect("advocacy:list", org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "advocacy/site_form.html", {"form": form, "site": site}, status=status)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def site_new(request: HttpRequest) -> HttpResponse:
    return _site_form_view(request, None)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def site_edit(request: HttpRequest, review_site_id: Any) -> HttpResponse:
    site = selectors.access_review_site(organization=_org(request), pk=review_site_id)
    return _site_form_view(request, site)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def site_move(request: HttpRequest, review_site_id: Any) -> HttpResponse:
    org = _org(request)
    site = selectors.access_review_site(organization=org, pk=review_site_id)
    direction = -1 if request.POST.get("direction") == "up" else 1
    services.review_site_move(site=site, direction=direction, actor=_user(request))
    return redirect("advocacy:list", org.slug)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def site_delete(request: HttpRequest, review_site_id: Any) -> HttpResponse:
    org = _org(request)
    site = selectors.access_review_site(organization=org, pk=review_site_id)
    services.review_site_delete(site=site, actor=_user(request))
    messages.success(request, _("Review site removed."))
    return redirect("advocacy:list", org.slug)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def review_settings(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    row = services.review_settings_get(organization=org)
    form = ReviewSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_settings_update(
                organization=org,
                mode=form.cleaned_data["mode"],
                acknowledge_warning=form.cleaned_data["acknowledge_warning"],
                texts=form.texts(),
                show_on_ending=form.cleaned_data["show_on_ending"],
                actor=_user(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Review settings saved."))
            return redirect("advocacy:settings", org.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "advocacy/settings.html",
        {
            "form": form,
            "row": row,
            "promoters_only": ReviewMode.PROMOTERS_ONLY,
            "review_rules": selectors.review_rules(organization=org),
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
        status=status,
    )


@org_view(read=Perm.VIEW)
def invitation_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    sent, stats = selectors.click_stats(organization=org)
    invitations = list(selectors.review_invitation_list(organization=org)[:200])
    stopped = {
        "contact unsubscribed": _("not sent: the contact unsubscribed meanwhile"),
        "contact erased": _("not sent: the contact was erased"),
    }
    for invitation in invitations:
        error = invitation.delivery.last_error if invitation.delivery is not None else ""
        invitation.stopped_reason = stopped.get(error, "")  # type: ignore[attr-defined]
    return render(
        request,
        "advocacy/invitations.html",
        {"sent": sent, "stats": stats, "invitations": invitations, "bands": ScoreBand.choices},
    )


def _pool(request: HttpRequest) -> tuple[PoolFilterForm, Any]:
    form = PoolFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "q": form.cleaned_data["q"],
            "language": form.cleaned_data["language"],
            "since": form.cleaned_data["since"],
        }
    return form, selectors.promoter_pool(organization=_org(request), **filters)


@org_view(read=Perm.VIEW_ADVOCATES)
def pool(request: HttpRequest) -> HttpResponse:
    """The promoter pool, a page at a time (names, emails and verbatims: VIEW_ADVOCATES)."""
    form, contacts = _pool(request)
    page = Paginator(contacts, selectors.POOL_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "advocacy/pool.html",
        {
            "form": form,
            "page": page,
            "entries": selectors.pool_entries(organization=_org(request), contacts=page),
            "consent_key": selectors.CONSENT_KEY,
            "can_export": _can(request, Perm.EXPORT),
            "query": query.urlencode(),
        },
    )


@org_view(read=Perm.EXPORT)
def pool_csv(request: HttpRequest) -> HttpResponse:
    """Every row of the pool with the filters applied (needs EXPORT and VIEW_ADVOCATES)."""
    if not _can(request, Perm.VIEW_ADVOCATES):
        raise PermissionDenied
    org = _org(request)
    _form, contacts = _pool(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "score", "answered_at", "language", "survey", "verbatims"])
    paginator = Paginator(contacts, EXPORT_CHUNK)
    for number in paginator.page_range:
        for e in selectors.pool_entries(organization=org, contacts=paginator.page(number)):
            writer.writerow(
                [
                    e.contact.full_name,
                    e.contact.email or "",
                    e.score,
                    e.answered_at.isoformat(),
                    e.language,
                    e.survey_name,
                    " | ".join(e.verbatims),
                ]
            )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="promoter-pool.csv"'
    return response


def review_click(request: HttpRequest, token: str) -> HttpResponse:
    """Public: record the click and go to the site's configured review page."""
    url = services.review_click_record(
        token=token, user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
