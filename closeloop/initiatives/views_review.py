"""Pages of the customer advocacy review, under /o/<org_slug>/advocacy-review/.

Who: members of a team flagged as the advocacy team, admins and owners see the page and record
decisions; other members of the organization get 403 with a page that says who to ask (they
know the organization exists, so a 404 would hide nothing); other organizations get 404 (from
org_view). The settings and "Send digest now" are for admins and owners (MANAGE_TEAMS).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object, org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm
from closeloop.core.errors import DomainError
from closeloop.initiatives import decisions as services
from closeloop.initiatives.digest import digest_window, review_digest_send_now
from closeloop.initiatives.forms_review import (
    DecisionFilterForm,
    DecisionForm,
    PeriodForm,
    ReviewSettingsForm,
    initiative_choices,
    meeting_time_initial,
)
from closeloop.initiatives.review import (
    ReviewPeriod,
    advocacy_team,
    can_use_review,
    decision_list,
    review_period,
    review_settings_or_default,
    review_summary,
    with_theme_names,
)

DECISIONS_LISTED = 100


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _membership(request: HttpRequest) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    return membership


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _reverse(name: str, *args: Any) -> str:
    """A URL, or "" while the page it names does not exist yet."""
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return ""


def _denied(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    context = {"advocacy": advocacy_team(organization=org)}
    return render(request, "initiatives/review_denied.html", context, status=403)


def _period(request: HttpRequest, org: Organization) -> tuple[ReviewPeriod, PeriodForm]:
    default_days = review_settings_or_default(org).review_period_days
    form = PeriodForm(request.GET or None, default_days=default_days)
    period = review_period(organization=org)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("days") == "custom" or (
                not data.get("days") and (data.get("date_from") or data.get("date_to"))
            ):
                period = review_period(
                    organization=org, date_from=data.get("date_from"), date_to=data.get("date_to")
                )
            elif data.get("days"):
                period = review_period(organization=org, days=int(data["days"]))
        except DomainError as exc:
            form.add_error("date_from", exc.message)
    if not form.is_bound:
        form = PeriodForm(initial={"days": period.preset}, default_days=default_days)
    return period, form


def _page(
    request: HttpRequest,
    *,
    failed: DecisionForm | None = None,
    failed_theme: str = "",
    status: int = 200,
) -> HttpResponse:
    org = _org(request)
    language = translation.get_language() or org.default_language
    period, period_form = _period(request, org)
    summary = review_summary(organization=org, period=period, language=language)
    choices = initiative_choices(org)
    for row in summary.themes:
        key = str(row.theme.pk)
        if failed is not None and failed_theme == key:
            row.decision_form = failed  # type: ignore[attr-defined]
        else:
            row.decision_form = DecisionForm(  # type: ignore[attr-defined]
                organization=org, initiatives=choices, initial={"theme": key},
                auto_id=f"d-{key}-%s",
            )  # fmt: skip
    filters = DecisionFilterForm(request.GET or None)
    meeting_from = meeting_to = None
    if filters.is_bound and filters.is_valid():
        meeting_from = filters.cleaned_data.get("meeting_from")
        meeting_to = filters.cleaned_data.get("meeting_to")
    decisions = with_theme_names(
        list(
            decision_list(organization=org, meeting_from=meeting_from, meeting_to=meeting_to)[
                :DECISIONS_LISTED
            ]
        ),
        language,
    )
    general = DecisionForm(organization=org, initiatives=choices, auto_id="d-general-%s")
    if failed is not None and not failed_theme:
        general = failed
    explorer = _reverse("text:comments", org.slug)
    explorer_query = urlencode(
        {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    )
    membership = _membership(request)
    context = {
        "summary": summary,
        "period": period,
        "previous": period.previous(),
        "period_form": period_form,
        "query": request.GET.urlencode(),
        "decisions": decisions,
        "decision_filters": filters,
        "general_form": general,
        "advocacy": advocacy_team(organization=org),
        "is_admin": membership.role in ("owner", "admin"),
        "create_url": _reverse("initiatives:create", org.slug),
        "initiatives_url": _reverse("initiatives:list", org.slug),
        "explorer_url": explorer,
        "explorer_query": explorer_query,
        "settings_row": review_settings_or_default(org),
    }
    return render(request, "initiatives/review.html", context, status=status)


@org_view(read=Perm.VIEW, write=Perm.VIEW)
def review_page(request: HttpRequest) -> HttpResponse:
    """The review: themes, cases, root causes, recovered customers, initiatives, decisions."""
    if not can_use_review(_membership(request)):
        return _denied(request)
    return _page(request)


@org_view(read=Perm.VIEW, write=Perm.VIEW)
def decision_create(request: HttpRequest) -> HttpResponse:
    """Record a decision (under a theme, or in general); back to the page at the theme."""
    org = _org(request)
    if not can_use_review(_membership(request)):
        return _denied(request)
    back = request.POST.get("next_query", "") if request.method == "POST" else ""
    page_url = reverse("review:page", args=[org.slug]) + (f"?{back}" if back else "")
    if request.method != "POST":
        return redirect(page_url)
    try:
        theme_key = str(uuid.UUID(request.POST.get("theme", "")))
    except ValueError:
        theme_key = ""
    form = DecisionForm(
        request.POST, organization=org, initiatives=initiative_choices(org),
        auto_id=f"d-{theme_key or 'general'}-%s",
    )  # fmt: skip
    if form.is_valid():
        data = form.cleaned_data
        theme = None
        if data.get("theme"):
            from closeloop.text.models import Theme

            theme = access_object(Theme.objects.all(), organization=org, pk=data["theme"])
        try:
            services.decision_record(
                organization=org,
                kind=data["kind"],
                text=data["text"],
                theme=theme,
                initiative=data.get("initiative"),
                meeting_on=data.get("meeting_on"),
                actor=_user(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Decision recorded."))
            anchor = f"#theme-{theme.pk}" if theme is not None else "#decisions"
            return redirect(page_url + anchor)
    # Show the form again, with what to fix, where it was filled in.
    request.GET = QueryDict(back)  # type: ignore[misc]  # the period the page was showing
    return _page(request, failed=form, failed_theme=theme_key, status=400)


@org_view(read=Perm.MANAGE_TEAMS, write=Perm.MANAGE_TEAMS)
def review_settings(request: HttpRequest) -> HttpResponse:
    """The meeting (weekday, time), the digest's lead time, the default period, digest on/off."""
    org = _org(request)
    row = services.review_settings_of(org)
    initial = {
        "meeting_weekday": row.meeting_weekday,
        "meeting_time": meeting_time_initial(row.meeting_time),
        "digest_hours_before": row.digest_hours_before,
        "review_period_days": row.review_period_days,
        "digest_enabled": row.digest_enabled,
    }
    form = ReviewSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.review_settings_update(
                organization=org,
                actor=_user(request),
                meeting_weekday=data["meeting_weekday"],
                meeting_time=data["meeting_time"],
                digest_hours_before=data["digest_hours_before"],
                review_period_days=data["review_period_days"],
                digest_enabled=data["digest_enabled"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Review settings saved."))
            return redirect("review:settings", org_slug=org.slug)
    opens, meeting = digest_window(row, dt.datetime.now(dt.UTC))
    context = {
        "form": form,
        "row": row,
        "advocacy": advocacy_team(organization=org),
        "next_meeting": meeting,
        "digest_opens": opens,
    }
    return render(request, "initiatives/review_settings.html", context)


@org_view(read=Perm.MANAGE_TEAMS, write=Perm.MANAGE_TEAMS)
def digest_send_now(request: HttpRequest) -> HttpResponse:
    """Send the review digest to the advocacy team now."""
    org = _org(request)
    if request.method == "POST":
        try:
            count = review_digest_send_now(organization=org, actor=_user(request))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The digest is on its way to %(n)s members of the advocacy team.") % {"n": count},
            )
    return redirect("review:settings", org_slug=org.slug)
